/* Encoding pipeline: UTF-8 repair, added tokens, normalizers, pre-tokenizers, BPE;
 * and the public encode/decode entry points. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* Scratch state of one encode call (no allocation per word or token). */
typedef struct enc_ctx {
  const dm_tokenizer *t;
  pcre2_match_data *md;
  tk_buf norm, pre, scratch, norm2;
  tk_spans words, tmp;
  tk_ids *out;
  dm_tokenizer_word_fn word_fn; /* set: hand words to it instead of running BPE */
  void *word_ctx;
} enc_ctx;

/* Normalized text [s, s+n) -> pre-tokenize -> BPE. */
static int encode_normalized(enc_ctx *c, const char *s, size_t n, int first) {
  c->pre.len = 0;
  if (tk_buf_put(&c->pre, s, n)) return DM_ENOMEM;
  int rc = tk_pre_tokenize(c->t, &c->pre, &c->words, first, c->md, &c->scratch, &c->tmp);
  if (rc) return rc;
  if (c->word_fn) {
    for (size_t w = 0; w < c->words.n; w++)
      if ((rc = c->word_fn(c->word_ctx, c->pre.p + c->words.v[w].off, c->words.v[w].len))) return rc;
    return 0;
  }
  for (size_t w = 0; w < c->words.n; w++)
    if ((rc = tk_bpe_word(c->t, c->pre.p + c->words.v[w].off, c->words.v[w].len, c->out))) return rc;
  return 0;
}

/* A section of input text between added tokens. */
static int encode_section(enc_ctx *c, const char *s, size_t n, int first) {
  if (n == 0) return 0;
  int rc = tk_normalize(c->t, s, n, &c->norm);
  if (rc) return rc;
  if (c->norm.len == 0) return 0;
  if (!c->t->has_normalized_added) return encode_normalized(c, c->norm.p, c->norm.len, first);
  /* added tokens with normalized = true match the normalized text */
  c->norm2.len = 0;
  if (tk_buf_put(&c->norm2, c->norm.p, c->norm.len)) return DM_ENOMEM;
  const char *ns = c->norm2.p;
  size_t nn = c->norm2.len, pos = 0, at;
  for (;;) {
    long k = tk_added_find(c->t, ns, nn, pos, 1, 1, &at);
    if (k < 0) break;
    if ((rc = encode_normalized(c, ns + pos, at - pos, first && pos == 0))) return rc;
    if (!c->word_fn && (rc = tk_ids_push(c->out, c->t->added[k].id))) return rc;
    pos = at + c->t->added[k].len;
  }
  return pos < nn ? encode_normalized(c, ns + pos, nn - pos, first && pos == 0) : 0;
}

static size_t trim_end(const char *s, size_t a, size_t b) {
  while (b > a) {
    size_t i = b - 1, adv;
    while (i > a && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    if (!tk_is_js_space(tk_utf8_decode(s + i, b - i, &adv))) break;
    b = i;
  }
  return b;
}

static size_t trim_start(const char *s, size_t a, size_t n) {
  while (a < n) {
    size_t adv;
    if (!tk_is_js_space(tk_utf8_decode(s + a, n - a, &adv))) break;
    a += adv;
  }
  return a;
}

static int encode_all(const dm_tokenizer *t, const char *text, size_t len, int flags, tk_ids *out,
                      dm_tokenizer_word_fn word_fn, void *word_ctx) {
  enc_ctx c;
  memset(&c, 0, sizeof c);
  c.t = t;
  c.out = out;
  c.word_fn = word_fn;
  c.word_ctx = word_ctx;
  tk_buf clean = {0};
  const char *s = text;
  int rc = 0;
  if (!tk_utf8_valid(text, len)) {
    if ((rc = tk_utf8_sanitize(text, len, &clean))) return rc;
    s = clean.p;
    len = clean.len;
  }
  c.md = pcre2_match_data_create(4, NULL);
  if (!c.md) {
    tk_buf_free(&clean);
    return DM_ENOMEM;
  }
  int special = (flags & DM_TOKENIZE_PARSE_SPECIAL) != 0;
  size_t pos = 0, at;
  for (;;) {
    long k = tk_added_find(t, s, len, pos, special, 0, &at);
    if (k < 0) break;
    const tk_added *a = &t->added[k];
    size_t end = a->lstrip ? trim_end(s, pos, at) : at;
    if ((rc = encode_section(&c, s + pos, end - pos, pos == 0))) goto done;
    if (!word_fn && (rc = tk_ids_push(out, a->id))) goto done;
    pos = at + a->len;
    if (a->rstrip) pos = trim_start(s, pos, len);
  }
  if (pos < len) rc = encode_section(&c, s + pos, len - pos, pos == 0);
done:
  pcre2_match_data_free(c.md);
  tk_buf_free(&c.norm);
  tk_buf_free(&c.norm2);
  tk_buf_free(&c.pre);
  tk_buf_free(&c.scratch);
  tk_spans_free(&c.words);
  tk_spans_free(&c.tmp);
  tk_buf_free(&clean);
  return rc;
}

long dm_tokenizer_encode(const dm_tokenizer *tok, const char *text, size_t len, int flags,
                         int32_t *ids, size_t cap, dm_error *err) {
  if (!tok || (!text && len) || (!ids && cap))
    return dm_error_set(err, DM_EINVAL, "dm_tokenizer_encode: NULL argument");
  tk_ids out = {0};
  int rc = len ? encode_all(tok, text, len, flags, &out, NULL, NULL) : 0;
  if (rc) {
    tk_ids_free(&out);
    return dm_error_set(err, rc, "encoding failed: %s", dm_strerror(rc));
  }
  if (cap && out.n) memcpy(ids, out.v, (out.n < cap ? out.n : cap) * sizeof *ids);
  long n = (long)out.n;
  tk_ids_free(&out);
  return n;
}

int dm_tokenizer_encode_alloc(const dm_tokenizer *tok, const char *text, size_t len, int flags,
                              int32_t **ids_out, size_t *n_out, dm_error *err) {
  if (ids_out) *ids_out = NULL;
  if (n_out) *n_out = 0;
  if (!tok || (!text && len) || !ids_out || !n_out)
    return dm_error_set(err, DM_EINVAL, "dm_tokenizer_encode_alloc: NULL argument");
  tk_ids out = {0};
  int rc = len ? encode_all(tok, text, len, flags, &out, NULL, NULL) : 0;
  if (!rc && !out.v) {
    out.v = malloc(sizeof *out.v);
    if (!out.v) rc = DM_ENOMEM;
  }
  if (rc) {
    tk_ids_free(&out);
    return dm_error_set(err, rc, "encoding failed: %s", dm_strerror(rc));
  }
  *ids_out = out.v;
  *n_out = out.n;
  return 0;
}

int dm_tokenizer_pre_tokenize(const dm_tokenizer *tok, const char *text, size_t len, int flags,
                              dm_tokenizer_word_fn fn, void *ctx, dm_error *err) {
  if (!tok || (!text && len) || !fn)
    return dm_error_set(err, DM_EINVAL, "dm_tokenizer_pre_tokenize: NULL argument");
  int rc = len ? encode_all(tok, text, len, flags, NULL, fn, ctx) : 0;
  if (rc < 0) return dm_error_set(err, rc, "pre-tokenization failed: %s", dm_strerror(rc));
  return rc;
}

long dm_tokenizer_decode(const dm_tokenizer *tok, const int32_t *ids, size_t n, int flags,
                         char *buf, size_t cap, dm_error *err) {
  if (!tok || (!ids && n) || (!buf && cap))
    return dm_error_set(err, DM_EINVAL, "dm_tokenizer_decode: NULL argument");
  for (size_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= tok->n_ids) {
      char where[64];
      snprintf(where, sizeof where, "ids[%zu]", i);
      return dm_error_set_named(err, DM_ERANGE, where, "token id %d is out of range [0, %d)", ids[i],
                                tok->n_ids);
    }
  tk_buf out = {0};
  int rc = tk_decode_ids(tok, ids, n, flags, &out);
  if (rc) {
    tk_buf_free(&out);
    return dm_error_set(err, rc, "decoding failed: %s", dm_strerror(rc));
  }
  if (cap) {
    size_t k = out.len < cap - 1 ? out.len : cap - 1;
    if (k) memcpy(buf, out.p, k);
    buf[k] = 0;
  }
  long r = (long)out.len;
  tk_buf_free(&out);
  return r;
}
