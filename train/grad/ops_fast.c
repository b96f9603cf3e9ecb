/* Fast twins of the heaviest backward ops, split over the runtime's thread pool with
 * single-threaded OpenBLAS GEMMs in each task (the forward's scheme): the linear
 * backward and the attention backward. Their plain references are
 * dm_grad_linear_backward and dm_grad_attention_backward (ops_linear.c,
 * ops_attention.c); tests/train/test_grad.c compares them. */
#include <math.h>
#include <stdlib.h>

#include <cblas.h>

#include "ops.h"

/* ------------------------------------------------------------------ linear */

typedef struct lin_bw {
  const float *x, *w, *dy;
  float *dx, *dw, *db;
  int M, K, N, nt, mb, nb;
} lin_bw;

// task < nt: rows [m0, m0+mb) of dx; else rows [n0, n0+nb) of dw and entries of db
static void lin_bw_task(int task, int thread, void *vc) {
  (void)thread;
  const lin_bw *c = vc;
  if (task < c->nt) {
    int m0 = task * c->mb, mb = c->M - m0 < c->mb ? c->M - m0 : c->mb;
    if (mb <= 0 || !c->dx) return;
    // dx[m0:] (mb, K) += dy[m0:] (mb, N) . w (N, K)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mb, c->K, c->N, 1.0f,
                c->dy + (size_t)m0 * c->N, c->N, c->w, c->K, 1.0f, c->dx + (size_t)m0 * c->K, c->K);
    return;
  }
  int n0 = (task - c->nt) * c->nb, nb = c->N - n0 < c->nb ? c->N - n0 : c->nb;
  if (nb <= 0) return;
  // dw[n0:] (nb, K) += dy[:, n0:]^T (nb, M) . x (M, K)
  if (c->dw)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nb, c->K, c->M, 1.0f, c->dy + n0, c->N,
                c->x, c->K, 1.0f, c->dw + (size_t)n0 * c->K, c->K);
  if (c->db)
    for (int m = 0; m < c->M; m++) {
      const float *r = c->dy + (size_t)m * c->N + n0;
      for (int n = 0; n < nb; n++) c->db[n0 + n] += r[n];
    }
}

// x (M, K), w (N, K), dy (M, N) -> dx (M, K) +=, dw (N, K) +=, db (N) +=
void dm_grad_linear_backward_fast(dm_pool *p, const float *x, int M, int K, const float *w, int N,
                                  const float *dy, float *dx, float *dw, float *db) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  int nt = p ? dm_pool_size(p) : 1;
  if (nt < 1) nt = 1;
  lin_bw c = {x, w, dy, dx, dw, db, M, K, N, nt, (M + nt - 1) / nt, (N + nt - 1) / nt};
  if (!p) {
    dm_grad_linear_backward(x, M, K, w, N, dy, dx, dw, db);
    return;
  }
  dm_pool_run(p, 2 * nt, lin_bw_task, &c);
}

/* ------------------------------------------------------------------ attention */

typedef struct att_bw {
  const float *q, *k, *v, *o, *do_;
  float *dq, *dk, *dv;
  int B, T, H, KV, D, causal;
  float *scratch; /* per thread: 2 T*T + T floats */
} att_bw;

// one (sequence b, kv head) pair: its H/KV query heads, GEMMs on (T, T) blocks
static void att_bw_task(int task, int thread, void *vc) {
  const att_bw *c = vc;
  int T = c->T, D = c->D, group = c->H / c->KV, b = task / c->KV, kh = task % c->KV;
  size_t TT = (size_t)T * T;
  float *P = c->scratch + (size_t)thread * (2 * TT + T), *dP = P + TT, *dsum = dP + TT;
  int ldq = c->H * D, ldk = c->KV * D;
  const float *k = c->k + (size_t)b * T * ldk + (size_t)kh * D;
  const float *v = c->v + (size_t)b * T * ldk + (size_t)kh * D;
  float scale = 1.0f / sqrtf((float)D);
  for (int h = kh * group; h < (kh + 1) * group; h++) {
    size_t qo = (size_t)b * T * ldq + (size_t)h * D;
    const float *q = c->q + qo, *o = c->o + qo, *g = c->do_ + qo;
    // S = scale q (T, D) . k (T, D)^T -> P (T, T), then softmax by row over visible keys
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D, scale, q, ldq, k, ldk, 0.0f, P, T);
    for (int i = 0; i < T; i++) {
      float *r = P + (size_t)i * T;
      int lim = c->causal ? i + 1 : T;
      float mx = -INFINITY, z = 0;
      for (int j = 0; j < lim; j++) mx = r[j] > mx ? r[j] : mx;
      for (int j = 0; j < lim; j++) z += (r[j] = expf(r[j] - mx));
      float iz = 1.0f / z;
      for (int j = 0; j < lim; j++) r[j] *= iz;
      for (int j = lim; j < T; j++) r[j] = 0;
      double s = 0;
      const float *gi = g + (size_t)i * ldq, *oi = o + (size_t)i * ldq;
      for (int e = 0; e < D; e++) s += (double)gi[e] * oi[e];
      dsum[i] = (float)s;
    }
    // dP = dO (T, D) . v (T, D)^T -> (T, T); dS = P * (dP - dsum) * scale (in dP)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D, 1.0f, g, ldq, v, ldk, 0.0f, dP, T);
    for (int i = 0; i < T; i++) {
      float *pr = P + (size_t)i * T, *dr = dP + (size_t)i * T;
      for (int j = 0; j < T; j++) dr[j] = pr[j] * (dr[j] - dsum[i]) * scale;
    }
    // dq (T, D) += dS (T, T) . k (T, D)
    if (c->dq)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T, 1.0f, dP, T, k, ldk, 1.0f,
                  c->dq + qo, ldq);
    // dk (T, D) += dS^T (T, T) . q (T, D)
    if (c->dk)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T, 1.0f, dP, T, q, ldq, 1.0f,
                  c->dk + (size_t)b * T * ldk + (size_t)kh * D, ldk);
    // dv (T, D) += P^T (T, T) . dO (T, D)
    if (c->dv)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T, 1.0f, P, T, g, ldq, 1.0f,
                  c->dv + (size_t)b * T * ldk + (size_t)kh * D, ldk);
  }
}

// q (B*T, H*D), k/v (B*T, KV*D), o/do_ (B*T, H*D) -> dq (B*T, H*D) +=, dk/dv (B*T, KV*D) +=
int dm_grad_attention_backward_fast(dm_pool *pool, const float *q, const float *k, const float *v,
                                    const float *o, const float *do_, int B, int T, int H, int KV,
                                    int D, int causal, float *dq, float *dk, float *dv) {
  if (B <= 0 || T <= 0 || KV <= 0 || H % KV != 0) return B <= 0 || T <= 0 ? DM_OK : DM_EINVAL;
  int nt = pool ? dm_pool_size(pool) : 1;
  att_bw c = {q, k, v, o, do_, dq, dk, dv, B, T, H, KV, D, causal, NULL};
  size_t per = 2 * (size_t)T * T + (size_t)T;
  c.scratch = malloc(sizeof(float) * per * (size_t)nt);
  if (!c.scratch) return DM_ENOMEM;
  if (pool) {
    dm_pool_run(pool, B * KV, att_bw_task, &c);
  } else {
    for (int t = 0; t < B * KV; t++) att_bw_task(t, 0, &c);
  }
  free(c.scratch);
  return DM_OK;
}
