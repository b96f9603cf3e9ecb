/* xoshiro256** (Blackman & Vigna) seeded by splitmix64. */
#include "rng.h"

uint64_t dm_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void dm_rng_seed(dm_rng *rng, uint64_t seed) {
  uint64_t st = seed;
  for (int i = 0; i < 4; i++) rng->s[i] = dm_splitmix64(&st);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t dm_rng_next(dm_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double dm_rng_uniform(dm_rng *rng) {
  return (double)(dm_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t dm_rng_below(dm_rng *rng, uint64_t n) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* accept [0, limit) */
  uint64_t x;
  do x = dm_rng_next(rng);
  while (x >= limit);
  return x % n;
}
