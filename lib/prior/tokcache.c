/* The token-automaton cache: class tries per byte partition and row templates per
 * region shape, shared by every automaton over one vocabulary. */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "tmpl.h"

#define CACHE_TRIES 128
#define CACHE_TRIE_BYTES ((size_t)160 << 20)
#define CACHE_BUCKETS 1024
#define CACHE_MAX_TEMPLATES 2048

/* Token sets shared by content between templates (reference counted; the pool
 * lives while the cache or any template needs it). */
typedef struct dm_setpool {
  int refs;
  size_t vwords;
  dm_cset *bucket[CACHE_BUCKETS];
} dm_setpool;

static dm_setpool *pool_ref(dm_setpool *p) {
  p->refs++;
  return p;
}

static void pool_unref(dm_setpool *p) {
  if (p && --p->refs == 0) free(p);
}

static uint64_t hash_words(const uint64_t *b, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ULL + (h >> 31);
  return h;
}

/* The pooled copy of bits (one reference for the caller), NULL on OOM. */
static dm_cset *pool_intern(dm_setpool *p, const uint64_t *bits) {
  uint64_t h = hash_words(bits, p->vwords);
  dm_cset **slot = &p->bucket[h % CACHE_BUCKETS];
  for (dm_cset *s = *slot; s; s = s->chain)
    if (s->hash == h && memcmp(s->bits, bits, p->vwords * 8) == 0) {
      s->refs++;
      return s;
    }
  dm_cset *s = malloc(sizeof *s + p->vwords * 8);
  if (!s) return NULL;
  s->hash = h;
  s->refs = 1;
  memcpy(s->bits, bits, p->vwords * 8);
  s->chain = *slot;
  *slot = s;
  return s;
}

static void pool_release(dm_setpool *p, dm_cset *s) {
  if (!s || --s->refs > 0) return;
  dm_cset **slot = &p->bucket[s->hash % CACHE_BUCKETS];
  while (*slot != s) slot = &(*slot)->chain;
  *slot = s->chain;
  free(s);
}

/* The DFA classes inside each class of a partition P, for region(). */
#define DL_MEMO 16
typedef struct dl_memo {
  uint64_t hp, hd;
  int np;
  uint8_t p[256], dc[256];
  uint8_t dl[512];
  int off[257];
} dl_memo;

#define CACHE_MISSES 256
#define REGION_FAILS 512

/* Token sets by first byte (see dm_tokcache_first_bytes), a few kept. */
#define CACHE_FIRST_BYTES 32
typedef struct fb_entry {
  uint64_t key[4]; /* the bytes, as a 256-bit set */
  uint64_t *bits;  /* NULL: unused */
} fb_entry;

struct dm_tokcache {
  const dm_vocab *vocab;
  uint8_t *first_byte;              /* per token: its first byte (built on first use) */
  fb_entry fb[CACHE_FIRST_BYTES];
  int fb_next;
  uint64_t serial;                  /* requester numbers handed out */
  dm_tokauto *donor[DM_TOKCACHE_DONORS]; /* borrowed (see dm_tokcache_set_donor) */
  int32_t root_size[256];           /* byte-trie nodes below each root child, by byte */
  bool root_size_done;
  uint64_t miss_hash[CACHE_MISSES], miss_by[CACHE_MISSES]; /* partitions not built yet, by whom */
  int miss_next;
  dm_classtrie *tries[CACHE_TRIES]; /* one reference each */
  int64_t tries_built, tries_finer;  /* dm_tokcache_trie_stats */
  uint64_t trie_hash[CACHE_TRIES];
  uint64_t trie_used[CACHE_TRIES], clock; /* last use, for eviction */
  size_t trie_bytes;
  uint8_t pair[256 * 32];           /* scratch bitset (P class, DFA class), all zero between uses */
  dl_memo memo[DL_MEMO];
  int ntries;
  dm_tmpl *bucket[CACHE_BUCKETS];   /* one reference each */
  int ntemplates;
  int32_t *codes;                   /* scratch: DM_TMPL_MAX_REGION * 256 codes */
  dm_setpool *pool;                 /* one reference */
};

int dm_tokcache_new(const dm_vocab *vocab, dm_tokcache **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return DM_ENOMEM;
  (*out)->vocab = vocab;
  (*out)->pool = calloc(1, sizeof *(*out)->pool);
  if (!(*out)->pool) {
    free(*out);
    *out = NULL;
    return DM_ENOMEM;
  }
  (*out)->pool->refs = 1;
  (*out)->pool->vwords = ((size_t)vocab->n + 63) / 64;
  return DM_OK;
}

static void drop_templates(dm_tokcache *c) {
  for (int i = 0; i < CACHE_BUCKETS; i++) {
    dm_tmpl *t = c->bucket[i];
    while (t) {
      dm_tmpl *n = t->chain;
      t->chain = NULL;
      dm_tmpl_unref(t);
      t = n;
    }
    c->bucket[i] = NULL;
  }
  c->ntemplates = 0;
}

void dm_tokcache_free(dm_tokcache *c) {
  if (!c) return;
  free(c->first_byte);
  for (int i = 0; i < CACHE_FIRST_BYTES; i++) free(c->fb[i].bits);
  drop_templates(c);
  for (int i = 0; i < c->ntries; i++) dm_classtrie_unref(c->tries[i]);
  free(c->codes);
  pool_unref(c->pool);
  free(c);
}

uint64_t dm_tokcache_serial(dm_tokcache *c) { return ++c->serial; }

void dm_tokcache_set_donor(dm_tokcache *c, int i, dm_tokauto *donor) {
  if (i >= 0 && i < DM_TOKCACHE_DONORS) c->donor[i] = donor;
}
dm_tokauto *dm_tokcache_donor(const dm_tokcache *c, int i) {
  return i >= 0 && i < DM_TOKCACHE_DONORS ? c->donor[i] : NULL;
}

const int32_t *dm_tokcache_root_sizes(dm_tokcache *c) {
  if (c->root_size_done) return c->root_size;
  const dm_vocab *v = c->vocab;
  int32_t *size = malloc((size_t)(v->ntrie ? v->ntrie : 1) * sizeof *size);
  if (!size) return NULL;
  for (int32_t n = 0; n < v->ntrie; n++) size[n] = 1;
  for (int32_t n = v->ntrie - 1; n > 0; n--) /* parents come before children */
    if (v->parent[n] > 0) size[v->parent[n]] += size[n];
  memset(c->root_size, 0, sizeof c->root_size);
  for (int32_t ch = v->trie[0].first_child; ch >= 0; ch = v->trie[ch].next_sibling) c->root_size[v->trie[ch].byte] = size[ch];
  free(size);
  c->root_size_done = true;
  return c->root_size;
}

const uint64_t *dm_tokcache_first_bytes(dm_tokcache *c, const uint8_t in[256]) {
  uint64_t key[4] = {0};
  for (int b = 0; b < 256; b++)
    if (in[b]) key[b >> 6] |= (uint64_t)1 << (b & 63);
  for (int i = 0; i < CACHE_FIRST_BYTES; i++)
    if (c->fb[i].bits && memcmp(c->fb[i].key, key, sizeof key) == 0) return c->fb[i].bits;
  const dm_vocab *v = c->vocab;
  if (!c->first_byte) {
    if (!(c->first_byte = malloc((size_t)(v->n ? v->n : 1)))) return NULL;
    for (int32_t t = 0; t < v->n; t++) c->first_byte[t] = v->off[t + 1] > v->off[t] ? v->blob[v->off[t]] : 0;
  }
  size_t vw = ((size_t)v->n + 63) / 64;
  fb_entry *e = &c->fb[c->fb_next];
  if (!e->bits && !(e->bits = malloc(vw * 8))) return NULL;
  c->fb_next = (c->fb_next + 1) % CACHE_FIRST_BYTES;
  memcpy(e->key, key, sizeof key);
  for (size_t w = 0; w < vw; w++) {
    uint64_t word = 0;
    int32_t t0 = (int32_t)(w * 64), end = v->n - t0 < 64 ? v->n - t0 : 64;
    for (int32_t i = 0; i < end; i++) {
      int32_t t = t0 + i;
      word |= (uint64_t)(in[c->first_byte[t]] && v->off[t + 1] > v->off[t] && !(v->flags[t] & DM_VOCAB_SPECIAL)) << i;
    }
    e->bits[w] = word;
  }
  return e->bits;
}

size_t dm_tokcache_memory(const dm_tokcache *c) {
  size_t m = 0;
  for (int i = 0; i < c->ntries; i++) m += c->tries[i]->memory;
  for (int i = 0; i < CACHE_BUCKETS; i++)
    for (const dm_tmpl *t = c->bucket[i]; t; t = t->chain) m += t->memory;
  return m;
}

void dm_tokcache_trie_stats(const dm_tokcache *c, int64_t *built, int64_t *finer) {
  if (built) *built = c->tries_built;
  if (finer) *finer = c->tries_finer;
}

/* The class trie of a partition (borrowed from the cache; NULL on OOM). */
static uint64_t hash_partition(const uint8_t class_of[256]) {
  uint64_t h = 0x9E3779B97F4A7C15ULL, w;
  for (int i = 0; i < 256; i += 8) {
    memcpy(&w, class_of + i, 8);
    h = (h ^ w) * 0x100000001B3ULL + (h >> 29);
  }
  return h;
}

/* Whether partition fine refines partition coarse (each fine class inside one
 * coarse class). */
static bool refines(const uint8_t fine[256], const uint8_t coarse[256]) {
  int16_t to[256];
  memset(to, 0xff, sizeof to);
  for (int b = 0; b < 256; b++) {
    if (to[fine[b]] < 0) to[fine[b]] = coarse[b];
    else if (to[fine[b]] != coarse[b]) return false;
  }
  return true;
}

/* The class trie for class_of: the cached one of that partition, else the smallest
 * cached one of a finer partition (it serves as well: the caller re-expresses its
 * codes on its classes; no build), else a new one (when may_build). */
static dm_classtrie *trie_for(dm_tokcache *c, const uint8_t class_of[256], bool may_build, bool *missing,
                              uint64_t requester) {
  uint64_t h = hash_partition(class_of);
  for (int i = 0; i < c->ntries; i++)
    if (c->trie_hash[i] == h && memcmp(c->tries[i]->class_of, class_of, 256) == 0) {
      c->trie_used[i] = ++c->clock;
      return c->tries[i];
    }
  int fine = -1;
  for (int i = 0; i < c->ntries; i++)
    if ((fine < 0 || c->tries[i]->n < c->tries[fine]->n) && refines(c->tries[i]->class_of, class_of)) fine = i;
  if (fine >= 0) {
    c->trie_used[fine] = ++c->clock;
    c->tries_finer++;
    return c->tries[fine];
  }
  if (!may_build) {
    /* a partition one automaton asks for is built when another one asks again */
    int i = 0;
    while (i < CACHE_MISSES && c->miss_hash[i] != h) i++;
    if (i == CACHE_MISSES || c->miss_by[i] == requester) {
      if (i == CACHE_MISSES) {
        i = c->miss_next;
        c->miss_next = (c->miss_next + 1) % CACHE_MISSES;
        c->miss_hash[i] = h;
      }
      c->miss_by[i] = requester;
      *missing = true;
      return NULL;
    }
  }
  dm_classtrie *ct = NULL;
  if (dm_classtrie_new(c->vocab, class_of, &ct)) return NULL;
  c->tries_built++;
  /* keep at most CACHE_TRIES tries and CACHE_TRIE_BYTES, dropping the least
     recently used (templates keep their own references) */
  while (c->ntries && (c->ntries == CACHE_TRIES || c->trie_bytes + ct->memory > CACHE_TRIE_BYTES)) {
    int lru = 0;
    for (int i = 1; i < c->ntries; i++)
      if (c->trie_used[i] < c->trie_used[lru]) lru = i;
    c->trie_bytes -= c->tries[lru]->memory;
    dm_classtrie_unref(c->tries[lru]);
    c->ntries--;
    c->tries[lru] = c->tries[c->ntries];
    c->trie_hash[lru] = c->trie_hash[c->ntries];
    c->trie_used[lru] = c->trie_used[c->ntries];
  }
  c->tries[c->ntries] = ct;
  c->trie_hash[c->ntries] = h;
  c->trie_used[c->ntries] = ++c->clock;
  c->ntries++;
  c->trie_bytes += ct->memory;
  return ct;
}

void dm_tmpl_unref(dm_tmpl *t) {
  if (!t || --t->refs > 0) return;
  dm_classtrie_unref(t->ct);
  free(t->codes);
  free(t->g_off);
  free(t->g_nodes);
  free(t->g_count);
  free(t->ex_node);
  free(t->ex_rel);
  free(t->ex_cls);
  if (t->bits)
    for (int j = 0; j < t->nrel; j++) pool_release(t->pool, t->bits[j]);
  free(t->bits);
  pool_unref(t->pool);
  free(t);
}

void dm_tmpl_heavy_states(const dm_dfa *d, uint8_t *heavy) {
  int size[256] = {0};
  for (int b = 0; b < 256; b++) size[d->class_of[b]]++;
  for (int32_t q = 0; q < d->nstates; q++) {
    const int32_t *row = d->next + (size_t)q * (size_t)d->nclasses;
    int alive = 0;
    for (int c = 0; c < d->nclasses; c++) alive += row[c] >= 0 ? size[c] : 0;
    heavy[q] = alive >= 32;
  }
}

/* UTF-8 byte kinds: the distinctions a UTF-8 validator makes above 0x7F (ASCII is
 * kind 0; then 80-8F, 90-9F, A0-BF, C0-C1, C2-DF, E0, E1-EC, ED, EE-EF, F0, F1-F3,
 * F4, F5-FF). */
static const uint8_t utf8_kinds[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 9, 9, 10, 11, 11, 11, 12, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13,
};

/* Refine a byte partition by a key per byte (with_old: the pair (old class, key);
 * else the key alone), classes renumbered by first byte. Returns the class count. */
static int refine(uint8_t class_of[256], const int32_t key[256], int with_old) {
  int64_t seen[256], last = INT64_MIN;
  int n = 0, li = 0;
  uint8_t out[256];
  for (int b = 0; b < 256; b++) {
    int64_t k = with_old ? (int64_t)key[b] * 256 + class_of[b] : key[b];
    int i = li;
    if (k != last) { /* runs of equal keys are the common case */
      i = 0;
      while (i < n && seen[i] != k) i++;
      if (i == n) seen[n++] = k;
      last = k;
      li = i;
    }
    out[b] = (uint8_t)i;
  }
  memcpy(class_of, out, 256);
  return n;
}

static uint64_t mix(uint64_t h, uint64_t x) { return (h ^ x) * 0x100000001B3ULL + (h >> 29); }

/* Build the walk of a template whose codes are set. DM_OK / DM_ENOMEM. */
static int tmpl_walk(dm_tmpl *t) {
  const dm_classtrie *ct = t->ct;
  int32_t *cnt = calloc((size_t)t->nrel + 1, sizeof *cnt);
  int32_t *lists = malloc((size_t)ct->n * sizeof *lists), *lrel = malloc((size_t)ct->n * sizeof *lrel);
  int32_t *stack = malloc((size_t)ct->n * 2 * sizeof *stack);
  int32_t nl = 0, cap_ex = 64;
  t->ex_node = malloc((size_t)cap_ex * sizeof *t->ex_node);
  t->ex_rel = malloc((size_t)cap_ex * sizeof *t->ex_rel);
  t->ex_cls = malloc((size_t)cap_ex);
  int rc = DM_ENOMEM;
  if (!cnt || !lists || !lrel || !stack || !t->ex_node || !t->ex_rel || !t->ex_cls) goto out;
  t->g_count = calloc((size_t)t->nrel, sizeof *t->g_count);
  if (!t->g_count) goto out;
  size_t sp = 0;
  stack[sp++] = 0;
  stack[sp++] = 0;
  while (sp) {
    int32_t rel = stack[--sp], node = stack[--sp];
    for (int32_t ch = ct->nodes[node].first_child; ch >= 0; ch = ct->nodes[ch].next_sibling) {
      uint8_t k = ct->nodes[ch].cls;
      int32_t j = t->codes[(size_t)rel * (size_t)t->np + k];
      if (j == DM_TMPL_DEAD) continue;
      if (j == DM_TMPL_EXIT) {
        if (t->nexit == cap_ex) {
          cap_ex *= 2;
          int32_t *a = realloc(t->ex_node, (size_t)cap_ex * sizeof *a);
          if (a) t->ex_node = a;
          int32_t *b = a ? realloc(t->ex_rel, (size_t)cap_ex * sizeof *b) : NULL;
          if (b) t->ex_rel = b;
          uint8_t *c = b ? realloc(t->ex_cls, (size_t)cap_ex) : NULL;
          if (!c) goto out;
          t->ex_cls = c;
        }
        t->ex_node[t->nexit] = ch;
        t->ex_rel[t->nexit] = rel;
        t->ex_cls[t->nexit] = k;
        t->nexit++;
        continue;
      }
      if (ct->nodes[ch].ntokens) {
        lists[nl] = ch;
        lrel[nl++] = j;
        cnt[j + 1]++;
        t->g_count[j] += ct->nodes[ch].ntokens;
      }
      if (ct->nodes[ch].first_child >= 0) {
        stack[sp++] = ch;
        stack[sp++] = j;
      }
    }
  }
  t->g_off = malloc(((size_t)t->nrel + 1) * sizeof *t->g_off);
  t->g_nodes = malloc(((size_t)nl + 1) * sizeof *t->g_nodes);
  t->bits = calloc((size_t)t->nrel, sizeof *t->bits);
  if (!t->g_off || !t->g_nodes || !t->bits) goto out;
  for (int j = 0; j < t->nrel; j++) cnt[j + 1] += cnt[j];
  memcpy(t->g_off, cnt, ((size_t)t->nrel + 1) * sizeof *cnt);
  for (int32_t i = 0; i < nl; i++) t->g_nodes[cnt[lrel[i]]++] = lists[i];
  t->memory = sizeof *t + (size_t)t->nrel * (size_t)t->np * 4 + (size_t)t->nrel * 16 + (size_t)nl * 4 +
              (size_t)t->nexit * 9;
  rc = DM_OK;
out:
  free(cnt);
  free(lists);
  free(lrel);
  free(stack);
  return rc;
}

/* The region of q under partition class_of (np classes):
 * codes and map filled, *nrel set; heavy states met outside the region are listed
 * in cand (up to 8, *ncand). scratch entries are left -1. */
static void region(uint8_t *pair_seen, dl_memo *memo, const dm_dfa *d, const uint8_t *heavy, int32_t q, const uint8_t class_of[256], int np,
                   int32_t *codes, int32_t *map, int *nrel_out, int32_t *scratch, int32_t cand[8], int *ncand) {
  /* the DFA classes inside each P class (dl[off[k] .. off[k+1])): a state is
     compatible with P when it maps all of them to one target */
  /* memo: the lists depend only on (P, the DFA's classes) */
  uint64_t hp = hash_partition(class_of), hd = hash_partition(d->class_of);
  dl_memo *m = &memo[(hp ^ (hd * 31)) % DL_MEMO];
  if (!(m->hp == hp && m->hd == hd && m->np == np && memcmp(m->p, class_of, 256) == 0 &&
        memcmp(m->dc, d->class_of, 256) == 0)) {
    int fill[256];
    memset(m->off, 0, sizeof m->off);
    for (int pass = 0; pass < 2; pass++) { /* pass 0 sets the bits, pass 1 clears them */
      for (int b = 0; b < 256; b++) {
        int dc = d->class_of[b], k = class_of[b];
        uint8_t bit = (uint8_t)(1 << (dc & 7));
        uint8_t *cell = &pair_seen[k * 32 + (dc >> 3)];
        if ((*cell & bit) == (pass ? 0 : bit)) continue;
        *cell ^= bit;
        if (pass == 0) m->off[k + 1]++;
        else m->dl[fill[k]++] = (uint8_t)dc;
      }
      if (pass == 0) {
        for (int k = 0; k < np; k++) m->off[k + 1] += m->off[k];
        memcpy(fill, m->off, sizeof fill);
      }
    }
    m->hp = hp;
    m->hd = hd;
    m->np = np;
    memcpy(m->p, class_of, 256);
    memcpy(m->dc, d->class_of, 256);
  }
  const uint8_t *dl = m->dl;
  const int *off = m->off;
  int nrel = 1, nfail = 0;
  int32_t fail[REGION_FAILS]; /* targets found incompatible (scratch -2), checked once */
  map[0] = q;
  scratch[q] = 0;
  *ncand = 0;
  for (int i = 0; i < nrel; i++) {
    const int32_t *rx = d->next + (size_t)map[i] * (size_t)d->nclasses;
    for (int k = 0; k < np; k++) {
      int32_t tgt = rx[dl[off[k]]], code;
      if (tgt < 0) code = DM_TMPL_DEAD;
      else if (scratch[tgt] >= 0) code = scratch[tgt];
      else if (scratch[tgt] == -2) code = DM_TMPL_EXIT;
      else {
        code = DM_TMPL_EXIT;
        const int32_t *rt = d->next + (size_t)tgt * (size_t)d->nclasses;
        int ok = nrel < DM_TMPL_MAX_REGION;
        for (int k2 = 0; k2 < np && ok; k2++)
          for (int j = off[k2] + 1; j < off[k2 + 1] && ok; j++) ok = rt[dl[j]] == rt[dl[off[k2]]];
        if (ok) {
          scratch[tgt] = nrel;
          map[nrel] = tgt;
          code = nrel++;
        } else {
          if (nfail < REGION_FAILS) {
            scratch[tgt] = -2;
            fail[nfail++] = tgt;
          }
          if (*ncand < 8 && heavy[tgt]) {
            int j = 0;
            while (j < *ncand && cand[j] != tgt) j++;
            if (j == *ncand) cand[(*ncand)++] = tgt;
          }
        }
      }
      codes[(size_t)i * (size_t)np + k] = code;
    }
  }
  for (int i = 0; i < nrel; i++) scratch[map[i]] = -1;
  for (int i = 0; i < nfail; i++) scratch[fail[i]] = -1;
  *nrel_out = nrel;
}

dm_tmpl *dm_tokcache_template(dm_tokcache *c, const dm_dfa *d, const uint8_t *heavy, int32_t q, int32_t *map,
                               int32_t *scratch, int build, bool *missing, uint64_t requester) {
  if (missing) *missing = false;
  const int32_t *row = d->next + (size_t)q * (size_t)d->nclasses;
  /* P starts as q's own partition (bytes grouped by target) joined with the UTF-8
     kinds; while the region stops at free-text states, P is refined by their
     partitions (at most 4 times) so that the region takes them in. Classes are
     numbered in byte order. */
  uint8_t class_of[256];
  int32_t key[256], cand[8];
  for (int b = 0; b < 256; b++) key[b] = row[d->class_of[b]] * 16 + utf8_kinds[b];
  int np = refine(class_of, key, 0), nrel = 0, ncand = 0;
  if (!c->codes && !(c->codes = malloc((size_t)DM_TMPL_MAX_REGION * 256 * sizeof *c->codes))) return NULL;
  int32_t *codes = c->codes;
  for (int round = 0;; round++) {
    region(c->pair, c->memo, d, heavy, q, class_of, np, codes, map, &nrel, scratch, cand, &ncand);
    if (!ncand || round == 4) break;
    for (int i = 0; i < ncand; i++) {
      const int32_t *r2 = d->next + (size_t)cand[i] * (size_t)d->nclasses;
      for (int b = 0; b < 256; b++) key[b] = r2[d->class_of[b]];
      np = refine(class_of, key, 1);
    }
  }
  dm_classtrie *ct = trie_for(c, class_of, build == DM_TMPL_BUILD || !missing, missing, requester);
  if (!ct) return NULL;
  if (ct->nclasses != np || memcmp(ct->class_of, class_of, 256) != 0) {
    /* a finer partition's trie: the codes of each of its classes are those of the
       class (of ours) that holds it */
    const int nq = ct->nclasses;
    int32_t *ours = malloc((size_t)nrel * (size_t)np * sizeof *ours);
    if (!ours) return NULL;
    memcpy(ours, codes, (size_t)nrel * (size_t)np * sizeof *ours);
    for (int32_t i = 0; i < nrel; i++)
      for (int k = 0; k < nq; k++) codes[(size_t)i * (size_t)nq + k] = ours[(size_t)i * (size_t)np + class_of[ct->rep[k]]];
    free(ours);
    np = nq;
  }
  uint64_t h = mix(0x9E3779B97F4A7C15ULL, (uint64_t)(uintptr_t)ct);
  for (size_t i = 0; i < (size_t)nrel * (size_t)np; i++) h = mix(h, (uint64_t)(uint32_t)codes[i]);
  h = mix(h, (uint64_t)nrel);
  /* shared? */
  dm_tmpl **slot = &c->bucket[h % CACHE_BUCKETS];
  for (dm_tmpl *t = *slot; t; t = t->chain)
    if (t->hash == h && t->ct == ct && t->np == np && t->nrel == nrel &&
        memcmp(t->codes, codes, (size_t)nrel * (size_t)np * sizeof *codes) == 0) {
      t->refs++;
      return t;
    }
  dm_tmpl *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->refs = 1;
  t->hash = h;
  t->ct = dm_classtrie_ref(ct);
  t->np = np;
  t->nrel = nrel;
  t->codes = malloc((size_t)nrel * (size_t)np * sizeof *codes);
  if (!t->codes) {
    dm_tmpl_unref(t);
    return NULL;
  }
  memcpy(t->codes, codes, (size_t)nrel * (size_t)np * sizeof *codes);
  t->vwords = ((size_t)c->vocab->n + 63) / 64;
  t->pool = pool_ref(c->pool);
  if (tmpl_walk(t)) {
    dm_tmpl_unref(t);
    return NULL;
  }
  /* the large token sets are built now, with the template, so that the decoder's
     first allowed() on a state does not pay for them */
  for (int j = 0; j < t->nrel; j++)
    if (t->g_count[j] > 1024 && !dm_tmpl_set(t, j)) {
      dm_tmpl_unref(t);
      return NULL;
    }
  if (c->ntemplates >= CACHE_MAX_TEMPLATES) drop_templates(c);
  slot = &c->bucket[h % CACHE_BUCKETS];
  t->chain = *slot;
  *slot = t;
  c->ntemplates++;
  t->refs++; /* the cache's reference */
  return t;
}

dm_cset *dm_tmpl_set(dm_tmpl *t, int32_t j) {
  if (!t->bits[j]) {
    const dm_classtrie *ct = t->ct;
    uint64_t *b = calloc(t->vwords, sizeof *b);
    if (!b) return NULL;
    if (t->g_count[j] > ct->ntok / 16) {
      /* a large set: mark its nodes, then one pass over the vocabulary, a word at a
         time */
      uint64_t *mark = calloc(((size_t)ct->n + 63) / 64, sizeof *mark);
      if (!mark) { free(b); return NULL; }
      for (int32_t i = t->g_off[j]; i < t->g_off[j + 1]; i++)
        mark[t->g_nodes[i] >> 6] |= (uint64_t)1 << (t->g_nodes[i] & 63);
      for (int32_t w = 0; w * 64 < ct->ntok; w++) {
        uint64_t word = 0;
        int32_t end = ct->ntok - w * 64 < 64 ? ct->ntok - w * 64 : 64;
        for (int32_t i = 0; i < end; i++) {
          int32_t nd = ct->tnode[w * 64 + i];
          word |= (uint64_t)(nd >= 0 && ((mark[nd >> 6] >> (nd & 63)) & 1)) << i;
        }
        b[w] = word;
      }
      free(mark);
    } else {
      for (int32_t i = t->g_off[j]; i < t->g_off[j + 1]; i++)
        for (int32_t x = ct->tok_off[t->g_nodes[i]], e = ct->tok_off[t->g_nodes[i] + 1]; x < e; x++) {
          int32_t tok = ct->toks[x];
          b[tok >> 6] |= (uint64_t)1 << (tok & 63);
        }
    }
    t->bits[j] = pool_intern(t->pool, b);
    free(b);
  }
  return t->bits[j];
}
