/* safetensors: header parsing and validation, memory mapping of one file.
 *
 * Layout: u64 little-endian N, then N bytes of JSON header
 *   {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {...}}
 * then the data section; offsets are relative to its start. Everything in the
 * header is checked against the file size before any tensor is touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"

#define DM_ST_HEADER_MAX (100u << 20) /* the reference implementation's limit */
#define DM_ST_MAX_TENSORS 1000000

static const struct {
  const char *name;
  dm_st_dtype dt;
  size_t size;
} st_dtypes[] = {
    {"F32", DM_ST_F32, 4},   {"BF16", DM_ST_BF16, 2}, {"F16", DM_ST_F16, 2},
    {"F64", DM_ST_F64, 8},   {"I64", DM_ST_I64, 8},   {"U64", DM_ST_U64, 8},
    {"I32", DM_ST_I32, 4},   {"U32", DM_ST_U32, 4},   {"I16", DM_ST_I16, 2},
    {"U16", DM_ST_U16, 2},   {"I8", DM_ST_I8, 1},     {"U8", DM_ST_U8, 1},
    {"BOOL", DM_ST_BOOL, 1}, {"F8_E4M3", DM_ST_F8_E4M3, 1},
    {"F8_E5M2", DM_ST_F8_E5M2, 1},
};
#define N_ST_DTYPES (sizeof st_dtypes / sizeof st_dtypes[0])

size_t dm_st_dtype_size(dm_st_dtype d) {
  for (size_t i = 0; i < N_ST_DTYPES; i++)
    if (st_dtypes[i].dt == d) return st_dtypes[i].size;
  return 0;
}

const char *dm_st_dtype_name(dm_st_dtype d) {
  for (size_t i = 0; i < N_ST_DTYPES; i++)
    if (st_dtypes[i].dt == d) return st_dtypes[i].name;
  return "?";
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(((const dm_st_tensor *)a)->name, ((const dm_st_tensor *)b)->name);
}

static int off_cmp(const void *a, const void *b) {
  const dm_st_tensor *x = *(const dm_st_tensor *const *)a, *y = *(const dm_st_tensor *const *)b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

/* A JSON number that is a non-negative integer below 2^53. */
static int json_u53(const cJSON *j, uint64_t *out) {
  if (!cJSON_IsNumber(j)) return 0;
  double d = j->valuedouble;
  if (!(d >= 0.0) || d > 9007199254740992.0 || d != (double)(uint64_t)d) return 0;
  *out = (uint64_t)d;
  return 1;
}

void dm_st_file_free(dm_st_file *f) {
  if (!f) return;
  for (int i = 0; i < f->n; i++) free(f->tensors[i].name);
  free(f->tensors);
  for (int i = 0; i < f->n_copies; i++) free(f->copies[i]);
  free(f->copies);
  if (f->map) munmap(f->map, f->size);
  free(f->path);
  free(f);
}

static int fail(dm_error *err, int code, const char *source, const char *where,
                const char *fmt, const char *a, unsigned long long x, unsigned long long y) {
  char msg[DM_ERROR_MSG_MAX];
  snprintf(msg, sizeof msg, fmt, a, x, y);
  if (where)
    dm_error_set_named(err, code, where, "%s", msg);
  else
    dm_error_set(err, code, "%s", msg);
  dm_error_set_source(err, source);
  return code;
}

/* Parse one tensor entry of the header. */
static int parse_entry(const cJSON *e, dm_st_tensor *t, uint64_t data_len, const char *source,
                       dm_error *err) {
  const char *nm = t->name;
  if (!cJSON_IsObject(e))
    return fail(err, DM_EFORMAT, source, nm, "header entry is not an object%s", "", 0, 0);
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
  const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
  if (!cJSON_IsString(dt))
    return fail(err, DM_EFORMAT, source, nm, "missing or non-string \"dtype\"%s", "", 0, 0);
  int found = 0;
  for (size_t i = 0; i < N_ST_DTYPES; i++)
    if (strcmp(dt->valuestring, st_dtypes[i].name) == 0) {
      t->dtype = st_dtypes[i].dt;
      found = 1;
    }
  if (!found)
    return fail(err, DM_EFORMAT, source, nm, "unknown dtype \"%.40s\"", dt->valuestring, 0, 0);
  if (!cJSON_IsArray(sh))
    return fail(err, DM_EFORMAT, source, nm, "missing or non-array \"shape\"%s", "", 0, 0);
  int nd = cJSON_GetArraySize(sh);
  if (nd > DM_ST_MAX_DIMS)
    return fail(err, DM_EFORMAT, source, nm, "%s%llu dimensions (at most 8 supported)", "",
                (unsigned long long)nd, 0);
  t->ndim = nd;
  uint64_t numel = 1;
  int k = 0;
  const cJSON *d;
  cJSON_ArrayForEach(d, sh) {
    uint64_t v;
    if (!json_u53(d, &v))
      return fail(err, DM_EFORMAT, source, nm, "shape entry %s%llu is not a non-negative integer",
                  "", (unsigned long long)k, 0);
    t->shape[k++] = (int64_t)v;
    if (v != 0 && numel > UINT64_MAX / v)
      return fail(err, DM_EFORMAT, source, nm, "shape product overflows%s", "", 0, 0);
    numel *= v;
  }
  t->numel = numel;
  if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2)
    return fail(err, DM_EFORMAT, source, nm, "\"data_offsets\" must be [begin, end]%s", "", 0, 0);
  if (!json_u53(cJSON_GetArrayItem(of, 0), &t->begin) ||
      !json_u53(cJSON_GetArrayItem(of, 1), &t->end))
    return fail(err, DM_EFORMAT, source, nm,
                "data_offsets must be non-negative integers (negative offsets would point "
                "into the header)%s", "", 0, 0);
  if (t->begin > t->end)
    return fail(err, DM_EFORMAT, source, nm, "%sdata_offsets begin %llu > end %llu", "",
                (unsigned long long)t->begin, (unsigned long long)t->end);
  if (t->end > data_len)
    return fail(err, DM_EFORMAT, source, nm,
                "%sdata ends at %llu, beyond the data section (%llu bytes): file truncated?",
                "", (unsigned long long)t->end, (unsigned long long)data_len);
  size_t es = dm_st_dtype_size(t->dtype);
  if (numel > UINT64_MAX / es)
    return fail(err, DM_EFORMAT, source, nm, "shape product overflows%s", "", 0, 0);
  if (numel * es != t->end - t->begin)
    return fail(err, DM_EFORMAT, source, nm,
                "%sshape and dtype give %llu bytes but data_offsets span %llu", "",
                (unsigned long long)(numel * es), (unsigned long long)(t->end - t->begin));
  return DM_OK;
}

int dm_st_parse(const uint8_t *buf, size_t len, const char *source, dm_st_file **out,
                dm_error *err) {
  *out = NULL;
  if (len < 8)
    return fail(err, DM_EFORMAT, source, NULL,
                "%sfile is %llu bytes: too short for a safetensors header", "",
                (unsigned long long)len, 0);
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = (hl << 8) | buf[i];
  if (hl > len - 8)
    return fail(err, DM_EFORMAT, source, NULL,
                "%sheader length %llu goes beyond the end of the file (%llu bytes)", "",
                (unsigned long long)hl, (unsigned long long)len);
  if (hl > DM_ST_HEADER_MAX)
    return fail(err, DM_EFORMAT, source, NULL, "%sheader length %llu exceeds the %llu-byte limit",
                "", (unsigned long long)hl, (unsigned long long)DM_ST_HEADER_MAX);
  if (hl < 2 || buf[8] != '{')
    return fail(err, DM_EFORMAT, source, NULL, "header does not start with '{'%s", "", 0, 0);
  const char *txt = (const char *)buf + 8;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(txt, (size_t)hl, &end, 0);
  if (!root) {
    const char *ep = cJSON_GetErrorPtr();
    size_t at = (ep && ep >= txt && ep <= txt + hl) ? (size_t)(ep - txt) : 0;
    dm_error_set_at(err, DM_EFORMAT, txt, (size_t)hl, at, "header is not valid JSON");
    dm_error_set_source(err, source);
    return DM_EFORMAT;
  }
  /* Only padding (spaces, NULs) may follow the object. */
  for (const char *p = end; p && p < txt + hl; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\0') {
      cJSON_Delete(root);
      return fail(err, DM_EFORMAT, source, NULL, "%sgarbage after the header JSON at byte %llu",
                  "", (unsigned long long)(p - txt), 0);
    }
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return fail(err, DM_EFORMAT, source, NULL, "header is not a JSON object%s", "", 0, 0);
  }
  uint64_t data_len = (uint64_t)len - 8 - hl;
  dm_st_file *f = calloc(1, sizeof *f);
  int n = cJSON_GetArraySize(root);
  if (!f || n > DM_ST_MAX_TENSORS) {
    free(f);
    cJSON_Delete(root);
    return f ? fail(err, DM_EFORMAT, source, NULL, "%stoo many header entries (%llu)", "",
                    (unsigned long long)n, 0)
             : dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  f->header_len = hl;
  f->tensors = calloc((size_t)(n ? n : 1), sizeof *f->tensors);
  f->path = strdup(source ? source : "");
  int rc = (f->tensors && f->path) ? DM_OK : DM_ENOMEM;
  if (rc) dm_error_set(err, rc, "out of memory");
  const cJSON *e;
  cJSON_ArrayForEach(e, root) {
    if (rc) break;
    if (!e->string) {
      rc = fail(err, DM_EFORMAT, source, NULL, "header entry without a name%s", "", 0, 0);
      break;
    }
    if (strcmp(e->string, "__metadata__") == 0) {
      if (!cJSON_IsObject(e))
        rc = fail(err, DM_EFORMAT, source, "__metadata__", "must be an object%s", "", 0, 0);
      continue;
    }
    dm_st_tensor *t = &f->tensors[f->n];
    t->name = strdup(e->string);
    if (!t->name) {
      rc = dm_error_set(err, DM_ENOMEM, "out of memory");
      break;
    }
    f->n++;
    rc = parse_entry(e, t, data_len, source, err);
    if (rc == DM_OK) t->data = buf + 8 + hl + t->begin;
  }
  cJSON_Delete(root);
  if (rc == DM_OK && f->n > 1) {
    qsort(f->tensors, (size_t)f->n, sizeof *f->tensors, name_cmp);
    for (int i = 1; i < f->n && rc == DM_OK; i++)
      if (strcmp(f->tensors[i].name, f->tensors[i - 1].name) == 0)
        rc = fail(err, DM_EFORMAT, source, f->tensors[i].name, "duplicate tensor name%s", "", 0, 0);
    /* Data ranges must not overlap (empty tensors take no room). */
    const dm_st_tensor **by = rc ? NULL : malloc((size_t)f->n * sizeof *by);
    if (rc == DM_OK && !by) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    if (by) {
      for (int i = 0; i < f->n; i++) by[i] = &f->tensors[i];
      qsort(by, (size_t)f->n, sizeof *by, off_cmp);
      const dm_st_tensor *prev = NULL;
      for (int i = 0; i < f->n && rc == DM_OK; i++) {
        if (by[i]->begin == by[i]->end) continue;
        if (prev && by[i]->begin < prev->end) {
          char w[DM_ERROR_WHERE_MAX];
          snprintf(w, sizeof w, "%s", by[i]->name);
          rc = fail(err, DM_EFORMAT, source, w, "data overlaps tensor '%.200s' (begin %llu < %llu)",
                    prev->name, (unsigned long long)by[i]->begin, (unsigned long long)prev->end);
        }
        prev = by[i];
      }
      free(by);
    }
  }
  if (rc) {
    dm_st_file_free(f);
    return rc;
  }
  *out = f;
  return DM_OK;
}

const dm_st_tensor *dm_st_find(const dm_st_file *f, const char *name) {
  if (!f || f->n == 0) return NULL;
  dm_st_tensor key;
  memset(&key, 0, sizeof key);
  key.name = (char *)name;
  return bsearch(&key, f->tensors, (size_t)f->n, sizeof key, name_cmp);
}

int dm_st_open(const char *path, dm_st_file **out, dm_error *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int code = errno == ENOENT ? DM_EMODEL : DM_EIO;
    dm_error_set(err, code, "cannot open: %s", strerror(errno));
    dm_error_set_source(err, path);
    return code;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    dm_error_set(err, DM_EMODEL, "not a regular file");
    dm_error_set_source(err, path);
    return DM_EMODEL;
  }
  size_t size = (size_t)st.st_size;
  if (size < 8) {
    close(fd);
    return fail(err, DM_EFORMAT, path, NULL,
                "%sfile is %llu bytes: too short for a safetensors header", "",
                (unsigned long long)size, 0);
  }
  void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    dm_error_set(err, DM_EIO, "mmap failed: %s", strerror(errno));
    dm_error_set_source(err, path);
    return DM_EIO;
  }
  dm_st_file *f = NULL;
  int rc = dm_st_parse(map, size, path, &f, err);
  if (rc) {
    munmap(map, size);
    return rc;
  }
  f->map = map;
  f->size = size;
  /* Tensors whose data is not aligned to their element size get an aligned copy
   * (official writers align; this keeps odd files working without UB). */
  for (int i = 0; i < f->n; i++) {
    dm_st_tensor *t = &f->tensors[i];
    size_t es = dm_st_dtype_size(t->dtype);
    if (t->end == t->begin || ((uintptr_t)t->data % es) == 0) continue;
    void **nc = realloc(f->copies, (size_t)(f->n_copies + 1) * sizeof *nc);
    void *copy = NULL;
    if (nc) f->copies = nc;
    if (!nc || posix_memalign(&copy, 64, (size_t)(t->end - t->begin)) != 0) {
      dm_st_file_free(f);
      return dm_error_set(err, DM_ENOMEM, "out of memory");
    }
    memcpy(copy, t->data, (size_t)(t->end - t->begin));
    f->copies[f->n_copies++] = copy;
    t->data = copy;
    dm_log(DM_LOG_INFO, "%s: tensor %s is misaligned; using an aligned copy", path, t->name);
  }
  *out = f;
  return DM_OK;
}
