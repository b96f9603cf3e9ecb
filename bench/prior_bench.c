/* Prior compiler benchmark (make bench-prior): for the Qwen3 and Llama 3
 * vocabularies, compile every JSON-Schema-Test-Suite schema the compiler accepts
 * (generation mode canvases) and every spec in priors/, after the tokenizer and the
 * prior environment are loaded; report compile time p50/p99, allowed() and commit()
 * latencies over random fills (p50/p99), and automaton memory per spec (max).
 * Targets (issue 5): compile p50 <= 2 ms, p99 <= 50 ms; allowed() p50 <= 50 us,
 * p99 <= 1 ms; commit() p50 <= 50 us; memory <= 64 MB per spec.
 * Usage: prior_bench TOKENIZER.json SUITE_DIR PRIORS_DIR */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <dimple/dimple.h>

/* PRIOR_BENCH_CLOCK=cpu: this thread's CPU time instead of wall time (a shared,
 * busy machine: time spent waiting for a core is left out) */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(bench_clock, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

typedef struct samples { double *v; size_t n, cap; } samples;
static void add(samples *s, double x) {
  if (s->n == s->cap) { s->cap = s->cap ? s->cap * 2 : 1024; s->v = realloc(s->v, s->cap * sizeof *s->v); }
  s->v[s->n++] = x;
}
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double pct(samples *s, double p) {
  if (!s->n) return 0;
  qsort(s->v, s->n, sizeof *s->v, cmpd);
  size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);
  return s->v[i];
}

#define TEST_RNG_SEED 42
#include "../tests/testrng.h"
#include "../tests/testfile.h"

static samples t_compile, t_allowed, t_commit;

/* PRIOR_BENCH_VERBOSE=1: one line per spec on stderr (compile ms, slots, states). */
static int verbose, compile_only;
static const char *only;
static int repeat = 1;
static double lang_ms; /* verbose: the language alone (compiled again) */
static void report(const char *what, double ms, const dm_canvas *c) {
  if (!verbose) return;
  int st = 0, ns = dm_canvas_slot_count(c), mx = 0, rw = 0, rt = 0, nt = 0, rs = 0, rf = 0, rh = 0;
  for (int i = 0; i < ns; i++) {
    dm_canvas_slot_info in;
    dm_canvas_slot(c, i, &in);
    st += in.states;
    rw += in.rows_walked;
    rt += in.rows_templated;
    nt += in.templates;
    rs += in.rows_shifted;
    rf += in.rows_filtered;
    rh += in.rows_shared;
    if (in.states > mx) mx = in.states;
  }
  fprintf(stderr, "%9.2f ms (language %7.2f ms)  %3d slots  %6d states (max %5d)  rows %d walked, %d templated (%d templates), %d shifted, %d filtered, %d shared  %.1f MB  %s\n",
          ms, lang_ms, ns, st, mx, rw, rt, nt, rs, rf, rh, dm_canvas_memory(c) / 1048576.0, what);
}
static size_t max_mem;
static int specs, refused;

static void measure(dm_canvas *c) {
  if (compile_only) return;
  size_t mem = dm_canvas_memory(c);
  int32_t n = dm_canvas_length(c);
  uint64_t *bits = malloc(dm_canvas_vocab_words(c) * 8);
  for (int32_t k = 0; k < n; k++) {
    int32_t pos = (int32_t)(rnd() % (uint64_t)n);
    for (int32_t j = 0; j < n && dm_canvas_token(c, pos) >= 0; j++) pos = (pos + 1) % n;
    if (dm_canvas_token(c, pos) >= 0) break;
    double t0 = now_us();
    int32_t cnt = dm_canvas_allowed(c, pos, bits);
    add(&t_allowed, now_us() - t0);
    if (cnt <= 0) break;
    int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), t = -1;
    for (size_t w = 0; t < 0; w++)
      for (uint64_t b = bits[w]; b; b &= b - 1)
        if (pick-- == 0) { t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b)); break; }
    t0 = now_us();
    dm_canvas_commit(c, pos, t);
    add(&t_commit, now_us() - t0);
  }
  mem = dm_canvas_memory(c) > mem ? dm_canvas_memory(c) : mem;
  if (mem > max_mem) max_mem = mem;
  free(bits);
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: prior_bench TOKENIZER SUITE_DIR PRIORS_DIR\n"); return 2; }
  dm_tokenizer *tok;
  dm_prior_env *env;
  dm_error e;
  if (getenv("PRIOR_BENCH_CLOCK") && strcmp(getenv("PRIOR_BENCH_CLOCK"), "cpu") == 0) bench_clock = CLOCK_THREAD_CPUTIME_ID;
  double t0 = now_us();
  if (dm_tokenizer_load(argv[1], &tok, &e)) { fprintf(stderr, "%s\n", e.message); return 1; }
  double t1 = now_us();
  if (dm_prior_env_new(tok, &env, &e)) { fprintf(stderr, "%s\n", e.message); return 1; }
  double t2 = now_us();
  dm_log_set_level(DM_LOG_ERROR);
  verbose = getenv("PRIOR_BENCH_VERBOSE") && *getenv("PRIOR_BENCH_VERBOSE") == '1';
  /* PRIOR_BENCH_COMPILE_ONLY=1: compile times only (no fills), for profiling */
  only = getenv("PRIOR_BENCH_ONLY");
  if (getenv("PRIOR_BENCH_REPEAT")) repeat = atoi(getenv("PRIOR_BENCH_REPEAT"));
  compile_only = getenv("PRIOR_BENCH_COMPILE_ONLY") && *getenv("PRIOR_BENCH_COMPILE_ONLY") == '1';
  DIR *dh = opendir(argv[2]);
  struct dirent *de;
  while (dh && (de = readdir(dh))) {
    if (!strstr(de->d_name, ".json")) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", argv[2], de->d_name);
    char *buf = dm_test_read_file(path, NULL);
    if (!buf) continue;
    cJSON *groups = cJSON_Parse(buf);
    free(buf);
    for (cJSON *g = groups ? groups->child : NULL; g; g = g->next) {
      if (only) { /* PRIOR_BENCH_ONLY=TEXT: the specs whose "file: description" holds TEXT */
        char what[300];
        cJSON *d = cJSON_GetObjectItem(g, "description");
        snprintf(what, sizeof what, "%s: %s", de->d_name, cJSON_IsString(d) ? d->valuestring : "?");
        if (!strstr(what, only)) continue;
      }
      char *st = cJSON_PrintUnformatted(cJSON_GetObjectItem(g, "schema"));
      dm_canvas *c = NULL;
      for (int r = 1; r < repeat; r++) { /* PRIOR_BENCH_REPEAT=N: compiled N times (profiling) */
        dm_canvas_from_schema(env, st, strlen(st), NULL, &c, &e);
        dm_canvas_free(c);
        c = NULL;
      }
      double a = now_us();
      int rc = dm_canvas_from_schema(env, st, strlen(st), NULL, &c, &e);
      double b = now_us();
      if (rc == DM_OK) {
        add(&t_compile, (b - a) / 1e3);
        if (verbose) {
          dm_lang *l = NULL;
          double la = now_us();
          dm_lang_from_schema(st, strlen(st), NULL, &l, &e);
          lang_ms = (now_us() - la) / 1e3;
          dm_lang_free(l);
        }
        specs++;
        measure(c);
        char what[300];
        cJSON *d = cJSON_GetObjectItem(g, "description");
        snprintf(what, sizeof what, "%s: %s", de->d_name, cJSON_IsString(d) ? d->valuestring : "?");
        report(what, (b - a) / 1e3, c);
      }
      else refused++;
      dm_canvas_free(c);
      cJSON_free(st);
    }
    cJSON_Delete(groups);
  }
  if (dh) closedir(dh);
  dh = opendir(argv[3]);
  while (dh && (de = readdir(dh))) {
    if (!strstr(de->d_name, ".yaml") || (only && !strstr(de->d_name, only))) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", argv[3], de->d_name);
    dm_form *form = NULL;
    if (dm_form_load(path, NULL, &form, &e)) continue;
    dm_canvas *c = NULL;
    double a = now_us();
    int rc = dm_canvas_from_form(env, form, NULL, &c, &e);
    double b = now_us();
    if (rc == DM_OK) { add(&t_compile, (b - a) / 1e3); specs++; measure(c); report(de->d_name, (b - a) / 1e3, c); }
    dm_canvas_free(c);
    dm_form_free(form);
  }
  if (dh) closedir(dh);
  printf("  tokenizer load %.0f ms, prior environment %.0f ms (once per tokenizer)\n", (t1 - t0) / 1e3, (t2 - t1) / 1e3);
  printf("  %d specs compiled (%d refused or infeasible)\n", specs, refused);
  printf("  compile      p50 %8.2f ms   p99 %8.2f ms   (target p50 <= 2 ms, p99 <= 50 ms)\n", pct(&t_compile, .5), pct(&t_compile, .99));
  printf("  allowed()    p50 %8.1f us   p99 %8.1f us   (target p50 <= 50 us, p99 <= 1000 us; %zu calls)\n", pct(&t_allowed, .5), pct(&t_allowed, .99), t_allowed.n);
  printf("  commit()     p50 %8.1f us   p99 %8.1f us   (target p50 <= 50 us; %zu calls)\n", pct(&t_commit, .5), pct(&t_commit, .99), t_commit.n);
  printf("  automaton memory, largest spec: %.1f MB (target <= 64 MB)\n", max_mem / 1048576.0);
  dm_prior_env_free(env);
  dm_tokenizer_free(tok);
  return 0;
}
