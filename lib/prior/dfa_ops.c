/* DFA language operations and queries. */
#include <stdlib.h>
#include <string.h>

#include "dfa.h"

int32_t dm_dfa_run(const dm_dfa *d, int32_t s, const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n && s >= 0; i++) s = dm_dfa_step(d, s, bytes[i]);
  return s;
}

bool dm_dfa_match(const dm_dfa *d, const uint8_t *bytes, size_t n) {
  int32_t s = dm_dfa_run(d, 0, bytes, n);
  return s >= 0 && d->accept[s];
}

bool dm_dfa_is_empty(const dm_dfa *d) {
  /* minimal DFAs of the empty language are one dead, non-accepting state */
  for (int s = 0; s < d->nstates; s++)
    if (d->accept[s]) return false;
  return true;
}

int dm_dfa_min_length(const dm_dfa *d) {
  int n = d->nstates;
  int32_t *dist = malloc((size_t)n * sizeof *dist), *q = malloc((size_t)n * sizeof *q);
  int result = -1;
  if (!dist || !q) goto out;
  for (int i = 0; i < n; i++) dist[i] = -1;
  int h = 0, t = 0;
  dist[0] = 0;
  q[t++] = 0;
  while (h < t) {
    int32_t s = q[h++];
    if (d->accept[s]) { result = dist[s]; break; }
    for (int c = 0; c < d->nclasses; c++) {
      int32_t x = d->next[(size_t)s * d->nclasses + c];
      if (x >= 0 && dist[x] < 0) { dist[x] = dist[s] + 1; q[t++] = x; }
    }
  }
out:
  free(dist);
  free(q);
  return result;
}

int32_t dm_dfa_max_length(const dm_dfa *d) {
  /* On a trimmed DFA: any cycle reachable means unbounded; else longest path in the DAG. */
  if (dm_dfa_is_empty(d)) return -1;
  int n = d->nstates, k = d->nclasses;
  int32_t *indeg = calloc((size_t)n, sizeof *indeg), *q = malloc((size_t)n * sizeof *q);
  int32_t *best = malloc((size_t)n * sizeof *best);
  int32_t result = -1;
  if (!indeg || !q || !best) goto out;
  for (int s = 0; s < n; s++)
    for (int c = 0; c < k; c++) {
      int32_t x = d->next[(size_t)s * k + c];
      if (x >= 0) indeg[x]++;
    }
  /* Kahn's algorithm; states are all reachable from 0 after minimisation */
  int h = 0, t = 0;
  for (int s = 0; s < n; s++) { best[s] = s == 0 ? 0 : INT32_MIN; if (!indeg[s]) q[t++] = s; }
  while (h < t) {
    int32_t s = q[h++];
    for (int c = 0; c < k; c++) {
      int32_t x = d->next[(size_t)s * k + c];
      if (x < 0) continue;
      if (best[s] != INT32_MIN && best[s] + 1 > best[x]) best[x] = best[s] + 1;
      if (--indeg[x] == 0) q[t++] = x;
    }
  }
  if (t < n) { result = INT32_MAX; goto out; }
  for (int s = 0; s < n; s++)
    if (d->accept[s] && best[s] > result) result = best[s];
out:
  free(indeg);
  free(q);
  free(best);
  return result;
}

bool dm_dfa_equal(const dm_dfa *a, const dm_dfa *b) {
  return a->nstates == b->nstates && a->nclasses == b->nclasses &&
         memcmp(a->class_of, b->class_of, sizeof a->class_of) == 0 &&
         memcmp(a->accept, b->accept, (size_t)a->nstates) == 0 &&
         memcmp(a->next, b->next, (size_t)a->nstates * (size_t)a->nclasses * sizeof *a->next) == 0;
}

/* ------------------------------------------------------------------ product */

typedef struct pair_map {
  uint64_t *keys;  /* (a+1) << 32 | (b+1); 0 = empty */
  int32_t *vals;
  size_t cap, n;
} pair_map;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

static int pair_map_grow(pair_map *m) {
  size_t ncap = m->cap ? m->cap * 2 : 1024;
  uint64_t *k = calloc(ncap, sizeof *k);
  int32_t *v = malloc(ncap * sizeof *v);
  if (!k || !v) { free(k); free(v); return DM_ENOMEM; }
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) {
      size_t j = mix64(m->keys[i]) & (ncap - 1);
      while (k[j]) j = (j + 1) & (ncap - 1);
      k[j] = m->keys[i];
      v[j] = m->vals[i];
    }
  free(m->keys);
  free(m->vals);
  m->keys = k;
  m->vals = v;
  m->cap = ncap;
  return DM_OK;
}

typedef enum { OP_AND, OP_OR, OP_DIFF } prod_op;

/* The states of d from which every byte string is accepted (a greatest fixpoint:
 * accepting, every transition defined and into such a state). *out is NULL when
 * there are none, else an owned flag array. */
static int universal_states(const dm_dfa *d, uint8_t **out) {
  int n = d->nstates, k = d->nclasses;
  *out = NULL;
  uint8_t *u = NULL;
  int cnt = 0;
  for (int s = 0; s < n; s++) {
    bool cand = d->accept[s];
    for (int c = 0; c < k && cand; c++) cand = d->next[(size_t)s * k + c] >= 0;
    if (!cand) continue;
    if (!u && !(u = calloc((size_t)n, 1))) return DM_ENOMEM;
    u[s] = 1;
    cnt++;
  }
  for (bool changed = cnt > 0; changed;) {
    changed = false;
    for (int s = 0; s < n; s++)
      if (u[s])
        for (int c = 0; c < k; c++)
          if (!u[d->next[(size_t)s * k + c]]) { u[s] = 0; cnt--; changed = true; break; }
  }
  if (!cnt) { free(u); u = NULL; }
  *out = u;
  return DM_OK;
}

/* The product automaton over the reachable pairs, minimised. OP_DIFF is a minus b,
 * built as a and the complement of b would be: a pair whose b-side is dead lives on
 * (the complement's sink), one whose b-side accepts everything is dead (the
 * complement drops it), so it visits the same pairs that intersecting a with
 * dm_dfa_complement(b) visits. */
static int product(const dm_dfa *a, const dm_dfa *b, prod_op op, int max_states, dm_dfa **out,
                   dm_error *err) {
  if (max_states <= 0) max_states = DM_DFA_DEFAULT_MAX_STATES;
  *out = NULL;
  dm_dfa *d = calloc(1, sizeof *d);
  pair_map map = {0};
  int32_t *pa = NULL, *pb = NULL, *only_a = NULL, *only_b = NULL;
  uint8_t *univ_b = NULL;
  size_t cap = 0;
  int rc = DM_ENOMEM;
  if (!d) return dm_error_set(err, DM_ENOMEM, "out of memory");
  /* joint byte classes: one per pair (class in a, class in b) that occurs */
  int16_t (*pair_class)[256] = malloc(256 * sizeof *pair_class);
  int ca[256], cb[256];
  int nc = 0;
  if (!pair_class) {
    dm_dfa_free(d);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  memset(pair_class, 0xff, 256 * sizeof *pair_class);
  for (int byte = 0; byte < 256; byte++) {
    int xa = a->class_of[byte], xb = b->class_of[byte];
    if (pair_class[xa][xb] < 0) {
      pair_class[xa][xb] = (int16_t)nc;
      ca[nc] = xa;
      cb[nc++] = xb;
    }
    d->class_of[byte] = (uint8_t)pair_class[xa][xb];
  }
  d->nclasses = nc;
  free(pair_class);
  /* pairs with one side dead are looked up directly, the others through the map */
  only_a = malloc((size_t)a->nstates * sizeof *only_a);
  only_b = malloc((size_t)b->nstates * sizeof *only_b);
  if (!only_a || !only_b) goto oom;
  for (int i = 0; i < a->nstates; i++) only_a[i] = -1;
  for (int i = 0; i < b->nstates; i++) only_b[i] = -1;
  if (op == OP_DIFF && universal_states(b, &univ_b)) goto oom;

  int n = 0;
  #define NEW_STATE(sa, sb, slot, idvar)                                           \
    do {                                                                           \
      if (n >= max_states) goto limit;                                             \
      if ((size_t)n == cap) {                                                      \
        cap = cap ? cap * 2 : 256;                                                 \
        int32_t *na_ = realloc(pa, cap * sizeof *pa);                              \
        if (!na_) goto oom;                                                        \
        pa = na_;                                                                  \
        int32_t *nb_ = realloc(pb, cap * sizeof *pb);                              \
        if (!nb_) goto oom;                                                        \
        pb = nb_;                                                                  \
        int32_t *nx_ = realloc(d->next, cap * (size_t)nc * sizeof *nx_);           \
        if (!nx_) goto oom;                                                        \
        d->next = nx_;                                                             \
      }                                                                            \
      pa[n] = (sa); pb[n] = (sb);                                                  \
      *(slot) = n;                                                                 \
      idvar = n++;                                                                 \
    } while (0)
  #define INTERN(sa, sb, idvar)                                                    \
    do {                                                                           \
      if ((sb) < 0) {                                                              \
        if (only_a[sa] >= 0) idvar = only_a[sa];                                   \
        else NEW_STATE(sa, sb, &only_a[sa], idvar);                                \
      } else if ((sa) < 0) {                                                       \
        if (only_b[sb] >= 0) idvar = only_b[sb];                                   \
        else NEW_STATE(sa, sb, &only_b[sb], idvar);                                \
      } else {                                                                     \
        uint64_t key_ = ((uint64_t)(uint32_t)((sa) + 1) << 32) | (uint32_t)((sb) + 1); \
        if ((map.n + 1) * 2 > map.cap && pair_map_grow(&map)) goto oom;            \
        size_t j_ = mix64(key_) & (map.cap - 1);                                   \
        while (map.keys[j_] && map.keys[j_] != key_) j_ = (j_ + 1) & (map.cap - 1); \
        if (map.keys[j_]) { idvar = map.vals[j_]; }                                \
        else {                                                                     \
          int32_t slot_;                                                           \
          NEW_STATE(sa, sb, &slot_, idvar);                                        \
          map.keys[j_] = key_; map.vals[j_] = slot_; map.n++;                      \
        }                                                                          \
      }                                                                            \
    } while (0)

  int32_t id0;
  INTERN(0, 0, id0);
  (void)id0;
  for (int cur = 0; cur < n; cur++) {
    const int32_t *ra = pa[cur] >= 0 ? a->next + (size_t)pa[cur] * a->nclasses : NULL;
    const int32_t *rb = pb[cur] >= 0 ? b->next + (size_t)pb[cur] * b->nclasses : NULL;
    int32_t *row;
    for (int c = 0; c < nc; c++) {
      int32_t sa = ra ? ra[ca[c]] : -1;
      int32_t sb = rb ? rb[cb[c]] : -1;
      int32_t t = -1;
      bool dead = op == OP_AND ? (sa < 0 || sb < 0)
                  : op == OP_OR ? (sa < 0 && sb < 0)
                  : (sa < 0 || (sb >= 0 && univ_b && univ_b[sb]));
      if (!dead) INTERN(sa, sb, t);
      row = d->next + (size_t)cur * nc; /* INTERN may move the table */
      row[c] = t;
    }
  }
  #undef INTERN
  #undef NEW_STATE
  d->nstates = n;
  d->accept = malloc((size_t)n);
  if (!d->accept) goto oom;
  for (int s = 0; s < n; s++) {
    bool aa = pa[s] >= 0 && a->accept[pa[s]], bb = pb[s] >= 0 && b->accept[pb[s]];
    d->accept[s] = op == OP_AND ? (aa && bb) : op == OP_OR ? (aa || bb) : (aa && !bb);
  }
  free(pa);
  free(pb);
  free(only_a);
  free(only_b);
  free(univ_b);
  free(map.keys);
  free(map.vals);
  if ((rc = dm_dfa_minimize(d)) != DM_OK) {
    dm_dfa_free(d);
    return dm_error_set(err, rc, "out of memory minimising the automaton");
  }
  *out = d;
  return DM_OK;
limit:
  rc = dm_error_set(err, DM_ESTATELIMIT, "combined automaton needs more than %d states (the state limit)", max_states);
  goto fail;
oom:
  rc = dm_error_set(err, DM_ENOMEM, "out of memory combining automata");
fail:
  free(pa);
  free(pb);
  free(only_a);
  free(only_b);
  free(univ_b);
  free(map.keys);
  free(map.vals);
  dm_dfa_free(d);
  return rc;
}

int dm_dfa_intersect(const dm_dfa *a, const dm_dfa *b, int max_states, dm_dfa **out, dm_error *err) {
  return product(a, b, OP_AND, max_states, out, err);
}

int dm_dfa_union(const dm_dfa *a, const dm_dfa *b, int max_states, dm_dfa **out, dm_error *err) {
  return product(a, b, OP_OR, max_states, out, err);
}

int dm_dfa_difference(const dm_dfa *a, const dm_dfa *b, int max_states, dm_dfa **out, dm_error *err) {
  return product(a, b, OP_DIFF, max_states, out, err);
}

int dm_dfa_union_disjoint(dm_dfa *const *parts, int n, dm_dfa **out, dm_error *err) {
  *out = NULL;
  /* joint byte classes: refine by each part in turn, numbering by first byte */
  uint8_t joint[256] = {0};
  int nc = 1;
  int16_t (*map)[256] = malloc(256 * sizeof *map);
  if (!map) return dm_error_set(err, DM_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) {
    memset(map, 0xff, 256 * sizeof *map);
    int k = 0;
    for (int b = 0; b < 256; b++) {
      int16_t *slot = &map[joint[b]][parts[i]->class_of[b]];
      if (*slot < 0) *slot = (int16_t)k++;
      joint[b] = (uint8_t)*slot;
    }
    nc = k;
  }
  free(map);
  int rep[256];
  for (int b = 255; b >= 0; b--) rep[joint[b]] = b;
  size_t total = 1;
  for (int i = 0; i < n; i++) total += (size_t)parts[i]->nstates;
  dm_dfa *d = calloc(1, sizeof *d);
  if (!d) return dm_error_set(err, DM_ENOMEM, "out of memory");
  d->nstates = (int)total;
  d->nclasses = nc;
  memcpy(d->class_of, joint, sizeof joint);
  d->next = malloc(total * (size_t)nc * sizeof *d->next);
  d->accept = calloc(total, 1);
  if (!d->next || !d->accept) {
    dm_dfa_free(d);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  for (int c = 0; c < nc; c++) d->next[c] = -1;
  int32_t base = 1;
  for (int i = 0; i < n; i++) {
    const dm_dfa *a = parts[i];
    int cls[256];
    for (int c = 0; c < nc; c++) cls[c] = a->class_of[rep[c]];
    for (int32_t s = 0; s < a->nstates; s++) {
      const int32_t *row = a->next + (size_t)s * a->nclasses;
      int32_t *orow = d->next + (size_t)(base + s) * nc;
      for (int c = 0; c < nc; c++) orow[c] = row[cls[c]] >= 0 ? base + row[cls[c]] : -1;
      d->accept[base + s] = a->accept[s];
    }
    /* the start: this part's start transitions (the bytes are no other part's) */
    for (int c = 0; c < nc; c++)
      if (a->next[cls[c]] >= 0) {
        if (d->next[c] >= 0) {
          dm_dfa_free(d);
          return dm_error_set(err, DM_EINVAL, "union of automata whose first bytes overlap");
        }
        d->next[c] = base + a->next[cls[c]];
      }
    if (a->accept[0]) d->accept[0] = 1;
    base += a->nstates;
  }
  int rc = dm_dfa_minimize(d);
  if (rc) {
    dm_dfa_free(d);
    return dm_error_set(err, rc, "out of memory minimising the automaton");
  }
  *out = d;
  return DM_OK;
}

bool dm_dfa_starts_disjoint(const dm_dfa *a, const uint8_t *used) {
  for (int b = 0; b < 256; b++)
    if (used[b] && a->next[a->class_of[b]] >= 0) return false;
  return true;
}

void dm_dfa_starts_mark(const dm_dfa *a, uint8_t *used) {
  for (int b = 0; b < 256; b++)
    if (a->next[a->class_of[b]] >= 0) used[b] = 1;
}

int dm_dfa_complement(const dm_dfa *a, dm_dfa **out, dm_error *err) {
  *out = NULL;
  int n = a->nstates + 1, k = a->nclasses; /* + sink */
  dm_dfa *d = calloc(1, sizeof *d);
  if (!d) return dm_error_set(err, DM_ENOMEM, "out of memory");
  d->next = malloc((size_t)n * (size_t)k * sizeof *d->next);
  d->accept = malloc((size_t)n);
  if (!d->next || !d->accept) {
    dm_dfa_free(d);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  d->nstates = n;
  d->nclasses = k;
  memcpy(d->class_of, a->class_of, sizeof d->class_of);
  int sink = n - 1;
  for (int s = 0; s < n; s++) {
    for (int c = 0; c < k; c++) {
      int32_t t = s == sink ? -1 : a->next[(size_t)s * k + c];
      d->next[(size_t)s * k + c] = t >= 0 ? t : sink;
    }
    d->accept[s] = s == sink ? 1 : !a->accept[s];
  }
  int rc = dm_dfa_minimize(d);
  if (rc) {
    dm_dfa_free(d);
    return dm_error_set(err, rc, "out of memory minimising the automaton");
  }
  *out = d;
  return DM_OK;
}

int dm_dfa_strip_frame(const dm_dfa *d, uint8_t begin, uint8_t end, dm_dfa **out, dm_error *err) {
  *out = NULL;
  int32_t s0 = dm_dfa_step(d, 0, begin);
  dm_dfa *r = calloc(1, sizeof *r);
  if (!r) return dm_error_set(err, DM_ENOMEM, "out of memory");
  int n = d->nstates, k = d->nclasses;
  r->nstates = n;
  r->nclasses = k;
  memcpy(r->class_of, d->class_of, sizeof r->class_of);
  r->next = malloc((size_t)n * (size_t)k * sizeof *r->next);
  r->accept = calloc((size_t)n, 1);
  if (!r->next || !r->accept) {
    dm_dfa_free(r);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  if (s0 < 0) {
    /* nothing starts with the begin marker: empty language */
    for (size_t i = 0; i < (size_t)n * (size_t)k; i++) r->next[i] = -1;
  } else {
    /* swap states 0 and s0 so the new start is 0 */
    for (int q = 0; q < n; q++) {
      int src = q == 0 ? s0 : q == s0 ? 0 : q;
      for (int c = 0; c < k; c++) {
        int32_t t = d->next[(size_t)src * k + c];
        r->next[(size_t)q * k + c] = t == 0 ? s0 : t == s0 ? 0 : t;
      }
      int32_t e = dm_dfa_step(d, src, end);
      r->accept[q] = e >= 0 && d->accept[e];
    }
  }
  int rc = dm_dfa_minimize(r);
  if (rc) {
    dm_dfa_free(r);
    return dm_error_set(err, rc, "out of memory");
  }
  *out = r;
  return DM_OK;
}

#define FRAME_BEGIN 0xF8
#define FRAME_END 0xF9

int dm_dfa_from_search_pattern(const char *pattern, size_t len, int max_states, dm_dfa **out,
                               dm_error *err) {
  *out = NULL;
  dm_re *re = NULL;
  int rc = dm_re_parse(pattern, len, &re, err);
  if (rc) return rc;
  dm_re_anchors_to_bytes(re, FRAME_BEGIN, FRAME_END);
  /* (ε | B .*) P (ε | .* E), with . any code point */
  dm_cp_range all = {0, DM_CP_MAX};
  dm_re_node *anyc = dm_re_repeat(re, dm_re_class(re, &all, 1), 0, -1);
  dm_re_node *pre_k[2] = {dm_re_bytes(re, FRAME_BEGIN, FRAME_BEGIN), anyc};
  dm_re_node *suf_k[2] = {anyc, dm_re_bytes(re, FRAME_END, FRAME_END)};
  dm_re_node *pre_alt[2] = {dm_re_empty(re), dm_re_cat(re, pre_k, 2)};
  dm_re_node *suf_alt[2] = {dm_re_empty(re), dm_re_cat(re, suf_k, 2)};
  dm_re_node *parts[3] = {dm_re_alt(re, pre_alt, 2), dm_re_root_mut(re), dm_re_alt(re, suf_alt, 2)};
  dm_re_node *whole = dm_re_cat(re, parts, 3);
  if (!whole || !parts[0] || !parts[2]) {
    dm_re_free(re);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  /* the value itself is text: any code points, no marker bytes (without this, a
     pattern's own "^" marker after a free prefix would leave a marker inside) */
  dm_re_node *text = dm_re_repeat(re, dm_re_class(re, &all, 1), 0, -1);
  dm_dfa *framed = NULL, *stripped = NULL, *texts = NULL;
  rc = text ? dm_dfa_from_re(whole, max_states, &framed, err) : dm_error_set(err, DM_ENOMEM, "out of memory");
  if (!rc) rc = dm_dfa_from_re(text, max_states, &texts, err);
  dm_re_free(re);
  if (!rc) rc = dm_dfa_strip_frame(framed, FRAME_BEGIN, FRAME_END, &stripped, err);
  if (!rc) rc = dm_dfa_intersect(stripped, texts, max_states, out, err);
  dm_dfa_free(framed);
  dm_dfa_free(stripped);
  dm_dfa_free(texts);
  return rc;
}
