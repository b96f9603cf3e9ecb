/* Seeded RNG: golden values from tests/data/rng/gen.py, determinism, ranges. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/decode/rng.h"
#include "../checkmain.h"

static FILE *open_data(const char *rel) {
  const char *src = getenv("DM_TEST_SRCDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", src ? src : ".", rel);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  return f;
}

START_TEST(matches_reference_stream) {
  FILE *f = open_data("tests/data/rng/xoshiro256ss.out");
  char line[1024];
  int seeds = 0;
  while (fgets(line, sizeof line, f)) {
    char *p = line;
    uint64_t seed = strtoull(p, &p, 10);
    ck_assert_int_eq(*p, ':');
    p++;
    dm_rng rng;
    dm_rng_seed(&rng, seed);
    for (int i = 0; i < 8; i++) {
      uint64_t expect = strtoull(p, &p, 16);
      ck_assert_msg(dm_rng_next(&rng) == expect, "seed %" PRIu64 " value %d", seed, i);
    }
    seeds++;
  }
  fclose(f);
  ck_assert_int_eq(seeds, 5);
}
END_TEST

START_TEST(splitmix_known_value) {
  uint64_t st = 0;
  ck_assert(dm_splitmix64(&st) == 0xe220a8397b1dcdafULL);
}
END_TEST

START_TEST(uniform_and_below_ranges) {
  dm_rng a, b;
  dm_rng_seed(&a, 123);
  dm_rng_seed(&b, 123);
  int hist[10] = {0};
  double sum = 0;
  for (int i = 0; i < 100000; i++) {
    double u = dm_rng_uniform(&a);
    ck_assert(u >= 0.0 && u < 1.0);
    ck_assert(u == dm_rng_uniform(&b));
    sum += u;
    uint64_t k = dm_rng_below(&a, 10);
    ck_assert(k < 10);
    ck_assert(k == dm_rng_below(&b, 10));
    hist[k]++;
  }
  ck_assert(sum / 100000 > 0.49 && sum / 100000 < 0.51);
  for (int i = 0; i < 10; i++) ck_assert_msg(hist[i] > 9500 && hist[i] < 10500, "bucket %d: %d", i, hist[i]);
  ck_assert(dm_rng_below(&a, 1) == 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("decode/rng");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, matches_reference_stream);
  tcase_add_test(tc, splitmix_known_value);
  tcase_add_test(tc, uniform_and_below_ranges);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
