/* Small inline kernels shared by the token picker and the strategies' scores (not
 * installed): a branch-free float exp for x <= 0 and a loop over allowed token ids. */
#ifndef DM_DECODE_FASTMATH_H
#define DM_DECODE_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* exp(x) for x <= 0 (clamped at -87), float, relative error ~2e-7: range reduction
 * to 2^n * e^y, |y| <= ln2/2, and a degree-6 polynomial. Branch-free so that the
 * loops that use it vectorize. */
static inline float dm_exp_neg(float x) {
  x = x < -87.0f ? -87.0f : x;
  float t = x * 1.44269504088896341f;
  int n = (int)(t - 0.5f); /* t <= 0: rounds to nearest */
  float y = (t - (float)n) * 0.693147180559945309f;
  float q = 1.0f + y * (1.0f + y * (0.5f + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720))))));
  int32_t bits = (n + 127) << 23;
  float sc;
  memcpy(&sc, &bits, sizeof sc);
  return q * sc;
}

/* Iterate the allowed token ids t (bitset allowed of words words) below vocab. */
#define DM_FOR_ALLOWED(allowed, words, vocab, t)                                   \
  for (size_t w_ = 0; w_ < (words); w_++)                                          \
    for (uint64_t b_ = (allowed)[w_]; b_; b_ &= b_ - 1)                            \
      for (int32_t t = (int32_t)(w_ * 64 + (size_t)__builtin_ctzll(b_)), once_ = 1; \
           once_ && t < (vocab); once_ = 0)

#endif
