/* A model's safetensors files: model.safetensors, or the shards listed by
 * model.safetensors.index.json ("weight_map": {tensor: file}). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "internal.h"

static int tptr_cmp(const void *a, const void *b) {
  return strcmp((*(const dm_st_tensor *const *)a)->name, (*(const dm_st_tensor *const *)b)->name);
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int read_text(const char *path, char **out, size_t *len, dm_error *err);

int dm_st_index_parse(const char *text, size_t len, const char *source, char ***files,
                      int *n_files, dm_error *err) {
  *files = NULL;
  *n_files = 0;
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root) {
    const char *ep = cJSON_GetErrorPtr();
    size_t at = (ep && ep >= text && ep <= text + len) ? (size_t)(ep - text) : 0;
    dm_error_set_at(err, DM_EFORMAT, text, len, at, "index is not valid JSON");
    dm_error_set_source(err, source);
    return DM_EFORMAT;
  }
  const cJSON *wm = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
  int rc = DM_OK;
  if (!cJSON_IsObject(wm)) {
    rc = dm_error_set_named(err, DM_EFORMAT, "/weight_map", "missing or not an object");
    dm_error_set_source(err, source);
    cJSON_Delete(root);
    return rc;
  }
  int n = cJSON_GetArraySize(wm);
  char **names = calloc((size_t)(n ? n : 1), sizeof *names);
  int k = 0;
  if (!names) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
  const cJSON *e;
  cJSON_ArrayForEach(e, wm) {
    if (rc) break;
    if (!cJSON_IsString(e) || !e->valuestring[0] || strchr(e->valuestring, '/') ||
        strcmp(e->valuestring, "..") == 0 || strcmp(e->valuestring, ".") == 0) {
      rc = dm_error_set_named(err, DM_EFORMAT, e->string ? e->string : "",
                              "weight_map entry must be a plain file name in the model directory");
      dm_error_set_source(err, source);
      break;
    }
    int seen = 0;
    for (int i = 0; i < k && !seen; i++) seen = strcmp(names[i], e->valuestring) == 0;
    if (seen) continue;
    names[k] = strdup(e->valuestring);
    if (!names[k]) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    else k++;
  }
  cJSON_Delete(root);
  if (rc == DM_OK && k == 0) {
    rc = dm_error_set_named(err, DM_EFORMAT, "/weight_map", "empty weight_map");
    dm_error_set_source(err, source);
  }
  if (rc) {
    for (int i = 0; i < k; i++) free(names[i]);
    free(names);
    return rc;
  }
  qsort(names, (size_t)k, sizeof *names, str_cmp);
  *files = names;
  *n_files = k;
  return DM_OK;
}

static int read_text(const char *path, char **out, size_t *len, dm_error *err) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    int code = errno == ENOENT ? DM_EMODEL : DM_EIO;
    dm_error_set(err, code, "cannot open: %s", strerror(errno));
    dm_error_set_source(err, path);
    return code;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      if (cap > (64u << 20)) {
        free(buf);
        fclose(fp);
        dm_error_set(err, DM_EFORMAT, "file larger than 64 MiB");
        dm_error_set_source(err, path);
        return DM_EFORMAT;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - n - 1, fp);
    n += r;
    if (r == 0) break;
  }
  int bad = ferror(fp);
  fclose(fp);
  if (!buf) return dm_error_set(err, DM_ENOMEM, "out of memory");
  if (bad) {
    free(buf);
    dm_error_set(err, DM_EIO, "read error");
    dm_error_set_source(err, path);
    return DM_EIO;
  }
  buf[n] = 0;
  *out = buf;
  *len = n;
  return DM_OK;
}

/* Used by the config loader too. */
int dm_read_text_file(const char *path, char **out, size_t *len, dm_error *err) {
  return read_text(path, out, len, err);
}

void dm_st_set_close(dm_st_set *set) {
  for (int i = 0; i < set->n_files; i++) dm_st_file_free(set->files[i]);
  free(set->files);
  free(set->all);
  memset(set, 0, sizeof *set);
}

static int add_file(dm_st_set *set, const char *path, dm_error *err) {
  dm_st_file **nf = realloc(set->files, (size_t)(set->n_files + 1) * sizeof *nf);
  if (!nf) return dm_error_set(err, DM_ENOMEM, "out of memory");
  set->files = nf;
  dm_st_file *f = NULL;
  int rc = dm_st_open(path, &f, err);
  if (rc) return rc;
  for (int i = 0; i < f->n; i++) f->tensors[i].file = set->n_files;
  set->files[set->n_files++] = f;
  return DM_OK;
}

/* One table of all tensors; a name in two files is an error. */
static int index_all(dm_st_set *set, dm_error *err) {
  int rc = DM_OK;
  {
    int total = 0;
    for (int i = 0; i < set->n_files; i++) total += set->files[i]->n;
    set->all = malloc((size_t)(total ? total : 1) * sizeof *set->all);
    if (!set->all) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    for (int i = 0; rc == DM_OK && i < set->n_files; i++)
      for (int j = 0; j < set->files[i]->n; j++) set->all[set->n_all++] = &set->files[i]->tensors[j];
    if (rc == DM_OK) qsort(set->all, (size_t)set->n_all, sizeof *set->all, tptr_cmp);
    for (int i = 1; rc == DM_OK && i < set->n_all; i++)
      if (strcmp(set->all[i]->name, set->all[i - 1]->name) == 0) {
        rc = dm_error_set_named(err, DM_ETENSOR, set->all[i]->name,
                                "tensor appears in two files (also in %s)",
                                set->files[set->all[i - 1]->file]->path);
        dm_error_set_source(err, set->files[set->all[i]->file]->path);
      }
  }
  return rc;
}

int dm_st_set_adopt(dm_st_set *set, dm_st_file *f, dm_error *err) {
  memset(set, 0, sizeof *set);
  set->files = malloc(sizeof *set->files);
  if (!set->files) {
    dm_st_file_free(f);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  set->files[0] = f;
  set->n_files = 1;
  int rc = index_all(set, err);
  if (rc) dm_st_set_close(set);
  return rc;
}

int dm_st_set_open(const char *dir, dm_st_set *set, dm_error *err) {
  memset(set, 0, sizeof *set);
  char path[4096];
  struct stat st;
  snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
  int rc = DM_OK;
  if (stat(path, &st) == 0) {
    char *text = NULL;
    size_t len = 0;
    rc = read_text(path, &text, &len, err);
    char **names = NULL;
    int n = 0;
    if (rc == DM_OK) rc = dm_st_index_parse(text, len, path, &names, &n, err);
    for (int i = 0; i < n; i++) {
      char p2[4096];
      snprintf(p2, sizeof p2, "%s/%s", dir, names[i]);
      if (rc == DM_OK) rc = add_file(set, p2, err);
    }
    /* Every tensor the index lists must be in the shard it names. */
    cJSON *root = rc == DM_OK ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *e, *wm = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    cJSON_ArrayForEach(e, wm) {
      if (rc) break;
      int k = 0;
      while (k < n && strcmp(names[k], e->valuestring) != 0) k++;
      if (k < n && !dm_st_find(set->files[k], e->string)) {
        rc = dm_error_set_named(err, DM_ETENSOR, e->string,
                                "listed in model.safetensors.index.json but missing from this shard");
        dm_error_set_source(err, set->files[k]->path);
      }
    }
    cJSON_Delete(root);
    free(text);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
  } else {
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (stat(path, &st) != 0) {
      dm_error_set(err, DM_EMODEL, "no model.safetensors or model.safetensors.index.json");
      dm_error_set_source(err, dir);
      return DM_EMODEL;
    }
    rc = add_file(set, path, err);
  }
  if (rc == DM_OK) rc = index_all(set, err);
  if (rc) dm_st_set_close(set);
  return rc;
}

const dm_st_tensor *dm_st_set_find(const dm_st_set *set, const char *name) {
  if (set->n_all == 0) return NULL;
  dm_st_tensor key;
  memset(&key, 0, sizeof key);
  key.name = (char *)name;
  const dm_st_tensor *kp = &key;
  const dm_st_tensor *const *r = bsearch(&kp, set->all, (size_t)set->n_all, sizeof *set->all, tptr_cmp);
  return r ? *r : NULL;
}
