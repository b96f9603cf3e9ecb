/* Token automata: rows from a trie over the tokens' byte-class strings, token sets
 * materialized on demand and interned.
 *
 * For one DFA, two tokens whose bytes fall in the same byte classes position by
 * position behave identically from every state. Grouping the vocabulary by these
 * class strings (a trie built once per automaton) makes a row walk visit a few
 * thousand nodes instead of the whole vocabulary trie; the feasibility sets only
 * need the next states, and the token bitsets are built the first time a decoder
 * asks which tokens are allowed. */
#include <stdlib.h>
#include <string.h>

#include "tokauto.h"

typedef struct tokset {
  uint64_t *bits;
  int32_t count;
  uint64_t hash;
} tokset;

typedef struct rowx {         /* the part of a row behind the public view */
  int32_t *nodes_off;         /* n + 1 offsets into nodes */
  int32_t *nodes;             /* class-trie nodes per next state */
  int32_t *count;             /* tokens per next state */
} rowx;

struct dm_tokauto {
  const dm_dfa *dfa;
  const dm_vocab *vocab;
  int32_t eos, qe, nq;
  size_t qwords, vwords;
  dm_classtrie *ct;           /* shared; one reference held */
  const dm_cnode *trie;       /* ct->nodes */
  const int32_t *tok_next;    /* ct->tok_next */
  dm_tokrow *rows;
  rowx *rx;
  uint8_t *built;
  tokset *sets;
  int32_t nsets, capsets;
  int32_t *hash;
  size_t hcap;
  size_t memory;
  /* scratch for row building */
  int32_t *slot_of;           /* per state: scratch list index or -1 */
  int32_t **lists;            /* per scratch list: class-trie nodes */
  int32_t *list_n, *list_cap, *list_next, *list_count;
  int32_t nlists, caplists;
  int32_t *stack;
  size_t capstack;
  uint64_t *tmpbits;
};

int32_t dm_tokauto_nstates(const dm_tokauto *ta) { return ta->nq; }
size_t dm_tokauto_qwords(const dm_tokauto *ta) { return ta->qwords; }
size_t dm_tokauto_vwords(const dm_tokauto *ta) { return ta->vwords; }
size_t dm_tokauto_memory(const dm_tokauto *ta) { return ta->memory; }

bool dm_tokauto_accepting(const dm_tokauto *ta, int32_t q) {
  if (q < 0) return false;
  if (q == ta->qe) return true;
  return ta->dfa->accept[q] != 0;
}

/* A new child of node for class cls (the caller knows there is none yet). */
static int32_t ct_child(dm_classtrie *ct, int32_t node, uint8_t cls) {
  if (ct->n == ct->cap) {
    int32_t cap = ct->cap * 2;
    dm_cnode *t = realloc(ct->nodes, (size_t)cap * sizeof *t);
    if (!t) return -1;
    ct->nodes = t;
    ct->cap = cap;
  }
  int32_t id = ct->n++;
  ct->nodes[id] = (dm_cnode){-1, ct->nodes[node].first_child, -1, 0, cls};
  ct->nodes[node].first_child = id;
  return id;
}

int dm_classtrie_new(const dm_vocab *vocab, const uint8_t class_of[256], dm_classtrie **out) {
  *out = NULL;
  dm_classtrie *ct = calloc(1, sizeof *ct);
  if (!ct) return DM_ENOMEM;
  ct->refs = 1;
  memcpy(ct->class_of, class_of, 256);
  ct->cap = 1024;
  ct->nodes = malloc((size_t)ct->cap * sizeof *ct->nodes);
  ct->tok_next = malloc((size_t)vocab->n * sizeof *ct->tok_next);
  if (!ct->nodes || !ct->tok_next) goto oom;
  ct->nodes[0] = (dm_cnode){-1, -1, -1, 0, 0};
  ct->n = 1;
  /* a token whose bytes equal a byte-trie path reuses its class path: walk the
     vocabulary trie, mapping each node to its class-trie node */
  int32_t *map = malloc((size_t)vocab->ntrie * sizeof *map);
  int32_t *stack = malloc((size_t)vocab->ntrie * sizeof *stack);
  if (!map || !stack) { free(map); free(stack); goto oom; }
  for (int32_t t = 0; t < vocab->n; t++) ct->tok_next[t] = -1;
  map[0] = 0;
  int32_t sp = 0;
  stack[sp++] = 0;
  int32_t slot[256]; /* class → class-trie child of the node being expanded */
  for (int i = 0; i < 256; i++) slot[i] = -1;
  while (sp) {
    int32_t bn = stack[--sp], cn = map[bn];
    for (int32_t c = ct->nodes[cn].first_child; c >= 0; c = ct->nodes[c].next_sibling) slot[ct->nodes[c].cls] = c;
    for (int32_t ch = vocab->trie[bn].first_child; ch >= 0; ch = vocab->trie[ch].next_sibling) {
      uint8_t cls = class_of[vocab->trie[ch].byte];
      int32_t cc = slot[cls];
      if (cc < 0) {
        cc = ct_child(ct, cn, cls);
        if (cc < 0) { free(map); free(stack); goto oom; }
        slot[cls] = cc;
      }
      map[ch] = cc;
      for (int32_t t = vocab->trie[ch].first_token; t >= 0; t = vocab->next_same[t]) {
        ct->tok_next[t] = ct->nodes[cc].first_token;
        ct->nodes[cc].first_token = t;
        ct->nodes[cc].ntokens++;
      }
      if (vocab->trie[ch].first_child >= 0) stack[sp++] = ch;
    }
    for (int32_t c = ct->nodes[cn].first_child; c >= 0; c = ct->nodes[c].next_sibling) slot[ct->nodes[c].cls] = -1;
  }
  free(map);
  free(stack);
  *out = ct;
  return DM_OK;
oom:
  free(ct->nodes);
  free(ct->tok_next);
  free(ct);
  return DM_ENOMEM;
}

dm_classtrie *dm_classtrie_ref(dm_classtrie *ct) {
  if (ct) ct->refs++;
  return ct;
}

void dm_classtrie_unref(dm_classtrie *ct) {
  if (!ct || --ct->refs > 0) return;
  free(ct->nodes);
  free(ct->tok_next);
  free(ct);
}

int dm_tokauto_new(const dm_dfa *dfa, const dm_vocab *vocab, int32_t eos, dm_classtrie *shared,
                   dm_tokauto **out) {
  *out = NULL;
  if (eos >= vocab->n) return DM_EINVAL;
  if (shared && memcmp(shared->class_of, dfa->class_of, 256) != 0) return DM_EINVAL;
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
  if (!ta->rows || !ta->rx || !ta->built || !ta->slot_of) goto oom;
  for (int32_t i = 0; i < ta->nq; i++) ta->slot_of[i] = -1;
  if (shared) ta->ct = dm_classtrie_ref(shared);
  else if (dm_classtrie_new(vocab, dfa->class_of, &ta->ct)) goto oom;
  ta->trie = ta->ct->nodes;
  ta->tok_next = ta->ct->tok_next;
  *out = ta;
  return DM_OK;
oom:
  dm_tokauto_free(ta);
  return DM_ENOMEM;
}

void dm_tokauto_free(dm_tokauto *ta) {
  if (!ta) return;
  for (int32_t q = 0; q < ta->nq && ta->rows; q++) {
    free(ta->rows[q].next);
    free(ta->rows[q].set);
    free(ta->rows[q].succ);
    if (ta->rx) {
      free(ta->rx[q].nodes_off);
      free(ta->rx[q].nodes);
      free(ta->rx[q].count);
    }
  }
  free(ta->rows);
  free(ta->rx);
  free(ta->built);
  for (int32_t i = 0; i < ta->nsets; i++) free(ta->sets[i].bits);
  free(ta->sets);
  free(ta->hash);
  free(ta->slot_of);
  for (int32_t i = 0; i < ta->caplists; i++) free(ta->lists[i]);
  free(ta->lists);
  free(ta->list_n);
  free(ta->list_cap);
  free(ta->list_next);
  free(ta->list_count);
  free(ta->stack);
  dm_classtrie_unref(ta->ct);
  free(ta->tmpbits);
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

static int list_for(dm_tokauto *ta, int32_t to) {
  if (ta->slot_of[to] >= 0) return ta->slot_of[to];
  if (ta->nlists == ta->caplists) {
    int32_t cap = ta->caplists ? ta->caplists * 2 : 8;
    int32_t **nl = realloc(ta->lists, (size_t)cap * sizeof *nl);
    if (!nl) return -1;
    ta->lists = nl;
    int32_t *a = realloc(ta->list_n, (size_t)cap * 4), *b = NULL, *c = NULL, *d = NULL;
    if (a) ta->list_n = a;
    if (a) b = realloc(ta->list_cap, (size_t)cap * 4);
    if (b) ta->list_cap = b;
    if (b) c = realloc(ta->list_next, (size_t)cap * 4);
    if (c) ta->list_next = c;
    if (c) d = realloc(ta->list_count, (size_t)cap * 4);
    if (d) ta->list_count = d;
    if (!d) return -1;
    for (int32_t i = ta->caplists; i < cap; i++) { ta->lists[i] = NULL; ta->list_cap[i] = 0; }
    ta->caplists = cap;
  }
  int32_t k = ta->nlists++;
  ta->list_n[k] = 0;
  ta->list_next[k] = to;
  ta->list_count[k] = 0;
  ta->slot_of[to] = k;
  return k;
}

static int list_add(dm_tokauto *ta, int32_t k, int32_t node, int32_t ntok) {
  if (ta->list_n[k] == ta->list_cap[k]) {
    int32_t cap = ta->list_cap[k] ? ta->list_cap[k] * 2 : 16;
    int32_t *nl = realloc(ta->lists[k], (size_t)cap * 4);
    if (!nl) return DM_ENOMEM;
    ta->lists[k] = nl;
    ta->list_cap[k] = cap;
  }
  ta->lists[k][ta->list_n[k]++] = node;
  ta->list_count[k] += ntok;
  return DM_OK;
}

static int build_row(dm_tokauto *ta, int32_t q) {
  dm_tokrow *row = &ta->rows[q];
  rowx *x = &ta->rx[q];
  const dm_dfa *d = ta->dfa;
  ta->nlists = 0;
  int rc = DM_ENOMEM;
  if (q != ta->qe) {
    if (ta->capstack < 64) {
      int32_t *ns = realloc(ta->stack, 64 * 2 * sizeof *ns);
      if (!ns) goto out;
      ta->stack = ns;
      ta->capstack = 64;
    }
    size_t sp = 1;
    ta->stack[0] = 0;
    ta->stack[1] = q;
    while (sp) {
      sp--;
      int32_t node = ta->stack[2 * sp], s = ta->stack[2 * sp + 1];
      for (int32_t ch = ta->trie[node].first_child; ch >= 0; ch = ta->trie[ch].next_sibling) {
        int32_t s2 = d->next[(size_t)s * d->nclasses + ta->trie[ch].cls];
        if (s2 < 0) continue;
        if (ta->trie[ch].ntokens) {
          int k = list_for(ta, s2);
          if (k < 0 || list_add(ta, k, ch, ta->trie[ch].ntokens)) goto out;
        }
        if (ta->trie[ch].first_child >= 0) {
          if (sp == ta->capstack) {
            size_t cap = ta->capstack * 2;
            int32_t *ns = realloc(ta->stack, cap * 2 * sizeof *ns);
            if (!ns) goto out;
            ta->stack = ns;
            ta->capstack = cap;
          }
          ta->stack[2 * sp] = ch;
          ta->stack[2 * sp + 1] = s2;
          sp++;
        }
      }
    }
  }
  /* EOS: from accepting states (and the EOS state itself) to the EOS state */
  bool eos_edge = ta->eos >= 0 && (q == ta->qe || d->accept[q]);
  int32_t n = ta->nlists + (eos_edge ? 1 : 0);
  row->n = n;
  row->next = malloc((size_t)(n ? n : 1) * sizeof *row->next);
  row->set = malloc((size_t)(n ? n : 1) * sizeof *row->set);
  row->succ = calloc(ta->qwords, sizeof *row->succ);
  x->nodes_off = malloc(((size_t)n + 1) * sizeof *x->nodes_off);
  x->count = malloc((size_t)(n ? n : 1) * sizeof *x->count);
  int32_t total = 0;
  for (int32_t k = 0; k < ta->nlists; k++) total += ta->list_n[k];
  x->nodes = malloc((size_t)(total ? total : 1) * sizeof *x->nodes);
  if (!row->next || !row->set || !row->succ || !x->nodes_off || !x->count || !x->nodes) goto out;
  int32_t at = 0;
  for (int32_t k = 0; k < ta->nlists; k++) {
    row->next[k] = ta->list_next[k];
    row->set[k] = -1; /* token set: built on demand */
    x->count[k] = ta->list_count[k];
    x->nodes_off[k] = at;
    memcpy(x->nodes + at, ta->lists[k], (size_t)ta->list_n[k] * 4);
    at += ta->list_n[k];
    row->succ[row->next[k] >> 6] |= (uint64_t)1 << (row->next[k] & 63);
  }
  if (eos_edge) {
    int32_t k = ta->nlists;
    row->next[k] = ta->qe;
    row->set[k] = -1;
    x->count[k] = 1;
    x->nodes_off[k] = at;
    row->succ[ta->qe >> 6] |= (uint64_t)1 << (ta->qe & 63);
  }
  x->nodes_off[n] = at;
  ta->memory += (size_t)n * 16 + (size_t)total * 4 + ta->qwords * 8;
  rc = DM_OK;
out:
  for (int32_t k = 0; k < ta->nlists; k++) ta->slot_of[ta->list_next[k]] = -1;
  ta->nlists = 0;
  if (rc) {
    free(row->next);
    free(row->set);
    free(row->succ);
    free(x->nodes_off);
    free(x->nodes);
    free(x->count);
    memset(row, 0, sizeof *row);
    memset(x, 0, sizeof *x);
  }
  return rc;
}

const dm_tokrow *dm_tokauto_row(dm_tokauto *ta, int32_t q) {
  if (q < 0 || q >= ta->nq) return NULL;
  if (!ta->built[q]) {
    if (build_row(ta, q)) return NULL;
    ta->built[q] = 1;
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

const uint64_t *dm_tokauto_row_set(dm_tokauto *ta, int32_t q, int32_t k, int32_t *count) {
  dm_tokrow *row = &ta->rows[q];
  rowx *x = &ta->rx[q];
  if (count) *count = x->count[k];
  if (row->set[k] < 0) {
    if (!ta->tmpbits && !(ta->tmpbits = malloc(ta->vwords * 8))) return NULL;
    uint64_t *b = ta->tmpbits;
    memset(b, 0, ta->vwords * 8);
    if (row->next[k] == ta->qe && x->nodes_off[k] == x->nodes_off[k + 1]) {
      b[ta->eos >> 6] |= (uint64_t)1 << (ta->eos & 63);
    } else {
      for (int32_t i = x->nodes_off[k]; i < x->nodes_off[k + 1]; i++)
        for (int32_t t = ta->trie[x->nodes[i]].first_token; t >= 0; t = ta->tok_next[t])
          b[t >> 6] |= (uint64_t)1 << (t & 63);
    }
    row->set[k] = intern(ta, b, x->count[k]);
    if (row->set[k] < 0) return NULL;
  }
  return ta->sets[row->set[k]].bits;
}

int32_t dm_tokauto_row_single(const dm_tokauto *ta, int32_t q, int32_t k) {
  const rowx *x = &ta->rx[q];
  if (x->count[k] != 1) return -1;
  if (x->nodes_off[k] == x->nodes_off[k + 1]) return ta->eos; /* the EOS edge */
  return ta->trie[x->nodes[x->nodes_off[k]]].first_token;
}

int32_t dm_tokauto_row_count(const dm_tokauto *ta, int32_t q, int32_t k) { return ta->rx[q].count[k]; }
