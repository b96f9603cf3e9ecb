/* DFA minimisation: the fast version (Hopcroft, dm_dfa_minimize) against its plain
 * reference twin (Moore's rounds, dm_dfa_minimize_reference) on random automata —
 * the same tables (so the same language and the same number of states) — and both
 * against the unminimised automaton on random words. Also the one-product difference
 * against intersecting with the complement, and the all-at-once union of automata
 * with disjoint first bytes against unions one at a time, and the map of equivalent
 * states of two automata against re-rooted minimisation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/dfa.h"
#include "../checkmain.h"

#define TEST_RNG_SEED 0x5eedd1fa
#include "../testrng.h"

static int below(int n) { return (int)(rnd() % (uint64_t)n); }

static dm_dfa *dfa_new(int n, int k) {
  dm_dfa *d = calloc(1, sizeof *d);
  ck_assert_ptr_nonnull(d);
  d->nstates = n;
  d->nclasses = k;
  d->next = malloc((size_t)n * (size_t)k * sizeof *d->next);
  d->accept = calloc((size_t)n, 1);
  ck_assert(d->next && d->accept);
  return d;
}

static dm_dfa *dfa_copy(const dm_dfa *a) {
  dm_dfa *d = dfa_new(a->nstates, a->nclasses);
  memcpy(d->class_of, a->class_of, sizeof d->class_of);
  memcpy(d->next, a->next, (size_t)a->nstates * (size_t)a->nclasses * sizeof *d->next);
  memcpy(d->accept, a->accept, (size_t)a->nstates);
  return d;
}

/* Bytes spread over k classes, each class used by at least one byte. */
static void random_classes(dm_dfa *d, int k) {
  for (int b = 0; b < 256; b++) d->class_of[b] = (uint8_t)(b < k ? b : below(k));
  for (int i = 255; i > 0; i--) { /* shuffle */
    int j = below(i + 1);
    uint8_t t = d->class_of[i];
    d->class_of[i] = d->class_of[j];
    d->class_of[j] = t;
  }
}

/* A random automaton: n states, k classes, each transition dead with probability
 * pdead/100, each state accepting with probability pacc/100. */
static dm_dfa *random_dfa(int n, int k, int pdead, int pacc) {
  dm_dfa *d = dfa_new(n, k);
  random_classes(d, k);
  for (int s = 0; s < n; s++) {
    d->accept[s] = below(100) < pacc;
    for (int c = 0; c < k; c++) d->next[(size_t)s * k + c] = below(100) < pdead ? -1 : below(n);
  }
  return d;
}

/* Each state of `base` copied 1..4 times; a transition goes to a random copy of its
 * base target. The language is base's, with many equivalent states to merge. */
static dm_dfa *inflate(const dm_dfa *base) {
  int nb = base->nstates, k = base->nclasses;
  int *copies = malloc((size_t)nb * sizeof *copies), *firstc = malloc((size_t)nb * sizeof *firstc);
  ck_assert(copies && firstc);
  int n = 0;
  for (int s = 0; s < nb; s++) { firstc[s] = n; copies[s] = 1 + below(4); n += copies[s]; }
  dm_dfa *d = dfa_new(n, k);
  memcpy(d->class_of, base->class_of, sizeof d->class_of);
  for (int s = 0; s < nb; s++)
    for (int j = 0; j < copies[s]; j++) {
      int q = firstc[s] + j;
      d->accept[q] = base->accept[s];
      for (int c = 0; c < k; c++) {
        int32_t t = base->next[(size_t)s * k + c];
        d->next[(size_t)q * k + c] = t < 0 ? -1 : firstc[t] + below(copies[t]);
      }
    }
  free(copies);
  free(firstc);
  return d;
}

/* Random words over the bytes that name each class, plus the prefixes of accepted
 * paths: the minimised automaton must agree with the original on all of them. */
static void assert_same_language(const dm_dfa *orig, const dm_dfa *min) {
  uint8_t rep[256];
  int k = orig->nclasses;
  for (int b = 255; b >= 0; b--) rep[orig->class_of[b]] = (uint8_t)b;
  for (int t = 0; t < 200; t++) {
    uint8_t w[24];
    int len = below(24);
    /* half the words follow live transitions of the original as long as possible */
    int32_t s = 0;
    for (int i = 0; i < len; i++) {
      int c = below(k);
      if (t % 2 && s >= 0)
        for (int tries = 0; tries < k && orig->next[(size_t)s * k + c] < 0; tries++) c = (c + 1) % k;
      w[i] = rep[c];
      s = s >= 0 ? orig->next[(size_t)s * k + c] : -1;
    }
    int bad = -1; /* check's assertions are slow: one per word */
    for (int l = 0; l <= len && bad < 0; l++)
      if (dm_dfa_match(orig, w, (size_t)l) != dm_dfa_match(min, w, (size_t)l)) bad = l;
    ck_assert_msg(bad < 0, "the minimised automaton disagrees on a word of %d bytes", bad);
  }
}

/* Minimise with both versions; they must give the same tables. */
static void check_one(const dm_dfa *orig) {
  dm_dfa *fast = dfa_copy(orig), *ref = dfa_copy(orig);
  ck_assert_int_eq(dm_dfa_minimize(fast), DM_OK);
  ck_assert_int_eq(dm_dfa_minimize_reference(ref), DM_OK);
  ck_assert_msg(dm_dfa_equal(fast, ref), "fast: %d states %d classes, reference: %d states %d classes",
                fast->nstates, fast->nclasses, ref->nstates, ref->nclasses);
  assert_same_language(orig, fast);
  /* a minimal automaton stays as large (its numbering may change: states are
   * numbered breadth-first in the order of the classes before they were merged) */
  dm_dfa *again = dfa_copy(fast);
  ck_assert_int_eq(dm_dfa_minimize(again), DM_OK);
  ck_assert_int_eq(again->nstates, fast->nstates);
  ck_assert_int_eq(again->nclasses, fast->nclasses);
  dm_dfa_free(again);
  dm_dfa_free(fast);
  dm_dfa_free(ref);
}

START_TEST(random_automata) {
  for (int t = 0; t < 3000; t++) {
    int n = 1 + below(t < 1500 ? 12 : 80), k = 1 + below(t % 3 == 0 ? 3 : 9);
    dm_dfa *d = random_dfa(n, k, below(90), below(60));
    check_one(d);
    dm_dfa_free(d);
  }
}
END_TEST

START_TEST(inflated_automata) {
  /* many equivalent states: the minimal size is at most the base's */
  for (int t = 0; t < 1500; t++) {
    int n = 1 + below(40), k = 1 + below(6);
    dm_dfa *base = random_dfa(n, k, below(80), 10 + below(40));
    dm_dfa *d = inflate(base);
    check_one(d);
    dm_dfa *fb = dfa_copy(base), *fd = dfa_copy(d);
    ck_assert_int_eq(dm_dfa_minimize(fb), DM_OK);
    ck_assert_int_eq(dm_dfa_minimize(fd), DM_OK);
    ck_assert(dm_dfa_equal(fb, fd));
    dm_dfa_free(fb);
    dm_dfa_free(fd);
    dm_dfa_free(base);
    dm_dfa_free(d);
  }
}
END_TEST

START_TEST(long_chains) {
  /* a chain of len states into a cycle of period states, accepting where the cycle
   * starts: a^(len + j*period). Distinguishing words are as long as the chain (Moore
   * needs a round per state); the last period-1 chain states equal cycle states, so
   * the minimal automaton has len + 1 states. */
  for (int t = 0; t < 6; t++) {
    int len = 100 + below(400), period = 1 + below(7), n = len + period;
    dm_dfa *d = dfa_new(n, 2);
    memset(d->class_of, 1, sizeof d->class_of);
    d->class_of['a'] = 0;
    for (int s = 0; s < n; s++) {
      d->next[(size_t)s * 2] = s + 1 < n ? s + 1 : len;
      d->next[(size_t)s * 2 + 1] = -1;
      d->accept[s] = s == len;
    }
    check_one(d);
    dm_dfa *m = dfa_copy(d);
    ck_assert_int_eq(dm_dfa_minimize(m), DM_OK);
    ck_assert_int_eq(m->nstates, len + 1);
    dm_dfa_free(m);
    dm_dfa_free(d);
  }
}
END_TEST

START_TEST(empty_and_trivial) {
  dm_dfa *d = random_dfa(5, 3, 50, 0); /* nothing accepts */
  dm_dfa *m = dfa_copy(d);
  ck_assert_int_eq(dm_dfa_minimize(m), DM_OK);
  ck_assert_int_eq(m->nstates, 1);
  ck_assert(dm_dfa_is_empty(m));
  check_one(d);
  dm_dfa_free(m);
  dm_dfa_free(d);
  d = dfa_new(1, 1); /* the empty word only */
  d->next[0] = -1;
  d->accept[0] = 1;
  check_one(d);
  dm_dfa_free(d);
}
END_TEST

START_TEST(compiled_patterns) {
  /* automata from the regex compiler, re-inflated */
  static const char *pats[] = {"[a-c]+x{2,5}", "(ab|a)*b", "[0-9]{1,3}(\\.[0-9]{1,3}){3}", "\"([^\"\\\\]|\\\\.)*\"",
                               ".{0,12}", "(a|b)*a(a|b){6}"};
  for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
    dm_dfa *d = NULL;
    dm_error e;
    ck_assert_int_eq(dm_dfa_from_pattern(pats[i], strlen(pats[i]), 0, &d, &e), DM_OK);
    dm_dfa *dm = dfa_copy(d);
    ck_assert_int_eq(dm_dfa_minimize(dm), DM_OK);
    for (int t = 0; t < 20; t++) {
      dm_dfa *big = inflate(d);
      check_one(big);
      ck_assert_int_eq(dm_dfa_minimize(big), DM_OK);
      ck_assert(dm_dfa_equal(big, dm));
      dm_dfa_free(big);
    }
    dm_dfa_free(dm);
    dm_dfa_free(d);
  }
}
END_TEST

static dm_dfa *minimal_random(int n, int k, int pdead, int pacc) {
  dm_dfa *d = random_dfa(n, k, pdead, pacc);
  ck_assert_int_eq(dm_dfa_minimize(d), DM_OK);
  return d;
}

START_TEST(difference_is_and_not) {
  for (int t = 0; t < 600; t++) {
    dm_dfa *a = minimal_random(1 + below(20), 1 + below(5), below(70), 10 + below(50));
    dm_dfa *b = minimal_random(1 + below(20), 1 + below(5), t % 4 == 0 ? 0 : below(70), 10 + below(80));
    if (t % 5 == 0) { /* make a state of b accept everything from there */
      int q = below(b->nstates);
      b->accept[q] = 1;
      for (int c = 0; c < b->nclasses; c++) b->next[(size_t)q * b->nclasses + c] = q;
    }
    dm_dfa *diff = NULL, *nb = NULL, *both = NULL;
    dm_error e;
    ck_assert_int_eq(dm_dfa_difference(a, b, 0, &diff, &e), DM_OK);
    ck_assert_int_eq(dm_dfa_complement(b, &nb, &e), DM_OK);
    ck_assert_int_eq(dm_dfa_intersect(a, nb, 0, &both, &e), DM_OK);
    ck_assert(dm_dfa_equal(diff, both));
    /* and on words: in a and not in b */
    for (int w = 0; w < 50; w++) {
      uint8_t s[10];
      int len = below(10);
      for (int i = 0; i < len; i++) s[i] = (uint8_t)below(256);
      bool want = dm_dfa_match(a, s, (size_t)len) && !dm_dfa_match(b, s, (size_t)len);
      ck_assert_int_eq(dm_dfa_match(diff, s, (size_t)len), want);
    }
    /* the same state limit: both fail or both pass at the product's size */
    dm_dfa *x = NULL, *y = NULL;
    int lim = 1 + below(30);
    int r1 = dm_dfa_difference(a, b, lim, &x, &e), r2 = dm_dfa_intersect(a, nb, lim, &y, &e);
    ck_assert_int_eq(r1, r2);
    dm_dfa_free(x);
    dm_dfa_free(y);
    dm_dfa_free(a);
    dm_dfa_free(b);
    dm_dfa_free(diff);
    dm_dfa_free(nb);
    dm_dfa_free(both);
  }
}
END_TEST

START_TEST(disjoint_union_is_union) {
  /* distinct first bytes; some starts accept or are entered again */
  static const char *pats[] = {"(ab)*", "c[0-9]*", "d|e+", "[fg](xy){2,4}", "h(h|i)*h", "[\\x{e9}\\x{4e2d}]+",
                               "j.", "(kl|m)*n", ""};
  int np = (int)(sizeof pats / sizeof pats[0]);
  dm_dfa *d[16];
  dm_error e;
  for (int i = 0; i < np; i++) ck_assert_int_eq(dm_dfa_from_pattern(pats[i], strlen(pats[i]), 0, &d[i], &e), DM_OK);
  for (int t = 0; t < 400; t++) {
    /* a random selection in a random order, skipping a pattern whose first bytes
     * are taken (a repeat) */
    dm_dfa *pick[16];
    int n = 0;
    uint8_t used[256] = {0};
    for (int tries = 0; tries < 6; tries++) {
      dm_dfa *x = d[below(np)];
      if (!dm_dfa_starts_disjoint(x, used)) continue;
      dm_dfa_starts_mark(x, used);
      pick[n++] = x;
    }
    dm_dfa *seq = NULL, *all = NULL;
    for (int i = 0; i < n; i++) {
      if (!seq) {
        seq = dfa_copy(pick[i]);
        continue;
      }
      dm_dfa *u = NULL;
      ck_assert_int_eq(dm_dfa_union(seq, pick[i], 0, &u, &e), DM_OK);
      dm_dfa_free(seq);
      seq = u;
    }
    ck_assert_int_eq(dm_dfa_union_disjoint(pick, n, &all, &e), DM_OK);
    ck_assert_msg(dm_dfa_equal(seq, all), "%d parts: %d states one at a time, %d at once", n, seq->nstates, all->nstates);
    dm_dfa_free(seq);
    dm_dfa_free(all);
  }
  dm_dfa *both[2] = {d[1], d[1]}, *bad = NULL;
  ck_assert_int_eq(dm_dfa_union_disjoint(both, 2, &bad, &e), DM_EINVAL);
  for (int i = 0; i < np; i++) dm_dfa_free(d[i]);
}
END_TEST

/* A copy of d started at state s (states s and 0 swapped), minimised. */
static dm_dfa *rerooted(const dm_dfa *d, int s) {
  dm_dfa *r = dfa_new(d->nstates, d->nclasses);
  memcpy(r->class_of, d->class_of, sizeof r->class_of);
#define SWAP(x) ((x) == s ? 0 : (x) == 0 ? s : (x))
  for (int x = 0; x < d->nstates; x++) {
    r->accept[SWAP(x)] = d->accept[x];
    for (int c = 0; c < d->nclasses; c++) {
      int32_t t = d->next[(size_t)x * d->nclasses + c];
      r->next[(size_t)SWAP(x) * d->nclasses + c] = t < 0 ? -1 : SWAP(t);
    }
  }
#undef SWAP
  ck_assert_int_eq(dm_dfa_minimize(r), DM_OK);
  return r;
}

/* dm_dfa_equiv_map: every pair it maps has the same language (the two automata
 * re-rooted there minimise to the same table), an automaton maps onto itself
 * state for state, and automata that differ in a few moves still share states. */
START_TEST(equiv_map_is_sound) {
  int mapped = 0, unmapped = 0;
  for (int t = 0; t < 300; t++) {
    dm_dfa *a = minimal_random(2 + below(30), 1 + below(5), below(60), 10 + below(50));
    dm_dfa *b = dfa_copy(a);
    int changes = t % 4 == 0 ? 0 : 1 + below(3);
    for (int i = 0; i < changes; i++) {
      int q = below(b->nstates);
      if (below(2)) b->accept[q] ^= 1;
      else b->next[(size_t)q * b->nclasses + below(b->nclasses)] = below(3) ? below(b->nstates) : -1;
    }
    ck_assert_int_eq(dm_dfa_minimize(b), DM_OK);
    int32_t *mb = malloc((size_t)(b->nstates + 1) * sizeof *mb), *ma = malloc((size_t)(a->nstates + 1) * sizeof *ma);
    ck_assert_int_eq(dm_dfa_equiv_map(b, a, 100000, mb, ma), DM_OK);
    if (!changes) /* the same language: every state has its partner */
      for (int i = 0; i < b->nstates; i++) ck_assert_int_ge(mb[i], 0);
    if (!changes && dm_dfa_equal(a, b))
      for (int i = 0; i < a->nstates; i++) ck_assert_int_eq(mb[i], i);
    for (int i = 0; i < b->nstates; i++) {
      if (mb[i] < 0) { unmapped++; continue; }
      mapped++;
      ck_assert_int_eq(ma[mb[i]], i);
      dm_dfa *x = rerooted(b, i), *y = rerooted(a, mb[i]);
      ck_assert_msg(dm_dfa_equal(x, y), "round %d: state %d of b and %d of a differ", t, i, mb[i]);
      dm_dfa_free(x);
      dm_dfa_free(y);
    }
    /* past max_pairs nothing is mapped: with one pair, at most the starts */
    ck_assert_int_eq(dm_dfa_equiv_map(b, a, 1, mb, ma), DM_OK);
    for (int i = 1; i < b->nstates; i++) ck_assert_int_eq(mb[i], -1);
    free(mb);
    free(ma);
    dm_dfa_free(a);
    dm_dfa_free(b);
  }
  printf("equiv map: %d states mapped, %d not\n", mapped, unmapped);
  ck_assert_int_gt(mapped, 400);
  ck_assert_int_gt(unmapped, 400);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dfa_min");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, random_automata);
  tcase_add_test(tc, inflated_automata);
  tcase_add_test(tc, long_chains);
  tcase_add_test(tc, empty_and_trivial);
  tcase_add_test(tc, compiled_patterns);
  tcase_add_test(tc, difference_is_and_not);
  tcase_add_test(tc, disjoint_union_is_union);
  tcase_add_test(tc, equiv_map_is_sound);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? 1 : 0;
}
