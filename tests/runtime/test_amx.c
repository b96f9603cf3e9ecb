/* The AMX BF16 GEMM against its reference twin (skipped, exit 77, without AMX). */
#include <check.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

#include "kerneltest.h"

/* AMX twin: x split into bf16 hi + lo on both sides, so the only difference is the
 * summation order in f32. Skips (honestly: the check says so) without AMX. */
static void amx_case(dm_pool *p, int M, int N, int K, int with_bias) {
  float *x = rvec((size_t)M * K), *wf = rvec((size_t)N * K), *bias = with_bias ? rvec((size_t)N) : NULL;
  uint16_t *w16 = malloc(sizeof *w16 * (size_t)N * K);
  for (size_t i = 0; i < (size_t)N * K; i++) w16[i] = dm_f32_to_bf16(wf[i]);
  dm_wmat w = {w16, DM_DTYPE_BF16, N, K};
  float *y0 = malloc(sizeof(float) * (size_t)M * N), *y1 = malloc(sizeof(float) * (size_t)M * N);
  dm_ref_linear_bf16x2(x, M, &w, bias, y0);
  ck_assert_int_eq(dm_amx_linear(p, x, M, &w, bias, y1), DM_OK);
  double d = maxdiff(y0, y1, (size_t)M * N);
  ck_assert_msg(d < 1e-5 * sqrt((double)K) * 4, "amx %dx%dx%d: max diff %g", M, N, K, d);
  free(x);
  free(wf);
  free(bias);
  free(w16);
  free(y0);
  free(y1);
}

START_TEST(amx_matches_reference) {
  dm_pool *p;
  ck_assert_int_eq(dm_pool_new(2, &p), DM_OK);
  amx_case(p, 1, 1, 1, 0);
  amx_case(p, 7, 33, 19, 1);
  amx_case(p, 64, 300, 96, 0);
  amx_case(p, 33, 70, 1000, 1);
  amx_case(p, 100, 1100, 64, 0);
  dm_pool_free(p);
  /* f32 weights are not for AMX */
  float x[4] = {1, 2, 3, 4}, wv[4] = {1, 1, 1, 1}, y[1];
  dm_wmat w = {wv, DM_DTYPE_F32, 1, 4};
  ck_assert_int_eq(dm_amx_linear(NULL, x, 1, &w, NULL, y), DM_EUNSUPPORTED);
}
END_TEST

int main(void) {
  if (!dm_amx_available()) {
    fprintf(stderr, "AMX tiles not available on this CPU/kernel: skipped\n");
    return 77;
  }
  Suite *s = suite_create("amx");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, amx_matches_reference);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
