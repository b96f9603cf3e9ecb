/* Reference twins of the kernels: plain loops, one thread, double accumulators.
 * The fast kernels (kernels_cpu.c) are tested against these. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static float wget(const dm_wmat *w, size_t i) {
  switch (w->dtype) {
    case DM_DTYPE_F32: return ((const float *)w->data)[i];
    case DM_DTYPE_BF16: return dm_bf16_to_f32(((const uint16_t *)w->data)[i]);
    case DM_DTYPE_F16: return dm_f16_to_f32(((const uint16_t *)w->data)[i]);
  }
  return 0.0f;
}

// x (M, K), w (N, K), bias (N) or NULL -> y (M, N)
void dm_ref_linear(const float *x, int M, const dm_wmat *w, const float *bias, float *y) {
  int N = w->rows, K = w->cols;
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      double s = bias ? bias[n] : 0.0;
      for (int k = 0; k < K; k++) s += (double)x[(size_t)m * K + k] * wget(w, (size_t)n * K + k);
      y[(size_t)m * N + n] = (float)s;
    }
}

// x (M, C), w (C) -> y (M, C)
void dm_ref_rmsnorm(const float *x, const float *w, int M, int C, float eps, float *y) {
  for (int m = 0; m < M; m++) {
    const float *r = x + (size_t)m * C;
    double ss = 0;
    for (int c = 0; c < C; c++) ss += (double)r[c] * r[c];
    float inv = (float)(1.0 / sqrt(ss / C + eps));
    for (int c = 0; c < C; c++) y[(size_t)m * C + c] = w[c] * (r[c] * inv);
  }
}

/* inv_freq[j] = theta^(-2j/D), computed in float as the Hugging Face code does. */
static float inv_freq(double theta, int j, int D) {
  return (float)(1.0 / pow(theta, (double)(2 * j) / (double)D));
}

static void rotate(float *v, int D, const float *cs, const float *sn) {
  int h = D / 2;
  for (int j = 0; j < h; j++) {
    float a = v[j], b = v[j + h];
    v[j] = a * cs[j] - b * sn[j];
    v[j + h] = b * cs[j] + a * sn[j];
  }
}

// x (M, H*D): rotate-half RoPE per head at pos[m]
void dm_ref_rope(float *x, int M, int H, int D, const int32_t *pos, double theta) {
  float *cs = malloc(sizeof(float) * (size_t)D), *sn = cs ? cs + D / 2 : NULL;
  if (!cs) return;
  for (int m = 0; m < M; m++) {
    for (int j = 0; j < D / 2; j++) {
      float ang = (float)pos[m] * inv_freq(theta, j, D);
      cs[j] = (float)cos(ang);
      sn[j] = (float)sin(ang);
    }
    for (int h = 0; h < H; h++) rotate(x + (size_t)m * H * D + (size_t)h * D, D, cs, sn);
  }
  free(cs);
}

// Multimodal RoPE (Qwen2-VL / Dimple): frequency j takes its position from component
// c(j) of pos3 (3 x M: temporal, height, width), c(j) given by the sections sec[3]
// (sum D/2). With text only the three components are equal and this is dm_ref_rope.
void dm_ref_mrope(float *x, int M, int H, int D, const int32_t *pos3, const int sec[3],
                  double theta) {
  float *cs = malloc(sizeof(float) * (size_t)D), *sn = cs ? cs + D / 2 : NULL;
  if (!cs) return;
  for (int m = 0; m < M; m++) {
    for (int j = 0; j < D / 2; j++) {
      int c = j < sec[0] ? 0 : j < sec[0] + sec[1] ? 1 : 2;
      float ang = (float)pos3[(size_t)c * M + m] * inv_freq(theta, j, D);
      cs[j] = (float)cos(ang);
      sn[j] = (float)sin(ang);
    }
    for (int h = 0; h < H; h++) rotate(x + (size_t)m * H * D + (size_t)h * D, D, cs, sn);
  }
  free(cs);
}

// g (n), u (n) -> g = silu(g) * u
void dm_ref_swiglu(float *g, const float *u, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double a = g[i];
    g[i] = (float)(a / (1.0 + exp(-a)) * u[i]);
  }
}

// q (Tq, ldq), k/v (Tk, ldk) of one head -> o (Tq, ldo); query i is at position qpos0+i
void dm_ref_attention(const float *q, int ldq, const float *k, const float *v, int ldk,
                      float *o, int ldo, int Tq, int Tk, int D, int qpos0, int causal) {
  double *s = malloc(sizeof(double) * (size_t)Tk);
  if (!s) return;
  double scale = 1.0 / sqrt((double)D);
  for (int i = 0; i < Tq; i++) {
    int lim = causal ? qpos0 + i + 1 : Tk;
    if (lim > Tk) lim = Tk;
    double mx = -INFINITY;
    for (int j = 0; j < lim; j++) {
      double d = 0;
      for (int c = 0; c < D; c++) d += (double)q[(size_t)i * ldq + c] * k[(size_t)j * ldk + c];
      s[j] = d * scale;
      if (s[j] > mx) mx = s[j];
    }
    double z = 0;
    for (int j = 0; j < lim; j++) {
      s[j] = exp(s[j] - mx);
      z += s[j];
    }
    for (int c = 0; c < D; c++) {
      double acc = 0;
      for (int j = 0; j < lim; j++) acc += s[j] * v[(size_t)j * ldk + c];
      o[(size_t)i * ldo + c] = (float)(acc / z);
    }
  }
  free(s);
}
