/* dm_canvas_fill_text at training-data scale: every assistant answer of a corpus
 * file (train/corpus.py's JSONL) written onto its canvas — the prior's canvas
 * (priors/NAME.yaml) for the prior families, a free-text canvas of FREE positions
 * for the others. Prints the time per answer and in all, and the failures by prior
 * with the first messages (an answer that does not fit a budget is a finding about
 * the prior, not a crash).
 * Usage: fill_bench TOKENIZER PRIORS_DIR CORPUS.jsonl [FREE (default 128)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <dimple/dimple.h>

#define MAXP 32

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fill_bench TOKENIZER PRIORS_DIR CORPUS.jsonl [FREE]\n");
    return 2;
  }
  int free_len = argc > 4 ? atoi(argv[4]) : 128;
  dm_tokenizer *tok = NULL;
  dm_prior_env *env = NULL;
  dm_error e;
  if (dm_tokenizer_load(argv[1], &tok, &e) || dm_prior_env_new(tok, &env, &e)) {
    fprintf(stderr, "%s: %s\n", argv[1], e.message);
    return 1;
  }
  FILE *f = fopen(argv[3], "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", argv[3]);
    return 1;
  }
  struct { char name[64]; dm_canvas *c; long n, bad, tokens; } pr[MAXP];
  int np = 0;
  dm_canvas *free_c = NULL;
  if (dm_canvas_free_text(env, free_len, NULL, &free_c, &e)) {
    fprintf(stderr, "free text: %s\n", e.message);
    return 1;
  }
  long free_n = 0, free_bad = 0, shown = 0, lines = 0;
  double t_fill = 0, t_compile = 0, t_reset = 0;
  static char line[1 << 20];
  while (fgets(line, sizeof line, f)) {
    cJSON *ex = cJSON_Parse(line);
    if (!ex) continue;
    lines++;
    const cJSON *prior = cJSON_GetObjectItem(ex, "prior"), *msgs = cJSON_GetObjectItem(ex, "messages");
    const cJSON *last = msgs ? cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1) : NULL;
    const char *ans = last ? cJSON_GetStringValue(cJSON_GetObjectItem(last, "content")) : NULL;
    if (!ans) {
      cJSON_Delete(ex);
      continue;
    }
    dm_canvas *c = free_c;
    long *n = &free_n, *bad = &free_bad;
    if (cJSON_IsString(prior)) {
      int k = 0;
      while (k < np && strcmp(pr[k].name, prior->valuestring)) k++;
      if (k == np && np < MAXP) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.yaml", argv[2], prior->valuestring);
        dm_form *form = NULL;
        double t0 = now();
        if (dm_form_load(path, NULL, &form, &e) || dm_canvas_from_form(env, form, NULL, &pr[np].c, &e)) {
          fprintf(stderr, "%s: %s\n", path, e.message);
          return 1;
        }
        t_compile += now() - t0;
        dm_form_free(form);
        snprintf(pr[np].name, sizeof pr[np].name, "%s", prior->valuestring);
        pr[np].n = pr[np].bad = pr[np].tokens = 0;
        np++;
      }
      if (k < np) {
        c = pr[k].c;
        n = &pr[k].n;
        bad = &pr[k].bad;
      }
    }
    double t0 = now();
    dm_canvas_reset(c);
    t_reset += now() - t0;
    size_t at = 0;
    int rc = dm_canvas_fill_text(c, ans, strlen(ans), &at, &e);
    t_fill += now() - t0;
    (*n)++;
    if (rc) {
      (*bad)++;
      if (shown++ < 8) fprintf(stderr, "  %s: %s\n", cJSON_IsString(prior) ? prior->valuestring : "free text", e.message);
    }
    cJSON_Delete(ex);
  }
  fclose(f);
  long total = 0, fails = 0;
  for (int k = 0; k < np; k++) {
    printf("  %-16s %6ld answers, %4ld not written (%d positions)\n", pr[k].name, pr[k].n, pr[k].bad,
           dm_canvas_length(pr[k].c));
    total += pr[k].n;
    fails += pr[k].bad;
  }
  printf("  %-16s %6ld answers, %4ld not written (%d positions)\n", "free text", free_n, free_bad, free_len);
  total += free_n;
  fails += free_bad;
  printf("  %ld answers in %.2f s (%.1f us each, of which dm_canvas_reset %.1f us), %ld not written; canvases compiled "
         "in %.2f s\n",
         total, t_fill, total ? t_fill / (double)total * 1e6 : 0.0, total ? t_reset / (double)total * 1e6 : 0.0, fails,
         t_compile);
  for (int k = 0; k < np; k++) dm_canvas_free(pr[k].c);
  dm_canvas_free(free_c);
  dm_prior_env_free(env);
  dm_tokenizer_free(tok);
  return 0;
}
