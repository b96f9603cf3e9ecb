/* Status codes: messages, names and kinds from the DM_STATUS_MAP table. */
#include <dimple/status.h>

const char *dm_strerror(int status) {
  switch (status) {
#define DM_CASE_(name, value, kind, msg) case value: return msg;
    DM_STATUS_MAP(DM_CASE_)
#undef DM_CASE_
    default: return "unknown status";
  }
}

const char *dm_err_name(int status) {
  switch (status) {
#define DM_CASE_(name, value, kind, msg) case value: return "DM_" #name;
    DM_STATUS_MAP(DM_CASE_)
#undef DM_CASE_
    default: return "DM_E?";
  }
}

dm_err_kind dm_err_kind_of(int status) {
  switch (status) {
#define DM_CASE_(name, value, kind, msg) case value: return DM_KIND_##kind;
    DM_STATUS_MAP(DM_CASE_)
#undef DM_CASE_
    default: return DM_KIND_RUNTIME;
  }
}
