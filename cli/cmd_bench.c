/* dimple bench forward — model step speed against OpenBLAS sgemm peak, prefill gain,
 * memory. Random weights in memory at real shapes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct bshape {
  const char *name, *like;
  dm_model_shape s;
} bshape;

static const bshape shapes[] = {
    {"qwen0.5b", "Qwen2.5-0.5B (Dream layout: GQA 14/2, tied embeddings)",
     {DM_FAMILY_DREAM, DM_DTYPE_F32, 24, 896, 14, 2, 4864, 151936, 1e6, 1}},
    {"llada1b", "LLaDA-1B-like (LLaDA layout: MHA, untied head)",
     {DM_FAMILY_LLADA, DM_DTYPE_F32, 16, 2048, 16, 16, 5632, 126464, 5e5, 0}},
    {"tiny", "tiny (smoke test)", {DM_FAMILY_DREAM, DM_DTYPE_F32, 2, 64, 4, 2, 128, 512, 1e4, 0}},
};

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
         1e-6 * (double)ru.ru_stime.tv_usec;
}

/* Peak resident set (VmHWM) in bytes; reset_peak() restarts it (Linux). */
static double peak_rss(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  char line[256];
  double kb = 0;
  while (fp && fgets(line, sizeof line, fp))
    if (strncmp(line, "VmHWM:", 6) == 0) kb = atof(line + 6);
  if (fp) fclose(fp);
  return kb * 1024.0;
}
static void reset_peak(void) {
  FILE *fp = fopen("/proc/self/clear_refs", "w");
  if (fp) {
    fputs("5", fp);
    fclose(fp);
  }
}

/* FLOPs of a step computing M query rows per sequence against T keys, R head rows. */
static double step_flops(const dm_model_shape *s, int B, int M, int T, int R) {
  double d = s->d_model, D = (double)s->d_model / s->n_heads, qd = d, kvd = D * s->n_kv_heads;
  double per_row = 2.0 * d * (qd + 2 * kvd) + 2.0 * qd * d + 3.0 * 2.0 * d * s->d_ff;
  double att = 2.0 * 2.0 * (double)T * qd; /* QK^T and PV per query row */
  return (double)s->n_layers * B * M * (per_row + att) + 2.0 * R * d * s->vocab;
}

typedef struct result {
  double full_s, cached_s, prefill_s, full_gflops, cached_gflops, peak_rss, weights;
  double full41_s, cached41_s;
} result;

static double g_full_cpu, g_cached_cpu; /* CPU seconds of the best full / cached step */

static int run_steps(dm_model *m, int P, int N, int steps, double *full_s, double *cached_s,
                     double *prefill_s, dm_error *err) {
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  int T = P + N;
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)T), *rows = malloc(sizeof(int32_t) * 2 * (size_t)N);
  float *lg = malloc(sizeof(float) * (size_t)N * (size_t)mi.vocab);
  dm_kvcache *kc = NULL;
  int rc = (ids && rows && lg) ? DM_OK : DM_ENOMEM;
  if (rc == DM_OK) rc = dm_kvcache_new(m, &kc, err);
  if (rc == DM_OK) {
    for (int t = 0; t < T; t++) ids[t] = (int32_t)((t * 7919u + 13u) % (unsigned)mi.vocab);
    for (int i = 0; i < N; i++) {
      rows[2 * i] = 0;
      rows[2 * i + 1] = P + i;
    }
    dm_forward_batch fb;
    memset(&fb, 0, sizeof fb);
    fb.B = 1;
    fb.T = T;
    fb.ids = ids;
    fb.n_rows = N;
    fb.rows = rows;
    fb.mode = DM_FORWARD_FULL;
    double best = 1e30;
    g_full_cpu = 1e30;
    for (int s = 0; s < steps && rc == DM_OK; s++) {
      double t0 = dm_cli_now_ms() / 1e3, c0 = cpu_s();
      rc = dm_forward(m, &fb, lg, err);
      double t = dm_cli_now_ms() / 1e3 - t0, tc = cpu_s() - c0;
      if (t < best) best = t;
      if (tc < g_full_cpu) g_full_cpu = tc;
    }
    *full_s = best;
    fb.mode = DM_FORWARD_PREFILL;
    fb.cache = kc;
    fb.cache_len = P;
    double t0 = dm_cli_now_ms() / 1e3;
    if (rc == DM_OK) rc = dm_forward(m, &fb, lg, err);
    *prefill_s = dm_cli_now_ms() / 1e3 - t0;
    fb.mode = DM_FORWARD_CACHED;
    best = 1e30;
    g_cached_cpu = 1e30;
    for (int s = 0; s < steps && rc == DM_OK; s++) {
      t0 = dm_cli_now_ms() / 1e3;
      double c0 = cpu_s();
      rc = dm_forward(m, &fb, lg, err);
      double t = dm_cli_now_ms() / 1e3 - t0, tc = cpu_s() - c0;
      if (t < best) best = t;
      if (tc < g_cached_cpu) g_cached_cpu = tc;
    }
    *cached_s = best;
  }
  dm_kvcache_free(kc);
  free(ids);
  free(rows);
  free(lg);
  return rc;
}

/* --model DIR: one checkpoint from disk (mmap), one full step and one cached step. */
static int bench_checkpoint(const char *dir, int P, int N, int steps, int nthr, double peak, int amx,
                            double peak1_cpu, int device, int device_index) {
  dm_model_params mp = dm_model_default_params();
  mp.n_threads = nthr;
  mp.amx = amx;
  mp.device = device;
  mp.device_index = device_index;
  dm_model *m = NULL;
  dm_error err;
  dm_error_clear(&err);
  reset_peak();
  double t0 = dm_cli_now_ms() / 1e3;
  int rc = dm_model_load(dir, &mp, &m, &err);
  double load_s = dm_cli_now_ms() / 1e3 - t0;
  if (rc) return dm_cli_fail("bench", rc, &err);
  dm_model_info mi;
  dm_model_info_get(m, &mi);
  dm_model_shape s = {mi.family, mi.dtype, mi.n_layers, mi.d_model, mi.n_heads, mi.n_kv_heads,
                      mi.d_ff, mi.vocab, mi.rope_theta, mi.tied_embeddings};
  double full_s = 0, cached_s = 0, prefill_s = 0, warm_s = 0;
  /* One untimed step first: it faults the mapped weights in from disk. */
  {
    int32_t *ids = calloc((size_t)(P + N), sizeof *ids);
    dm_forward_batch wb;
    memset(&wb, 0, sizeof wb);
    wb.B = 1;
    wb.T = P + N;
    wb.ids = ids;
    t0 = dm_cli_now_ms() / 1e3;
    rc = ids ? dm_forward(m, &wb, NULL, &err) : DM_ENOMEM;
    warm_s = dm_cli_now_ms() / 1e3 - t0;
    free(ids);
    if (rc) {
      dm_model_free(m);
      return dm_cli_fail("bench", rc, &err);
    }
  }
  t0 = dm_cli_now_ms() / 1e3;
  rc = run_steps(m, P, N, steps, &full_s, &cached_s, &prefill_s, &err);
  double total_s = dm_cli_now_ms() / 1e3 - t0;
  if (rc) {
    dm_model_free(m);
    return dm_cli_fail("bench", rc, &err);
  }
  double ff = step_flops(&s, 1, P + N, P + N, N);
  double rss = peak_rss();
  if (mi.device == DM_DEVICE_CUDA) {
    double tf = 0;
    int prc = dm_cuda_gemm_peak(mi.device_index, 8192, 8192, 8192, 3, &tf, &err);
    printf("  checkpoint %s: %s, %.2f B params, %s, on cuda:%d (%.2f GiB of weights on the device), loaded in %.2f s\n",
           dir, dm_model_family_name(mi.family), (double)mi.n_params / 1e9, dm_dtype_name(mi.dtype), mi.device_index,
           (double)mi.device_bytes / 1073741824.0, load_s);
    printf("    first (untimed) step: %.3f s\n", warm_s);
    printf("    full step (prompt %d + canvas %d, logits to the host): %.2f ms, %.1f TFLOP/s", P, N, full_s * 1e3,
           ff / full_s / 1e12);
    if (prc == DM_OK && tf > 0)
      printf(" = %.0f%% of cuBLAS bf16 (8192^3: %.1f TFLOP/s)", 100.0 * ff / full_s / 1e12 / tf, tf);
    printf(" (best of %d)\n", steps);
    printf("    prefill step %.2f ms, cached step %.2f ms (%.2fx faster than the full step)\n", prefill_s * 1e3,
           cached_s * 1e3, full_s / cached_s);
    dm_model_free(m);
    return DM_EXIT_OK;
  }
  printf("  checkpoint %s: %s, %.2f B params, %s (%s), %d files, loaded (mmap) in %.2f s\n", dir,
         dm_model_family_name(mi.family), (double)mi.n_params / 1e9, dm_dtype_name(mi.dtype),
         mi.dtype == DM_DTYPE_F32 ? "sgemm" : mi.amx ? "AMX tiles" : "convert+sgemm", mi.n_files, load_s);
  printf("    first (untimed) step, faulting the weights in: %.2f s\n", warm_s);
  printf("    full step (prompt %d + canvas %d): %.2f s, %.1f GFLOP/s = %.0f%% of sgemm peak (best of %d)\n",
         P, N, full_s, ff / full_s / 1e9, 100.0 * ff / full_s / 1e9 / peak, steps);
  printf("    prefill step %.2f s, cached step %.2f s (%.2fx faster than the full step); timed steps %.1f s\n",
         prefill_s, cached_s, full_s / cached_s, total_s);
  printf("    CPU time: full step %.1f CPU-s = %.1f GFLOP/CPU-s = %.0f%% of one-thread sgemm\n", g_full_cpu,
         ff / g_full_cpu / 1e9, 100.0 * ff / g_full_cpu / 1e9 / peak1_cpu);
  printf("    peak RSS %.2f GiB = %.2f x weights (%.2f GiB mapped)\n", rss / 1073741824.0,
         rss / (double)mi.weight_bytes, (double)mi.weight_bytes / 1073741824.0);
  dm_model_free(m);
  return DM_EXIT_OK;
}

int dm_cmd_bench(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
      dm_cli_print_help(dm_command_find("bench"));
      return DM_EXIT_OK;
    }
    return dm_cli_usage_error("bench", "which benchmark? (forward)");
  }
  if (strcmp(argv[1], "forward") != 0)
    return dm_cli_usage_error("bench", "unknown or not yet available benchmark '%s' (have: forward)", argv[1]);
  static const struct option opts[] = {
      {"shape", required_argument, NULL, 's'},   {"dtype", required_argument, NULL, 'd'},
      {"prompt", required_argument, NULL, 'p'},  {"canvas", required_argument, NULL, 'c'},
      {"cached-prompt", required_argument, NULL, 'P'}, {"cached-canvas", required_argument, NULL, 'C'},
      {"steps", required_argument, NULL, 'n'},   {"threads", required_argument, NULL, 't'},
      {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
      {"model", required_argument, NULL, 'm'},
      {"no-amx", no_argument, NULL, 'A'},
      {"device", required_argument, NULL, 'D'},
      {NULL, 0, NULL, 0},
  };
  const char *shape = "qwen0.5b", *dtype = "both", *model = NULL;
  int P = 256, N = 256, P4 = 256, N4 = 64, steps = 2, threads = 0, json = 0, no_amx = 0;
  int device = DM_DEVICE_CPU, device_index = 0;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
    int *iv = NULL;
    switch (c) {
      case 's': shape = optarg; break;
      case 'd': dtype = optarg; break;
      case 'p': iv = &P; break;
      case 'c': iv = &N; break;
      case 'P': iv = &P4; break;
      case 'C': iv = &N4; break;
      case 'n': iv = &steps; break;
      case 't': iv = &threads; break;
      case 'j': json = 1; break;
      case 'm': model = optarg; break;
      case 'A': no_amx = 1; break;
      case 'D':
        if (dm_device_parse(optarg, &device, &device_index, NULL))
          return dm_cli_usage_error("bench", "--device wants cpu, cuda, cuda:N or auto, not '%s'", optarg);
        break;
      case 'h': dm_cli_print_help(dm_command_find("bench")); return DM_EXIT_OK;
      default: return dm_cli_usage_error("bench", "unknown option '%s'", argv[optind]);
    }
    if (iv) {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || end == optarg || v < 1 || v > 1 << 20)
        return dm_cli_usage_error("bench", "option needs a positive integer, got '%s'", optarg);
      *iv = (int)v;
    }
  }
  if (device != DM_DEVICE_CPU && !model)
    return dm_cli_usage_error("bench", "--device applies to --model DIR (random weights at GPU scale: bench/cuda_bench)");
  const bshape *bs = NULL;
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (strcmp(shapes[i].name, shape) == 0) bs = &shapes[i];
  if (!bs) return dm_cli_usage_error("bench", "unknown --shape '%s' (qwen0.5b, llada1b, tiny)", shape);
  /* variants: dtype and, for BF16, the multiply path (AMX tiles / convert + sgemm) */
  int dts[3], amxs[3], ndt = 0;
  if (strcmp(dtype, "f32") == 0 || strcmp(dtype, "both") == 0) {
    dts[ndt] = DM_DTYPE_F32;
    amxs[ndt++] = 0;
  }
  if (strcmp(dtype, "bf16") == 0 || strcmp(dtype, "both") == 0) {
    dts[ndt] = DM_DTYPE_BF16;
    amxs[ndt++] = 0;
    dts[ndt] = DM_DTYPE_BF16;
    amxs[ndt++] = 1; /* skipped below when the CPU has no AMX */
  }
  if (!ndt) return dm_cli_usage_error("bench", "--dtype is f32, bf16 or both");
  long nc = sysconf(_SC_NPROCESSORS_ONLN);
  int nthr = threads ? threads : (nc > 0 ? (int)nc : 1);

  double peak = 0, peak1_cpu = 0, dummy_w;
  dm_blas_sgemm_peak(2048, nthr, 3, &peak, NULL);
  dm_blas_sgemm_peak(2048, 1, 3, &dummy_w, &peak1_cpu);
  if (model) return bench_checkpoint(model, P, N, steps, nthr, peak, !no_amx, peak1_cpu, device, device_index);
  const char *ct = getenv("OPENBLAS_CORETYPE");
  if (!json) {
    printf("bench forward: %s, %d threads, OpenBLAS core %s%s%s%s\n", bs->like, nthr,
           dm_blas_corename(), ct ? " (OPENBLAS_CORETYPE=" : "", ct ? ct : "", ct ? ")" : "");
    printf("  sgemm peak (square 2048, OpenBLAS %d threads): %.1f GFLOP/s; one thread: %.1f GFLOP per CPU-second\n",
           nthr, peak, peak1_cpu);
  } else {
    printf("{\"shape\": \"%s\", \"threads\": %d, \"blas_core\": \"%s\", \"sgemm_peak_gflops\": %.2f, \"runs\": [",
           bs->name, nthr, dm_blas_corename(), peak);
  }
  int ret = DM_EXIT_OK;
  char load[128] = "";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (!fgets(load, sizeof load, lf)) load[0] = 0;
    fclose(lf);
    load[strcspn(load, "\n")] = 0;
  }
  if (!json && load[0]) printf("  load average at start: %s (a shared machine makes every figure noisy)\n", load);
  for (int k = 0; k < ndt; k++) {
    dm_model_shape s = bs->s;
    s.dtype = (dm_dtype)dts[k];
    dm_model_params mp = dm_model_default_params();
    mp.n_threads = nthr;
    mp.amx = amxs[k];
    dm_model *m = NULL;
    dm_error err;
    dm_error_clear(&err);
    reset_peak();
    double t0 = dm_cli_now_ms() / 1e3;
    int rc = dm_model_new_random(&s, 42, &mp, &m, &err);
    double gen_s = dm_cli_now_ms() / 1e3 - t0;
    result r;
    memset(&r, 0, sizeof r);
    if (rc == DM_OK && amxs[k]) {
      dm_model_info ai;
      dm_model_info_get(m, &ai);
      if (!ai.amx) { /* no AMX here: nothing new to measure */
        if (!json) printf("  weights BF16 on AMX tiles: not available on this CPU\n");
        dm_model_free(m);
        continue;
      }
    }
    /* The machine may be shared: measure the sgemm peak again right before this
     * variant's steps and compare against the better of the two figures. */
    double peak_now = 0;
    dm_blas_sgemm_peak(2048, nthr, 2, &peak_now, NULL);
    double vpeak = peak_now > peak ? peak_now : peak;
    if (rc == DM_OK) rc = run_steps(m, P, N, steps, &r.full_s, &r.cached_s, &r.prefill_s, &err);
    double full_cpu = g_full_cpu, cached_cpu = g_cached_cpu;
    double dummy;
    if (rc == DM_OK) rc = run_steps(m, P4, N4, steps, &r.full41_s, &r.cached41_s, &dummy, &err);
    double full41_cpu = g_full_cpu, cached41_cpu = g_cached_cpu;
    if (rc) {
      ret = dm_cli_fail("bench", rc, &err);
      dm_model_free(m);
      break;
    }
    dm_model_info mi;
    dm_model_info_get(m, &mi);
    const char *path = s.dtype == DM_DTYPE_F32 ? "sgemm" : mi.amx ? "AMX tiles" : "convert+sgemm";
    r.weights = (double)mi.weight_bytes;
    r.peak_rss = peak_rss();
    double ff = step_flops(&s, 1, P + N, P + N, N), fc = step_flops(&s, 1, N, P + N, N);
    r.full_gflops = ff / r.full_s / 1e9;
    r.cached_gflops = fc / r.cached_s / 1e9;
    double act = (double)(P + N) * (4.0 * s.d_model + 2.0 * s.d_ff + 4.0 * s.d_model) * 4.0 +
                 (double)N * s.vocab * 4.0;
    if (!json) {
      printf("  weights %s (%s): %.0f M params, %.1f MiB (generated in %.1f s)\n", dm_dtype_name(s.dtype),
             path, (double)mi.n_params / 1e6, r.weights / 1048576.0, gen_s);
      printf("    sgemm peak re-measured now: %.1f GFLOP/s (ratios below use the best, %.1f)\n", peak_now, vpeak);
      printf("    full step  (prompt %d + canvas %d, %d logits rows): %.3f s, %.1f GFLOP/s = %.0f%% of sgemm peak\n",
             P, N, N, r.full_s, r.full_gflops, 100.0 * r.full_gflops / vpeak);
      printf("    prefill step (same, keeps K/V of the prompt): %.3f s\n", r.prefill_s);
      printf("    cached step (canvas %d vs cached prompt %d): %.3f s, %.1f GFLOP/s, %.2fx faster than full\n",
             N, P, r.cached_s, r.cached_gflops, r.full_s / r.cached_s);
      printf("    prompt:canvas = %d:%d: full %.3f s, cached %.3f s -> prefill speed-up %.2fx\n", P4, N4,
             r.full41_s, r.cached41_s, r.full41_s / r.cached41_s);
      printf("    CPU time (robust on a shared machine): full step %.2f CPU-s = %.1f GFLOP/CPU-s = %.0f%% of "
             "one-thread sgemm; cached %.2f CPU-s; 4:1 prefill speed-up in CPU time %.2fx\n",
             full_cpu, ff / full_cpu / 1e9, 100.0 * ff / full_cpu / 1e9 / peak1_cpu, cached_cpu,
             full41_cpu / cached41_cpu);
      printf("    peak RSS %.1f MiB = %.2f x weights (%.1f MiB) [activations ~%.1f MiB; model built in memory]\n",
             r.peak_rss / 1048576.0, r.peak_rss / r.weights, r.weights / 1048576.0, act / 1048576.0);
    } else {
      printf("%s{\"dtype\": \"%s\", \"path\": \"%s\", \"params\": %.0f, \"weight_bytes\": %.0f, \"full_s\": %.4f, "
             "\"full_gflops\": %.2f, \"full_ratio\": %.3f, \"prefill_s\": %.4f, \"cached_s\": %.4f, "
             "\"cached_gflops\": %.2f, \"speedup_4to1\": %.3f, \"full_4to1_s\": %.4f, \"cached_4to1_s\": %.4f, "
             "\"peak_rss\": %.0f, \"rss_over_weights\": %.3f, \"full_cpu_s\": %.4f, \"cpu_ratio\": %.3f, "
             "\"speedup_4to1_cpu\": %.3f}",
             k ? ", " : "", dm_dtype_name(s.dtype), path, (double)mi.n_params, r.weights, r.full_s, r.full_gflops,
             r.full_gflops / vpeak, r.prefill_s, r.cached_s, r.cached_gflops, r.full41_s / r.cached41_s,
             r.full41_s, r.cached41_s, r.peak_rss, r.peak_rss / r.weights, full_cpu,
             ff / full_cpu / 1e9 / peak1_cpu, full41_cpu / cached41_cpu);
    }
    fflush(stdout);
    dm_model_free(m);
  }
  if (json) printf("]}\n");
  return ret;
}
