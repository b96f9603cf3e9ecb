/* Loading tokenizer.json (+ tokenizer_config.json): files, JSON, vocabulary, merges,
 * added tokens, special tokens; the components are parsed by their own files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tok_internal.h"

#define TK_MAX_IDS (1 << 24)

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

static int get_flag(const cJSON *o, const char *key) {
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int parse_added(dm_tokenizer *t, const cJSON *arr, dm_error *err) {
  if (!arr || cJSON_IsNull(arr)) return 0;
  if (!cJSON_IsArray(arr)) return dm_error_set_named(err, DM_EFORMAT, "/added_tokens", "expected an array");
  size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
  t->added = calloc(n ? n : 1, sizeof *t->added);
  if (!t->added) return DM_ENOMEM;
  for (const cJSON *e = arr->child; e; e = e->next, i++) {
    char p[64];
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "content");
    if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble >= TK_MAX_IDS ||
        id->valuedouble != (double)(int32_t)id->valuedouble) {
      snprintf(p, sizeof p, "/added_tokens/%zu/id", i);
      return dm_error_set_named(err, DM_EFORMAT, p, "expected an id in [0, %d)", TK_MAX_IDS);
    }
    if (!cJSON_IsString(c) || !c->valuestring[0]) {
      snprintf(p, sizeof p, "/added_tokens/%zu/content", i);
      return dm_error_set_named(err, DM_EFORMAT, p, "expected a non-empty string");
    }
    tk_added *a = &t->added[i];
    a->id = (int32_t)id->valuedouble;
    a->len = (uint32_t)strlen(c->valuestring);
    uint32_t off = tk_pool_add(t, c->valuestring, a->len);
    if (off == UINT32_MAX) return DM_ENOMEM;
    a->off = off;
    a->special = (unsigned char)get_flag(e, "special");
    a->lstrip = (unsigned char)get_flag(e, "lstrip");
    a->rstrip = (unsigned char)get_flag(e, "rstrip");
    a->single_word = (unsigned char)get_flag(e, "single_word");
    a->normalized = (unsigned char)get_flag(e, "normalized");
  }
  t->n_added = n;
  return 0;
}

/* Piece of a merge entry: "a b" or ["a", "b"]. */
static int merge_parts(const cJSON *m, const char **a, size_t *al, const char **b, size_t *bl) {
  if (cJSON_IsString(m)) {
    const char *s = m->valuestring, *sp = strchr(s, ' ');
    if (!sp || sp == s || !sp[1]) return -1;
    *a = s;
    *al = (size_t)(sp - s);
    *b = sp + 1;
    *bl = strlen(sp + 1);
    return 0;
  }
  if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
      cJSON_IsString(m->child->next)) {
    *a = m->child->valuestring;
    *al = strlen(*a);
    *b = m->child->next->valuestring;
    *bl = strlen(*b);
    return 0;
  }
  return -1;
}

/* Where the model's vocab and merges are: cJSON nodes, or spans of the text read by
 * tok_json.c. */
typedef struct model_src {
  const char *text;
  size_t len;
  tk_span vocab, merges; /* len 0: not cut out, use the cJSON nodes */
} model_src;

typedef struct ventry {
  int32_t id;
  uint32_t off, len;
} ventry;

typedef struct vctx {
  dm_tokenizer *t;
  const model_src *src;
  ventry *v;
  size_t n, cap;
  int32_t max_id;
  dm_error *err;
} vctx;

static int vocab_add(void *ctx, const char *key, size_t kn, long id, size_t at) {
  vctx *c = ctx;
  if (id < 0 || id >= TK_MAX_IDS) {
    char p[DM_ERROR_WHERE_MAX];
    snprintf(p, sizeof p, "/model/vocab/%.200s", key);
    (void)at;
    return dm_error_set_named(c->err, DM_EFORMAT, p, "expected an id in [0, %d)", TK_MAX_IDS);
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    ventry *v = realloc(c->v, cap * sizeof *v);
    if (!v) return DM_ENOMEM;
    c->v = v;
    c->cap = cap;
  }
  uint32_t off = tk_pool_add(c->t, key, kn);
  if (off == UINT32_MAX) return DM_ENOMEM;
  c->v[c->n].id = (int32_t)id;
  c->v[c->n].off = off;
  c->v[c->n].len = (uint32_t)kn;
  c->n++;
  if ((int32_t)id > c->max_id) c->max_id = (int32_t)id;
  return 0;
}

typedef struct mctx {
  dm_tokenizer *t;
  tk_buf cat;
  const model_src *src;
  dm_error *err;
} mctx;

static int merge_add(void *ctx, const char *a, size_t al, const char *b, size_t bl, size_t rank,
                     size_t at) {
  mctx *c = ctx;
  dm_tokenizer *t = c->t;
  int32_t ia = tk_piece_lookup(t, a, al), ib = tk_piece_lookup(t, b, bl), im;
  if (b == a + al) { /* ["a", "b"] read back to back: the concatenation is there */
    im = tk_piece_lookup(t, a, al + bl);
  } else {
    c->cat.len = 0;
    if (tk_buf_put(&c->cat, a, al) || tk_buf_put(&c->cat, b, bl)) return DM_ENOMEM;
    im = tk_piece_lookup(t, c->cat.p, c->cat.len);
  }
  if (ia < 0 || ib < 0 || im < 0) {
    char p[64];
    snprintf(p, sizeof p, "/model/merges/%zu", rank);
    const char *which = ia < 0 ? a : ib < 0 ? b : NULL;
    size_t wl = ia < 0 ? al : bl;
    if (which)
      dm_error_set_named(c->err, DM_ETOKENIZER, p, "merge refers to unknown token \"%.*s\"",
                         (int)(wl > 100 ? 100 : wl), which);
    else
      dm_error_set_named(c->err, DM_ETOKENIZER, p, "merge result \"%.*s%.*s\" is not in the vocabulary",
                         (int)(al > 50 ? 50 : al), a, (int)(bl > 50 ? 50 : bl), b);
    (void)at;
    return DM_ETOKENIZER;
  }
  tk_pairmap_put(&t->merges, ia, ib, (int32_t)rank, im);
  t->n_merges = (int32_t)rank + 1;
  return 0;
}

/* Report a syntax error of the scanner (-1) or a wrong shape (-2) at text offset. */
static int scan_error(const model_src *src, int rc, size_t at, const char *ptr, dm_error *err) {
  if (rc > -3) {
    dm_error_set_at(err, DM_EFORMAT, src->text, src->len, at, "%s: %s", ptr,
                    rc == -1 ? "not valid JSON (truncated or corrupt)"
                             : strcmp(ptr, "/model/vocab") == 0 ? "expected {piece: id} with integer ids"
                                                                : "expected \"a b\" or [\"a\", \"b\"]");
    return DM_EFORMAT;
  }
  return rc;
}

static int parse_model(dm_tokenizer *t, const cJSON *model, const cJSON *added, const model_src *src,
                       dm_error *err) {
  if (!cJSON_IsObject(model)) return dm_error_set_named(err, DM_EFORMAT, "/model", "expected an object");
  const cJSON *ty = cJSON_GetObjectItemCaseSensitive(model, "type");
  if (ty && !cJSON_IsString(ty)) return dm_error_set_named(err, DM_EFORMAT, "/model/type", "expected a string");
  if (ty && strcmp(ty->valuestring, "BPE") != 0)
    return dm_error_set_named(err, DM_EUNSUPPORTED, "/model/type",
                              "unsupported model type \"%s\" (only BPE is implemented)", ty->valuestring);
  const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
  const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
  if (!cJSON_IsObject(vocab)) return dm_error_set_named(err, DM_EFORMAT, "/model/vocab", "expected an object {piece: id}");
  if (!ty && !cJSON_IsArray(merges))
    return dm_error_set_named(err, DM_EUNSUPPORTED, "/model/type", "missing model type");
  if (merges && !cJSON_IsArray(merges))
    return dm_error_set_named(err, DM_EFORMAT, "/model/merges", "expected an array");
  const cJSON *v;
  if ((v = cJSON_GetObjectItemCaseSensitive(model, "dropout")) && cJSON_IsNumber(v) && v->valuedouble > 0)
    return dm_error_set_named(err, DM_EUNSUPPORTED, "/model/dropout", "BPE dropout is not supported");
  const char *strs[] = {"continuing_subword_prefix", "end_of_word_suffix"};
  for (int k = 0; k < 2; k++)
    if ((v = cJSON_GetObjectItemCaseSensitive(model, strs[k])) && cJSON_IsString(v) && v->valuestring[0]) {
      char p[64];
      snprintf(p, sizeof p, "/model/%s", strs[k]);
      return dm_error_set_named(err, DM_EUNSUPPORTED, p, "a non-empty %s is not supported", strs[k]);
    }
  t->byte_fallback = get_flag(model, "byte_fallback");
  t->fuse_unk = get_flag(model, "fuse_unk");
  t->ignore_merges = get_flag(model, "ignore_merges");

  int rc;
  if ((rc = parse_added(t, added, err))) return rc;
  /* all strings of the pool come from the JSON text: reserve once */
  if (tk_buf_reserve(&t->pool, t->pool_hint)) return DM_ENOMEM;

  /* vocabulary entries, in the pool */
  vctx vc = {t, src, NULL, 0, 0, -1, err};
  tk_buf scratch = {0};
  if (src->vocab.len) {
    size_t bad = 0;
    rc = tk_json_vocab(src->text, src->vocab, &scratch, vocab_add, &vc, &bad);
    if (rc) rc = scan_error(src, rc, bad, "/model/vocab", err);
  } else {
    for (const cJSON *e = vocab->child; e && !rc; e = e->next) {
      const char *key = e->string ? e->string : "";
      long id = cJSON_IsNumber(e) && e->valuedouble == (double)(long)e->valuedouble ? (long)e->valuedouble : -1;
      rc = vocab_add(&vc, key, strlen(key), id, 0);
    }
  }
  if (rc) {
    free(vc.v);
    tk_buf_free(&scratch);
    return rc;
  }
  int32_t max_id = vc.max_id;
  size_t nv = vc.n;
  for (size_t i = 0; i < t->n_added; i++)
    if (t->added[i].id > max_id) max_id = t->added[i].id;
  t->n_ids = max_id + 1;
  size_t ni = (size_t)(t->n_ids > 0 ? t->n_ids : 1);
  t->piece_off = malloc(ni * sizeof *t->piece_off);
  t->piece_len = calloc(ni, sizeof *t->piece_len);
  t->flags = malloc(ni);
  uint32_t empty = tk_pool_add(t, "", 0);
  if (!t->piece_off || !t->piece_len || !t->flags || empty == UINT32_MAX) {
    free(vc.v);
    tk_buf_free(&scratch);
    return DM_ENOMEM;
  }
  for (size_t i = 0; i < ni; i++) {
    t->piece_off[i] = empty;
    t->flags[i] = DM_TOKEN_UNUSED;
  }
  for (size_t k = 0; k < nv; k++) {
    int32_t id = vc.v[k].id;
    if (!(t->flags[id] & DM_TOKEN_UNUSED)) {
      char p[DM_ERROR_WHERE_MAX];
      snprintf(p, sizeof p, "/model/vocab/%.200s", tk_pool_str(t, vc.v[k].off));
      free(vc.v);
      tk_buf_free(&scratch);
      return dm_error_set_named(err, DM_ETOKENIZER, p, "id %d is used twice", id);
    }
    t->piece_off[id] = vc.v[k].off;
    t->piece_len[id] = vc.v[k].len;
    t->flags[id] = 0;
  }
  for (size_t i = 0; i < t->n_added; i++) {
    tk_added *a = &t->added[i];
    t->piece_off[a->id] = a->off;
    t->piece_len[a->id] = a->len;
    t->flags[a->id] = DM_TOKEN_ADDED | (a->special ? DM_TOKEN_SPECIAL | DM_TOKEN_CONTROL : 0);
  }

  /* maps */
  /* A byte-level model without ignore_merges never looks whole words up: it needs
   * no model map (its 256 byte tokens are found by piece below). */
  int need_model_map = !t->byte_level || t->ignore_merges;
  if ((rc = tk_strmap_init(&t->piece_map, ni)) || (need_model_map && (rc = tk_strmap_init(&t->model_map, nv)))) {
    free(vc.v);
    tk_buf_free(&scratch);
    return rc;
  }
  for (size_t i = 0; i < t->n_added; i++) tk_piece_insert(t, t->added[i].id);
  t->map_by_bytes = t->byte_level;
  if (t->byte_level) {
    t->key_off = malloc(ni * sizeof *t->key_off);
    t->key_len = calloc(ni, sizeof *t->key_len);
    if (!t->key_off || !t->key_len) {
      free(vc.v);
      tk_buf_free(&scratch);
      return DM_ENOMEM;
    }
  }
  for (size_t k = 0; k < nv; k++) {
    int32_t id = vc.v[k].id;
    if (tk_piece_insert(t, id) >= 0 && (t->flags[id] & DM_TOKEN_ADDED)) continue;
    if (t->byte_level) {
      /* the raw bytes of a byte-level piece; a piece with a character outside the
       * byte map can never come out of the model */
      size_t n = t->piece_len[id], adv;
      int ok = 1;
      scratch.len = 0;
      if (tk_buf_reserve(&scratch, n + 1)) {
        free(vc.v);
        return DM_ENOMEM;
      }
      const char *s = tk_pool_str(t, t->piece_off[id]);
      for (size_t q = 0; q < n && ok; q += adv) {
        int b = tk_cp_to_byte(tk_utf8_decode(s + q, n - q, &adv));
        if (b < 0) ok = 0;
        else scratch.p[scratch.len++] = (char)b;
      }
      if (!ok || scratch.len == 0) continue;
      uint32_t off = tk_pool_add(t, scratch.p, scratch.len);
      if (off == UINT32_MAX) {
        free(vc.v);
        tk_buf_free(&scratch);
        return DM_ENOMEM;
      }
      t->key_off[id] = off;
      t->key_len[id] = (uint32_t)scratch.len;
    }
    if (need_model_map) tk_model_insert(t, id);
  }
  free(vc.v);

  for (int b = 0; b < 256; b++) {
    char hex[8];
    t->byte_id[b] = -1;
    if (t->byte_level) {
      char u[4];
      size_t ul = tk_utf8_encode(tk_byte_to_cp((unsigned char)b), u);
      int32_t id = tk_piece_lookup(t, u, ul);
      if (id >= 0 && !(t->flags[id] & DM_TOKEN_ADDED)) t->byte_id[b] = id;
    }
    snprintf(hex, sizeof hex, "<0x%02X>", b);
    t->fallback_id[b] = -1;
    if (t->byte_fallback) {
      int32_t id = tk_piece_lookup(t, hex, 6);
      if (id >= 0) {
        t->fallback_id[b] = id;
        t->flags[id] |= DM_TOKEN_BYTE_FALLBACK;
      }
    }
  }
  t->unk_id = -1;
  const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
  if (cJSON_IsString(unk)) {
    t->unk_id = tk_piece_lookup(t, unk->valuestring, strlen(unk->valuestring));
    if (t->unk_id < 0) {
      tk_buf_free(&scratch);
      return dm_error_set_named(err, DM_ETOKENIZER, "/model/unk_token", "unk_token \"%.100s\" is not in the vocabulary",
                                unk->valuestring);
    }
    t->flags[t->unk_id] |= DM_TOKEN_UNK;
  }

  /* merges: pair of ids -> (rank, id of the concatenation) */
  size_t nm = src->merges.len ? src->merges.len / 8 : merges ? (size_t)cJSON_GetArraySize(merges) : 0;
  if ((rc = tk_pairmap_init(&t->merges, nm))) {
    tk_buf_free(&scratch);
    return rc;
  }
  mctx mc = {t, {0}, src, err};
  size_t rank = 0;
  if (src->merges.len) {
    size_t bad = 0;
    rc = tk_json_merges(src->text, src->merges, &scratch, merge_add, &mc, &bad);
    if (rc) rc = scan_error(src, rc, bad, "/model/merges", err);
  } else {
    for (const cJSON *m = merges ? merges->child : NULL; m && !rc; m = m->next, rank++) {
      const char *a, *b;
      size_t al, bl;
      if (merge_parts(m, &a, &al, &b, &bl)) {
        char p[64];
        snprintf(p, sizeof p, "/model/merges/%zu", rank);
        rc = dm_error_set_named(err, DM_EFORMAT, p, "expected \"a b\" or [\"a\", \"b\"]");
        break;
      }
      rc = merge_add(&mc, a, al, b, bl, rank, 0);
    }
  }
  tk_buf_free(&mc.cat);
  tk_buf_free(&scratch);
  return rc;
}

/* "bos_token": "<s>" or {"content": "<s>", ...} */
static int32_t config_token(const dm_tokenizer *t, const cJSON *cfg, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
  if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
  if (!cJSON_IsString(v)) return -1;
  return tk_piece_lookup(t, v->valuestring, strlen(v->valuestring));
}

static int apply_config(dm_tokenizer *t, const cJSON *cfg, dm_error *err) {
  for (int i = 0; i < 6; i++) t->special_ids[i] = -1;
  t->special_ids[DM_SPECIAL_UNK] = t->unk_id;
  if (cfg && !cJSON_IsObject(cfg)) return dm_error_set_named(err, DM_EFORMAT, "/", "expected an object");
  if (cfg) {
    t->special_ids[DM_SPECIAL_BOS] = config_token(t, cfg, "bos_token");
    t->special_ids[DM_SPECIAL_EOS] = config_token(t, cfg, "eos_token");
    t->special_ids[DM_SPECIAL_PAD] = config_token(t, cfg, "pad_token");
    int32_t u = config_token(t, cfg, "unk_token");
    if (u >= 0) t->special_ids[DM_SPECIAL_UNK] = u;
    t->special_ids[DM_SPECIAL_MASK] = config_token(t, cfg, "mask_token");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(cfg, "chat_template");
    if (cJSON_IsArray(ct)) { /* [{name, template}]: use "default" */
      const cJSON *pick = NULL;
      for (const cJSON *e = ct->child; e; e = e->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, "default") == 0) pick = e;
      }
      ct = pick ? cJSON_GetObjectItemCaseSensitive(pick, "template") : NULL;
    }
    if (cJSON_IsString(ct)) tk_chat_detect(t, ct->valuestring);
    const cJSON *bos = cJSON_GetObjectItemCaseSensitive(cfg, "bos_token");
    if (cJSON_IsObject(bos)) bos = cJSON_GetObjectItemCaseSensitive(bos, "content");
    if (cJSON_IsString(bos) && !(t->bos_text = strdup(bos->valuestring))) return DM_ENOMEM;
  }
  if (t->special_ids[DM_SPECIAL_MASK] < 0) {
    const char *cands[] = {"<|mdm_mask|>", "<|mask|>", "[MASK]", "<mask>"};
    for (int i = 0; i < 4 && t->special_ids[DM_SPECIAL_MASK] < 0; i++)
      t->special_ids[DM_SPECIAL_MASK] = tk_piece_lookup(t, cands[i], strlen(cands[i]));
  }
  const char *eot = t->chat == DM_CHAT_CHATML ? "<|im_end|>" : t->chat == DM_CHAT_LLAMA3 ? "<|eot_id|>" : NULL;
  if (eot) t->special_ids[DM_SPECIAL_EOT] = tk_piece_lookup(t, eot, strlen(eot));
  return 0;
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
      (rc = parse_model(t, model, cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), &ms, err)))
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
  if ((rc = apply_config(t, cfg, err))) {
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
