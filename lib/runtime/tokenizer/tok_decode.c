/* Decoders (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence) and
 * the vocabulary view built from them.
 *
 * A decoder chain works on a list of byte strings (tokens), each stage giving a new
 * list, as in Hugging Face. Added tokens enter as their content and are left alone
 * by ByteLevel's byte map. In "middle" mode (the vocabulary view) the effects that
 * depend on a token being first are off: Metaspace's removal of the first token's
 * prefix space, a Strip that follows a Fuse (it strips the whole text's ends), and
 * ByteFallback gives the raw byte even when it is not valid UTF-8 alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

int tk_parse_metaspace(const cJSON *j, const char *ptr, char repl[8], int *prepend, int *split,
                       dm_error *err);

/* ------------------------------------------------------------------ parsing */

static int add_dec(dm_tokenizer *t, const tk_dec *d) {
  tk_dec *v = realloc(t->decs, (t->n_decs + 1) * sizeof *v);
  if (!v) return DM_ENOMEM;
  t->decs = v;
  t->decs[t->n_decs++] = *d;
  return 0;
}

int tk_parse_decoder(dm_tokenizer *t, const cJSON *j, const char *ptr, dm_error *err) {
  if (!j || cJSON_IsNull(j)) return 0;
  char p[DM_ERROR_WHERE_MAX];
  if (!cJSON_IsObject(j)) return dm_error_set_named(err, DM_EFORMAT, ptr, "expected an object");
  const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type");
  if (!cJSON_IsString(ty)) {
    snprintf(p, sizeof p, "%s/type", ptr);
    return dm_error_set_named(err, DM_EFORMAT, p, "expected a string");
  }
  const char *type = ty->valuestring;
  tk_dec d;
  memset(&d, 0, sizeof d);
  int rc;
  if (strcmp(type, "Sequence") == 0) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "decoders");
    snprintf(p, sizeof p, "%s/decoders", ptr);
    if (!cJSON_IsArray(arr)) return dm_error_set_named(err, DM_EFORMAT, p, "expected an array");
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
      char ep[DM_ERROR_WHERE_MAX + 16];
      snprintf(ep, sizeof ep, "%s/%d", p, i);
      if ((rc = tk_parse_decoder(t, e, ep, err))) return rc;
    }
    return 0;
  }
  if (strcmp(type, "ByteLevel") == 0) {
    d.kind = TK_DEC_BYTELEVEL;
  } else if (strcmp(type, "ByteFallback") == 0) {
    d.kind = TK_DEC_BYTEFALLBACK;
  } else if (strcmp(type, "Fuse") == 0) {
    d.kind = TK_DEC_FUSE;
  } else if (strcmp(type, "Metaspace") == 0) {
    d.kind = TK_DEC_METASPACE;
    if ((rc = tk_parse_metaspace(j, ptr, d.repl, &d.prepend, NULL, err))) return rc;
  } else if (strcmp(type, "Strip") == 0) {
    d.kind = TK_DEC_STRIP;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "content");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "start");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "stop");
    size_t adv = 0;
    if (!cJSON_IsString(c) || !c->valuestring[0] || !tk_utf8_valid(c->valuestring, strlen(c->valuestring)) ||
        (tk_utf8_decode(c->valuestring, strlen(c->valuestring), &adv), adv != strlen(c->valuestring))) {
      snprintf(p, sizeof p, "%s/content", ptr);
      return dm_error_set_named(err, DM_EFORMAT, p, "expected one character");
    }
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || a->valuedouble < 0 || b->valuedouble < 0 ||
        a->valuedouble > 1e6 || b->valuedouble > 1e6) {
      snprintf(p, sizeof p, "%s/%s", ptr, cJSON_IsNumber(a) && a->valuedouble >= 0 ? "stop" : "start");
      return dm_error_set_named(err, DM_EFORMAT, p, "expected a count >= 0");
    }
    d.start = (int)a->valuedouble;
    d.stop = (int)b->valuedouble;
    if (!(d.a = strdup(c->valuestring))) return DM_ENOMEM;
  } else if (strcmp(type, "Replace") == 0) {
    d.kind = TK_DEC_REPLACE;
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(j, "pattern");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "content");
    const cJSON *s = cJSON_IsObject(pat) ? cJSON_GetObjectItemCaseSensitive(pat, "String") : NULL;
    if (!cJSON_IsString(c)) {
      snprintf(p, sizeof p, "%s/content", ptr);
      return dm_error_set_named(err, DM_EFORMAT, p, "expected a string");
    }
    snprintf(p, sizeof p, "%s/pattern", ptr);
    if (cJSON_IsObject(pat) && cJSON_GetObjectItemCaseSensitive(pat, "Regex"))
      return dm_error_set_named(err, DM_EUNSUPPORTED, p, "Replace decoder with a Regex pattern is not supported");
    if (!cJSON_IsString(s) || !s->valuestring[0])
      return dm_error_set_named(err, DM_EFORMAT, p, "expected {\"String\": non-empty}");
    d.a = strdup(s->valuestring);
    d.b = strdup(c->valuestring);
    if (!d.a || !d.b) {
      free(d.a);
      free(d.b);
      return DM_ENOMEM;
    }
  } else {
    return dm_error_set_named(err, DM_EUNSUPPORTED, ptr, "unsupported decoder type \"%s\"", type);
  }
  if (add_dec(t, &d)) {
    free(d.a);
    free(d.b);
    return DM_ENOMEM;
  }
  return 0;
}

/* ------------------------------------------------------------------ token lists */

typedef struct toks {
  tk_buf b;     /* bytes */
  tk_spans s;   /* tokens: spans of b */
  tk_buf f;     /* f.p[i]: 1 when token i is an added token */
} toks;

static void toks_clear(toks *x) {
  x->b.len = 0;
  x->s.n = 0;
  x->f.len = 0;
}

static void toks_free(toks *x) {
  tk_buf_free(&x->b);
  tk_spans_free(&x->s);
  tk_buf_free(&x->f);
}

/* Start a new token in x; then append bytes with tk_buf_put(&x->b, ...) and close
 * it with tok_end. */
static int tok_begin(toks *x, int added) {
  char f = (char)added;
  if (tk_spans_push(&x->s, x->b.len, 0) || tk_buf_put(&x->f, &f, 1)) return DM_ENOMEM;
  return 0;
}
static void tok_end(toks *x) { x->s.v[x->s.n - 1].len = x->b.len - x->s.v[x->s.n - 1].off; }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* "<0xNN>" -> NN, else -1 */
static int byte_token(const char *s, size_t n) {
  if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
  int h = hexval(s[3]), l = hexval(s[4]);
  return h < 0 || l < 0 ? -1 : h * 16 + l;
}

static int replace_into(tk_buf *o, const char *s, size_t n, const char *a, const char *b) {
  size_t al = strlen(a), bl = strlen(b), run = 0;
  for (size_t i = 0; i + al <= n;) {
    if (memcmp(s + i, a, al) == 0) {
      if (tk_buf_put(o, s + run, i - run) || tk_buf_put(o, b, bl)) return DM_ENOMEM;
      i += al;
      run = i;
    } else {
      i++;
    }
  }
  return tk_buf_put(o, s + run, n - run);
}

/* One decoder stage: in -> out. */
static int stage(const tk_dec *d, toks *in, toks *out, int middle, int fused_before) {
  toks_clear(out);
  size_t n = in->s.n;
  for (size_t i = 0; i < n; i++) {
    const char *s = in->b.p + in->s.v[i].off;
    size_t len = in->s.v[i].len;
    int added = in->f.p[i];
    switch (d->kind) {
      case TK_DEC_REPLACE:
        if (tok_begin(out, added) || replace_into(&out->b, s, len, d->a, d->b)) return DM_ENOMEM;
        tok_end(out);
        break;
      case TK_DEC_FUSE:
        if (i == 0 && tok_begin(out, 0)) return DM_ENOMEM;
        if (tk_buf_put(&out->b, s, len)) return DM_ENOMEM;
        tok_end(out);
        break;
      case TK_DEC_STRIP: {
        if (middle && fused_before) {
          if (tok_begin(out, added) || tk_buf_put(&out->b, s, len)) return DM_ENOMEM;
          tok_end(out);
          break;
        }
        size_t cl = strlen(d->a), a = 0, e = len;
        for (int k = 0; k < d->start && e - a >= cl && memcmp(s + a, d->a, cl) == 0; k++) a += cl;
        for (int k = 0; k < d->stop && e - a >= cl && memcmp(s + e - cl, d->a, cl) == 0; k++) e -= cl;
        if (tok_begin(out, added) || tk_buf_put(&out->b, s + a, e - a)) return DM_ENOMEM;
        tok_end(out);
        break;
      }
      case TK_DEC_METASPACE: {
        if (tok_begin(out, added)) return DM_ENOMEM;
        size_t start = out->b.len;
        if (replace_into(&out->b, s, len, d->repl, " ")) return DM_ENOMEM;
        if (!middle && d->prepend && i == 0 && out->b.len > start && out->b.p[start] == ' ') {
          memmove(out->b.p + start, out->b.p + start + 1, out->b.len - start - 1);
          out->b.len--;
        }
        tok_end(out);
        break;
      }
      case TK_DEC_BYTEFALLBACK: {
        int bv = byte_token(s, len);
        if (bv < 0) {
          if (tok_begin(out, added) || tk_buf_put(&out->b, s, len)) return DM_ENOMEM;
          tok_end(out);
          break;
        }
        /* a run of byte tokens: one token, its bytes when they are valid UTF-8, else
         * U+FFFD per byte (Hugging Face) */
        if (tok_begin(out, 0)) return DM_ENOMEM;
        size_t start = out->b.len, j = i;
        for (; j < n; j++) {
          int v = byte_token(in->b.p + in->s.v[j].off, in->s.v[j].len);
          if (v < 0) break;
          char c = (char)v;
          if (tk_buf_put(&out->b, &c, 1)) return DM_ENOMEM;
        }
        if (!middle && !tk_utf8_valid(out->b.p + start, out->b.len - start)) {
          size_t nb = out->b.len - start;
          out->b.len = start;
          for (size_t k = 0; k < nb; k++)
            if (tk_buf_put(&out->b, "\xEF\xBF\xBD", 3)) return DM_ENOMEM;
        }
        tok_end(out);
        i = j - 1;
        break;
      }
      case TK_DEC_BYTELEVEL: {
        /* all tokens into one, byte map undone; a token with a character outside
         * the map (and added tokens) stays as it is */
        if (i == 0 && tok_begin(out, 0)) return DM_ENOMEM;
        size_t start = out->b.len;
        int ok = !added;
        for (size_t k = 0; ok && k < len;) {
          size_t adv;
          uint32_t cp = tk_utf8_decode(s + k, len - k, &adv);
          int b = tk_cp_to_byte(cp);
          if (b < 0) {
            ok = 0;
            break;
          }
          char c = (char)b;
          if (tk_buf_put(&out->b, &c, 1)) return DM_ENOMEM;
          k += adv;
        }
        if (!ok) {
          out->b.len = start;
          if (tk_buf_put(&out->b, s, len)) return DM_ENOMEM;
        }
        tok_end(out);
        break;
      }
    }
  }
  return 0;
}

/* Run the chain; the result is the concatenation of the final tokens in x->b... as
 * spans; *res receives the toks holding it (x or y). */
static int run_chain(const dm_tokenizer *t, toks *x, toks *y, int middle, toks **res) {
  int fused = 0;
  for (size_t k = 0; k < t->n_decs; k++) {
    int rc = stage(&t->decs[k], x, y, middle, fused);
    if (rc) return rc;
    if (t->decs[k].kind == TK_DEC_FUSE || t->decs[k].kind == TK_DEC_BYTELEVEL) fused = 1;
    toks z = *x;
    *x = *y;
    *y = z;
  }
  *res = x;
  return 0;
}

int tk_decode_ids(const dm_tokenizer *t, const int32_t *ids, size_t n, int flags, tk_buf *out) {
  toks x = {0}, y = {0}, *r;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    int32_t id = ids[i];
    uint8_t f = t->flags[id];
    if ((f & DM_TOKEN_UNUSED) || ((flags & DM_DETOKENIZE_SKIP_SPECIAL) && (f & DM_TOKEN_SPECIAL)))
      continue;
    const char *p = tk_pool_str(t, t->piece_off[id]);
    if ((rc = tok_begin(&x, (f & DM_TOKEN_ADDED) != 0)) || (rc = tk_buf_put(&x.b, p, strlen(p)))) break;
    tok_end(&x);
  }
  if (!rc) rc = run_chain(t, &x, &y, 0, &r);
  if (!rc) {
    tk_buf joined = {0};
    for (size_t i = 0; i < r->s.n && !rc; i++) rc = tk_buf_put(&joined, r->b.p + r->s.v[i].off, r->s.v[i].len);
    if (!rc) rc = tk_buf_put(&joined, "", 0);
    if (!rc) {
      if (flags & DM_DETOKENIZE_RAW) rc = tk_buf_put(out, joined.p, joined.len);
      else rc = tk_utf8_sanitize(joined.p, joined.len, out);
    }
    tk_buf_free(&joined);
  }
  toks_free(&x);
  toks_free(&y);
  return rc;
}

int tk_build_view(dm_tokenizer *t, dm_error *err) {
  t->bytes_off = malloc((size_t)t->n_ids * sizeof *t->bytes_off);
  t->bytes_len = malloc((size_t)t->n_ids * sizeof *t->bytes_len);
  if (!t->bytes_off || !t->bytes_len) return dm_error_set(err, DM_ENOMEM, "out of memory");
  toks x = {0}, y = {0}, *r;
  tk_buf joined = {0};
  int rc = 0;
  int bytelevel_only = t->byte_level && t->key_len && t->n_decs == 1 && t->decs[0].kind == TK_DEC_BYTELEVEL;
  for (int32_t id = 0; id < t->n_ids && !rc; id++) {
    const char *p = tk_pool_str(t, t->piece_off[id]);
    size_t pl = strlen(p);
    joined.len = 0;
    if (t->flags[id] & (DM_TOKEN_ADDED | DM_TOKEN_UNUSED)) {
      rc = tk_buf_put(&joined, p, pl);
    } else if (bytelevel_only && t->key_len[id]) {
      /* the chain is ByteLevel alone: the view is the raw bytes computed at load */
      t->bytes_off[id] = t->key_off[id];
      t->bytes_len[id] = t->key_len[id];
      continue;
    } else {
      toks_clear(&x);
      if ((rc = tok_begin(&x, 0)) || (rc = tk_buf_put(&x.b, p, pl))) break;
      tok_end(&x);
      if ((rc = run_chain(t, &x, &y, 1, &r))) break;
      for (size_t i = 0; i < r->s.n && !rc; i++) rc = tk_buf_put(&joined, r->b.p + r->s.v[i].off, r->s.v[i].len);
    }
    if (rc) break;
    uint32_t off = tk_pool_add(t, joined.p ? joined.p : "", joined.len);
    if (off == UINT32_MAX) rc = DM_ENOMEM;
    t->bytes_off[id] = off;
    t->bytes_len[id] = (uint32_t)joined.len;
  }
  tk_buf_free(&joined);
  toks_free(&x);
  toks_free(&y);
  if (rc) return dm_error_set(err, rc, "out of memory building the vocabulary view");
  return 0;
}
