/* Shared helpers of the kernel tests (tests only): a seeded uniform generator in
 * [-1, 1), random vectors, and the largest absolute difference (NaN counts as a
 * failure). */
#ifndef DM_TESTS_KERNELTEST_H
#define DM_TESTS_KERNELTEST_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t st = 88172645463325252ull;
static float frand(void) {
  st ^= st << 13;
  st ^= st >> 7;
  st ^= st << 17;
  return (float)((st >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}
static float *rvec(size_t n) {
  float *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = frand();
  return v;
}
static double maxdiff(const float *a, const float *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= m)) m = d; /* NaN propagates as a failure */
  }
  return m;
}

#endif
