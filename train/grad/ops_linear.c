/* Backward of the embedding lookup, the linear layers and the LM head. */
#include <string.h>

#include <cblas.h>

#include "ops.h"

// ids (T), dy (T, C) -> dtable (V, C) +=
void dm_grad_embedding_backward(const int32_t *ids, int T, int C, const float *dy, float *dtable) {
  for (int t = 0; t < T; t++) {
    float *row = dtable + (size_t)ids[t] * C;
    const float *g = dy + (size_t)t * C;
    for (int c = 0; c < C; c++) row[c] += g[c];
  }
}

// x (M, K), w (N, K), dy (M, N) -> dx (M, K) +=, dw (N, K) +=, db (N) +=
void dm_grad_linear_backward(const float *x, int M, int K, const float *w, int N, const float *dy,
                             float *dx, float *dw, float *db) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  // dx (M, K) += dy (M, N) . w (N, K)
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, dy, N, w, K, 1.0f, dx, K);
  // dw (N, K) += dy^T (N, M) . x (M, K)
  if (dw)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dy, N, x, K, 1.0f, dw, K);
  // db (N) += sum over rows of dy
  if (db)
    for (int m = 0; m < M; m++)
      for (int n = 0; n < N; n++) db[n] += dy[(size_t)m * N + n];
}

// h (R, C), head (V, C), dlogits (R, V) -> dh (R, C) +=, dhead (V, C) +=
void dm_grad_lm_head_backward(const float *h, int R, int C, const float *head, int V,
                              const float *dlogits, float *dh, float *dhead) {
  dm_grad_linear_backward(h, R, C, head, V, dlogits, dh, dhead, NULL);
}
