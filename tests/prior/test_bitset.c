/* Bitsets: each operation against a plain bool-array reference. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

#include <dimple/status.h>

#include "../../lib/prior/bitset.h"
#include "../checkmain.h"

/* Test-local generator (xorshift64*), so the prior tests need nothing from decode. */
static double next_uniform(uint64_t *st) {
  *st ^= *st >> 12;
  *st ^= *st << 25;
  *st ^= *st >> 27;
  return (double)((*st * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

static void fill_random(dm_bitset *bs, bool *ref, size_t n, uint64_t *rng, double p) {
  dm_bitset_clear(bs);
  for (size_t i = 0; i < n; i++) {
    ref[i] = next_uniform(rng) < p;
    if (ref[i]) dm_bitset_set(bs, i);
  }
}

static void assert_same(const dm_bitset *bs, const bool *ref, size_t n) {
  size_t cnt = 0;
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(dm_bitset_test(bs, i), ref[i]);
    cnt += ref[i];
  }
  ck_assert_uint_eq(dm_bitset_count(bs), cnt);
  ck_assert_int_eq(dm_bitset_empty(bs), cnt == 0);
}

START_TEST(ops_match_reference) {
  static const size_t sizes[] = {0, 1, 63, 64, 65, 127, 128, 1000};
  size_t n = sizes[_i];
  uint64_t rng = 0x9E3779B97F4A7C15ULL + n;
  dm_bitset a, b;
  ck_assert_int_eq(dm_bitset_init(&a, n), DM_OK);
  ck_assert_int_eq(dm_bitset_init(&b, n), DM_OK);
  bool *ra = calloc(n + 1, 1), *rb = calloc(n + 1, 1);
  for (int round = 0; round < 20; round++) {
    double p = round / 19.0;
    fill_random(&a, ra, n, &rng, p);
    fill_random(&b, rb, n, &rng, 0.5);
    assert_same(&a, ra, n);
    bool inter = false, changed = false;
    for (size_t i = 0; i < n; i++) inter |= ra[i] && rb[i];
    ck_assert_int_eq(dm_bitset_intersects(&a, &b), inter);
    /* next */
    size_t expect = n;
    for (size_t i = n; i-- > 0;) {
      if (ra[i]) expect = i;
      ck_assert_uint_eq(dm_bitset_next(&a, i), expect);
    }
    /* or */
    for (size_t i = 0; i < n; i++) {
      changed |= !ra[i] && rb[i];
      ra[i] = ra[i] || rb[i];
    }
    ck_assert_int_eq(dm_bitset_or(&a, &b), changed);
    assert_same(&a, ra, n);
    /* and */
    fill_random(&b, rb, n, &rng, 0.5);
    changed = false;
    for (size_t i = 0; i < n; i++) {
      changed |= ra[i] && !rb[i];
      ra[i] = ra[i] && rb[i];
    }
    ck_assert_int_eq(dm_bitset_and(&a, &b), changed);
    assert_same(&a, ra, n);
    dm_bitset_copy(&b, &a);
    ck_assert(dm_bitset_equal(&a, &b));
  }
  dm_bitset_fill(&a);
  for (size_t i = 0; i < n; i++) ra[i] = true;
  assert_same(&a, ra, n);
  ck_assert_uint_eq(dm_bitset_next(&a, n), n);
  free(ra);
  free(rb);
  dm_bitset_free(&a);
  dm_bitset_free(&b);
  dm_bitset_free(&a); /* second free of a released set is a no-op */
  dm_bitset_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/bitset");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, ops_match_reference, 0, 8);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
