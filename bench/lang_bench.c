/* Language compiler benchmark (make bench-lang): the spec → minimal DFA part of
 * compiling, without a tokenizer. Compiles every JSON-Schema-Test-Suite schema the
 * compiler accepts (generation mode, default dm_schema_params) with
 * dm_lang_from_schema and every form in priors/ with dm_lang_from_form, ROUNDS
 * times each, and reports the per-spec time (best of the rounds) p50 / p99 / max
 * and the ten slowest specs.
 *
 * With --digest it prints, instead of timings, one line per spec: its name, the
 * state and byte-class counts of its minimal DFA and a hash of the DFA's tables.
 * Minimal DFAs are numbered canonically (breadth-first), so equal digests before
 * and after a change to the automaton code mean the same languages.
 *
 * With --list it prints every spec's time and DFA size, slowest first.
 *
 * --only NAME keeps the specs whose name starts with NAME (for profiling).
 * --spec-mode and --depth N change the schema parameters (spec_mode, any_depth).
 *
 * Usage: lang_bench [--digest] [--list] [--rounds N] [--only NAME] [--spec-mode] [--depth N]
 *                   SUITE_DIR PRIORS_DIR */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <dimple/dimple.h>

#include "../lib/prior/dfa.h"
#include "../lib/prior/schema.h"
#include "../lib/prior/template.h"
#include "../tests/testfile.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct spec {
  char name[160];
  char *text;   /* schema JSON (owned), or NULL for a form */
  dm_form *form;
  double best;
  int states;
} spec;

static spec *specs;
static const char *only; /* name prefix filter, or NULL */
static dm_schema_params params; /* for every spec */
static int nspecs, capspecs;

static spec *spec_add(void) {
  if (nspecs == capspecs) {
    capspecs = capspecs ? capspecs * 2 : 256;
    specs = realloc(specs, (size_t)capspecs * sizeof *specs);
    if (!specs) { fprintf(stderr, "out of memory\n"); exit(1); }
  }
  spec *s = &specs[nspecs++];
  memset(s, 0, sizeof *s);
  s->best = 1e300;
  return s;
}

static int compile(const spec *s, dm_lang **out, dm_error *e) {
  return s->form ? dm_lang_from_form(s->form, &params, NULL, out, e)
                 : dm_lang_from_schema(s->text, strlen(s->text), &params, out, e);
}

static int by_dir(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void load_suite(const char *dir) {
  struct dirent **ents;
  int n = scandir(dir, &ents, NULL, by_dir);
  for (int i = 0; i < n; i++) {
    const char *nm = ents[i]->d_name;
    size_t l = strlen(nm);
    if (l > 5 && strcmp(nm + l - 5, ".json") == 0) {
      char path[8192];
      snprintf(path, sizeof path, "%s/%s", dir, nm);
      char *buf = dm_test_read_file(path, NULL);
      if (buf) {
        cJSON *groups = cJSON_Parse(buf);
        free(buf);
        int g_i = 0;
        for (cJSON *g = groups ? groups->child : NULL; g; g = g->next, g_i++) {
          char name[160];
          snprintf(name, sizeof name, "%.*s#%d", (int)(l - 5 > 140 ? 140 : l - 5), nm, g_i);
          if (only && strncmp(name, only, strlen(only)) != 0) continue;
          char *st = cJSON_PrintUnformatted(cJSON_GetObjectItem(g, "schema"));
          dm_lang *lang = NULL;
          dm_error e;
          if (st && dm_lang_from_schema(st, strlen(st), &params, &lang, &e) == DM_OK) {
            spec *s = spec_add();
            memcpy(s->name, name, sizeof s->name);
            s->text = strdup(st);
          }
          dm_lang_free(lang);
          cJSON_free(st);
        }
        cJSON_Delete(groups);
      }
    }
    free(ents[i]);
  }
  free(ents);
}

static void load_priors(const char *dir) {
  struct dirent **ents;
  int n = scandir(dir, &ents, NULL, by_dir);
  for (int i = 0; i < n; i++) {
    const char *nm = ents[i]->d_name;
    size_t l = strlen(nm);
    char name[160];
    snprintf(name, sizeof name, "priors/%.140s", nm);
    if (l > 5 && strcmp(nm + l - 5, ".yaml") == 0 && (!only || strncmp(name, only, strlen(only)) == 0)) {
      char path[8192];
      snprintf(path, sizeof path, "%s/%s", dir, nm);
      dm_form *form = NULL;
      dm_error e;
      dm_lang *lang = NULL;
      if (dm_form_load(path, NULL, &form, &e) == DM_OK && dm_lang_from_form(form, &params, NULL, &lang, &e) == DM_OK) {
        spec *s = spec_add();
        memcpy(s->name, name, sizeof s->name);
        s->form = form;
        form = NULL;
      }
      dm_lang_free(lang);
      dm_form_free(form);
    }
    free(ents[i]);
  }
  free(ents);
}

/* The minimal DFA of a spec through the internal compilers (same as dm_lang_*). */
static dm_dfa *spec_dfa(const spec *s) {
  dm_dfa *d = NULL;
  dm_error e;
  const char *text = s->form ? dm_form_spec(s->form) : s->text;
  if (s->form && !dm_form_is_json(s->form)) {
    dm_template t;
    if (dm_template_parse(text, strlen(text), NULL, &t, &e) == DM_OK) {
      dm_template_dfa(&t, &d, &e);
      dm_template_free(&t);
    }
    return d;
  }
  cJSON *doc = cJSON_Parse(text);
  if (doc) dm_schema_compile(doc, &params, &d, NULL, &e);
  cJSON_Delete(doc);
  return d;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
  return h;
}

static int cmp_best_desc(const void *a, const void *b) {
  double x = ((const spec *)a)->best, y = ((const spec *)b)->best;
  return x > y ? -1 : x < y;
}
static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int digest = 0, list = 0, rounds = 3;
  params = dm_schema_default_params();
  int ai = 1;
  for (; ai < argc && argv[ai][0] == '-'; ai++) {
    if (strcmp(argv[ai], "--digest") == 0) digest = 1;
    else if (strcmp(argv[ai], "--list") == 0) list = 1;
    else if (strcmp(argv[ai], "--only") == 0 && ai + 1 < argc) only = argv[++ai];
    else if (strcmp(argv[ai], "--spec-mode") == 0) params.spec_mode = 1;
    else if (strcmp(argv[ai], "--depth") == 0 && ai + 1 < argc) params.any_depth = atoi(argv[++ai]);
    else if (strcmp(argv[ai], "--rounds") == 0 && ai + 1 < argc) rounds = atoi(argv[++ai]);
    else break;
  }
  if (argc - ai != 2 || rounds < 1) {
    fprintf(stderr, "usage: lang_bench [--digest] [--list] [--rounds N] [--only NAME] [--spec-mode] [--depth N] SUITE_DIR PRIORS_DIR\n");
    return 2;
  }
  dm_log_set_level(DM_LOG_ERROR);
  load_suite(argv[ai]);
  load_priors(argv[ai + 1]);
  if (!nspecs) { fprintf(stderr, "lang_bench: no specs found\n"); return 1; }

  if (digest) {
    for (int i = 0; i < nspecs; i++) {
      dm_dfa *d = spec_dfa(&specs[i]);
      if (!d) { printf("%s error\n", specs[i].name); continue; }
      uint64_t h = 1469598103934665603ULL;
      h = fnv(h, d->class_of, sizeof d->class_of);
      h = fnv(h, d->accept, (size_t)d->nstates);
      h = fnv(h, d->next, (size_t)d->nstates * (size_t)d->nclasses * sizeof *d->next);
      printf("%s states %d classes %d digest %016llx\n", specs[i].name, d->nstates, d->nclasses, (unsigned long long)h);
      dm_dfa_free(d);
    }
    return 0;
  }

  double total = 0;
  for (int r = 0; r < rounds; r++)
    for (int i = 0; i < nspecs; i++) {
      dm_lang *lang = NULL;
      dm_error e;
      double a = now_ms();
      int rc = compile(&specs[i], &lang, &e);
      double t = now_ms() - a;
      if (!rc) specs[i].states = dm_lang_states(lang);
      dm_lang_free(lang);
      if (rc) { fprintf(stderr, "%s: %s\n", specs[i].name, e.message); return 1; }
      if (t < specs[i].best) specs[i].best = t;
      total += t;
    }
  double *v = malloc((size_t)nspecs * sizeof *v);
  for (int i = 0; i < nspecs; i++) v[i] = specs[i].best;
  qsort(v, (size_t)nspecs, sizeof *v, cmpd);
  printf("  %d specs (suite schemas the compiler accepts + priors), best of %d rounds each, %.0f ms in all\n",
         nspecs, rounds, total);
  printf("  spec -> minimal DFA   p50 %8.3f ms   p99 %8.3f ms   max %8.3f ms   mean %8.3f ms\n",
         v[(size_t)(0.5 * (nspecs - 1) + 0.5)], v[(size_t)(0.99 * (nspecs - 1) + 0.5)], v[nspecs - 1],
         total / rounds / nspecs);
  qsort(specs, (size_t)nspecs, sizeof *specs, cmp_best_desc);
  printf("  slowest:\n");
  for (int i = 0; i < nspecs && (list || i < 10); i++)
    printf("    %8.3f ms  %-32s %6d states\n", specs[i].best, specs[i].name, specs[i].states);
  for (int i = 0; i < nspecs; i++) {
    free(specs[i].text);
    dm_form_free(specs[i].form);
  }
  free(specs);
  free(v);
  return 0;
}
