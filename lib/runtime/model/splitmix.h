/* SplitMix64 (internal): the one seeded generator of the runtime (random models)
 * and the trainer (initial weights, data order, mask draws). Header-only. */
#ifndef DM_RUNTIME_SPLITMIX_H
#define DM_RUNTIME_SPLITMIX_H

#include <stdint.h>

/* Advance *s and return the next 64-bit draw. */
static inline uint64_t dm_splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

#endif
