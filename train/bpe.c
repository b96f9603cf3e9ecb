/* Byte-level BPE trainer: word counting, greedy merges with incremental pair counts
 * and a lazy max-heap, tokenizer.json / tokenizer_config.json writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include <dimple/tokenizer.h>

#include "bpe.h"

static const char *const DEFAULT_SPECIALS[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>"};
#define N_DEFAULT_SPECIALS 4
#define MAX_VOCAB (1 << 24)

/* Qwen2/Qwen3's split regex (tokenizer.json's Split pre-tokenizer). */
static const char *SPLIT_REGEX =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
    "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/* DM_BPE_SPLIT_ISOLATED: every letter run, digit, punctuation run and whitespace run
 * on its own. */
static const char *SPLIT_ISOLATED_REGEX = "\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+|\\s+";

/* Dream's ChatML template (a default system prompt when the first turn is not one). */
static const char *CHAT_TEMPLATE =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/* ------------------------------------------------------------------ byte strings map */

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

/* Byte strings (in one pool) -> index; open addressing, slot = index + 1. */
typedef struct bmap {
  char *pool;
  size_t pool_len, pool_cap;
  uint64_t *off;   /* per index: offset in pool */
  uint32_t *len;   /* per index: length */
  size_t n, cap;   /* entries */
  uint32_t *slot;
  size_t mask;
} bmap;

static void bmap_free(bmap *m) {
  free(m->pool);
  free(m->off);
  free(m->len);
  free(m->slot);
  memset(m, 0, sizeof *m);
}

static const char *bmap_str(const bmap *m, size_t i) { return m->pool + m->off[i]; }

static int bmap_grow_slots(bmap *m) {
  size_t ns = m->slot ? (m->mask + 1) * 2 : 1024;
  uint32_t *sl = calloc(ns, sizeof *sl);
  if (!sl) return DM_ENOMEM;
  for (size_t i = 0; i < m->n; i++) {
    size_t k = (size_t)hash_bytes(bmap_str(m, i), m->len[i]) & (ns - 1);
    while (sl[k]) k = (k + 1) & (ns - 1);
    sl[k] = (uint32_t)(i + 1);
  }
  free(m->slot);
  m->slot = sl;
  m->mask = ns - 1;
  return 0;
}

/* Index of s (inserted when missing, *added = 1), or a negative DM_E*. */
static long bmap_put(bmap *m, const char *s, size_t n, int *added) {
  *added = 0;
  if (!m->slot || (m->n + 1) * 2 > m->mask + 1) {
    int rc = bmap_grow_slots(m);
    if (rc) return rc;
  }
  size_t k = (size_t)hash_bytes(s, n) & m->mask;
  while (m->slot[k]) {
    size_t i = m->slot[k] - 1;
    if (m->len[i] == n && memcmp(bmap_str(m, i), s, n) == 0) return (long)i;
    k = (k + 1) & m->mask;
  }
  if (m->n >= UINT32_MAX - 1) return DM_ERANGE;
  if (m->n == m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 1024;
    uint64_t *o = realloc(m->off, nc * sizeof *o);
    if (!o) return DM_ENOMEM;
    m->off = o;
    uint32_t *l = realloc(m->len, nc * sizeof *l);
    if (!l) return DM_ENOMEM;
    m->len = l;
    m->cap = nc;
  }
  if (m->pool_len + n + 1 > m->pool_cap) {
    size_t nc = m->pool_cap ? m->pool_cap : 65536;
    while (nc < m->pool_len + n + 1) nc *= 2;
    char *p = realloc(m->pool, nc);
    if (!p) return DM_ENOMEM;
    m->pool = p;
    m->pool_cap = nc;
  }
  if (n) memcpy(m->pool + m->pool_len, s, n);
  m->pool[m->pool_len + n] = 0;
  m->off[m->n] = m->pool_len;
  m->len[m->n] = (uint32_t)n;
  m->pool_len += n + 1;
  m->slot[k] = (uint32_t)(m->n + 1);
  *added = 1;
  return (long)m->n++;
}

/* ------------------------------------------------------------------ pairs and heap */

typedef struct pair {
  int32_t a, b;
  int64_t count;
  uint32_t *w;     /* words that held the pair at some point (may be stale) */
  uint32_t nw, cw;
  uint32_t stamp;  /* touched in the current merge */
} pair;

typedef struct heap_ent {
  int64_t count;
  int32_t a, b;
  uint32_t p;
} heap_ent;

/* e comes out before f: more frequent, then smaller a, then smaller b. */
static int heap_before(const heap_ent *e, const heap_ent *f) {
  if (e->count != f->count) return e->count > f->count;
  if (e->a != f->a) return e->a < f->a;
  return e->b < f->b;
}

struct dm_bpe {
  dm_bpe_params p;
  char **specials;      /* all special tokens, defaults first; owned */
  size_t n_specials;
  /* word counting */
  bmap words;
  int64_t *wcount;      /* per word */
  size_t wcount_cap;
  uint64_t n_bytes, n_words;
  dm_tokenizer *pretok; /* the tokenizer without merges, for its pre-tokenizer */
  /* tokens: bytes of each id (0-255 bytes, then merges) */
  bmap toks;
  int32_t (*merges)[2];
  int32_t n_merges;
  int trained;
  /* training state */
  int32_t *sym;         /* symbols of all words */
  size_t *woff;         /* per word: start in sym */
  uint32_t *wlen, *wstamp;
  pair *pairs;
  size_t n_pairs, cap_pairs;
  uint32_t *pslot;      /* pair map: (a, b) -> index + 1 */
  size_t pmask;
  heap_ent *heap;
  size_t n_heap, cap_heap;
};

void dm_bpe_default_params(dm_bpe_params *p) {
  memset(p, 0, sizeof *p);
  p->vocab_size = 4096;
  p->min_count = 2;
}

static uint64_t pair_hash(int32_t a, int32_t b) {
  uint64_t k = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
  k *= 0x9E3779B97F4A7C15ull;
  return k ^ (k >> 31);
}

static int pairs_rehash(dm_bpe *b) {
  size_t ns = b->pslot ? (b->pmask + 1) * 2 : 4096;
  uint32_t *sl = calloc(ns, sizeof *sl);
  if (!sl) return DM_ENOMEM;
  for (size_t i = 0; i < b->n_pairs; i++) {
    size_t k = (size_t)pair_hash(b->pairs[i].a, b->pairs[i].b) & (ns - 1);
    while (sl[k]) k = (k + 1) & (ns - 1);
    sl[k] = (uint32_t)(i + 1);
  }
  free(b->pslot);
  b->pslot = sl;
  b->pmask = ns - 1;
  return 0;
}

/* Index of pair (x, y), created with count 0 when missing; negative DM_E*. */
static long pair_get(dm_bpe *b, int32_t x, int32_t y) {
  if (!b->pslot || (b->n_pairs + 1) * 2 > b->pmask + 1) {
    int rc = pairs_rehash(b);
    if (rc) return rc;
  }
  size_t k = (size_t)pair_hash(x, y) & b->pmask;
  while (b->pslot[k]) {
    pair *q = &b->pairs[b->pslot[k] - 1];
    if (q->a == x && q->b == y) return (long)(b->pslot[k] - 1);
    k = (k + 1) & b->pmask;
  }
  if (b->n_pairs == b->cap_pairs) {
    size_t nc = b->cap_pairs ? b->cap_pairs * 2 : 4096;
    pair *v = realloc(b->pairs, nc * sizeof *v);
    if (!v) return DM_ENOMEM;
    b->pairs = v;
    b->cap_pairs = nc;
  }
  pair *q = &b->pairs[b->n_pairs];
  memset(q, 0, sizeof *q);
  q->a = x;
  q->b = y;
  b->pslot[k] = (uint32_t)(b->n_pairs + 1);
  return (long)b->n_pairs++;
}

/* Note that word w holds pair p (skips a repeat of the last word noted). */
static int pair_note_word(pair *q, uint32_t w) {
  if (q->nw && q->w[q->nw - 1] == w) return 0;
  if (q->nw == q->cw) {
    uint32_t nc = q->cw ? q->cw * 2 : 4;
    uint32_t *v = realloc(q->w, nc * sizeof *v);
    if (!v) return DM_ENOMEM;
    q->w = v;
    q->cw = nc;
  }
  q->w[q->nw++] = w;
  return 0;
}

static int heap_push(dm_bpe *b, uint32_t p) {
  if (b->n_heap == b->cap_heap) {
    size_t nc = b->cap_heap ? b->cap_heap * 2 : 4096;
    heap_ent *v = realloc(b->heap, nc * sizeof *v);
    if (!v) return DM_ENOMEM;
    b->heap = v;
    b->cap_heap = nc;
  }
  heap_ent e = {b->pairs[p].count, b->pairs[p].a, b->pairs[p].b, p};
  size_t i = b->n_heap++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (!heap_before(&e, &b->heap[up])) break;
    b->heap[i] = b->heap[up];
    i = up;
  }
  b->heap[i] = e;
  return 0;
}

static heap_ent heap_pop(dm_bpe *b) {
  heap_ent top = b->heap[0], last = b->heap[--b->n_heap];
  size_t i = 0, n = b->n_heap;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heap_before(&b->heap[c + 1], &b->heap[c])) c++;
    if (!heap_before(&b->heap[c], &last)) break;
    b->heap[i] = b->heap[c];
    i = c;
  }
  if (n) b->heap[i] = last;
  return top;
}

/* ------------------------------------------------------------------ create / count */

void dm_bpe_free(dm_bpe *b) {
  if (!b) return;
  for (size_t i = 0; i < b->n_specials; i++) free(b->specials[i]);
  free(b->specials);
  bmap_free(&b->words);
  free(b->wcount);
  dm_tokenizer_free(b->pretok);
  bmap_free(&b->toks);
  free(b->merges);
  free(b->sym);
  free(b->woff);
  free(b->wlen);
  free(b->wstamp);
  for (size_t i = 0; i < b->n_pairs; i++) free(b->pairs[i].w);
  free(b->pairs);
  free(b->pslot);
  free(b->heap);
  free(b);
}

static int add_special(dm_bpe *b, const char *s) {
  for (size_t i = 0; i < b->n_specials; i++)
    if (strcmp(b->specials[i], s) == 0) return 0;
  char **v = realloc(b->specials, (b->n_specials + 1) * sizeof *v);
  if (!v) return DM_ENOMEM;
  b->specials = v;
  if (!(v[b->n_specials] = strdup(s))) return DM_ENOMEM;
  b->n_specials++;
  return 0;
}

int dm_bpe_create(const dm_bpe_params *p, dm_bpe **out, dm_error *err) {
  *out = NULL;
  dm_bpe *b = calloc(1, sizeof *b);
  if (!b) return dm_error_set(err, DM_ENOMEM, "out of memory");
  b->p = *p;
  if (p->split != DM_BPE_SPLIT_QWEN && p->split != DM_BPE_SPLIT_ISOLATED) {
    free(b);
    return dm_error_set_named(err, DM_EINVAL, "split", "unknown pre-tokenizer split %d", p->split);
  }
  b->p.specials = NULL;
  b->p.n_specials = 0;
  int rc = 0;
  for (int i = 0; i < N_DEFAULT_SPECIALS && !rc; i++) rc = add_special(b, DEFAULT_SPECIALS[i]);
  for (size_t i = 0; i < p->n_specials && !rc; i++) {
    if (!p->specials[i] || !p->specials[i][0]) {
      dm_bpe_free(b);
      return dm_error_set_named(err, DM_EINVAL, "specials", "a special token is empty");
    }
    rc = add_special(b, p->specials[i]);
  }
  if (rc) {
    dm_bpe_free(b);
    return dm_error_set(err, rc, "out of memory");
  }
  if (p->vocab_size < 256 + (int32_t)b->n_specials || p->vocab_size > MAX_VOCAB) {
    int32_t lo = 256 + (int32_t)b->n_specials;
    dm_bpe_free(b);
    return dm_error_set_named(err, DM_ERANGE, "vocab_size",
                              "vocabulary size %d is out of range [%d, %d] (256 bytes + %d special tokens)",
                              p->vocab_size, lo, MAX_VOCAB, lo - 256);
  }
  for (int c = 0; c < 256 && !rc; c++) {
    char ch = (char)c;
    int added;
    long id = bmap_put(&b->toks, &ch, 1, &added);
    if (id < 0) rc = (int)id;
  }
  char *tj = NULL;
  if (!rc) rc = dm_bpe_to_json(b, &tj, NULL, err);
  if (!rc) rc = dm_tokenizer_load_json(tj, strlen(tj), NULL, 0, "trainer tokenizer", &b->pretok, err);
  free(tj);
  if (rc) {
    dm_bpe_free(b);
    return rc == DM_ENOMEM ? dm_error_set(err, rc, "out of memory") : rc;
  }
  *out = b;
  return 0;
}

static int count_word(void *ctx, const char *w, size_t n) {
  dm_bpe *b = ctx;
  int added;
  long i = bmap_put(&b->words, w, n, &added);
  if (i < 0) return (int)i;
  if (added && b->words.n > b->wcount_cap) {
    size_t nc = b->wcount_cap ? b->wcount_cap * 2 : 1024;
    int64_t *v = realloc(b->wcount, nc * sizeof *v);
    if (!v) return DM_ENOMEM;
    b->wcount = v;
    b->wcount_cap = nc;
  }
  if (added) b->wcount[i] = 0;
  b->wcount[i]++;
  b->n_words++;
  return 0;
}

int dm_bpe_add_text(dm_bpe *b, const char *text, size_t len, dm_error *err) {
  if (!b || (!text && len)) return dm_error_set(err, DM_EINVAL, "dm_bpe_add_text: NULL argument");
  if (b->trained) return dm_error_set(err, DM_EINVAL, "dm_bpe_add_text: the trainer has already trained");
  b->n_bytes += len;
  return dm_tokenizer_pre_tokenize(b->pretok, text, len, DM_TOKENIZE_PARSE_SPECIAL, count_word, b, err);
}

int dm_bpe_add_file(dm_bpe *b, const char *path, dm_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    int rc = errno == ENOENT ? DM_ENOENT : DM_EIO;
    dm_error_set(err, rc, "cannot open corpus: %s", strerror(errno));
    dm_error_set_source(err, path);
    return rc;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (len == cap) {
      size_t nc = cap ? cap * 2 : 1 << 20;
      char *v = realloc(buf, nc);
      if (!v) {
        rc = dm_error_set(err, DM_ENOMEM, "out of memory");
        break;
      }
      buf = v;
      cap = nc;
    }
    size_t k = fread(buf + len, 1, cap - len, f);
    len += k;
    if (k == 0) {
      if (ferror(f)) rc = dm_error_set(err, DM_EIO, "cannot read corpus: %s", strerror(errno));
      break;
    }
  }
  fclose(f);
  if (!rc) rc = dm_bpe_add_text(b, buf, len, err);
  free(buf);
  if (rc) dm_error_set_source(err, path);
  return rc;
}

/* ------------------------------------------------------------------ training */

static int train_init(dm_bpe *b) {
  size_t nw = b->words.n, total = 0;
  for (size_t w = 0; w < nw; w++) total += b->words.len[w];
  b->sym = malloc((total ? total : 1) * sizeof *b->sym);
  b->woff = malloc((nw ? nw : 1) * sizeof *b->woff);
  b->wlen = malloc((nw ? nw : 1) * sizeof *b->wlen);
  b->wstamp = calloc(nw ? nw : 1, sizeof *b->wstamp);
  if (!b->sym || !b->woff || !b->wlen || !b->wstamp) return DM_ENOMEM;
  size_t at = 0;
  for (size_t w = 0; w < nw; w++) {
    const unsigned char *s = (const unsigned char *)bmap_str(&b->words, w);
    b->woff[w] = at;
    b->wlen[w] = b->words.len[w];
    for (uint32_t i = 0; i < b->wlen[w]; i++) b->sym[at + i] = s[i];
    for (uint32_t i = 0; i + 1 < b->wlen[w]; i++) {
      long p = pair_get(b, b->sym[at + i], b->sym[at + i + 1]);
      if (p < 0) return (int)p;
      b->pairs[p].count += b->wcount[w];
      int rc = pair_note_word(&b->pairs[p], (uint32_t)w);
      if (rc) return rc;
    }
    at += b->wlen[w];
  }
  for (size_t p = 0; p < b->n_pairs; p++) {
    int rc = heap_push(b, (uint32_t)p);
    if (rc) return rc;
  }
  return 0;
}

/* Id of the token A+B (a new one when the string is new: *is_new). */
static long token_for(dm_bpe *b, int32_t x, int32_t y, int *is_new) {
  size_t lx = b->toks.len[x], ly = b->toks.len[y];
  char stack[256], *s = lx + ly <= sizeof stack ? stack : malloc(lx + ly);
  if (!s) return DM_ENOMEM;
  memcpy(s, bmap_str(&b->toks, (size_t)x), lx);
  memcpy(s + lx, bmap_str(&b->toks, (size_t)y), ly);
  long id = bmap_put(&b->toks, s, lx + ly, is_new);
  if (s != stack) free(s);
  return id;
}

/* Merge pair p into token n in every word that holds it. */
static int apply_merge(dm_bpe *b, uint32_t p, int32_t n, uint32_t stamp, uint32_t **touched,
                       size_t *n_touched, size_t *cap_touched) {
  int32_t A = b->pairs[p].a, B = b->pairs[p].b;
  for (uint32_t k = 0; k < b->pairs[p].nw; k++) {
    uint32_t w = b->pairs[p].w[k];
    if (b->wstamp[w] == stamp) continue;
    b->wstamp[w] = stamp;
    int32_t *s = b->sym + b->woff[w];
    uint32_t len = b->wlen[w], i;
    for (i = 0; i + 1 < len; i++)
      if (s[i] == A && s[i + 1] == B) break;
    if (i + 1 >= len) continue; /* stale entry */
    int64_t f = b->wcount[w];
    for (i = 0; i + 1 < len; i++) {
      long q = pair_get(b, s[i], s[i + 1]);
      if (q < 0) return (int)q;
      b->pairs[q].count -= f;
    }
    uint32_t j = 0;
    for (i = 0; i < len;) {
      if (i + 1 < len && s[i] == A && s[i + 1] == B) {
        s[j++] = n;
        i += 2;
      } else {
        s[j++] = s[i++];
      }
    }
    b->wlen[w] = len = j;
    for (i = 0; i + 1 < len; i++) {
      long q = pair_get(b, s[i], s[i + 1]);
      if (q < 0) return (int)q;
      pair *pq = &b->pairs[q];
      pq->count += f;
      if (s[i] == n || s[i + 1] == n) {
        int rc = pair_note_word(pq, w);
        if (rc) return rc;
        if (pq->stamp != stamp) {
          pq->stamp = stamp;
          if (*n_touched == *cap_touched) {
            size_t nc = *cap_touched ? *cap_touched * 2 : 256;
            uint32_t *v = realloc(*touched, nc * sizeof *v);
            if (!v) return DM_ENOMEM;
            *touched = v;
            *cap_touched = nc;
          }
          (*touched)[(*n_touched)++] = (uint32_t)q;
        }
      }
    }
  }
  return 0;
}

int dm_bpe_train(dm_bpe *b, dm_error *err) {
  if (!b) return dm_error_set(err, DM_EINVAL, "dm_bpe_train: NULL argument");
  if (b->trained) return dm_error_set(err, DM_EINVAL, "dm_bpe_train: already trained");
  b->trained = 1;
  int rc = train_init(b);
  int32_t target = b->p.vocab_size - (int32_t)b->n_specials;
  int64_t min_count = b->p.min_count > 1 ? b->p.min_count : 1;
  uint32_t stamp = 0, *touched = NULL;
  size_t n_touched = 0, cap_touched = 0, cap_merges = 0;
  while (!rc && (int32_t)b->toks.n < target && b->n_heap) {
    heap_ent e = heap_pop(b);
    int64_t cur = b->pairs[e.p].count;
    if (cur != e.count) {
      if (cur > 0 && cur < e.count) rc = heap_push(b, e.p);
      continue;
    }
    if (cur < min_count) break;
    int is_new;
    long n = token_for(b, e.a, e.b, &is_new);
    if (n < 0) {
      rc = (int)n;
      break;
    }
    if ((size_t)b->n_merges == cap_merges) {
      size_t nc = cap_merges ? cap_merges * 2 : 1024;
      int32_t(*v)[2] = realloc(b->merges, nc * sizeof *v);
      if (!v) {
        rc = DM_ENOMEM;
        break;
      }
      b->merges = v;
      cap_merges = nc;
    }
    b->merges[b->n_merges][0] = e.a;
    b->merges[b->n_merges][1] = e.b;
    b->n_merges++;
    n_touched = 0;
    if (++stamp == 0) { /* wrapped: clear the stamps */
      memset(b->wstamp, 0, b->words.n * sizeof *b->wstamp);
      for (size_t i = 0; i < b->n_pairs; i++) b->pairs[i].stamp = 0;
      stamp = 1;
    }
    rc = apply_merge(b, e.p, (int32_t)n, stamp, &touched, &n_touched, &cap_touched);
    free(b->pairs[e.p].w); /* the pair is gone from every word */
    b->pairs[e.p].w = NULL;
    b->pairs[e.p].nw = b->pairs[e.p].cw = 0;
    b->pairs[e.p].count = 0;
    for (size_t i = 0; !rc && i < n_touched; i++)
      if (b->pairs[touched[i]].count > 0) rc = heap_push(b, touched[i]);
  }
  free(touched);
  if (rc) return dm_error_set(err, rc, "BPE training failed: %s", dm_strerror(rc));
  return 0;
}

void dm_bpe_stats_get(const dm_bpe *b, dm_bpe_stats *s) {
  memset(s, 0, sizeof *s);
  s->bytes = b->n_bytes;
  s->words = b->n_words;
  s->unique_words = b->words.n;
  s->merges = b->n_merges;
  s->vocab_size = (int32_t)(b->toks.n + b->n_specials);
}

/* ------------------------------------------------------------------ writer */

/* GPT-2's byte -> code point map: printable Latin-1 bytes map to themselves, the
 * others to 256, 257, ... in byte order. */
static uint32_t byte_cp(unsigned c) {
  if ((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF)) return c;
  uint32_t n = 0;
  for (unsigned k = 0; k < c; k++)
    if (!((k >= '!' && k <= '~') || (k >= 0xA1 && k <= 0xAC) || (k >= 0xAE && k <= 0xFF))) n++;
  return 256 + n;
}

/* The piece of token id: its bytes through the byte map, as UTF-8 (new string). */
static char *piece_of(const dm_bpe *b, size_t id, const uint32_t *cp) {
  size_t n = b->toks.len[id];
  const unsigned char *s = (const unsigned char *)bmap_str(&b->toks, id);
  char *o = malloc(2 * n + 1), *q = o;
  if (!o) return NULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = cp[s[i]];
    if (c < 0x80) {
      *q++ = (char)c;
    } else {
      *q++ = (char)(0xC0 | (c >> 6));
      *q++ = (char)(0x80 | (c & 0x3F));
    }
  }
  *q = 0;
  return o;
}

static cJSON *byte_level(void) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "ByteLevel");
  cJSON_AddFalseToObject(o, "add_prefix_space");
  cJSON_AddFalseToObject(o, "trim_offsets");
  cJSON_AddFalseToObject(o, "use_regex");
  return o;
}

static cJSON *tokenizer_json(const dm_bpe *b) {
  uint32_t cp[256];
  for (unsigned c = 0; c < 256; c++) cp[c] = byte_cp(c);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", "1.0");
  cJSON_AddNullToObject(root, "truncation");
  cJSON_AddNullToObject(root, "padding");
  cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
  for (size_t i = 0; i < b->n_specials; i++) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "id", (double)(b->toks.n + i));
    cJSON_AddStringToObject(t, "content", b->specials[i]);
    cJSON_AddFalseToObject(t, "single_word");
    cJSON_AddFalseToObject(t, "lstrip");
    cJSON_AddFalseToObject(t, "rstrip");
    cJSON_AddFalseToObject(t, "normalized");
    cJSON_AddTrueToObject(t, "special");
    cJSON_AddItemToArray(added, t);
  }
  cJSON_AddNullToObject(root, "normalizer");
  cJSON *pre = cJSON_AddObjectToObject(root, "pre_tokenizer");
  cJSON_AddStringToObject(pre, "type", "Sequence");
  cJSON *seq = cJSON_AddArrayToObject(pre, "pretokenizers");
  cJSON *split = cJSON_CreateObject();
  cJSON_AddStringToObject(split, "type", "Split");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(split, "pattern"), "Regex",
                          b->p.split == DM_BPE_SPLIT_ISOLATED ? SPLIT_ISOLATED_REGEX : SPLIT_REGEX);
  cJSON_AddStringToObject(split, "behavior", "Isolated");
  cJSON_AddFalseToObject(split, "invert");
  cJSON_AddItemToArray(seq, split);
  cJSON_AddItemToArray(seq, byte_level());
  cJSON_AddItemToObject(root, "post_processor", byte_level());
  cJSON_AddItemToObject(root, "decoder", byte_level());
  cJSON *m = cJSON_AddObjectToObject(root, "model");
  cJSON_AddStringToObject(m, "type", "BPE");
  cJSON_AddNullToObject(m, "dropout");
  cJSON_AddNullToObject(m, "unk_token");
  cJSON_AddStringToObject(m, "continuing_subword_prefix", "");
  cJSON_AddStringToObject(m, "end_of_word_suffix", "");
  cJSON_AddFalseToObject(m, "fuse_unk");
  cJSON_AddFalseToObject(m, "byte_fallback");
  cJSON_AddFalseToObject(m, "ignore_merges");
  cJSON *vocab = cJSON_AddObjectToObject(m, "vocab");
  char **pieces = calloc(b->toks.n, sizeof *pieces);
  int bad = !pieces;
  for (size_t id = 0; !bad && id < b->toks.n; id++) {
    if (!(pieces[id] = piece_of(b, id, cp))) bad = 1;
    else cJSON_AddNumberToObject(vocab, pieces[id], (double)id);
  }
  cJSON_AddArrayToObject(m, "merges"); /* filled in as text, one merge a line: splice_merges */
  if (pieces)
    for (size_t id = 0; id < b->toks.n; id++) free(pieces[id]);
  free(pieces);
  if (bad) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

static cJSON *config_json(const dm_bpe *b) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddFalseToObject(root, "add_bos_token");
  cJSON_AddFalseToObject(root, "add_prefix_space");
  cJSON *dec = cJSON_AddObjectToObject(root, "added_tokens_decoder");
  for (size_t i = 0; i < b->n_specials; i++) {
    char id[32];
    snprintf(id, sizeof id, "%zu", b->toks.n + i);
    cJSON *t = cJSON_AddObjectToObject(dec, id);
    cJSON_AddStringToObject(t, "content", b->specials[i]);
    cJSON_AddFalseToObject(t, "lstrip");
    cJSON_AddFalseToObject(t, "normalized");
    cJSON_AddFalseToObject(t, "rstrip");
    cJSON_AddFalseToObject(t, "single_word");
    cJSON_AddTrueToObject(t, "special");
  }
  cJSON *extra = cJSON_AddArrayToObject(root, "additional_special_tokens");
  for (size_t i = 1; i < b->n_specials; i++) cJSON_AddItemToArray(extra, cJSON_CreateString(b->specials[i]));
  cJSON_AddNullToObject(root, "bos_token");
  cJSON_AddStringToObject(root, "chat_template", CHAT_TEMPLATE);
  cJSON_AddFalseToObject(root, "clean_up_tokenization_spaces");
  cJSON_AddStringToObject(root, "eos_token", "<|endoftext|>");
  cJSON_AddStringToObject(root, "errors", "replace");
  cJSON_AddStringToObject(root, "mask_token", "<|mask|>");
  cJSON_AddNumberToObject(root, "model_max_length", 32768);
  cJSON_AddStringToObject(root, "pad_token", "<|endoftext|>");
  cJSON_AddFalseToObject(root, "split_special_tokens");
  cJSON_AddStringToObject(root, "tokenizer_class", "Qwen2Tokenizer");
  cJSON_AddNullToObject(root, "unk_token");
  return root;
}

/* Replace the empty "merges" array of the printed tokenizer.json (the last one: the
 * model is the last section) by the merges, one ["a", "b"] per line, so that a
 * committed tokenizer.json diffs line by line. Returns a new string (free()) or NULL. */
static char *splice_merges(const dm_bpe *b, const char *json) {
  static const char key[] = "\"merges\":\t[]";
  const char *at = NULL;
  for (const char *p = strstr(json, key); p; p = strstr(p + 1, key)) at = p;
  if (!at) return NULL;
  uint32_t cp[256];
  for (unsigned c = 0; c < 256; c++) cp[c] = byte_cp(c);
  size_t cap = strlen(json) + 64;
  for (int32_t i = 0; i < b->n_merges; i++)
    cap += 16 + 4 * (b->toks.len[b->merges[i][0]] + b->toks.len[b->merges[i][1]]);
  char *out = malloc(cap), *q = out;
  if (!out) return NULL;
  size_t head = (size_t)(at - json) + sizeof key - 2; /* up to and including '[' */
  memcpy(q, json, head);
  q += head;
  for (int32_t i = 0; i < b->n_merges; i++) {
    q += sprintf(q, "%s\n\t\t\t[", i ? "," : "");
    for (int k = 0; k < 2; k++) {
      char *pc = piece_of(b, (size_t)b->merges[i][k], cp);
      if (!pc) {
        free(out);
        return NULL;
      }
      *q++ = '"';
      for (const char *c = pc; *c; c++) { /* mapped pieces hold no control characters */
        if (*c == '"' || *c == '\\') *q++ = '\\';
        *q++ = *c;
      }
      *q++ = '"';
      free(pc);
      if (k == 0) q += sprintf(q, ", ");
    }
    *q++ = ']';
  }
  if (b->n_merges) q += sprintf(q, "\n\t\t");
  strcpy(q, at + sizeof key - 2);
  return out;
}

int dm_bpe_to_json(const dm_bpe *b, char **tok_json, char **cfg_json, dm_error *err) {
  if (tok_json) *tok_json = NULL;
  if (cfg_json) *cfg_json = NULL;
  if (!b) return dm_error_set(err, DM_EINVAL, "dm_bpe_to_json: NULL argument");
  for (int k = 0; k < 2; k++) {
    char **dst = k ? cfg_json : tok_json;
    if (!dst) continue;
    cJSON *j = k ? config_json(b) : tokenizer_json(b);
    char *s = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (s && k == 0) {
      char *t = splice_merges(b, s);
      cJSON_free(s);
      s = t;
    }
    char *c = s ? malloc(strlen(s) + 2) : NULL;
    if (c) {
      strcpy(c, s);
      strcat(c, "\n");
    }
    if (s && k == 0) free(s);
    else if (s) cJSON_free(s);
    if (!c) {
      if (tok_json) {
        free(*tok_json);
        *tok_json = NULL;
      }
      return dm_error_set(err, DM_ENOMEM, "out of memory");
    }
    *dst = c;
  }
  return 0;
}

static int write_file(const char *dir, const char *name, const char *text, dm_error *err) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  if (!path) return dm_error_set(err, DM_ENOMEM, "out of memory");
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  int rc = 0;
  if (!f) {
    rc = dm_error_set(err, DM_EIO, "cannot write: %s", strerror(errno));
  } else {
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len;
    if (fclose(f) != 0) bad = 1;
    if (bad) rc = dm_error_set(err, DM_EIO, "cannot write: %s", strerror(errno));
  }
  if (rc) dm_error_set_source(err, path);
  free(path);
  return rc;
}

int dm_bpe_write(const dm_bpe *b, const char *dir, dm_error *err) {
  if (!b || !dir) return dm_error_set(err, DM_EINVAL, "dm_bpe_write: NULL argument");
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    int rc = dm_error_set(err, DM_EIO, "cannot create the output directory: %s", strerror(errno));
    dm_error_set_source(err, dir);
    return rc;
  }
  char *tj, *cj;
  int rc = dm_bpe_to_json(b, &tj, &cj, err);
  if (rc) return rc;
  rc = write_file(dir, "tokenizer.json", tj, err);
  if (!rc) rc = write_file(dir, "tokenizer_config.json", cj, err);
  free(tj);
  free(cj);
  return rc;
}
