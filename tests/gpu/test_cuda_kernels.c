/* GPU test: every CUDA kernel (lib/runtime/cuda/cu_kernels.cu) against its CPU
 * reference twin (kernels_ref.c, dm_convert_row, dm_row_stats_compute), with F32 and
 * BF16 outputs. Exits 77 (automake SKIP) with "no CUDA device" when no device is
 * usable, or "built without CUDA" when the backend is not compiled in. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/runtime.h>

#ifndef DM_HAVE_CUDA
int main(void) {
  printf("SKIP: built without CUDA\n");
  return 77;
}
#else

#include <cuda_runtime_api.h>

#include "cuda/cu_kernels.h"
#include "cuda/kmath.h"
#include "model/internal.h"

static int failures = 0;
static uint64_t rs = 0x2545F4914F6CDD1Dull;
static float frand(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return (float)((rs >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}
static float *rvec(size_t n, float scale) {
  float *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = frand() * scale;
  return v;
}

#define CK(call)                                                                        \
  do {                                                                                  \
    cudaError_t e_ = (call);                                                            \
    if (e_ != cudaSuccess) {                                                            \
      fprintf(stderr, "FAIL: %s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)
#define OK(call)                                                                          \
  do {                                                                                    \
    dm_error e_;                                                                          \
    dm_error_clear(&e_);                                                                  \
    if ((call) != DM_OK) {                                                                \
      fprintf(stderr, "FAIL: %s:%d %s: %s\n", __FILE__, __LINE__, #call, e_.message);    \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)
#define E (&e_)

static void *dput(const void *h, size_t bytes) {
  void *d = NULL;
  CK(cudaMalloc(&d, bytes ? bytes : 1));
  if (h) CK(cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice));
  else CK(cudaMemset(d, 0, bytes ? bytes : 1));
  return d;
}
/* device (n elements of dtype) -> host f32 (malloc'd); syncs and checks errors */
static float *dget(const void *d, size_t n, int dt) {
  CK(cudaDeviceSynchronize());
  size_t es = dt == DM_DTYPE_F32 ? 4 : 2;
  void *h = malloc(n * es);
  CK(cudaMemcpy(h, d, n * es, cudaMemcpyDeviceToHost));
  float *f = malloc(n * sizeof *f);
  dm_convert_row(h, (dm_dtype)dt, 0, n, f);
  free(h);
  return f;
}

/* values exactly representable in bf16 (so an input converted to bf16 is unchanged) */
static void round_bf16(float *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = dm_bf16_to_f32(dm_f32_to_bf16(v[i]));
}
/* a device copy of device f32 x (n) in dtype dt (dm_cu_convert; F32: a plain copy) */
static void *as_dtype(const float *d_x, size_t n, int dt) {
  void *d = dput(NULL, n * 4);
  OK(dm_cu_convert(d_x, n, d, dt, NULL, E));
  return d;
}

/* max |a - b| <= tol * max(1, max |b|) */
static void expect_close(const char *what, const float *a, const float *b, size_t n, double tol) {
  double m = 0, s = 1;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= m)) m = d;
    if (fabs(b[i]) > s) s = fabs(b[i]);
  }
  int ok = m <= tol * s;
  printf("%s: %s (max diff %.3g, scale %.3g, tolerance %.1g)\n", ok ? "PASS" : "FAIL", what, m, s, tol);
  if (!ok) failures++;
}

static double tol_of(int dt) { return dt == DM_DTYPE_F32 ? 1e-5 : 1e-2; }
static const char *dtn(int dt) { return dt == DM_DTYPE_F32 ? "f32" : dt == DM_DTYPE_BF16 ? "bf16" : "f16"; }

static void t_convert_embed(void) {
  size_t n = 10007;
  float *x = rvec(n, 100.0f);
  float *dx = dput(x, n * 4);
  for (int dt = 1; dt <= 2; dt++) {
    void *dy = dput(NULL, n * 2);
    OK(dm_cu_convert(dx, n, dy, dt, NULL, E));
    CK(cudaDeviceSynchronize());
    uint16_t *h = malloc(n * 2);
    CK(cudaMemcpy(h, dy, n * 2, cudaMemcpyDeviceToHost));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += h[i] != (dt == 1 ? dm_f32_to_bf16(x[i]) : dm_f32_to_f16(x[i]));
    printf("%s: convert f32 -> %s bit-exact (%zu mismatches)\n", bad ? "FAIL" : "PASS", dtn(dt), bad);
    failures += bad != 0;
    free(h);
    cudaFree(dy);
  }
  /* embedding gather from a bf16 table */
  int rows = 300, d = 96, M = 50;
  float *emb = rvec((size_t)rows * d, 1.0f);
  uint16_t *eb = malloc((size_t)rows * d * 2);
  for (size_t i = 0; i < (size_t)rows * d; i++) eb[i] = dm_f32_to_bf16(emb[i]);
  int32_t ids[50];
  for (int i = 0; i < M; i++) ids[i] = (i * 97 + 3) % rows;
  void *demb = dput(eb, (size_t)rows * d * 2), *dids = dput(ids, sizeof ids);
  float *dxo = dput(NULL, (size_t)M * d * 4);
  OK(dm_cu_embed(dids, M, demb, DM_DTYPE_BF16, d, dxo, NULL, E));
  float *got = dget(dxo, (size_t)M * d, DM_DTYPE_F32), *ref = malloc((size_t)M * d * 4);
  for (int i = 0; i < M; i++) dm_convert_row(eb, DM_DTYPE_BF16, (size_t)ids[i] * d, (size_t)d, ref + (size_t)i * d);
  expect_close("embedding gather (bf16 table)", got, ref, (size_t)M * d, 0.0);
  free(got);
  free(ref);
  free(emb);
  free(eb);
  free(x);
  cudaFree(dx);
  cudaFree(demb);
  cudaFree(dids);
  cudaFree(dxo);
}

static void t_rmsnorm(void) {
  int M = 37, C = 1000;
  float *x = rvec((size_t)M * C, 3.0f), *w = rvec((size_t)C, 1.0f), *ref = malloc((size_t)M * C * 4);
  dm_ref_rmsnorm(x, w, M, C, 1e-6f, ref);
  float *dx = dput(x, (size_t)M * C * 4), *dw = dput(w, (size_t)C * 4);
  for (int dt = 0; dt <= 1; dt++) {
    void *dy = dput(NULL, (size_t)M * C * 4);
    OK(dm_cu_rmsnorm(dx, dw, M, C, 1e-6f, dy, dt, NULL, E));
    float *got = dget(dy, (size_t)M * C, dt);
    char what[64];
    snprintf(what, sizeof what, "rmsnorm -> %s", dtn(dt));
    expect_close(what, got, ref, (size_t)M * C, tol_of(dt));
    free(got);
    cudaFree(dy);
  }
  free(x);
  free(w);
  free(ref);
  cudaFree(dx);
  cudaFree(dw);
}

/* RoPE + bias + split, in the CACHED layout (fresh rows after C cached ones). */
static void t_qkv_post(void) {
  int B = 2, T = 70, C = 30, H = 8, KV = 2, D = 64, Tq = T - C, M = B * Tq, W = (H + 2 * KV) * D;
  double theta = 5e5;
  float *y = rvec((size_t)M * W, 2.0f), *bias = rvec((size_t)W, 0.5f);
  round_bf16(y, (size_t)M * W); /* the QKV GEMM's output is in the activation dtype */
  float *rq = malloc((size_t)M * H * D * 4), *rk = malloc((size_t)M * KV * D * 4), *rv = malloc((size_t)M * KV * D * 4);
  int32_t *pos = malloc((size_t)M * 4);
  for (int r = 0; r < M; r++) {
    pos[r] = C + r % Tq;
    for (int c = 0; c < W; c++) {
      float v = y[(size_t)r * W + c] + bias[c];
      if (c < H * D) rq[(size_t)r * H * D + c] = v;
      else if (c < (H + KV) * D) rk[(size_t)r * KV * D + c - H * D] = v;
      else rv[(size_t)r * KV * D + c - (H + KV) * D] = v;
    }
  }
  dm_ref_rope(rq, M, H, D, pos, theta);
  dm_ref_rope(rk, M, KV, D, pos, theta);
  float *dy = dput(y, (size_t)M * W * 4), *db = dput(bias, (size_t)W * 4), *dcs = dput(NULL, (size_t)T * D * 4);
  OK(dm_cu_rope_table(dcs, T, D, theta, NULL, E));
  for (int dt = 0; dt <= 1; dt++) {
    size_t es = dt ? 2 : 4, kvn = (size_t)B * T * KV * D;
    void *dq = dput(NULL, (size_t)M * H * D * es), *dk = dput(NULL, kvn * es), *dv = dput(NULL, kvn * es);
    void *dyt = as_dtype(dy, (size_t)M * W, dt);
    OK(dm_cu_qkv_post(dyt, db, M, H, KV, D, dcs, Tq, C, T, C, dq, dk, dv, dt, NULL, E));
    cudaFree(dyt);
    float *q = dget(dq, (size_t)M * H * D, dt), *k = dget(dk, kvn, dt), *v = dget(dv, kvn, dt);
    float *kk = malloc((size_t)M * KV * D * 4), *vv = malloc((size_t)M * KV * D * 4);
    for (int b = 0; b < B; b++) { /* fresh rows of sequence b start at b*T + C */
      memcpy(kk + (size_t)b * Tq * KV * D, k + ((size_t)b * T + C) * KV * D, (size_t)Tq * KV * D * 4);
      memcpy(vv + (size_t)b * Tq * KV * D, v + ((size_t)b * T + C) * KV * D, (size_t)Tq * KV * D * 4);
    }
    char what[80];
    snprintf(what, sizeof what, "bias + RoPE + split: q (%s)", dtn(dt));
    expect_close(what, q, rq, (size_t)M * H * D, dt ? 1e-2 : 2e-5);
    snprintf(what, sizeof what, "bias + RoPE + split: k at cached offsets (%s)", dtn(dt));
    expect_close(what, kk, rk, (size_t)M * KV * D, dt ? 1e-2 : 2e-5);
    snprintf(what, sizeof what, "bias + split: v at cached offsets (%s)", dtn(dt));
    expect_close(what, vv, rv, (size_t)M * KV * D, dt ? 1e-2 : 0.0);
    free(q);
    free(k);
    free(v);
    free(kk);
    free(vv);
    cudaFree(dq);
    cudaFree(dk);
    cudaFree(dv);
  }
  free(y);
  free(bias);
  free(rq);
  free(rk);
  free(rv);
  free(pos);
  cudaFree(dy);
  cudaFree(db);
  cudaFree(dcs);
}

/* Softmax rows against dm_ref_attention with V = identity (then O = P). */
static void t_softmax(int Tq, int Tk, int q0, int causal) {
  int D = Tk, rows = 3 * Tq; /* 3 batch entries of Tq queries; D = Tk so that V = I fits */
  float *q = rvec((size_t)rows * D, 2.0f), *k = rvec((size_t)3 * Tk * D, 2.0f);
  float *s = malloc((size_t)rows * Tk * 4), *ref = malloc((size_t)rows * Tk * 4);
  float *eye = calloc((size_t)Tk * Tk, 4);
  for (int j = 0; j < Tk; j++) eye[(size_t)j * Tk + j] = 1.0f;
  double sc = 1.0 / sqrt((double)D);
  for (int e = 0; e < 3; e++) {
    for (int i = 0; i < Tq; i++)
      for (int j = 0; j < Tk; j++) {
        double acc = 0;
        for (int c = 0; c < D; c++) acc += (double)q[((size_t)e * Tq + i) * D + c] * k[((size_t)e * Tk + j) * D + c];
        s[((size_t)e * Tq + i) * Tk + j] = (float)(acc * sc);
      }
    dm_ref_attention(q + (size_t)e * Tq * D, D, k + (size_t)e * Tk * D, eye, Tk, ref + (size_t)e * Tq * Tk, Tk, Tq, Tk,
                     D, q0, causal);
  }
  float *ds = dput(s, (size_t)rows * Tk * 4);
  for (int dt = 0; dt <= 1; dt++) {
    void *dp = dput(NULL, (size_t)rows * Tk * 4);
    OK(dm_cu_softmax(ds, (size_t)rows, Tk, Tq, q0, causal, dp, dt, NULL, E));
    float *got = dget(dp, (size_t)rows * Tk, dt);
    char what[96];
    snprintf(what, sizeof what, "softmax Tq %d Tk %d q0 %d%s (%s)", Tq, Tk, q0, causal ? " causal" : "", dtn(dt));
    expect_close(what, got, ref, (size_t)rows * Tk, dt ? 1e-2 : 1e-5);
    free(got);
    cudaFree(dp);
  }
  free(q);
  free(k);
  free(s);
  free(ref);
  free(eye);
  cudaFree(ds);
}

static void t_swiglu_gather(void) {
  int M = 33, F = 700;
  float *gu = rvec((size_t)M * 2 * F, 4.0f), *g = malloc((size_t)M * F * 4), *u = malloc((size_t)M * F * 4);
  round_bf16(gu, (size_t)M * 2 * F); /* the gate|up GEMM's output is in the activation dtype */
  for (int r = 0; r < M; r++) {
    memcpy(g + (size_t)r * F, gu + (size_t)r * 2 * F, (size_t)F * 4);
    memcpy(u + (size_t)r * F, gu + (size_t)r * 2 * F + F, (size_t)F * 4);
  }
  dm_ref_swiglu(g, u, (size_t)M * F);
  float *dgu = dput(gu, (size_t)M * 2 * F * 4);
  for (int dt = 0; dt <= 1; dt++) {
    void *dy = dput(NULL, (size_t)M * F * 4);
    void *dgut = as_dtype(dgu, (size_t)M * 2 * F, dt);
    OK(dm_cu_swiglu(dgut, M, F, dy, dt, NULL, E));
    cudaFree(dgut);
    float *got = dget(dy, (size_t)M * F, dt);
    char what[64];
    snprintf(what, sizeof what, "swiglu [gate|up] -> %s", dtn(dt));
    expect_close(what, got, g, (size_t)M * F, tol_of(dt));
    free(got);
    cudaFree(dy);
  }
  int32_t idx[5] = {32, 0, 7, 7, 19};
  int32_t *didx = dput(idx, sizeof idx);
  float *dr = dput(NULL, (size_t)5 * 2 * F * 4);
  OK(dm_cu_gather_rows(dgu, didx, 5, 2 * F, dr, NULL, E));
  float *got = dget(dr, (size_t)5 * 2 * F, DM_DTYPE_F32), *ref = malloc((size_t)5 * 2 * F * 4);
  for (int i = 0; i < 5; i++) memcpy(ref + (size_t)i * 2 * F, gu + (size_t)idx[i] * 2 * F, (size_t)2 * F * 4);
  expect_close("gather rows", got, ref, (size_t)5 * 2 * F, 0.0);
  free(got);
  free(ref);
  free(gu);
  free(g);
  free(u);
  cudaFree(dgu);
  cudaFree(didx);
  cudaFree(dr);
}

static void t_row_stats(void) {
  int R = 9, V = 126464; /* LLaDA's vocabulary */
  size_t Wd = DM_ALLOWED_WORDS(V);
  float *x = rvec((size_t)R * V, 10.0f);
  x[(size_t)2 * V + 100000] = 40.0f;
  x[(size_t)3 * V + 5] = x[(size_t)3 * V + 70000] = 35.0f; /* tie */
  uint32_t *mask = calloc((size_t)R * Wd, 4);
  for (int r = 0; r < R; r++)
    for (int i = 0; i < V; i++)
      if (r == 5 ? i == 126463 : r == 6 ? 0 : r < 4 ? 1 : frand() > 0.5f)
        mask[(size_t)r * Wd + (i >> 5)] |= 1u << (i & 31);
  float *dx = dput(x, (size_t)R * V * 4);
  uint32_t *dm = dput(mask, (size_t)R * Wd * 4);
  dm_row_stats *ds = dput(NULL, (size_t)R * sizeof(dm_row_stats));
  for (int with_mask = 0; with_mask <= 1; with_mask++) {
    dm_row_stats ref[9], got[9];
    dm_row_stats_compute(x, R, V, with_mask ? mask : NULL, ref);
    OK(dm_cu_row_stats(dx, R, V, with_mask ? dm : NULL, ds, NULL, E));
    CK(cudaDeviceSynchronize());
    CK(cudaMemcpy(got, ds, sizeof got, cudaMemcpyDeviceToHost));
    int bad = 0;
    for (int r = 0; r < R; r++) {
      if (got[r].argmax != ref[r].argmax || fabsf(got[r].max_prob - ref[r].max_prob) > 1e-4f * (1 + ref[r].max_prob) ||
          fabsf(got[r].margin - ref[r].margin) > 1e-4f * (1 + ref[r].max_prob) ||
          fabsf(got[r].entropy - ref[r].entropy) > 1e-4f * (1 + ref[r].entropy) ||
          fabsf(got[r].prob_all - ref[r].prob_all) > 1e-4f * (1 + ref[r].prob_all)) {
        bad++;
        fprintf(stderr, "  row %d: got (%d, %g, %g, %g, %g) want (%d, %g, %g, %g, %g)\n", r, got[r].argmax,
                got[r].max_prob, got[r].margin, got[r].entropy, got[r].prob_all, ref[r].argmax, ref[r].max_prob,
                ref[r].margin, ref[r].entropy, ref[r].prob_all);
      }
    }
    printf("%s: row statistics, vocab %d, %s (%d rows differ)\n", bad ? "FAIL" : "PASS", V,
           with_mask ? "bitmask (one allowed, none allowed, random halves)" : "all allowed, tie", bad);
    failures += bad != 0;
  }
  free(x);
  free(mask);
  cudaFree(dx);
  cudaFree(dm);
  cudaFree(ds);
}

int main(void) {
  int n = 0;
  dm_error e;
  dm_error_clear(&e);
  dm_cuda_device_count(&n, &e);
  if (n < 1) {
    printf("SKIP: %s\n", e.message[0] ? e.message : "no CUDA device");
    return 77;
  }
  CK(cudaSetDevice(0));
  t_convert_embed();
  t_rmsnorm();
  t_qkv_post();
  t_softmax(20, 20, 0, 0);
  t_softmax(20, 20, 0, 1);
  t_softmax(7, 600, 593, 0);  /* cached: 593 prompt keys + 7 canvas queries, > 256 keys */
  t_softmax(7, 600, 593, 1);
  t_swiglu_gather();
  t_row_stats();
  printf("%s: %d kernel check(s) failed\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
#endif
