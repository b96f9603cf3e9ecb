/* Backward of RMSNorm, RoPE and SwiGLU (elementwise / per-row ops). */
#include <math.h>
#include <stdlib.h>

#include "ops.h"

// x (M, C), w (C), dy (M, C) -> dx (M, C) +=, dw (C) +=
void dm_grad_rmsnorm_backward(const float *x, const float *w, int M, int C, float eps,
                              const float *dy, float *dx, float *dw) {
  for (int m = 0; m < M; m++) {
    const float *r = x + (size_t)m * C, *g = dy + (size_t)m * C;
    double ss = 0, gx = 0;
    for (int c = 0; c < C; c++) {
      ss += (double)r[c] * r[c];
      gx += (double)w[c] * g[c] * r[c];
    }
    double inv = 1.0 / sqrt(ss / C + eps);
    if (dx) {
      double k = inv * inv * inv * gx / C;
      float *o = dx + (size_t)m * C;
      for (int c = 0; c < C; c++) o[c] += (float)(inv * w[c] * g[c] - k * r[c]);
    }
    if (dw)
      for (int c = 0; c < C; c++) dw[c] += (float)(g[c] * r[c] * inv);
  }
}

// dy (M, H*D) -> dx (M, H*D) in place, pos (M)
int dm_grad_rope_backward(dm_pool *p, float *dy, int M, int H, int D, const int32_t *pos,
                          double theta) {
  if (M <= 0) return DM_OK;
  int32_t *neg = malloc(sizeof(int32_t) * (size_t)M);
  if (!neg) return DM_ENOMEM;
  for (int m = 0; m < M; m++) neg[m] = -pos[m];
  if (p) dm_fast_rope(p, dy, M, H, D, neg, theta);
  else dm_ref_rope(dy, M, H, D, neg, theta);
  free(neg);
  return DM_OK;
}

// a (n), b (n), dy (n) -> da (n) +=, db (n) +=
void dm_grad_swiglu_backward(const float *a, const float *b, const float *dy, size_t n, float *da,
                             float *db) {
  for (size_t i = 0; i < n; i++) {
    double x = a[i], s = 1.0 / (1.0 + exp(-x));
    if (da) da[i] += (float)(dy[i] * b[i] * s * (1.0 + x * (1.0 - s)));
    if (db) db[i] += (float)(dy[i] * x * s);
  }
}
