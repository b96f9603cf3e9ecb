/* Backward of multi-head self-attention (GQA, optional causal mask). The forward is
 * the runtime's dm_fast_attention / dm_ref_attention; the probabilities are
 * recomputed here row by row, in double like the reference twin. */
#include <math.h>
#include <stdlib.h>

#include "ops.h"

// q (B*T, H*D), k/v (B*T, KV*D), o/do_ (B*T, H*D) -> dq (B*T, H*D) +=, dk/dv (B*T, KV*D) +=
int dm_grad_attention_backward(const float *q, const float *k, const float *v, const float *o,
                               const float *do_, int B, int T, int H, int KV, int D, int causal,
                               float *dq, float *dk, float *dv) {
  if (B <= 0 || T <= 0) return DM_OK;
  double *p = malloc(sizeof(double) * 2 * (size_t)T);
  if (!p) return DM_ENOMEM;
  double *ds = p + T;
  size_t ldq = (size_t)H * D, ldk = (size_t)KV * D;
  double scale = 1.0 / sqrt((double)D);
  int group = H / KV;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      size_t qo = (size_t)b * T * ldq + (size_t)h * D, ko = (size_t)b * T * ldk + (size_t)(h / group) * D;
      for (int i = 0; i < T; i++) {
        const float *qi = q + qo + (size_t)i * ldq, *oi = o + qo + (size_t)i * ldq;
        const float *gi = do_ + qo + (size_t)i * ldq;
        int lim = causal ? i + 1 : T;
        /* P row: softmax of the scaled scores over the visible keys */
        double mx = -INFINITY;
        for (int j = 0; j < lim; j++) {
          const float *kj = k + ko + (size_t)j * ldk;
          double s = 0;
          for (int c = 0; c < D; c++) s += (double)qi[c] * kj[c];
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
        for (int c = 0; c < D; c++) dsum += (double)gi[c] * oi[c];
        for (int j = 0; j < lim; j++) {
          p[j] /= z;
          const float *vj = v + ko + (size_t)j * ldk;
          double dp = 0;
          for (int c = 0; c < D; c++) dp += (double)gi[c] * vj[c];
          ds[j] = p[j] * (dp - dsum) * scale;
        }
        for (int j = 0; j < lim; j++) {
          size_t jo = ko + (size_t)j * ldk;
          if (dq) {
            float *dqi = dq + qo + (size_t)i * ldq;
            for (int c = 0; c < D; c++) dqi[c] += (float)(ds[j] * k[jo + c]);
          }
          if (dk)
            for (int c = 0; c < D; c++) dk[jo + c] += (float)(ds[j] * qi[c]);
          if (dv)
            for (int c = 0; c < D; c++) dv[jo + c] += (float)(p[j] * gi[c]);
        }
      }
    }
  free(p);
  return DM_OK;
}
