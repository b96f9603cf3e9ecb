/* Fast kernels against their reference twins; conversions; the thread pool;
 * Dimple's multimodal RoPE reducing to ordinary RoPE for text. */
#include <check.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

#include "kerneltest.h"

START_TEST(conversions) {
  ck_assert_float_eq(dm_bf16_to_f32(0x3f80), 1.0f);
  ck_assert_float_eq(dm_bf16_to_f32(0xc000), -2.0f);
  ck_assert_uint_eq(dm_f32_to_bf16(1.0f), 0x3f80);
  ck_assert_uint_eq(dm_f32_to_bf16(1.00390625f), 0x3f80); /* tie rounds to even */
  ck_assert_uint_eq(dm_f32_to_bf16(1.01171875f), 0x3f82);
  ck_assert_float_eq(dm_f16_to_f32(0x3c00), 1.0f);
  ck_assert_float_eq(dm_f16_to_f32(0xc000), -2.0f);
  ck_assert_float_eq(dm_f16_to_f32(0x0001), ldexpf(1.0f, -24)); /* subnormal */
  ck_assert(isinf(dm_f16_to_f32(0x7c00)));
  ck_assert_uint_eq(dm_f32_to_f16(1.0f), 0x3c00);
  ck_assert_uint_eq(dm_f32_to_f16(65504.0f), 0x7bff);
  ck_assert_uint_eq(dm_f32_to_f16(1e6f), 0x7c00);
  for (int i = 0; i < 1000; i++) {
    float f = frand() * 100.0f;
    ck_assert(fabsf(dm_bf16_to_f32(dm_f32_to_bf16(f)) - f) <= fabsf(f) * (1.0f / 256.0f));
    ck_assert(fabsf(dm_f16_to_f32(dm_f32_to_f16(f)) - f) <= fabsf(f) * (1.0f / 1024.0f) + 1e-4f);
  }
  uint16_t h[3] = {0x3f80, 0x4000, 0xbf80};
  float o[2];
  dm_convert_row(h, DM_DTYPE_BF16, 1, 2, o);
  ck_assert_float_eq(o[0], 2.0f);
  ck_assert_float_eq(o[1], -1.0f);
}
END_TEST

static void linear_case(dm_pool *p, int M, int N, int K, dm_dtype dt, int with_bias) {
  float *x = rvec((size_t)M * K), *wf = rvec((size_t)N * K), *bias = with_bias ? rvec((size_t)N) : NULL;
  void *wd = wf;
  uint16_t *w16 = NULL;
  if (dt != DM_DTYPE_F32) {
    w16 = malloc(sizeof *w16 * (size_t)N * K);
    for (size_t i = 0; i < (size_t)N * K; i++) w16[i] = dt == DM_DTYPE_BF16 ? dm_f32_to_bf16(wf[i]) : dm_f32_to_f16(wf[i]);
    wd = w16;
  }
  dm_wmat w = {wd, dt, N, K};
  float *y0 = malloc(sizeof(float) * (size_t)M * N), *y1 = malloc(sizeof(float) * (size_t)M * N);
  dm_ref_linear(x, M, &w, bias, y0);
  dm_fast_linear(p, x, M, &w, bias, y1);
  double d = maxdiff(y0, y1, (size_t)M * N);
  ck_assert_msg(d < 1e-4 * sqrt((double)K), "linear %dx%dx%d dtype %d: max diff %g", M, N, K, dt, d);
  free(x);
  free(wf);
  free(bias);
  free(w16);
  free(y0);
  free(y1);
}

START_TEST(linear_matches_reference) {
  dm_pool *p;
  ck_assert_int_eq(dm_pool_new(3, &p), DM_OK);
  for (int dt = 0; dt < 3; dt++) {
    linear_case(p, 1, 1, 1, (dm_dtype)dt, 0);
    linear_case(p, 7, 33, 19, (dm_dtype)dt, 1);
    linear_case(p, 64, 300, 96, (dm_dtype)dt, 0);
    linear_case(p, 5, 1000, 64, (dm_dtype)dt, 1);
  }
  dm_pool_free(p);
  dm_pool *p1;
  ck_assert_int_eq(dm_pool_new(1, &p1), DM_OK);
  linear_case(p1, 9, 70, 40, DM_DTYPE_BF16, 1);
  dm_pool_free(p1);
}
END_TEST

/* Small-M kernel (weights read in place) against the reference twin. */
static void small_case(dm_pool *p, int M, int N, int K, dm_dtype dt, int with_bias) {
  float *x = rvec((size_t)M * K), *wf = rvec((size_t)N * K), *bias = with_bias ? rvec((size_t)N) : NULL;
  uint16_t *w16 = malloc(sizeof *w16 * (size_t)N * K);
  for (size_t i = 0; i < (size_t)N * K; i++) w16[i] = dm_f32_to_bf16(wf[i]);
  dm_wmat w = {dt == DM_DTYPE_F32 ? (void *)wf : (void *)w16, dt, N, K};
  float *y0 = malloc(sizeof(float) * (size_t)M * N), *y1 = malloc(sizeof(float) * (size_t)M * N);
  dm_ref_linear(x, M, &w, bias, y0);
  ck_assert_int_eq(dm_small_linear(p, x, M, &w, bias, y1), DM_OK);
  double d = maxdiff(y0, y1, (size_t)M * N);
  ck_assert_msg(d < 1e-5 * sqrt((double)K) * 4, "small %dx%dx%d dtype %d: max diff %g", M, N, K, dt, d);
  free(x);
  free(wf);
  free(bias);
  free(w16);
  free(y0);
  free(y1);
}

START_TEST(small_linear_matches_reference) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) {
    float x[1] = {1}, wv[1] = {1}, y[1];
    dm_wmat w = {wv, DM_DTYPE_F32, 1, 1};
    ck_assert_int_eq(dm_small_linear(NULL, x, 1, &w, NULL, y), DM_EUNSUPPORTED);
    return; /* the forward then uses dm_fast_linear, tested above */
  }
  dm_pool *p;
  ck_assert_int_eq(dm_pool_new(2, &p), DM_OK);
  for (int dt = 0; dt < 2; dt++) {
    small_case(p, 1, 1, 1, (dm_dtype)dt, 0);
    small_case(p, 5, 13, 7, (dm_dtype)dt, 1);
    small_case(p, 16, 100, 64, (dm_dtype)dt, 0);
    small_case(p, 33, 61, 200, (dm_dtype)dt, 1);
    small_case(p, 64, 300, 96, (dm_dtype)dt, 1);
    small_case(p, 48, 7, 33, (dm_dtype)dt, 0);
  }
  /* out of its range: refuses, writes nothing */
  float *x = rvec(65 * 4), wv[4] = {1, 1, 1, 1}, y[65];
  dm_wmat w = {wv, DM_DTYPE_F32, 1, 4};
  ck_assert_int_eq(dm_small_linear(p, x, 65, &w, NULL, y), DM_EUNSUPPORTED);
  uint16_t h[4] = {0};
  dm_wmat wh = {h, DM_DTYPE_F16, 1, 4};
  ck_assert_int_eq(dm_small_linear(p, x, 2, &wh, NULL, y), DM_EUNSUPPORTED);
  free(x);
  dm_pool_free(p);
}
END_TEST

START_TEST(elementwise_match_reference) {
  dm_pool *p;
  ck_assert_int_eq(dm_pool_new(2, &p), DM_OK);
  int M = 37, C = 96;
  float *x = rvec((size_t)M * C), *w = rvec((size_t)C), *y0 = malloc(sizeof(float) * M * C),
        *y1 = malloc(sizeof(float) * M * C);
  dm_ref_rmsnorm(x, w, M, C, 1e-5f, y0);
  dm_fast_rmsnorm(p, x, w, M, C, 1e-5f, y1);
  ck_assert_double_lt(maxdiff(y0, y1, (size_t)M * C), 1e-5);
  /* rope: H = 3 heads of D = 32 */
  int32_t pos[37];
  for (int i = 0; i < M; i++) pos[i] = i * 5 + 3;
  memcpy(y0, x, sizeof(float) * M * C);
  memcpy(y1, x, sizeof(float) * M * C);
  dm_ref_rope(y0, M, 3, 32, pos, 10000.0);
  dm_fast_rope(p, y1, M, 3, 32, pos, 10000.0);
  ck_assert_double_lt(maxdiff(y0, y1, (size_t)M * C), 1e-5);
  ck_assert_double_gt(maxdiff(y0, x, (size_t)M * C), 0.1); /* it did rotate */
  /* swiglu */
  float *u = rvec((size_t)M * C);
  memcpy(y0, x, sizeof(float) * M * C);
  memcpy(y1, x, sizeof(float) * M * C);
  dm_ref_swiglu(y0, u, (size_t)M * C);
  dm_fast_swiglu(p, y1, u, (size_t)M * C);
  ck_assert_double_lt(maxdiff(y0, y1, (size_t)M * C), 1e-6);
  free(x);
  free(w);
  free(y0);
  free(y1);
  free(u);
  dm_pool_free(p);
}
END_TEST

/* Text-only positions (t = h = w) make the multimodal RoPE ordinary RoPE; different
 * components make it differ. */
START_TEST(mrope_text_only_is_rope) {
  int M = 20, H = 2, D = 16, sec[3] = {2, 3, 3};
  float *x = rvec((size_t)M * H * D), *a = malloc(sizeof(float) * M * H * D), *b = malloc(sizeof(float) * M * H * D);
  int32_t pos[20], pos3[60];
  for (int i = 0; i < M; i++) pos[i] = pos3[i] = pos3[M + i] = pos3[2 * M + i] = 7 + i;
  memcpy(a, x, sizeof(float) * M * H * D);
  memcpy(b, x, sizeof(float) * M * H * D);
  dm_ref_rope(a, M, H, D, pos, 1e6);
  dm_ref_mrope(b, M, H, D, pos3, sec, 1e6);
  ck_assert_double_eq(maxdiff(a, b, (size_t)M * H * D), 0.0);
  for (int i = 0; i < M; i++) pos3[M + i] = 3 * i; /* an image-like height grid */
  memcpy(b, x, sizeof(float) * M * H * D);
  dm_ref_mrope(b, M, H, D, pos3, sec, 1e6);
  ck_assert_double_gt(maxdiff(a, b, (size_t)M * H * D), 1e-3);
  free(x);
  free(a);
  free(b);
}
END_TEST

static void attn_case(dm_pool *p, int B, int Tq, int Tk, int H, int KV, int D, int qpos0, int causal) {
  float *q = rvec((size_t)B * Tq * H * D), *k = rvec((size_t)B * Tk * KV * D), *v = rvec((size_t)B * Tk * KV * D);
  size_t no = (size_t)B * Tq * H * D;
  float *o0 = malloc(no * sizeof(float)), *o1 = malloc(no * sizeof(float));
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      dm_ref_attention(q + (size_t)b * Tq * H * D + h * D, H * D, k + (size_t)b * Tk * KV * D + (h / (H / KV)) * D,
                       v + (size_t)b * Tk * KV * D + (h / (H / KV)) * D, KV * D,
                       o0 + (size_t)b * Tq * H * D + h * D, H * D, Tq, Tk, D, qpos0, causal);
  dm_fast_attention(p, q, k, v, o1, B, Tq, Tk, H, KV, D, qpos0, causal);
  double d = maxdiff(o0, o1, no);
  ck_assert_msg(d < 1e-5, "attention B%d Tq%d Tk%d H%d KV%d causal %d: %g", B, Tq, Tk, H, KV, causal, d);
  free(q);
  free(k);
  free(v);
  free(o0);
  free(o1);
}

START_TEST(attention_matches_reference) {
  dm_pool *p;
  ck_assert_int_eq(dm_pool_new(2, &p), DM_OK);
  attn_case(p, 1, 1, 1, 1, 1, 8, 0, 0);
  attn_case(p, 2, 70, 70, 4, 2, 16, 0, 0);   /* GQA, two query blocks */
  attn_case(p, 2, 70, 70, 4, 2, 16, 0, 1);   /* causal */
  attn_case(p, 2, 30, 100, 4, 1, 8, 70, 0);  /* cached: queries at 70.. */
  attn_case(p, 1, 130, 200, 2, 2, 8, 70, 1); /* cached + causal */
  dm_pool_free(p);
}
END_TEST

static void count_task(int task, int thread, void *ctx) {
  int *hits = ctx;
  __atomic_fetch_add(&hits[task], 1, __ATOMIC_RELAXED);
  (void)thread;
}

START_TEST(pool_runs_every_task_once) {
  dm_pool *p;
  ck_assert_int_eq(dm_pool_new(4, &p), DM_OK);
  ck_assert_int_eq(dm_pool_size(p), 4);
  int hits[500];
  for (int round = 0; round < 50; round++) {
    memset(hits, 0, sizeof hits);
    int n = 1 + round * 9;
    dm_pool_run(p, n, count_task, hits);
    for (int i = 0; i < n; i++) ck_assert_int_eq(hits[i], 1);
    for (int i = n; i < 500; i++) ck_assert_int_eq(hits[i], 0);
  }
  dm_pool_free(p);
  dm_pool_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("kernels");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, conversions);
  tcase_add_test(tc, linear_matches_reference);
  tcase_add_test(tc, elementwise_match_reference);
  tcase_add_test(tc, small_linear_matches_reference);
  tcase_add_test(tc, mrope_text_only_is_rope);
  tcase_add_test(tc, attention_matches_reference);
  tcase_add_test(tc, pool_runs_every_task_once);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
