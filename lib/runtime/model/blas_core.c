/* Which OpenBLAS core is in use, and which one this CPU could use.
 *
 * Debian's OpenBLAS is built with DYNAMIC_ARCH and picks its kernels from CPUID in a
 * library constructor. On some virtual machines it misdetects the CPU (e.g. an
 * AVX-512 Xeon under KVM reported as "Prescott") and runs SSE3 kernels, many times
 * slower. OPENBLAS_CORETYPE overrides the choice but is read only at load time, so
 * the dimple program re-executes itself with it set (cli/blas_env.c). */
#include <strings.h>

#include <cblas.h>

#include "internal.h"

const char *dm_blas_corename(void) {
  const char *n = openblas_get_corename();
  return n ? n : "unknown";
}

static int is_one_of(const char *n, const char *const *list) {
  for (; *list; list++)
    if (strcasecmp(n, *list) == 0) return 1;
  return 0;
}

const char *dm_blas_better_coretype(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
  static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                     "SapphireRapids", NULL};
  const char *cur = dm_blas_corename();
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512cd"))
    return is_one_of(cur, avx512) ? NULL : "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return is_one_of(cur, avx2) ? NULL : "Haswell";
#endif
  return NULL;
}

/* ------------------------------------------------------------------ sgemm peak */
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
         1e-6 * (double)ru.ru_stime.tv_usec;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int dm_blas_sgemm_peak(int n, int n_threads, int reps, double *gflops, double *gflops_cpu) {
  *gflops = 0;
  if (gflops_cpu) *gflops_cpu = 0;
  if (n < 16 || reps < 1) return DM_EINVAL;
  size_t nn = (size_t)n * (size_t)n;
  float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
  if (!a || !b || !c) {
    free(a);
    free(b);
    free(c);
    return DM_ENOMEM;
  }
  for (size_t i = 0; i < nn; i++) {
    a[i] = (float)((i * 2654435761u) % 1000) * 1e-3f;
    b[i] = (float)((i * 40503u) % 1000) * 1e-3f;
  }
  int prev = openblas_get_num_threads();
  openblas_set_num_threads(n_threads > 0 ? n_threads : 1);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  double best = 1e30, bestc = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = now_s(), c0 = cpu_s();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double t = now_s() - t0, tc = cpu_s() - c0;
    if (t < best) best = t;
    if (tc > 0 && tc < bestc) bestc = tc;
  }
  openblas_set_num_threads(prev);
  *gflops = 2.0 * (double)n * (double)n * (double)n / best / 1e9;
  if (gflops_cpu) *gflops_cpu = 2.0 * (double)n * (double)n * (double)n / bestc / 1e9;
  free(a);
  free(b);
  free(c);
  return DM_OK;
}
