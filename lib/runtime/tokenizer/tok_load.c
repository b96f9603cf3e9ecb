/* Loading a tokenizer: files (tokenizer.json, or the slow layout of tok_slow.c),
 * the cut of the big vocab/merges for tok_json.c, cJSON for the rest, the order of
 * the steps (components, model, view, added tokens, config), freeing. The parts are
 * parsed by their own files: tok_model.c, tok_config.c, tok_normalize.c,
 * tok_pretok.c, tok_decode.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tok_internal.h"

/* Read a whole file into a new NUL-terminated buffer (caller frees). */
static int read_file(const char *path, char **out, size_t *len, dm_error *err) {
  *out = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    dm_error_set(err, e == ENOENT ? DM_ENOENT : DM_EIO, "cannot open: %s", strerror(e));
    dm_error_set_source(err, path);
    return err ? err->code : (e == ENOENT ? DM_ENOENT : DM_EIO);
  }
  tk_buf b = {0};
  char chunk[1 << 16];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (tk_buf_put(&b, chunk, n)) {
      fclose(f);
      tk_buf_free(&b);
      return dm_error_set(err, DM_ENOMEM, "out of memory reading %s", path);
    }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    tk_buf_free(&b);
    dm_error_set(err, DM_EIO, "read error");
    dm_error_set_source(err, path);
    return DM_EIO;
  }
  if (!b.p && tk_buf_put(&b, "", 0)) return DM_ENOMEM;
  *out = b.p;
  *len = b.len;
  return 0;
}

static cJSON *parse_json(const char *text, size_t len, const char *source, dm_error *err) {
  cJSON *j = cJSON_ParseWithLength(text, len);
  if (!j) {
    const char *ep = cJSON_GetErrorPtr();
    size_t off = ep && ep >= text && ep <= text + len ? (size_t)(ep - text) : 0;
    dm_error_set_at(err, DM_EFORMAT, text, len, off, "not valid JSON (truncated or corrupt)");
    dm_error_set_source(err, source);
  }
  return j;
}

void dm_tokenizer_free(dm_tokenizer *t) {
  if (!t) return;
  tk_buf_free(&t->pool);
  free(t->piece_off);
  free(t->piece_len);
  free(t->bytes_off);
  free(t->bytes_len);
  free(t->key_off);
  free(t->key_len);
  free(t->flags);
  tk_strmap_free(&t->piece_map);
  tk_strmap_free(&t->model_map);
  tk_pairmap_free(&t->merges);
  tk_components_free(t);
  free(t->added);
  free(t->chat_default_system);
  free(t->bos_text);
  if (t->cache) {
    pthread_mutex_destroy(&t->cache->lock);
    free(t->cache);
  }
  free(t);
}

void tk_components_free(dm_tokenizer *t) {
  for (size_t i = 0; i < t->n_norms; i++) {
    free(t->norms[i].a);
    free(t->norms[i].b);
    if (t->norms[i].re) pcre2_code_free(t->norms[i].re);
  }
  for (size_t i = 0; i < t->n_pres; i++)
    if (t->pres[i].re) pcre2_code_free(t->pres[i].re);
  for (size_t i = 0; i < t->n_decs; i++) {
    free(t->decs[i].a);
    free(t->decs[i].b);
  }
  free(t->norms);
  free(t->pres);
  free(t->decs);
  t->norms = NULL;
  t->pres = NULL;
  t->decs = NULL;
  t->n_norms = t->n_pres = t->n_decs = 0;
}

int dm_tokenizer_load_json(const char *json, size_t len, const char *config, size_t config_len,
                           const char *source, dm_tokenizer **out, dm_error *err) {
  if (out) *out = NULL;
  if (!json || !out) return dm_error_set(err, DM_EINVAL, "dm_tokenizer_load_json: NULL argument");
  const char *src = source ? source : "tokenizer.json";
  /* cut model.vocab and model.merges out of the text (read by tok_json.c); cJSON
   * parses the rest */
  model_src ms = {json, len, {0, 0}, {0, 0}};
  tk_json_model_spans(json, len, &ms.vocab, &ms.merges);
  tk_buf reduced = {0};
  const char *ptext = json;
  size_t plen = len;
  if (ms.vocab.len || ms.merges.len) {
    tk_span cut[2] = {ms.vocab, ms.merges};
    if (cut[0].len && cut[1].len && cut[1].off < cut[0].off) {
      tk_span x = cut[0];
      cut[0] = cut[1];
      cut[1] = x;
    }
    size_t pos = 0;
    int bad = 0;
    for (int k = 0; k < 2; k++) {
      if (!cut[k].len) continue;
      const char *empty = json[cut[k].off] == '{' ? "{}" : "[]";
      bad |= tk_buf_put(&reduced, json + pos, cut[k].off - pos) || tk_buf_put(&reduced, empty, 2);
      pos = cut[k].off + cut[k].len;
    }
    bad |= tk_buf_put(&reduced, json + pos, len - pos);
    if (bad) {
      tk_buf_free(&reduced);
      return dm_error_set(err, DM_ENOMEM, "out of memory");
    }
    ptext = reduced.p;
    plen = reduced.len;
  }
  cJSON *root = parse_json(ptext, plen, src, err);
  tk_buf_free(&reduced);
  if (!root) {
    if (ptext != json && err) { /* report the error at its place in the real text */
      cJSON *again = parse_json(json, len, src, err);
      cJSON_Delete(again);
    }
    return DM_EFORMAT;
  }
  cJSON *cfg = NULL;
  dm_tokenizer *t = calloc(1, sizeof *t);
  int rc = 0;
  /* the pool holds the pieces, their raw bytes and the view: about twice the
   * vocab's text; a hint only (the pool grows when needed) */
  if (t) t->pool_hint = (ms.vocab.len ? 2 * ms.vocab.len : len + len / 2) + 65536;
  if (!t) {
    rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    goto done;
  }
  if (!cJSON_IsObject(root)) {
    rc = dm_error_set_named(err, DM_EFORMAT, "/", "expected a JSON object");
    goto fail;
  }
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
  if (!model) {
    rc = dm_error_set_named(err, DM_EFORMAT, "/model", "missing");
    goto fail;
  }
  if ((rc = tk_parse_normalizer(t, cJSON_GetObjectItemCaseSensitive(root, "normalizer"), "/normalizer", err)) ||
      (rc = tk_parse_pre_tokenizer(t, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), "/pre_tokenizer", err)) ||
      (rc = tk_parse_decoder(t, cJSON_GetObjectItemCaseSensitive(root, "decoder"), "/decoder", err)) ||
      (rc = tk_parse_model(t, model, cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), &ms, err)))
    goto fail;
  if ((rc = tk_build_view(t, err))) goto fail;
  t->cache = calloc(1, sizeof *t->cache);
  if (!t->cache || pthread_mutex_init(&t->cache->lock, NULL) != 0) {
    free(t->cache);
    t->cache = NULL;
    rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = tk_added_prepare(t))) goto fail;
  if (config) {
    cfg = parse_json(config, config_len, "tokenizer_config.json", err);
    if (!cfg) {
      rc = DM_EFORMAT;
      goto fail;
    }
  }
  if ((rc = tk_apply_config(t, cfg, err))) {
    dm_error_set_source(err, "tokenizer_config.json");
    goto fail;
  }
  *out = t;
  goto done;
fail:
  if (err && !err->source[0]) dm_error_set_source(err, src);
  if (rc == 0) rc = DM_EINTERNAL;
  if (err && err->code != rc) dm_error_set(err, rc, "%s", dm_strerror(rc));
  dm_tokenizer_free(t);
done:
  cJSON_Delete(root);
  cJSON_Delete(cfg);
  return rc;
}

int tk_slow_to_json(const char *vocab, size_t vlen, const char *merges, size_t mlen, const char *cfg_text,
                    size_t cfg_len, const char *added, size_t alen, tk_buf *out, dm_error *err);

/* A directory without tokenizer.json: vocab.json + merges.txt (tok_slow.c);
 * DM_ENOENT naming tokenizer.json when those are missing too. */
static int load_slow(const char *dir, dm_tokenizer **out, dm_error *err) {
  const char *names[] = {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"};
  char *text[4] = {NULL, NULL, NULL, NULL};
  size_t len[4] = {0, 0, 0, 0};
  size_t dl = strlen(dir);
  char *p = malloc(dl + 32);
  if (!p) return dm_error_set(err, DM_ENOMEM, "out of memory");
  int rc = 0;
  struct stat st;
  snprintf(p, dl + 32, "%s/vocab.json", dir);
  int have_vocab = stat(p, &st) == 0;
  snprintf(p, dl + 32, "%s/merges.txt", dir);
  if (!have_vocab || stat(p, &st) != 0) {
    snprintf(p, dl + 32, "%s/tokenizer.json", dir);
    dm_error_set(err, DM_ENOENT, "no tokenizer.json (nor vocab.json + merges.txt) in the directory");
    dm_error_set_source(err, p);
    free(p);
    return DM_ENOENT;
  }
  for (int k = 0; k < 4 && !rc; k++) {
    snprintf(p, dl + 32, "%s/%s", dir, names[k]);
    if (k == 3 && stat(p, &st) != 0) break; /* added_tokens.json is optional */
    rc = read_file(p, &text[k], &len[k], err);
  }
  tk_buf json = {0};
  if (!rc) {
    rc = tk_slow_to_json(text[0], len[0], text[1], len[1], text[2], len[2], text[3], len[3], &json, err);
    if (rc && err && err->source[0] && !strchr(err->source, '/')) {
      snprintf(p, dl + 32, "%s/%s", dir, err->source);
      dm_error_set_source(err, p);
    }
  }
  if (!rc) {
    char *src = malloc(dl + 64);
    if (src) snprintf(src, dl + 64, "%s/vocab.json + merges.txt", dir);
    rc = dm_tokenizer_load_json(json.p, json.len, text[2], len[2], src ? src : dir, out, err);
    free(src);
  }
  tk_buf_free(&json);
  for (int k = 0; k < 4; k++) free(text[k]);
  free(p);
  return rc;
}

int dm_tokenizer_load(const char *path, dm_tokenizer **out, dm_error *err) {
  if (out) *out = NULL;
  if (!path || !out) return dm_error_set(err, DM_EINVAL, "dm_tokenizer_load: NULL argument");
  struct stat st;
  char *json_path, *cfg_path;
  size_t pl = strlen(path);
  json_path = malloc(pl + 32);
  cfg_path = malloc(pl + 32);
  if (!json_path || !cfg_path) {
    free(json_path);
    free(cfg_path);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  if (is_dir) {
    snprintf(json_path, pl + 32, "%s/tokenizer.json", path);
    snprintf(cfg_path, pl + 32, "%s/tokenizer_config.json", path);
  } else {
    strcpy(json_path, path);
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(cfg_path, pl + 32, "%.*s/tokenizer_config.json", (int)(slash - path), path);
    else strcpy(cfg_path, "tokenizer_config.json");
  }
  char *json = NULL, *cfg = NULL;
  size_t jl = 0, cl = 0;
  int rc;
  if (is_dir && stat(json_path, &st) != 0) {
    rc = load_slow(path, out, err);
    free(json_path);
    free(cfg_path);
    return rc;
  }
  rc = read_file(json_path, &json, &jl, err);
  if (!rc && stat(cfg_path, &st) == 0) rc = read_file(cfg_path, &cfg, &cl, err);
  if (!rc) {
    rc = dm_tokenizer_load_json(json, jl, cfg, cl, json_path, out, err);
    if (rc && err && strcmp(err->source, "tokenizer_config.json") == 0) dm_error_set_source(err, cfg_path);
  }
  free(json);
  free(cfg);
  free(json_path);
  free(cfg_path);
  return rc;
}
