/* Small-M linear for AVX-512: y (M, N) = x (M, K) . w (N, K)^T with M <= 64 rows
 * (the canvas rows of a cached step). A BLAS call packs the whole weight matrix on
 * every call, which costs as much as the multiply when M is small; this kernel
 * reads the weights where they lie (F32 or BF16, row-major) and keeps x transposed
 * in cache instead: for 6 weight rows at a time, 6 x (M/16) accumulators, each step
 * k broadcasts w[n][k] and multiplies it by x^T[k][0..M). Reference twin:
 * dm_ref_linear (same contract); tests/runtime/test_kernels.c compares them. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define DM_SMALL_BUILD 1
#include <immintrin.h>
#endif

#define NR 6 /* weight rows per micro-kernel call */

#ifdef DM_SMALL_BUILD

typedef struct small_ctx {
  const float *xt; /* (K, 16 * mv) transposed, zero padded */
  const dm_wmat *w;
  const float *bias;
  float *y;
  int M, N, K, mv, rows_per; /* rows_per: weight rows per task (multiple of NR) */
} small_ctx;

#define SMALL_TARGET __attribute__((target("avx512f")))

/* rows r0..r0+NR-1 (clamped to N-1; duplicates are computed and dropped). */
SMALL_TARGET static inline __attribute__((always_inline)) void micro(const small_ctx *c, int r0,
                                                                    const int MV) {
  int K = c->K, ld = 16 * MV;
  __m512 acc[NR][4];
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < 4; v++) acc[r][v] = _mm512_setzero_ps();
  int rows[NR];
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++) rows[r] = r0 + r < c->N ? r0 + r : c->N - 1;
  if (c->w->dtype == DM_DTYPE_F32) {
    const float *w[NR];
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) w[r] = (const float *)c->w->data + (size_t)rows[r] * K;
    for (int k = 0; k < K; k++) {
      const float *xk = c->xt + (size_t)k * ld;
      __m512 xv[4];
#pragma GCC unroll 4
      for (int v = 0; v < MV; v++) xv[v] = _mm512_loadu_ps(xk + 16 * v);
#pragma GCC unroll 8
      for (int r = 0; r < NR; r++) {
        __m512 b = _mm512_set1_ps(w[r][k]);
#pragma GCC unroll 4
        for (int v = 0; v < MV; v++) acc[r][v] = _mm512_fmadd_ps(b, xv[v], acc[r][v]);
      }
    }
  } else { /* BF16: the f32 value is the 16 bits shifted up */
    const uint16_t *w[NR];
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) w[r] = (const uint16_t *)c->w->data + (size_t)rows[r] * K;
    for (int k = 0; k < K; k++) {
      const float *xk = c->xt + (size_t)k * ld;
      __m512 xv[4];
#pragma GCC unroll 4
      for (int v = 0; v < MV; v++) xv[v] = _mm512_loadu_ps(xk + 16 * v);
#pragma GCC unroll 8
      for (int r = 0; r < NR; r++) {
        __m512 b = _mm512_castsi512_ps(_mm512_set1_epi32((int)((uint32_t)w[r][k] << 16)));
#pragma GCC unroll 4
        for (int v = 0; v < MV; v++) acc[r][v] = _mm512_fmadd_ps(b, xv[v], acc[r][v]);
      }
    }
  }
  float out[4 * 16];
  for (int r = 0; r < NR && r0 + r < c->N; r++) {
    for (int v = 0; v < MV; v++) _mm512_storeu_ps(out + 16 * v, acc[r][v]);
    float b = c->bias ? c->bias[r0 + r] : 0.0f;
    for (int m = 0; m < c->M; m++) c->y[(size_t)m * c->N + r0 + r] = out[m] + b;
  }
}

SMALL_TARGET static void small_task(int task, int thread, void *vc) {
  (void)thread;
  const small_ctx *c = vc;
  int n0 = task * c->rows_per, n1 = n0 + c->rows_per < c->N ? n0 + c->rows_per : c->N;
  for (int r0 = n0; r0 < n1; r0 += NR) {
    switch (c->mv) {
      case 1: micro(c, r0, 1); break;
      case 2: micro(c, r0, 2); break;
      case 3: micro(c, r0, 3); break;
      default: micro(c, r0, 4); break;
    }
  }
}

int dm_small_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias, float *y) {
  if (M < 1 || M > 64 || (w->dtype != DM_DTYPE_F32 && w->dtype != DM_DTYPE_BF16)) return DM_EUNSUPPORTED;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) return DM_EUNSUPPORTED;
  int K = w->cols, N = w->rows, mv = (M + 15) / 16, ld = 16 * mv;
  float *xt = calloc((size_t)K * (size_t)ld, sizeof *xt);
  if (!xt) return DM_ENOMEM;
  for (int m = 0; m < M; m++)
    for (int k = 0; k < K; k++) xt[(size_t)k * ld + m] = x[(size_t)m * K + k];
  int nt = dm_pool_size(p);
  int groups = (N + NR - 1) / NR, tasks = nt * 4 < groups ? nt * 4 : groups;
  small_ctx c = {xt, w, bias, y, M, N, K, mv, 0};
  c.rows_per = (groups + tasks - 1) / tasks * NR;
  dm_pool_run(p, (N + c.rows_per - 1) / c.rows_per, small_task, &c);
  free(xt);
  return DM_OK;
}

#else

int dm_small_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias, float *y) {
  (void)p, (void)x, (void)M, (void)w, (void)bias, (void)y;
  return DM_EUNSUPPORTED;
}

#endif
