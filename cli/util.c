/* Error reporting and exit codes shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"

double dm_cli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int dm_cli_print_json(FILE *f, cJSON *value, int compact) {
  char *s = compact ? cJSON_PrintUnformatted(value) : cJSON_Print(value);
  cJSON_Delete(value);
  if (!s) return DM_EXIT_RUNTIME;
  fprintf(f, "%s\n", s);
  cJSON_free(s);
  return DM_EXIT_OK;
}

int dm_cli_exit_code(int status) {
  switch (dm_err_kind_of(status)) {
    case DM_KIND_OK: return DM_EXIT_OK;
    case DM_KIND_USAGE: return DM_EXIT_USAGE;
    case DM_KIND_SPEC: return DM_EXIT_SPEC;
    case DM_KIND_MODEL: return DM_EXIT_MODEL;
    case DM_KIND_RUNTIME: return DM_EXIT_RUNTIME;
  }
  return DM_EXIT_RUNTIME;
}

int dm_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "dimple%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'dimple %s%s--help' for more information.\n", cmd ? cmd : "",
          cmd ? " " : "");
  return DM_EXIT_USAGE;
}

int dm_cli_fail(const char *cmd, int status, const dm_error *err) {
  char line[2048];
  if (err && err->code == status && (err->message[0] || err->pos_kind != DM_POS_NONE))
    dm_error_format(err, line, sizeof line);
  else
    snprintf(line, sizeof line, "%s", dm_strerror(status));
  fprintf(stderr, "dimple%s%s: error: %s [%s]\n", cmd ? " " : "", cmd ? cmd : "", line,
          dm_err_name(status));
  return dm_cli_exit_code(status);
}
