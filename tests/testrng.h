/* A tiny seeded generator for tests and benchmarks (xorshift64*): the same seed
 * gives the same run everywhere. Define TEST_RNG_SEED before including to set the
 * start state; tests may also assign g_rng. */
#ifndef DM_TESTS_TESTRNG_H
#define DM_TESTS_TESTRNG_H

#include <stdint.h>

#ifndef TEST_RNG_SEED
#define TEST_RNG_SEED 1
#endif

static uint64_t g_rng = TEST_RNG_SEED;

static inline uint64_t rnd(void) {
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 0x2545F4914F6CDD1DULL;
}

#endif
