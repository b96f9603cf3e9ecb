/* GPU test: the CUDA forward pass against the CPU path and the golden logits.
 *   1. every case of tests/data/models/<fixture>/reference.json (FULL, causal, and the
 *      PREFILL -> CACHED cases) on device 0: logits within the fixtures' tolerance of
 *      the float64 reference (rel 1e-4 F32, 2e-2 BF16) and of the CPU forward, at the
 *      default precision (auto: f32 for these tiny models); BF16 fixtures also at
 *      precision native (bf16 GEMM inputs) within NATIVE_TOL;
 *   2. dm_forward_stats on the device against dm_row_stats_compute of the device's
 *      logits (all tokens and a bitmask);
 *   3. a random BF16 model (LLaDA layout, GQA variant too) with longer sequences:
 *      CUDA vs CPU logits, FULL and PREFILL -> CACHED, batch 2.
 * Usage: test_cuda_forward [SRCDIR [fixtures]] (SRCDIR default $DM_TEST_SRCDIR or
 * $srcdir or "."; "fixtures": parts 1 and 2 only, e.g. under compute-sanitizer).
 * Exits 77 (SKIP) with "no CUDA device" / "built without CUDA". */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <dimple/runtime.h>

static int failures = 0;

#define NATIVE_TOL 4e-2 /* native bf16 on the d_model 64 fixtures: see check_fixture */

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
    free(b);
    b = NULL;
  }
  if (b) b[n] = 0;
  fclose(fp);
  return b;
}

static int32_t *ids_of(const cJSON *a, int *B, int *T) {
  *B = cJSON_GetArraySize(a);
  *T = cJSON_GetArraySize(cJSON_GetArrayItem(a, 0));
  int32_t *v = malloc(sizeof(int32_t) * (size_t)(*B) * (size_t)(*T));
  int b = 0;
  const cJSON *row;
  cJSON_ArrayForEach(row, a) {
    int t = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, row) if (t < *T) v[(size_t)b * (*T) + t++] = (int32_t)x->valuedouble;
    b++;
  }
  return v;
}

static void die(const char *what, const dm_error *e) {
  printf("FAIL: %s: %s\n", what, e->message);
  exit(1);
}

/* max |a - b| / max |b| */
static double reldiff(const float *a, const float *b, size_t n) {
  double m = 0, s = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= m)) m = d;
    if (fabs(b[i]) > s) s = fabs(b[i]);
  }
  return s > 0 ? m / s : m;
}

static void expect(int ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", ok ? "PASS" : "FAIL");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (!ok) failures++;
}

/* One forward (FULL, or PREFILL with cids then CACHED) on model m; logits (R, V). */
static void run_case(dm_model *m, const int32_t *ids, const int32_t *cids, int B, int T, int causal, int C,
                     const int32_t *rows, int R, float *out, dm_row_stats *stats, const uint32_t *allowed) {
  dm_error e;
  dm_error_clear(&e);
  dm_forward_batch fb = {B, T, ids, causal, R, rows, DM_FORWARD_FULL, 0, NULL};
  dm_kvcache *kc = NULL;
  if (cids) {
    if (dm_kvcache_new(m, &kc, &e)) die("kvcache", &e);
    dm_forward_batch pf = fb;
    pf.ids = cids;
    pf.n_rows = 0;
    pf.rows = NULL;
    pf.mode = DM_FORWARD_PREFILL;
    pf.cache_len = C;
    pf.cache = kc;
    if (dm_forward(m, &pf, NULL, &e)) die("prefill", &e);
    fb.mode = DM_FORWARD_CACHED;
    fb.cache_len = C;
    fb.cache = kc;
  }
  int rc = stats ? dm_forward_stats(m, &fb, allowed, stats, &e) : dm_forward(m, &fb, out, &e);
  if (rc) die("forward", &e);
  dm_kvcache_free(kc);
}

static dm_model *load(const char *dir, int device, int precision) {
  dm_model_params p = dm_model_default_params();
  p.n_threads = 4;
  p.device = device;
  p.precision = precision;
  p.device_index = 0;
  dm_model *m = NULL;
  dm_error e;
  dm_error_clear(&e);
  if (dm_model_load(dir, &p, &m, &e)) die(dir, &e);
  return m;
}

static void check_fixture(const char *srcdir, const char *name) {
  char dir[2048], path[2100];
  snprintf(dir, sizeof dir, "%s/tests/data/models/%s", srcdir, name);
  snprintf(path, sizeof path, "%s/reference.json", dir);
  char *text = slurp(path);
  if (!text) {
    printf("FAIL: cannot read %s\n", path);
    failures++;
    return;
  }
  cJSON *root = cJSON_Parse(text);
  free(text);
  const char *dtype = cJSON_GetObjectItem(root, "dtype")->valuestring;
  double rel = strcmp(dtype, "F32") == 0 ? 1e-4 : 2e-2;
  dm_model *gpu = load(dir, DM_DEVICE_CUDA, DM_PRECISION_AUTO), *cpu = load(dir, DM_DEVICE_CPU, 0);
  /* auto computes these tiny models in f32: BF16 weights must then meet the F32
   * tolerance too. Native precision rounds the GEMM inputs to bf16 (6 points per
   * layer); tests/reference/emulate_bf16.py replays exactly that rounding in float64 on
   * llada-tiny-bf16 and finds 2.68e-2 x scale against the golden logits, the figure the
   * H200 measured (d_model 64 averages little; the d 512 random models of part 3 meet
   * 2e-2). So native is held to NATIVE_TOL here. */
  dm_model *gpu_nat = strcmp(dtype, "F32") != 0 ? load(dir, DM_DEVICE_CUDA, DM_PRECISION_NATIVE) : NULL;
  dm_model_info mi;
  dm_model_info_get(gpu, &mi);
  if (mi.device != DM_DEVICE_CUDA) {
    printf("FAIL: %s: model not on CUDA\n", name);
    failures++;
  }
  int V = mi.vocab;
  const cJSON *cs;
  cJSON_ArrayForEach(cs, cJSON_GetObjectItem(root, "cases")) {
    const char *cname = cJSON_GetObjectItem(cs, "name")->valuestring;
    int B, T;
    int32_t *ids = ids_of(cJSON_GetObjectItem(cs, "ids"), &B, &T);
    const cJSON *rows_j = cJSON_GetObjectItem(cs, "rows"), *lj = cJSON_GetObjectItem(cs, "logits");
    int R = cJSON_GetArraySize(rows_j);
    int32_t *rows = malloc(sizeof(int32_t) * 2 * (size_t)(R ? R : 1));
    for (int i = 0; i < R; i++) {
      const cJSON *r = cJSON_GetArrayItem(rows_j, i);
      rows[2 * i] = (int32_t)cJSON_GetArrayItem(r, 0)->valuedouble;
      rows[2 * i + 1] = (int32_t)cJSON_GetArrayItem(r, 1)->valuedouble;
    }
    float *ref = malloc(sizeof(float) * (size_t)R * V), *g = malloc(sizeof(float) * (size_t)R * V);
    float *c = malloc(sizeof(float) * (size_t)R * V);
    for (int i = 0; i < R; i++)
      for (int j = 0; j < V; j++)
        ref[(size_t)i * V + j] = (float)cJSON_GetArrayItem(cJSON_GetArrayItem(lj, i), j)->valuedouble;
    const cJSON *cache = cJSON_GetObjectItem(cs, "cache");
    int32_t *cids = NULL;
    int C = 0, causal = cJSON_IsTrue(cJSON_GetObjectItem(cs, "causal"));
    if (cJSON_IsObject(cache)) {
      int cB, cT;
      cids = ids_of(cJSON_GetObjectItem(cache, "ids"), &cB, &cT);
      C = (int)cJSON_GetObjectItem(cache, "cache_len")->valuedouble;
    }
    run_case(gpu, ids, cids, B, T, causal, C, rows, R, g, NULL, NULL);
    run_case(cpu, ids, cids, B, T, causal, C, rows, R, c, NULL, NULL);
    char label[256];
    snprintf(label, sizeof label, "%s/%s", name, cname);
    double dr = reldiff(g, ref, (size_t)R * V), dc = reldiff(g, c, (size_t)R * V);
    expect(dr <= rel, "%s: CUDA vs golden, max diff %.3g x scale (tolerance %.0e)", label, dr, rel);
    expect(dc <= rel, "%s: CUDA vs CPU, max diff %.3g x scale (tolerance %.0e)", label, dc, rel);
    if (gpu_nat) {
      expect(dr <= 1e-4, "%s: CUDA (auto = f32) vs golden within the F32 tolerance, max diff %.3g x scale", label, dr);
      float *n = malloc(sizeof(float) * (size_t)R * V);
      run_case(gpu_nat, ids, cids, B, T, causal, C, rows, R, n, NULL, NULL);
      double dn = reldiff(n, ref, (size_t)R * V);
      expect(dn <= NATIVE_TOL, "%s: CUDA native bf16 vs golden, max diff %.3g x scale (tolerance %.0e)", label, dn,
             NATIVE_TOL);
      free(n);
    }
    /* row statistics on the device = reference reduction of the device's logits */
    if (R > 0) {
      size_t W = DM_ALLOWED_WORDS(V);
      uint32_t *mask = calloc((size_t)R * W, 4);
      for (int i = 0; i < R; i++)
        for (int j = i % 3; j < V; j += 2) mask[(size_t)i * W + (j >> 5)] |= 1u << (j & 31);
      dm_row_stats *sg = malloc(sizeof *sg * (size_t)R), *sr = malloc(sizeof *sr * (size_t)R);
      for (int mk = 0; mk <= 1; mk++) {
        run_case(gpu, ids, cids, B, T, causal, C, rows, R, NULL, sg, mk ? mask : NULL);
        dm_row_stats_compute(g, R, V, mk ? mask : NULL, sr);
        int bad = 0;
        for (int i = 0; i < R; i++)
          bad += sg[i].argmax != sr[i].argmax || fabsf(sg[i].max_prob - sr[i].max_prob) > 1e-4f ||
                 fabsf(sg[i].margin - sr[i].margin) > 1e-4f || fabsf(sg[i].entropy - sr[i].entropy) > 1e-3f ||
                 fabsf(sg[i].prob_all - sr[i].prob_all) > 1e-4f;
        expect(bad == 0, "%s %s: dm_forward_stats on the device vs reference reduction (%d rows differ)", label,
               mk ? "with bitmask" : "all tokens", bad);
      }
      free(mask);
      free(sg);
      free(sr);
    }
    free(ids);
    free(cids);
    free(rows);
    free(ref);
    free(g);
    free(c);
  }
  cJSON_Delete(root);
  dm_model_free(gpu);
  dm_model_free(gpu_nat);
  dm_model_free(cpu);
}

/* Random BF16 model, CUDA vs CPU, longer sequences and batch 2. */
static void check_random(dm_model_family fam, int kv) {
  dm_model_shape sh = {fam, DM_DTYPE_BF16, 3, 512, 8, kv, 1376, 3000, 5e5, 0};
  dm_model_params p = dm_model_default_params();
  p.n_threads = 8;
  p.precision = DM_PRECISION_NATIVE; /* bf16 GEMM inputs, the fast path of large models */
  dm_model *cpu = NULL, *gpu = NULL;
  dm_error e;
  dm_error_clear(&e);
  if (dm_model_new_random(&sh, 99, &p, &cpu, &e)) die("random model", &e);
  p.device = DM_DEVICE_CUDA;
  if (dm_model_new_random(&sh, 99, &p, &gpu, &e)) die("random model on CUDA", &e);
  int B = 2, T = 320, C = 200, R = 40;
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)B * T), rows[80];
  for (int i = 0; i < B * T; i++) ids[i] = (int32_t)((i * 7919u + 13u) % 3000u);
  for (int i = 0; i < R; i++) {
    rows[2 * i] = i % 2;
    rows[2 * i + 1] = C + (i * 29) % (T - C);
  }
  float *g = malloc(sizeof(float) * (size_t)R * 3000), *c = malloc(sizeof(float) * (size_t)R * 3000);
  char label[128];
  snprintf(label, sizeof label, "random bf16 %s (kv heads %d)", dm_model_family_name(fam), kv);
  for (int mode = 0; mode < 2; mode++) {
    run_case(gpu, ids, mode ? ids : NULL, B, T, 0, C, rows, R, g, NULL, NULL);
    run_case(cpu, ids, mode ? ids : NULL, B, T, 0, C, rows, R, c, NULL, NULL);
    double dc = reldiff(g, c, (size_t)R * 3000);
    expect(dc <= 2e-2, "%s %s: CUDA vs CPU, max diff %.3g x scale (tolerance %.0e)", label,
           mode ? "prefill 200 -> cached 120, B 2" : "full 320, B 2", dc, 2e-2);
  }
  free(ids);
  free(g);
  free(c);
  dm_model_free(cpu);
  dm_model_free(gpu);
}

int main(int argc, char **argv) {
  int n = 0;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_cuda_device_count(&n, &e);
  if (rc == DM_EUNSUPPORTED) {
    printf("SKIP: built without CUDA\n");
    return 77;
  }
  if (n < 1) {
    printf("SKIP: %s\n", e.message[0] ? e.message : "no CUDA device");
    return 77;
  }
  const char *src = argc > 1 ? argv[1] : getenv("DM_TEST_SRCDIR");
  if (!src) src = getenv("srcdir");
  if (!src) src = ".";
  dm_log_set_level(DM_LOG_ERROR);
  const char *fx[] = {"llada-tiny-f32", "llada-tiny-bf16", "dream-tiny-f32", "dream-tiny-bf16-sharded",
                      "dimple-tiny-f32"};
  for (unsigned i = 0; i < sizeof fx / sizeof fx[0]; i++) check_fixture(src, fx[i]);
  if (!(argc > 2 && strcmp(argv[2], "fixtures") == 0)) {
    check_random(DM_FAMILY_LLADA, 8);
    check_random(DM_FAMILY_DREAM, 2);
  }
  printf("%s: %d forward check(s) failed\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
