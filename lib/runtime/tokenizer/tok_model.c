/* The BPE model of tokenizer.json: added tokens, vocabulary (ids, pieces, the raw
 * bytes of byte-level pieces, the maps), byte and byte-fallback tokens, unk, merges.
 * The big vocab and merges come from tok_json.c's scanner when they were cut out of
 * the text, else from the cJSON tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

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

int tk_parse_model(dm_tokenizer *t, const cJSON *model, const cJSON *added, const model_src *src,
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
