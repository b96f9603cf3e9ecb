/* Token automata: rows from byte-trie walks or shared templates (tokauto.h), token
 * sets materialized on demand and interned. */
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "dfa.h"
#include "tmpl.h"

typedef struct tokset {
  uint64_t *bits;
  int32_t count;
  uint64_t hash;
} tokset;

typedef struct rowx {         /* the part of a row behind the public view */
  dm_tmpl *tm;                /* template the row came from, or NULL */
  int32_t *tj;                /* per group: relative state in tm, or -1 */
  int32_t *nodes_off;         /* n + 1 offsets into nodes */
  int32_t *nodes;             /* byte-trie nodes per group */
  int32_t *count;             /* tokens per group */
  int32_t *set;               /* interned set per group, -1 until built */
  int32_t *dk;                /* dedupe id per group (keytab), -1 until needed */
  uint8_t filtered;           /* built by filtering another state's row (see filtered_row) */
} rowx;

/* Dedupe keys for allowed(): each distinct token set (a pooled set, or a list of
 * byte nodes) gets an id once; a stamp per id says whether it was OR'd in the
 * current call. */
typedef struct keytab {
  int32_t *slot;             /* cap entries: id or -1 */
  uint64_t *hash;            /* per id */
  int64_t *val;              /* per id: the key (for equality) */
  uint32_t *round;           /* per id: the last call that OR'd it */
  size_t cap, n, capn;
} keytab;
static void keytab_free(keytab *t);

typedef struct glist {        /* scratch: one group being built */
  int32_t next, tj, count, n, cap;
  int32_t fset;               /* interned set of tokens filtered from another row, or -1 */
  int32_t *nodes;
} glist;

struct arena_chunk {
  struct arena_chunk *next;
  size_t used, cap;
  unsigned char data[];
};

struct dm_tokauto {
  const dm_dfa *dfa;
  const dm_vocab *vocab;
  dm_tokcache *cache, *own_cache;
  int32_t eos, qe, nq;
  size_t qwords, vwords;
  dm_tokrow *rows;
  rowx *rx;
  struct arena_chunk *arena;  /* the rows' arrays */
  uint8_t *built;
  tokset *sets;
  uint32_t *set_round;
  int32_t nsets, capsets;
  uint32_t round;
  int32_t *hash;
  size_t hcap;
  size_t memory;
  dm_tmpl **used;             /* templates used (one reference each) */
  int32_t nused, capused;
  int32_t byte_rows, tmpl_rows, filtered_rows, shared_rows;
  int32_t nbuilt;             /* rows built by build_row */
  dm_tokauto *donor;          /* the cache's donor when rows are shared (borrowed) */
  int32_t *share;             /* per state: the donor's state with the same language, or -1 */
  int32_t *partner;           /* per donor state: this automaton's state with its language, or -1 */
  bool share_done;
  uint64_t serial;            /* requester number in the cache */
  /* scratch for row building */
  int32_t *slot_of;           /* per state: scratch group index or -1 */
  int32_t *scratch;           /* per state: -1 (template regions) */
  glist *g;
  int32_t ng, capg;
  int32_t *stack;
  size_t capstack;
  int32_t *root_off, *root_kids; /* the byte trie root's children by DFA class */
  keytab keys;                /* dedupe ids of pooled sets and byte-node lists */
  int32_t map[DM_TMPL_MAX_REGION];
  int32_t *sigma;             /* shift map (see find_shifts): next layer's state, -1 none, -2 unset */
  int32_t *pre;               /* per state: its shift preimage (row derived from it), or -1 */
  int32_t *chain;             /* scratch: derivation chain */
  int32_t shift_rows;
  uint8_t *tmode;             /* per state: memo of leads_to_free_text; then per state: 1
                                 for free-text states */
  uint64_t *tmpbits;
};

int32_t dm_tokauto_nstates(const dm_tokauto *ta) { return ta->nq; }
size_t dm_tokauto_qwords(const dm_tokauto *ta) { return ta->qwords; }
size_t dm_tokauto_vwords(const dm_tokauto *ta) { return ta->vwords; }

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
  return x < y ? -1 : x > y;
}

size_t dm_tokauto_memory(const dm_tokauto *ta) {
  size_t m = ta->memory, n = 0;
  for (int32_t i = 0; i < ta->nused; i++) {
    m += ta->used[i]->memory;
    n += (size_t)ta->used[i]->nrel;
  }
  /* the templates' token sets, each counted once */
  const void **p = malloc((n ? n : 1) * sizeof *p);
  if (!p) return m;
  size_t k = 0;
  for (int32_t i = 0; i < ta->nused; i++)
    for (int j = 0; j < ta->used[i]->nrel; j++)
      if (ta->used[i]->bits[j]) p[k++] = ta->used[i]->bits[j];
  qsort(p, k, sizeof *p, cmp_ptr);
  for (size_t i = 0; i < k; i++)
    if (i == 0 || p[i] != p[i - 1]) m += ta->vwords * 8;
  free(p);
  return m;
}

void dm_tokauto_stats(const dm_tokauto *ta, int32_t *byte_rows, int32_t *template_rows, int32_t *templates,
                      int32_t *shifted_rows, int32_t *filtered_rows, int32_t *shared_rows) {
  if (shared_rows) *shared_rows = ta->shared_rows;
  if (filtered_rows) *filtered_rows = ta->filtered_rows;
  if (shifted_rows) *shifted_rows = ta->shift_rows;
  if (byte_rows) *byte_rows = ta->byte_rows;
  if (template_rows) *template_rows = ta->tmpl_rows;
  if (templates) *templates = ta->nused;
}

bool dm_tokauto_accepting(const dm_tokauto *ta, int32_t q) {
  if (q < 0) return false;
  if (q == ta->qe) return true;
  return ta->dfa->accept[q] != 0;
}

int dm_tokauto_new(const dm_dfa *dfa, const dm_vocab *vocab, int32_t eos, dm_tokcache *cache,
                   dm_tokauto **out) {
  *out = NULL;
  if (eos >= vocab->n) return DM_EINVAL;
  dm_tokauto *ta = calloc(1, sizeof *ta);
  if (!ta) return DM_ENOMEM;
  ta->dfa = dfa;
  ta->vocab = vocab;
  ta->eos = eos;
  ta->qe = eos >= 0 ? dfa->nstates : -1;
  ta->nq = dfa->nstates + (eos >= 0);
  ta->qwords = ((size_t)ta->nq + 63) / 64;
  ta->vwords = ((size_t)vocab->n + 63) / 64;
  ta->rows = calloc((size_t)ta->nq, sizeof *ta->rows);
  ta->rx = calloc((size_t)ta->nq, sizeof *ta->rx);
  ta->built = calloc((size_t)ta->nq, 1);
  ta->slot_of = malloc((size_t)ta->nq * sizeof *ta->slot_of);
  ta->scratch = malloc((size_t)ta->nq * sizeof *ta->scratch);
  if (!ta->rows || !ta->rx || !ta->built || !ta->slot_of || !ta->scratch) goto oom;
  for (int32_t i = 0; i < ta->nq; i++) ta->slot_of[i] = ta->scratch[i] = -1;
  if (!cache) {
    if (dm_tokcache_new(vocab, &ta->own_cache)) goto oom;
    cache = ta->own_cache;
  }
  ta->cache = cache;
  ta->serial = dm_tokcache_serial(cache);
  *out = ta;
  return DM_OK;
oom:
  dm_tokauto_free(ta);
  return DM_ENOMEM;
}

void dm_tokauto_free(dm_tokauto *ta) {
  if (!ta) return;
  while (ta->arena) { /* the rows' arrays */
    struct arena_chunk *n = ta->arena->next;
    free(ta->arena);
    ta->arena = n;
  }
  free(ta->rows);
  free(ta->rx);
  free(ta->built);
  for (int32_t i = 0; i < ta->nsets; i++) free(ta->sets[i].bits);
  free(ta->sets);
  free(ta->set_round);
  free(ta->hash);
  for (int32_t i = 0; i < ta->nused; i++) dm_tmpl_unref(ta->used[i]);
  free(ta->used);
  free(ta->slot_of);
  free(ta->scratch);
  for (int32_t i = 0; i < ta->capg; i++) free(ta->g[i].nodes);
  free(ta->g);
  free(ta->stack);
  free(ta->root_off);
  keytab_free(&ta->keys);
  free(ta->root_kids);
  free(ta->tmpbits);
  free(ta->tmode);
  free(ta->sigma);
  free(ta->pre);
  free(ta->chain);
  free(ta->share);
  free(ta->partner);
  dm_tokcache_free(ta->own_cache);
  free(ta);
}

int32_t dm_tokauto_step(const dm_tokauto *ta, int32_t q, int32_t tok) {
  if (q < 0 || tok < 0 || tok >= ta->vocab->n) return -1;
  if (ta->eos >= 0 && tok == ta->eos) return dm_tokauto_accepting(ta, q) ? ta->qe : -1;
  if (q == ta->qe) return -1;
  if (ta->vocab->flags[tok] & DM_VOCAB_SPECIAL) return -1;
  size_t len;
  const uint8_t *b = dm_vocab_bytes(ta->vocab, tok, &len);
  if (!len) return -1;
  return dm_dfa_run(ta->dfa, q, b, len);
}

/* ------------------------------------------------------------------ rows */

static int32_t byte_node_tokens(const dm_vocab *v, int32_t node) {
  int32_t n = 0;
  for (int32_t t = v->trie[node].first_token; t >= 0; t = v->next_same[t]) n++;
  return n;
}

/* The scratch group of next state `to` (-1 on OOM). */
static int32_t group_for(dm_tokauto *ta, int32_t to) {
  if (ta->slot_of[to] >= 0) return ta->slot_of[to];
  if (ta->ng == ta->capg) {
    int32_t cap = ta->capg ? ta->capg * 2 : 8;
    glist *ng = realloc(ta->g, (size_t)cap * sizeof *ng);
    if (!ng) return -1;
    memset(ng + ta->capg, 0, (size_t)(cap - ta->capg) * sizeof *ng);
    ta->g = ng;
    ta->capg = cap;
  }
  int32_t k = ta->ng++;
  glist *g = &ta->g[k];
  g->next = to;
  g->tj = -1;
  g->fset = -1;
  g->count = 0;
  g->n = 0;
  ta->slot_of[to] = k;
  return k;
}

static int group_add_node(dm_tokauto *ta, int32_t to, int32_t node) {
  int32_t k = group_for(ta, to);
  if (k < 0) return DM_ENOMEM;
  glist *g = &ta->g[k];
  if (g->n == g->cap) {
    int32_t cap = g->cap ? g->cap * 2 : 16;
    int32_t *nn = realloc(g->nodes, (size_t)cap * sizeof *nn);
    if (!nn) return DM_ENOMEM;
    g->nodes = nn;
    g->cap = cap;
  }
  g->nodes[g->n++] = node;
  g->count += byte_node_tokens(ta->vocab, node);
  return DM_OK;
}

/* Walk the byte trie below `node` from state s. */
/* One child of a byte walk: record its tokens, push it when it has children. */
static inline int walk_child(dm_tokauto *ta, int32_t ch, int32_t s2, size_t *sp) {
  const dm_trie_node *trie = ta->vocab->trie;
  if (trie[ch].first_token >= 0 && group_add_node(ta, s2, ch)) return DM_ENOMEM;
  if (trie[ch].first_child >= 0) {
    if (*sp == ta->capstack) {
      size_t cap = ta->capstack * 2;
      int32_t *ns = realloc(ta->stack, cap * 2 * sizeof *ns);
      if (!ns) return DM_ENOMEM;
      ta->stack = ns;
      ta->capstack = cap;
    }
    ta->stack[2 * *sp] = ch;
    ta->stack[2 * *sp + 1] = s2;
    (*sp)++;
  }
  return DM_OK;
}

/* Walk the byte trie below `node` from state s. At the root the children are
 * visited by DFA class, so that dead classes cost nothing; skip (NULL or 256 flags):
 * root children whose byte is flagged are left out. */
static int byte_walk(dm_tokauto *ta, int32_t node, int32_t s, const uint8_t *skip) {
  const dm_dfa *d = ta->dfa;
  const dm_trie_node *trie = ta->vocab->trie;
  if (ta->capstack < 64) {
    int32_t *ns = realloc(ta->stack, 64 * 2 * sizeof *ns);
    if (!ns) return DM_ENOMEM;
    ta->stack = ns;
    ta->capstack = 64;
  }
  size_t sp = 0;
  if (node == 0 && skip) {
    const int32_t *row = d->next + (size_t)s * (size_t)d->nclasses;
    for (int32_t ch = trie[0].first_child; ch >= 0; ch = trie[ch].next_sibling) {
      int32_t s2 = row[d->class_of[trie[ch].byte]];
      if (s2 >= 0 && !skip[trie[ch].byte] && walk_child(ta, ch, s2, &sp)) return DM_ENOMEM;
    }
  } else if (node == 0) {
    if (!ta->root_off) { /* the root's children grouped by class */
      int32_t *off = calloc((size_t)d->nclasses + 1, sizeof *off), *kids = malloc(256 * sizeof *kids), fill[256];
      if (!off || !kids) { free(off); free(kids); return DM_ENOMEM; }
      for (int32_t ch = trie[0].first_child; ch >= 0; ch = trie[ch].next_sibling) off[d->class_of[trie[ch].byte] + 1]++;
      for (int c = 0; c < d->nclasses; c++) off[c + 1] += off[c];
      memcpy(fill, off, (size_t)d->nclasses * sizeof *off);
      for (int32_t ch = trie[0].first_child; ch >= 0; ch = trie[ch].next_sibling) kids[fill[d->class_of[trie[ch].byte]]++] = ch;
      ta->root_off = off;
      ta->root_kids = kids;
    }
    const int32_t *row = d->next + (size_t)s * (size_t)d->nclasses;
    for (int c = 0; c < d->nclasses; c++) {
      int32_t s2 = row[c];
      if (s2 < 0) continue;
      for (int32_t i = ta->root_off[c]; i < ta->root_off[c + 1]; i++)
        if (walk_child(ta, ta->root_kids[i], s2, &sp)) return DM_ENOMEM;
    }
  } else {
    ta->stack[0] = node;
    ta->stack[1] = s;
    sp = 1;
  }
  while (sp) {
    sp--;
    int32_t nd = ta->stack[2 * sp], st = ta->stack[2 * sp + 1];
    const int32_t *row = d->next + (size_t)st * (size_t)d->nclasses;
    for (int32_t ch = trie[nd].first_child; ch >= 0; ch = trie[ch].next_sibling) {
      int32_t s2 = row[d->class_of[trie[ch].byte]];
      if (s2 >= 0 && walk_child(ta, ch, s2, &sp)) return DM_ENOMEM;
    }
  }
  return DM_OK;
}

static int use_template(dm_tokauto *ta, dm_tmpl *t) {
  for (int32_t i = 0; i < ta->nused; i++)
    if (ta->used[i] == t) {
      dm_tmpl_unref(t); /* already held */
      return DM_OK;
    }
  if (ta->nused == ta->capused) {
    int32_t cap = ta->capused ? ta->capused * 2 : 8;
    dm_tmpl **nu = realloc(ta->used, (size_t)cap * sizeof *nu);
    if (!nu) { dm_tmpl_unref(t); return DM_ENOMEM; }
    ta->used = nu;
    ta->capused = cap;
  }
  ta->used[ta->nused++] = t;
  return DM_OK;
}

/* Groups of a template row: the region's relative states, then the exits continued
 * on the byte trie from the actual states. */
static int template_row(dm_tokauto *ta, int32_t q, dm_tmpl **tm_out, int build) {
  const dm_dfa *d = ta->dfa;
  bool missing = false;
  dm_tmpl *t = dm_tokcache_template(ta->cache, d, ta->tmode + d->nstates, q, ta->map, ta->scratch, build, &missing,
                                    ta->serial);
  if (!t && missing) return 1;
  if (!t || use_template(ta, t)) return DM_ENOMEM;
  *tm_out = t;
  for (int32_t j = 0; j < t->nrel; j++) {
    if (!t->g_count[j]) continue;
    int32_t k = group_for(ta, ta->map[j]);
    if (k < 0) return DM_ENOMEM;
    ta->g[k].tj = j;
    ta->g[k].count += t->g_count[j];
  }
  const dm_classtrie *ct = t->ct;
  for (int32_t e = 0; e < t->nexit; e++) {
    int32_t from = ta->map[t->ex_rel[e]];
    int32_t r = d->next[(size_t)from * (size_t)d->nclasses + d->class_of[ct->rep[t->ex_cls[e]]]];
    int32_t cn = t->ex_node[e];
    for (int32_t i = ct->pre_off[cn]; i < ct->pre_off[cn + 1]; i++) {
      int32_t b = ct->pre[i];
      if (ta->vocab->trie[b].first_token >= 0 && group_add_node(ta, r, b)) return DM_ENOMEM;
      if (ta->vocab->trie[b].first_child >= 0 && byte_walk(ta, b, r, NULL)) return DM_ENOMEM;
    }
  }
  return DM_OK;
}

/* Rows from templates: free-text states, and states all of whose moves lead (within
 * a few bytes) only into free text — the escapes and \uXXXX digits of a JSON string,
 * whose byte-trie walks would go on through the free text below every prefix. */
#define TMPL_DEPTH 8 /* "within a few bytes" */
#define TMPL_YES 255

/* s is free text, or all its moves lead (not back to s) within `left` bytes only into
 * free text. Memo per state: TMPL_YES, or 1 + the largest budget it failed with. */
static bool leads_to_free_text(dm_tokauto *ta, int32_t s, int left) {
  const dm_dfa *d = ta->dfa;
  uint8_t *m = ta->tmode;
  if (m[d->nstates + s] || m[s] == TMPL_YES) return true;
  if (left == 0 || (m[s] && left <= m[s] - 1)) return false;
  const int32_t *row = d->next + (size_t)s * (size_t)d->nclasses;
  int alive = 0, good = 1;
  for (int c = 0; c < d->nclasses && good; c++)
    if (row[c] >= 0) {
      alive = 1;
      good = row[c] != s && leads_to_free_text(ta, row[c], left - 1);
    }
  if (alive && good) {
    m[s] = TMPL_YES;
    return true;
  }
  if (left + 1 > m[s]) m[s] = (uint8_t)(left + 1);
  return false;
}

static bool wants_template(dm_tokauto *ta, int32_t q) {
  const dm_dfa *d = ta->dfa;
  if (!ta->tmode) { /* the free-text flags of every state; the rest on demand */
    int32_t n = d->nstates;
    uint8_t *m = calloc((size_t)n * 2, 1);
    if (!m) return false;
    dm_tmpl_heavy_states(d, m + n);
    ta->tmode = m;
  }
  return leads_to_free_text(ta, q, TMPL_DEPTH);
}

static int build_or_derive(dm_tokauto *ta, int32_t q);

/* ------------------------------------------------------------------ filtered rows */

/* A state q whose first-byte moves mostly agree with those of a free-text state
 * s != q (δ(q, b) = δ(s, b) for b in a set B; typically q enters s on bytes on
 * which s loops) shares s's tokens: a token t = b·x with b in B has
 * δT(q, t) = δT(s, t). So the part of q's row whose first byte is in B is s's row
 * with each group's tokens filtered by first byte; the other first bytes are walked
 * on the byte trie. This serves states whose own template would need a new byte
 * partition (a new class trie, ~5 ms): a literal byte before free text, the states
 * of a key being matched against known property names. */

#define FILTER_HEAVY_OTHER 4 /* first bytes into other free text: byte walks, a few */

/* The state s to filter from (B in inB), or -1 when none applies. B is the set of
 * first bytes b with δ(q, b) = δ(s, b): a token b·x then has δT(q, b·x) = δT(s, b·x).
 * Sources tried: the free-text states q enters, s != q. */
static int32_t filter_source(const dm_tokauto *ta, int32_t q, uint8_t inB[256]) {
  const dm_dfa *d = ta->dfa;
  const size_t nc = (size_t)d->nclasses;
  const uint8_t *heavy = ta->tmode + d->nstates;
  const int32_t *row = d->next + (size_t)q * nc;
  int32_t cand[8], nca = 0, best = -1, bestn = 0;
  for (size_t c = 0; c < nc; c++) {
    int32_t s = row[c];
    if (s == q) return -1; /* q loops: its own template serves */
    if (s < 0 || !heavy[s] || nca == 8) continue;
    int i = 0;
    while (i < nca && cand[i] != s) i++;
    if (i == nca) cand[nca++] = s;
  }
  for (int i = 0; i < nca; i++) {
    const int32_t *rs = d->next + (size_t)cand[i] * nc;
    int n = 0;
    for (int b = 0; b < 256; b++) {
      int c = d->class_of[b];
      n += row[c] >= 0 && row[c] == rs[c];
    }
    if (n > bestn) { bestn = n; best = cand[i]; }
  }
  if (best < 0) return -1;
  const int32_t *rs = d->next + (size_t)best * nc;
  int other = 0;
  for (int b = 0; b < 256; b++) {
    int c = d->class_of[b];
    int32_t t = row[c];
    inB[b] = (uint8_t)(t >= 0 && t == rs[c]);
    if (t >= 0 && !inB[b] && heavy[t]) other++;
  }
  return other <= FILTER_HEAVY_OTHER ? best : -1;
}

/* The source to filter q's row from, which must not itself be filtered; -1 none. */
static int32_t filter_plan(const dm_tokauto *ta, int32_t q, uint8_t inB[256]) {
  int32_t s = filter_source(ta, q, inB);
  uint8_t other[256];
  if (s < 0 || filter_source(ta, s, other) >= 0) return -1;
  return s;
}

/* Walked instead of templated: at most this many byte-trie nodes below q's live
 * first bytes, and at most 1/16 of the trie. */
#define WALK_LIMIT 16384

/* Byte-trie nodes below the root children that q's live first bytes reach (the most
 * a byte walk from q visits); INT32_MAX on OOM. */
static int32_t walk_cost(dm_tokauto *ta, int32_t q) {
  const int32_t *size = dm_tokcache_root_sizes(ta->cache);
  if (!size) return INT32_MAX;
  const dm_dfa *d = ta->dfa;
  const int32_t *row = d->next + (size_t)q * (size_t)d->nclasses;
  int64_t n = 0;
  for (int b = 0; b < 256; b++)
    if (row[d->class_of[b]] >= 0) n += size[b];
  return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

static int intern_or_fail(dm_tokauto *ta, const uint64_t *bits, int32_t count, int32_t *id);
static int32_t set_of(dm_tokauto *ta, int32_t q, int32_t k);
static int32_t intern(dm_tokauto *ta, const uint64_t *bits, int32_t count);

/* Groups of q's row from s's row (built) filtered by first bytes in inB, then the
 * byte walks of the other first bytes. DM_OK / DM_ENOMEM. */
static int filtered_row(dm_tokauto *ta, int32_t q, int32_t s, const uint8_t inB[256]) {
  const uint64_t *fb = dm_tokcache_first_bytes(ta->cache, inB);
  if (!fb) return DM_ENOMEM;
  if (!ta->tmpbits && !(ta->tmpbits = malloc(ta->vwords * 8))) return DM_ENOMEM;
  const dm_tokrow *src = &ta->rows[s];
  for (int32_t k = 0; k < src->n; k++) {
    if (src->next[k] == ta->qe) continue; /* EOS: q's own, below */
    int32_t sid = set_of(ta, s, k), id;
    if (sid < 0) return DM_ENOMEM;
    int32_t cnt = (int32_t)dm_words_and_count(ta->tmpbits, ta->sets[sid].bits, fb, ta->vwords);
    if (!cnt) continue;
    if (intern_or_fail(ta, ta->tmpbits, cnt, &id)) return DM_ENOMEM;
    int32_t g = group_for(ta, src->next[k]);
    if (g < 0) return DM_ENOMEM;
    ta->g[g].fset = id;
    ta->g[g].count += cnt;
  }
  return byte_walk(ta, 0, q, inB);
}

/* Rows' arrays come from an arena freed with the automaton (rows are never freed
 * one by one). 8-byte aligned; NULL on OOM. */
static void *arena_alloc(dm_tokauto *ta, size_t bytes) {
  bytes = (bytes + 7) & ~(size_t)7;
  if (!ta->arena || ta->arena->used + bytes > ta->arena->cap) {
    size_t cap = bytes > ((size_t)64 << 10) ? bytes : ((size_t)64 << 10);
    struct arena_chunk *c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->next = ta->arena;
    c->used = 0;
    c->cap = cap;
    ta->arena = c;
  }
  void *p = ta->arena->data + ta->arena->used;
  ta->arena->used += bytes;
  return p;
}

/* The arrays of a row of n groups holding `total` byte nodes. DM_OK / DM_ENOMEM. */
static int alloc_row(dm_tokauto *ta, dm_tokrow *row, rowx *x, int32_t n, int32_t total) {
  size_t n1 = (size_t)(n ? n : 1), t1 = (size_t)(total ? total : 1);
  row->n = n;
  row->next = arena_alloc(ta, n1 * sizeof *row->next);
  row->succ = arena_alloc(ta, ta->qwords * sizeof *row->succ);
  x->tj = arena_alloc(ta, n1 * sizeof *x->tj);
  x->set = arena_alloc(ta, n1 * sizeof *x->set);
  x->dk = arena_alloc(ta, n1 * sizeof *x->dk);
  x->count = arena_alloc(ta, n1 * sizeof *x->count);
  x->nodes_off = arena_alloc(ta, ((size_t)n + 1) * sizeof *x->nodes_off);
  x->nodes = arena_alloc(ta, t1 * sizeof *x->nodes);
  if (!row->next || !row->succ || !x->tj || !x->set || !x->dk || !x->count || !x->nodes_off || !x->nodes) {
    memset(row, 0, sizeof *row);
    memset(x, 0, sizeof *x);
    return DM_ENOMEM;
  }
  memset(row->succ, 0, ta->qwords * sizeof *row->succ);
  for (size_t k = 0; k < n1; k++) x->dk[k] = -1;
  return DM_OK;
}

static int build_row(dm_tokauto *ta, int32_t q) {
  dm_tokrow *row = &ta->rows[q];
  rowx *x = &ta->rx[q];
  const dm_dfa *d = ta->dfa;
  dm_tmpl *tm = NULL;
  ta->ng = 0;
  int rc = DM_ENOMEM;
  bool filtered = false;
  if (q != ta->qe) {
    if (wants_template(ta, q)) {
      /* where q's template needs a class trie no other automaton asked for, the row
         is filtered from another state's, or walked when its first bytes lead into
         small parts of the trie (a literal before free text) */
      uint8_t inB[256];
      int32_t src = filter_plan(ta, q, inB);
      bool walk = src < 0 && walk_cost(ta, q) <= (ta->vocab->ntrie / 16 < WALK_LIMIT ? ta->vocab->ntrie / 16 : WALK_LIMIT);
      int t = template_row(ta, q, &tm, src >= 0 || walk ? DM_TMPL_SECOND : DM_TMPL_BUILD);
      if (t == 1 && walk) {
        if (byte_walk(ta, 0, q, NULL)) goto out;
        ta->byte_rows++;
      } else if (t == 1) {
        if (!ta->built[src]) { /* src is not filtered itself: no deeper recursion */
          if (build_or_derive(ta, src)) goto out;
          ta->built[src] = 1;
        }
        if (filtered_row(ta, q, src, inB)) goto out;
        filtered = true;
        ta->filtered_rows++;
      } else if (t) {
        goto out;
      } else {
        ta->tmpl_rows++;
      }
    } else {
      if (byte_walk(ta, 0, q, NULL)) goto out;
      ta->byte_rows++;
    }
  }
  /* EOS: from accepting states (and the EOS state itself) to the EOS state */
  bool eos_edge = ta->eos >= 0 && (q == ta->qe || d->accept[q]);
  int32_t n = ta->ng + (eos_edge ? 1 : 0), total = 0;
  for (int32_t k = 0; k < ta->ng; k++) total += ta->g[k].n;
  if (alloc_row(ta, row, x, n, total)) goto out;
  x->tm = tm;
  x->filtered = filtered;
  int32_t at = 0;
  for (int32_t k = 0; k < ta->ng; k++) {
    const glist *g = &ta->g[k];
    row->next[k] = g->next;
    x->tj[k] = g->tj;
    x->set[k] = -1; /* token set: built on demand */
    if (g->fset >= 0 && !g->n) x->set[k] = g->fset;
    else if (g->fset >= 0) { /* filtered tokens and walked ones (other first bytes) */
      const uint64_t *fs = ta->sets[g->fset].bits;
      memcpy(ta->tmpbits, fs, ta->vwords * 8);
      const dm_vocab *v = ta->vocab;
      for (int32_t i = 0; i < g->n; i++)
        for (int32_t t = v->trie[g->nodes[i]].first_token; t >= 0; t = v->next_same[t])
          ta->tmpbits[t >> 6] |= (uint64_t)1 << (t & 63);
      if (intern_or_fail(ta, ta->tmpbits, g->count, &x->set[k])) goto out;
    }
    x->count[k] = g->count;
    x->nodes_off[k] = at;
    if (g->n) memcpy(x->nodes + at, g->nodes, (size_t)g->n * sizeof *g->nodes);
    at += g->n;
    row->succ[g->next >> 6] |= (uint64_t)1 << (g->next & 63);
  }
  if (eos_edge) {
    int32_t k = ta->ng;
    row->next[k] = ta->qe;
    x->tj[k] = -1;
    x->set[k] = -1;
    x->count[k] = 1;
    x->nodes_off[k] = at;
    row->succ[ta->qe >> 6] |= (uint64_t)1 << (ta->qe & 63);
  }
  x->nodes_off[n] = at;
  ta->memory += (size_t)n * 20 + (size_t)total * 4 + ta->qwords * 8;
  ta->nbuilt++;
  rc = DM_OK;
out:
  for (int32_t k = 0; k < ta->ng; k++) ta->slot_of[ta->g[k].next] = -1;
  ta->ng = 0;
  if (rc) { /* the arena keeps what was taken until the automaton is freed */
    memset(row, 0, sizeof *row);
    memset(x, 0, sizeof *x);
  }
  return rc;
}

/* ------------------------------------------------------------------ shifted rows */

/* Counters (maxLength, {m,n}) make layers of states that behave alike, each with
 * one unit less budget. A shift σ maps a state to its counterpart one layer on:
 * wherever σ(x) is alive, σ(δ(x, c)) = δ(σ(x), c), a move that dies from x dies from
 * σ(x), and acceptance agrees. Then every token t has δT(σ(x), t) = σ(δT(x, t)), so
 * the row of σ(x) is the row of x with its next states mapped through σ (groups
 * whose image dies are dropped): the walk is done once per counter, not per layer. */

#define SHIFT_LIMIT 8192 /* states a verification may assign */
#define SHIFT_AFTER 32   /* rows built (not shared) before shifts are searched */

/* Extend σ from the seed x -> y; on a contradiction undo and return false. */
static bool try_shift(dm_tokauto *ta, int32_t x0, int32_t y0, int32_t *queue, int32_t *touched, int64_t *wasted) {
  const dm_dfa *d = ta->dfa;
  int32_t *sg = ta->sigma;
  int32_t nt = 0, qh = 0, qt = 0;
  bool ok = true;
  sg[x0] = y0;
  touched[nt++] = x0;
  queue[qt++] = x0;
  while (qh < qt && ok) {
    int32_t x = queue[qh++], sx = sg[x];
    if (d->accept[x] != d->accept[sx]) { ok = false; break; }
    const int32_t *rx = d->next + (size_t)x * (size_t)d->nclasses, *ry = d->next + (size_t)sx * (size_t)d->nclasses;
    for (int c = 0; c < d->nclasses && ok; c++) {
      int32_t a = rx[c], b = ry[c];
      if (a < 0) { ok = b < 0; continue; }
      if (sg[a] == -2) {
        if (nt == SHIFT_LIMIT) { ok = false; break; }
        sg[a] = b < 0 ? -1 : b;
        touched[nt++] = a;
        if (b >= 0) queue[qt++] = a;
      } else {
        ok = sg[a] == (b < 0 ? -1 : b);
      }
    }
  }
  /* From a state whose image dies, every state reachable must have no image (dead
     or never met) or be a fixed point (outside the counter: a token that went past
     the budget is dead from the shifted state, and such tokens reach only targets
     that derive_row drops or checks one by one). */
  if (ok) {
    uint8_t *seen = calloc((size_t)d->nstates, 1);
    int32_t *stack = malloc((size_t)d->nstates * sizeof *stack), sp = 0;
    if (!seen || !stack) ok = false;
    for (int32_t i = 0; i < nt && ok; i++)
      if (sg[touched[i]] == -1 && !seen[touched[i]]) {
        seen[touched[i]] = 1;
        stack[sp++] = touched[i];
      }
    while (sp && ok) {
      const int32_t *r = d->next + (size_t)stack[--sp] * (size_t)d->nclasses;
      for (int c = 0; c < d->nclasses && ok; c++) {
        int32_t b = r[c];
        if (b < 0 || seen[b] || sg[b] == b) continue;
        if (sg[b] >= 0) { ok = false; break; }
        seen[b] = 1;
        stack[sp++] = b;
      }
    }
    free(seen);
    free(stack);
  }
  if (!ok) {
    for (int32_t i = 0; i < nt; i++) sg[touched[i]] = -2;
    *wasted += nt;
    return false;
  }
  for (int32_t i = 0; i < nt; i++) {
    int32_t a = touched[i], b = sg[a];
    if (b >= 0 && b != a && ta->pre[b] < 0) ta->pre[b] = a;
  }
  return true;
}

/* Find shifts: seeds are free-text states x with a free-text successor y != x whose
 * moves die and live on the same classes. */
static int find_shifts(dm_tokauto *ta) {
  const dm_dfa *d = ta->dfa;
  int32_t n = d->nstates;
  wants_template(ta, 0); /* computes the free-text flags */
  if (!ta->tmode) return DM_ENOMEM;
  const uint8_t *heavy = ta->tmode + n;
  ta->sigma = malloc((size_t)n * sizeof *ta->sigma);
  ta->pre = malloc((size_t)n * sizeof *ta->pre);
  ta->chain = malloc((size_t)ta->nq * sizeof *ta->chain);
  int32_t *queue = malloc((size_t)SHIFT_LIMIT * sizeof *queue), *touched = malloc((size_t)SHIFT_LIMIT * sizeof *touched);
  if (!ta->sigma || !ta->pre || !ta->chain || !queue || !touched) {
    free(queue);
    free(touched);
    return DM_ENOMEM;
  }
  for (int32_t i = 0; i < n; i++) ta->sigma[i] = -2, ta->pre[i] = -1;
  /* failed tries are undone and cost their states; counters inside loops (an email
     domain's labels) fail many, so the search stops past a budget (shifts only
     save work) */
  int64_t wasted = 0, budget = 8 * (int64_t)n + SHIFT_LIMIT;
  for (int32_t x = 0; x < n && wasted <= budget; x++) {
    if (!heavy[x] || ta->sigma[x] != -2) continue;
    const int32_t *rx = d->next + (size_t)x * (size_t)d->nclasses;
    for (int c = 0; c < d->nclasses; c++) {
      int32_t y = rx[c];
      if (y < 0 || y == x || !heavy[y] || ta->sigma[x] != -2) continue;
      const int32_t *ry = d->next + (size_t)y * (size_t)d->nclasses;
      int same = 1;
      for (int c2 = 0; c2 < d->nclasses && same; c2++) same = (rx[c2] < 0) == (ry[c2] < 0);
      if (same && try_shift(ta, x, y, queue, touched, &wasted)) break;
    }
  }
  free(queue);
  free(touched);
  return DM_OK;
}

/* The row of q as the image of its preimage's row (built). DM_OK; 1 when it does not
 * apply (two groups with one image); DM_ENOMEM. */
static int derive_row(dm_tokauto *ta, int32_t q) {
  int32_t p = ta->pre[q];
  const dm_tokrow *src = &ta->rows[p];
  const rowx *sx = &ta->rx[p];
  dm_tokrow *row = &ta->rows[q];
  rowx *x = &ta->rx[q];
  int32_t n = 0, total = 0, rc = DM_ENOMEM;
  if (sx->filtered) return 1; /* groups held as sets: built again, by filtering */
  int32_t *img = malloc((size_t)(src->n ? src->n : 1) * sizeof *img);
  if (!img) return DM_ENOMEM;
  for (int32_t k = 0; k < src->n; k++) img[k] = -1;
  for (int32_t k = 0; k < src->n; k++) {
    int32_t y = src->next[k], z = y == ta->qe ? ta->qe : ta->sigma[y];
    img[k] = z;
    if (z < 0) continue;
    if (ta->slot_of[z] >= 0) { rc = 1; goto out; } /* not one-to-one */
    if (z == y && y != ta->qe && sx->tj[k] >= 0) { rc = 1; goto out; } /* a fixed point: see below */
    ta->slot_of[z] = k;
    n++;
    total += sx->nodes_off[k + 1] - sx->nodes_off[k];
  }
  if (alloc_row(ta, row, x, n, total)) goto out;
  x->tm = sx->tm;
  int32_t j = 0, at = 0;
  for (int32_t k = 0; k < src->n; k++) {
    if (img[k] < 0) continue;
    x->nodes_off[j] = at;
    if (img[k] == src->next[k] && img[k] != ta->qe) {
      /* a target outside the counter: tokens that went past the budget reach it from
         p but die from q; keep the nodes whose bytes still lead there from q */
      int32_t cnt = 0;
      for (int32_t i = sx->nodes_off[k]; i < sx->nodes_off[k + 1]; i++) {
        int32_t b = sx->nodes[i], t0 = ta->vocab->trie[b].first_token;
        size_t len;
        const uint8_t *bytes = dm_vocab_bytes(ta->vocab, t0, &len);
        if (dm_dfa_run(ta->dfa, q, bytes, len) != img[k]) continue;
        x->nodes[at++] = b;
        cnt += byte_node_tokens(ta->vocab, b);
      }
      if (!cnt) continue; /* nothing left: no group */
      x->tj[j] = -1;
      x->set[j] = -1;
      x->count[j] = cnt;
    } else {
      x->tj[j] = sx->tj[k];
      x->set[j] = sx->set[k];
      x->count[j] = sx->count[k];
      int32_t len = sx->nodes_off[k + 1] - sx->nodes_off[k];
      if (len) memcpy(x->nodes + at, sx->nodes + sx->nodes_off[k], (size_t)len * sizeof *x->nodes);
      at += len;
    }
    row->next[j] = img[k];
    row->succ[img[k] >> 6] |= (uint64_t)1 << (img[k] & 63);
    j++;
  }
  row->n = n = j;
  x->nodes_off[n] = at;
  ta->memory += (size_t)n * 20 + (size_t)total * 4 + ta->qwords * 8;
  ta->shift_rows++;
  rc = DM_OK;
out:
  for (int32_t k = 0; k < src->n; k++)
    if (img[k] >= 0 && ta->slot_of[img[k]] == k) ta->slot_of[img[k]] = -1;
  free(img);
  if (rc) { /* the arena keeps what was taken until the automaton is freed */
    memset(row, 0, sizeof *row);
    memset(x, 0, sizeof *x);
  }
  return rc;
}

/* ------------------------------------------------------------------ shared rows */

/* Rows of a donor automaton (the cache's, over the same vocabulary and filler) serve
 * every state whose language equals one of the donor's: then every token leads to
 * states with equal languages too, so the donor's groups hold exactly the right
 * tokens and only their next states are renamed. Most specs embed the donor's
 * language (any JSON value) in large parts: the same strings, arrays and objects
 * below a top level that differs. */

#define SHARE_MIN_STATES 64

static void share_setup(dm_tokauto *ta) {
  ta->share_done = true;
  int32_t n = ta->dfa->nstates, best = 0;
  if (n < SHARE_MIN_STATES) return;
  for (int i = 0; i < DM_TOKCACHE_DONORS && best < n / 2; i++) {
    dm_tokauto *d = dm_tokcache_donor(ta->cache, i);
    if (!d || d == ta || d->vocab != ta->vocab || d->eos != ta->eos) continue;
    int32_t *share = malloc((size_t)n * sizeof *share), *partner = malloc((size_t)d->dfa->nstates * sizeof *partner);
    int32_t mapped = 0;
    if (share && partner && dm_dfa_equiv_map(ta->dfa, d->dfa, 2 * n + 1024, share, partner) == DM_OK)
      for (int32_t s = 0; s < n; s++) mapped += share[s] >= 0;
    if (mapped > best) {
      free(ta->share);
      free(ta->partner);
      ta->share = share;
      ta->partner = partner;
      ta->donor = d;
      best = mapped;
    } else {
      free(share);
      free(partner);
    }
  }
}

/* q's row from the donor's. DM_OK; 1 when it does not apply; DM_ENOMEM. */
static int share_row(dm_tokauto *ta, int32_t q) {
  dm_tokauto *d = ta->donor;
  int32_t p = ta->share[q];
  const dm_tokrow *src = dm_tokauto_row(d, p);
  if (!src) return DM_ENOMEM;
  const rowx *sx = &d->rx[p];
  if (sx->filtered) return 1; /* its groups are sets interned in the donor */
  for (int32_t k = 0; k < src->n; k++)
    if (src->next[k] != d->qe && ta->partner[src->next[k]] < 0) return 1;
  dm_tokrow *row = &ta->rows[q];
  rowx *x = &ta->rx[q];
  size_t n1 = (size_t)(src->n ? src->n : 1);
  row->n = src->n;
  row->next = arena_alloc(ta, n1 * sizeof *row->next);
  row->succ = arena_alloc(ta, ta->qwords * sizeof *row->succ);
  x->set = arena_alloc(ta, n1 * sizeof *x->set);
  x->dk = arena_alloc(ta, n1 * sizeof *x->dk);
  if (!row->next || !row->succ || !x->set || !x->dk) {
    memset(row, 0, sizeof *row);
    memset(x, 0, sizeof *x);
    return DM_ENOMEM;
  }
  memset(row->succ, 0, ta->qwords * sizeof *row->succ);
  for (int32_t k = 0; k < src->n; k++) {
    int32_t z = src->next[k] == d->qe ? ta->qe : ta->partner[src->next[k]];
    row->next[k] = z;
    row->succ[z >> 6] |= (uint64_t)1 << (z & 63);
    x->set[k] = -1;
    x->dk[k] = -1;
  }
  /* the groups' tokens: the donor's arrays, read-only once built (the donor lives
     as long as the cache's owner, longer than this automaton) */
  x->tm = sx->tm;
  x->tj = sx->tj;
  x->count = sx->count;
  x->nodes_off = sx->nodes_off;
  x->nodes = sx->nodes;
  x->filtered = 0;
  ta->memory += n1 * 16 + ta->qwords * 8;
  ta->shared_rows++;
  return DM_OK;
}

static int build_or_derive(dm_tokauto *ta, int32_t q) {
  if (ta->share && q < ta->dfa->nstates && ta->share[q] >= 0) {
    int rc = share_row(ta, q);
    if (rc <= 0) return rc;
  }
  if (q < ta->dfa->nstates && ta->pre && ta->pre[q] >= 0 && ta->built[ta->pre[q]]) {
    int rc = derive_row(ta, q);
    if (rc <= 0) return rc;
  }
  return build_row(ta, q);
}

const dm_tokrow *dm_tokauto_row(dm_tokauto *ta, int32_t q) {
  if (q < 0 || q >= ta->nq) return NULL;
  if (!ta->built[q]) {
    if (!ta->share_done) share_setup(ta);
    if (ta->share && q < ta->dfa->nstates && ta->share[q] >= 0) { /* no shifts needed */
      int rc = share_row(ta, q);
      if (rc < 0) return NULL;
      if (rc == 0) {
        ta->built[q] = 1;
        return &ta->rows[q];
      }
    }
    if (!ta->sigma && ta->nbuilt >= SHIFT_AFTER && find_shifts(ta)) return NULL;
    if (!ta->sigma) { /* no shifts searched yet */
      if (q < ta->dfa->nstates ? build_or_derive(ta, q) : build_row(ta, q)) return NULL;
      ta->built[q] = 1;
      return &ta->rows[q];
    }
    /* build the chain of preimages bottom up (a cycle just stops the chain) */
    int32_t len = 0, s = q;
    while (s < ta->dfa->nstates && !ta->built[s] && len < ta->nq) {
      ta->chain[len++] = s;
      s = ta->pre[s];
      if (s < 0) break;
    }
    for (int32_t i = len - 1; i >= 0; i--) {
      int32_t t = ta->chain[i];
      if (ta->built[t]) continue;
      if (build_or_derive(ta, t)) return NULL;
      ta->built[t] = 1;
    }
    if (!ta->built[q]) { /* the EOS state */
      if (build_row(ta, q)) return NULL;
      ta->built[q] = 1;
    }
  }
  return &ta->rows[q];
}

/* ------------------------------------------------------------------ token sets */

static uint64_t hash_bits(const uint64_t *b, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ULL + (h >> 31);
  return h;
}

static int32_t intern(dm_tokauto *ta, const uint64_t *bits, int32_t count) {
  uint64_t h = hash_bits(bits, ta->vwords);
  if ((size_t)(ta->nsets + 1) * 2 > ta->hcap) {
    size_t ncap = ta->hcap ? ta->hcap * 2 : 64;
    int32_t *nh = malloc(ncap * sizeof *nh);
    if (!nh) return -1;
    for (size_t i = 0; i < ncap; i++) nh[i] = -1;
    for (int32_t s = 0; s < ta->nsets; s++) {
      size_t j = ta->sets[s].hash & (ncap - 1);
      while (nh[j] >= 0) j = (j + 1) & (ncap - 1);
      nh[j] = s;
    }
    free(ta->hash);
    ta->hash = nh;
    ta->hcap = ncap;
  }
  size_t j = h & (ta->hcap - 1);
  while (ta->hash[j] >= 0) {
    tokset *t = &ta->sets[ta->hash[j]];
    if (t->hash == h && memcmp(t->bits, bits, ta->vwords * 8) == 0) return ta->hash[j];
    j = (j + 1) & (ta->hcap - 1);
  }
  if (ta->nsets == ta->capsets) {
    int32_t cap = ta->capsets ? ta->capsets * 2 : 16;
    tokset *ns = realloc(ta->sets, (size_t)cap * sizeof *ns);
    if (!ns) return -1;
    ta->sets = ns;
    uint32_t *nr = realloc(ta->set_round, (size_t)cap * sizeof *nr);
    if (!nr) return -1;
    memset(nr + ta->capsets, 0, (size_t)(cap - ta->capsets) * sizeof *nr);
    ta->set_round = nr;
    ta->capsets = cap;
  }
  tokset *t = &ta->sets[ta->nsets];
  t->bits = malloc(ta->vwords * 8);
  if (!t->bits) return -1;
  memcpy(t->bits, bits, ta->vwords * 8);
  t->hash = h;
  t->count = count;
  ta->memory += ta->vwords * 8;
  ta->hash[j] = ta->nsets;
  return ta->nsets++;
}

static int intern_or_fail(dm_tokauto *ta, const uint64_t *bits, int32_t count, int32_t *id) {
  *id = intern(ta, bits, count);
  return *id < 0 ? DM_ENOMEM : DM_OK;
}

static bool is_eos_edge(const dm_tokauto *ta, const rowx *x, const dm_tokrow *row, int32_t k) {
  return row->next[k] == ta->qe && x->tj[k] < 0 && x->nodes_off[k] == x->nodes_off[k + 1];
}

/* OR the tokens of group k straight into b (no interning). DM_OK / DM_ENOMEM. */
static int or_tokens(dm_tokauto *ta, int32_t q, int32_t k, uint64_t *b) {
  const dm_tokrow *row = &ta->rows[q];
  const rowx *x = &ta->rx[q];
  if (is_eos_edge(ta, x, row, k)) {
    b[ta->eos >> 6] |= (uint64_t)1 << (ta->eos & 63);
    return DM_OK;
  }
  if (x->tj[k] >= 0) {
    const dm_cset *cs = dm_tmpl_set(x->tm, x->tj[k]);
    if (!cs) return DM_ENOMEM;
    for (size_t w = 0; w < ta->vwords; w++) b[w] |= cs->bits[w];
  }
  const dm_vocab *v = ta->vocab;
  for (int32_t i = x->nodes_off[k]; i < x->nodes_off[k + 1]; i++)
    for (int32_t t = v->trie[x->nodes[i]].first_token; t >= 0; t = v->next_same[t])
      b[t >> 6] |= (uint64_t)1 << (t & 63);
  return DM_OK;
}

static int32_t set_of(dm_tokauto *ta, int32_t q, int32_t k) {
  rowx *x = &ta->rx[q];
  if (x->set[k] < 0) {
    if (!ta->tmpbits && !(ta->tmpbits = malloc(ta->vwords * 8))) return -1;
    memset(ta->tmpbits, 0, ta->vwords * 8);
    if (or_tokens(ta, q, k, ta->tmpbits)) return -1;
    x->set[k] = intern(ta, ta->tmpbits, x->count[k]);
  }
  return x->set[k];
}

const uint64_t *dm_tokauto_row_set(dm_tokauto *ta, int32_t q, int32_t k, int32_t *count) {
  if (count) *count = ta->rx[q].count[k];
  int32_t s = set_of(ta, q, k);
  return s < 0 ? NULL : ta->sets[s].bits;
}

uint32_t dm_tokauto_round(dm_tokauto *ta) { return ++ta->round; }


#define SMALL_GROUP 1024

static void keytab_free(keytab *t) {
  free(t->slot);
  free(t->hash);
  free(t->val);
  free(t->round);
}

/* The id of key (h, val), added when new; -1 on OOM. */
static int32_t keytab_id(keytab *t, uint64_t h, int64_t val, bool (*eq)(const void *ctx, int64_t a, int64_t b),
                         const void *ctx) {
  if ((t->n + 1) * 2 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    int32_t *sl = malloc(cap * sizeof *sl);
    if (!sl) return -1;
    for (size_t i = 0; i < cap; i++) sl[i] = -1;
    for (size_t id = 0; id < t->n; id++) {
      size_t j = t->hash[id] & (cap - 1);
      while (sl[j] >= 0) j = (j + 1) & (cap - 1);
      sl[j] = (int32_t)id;
    }
    free(t->slot);
    t->slot = sl;
    t->cap = cap;
  }
  size_t j = h & (t->cap - 1);
  for (; t->slot[j] >= 0; j = (j + 1) & (t->cap - 1)) {
    int32_t id = t->slot[j];
    if (t->hash[id] == h && eq(ctx, t->val[id], val)) return id;
  }
  if (t->n == t->capn) {
    size_t capn = t->capn ? t->capn * 2 : 128;
    uint64_t *nh = realloc(t->hash, capn * sizeof *nh);
    if (nh) t->hash = nh;
    int64_t *nv = nh ? realloc(t->val, capn * sizeof *nv) : NULL;
    if (nv) t->val = nv;
    uint32_t *nr = nv ? realloc(t->round, capn * sizeof *nr) : NULL;
    if (!nr) return -1;
    t->round = nr;
    t->capn = capn;
  }
  int32_t id = (int32_t)t->n++;
  t->hash[id] = h;
  t->val[id] = val;
  t->round[id] = 0;
  t->slot[j] = id;
  return id;
}

static bool same_pointer(const void *ctx, int64_t a, int64_t b) {
  (void)ctx;
  return a == b;
}

/* groups (q << 32 | k) with the same byte nodes */
static bool same_nodes(const void *ctx, int64_t a, int64_t b) {
  const dm_tokauto *ta = ctx;
  const rowx *x = &ta->rx[a >> 32], *y = &ta->rx[b >> 32];
  int32_t ka = (int32_t)(a & 0xffffffff), kb = (int32_t)(b & 0xffffffff);
  int32_t na = x->nodes_off[ka + 1] - x->nodes_off[ka], nb = y->nodes_off[kb + 1] - y->nodes_off[kb];
  return na == nb && memcmp(x->nodes + x->nodes_off[ka], y->nodes + y->nodes_off[kb], (size_t)na * sizeof *x->nodes) == 0;
}



int dm_tokauto_row_or(dm_tokauto *ta, int32_t q, int32_t k, uint64_t *out, uint32_t round) {
  rowx *x = &ta->rx[q];
  if (x->tj[k] >= 0) {
    /* a template's set: OR the pooled set once per call, then the group's own byte
       nodes (tokens that left the region and came back), few, directly */
    dm_cset *cs = dm_tmpl_set(x->tm, x->tj[k]);
    if (!cs) return DM_ENOMEM;
    if (x->dk[k] < 0) {
      uintptr_t key = (uintptr_t)cs;
      x->dk[k] = keytab_id(&ta->keys, (uint64_t)(key >> 4) * 0x9E3779B97F4A7C15ULL, (int64_t)key, same_pointer, NULL);
      if (x->dk[k] < 0) return DM_ENOMEM;
    }
    if (ta->keys.round[x->dk[k]] != round) {
      ta->keys.round[x->dk[k]] = round;
      for (size_t w = 0; w < ta->vwords; w++) out[w] |= cs->bits[w];
    }
    const dm_vocab *v = ta->vocab;
    for (int32_t i = x->nodes_off[k]; i < x->nodes_off[k + 1]; i++)
      for (int32_t t = v->trie[x->nodes[i]].first_token; t >= 0; t = v->next_same[t])
        out[t >> 6] |= (uint64_t)1 << (t & 63);
    return DM_OK;
  }
  if (x->set[k] < 0 && x->count[k] <= SMALL_GROUP) {
    if (x->tj[k] < 0 && x->count[k] > 8) { /* byte nodes only: the same list from many states once */
      if (x->dk[k] < 0) {
        const int32_t *nd = x->nodes + x->nodes_off[k];
        int32_t nn = x->nodes_off[k + 1] - x->nodes_off[k];
        uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)nn;
        for (int32_t i = 0; i < nn; i++) h = (h ^ (uint64_t)(uint32_t)nd[i]) * 0x100000001B3ULL + (h >> 29);
        x->dk[k] = keytab_id(&ta->keys, h, (int64_t)q << 32 | (int64_t)k, same_nodes, ta);
        if (x->dk[k] < 0) return DM_ENOMEM;
      }
      if (ta->keys.round[x->dk[k]] == round) return DM_OK;
      ta->keys.round[x->dk[k]] = round;
    }
    return or_tokens(ta, q, k, out);
  }
  int32_t s = set_of(ta, q, k);
  if (s < 0) return DM_ENOMEM;
  if (ta->set_round[s] == round) return DM_OK;
  ta->set_round[s] = round;
  const uint64_t *b = ta->sets[s].bits;
  for (size_t w = 0; w < ta->vwords; w++) out[w] |= b[w];
  return DM_OK;
}

int32_t dm_tokauto_row_single(const dm_tokauto *ta, int32_t q, int32_t k) {
  const rowx *x = &ta->rx[q];
  const dm_tokrow *row = &ta->rows[q];
  if (x->count[k] != 1) return -1;
  if (is_eos_edge(ta, x, row, k)) return ta->eos;
  if (x->set[k] >= 0) { /* the group's set is built (filtered groups have no nodes) */
    const uint64_t *b = ta->sets[x->set[k]].bits;
    for (size_t w = 0; w < ta->vwords; w++)
      if (b[w]) return (int32_t)(w * 64 + (size_t)__builtin_ctzll(b[w]));
    return -1;
  }
  if (x->tj[k] >= 0 && x->tm->g_count[x->tj[k]] == 1)
    return x->tm->ct->nodes[x->tm->g_nodes[x->tm->g_off[x->tj[k]]]].first_token;
  return ta->vocab->trie[x->nodes[x->nodes_off[k]]].first_token;
}

int32_t dm_tokauto_row_count(const dm_tokauto *ta, int32_t q, int32_t k) { return ta->rx[q].count[k]; }
