/* Seeded random numbers for sampling (internal).
 * xoshiro256** seeded through splitmix64: the same seed gives the same stream on
 * every platform, so the same seed + inputs give the same output. */
#ifndef DM_DECODE_RNG_H
#define DM_DECODE_RNG_H

#include <stdint.h>

typedef struct dm_rng {
  uint64_t s[4];
} dm_rng;

/* Seed the generator (any seed, 0 included). */
void dm_rng_seed(dm_rng *rng, uint64_t seed);
/* Next 64 random bits. */
uint64_t dm_rng_next(dm_rng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double dm_rng_uniform(dm_rng *rng);
/* Uniform integer in [0, n); n > 0. Unbiased (rejection sampling). */
uint64_t dm_rng_below(dm_rng *rng, uint64_t n);
/* splitmix64 step: advances *state and returns the next output. */
uint64_t dm_splitmix64(uint64_t *state);

#endif
