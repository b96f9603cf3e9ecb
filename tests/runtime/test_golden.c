/* Golden logits: every case of tests/data/models/<name>/reference.json (written by
 * tests/reference/make_fixtures.py with an independent float64 PyTorch forward)
 * against dm_forward, with the fixtures' tolerance rule:
 *   max |runtime - reference| <= rel * max |reference|  (rel 1e-4 F32, 2e-2 BF16).
 * Both the fast kernels and the reference twins are checked. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <dimple/runtime.h>

static const char *FIXTURES[] = {"llada-tiny-f32", "llada-tiny-bf16", "dream-tiny-f32",
                                 "dream-tiny-bf16-sharded", "dimple-tiny-f32"};
#define NFIX (sizeof FIXTURES / sizeof FIXTURES[0])

static char srcdir[1024];

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
    free(b);
    b = NULL;
  }
  if (b) b[n] = 0;
  fclose(fp);
  return b;
}

/* B x T ids of a JSON array of arrays (malloc'd). */
static int32_t *ids_of(const cJSON *a, int *B, int *T) {
  *B = cJSON_GetArraySize(a);
  *T = cJSON_GetArraySize(cJSON_GetArrayItem(a, 0));
  int32_t *v = malloc(sizeof(int32_t) * (size_t)(*B) * (size_t)(*T));
  int b = 0;
  const cJSON *row;
  cJSON_ArrayForEach(row, a) {
    ck_assert_int_eq(cJSON_GetArraySize(row), *T);
    int t = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, row) v[(size_t)b * (*T) + t++] = (int32_t)x->valuedouble;
    b++;
  }
  return v;
}

/* kernels: 0 fast (defaults: small-M kernel, AMX for BF16 where available),
 * 1 reference twins, 2 BLAS only (no small-M kernel, no AMX: blockwise convert +
 * sgemm), 3 AMX without the small-M kernel */
static void check_fixture(const char *name, int kernels) {
  int reference_kernels = kernels == 1;
  char dir[1200], path[1300];
  snprintf(dir, sizeof dir, "%s/tests/data/models/%s", srcdir, name);
  snprintf(path, sizeof path, "%s/reference.json", dir);
  char *text = slurp(path);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  cJSON *root = cJSON_Parse(text);
  free(text);
  ck_assert_ptr_nonnull(root);
  const char *dtype = cJSON_GetObjectItem(root, "dtype")->valuestring;
  const char *family = cJSON_GetObjectItem(root, "family")->valuestring;
  double rel = strcmp(dtype, "F32") == 0 ? 1e-4 : 2e-2;

  dm_model_params p = dm_model_default_params();
  p.n_threads = 2;
  p.reference_kernels = reference_kernels;
  p.amx = kernels != 2;
  p.no_small_kernel = kernels >= 2;
  dm_model *m = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_model_load(dir, &p, &m, &e);
  ck_assert_msg(rc == DM_OK, "%s: load failed: %s (%s)", name, e.message, e.where);
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  ck_assert_str_eq(dm_model_family_name(mi.family), family);
  ck_assert_str_eq(dm_dtype_name(mi.dtype), dtype);
  const cJSON *sp = cJSON_GetObjectItem(root, "special_ids");
  if (sp) {
    const cJSON *mk = cJSON_GetObjectItem(sp, "mask");
    if (!mk) mk = cJSON_GetObjectItem(sp, "mask_token_id");
    if (cJSON_IsNumber(mk)) ck_assert_int_eq(mi.mask_id, (int)mk->valuedouble);
  }
  int ncases = 0;
  const cJSON *cs;
  cJSON_ArrayForEach(cs, cJSON_GetObjectItem(root, "cases")) {
    const char *cname = cJSON_GetObjectItem(cs, "name")->valuestring;
    int B, T;
    int32_t *ids = ids_of(cJSON_GetObjectItem(cs, "ids"), &B, &T);
    const cJSON *rows_j = cJSON_GetObjectItem(cs, "rows"), *lj = cJSON_GetObjectItem(cs, "logits");
    int R = cJSON_GetArraySize(rows_j);
    ck_assert_int_eq(cJSON_GetArraySize(lj), R);
    int32_t *rows = malloc(sizeof(int32_t) * 2 * (size_t)R);
    for (int i = 0; i < R; i++) {
      const cJSON *r = cJSON_GetArrayItem(rows_j, i);
      rows[2 * i] = (int32_t)cJSON_GetArrayItem(r, 0)->valuedouble;
      rows[2 * i + 1] = (int32_t)cJSON_GetArrayItem(r, 1)->valuedouble;
    }
    float *out = malloc(sizeof(float) * (size_t)R * (size_t)mi.vocab);
    dm_forward_batch fb = {B, T, ids, cJSON_IsTrue(cJSON_GetObjectItem(cs, "causal")), R, rows,
                           DM_FORWARD_FULL, 0, NULL};
    const cJSON *cache = cJSON_GetObjectItem(cs, "cache");
    dm_kvcache *kc = NULL;
    int32_t *cids = NULL;
    if (cJSON_IsObject(cache)) {
      int cB, cT;
      cids = ids_of(cJSON_GetObjectItem(cache, "ids"), &cB, &cT);
      ck_assert_int_eq(cB, B);
      ck_assert_int_eq(cT, T);
      ck_assert_int_eq(dm_kvcache_new(m, &kc, &e), DM_OK);
      dm_forward_batch pf = fb;
      pf.ids = cids;
      pf.n_rows = 0;
      pf.rows = NULL;
      pf.mode = DM_FORWARD_PREFILL;
      pf.cache_len = (int)cJSON_GetObjectItem(cache, "cache_len")->valuedouble;
      pf.cache = kc;
      rc = dm_forward(m, &pf, NULL, &e);
      ck_assert_msg(rc == DM_OK, "%s/%s prefill: %s", name, cname, e.message);
      fb.mode = DM_FORWARD_CACHED;
      fb.cache_len = pf.cache_len;
      fb.cache = kc;
    }
    rc = dm_forward(m, &fb, out, &e);
    ck_assert_msg(rc == DM_OK, "%s/%s: %s", name, cname, e.message);
    double scale = 0, diff = 0;
    for (int i = 0; i < R; i++) {
      const cJSON *row = cJSON_GetArrayItem(lj, i);
      ck_assert_int_eq(cJSON_GetArraySize(row), mi.vocab);
      int j = 0;
      const cJSON *x;
      cJSON_ArrayForEach(x, row) {
        double ref = x->valuedouble, got = out[(size_t)i * mi.vocab + j++];
        if (fabs(ref) > scale) scale = fabs(ref);
        double d = fabs(ref - got);
        if (!(d <= diff)) diff = d;
      }
    }
    ck_assert_double_gt(scale, 0.0);
    ck_assert_msg(diff <= rel * scale, "%s/%s (%s kernels): max diff %.3g > %.0e x scale %.3g", name, cname,
                  kernels == 1 ? "reference" : kernels == 2 ? "BLAS only" : kernels == 3 ? "AMX" : "fast", diff, rel, scale);
    fprintf(stderr, "  %s/%s (%s): max diff %.3g = %.2g x scale (tolerance %.0e)\n", name, cname,
            kernels == 1 ? "ref" : kernels == 2 ? "blas" : kernels == 3 ? "amx" : "fast", diff, diff / scale, rel);
    dm_kvcache_free(kc);
    free(cids);
    free(ids);
    free(rows);
    free(out);
    ncases++;
  }
  ck_assert_int_ge(ncases, 1);
  dm_model_free(m);
  cJSON_Delete(root);
}

START_TEST(golden_fast) { check_fixture(FIXTURES[_i], 0); }
END_TEST

START_TEST(golden_reference_twins) { check_fixture(FIXTURES[_i], 1); }
END_TEST

START_TEST(golden_blas_only) { check_fixture(FIXTURES[_i], 2); }
END_TEST

START_TEST(golden_amx_without_small_kernel) { check_fixture(FIXTURES[_i], 3); }
END_TEST

int main(void) {
  const char *s = getenv("DM_TEST_SRCDIR");
  snprintf(srcdir, sizeof srcdir, "%s", s ? s : ".");
  char probe[1200];
  snprintf(probe, sizeof probe, "%s/tests/data/models/%s/reference.json", srcdir, FIXTURES[0]);
  FILE *fp = fopen(probe, "r");
  if (!fp) {
    fprintf(stderr, "golden fixtures not found (%s): skipped\n", probe);
    return 77;
  }
  fclose(fp);
  dm_log_set_level(DM_LOG_ERROR);
  Suite *su = suite_create("golden");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, golden_fast, 0, (int)NFIX);
  tcase_add_loop_test(tc, golden_reference_twins, 0, (int)NFIX);
  tcase_add_loop_test(tc, golden_blas_only, 0, (int)NFIX);
  tcase_add_loop_test(tc, golden_amx_without_small_kernel, 0, (int)NFIX);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
