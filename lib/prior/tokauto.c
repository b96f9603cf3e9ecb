/* Token automata: lazy rows from the vocabulary trie, interned token sets. */
#include <stdlib.h>
#include <string.h>

#include "tokauto.h"

typedef struct tokset {
  uint64_t *bits;
  int32_t count;
  uint64_t hash;
} tokset;

struct dm_tokauto {
  const dm_dfa *dfa;
  const dm_vocab *vocab;
  int32_t eos;       /* filler token or -1 */
  int32_t qe;        /* the EOS state (== dfa->nstates) or -1 */
  int32_t nq;
  size_t qwords, vwords;
  dm_tokrow *rows;
  uint8_t *built;
  tokset *sets;
  int32_t nsets, capsets;
  int32_t *hash;     /* open addressing over sets, -1 = empty */
  size_t hcap;
  size_t memory;
  /* scratch for row building */
  int32_t *slot_of;  /* per state: scratch bitset index or -1 */
  uint64_t **scratch;
  int32_t *scratch_next;
  int32_t nscratch, capscratch;
  int32_t *stack;    /* (trie node, dfa state) pairs */
  size_t capstack;
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

const uint64_t *dm_tokauto_set(const dm_tokauto *ta, int32_t set, int32_t *count) {
  if (count) *count = ta->sets[set].count;
  return ta->sets[set].bits;
}

int dm_tokauto_new(const dm_dfa *dfa, const dm_vocab *vocab, int32_t eos, dm_tokauto **out) {
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
  ta->built = calloc((size_t)ta->nq, 1);
  ta->slot_of = malloc((size_t)ta->nq * sizeof *ta->slot_of);
  if (!ta->rows || !ta->built || !ta->slot_of) {
    dm_tokauto_free(ta);
    return DM_ENOMEM;
  }
  for (int32_t i = 0; i < ta->nq; i++) ta->slot_of[i] = -1;
  *out = ta;
  return DM_OK;
}

void dm_tokauto_free(dm_tokauto *ta) {
  if (!ta) return;
  for (int32_t q = 0; q < ta->nq && ta->rows; q++) {
    free(ta->rows[q].next);
    free(ta->rows[q].set);
    free(ta->rows[q].succ);
  }
  free(ta->rows);
  free(ta->built);
  for (int32_t i = 0; i < ta->nsets; i++) free(ta->sets[i].bits);
  free(ta->sets);
  free(ta->hash);
  free(ta->slot_of);
  for (int32_t i = 0; i < ta->capscratch; i++) free(ta->scratch[i]);
  free(ta->scratch);
  free(ta->scratch_next);
  free(ta->stack);
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

static uint64_t hash_bits(const uint64_t *b, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ULL + (h >> 31);
  return h;
}

/* Intern a bitset (copied when new). Returns the set id or -1 on OOM. */
static int32_t intern(dm_tokauto *ta, const uint64_t *bits) {
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
    if (t->hash == h && memcmp(t->bits, bits, ta->vwords * sizeof *bits) == 0) return ta->hash[j];
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
  t->bits = malloc(ta->vwords * sizeof *bits);
  if (!t->bits) return -1;
  memcpy(t->bits, bits, ta->vwords * sizeof *bits);
  t->hash = h;
  t->count = 0;
  for (size_t i = 0; i < ta->vwords; i++) t->count += __builtin_popcountll(bits[i]);
  ta->memory += ta->vwords * sizeof *bits;
  ta->hash[j] = ta->nsets;
  return ta->nsets++;
}

/* Scratch bitset for next state `to`, cleared on first use in this row. */
static uint64_t *scratch_for(dm_tokauto *ta, int32_t to) {
  if (ta->slot_of[to] >= 0) return ta->scratch[ta->slot_of[to]];
  if (ta->nscratch == ta->capscratch) {
    int32_t cap = ta->capscratch ? ta->capscratch * 2 : 8;
    uint64_t **ns = realloc(ta->scratch, (size_t)cap * sizeof *ns);
    if (!ns) return NULL;
    ta->scratch = ns;
    int32_t *nn = realloc(ta->scratch_next, (size_t)cap * sizeof *nn);
    if (!nn) return NULL;
    ta->scratch_next = nn;
    for (int32_t i = ta->capscratch; i < cap; i++) ta->scratch[i] = NULL;
    ta->capscratch = cap;
  }
  int32_t k = ta->nscratch;
  if (!ta->scratch[k]) {
    ta->scratch[k] = malloc(ta->vwords * sizeof(uint64_t));
    if (!ta->scratch[k]) return NULL;
  }
  memset(ta->scratch[k], 0, ta->vwords * sizeof(uint64_t));
  ta->scratch_next[k] = to;
  ta->slot_of[to] = k;
  ta->nscratch++;
  return ta->scratch[k];
}

static int build_row(dm_tokauto *ta, int32_t q) {
  dm_tokrow *row = &ta->rows[q];
  const dm_vocab *v = ta->vocab;
  ta->nscratch = 0;
  int rc = DM_ENOMEM;
  if (q == ta->qe) {
    uint64_t *b = scratch_for(ta, ta->qe);
    if (!b) goto out;
    b[ta->eos >> 6] |= (uint64_t)1 << (ta->eos & 63);
  } else {
    /* depth-first over the trie with the DFA state carried along */
    size_t sp = 0;
    if (ta->capstack < 64) {
      int32_t *ns = realloc(ta->stack, 64 * 2 * sizeof *ns);
      if (!ns) goto out;
      ta->stack = ns;
      ta->capstack = 64;
    }
    ta->stack[0] = 0;
    ta->stack[1] = q;
    sp = 1;
    while (sp) {
      sp--;
      int32_t node = ta->stack[2 * sp], s = ta->stack[2 * sp + 1];
      for (int32_t ch = v->trie[node].first_child; ch >= 0; ch = v->trie[ch].next_sibling) {
        int32_t s2 = dm_dfa_step(ta->dfa, s, v->trie[ch].byte);
        if (s2 < 0) continue;
        if (v->trie[ch].first_token >= 0) {
          uint64_t *b = scratch_for(ta, s2);
          if (!b) goto out;
          for (int32_t t = v->trie[ch].first_token; t >= 0; t = v->next_same[t]) b[t >> 6] |= (uint64_t)1 << (t & 63);
        }
        if (v->trie[ch].first_child >= 0) {
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
    if (ta->eos >= 0 && ta->dfa->accept[q]) {
      uint64_t *b = scratch_for(ta, ta->qe);
      if (!b) goto out;
      b[ta->eos >> 6] |= (uint64_t)1 << (ta->eos & 63);
    }
  }
  row->n = ta->nscratch;
  row->next = malloc((size_t)(row->n ? row->n : 1) * sizeof *row->next);
  row->set = malloc((size_t)(row->n ? row->n : 1) * sizeof *row->set);
  row->succ = calloc(ta->qwords, sizeof *row->succ);
  if (!row->next || !row->set || !row->succ) goto out;
  for (int32_t k = 0; k < row->n; k++) {
    int32_t to = ta->scratch_next[k];
    row->next[k] = to;
    row->set[k] = intern(ta, ta->scratch[k]);
    if (row->set[k] < 0) goto out;
    row->succ[to >> 6] |= (uint64_t)1 << (to & 63);
  }
  ta->memory += (size_t)row->n * 8 + ta->qwords * 8;
  rc = DM_OK;
out:
  for (int32_t k = 0; k < ta->nscratch; k++) ta->slot_of[ta->scratch_next[k]] = -1;
  ta->nscratch = 0;
  if (rc) {
    free(row->next);
    free(row->set);
    free(row->succ);
    memset(row, 0, sizeof *row);
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
