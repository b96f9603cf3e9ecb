/* Backward of multi-head self-attention (GQA, optional causal mask). The forward is
 * the runtime's dm_fast_attention / dm_ref_attention; the probabilities are
 * recomputed here row by row, in double like the reference twin. Work is split over
 * (sequence, kv head) pairs: each pair owns its query heads' dq rows and its kv
 * head's dk/dv rows, so tasks never write the same memory and the result does not
 * depend on the number of threads. */
#include <math.h>
#include <stdlib.h>

#include "ops.h"

typedef struct att_bw {
  const float *q, *k, *v, *o, *do_;
  float *dq, *dk, *dv;
  int B, T, H, KV, D, causal;
  double *scratch; /* 2 T doubles per thread */
} att_bw;

// one (sequence b, kv head) pair: its H/KV query heads
static void att_bw_task(int task, int thread, void *vc) {
  const att_bw *c = vc;
  int T = c->T, D = c->D, group = c->H / c->KV, b = task / c->KV, kh = task % c->KV;
  double *p = c->scratch + (size_t)thread * 2 * T, *ds = p + T;
  size_t ldq = (size_t)c->H * D, ldk = (size_t)c->KV * D;
  size_t ko = (size_t)b * T * ldk + (size_t)kh * D;
  double scale = 1.0 / sqrt((double)D);
  const float *k = c->k, *v = c->v;
  for (int h = kh * group; h < (kh + 1) * group; h++) {
    size_t qo = (size_t)b * T * ldq + (size_t)h * D;
    for (int i = 0; i < T; i++) {
      const float *qi = c->q + qo + (size_t)i * ldq, *oi = c->o + qo + (size_t)i * ldq;
      const float *gi = c->do_ + qo + (size_t)i * ldq;
      int lim = c->causal ? i + 1 : T;
      /* P row: softmax of the scaled scores over the visible keys */
      double mx = -INFINITY;
      for (int j = 0; j < lim; j++) {
        const float *kj = k + ko + (size_t)j * ldk;
        double s = 0;
        for (int e = 0; e < D; e++) s += (double)qi[e] * kj[e];
        p[j] = s * scale;
        if (p[j] > mx) mx = p[j];
      }
      double z = 0;
      for (int j = 0; j < lim; j++) {
        p[j] = exp(p[j] - mx);
        z += p[j];
      }
      /* rowsum(dO * O) = sum_j P_j dP_j */
      double dsum = 0;
      for (int e = 0; e < D; e++) dsum += (double)gi[e] * oi[e];
      for (int j = 0; j < lim; j++) {
        p[j] /= z;
        const float *vj = v + ko + (size_t)j * ldk;
        double dp = 0;
        for (int e = 0; e < D; e++) dp += (double)gi[e] * vj[e];
        ds[j] = p[j] * (dp - dsum) * scale;
      }
      for (int j = 0; j < lim; j++) {
        size_t jo = ko + (size_t)j * ldk;
        if (c->dq) {
          float *dqi = c->dq + qo + (size_t)i * ldq;
          for (int e = 0; e < D; e++) dqi[e] += (float)(ds[j] * k[jo + e]);
        }
        if (c->dk)
          for (int e = 0; e < D; e++) c->dk[jo + e] += (float)(ds[j] * qi[e]);
        if (c->dv)
          for (int e = 0; e < D; e++) c->dv[jo + e] += (float)(p[j] * gi[e]);
      }
    }
  }
}

// q (B*T, H*D), k/v (B*T, KV*D), o/do_ (B*T, H*D) -> dq (B*T, H*D) +=, dk/dv (B*T, KV*D) +=
int dm_grad_attention_backward(dm_pool *pool, const float *q, const float *k, const float *v,
                               const float *o, const float *do_, int B, int T, int H, int KV,
                               int D, int causal, float *dq, float *dk, float *dv) {
  if (B <= 0 || T <= 0 || KV <= 0 || H % KV != 0) return B <= 0 || T <= 0 ? DM_OK : DM_EINVAL;
  int nt = pool ? dm_pool_size(pool) : 1;
  att_bw c = {q, k, v, o, do_, dq, dk, dv, B, T, H, KV, D, causal, NULL};
  c.scratch = malloc(sizeof(double) * 2 * (size_t)T * (size_t)nt);
  if (!c.scratch) return DM_ENOMEM;
  if (pool) {
    dm_pool_run(pool, B * KV, att_bw_task, &c);
  } else {
    for (int t = 0; t < B * KV; t++) att_bw_task(t, 0, &c);
  }
  free(c.scratch);
  return DM_OK;
}
