/* CUDA benchmark (tests/gpu/run.sh runs it on a lent GPU; never part of make check).
 * Figures measured in the same run, on CUDA device N:
 *   gemm  best cublasGemmEx bf16 x bf16 -> f32 rate over square and model-shaped
 *         products (the reference rate);
 *   step  random BF16 weights at LLaDA-8B's and Dream-7B's exact shapes, prompt P +
 *         canvas N (default 512 + 512), batch 1, bidirectional: full step time (LM
 *         head on the N canvas rows, row statistics on the device), TFLOP/s and the
 *         ratio to the reference rate; prefill time; cached canvas-only step time and
 *         the speed-up over the full step; the full step again with the logits
 *         copied to the host (the decoder's path on the CPU);
 *   e2e   tokens/s of a JSON-schema generation of ~256 canvas tokens with confident
 *         decoding and the prefill cache at LLaDA-8B's shape (random weights, the
 *         committed tiny-dense tokenizer; the model vocabulary is LLaDA's), with the
 *         row statistics on the device (what the decoder uses on CUDA) and again
 *         with the logits copied to the host, for comparison.
 * Usage: cuda_bench [--device N] [--parts gemm,step,e2e] [--shapes llada8b,dream7b]
 *                   [--prompt P] [--canvas N] [--steps K] [--tokenizer FILE]
 *                   [--e2e-prompt P] [--out FILE] [--smoke 1]
 * Results go to stdout and, with --out, as JSON to FILE (written after each part, so
 * a run cut short still leaves what it measured). Exit 77 without a CUDA device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <dimple/dimple.h>

typedef struct bshape {
  const char *name, *like;
  dm_model_shape s;
} bshape;

static const bshape SHAPES[] = {
    {"llada8b", "LLaDA-8B (32 layers, d 4096, 32 heads MHA, ffn 12288, vocab 126464, untied)",
     {DM_FAMILY_LLADA, DM_DTYPE_BF16, 32, 4096, 32, 32, 12288, 126464, 5e5, 0}},
    {"dream7b", "Dream-7B / Qwen2.5-7B (28 layers, d 3584, 28 heads, 4 KV heads, ffn 18944, vocab 152064, untied)",
     {DM_FAMILY_DREAM, DM_DTYPE_BF16, 28, 3584, 28, 4, 18944, 152064, 1e6, 0}},
};

/* --smoke: the same code paths on the CPU with small shapes (checks the benchmark's
 * host code without a GPU; make check runs it). */
static const bshape SMOKE[] = {
    {"llada8b", "smoke: LLaDA layout, 2 layers, d 64, LLaDA's vocabulary",
     {DM_FAMILY_LLADA, DM_DTYPE_BF16, 2, 64, 4, 4, 160, 126464, 5e5, 0}},
    {"dream7b", "smoke: Dream layout, 2 layers, d 64, GQA 4/2", {DM_FAMILY_DREAM, DM_DTYPE_BF16, 2, 64, 4, 2, 160, 1000, 1e6, 0}},
    {"e2e", "smoke: LLaDA layout, 2 layers, d 64, vocab 1000", {DM_FAMILY_LLADA, DM_DTYPE_BF16, 2, 64, 4, 4, 160, 1000, 5e5, 0}},
};
static int smoke = 0;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static cJSON *root;
static const char *out_path;

static void save(void) {
  if (!out_path) return;
  char *s = cJSON_Print(root);
  FILE *fp = fopen(out_path, "w");
  if (fp && s) {
    fputs(s, fp);
    fputc('\n', fp);
  }
  if (fp) fclose(fp);
  cJSON_free(s);
}

static void fail(const char *what, const dm_error *e) {
  fprintf(stderr, "cuda_bench: %s: %s\n", what, e->message);
  cJSON_AddStringToObject(root, "error", e->message);
  save();
  exit(1);
}

/* FLOPs of a step computing M query rows per sequence against T keys, R head rows. */
static double step_flops(const dm_model_shape *s, int M, int T, int R) {
  double d = s->d_model, D = (double)s->d_model / s->n_heads, qd = d, kvd = D * s->n_kv_heads;
  double per_row = 2.0 * d * (qd + 2 * kvd) + 2.0 * qd * d + 3.0 * 2.0 * d * s->d_ff;
  double att = 2.0 * 2.0 * (double)T * qd; /* QK^T and PV per query row */
  return (double)s->n_layers * M * (per_row + att) + 2.0 * R * d * s->vocab;
}

/* Time `steps` forwards after one warm-up; best and mean seconds. */
typedef struct timing {
  double best, mean;
} timing;

static timing time_forward(dm_model *m, dm_forward_batch *b, dm_row_stats *stats, float *logits, int steps) {
  dm_error e;
  timing t = {1e30, 0};
  for (int i = -1; i < steps; i++) {
    double t0 = now_s();
    int rc = logits ? dm_forward(m, b, logits, &e) : dm_forward_stats(m, b, NULL, stats, &e);
    double dt = now_s() - t0;
    if (rc) fail("forward", &e);
    if (i < 0) continue;
    if (dt < t.best) t.best = dt;
    t.mean += dt / steps;
  }
  return t;
}

static double gemm_part(int dev, cJSON *res) {
  /* square products and the shapes of a 1024-row LLaDA-8B / Dream-7B step */
  static const int G[][3] = {{8192, 8192, 8192}, {4096, 4096, 4096}, {24576, 1024, 4096}, {4096, 1024, 12288},
                             {12288, 1024, 4096}, {37888, 1024, 3584}, {3584, 1024, 18944}, {126464, 512, 4096}};
  double best = 0;
  cJSON *arr = cJSON_AddArrayToObject(res, "gemm");
  printf("cuBLAS bf16 GEMM (bf16 in, f32 accumulate and out), best of 5:\n");
  for (size_t i = 0; i < sizeof G / sizeof G[0]; i++) {
    double tf = 0;
    dm_error e;
    if (dm_cuda_gemm_peak(dev, G[i][0], G[i][1], G[i][2], 5, &tf, &e)) fail("gemm peak", &e);
    printf("  m %6d n %6d k %6d: %7.1f TFLOP/s\n", G[i][0], G[i][1], G[i][2], tf);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "m", G[i][0]);
    cJSON_AddNumberToObject(o, "n", G[i][1]);
    cJSON_AddNumberToObject(o, "k", G[i][2]);
    cJSON_AddNumberToObject(o, "tflops", tf);
    cJSON_AddItemToArray(arr, o);
    if (tf > best) best = tf;
  }
  printf("  best: %.1f TFLOP/s (the reference rate)\n", best);
  cJSON_AddNumberToObject(res, "gemm_best_tflops", best);
  save();
  return best;
}

static dm_model *make_model(const bshape *bs, int dev, cJSON *o) {
  dm_model_params p = dm_model_default_params();
  p.device = smoke ? DM_DEVICE_CPU : DM_DEVICE_CUDA;
  p.device_index = dev;
  if (smoke) p.n_threads = 2;
  dm_model *m = NULL;
  dm_error e;
  double t0 = now_s();
  if (dm_model_new_random(&bs->s, 42, &p, &m, &e)) fail(bs->name, &e);
  double dt = now_s() - t0;
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  printf("%s: %.2f B parameters, %.1f GiB on the device, generated + uploaded in %.1f s\n", bs->like,
         (double)mi.n_params / 1e9, (double)mi.device_bytes / 1073741824.0, dt);
  cJSON_AddStringToObject(o, "shape", bs->name);
  cJSON_AddNumberToObject(o, "parameters", (double)mi.n_params);
  cJSON_AddNumberToObject(o, "device_bytes", (double)mi.device_bytes);
  cJSON_AddNumberToObject(o, "load_s", dt);
  return m;
}

static void step_part(const bshape *bs, int dev, int P, int N, int steps, double peak, cJSON *arr) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToArray(arr, o);
  dm_model *m = make_model(bs, dev, o);
  int T = P + N, V = bs->s.vocab;
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)T), *rows = malloc(sizeof(int32_t) * 2 * (size_t)N);
  for (int i = 0; i < T; i++) ids[i] = (int32_t)((i * 7919u + 17u) % (unsigned)V);
  for (int i = 0; i < N; i++) {
    rows[2 * i] = 0;
    rows[2 * i + 1] = P + i;
  }
  dm_row_stats *st = malloc(sizeof *st * (size_t)N);
  float *lg = malloc(sizeof(float) * (size_t)N * V);
  dm_kvcache *kc = NULL;
  dm_error e;
  if (!ids || !rows || !st || !lg) {
    fprintf(stderr, "cuda_bench: out of memory\n");
    exit(1);
  }
  if (dm_kvcache_new(m, &kc, &e)) fail("kvcache", &e);
  dm_forward_batch full = {1, T, ids, 0, N, rows, DM_FORWARD_FULL, 0, NULL};
  timing tf = time_forward(m, &full, st, NULL, steps);
  double ff = step_flops(&bs->s, T, T, N), tfl = ff / tf.best / 1e12;
  dm_forward_batch pre = full;
  pre.mode = DM_FORWARD_PREFILL;
  pre.cache_len = P;
  pre.cache = kc;
  timing tp = time_forward(m, &pre, st, NULL, steps);
  dm_forward_batch cached = pre;
  cached.mode = DM_FORWARD_CACHED;
  timing tc = time_forward(m, &cached, st, NULL, steps);
  double fc = step_flops(&bs->s, N, T, N), tcl = fc / tc.best / 1e12;
  timing th = time_forward(m, &full, NULL, lg, steps > 2 ? 2 : steps);
  char rate[64] = ""; /* without --parts gemm there is no reference rate to compare with */
  if (peak > 0) snprintf(rate, sizeof rate, " = %.0f%% of the cuBLAS rate", 100 * tfl / peak);
  printf("  full step (%d + %d, %d head rows, stats on device): best %.2f ms, mean %.2f ms, %.1f TFLOP/s%s\n", P, N,
         N, tf.best * 1e3, tf.mean * 1e3, tfl, rate);
  printf("  prefill step (caches K/V of %d positions): best %.2f ms\n", P, tp.best * 1e3);
  printf("  cached canvas-only step (%d queries x %d keys): best %.2f ms, mean %.2f ms, %.1f TFLOP/s; %.2fx faster "
         "than the full step\n",
         N, T, tc.best * 1e3, tc.mean * 1e3, tcl, tf.best / tc.best);
  printf("  full step with the logits copied to the host (%.0f MiB): best %.2f ms\n",
         (double)N * V * 4 / 1048576.0, th.best * 1e3);
  cJSON_AddNumberToObject(o, "prompt", P);
  cJSON_AddNumberToObject(o, "canvas", N);
  cJSON_AddNumberToObject(o, "full_step_ms", tf.best * 1e3);
  cJSON_AddNumberToObject(o, "full_step_mean_ms", tf.mean * 1e3);
  cJSON_AddNumberToObject(o, "full_step_tflops", tfl);
  cJSON_AddNumberToObject(o, "full_step_ratio_to_gemm", peak > 0 ? tfl / peak : 0);
  cJSON_AddNumberToObject(o, "prefill_step_ms", tp.best * 1e3);
  cJSON_AddNumberToObject(o, "cached_step_ms", tc.best * 1e3);
  cJSON_AddNumberToObject(o, "cached_step_tflops", tcl);
  cJSON_AddNumberToObject(o, "cached_speedup", tf.best / tc.best);
  cJSON_AddNumberToObject(o, "full_step_host_logits_ms", th.best * 1e3);
  save();
  dm_kvcache_free(kc);
  free(ids);
  free(rows);
  free(st);
  free(lg);
  dm_model_free(m);
}

/* A schema of string fields whose budgets add up to ~256 canvas tokens. */
static const char *E2E_SCHEMA =
    "{\"type\":\"object\",\"properties\":{"
    "\"name\":{\"type\":\"string\",\"x-dimple-tokens\":24},"
    "\"email\":{\"type\":\"string\",\"x-dimple-tokens\":24},"
    "\"city\":{\"type\":\"string\",\"x-dimple-tokens\":24},"
    "\"summary\":{\"type\":\"string\",\"x-dimple-tokens\":40},"
    "\"notes\":{\"type\":\"string\",\"x-dimple-tokens\":24},"
    "\"age\":{\"type\":\"integer\",\"x-dimple-tokens\":8},"
    "\"verified\":{\"type\":\"boolean\"}},"
    "\"required\":[\"name\",\"email\",\"city\",\"summary\",\"notes\",\"age\",\"verified\"]}";

static void e2e_part(int dev, const char *tokpath, int prompt_len, cJSON *res) {
  dm_tokenizer *tok = NULL;
  dm_prior_env *env = NULL;
  dm_canvas *c = NULL;
  dm_error e;
  if (dm_tokenizer_load(tokpath, &tok, &e)) fail(tokpath, &e);
  if (dm_prior_env_new(tok, &env, &e)) fail("prior env", &e);
  if (dm_canvas_from_schema(env, E2E_SCHEMA, strlen(E2E_SCHEMA), NULL, &c, &e)) fail("schema", &e);
  cJSON *o = cJSON_AddObjectToObject(res, "e2e");
  dm_model *m = make_model(smoke ? &SMOKE[2] : &SHAPES[0], dev, o);
  int32_t mask = smoke ? 999 : 126336; /* LLaDA's mask id */
  int32_t V = dm_tokenizer_vocab_size(tok);
  int32_t *prompt = malloc(sizeof(int32_t) * (size_t)prompt_len);
  for (int i = 0; i < prompt_len; i++) prompt[i] = (int32_t)((i * 31u + 7u) % (unsigned)V);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_CONFIDENT;
  int L = dm_canvas_length(c);
  /* mode 0: what dm_logits_source_model does on a device (row statistics there);
   * mode 1: the logits copied to the host and reduced by the decoder */
  for (int mode = 0; mode < 2; mode++) {
    dm_logits_source *src = NULL;
    if (dm_logits_source_model_stats(m, 1, mask, mode ? DM_SOURCE_STATS_OFF : DM_SOURCE_STATS_AUTO, &src, &e))
      fail("logits source", &e);
    dm_decode_stats st;
    double total = 0;
    for (int run = 0; run < 2; run++) { /* run 0: warm-up (automata rows built lazily) */
      if (dm_canvas_reset(c)) {
        fprintf(stderr, "cuda_bench: canvas reset failed\n");
        exit(1);
      }
      double t0 = now_s();
      if (dm_decode(c, prompt, prompt_len, src, &p, &st, NULL, NULL, &e)) fail("decode", &e);
      total = now_s() - t0;
    }
    if (mode == 0)
      printf("end to end: JSON schema, canvas %d tokens (%d forced by the format), prompt %d, confident (threshold "
             "%.2f), prefill on, %s:\n",
             L, st.forced, prompt_len, p.threshold, smoke ? "smoke shape on the CPU" : "LLaDA-8B shape");
    printf("  %s: %.2f s, NFE %d, %.1f tokens/s (canvas tokens / wall time); model %.0f ms, constraints %.0f ms\n",
           mode ? "logits to the host" : "row statistics on the device", total, st.nfe, L / total, st.model_ms,
           st.constraint_ms);
    cJSON *q = mode ? cJSON_AddObjectToObject(o, "host_logits") : o;
    cJSON_AddNumberToObject(q, "canvas_tokens", L);
    cJSON_AddNumberToObject(q, "forced", st.forced);
    cJSON_AddNumberToObject(q, "prompt", prompt_len);
    cJSON_AddNumberToObject(q, "nfe", st.nfe);
    cJSON_AddNumberToObject(q, "seconds", total);
    cJSON_AddNumberToObject(q, "tokens_per_s", L / total);
    cJSON_AddNumberToObject(q, "model_ms", st.model_ms);
    cJSON_AddNumberToObject(q, "constraint_ms", st.constraint_ms);
    save();
    dm_logits_source_free(src);
  }
  free(prompt);
  dm_model_free(m);
  dm_canvas_free(c);
  dm_prior_env_free(env);
  dm_tokenizer_free(tok);
}

int main(int argc, char **argv) {
  int dev = 0, P = 512, N = 512, steps = 5, e2e_prompt = 256;
  const char *parts = "gemm,step,e2e", *shapes = "llada8b,dream7b", *tokpath = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      fprintf(stderr, "cuda_bench: %s needs a value\n", a);
      return 2;
    }
    if (strcmp(a, "--device") == 0) dev = atoi(v);
    else if (strcmp(a, "--parts") == 0) parts = v;
    else if (strcmp(a, "--shapes") == 0) shapes = v;
    else if (strcmp(a, "--prompt") == 0) P = atoi(v);
    else if (strcmp(a, "--canvas") == 0) N = atoi(v);
    else if (strcmp(a, "--steps") == 0) steps = atoi(v);
    else if (strcmp(a, "--tokenizer") == 0) tokpath = v;
    else if (strcmp(a, "--e2e-prompt") == 0) e2e_prompt = atoi(v);
    else if (strcmp(a, "--out") == 0) out_path = v;
    else if (strcmp(a, "--smoke") == 0) smoke = strcmp(v, "1") == 0;
    else {
      fprintf(stderr, "cuda_bench: unknown option %s\n", a);
      return 2;
    }
    i++;
  }
  if (P < 1 || N < 1 || steps < 1 || e2e_prompt < 1) {
    fprintf(stderr, "cuda_bench: --prompt, --canvas, --steps, --e2e-prompt want positive integers\n");
    return 2;
  }
  int n = 0;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_cuda_device_count(&n, &e);
  if (!smoke && (rc == DM_EUNSUPPORTED || n <= dev)) {
    printf("SKIP: %s\n", rc == DM_EUNSUPPORTED ? "built without CUDA" : "no CUDA device");
    return 77;
  }
  dm_log_set_level(DM_LOG_WARN);
  root = cJSON_CreateObject();
  dm_device_info di;
  if (!smoke && dm_cuda_device_info(dev, &di, &e) == DM_OK) {
    printf("device %d: %s, %.1f GiB, compute capability %d.%d\n", dev, di.name, (double)di.total_memory / 1073741824.0,
           di.cc_major, di.cc_minor);
    cJSON_AddStringToObject(root, "device", di.name);
    cJSON_AddNumberToObject(root, "device_memory", (double)di.total_memory);
  }
  double peak = 0;
  if (strstr(parts, "gemm") && !smoke) peak = gemm_part(dev, root);
  if (strstr(parts, "step")) {
    cJSON *arr = cJSON_AddArrayToObject(root, "steps");
    for (size_t i = 0; i < 2; i++)
      if (strstr(shapes, SHAPES[i].name)) step_part(smoke ? &SMOKE[i] : &SHAPES[i], dev, P, N, steps, peak, arr);
  }
  if (strstr(parts, "e2e")) {
    if (!tokpath) {
      fprintf(stderr, "cuda_bench: --parts e2e needs --tokenizer FILE (tests/data/tokenizer/tiny-dense/tokenizer.json)\n");
      return 2;
    }
    e2e_part(dev, tokpath, e2e_prompt, root);
  }
  save();
  cJSON_Delete(root);
  return 0;
}
