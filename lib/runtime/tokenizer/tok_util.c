/* Tokenizer utilities: growable buffers, UTF-8, hash maps, the GPT-2 byte map. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* ------------------------------------------------------------------ buffers */

int tk_buf_reserve(tk_buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return DM_ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

int tk_buf_put(tk_buf *b, const void *data, size_t n) {
  if (tk_buf_reserve(b, n + 1)) return DM_ENOMEM;
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = 0;
  return 0;
}

void tk_buf_free(tk_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

int tk_spans_push(tk_spans *s, size_t off, size_t len) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    tk_span *v = realloc(s->v, cap * sizeof *v);
    if (!v) return DM_ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n].off = off;
  s->v[s->n].len = len;
  s->n++;
  return 0;
}

void tk_spans_free(tk_spans *s) {
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

int tk_ids_push(tk_ids *s, int32_t id) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    int32_t *v = realloc(s->v, cap * sizeof *v);
    if (!v) return DM_ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = id;
  return 0;
}

void tk_ids_free(tk_ids *s) {
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

/* ------------------------------------------------------------------ UTF-8 */

uint32_t tk_utf8_decode(const char *s, size_t n, size_t *adv) {
  const unsigned char *u = (const unsigned char *)s;
  size_t l = tk_utf8_len(u[0]);
  if (l > n) l = n;
  uint32_t cp;
  switch (l) {
    case 1: cp = u[0]; break;
    case 2: cp = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F); break;
    case 3: cp = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F); break;
    default:
      cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
           ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
      break;
  }
  *adv = l ? l : 1;
  return cp;
}

size_t tk_utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Well-formed UTF-8 (Unicode Table 3-7): the lead byte fixes the range of the
 * second byte; later bytes are 80..BF. */
size_t tk_utf8_valid_at(const unsigned char *s, size_t n, size_t *bad) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) need = 2;
  else if (c == 0xE0) { need = 3; lo = 0xA0; }
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 3;
  else if (c == 0xED) { need = 3; hi = 0x9F; }
  else if (c == 0xF0) { need = 4; lo = 0x90; }
  else if (c >= 0xF1 && c <= 0xF3) need = 4;
  else if (c == 0xF4) { need = 4; hi = 0x8F; }
  else { *bad = 1; return 0; }
  size_t i = 1;
  for (; i < need; i++) {
    if (i >= n) break;
    unsigned d = s[i];
    unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (d < l || d > h) break;
  }
  if (i == need) return need;
  *bad = i;
  return 0;
}

int tk_utf8_valid(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, bad;
  while (i < n) {
    if (u[i] < 0x80) { i++; continue; }
    size_t l = tk_utf8_valid_at(u + i, n - i, &bad);
    if (!l) return 0;
    i += l;
  }
  return 1;
}

int tk_utf8_sanitize(const char *s, size_t n, tk_buf *out) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, run = 0, bad;
  if (tk_buf_reserve(out, n + 1)) return DM_ENOMEM;
  while (i < n) {
    if (u[i] < 0x80) { i++; continue; }
    size_t l = tk_utf8_valid_at(u + i, n - i, &bad);
    if (l) { i += l; continue; }
    if (tk_buf_put(out, s + run, i - run)) return DM_ENOMEM;
    if (tk_buf_put(out, "\xEF\xBF\xBD", 3)) return DM_ENOMEM;
    i += bad;
    run = i;
  }
  return tk_buf_put(out, s + run, n - run);
}

int tk_is_js_space(uint32_t cp) {
  if (cp == ' ' || (cp >= 9 && cp <= 13)) return 1;
  if (cp < 0xA0) return 0;
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* ------------------------------------------------------------------ hashing */

uint64_t tk_hash(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t h = 0x243F6A8885A308D3ull ^ (n * 0x9E3779B97F4A7C15ull);
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    h = (h ^ v) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 29;
  h *= 0x9E3779B97F4A7C15ull;
  h ^= h >> 32;
  return h;
}

static size_t pow2_for(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  return cap;
}

int tk_strmap_init(tk_strmap *m, size_t n) {
  size_t cap = pow2_for(n);
  m->slot = calloc(cap, 2 * sizeof *m->slot); /* (id + 1, hash) pairs */
  if (!m->slot) {
    tk_strmap_free(m);
    return DM_ENOMEM;
  }
  m->mask = cap - 1;
  return 0;
}

void tk_strmap_free(tk_strmap *m) {
  free(m->slot);
  m->slot = NULL;
  m->mask = 0;
}

static inline void piece_key(const dm_tokenizer *t, int32_t id, const char **s, size_t *n) {
  *s = t->pool.p + t->piece_off[id];
  *n = t->piece_len[id];
}

static inline void model_key(const dm_tokenizer *t, int32_t id, const char **s, size_t *n) {
  if (t->map_by_bytes) {
    *s = t->pool.p + t->key_off[id];
    *n = t->key_len[id];
  } else {
    piece_key(t, id, s, n);
  }
}

typedef void (*key_fn)(const dm_tokenizer *, int32_t, const char **, size_t *);

static int32_t map_lookup(const dm_tokenizer *t, const tk_strmap *m, key_fn kf, const char *s,
                          size_t n) {
  if (!m->slot) return -1;
  uint64_t h = tk_hash(s, n);
  uint32_t h32 = (uint32_t)h;
  size_t i = (size_t)(h >> 32) & m->mask;
  for (;;) {
    uint32_t v = m->slot[2 * i];
    if (!v) return -1;
    if (m->slot[2 * i + 1] == h32) {
      const char *ks;
      size_t kn;
      kf(t, (int32_t)(v - 1), &ks, &kn);
      if (kn == n && memcmp(ks, s, n) == 0) return (int32_t)(v - 1);
    }
    i = (i + 1) & m->mask;
  }
}

static int32_t map_insert(dm_tokenizer *t, tk_strmap *m, key_fn kf, int32_t id) {
  const char *s;
  size_t n;
  kf(t, id, &s, &n);
  uint64_t h = tk_hash(s, n);
  uint32_t h32 = (uint32_t)h;
  size_t i = (size_t)(h >> 32) & m->mask;
  for (;;) {
    uint32_t v = m->slot[2 * i];
    if (!v) {
      m->slot[2 * i] = (uint32_t)id + 1;
      m->slot[2 * i + 1] = h32;
      return -1;
    }
    if (m->slot[2 * i + 1] == h32) {
      const char *ks;
      size_t kn;
      kf(t, (int32_t)(v - 1), &ks, &kn);
      if (kn == n && memcmp(ks, s, n) == 0) return (int32_t)(v - 1);
    }
    i = (i + 1) & m->mask;
  }
}

int32_t tk_piece_lookup(const dm_tokenizer *t, const char *s, size_t n) {
  return map_lookup(t, &t->piece_map, piece_key, s, n);
}
int32_t tk_model_lookup(const dm_tokenizer *t, const char *s, size_t n) {
  return map_lookup(t, &t->model_map, model_key, s, n);
}
int32_t tk_piece_insert(dm_tokenizer *t, int32_t id) {
  return map_insert(t, &t->piece_map, piece_key, id);
}
int32_t tk_model_insert(dm_tokenizer *t, int32_t id) {
  return map_insert(t, &t->model_map, model_key, id);
}

int tk_pairmap_init(tk_pairmap *m, size_t n) {
  size_t cap = pow2_for(n);
  m->slot = calloc(cap, sizeof *m->slot);
  if (!m->slot) return DM_ENOMEM;
  m->mask = cap - 1;
  return 0;
}

void tk_pairmap_free(tk_pairmap *m) {
  free(m->slot);
  memset(m, 0, sizeof *m);
}

void tk_pairmap_put(tk_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t merged) {
  uint64_t k = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
  uint64_t h = k * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(h >> 20) & m->mask;
  for (;;) {
    tk_pair_slot *s = &m->slot[i];
    if (s->key == k) return; /* first (lowest) rank wins */
    if (s->key == 0) {
      s->key = k;
      s->rank = rank;
      s->merged = merged;
      return;
    }
    i = (i + 1) & m->mask;
  }
}

uint32_t tk_pool_add(dm_tokenizer *t, const char *s, size_t n) {
  if (t->pool.len + n + 1 > UINT32_MAX) return UINT32_MAX;
  size_t off = t->pool.len;
  if (tk_buf_reserve(&t->pool, n + 1)) return UINT32_MAX;
  if (n) memcpy(t->pool.p + off, s, n);
  t->pool.p[off + n] = 0;
  t->pool.len += n + 1;
  return (uint32_t)off;
}

/* ------------------------------------------------------------------ GPT-2 byte map */

/* Printable bytes map to themselves; the other 68 bytes, in order, to U+0100.. */
static int byte_is_printable(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t tk_byte_to_cp(unsigned char b) {
  if (byte_is_printable(b)) return b;
  if (b <= 0x20) return 0x100u + b;
  if (b >= 0x7F && b <= 0xA0) return 0x100u + 33 + (b - 0x7Fu);
  return 0x100u + 67; /* 0xAD */
}

int tk_cp_to_byte(uint32_t cp) {
  if (cp < 0x100) return byte_is_printable(cp) ? (int)cp : -1;
  if (cp >= 0x100 + 68) return -1;
  uint32_t k = cp - 0x100;
  if (k < 33) return (int)k;
  if (k < 67) return (int)(0x7F + (k - 33));
  return 0xAD;
}
