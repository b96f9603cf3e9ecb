/* dimple eval: sums per family and configuration, the table and the JSON report. */
#include <stdlib.h>
#include <string.h>

#include "eval.h"

const char *dm_eval_mode_name(eval_mode m) { return m == EVAL_PRIOR ? "prior" : "free"; }

static int field_slot(eval_acc *a, const char *name) {
  for (int i = 0; i < a->nfields; i++)
    if (strcmp(a->field_names[i], name) == 0) return i;
  if (a->nfields == a->capfields) {
    int cap = a->capfields ? a->capfields * 2 : 8;
    char **nn = realloc(a->field_names, (size_t)cap * sizeof *nn);
    if (!nn) return -1;
    a->field_names = nn;
    long *no = realloc(a->field_ok, (size_t)cap * sizeof *no);
    if (!no) return -1;
    a->field_ok = no;
    long *nc = realloc(a->field_n, (size_t)cap * sizeof *nc);
    if (!nc) return -1;
    a->field_n = nc;
    a->capfields = cap;
  }
  if (!(a->field_names[a->nfields] = strdup(name))) return -1;
  a->field_ok[a->nfields] = 0;
  a->field_n[a->nfields] = 0;
  return a->nfields++;
}

int dm_eval_acc_add_fields(eval_acc *a, const cJSON *truth, const int *ok) {
  int i = 0;
  for (const cJSON *f = truth ? truth->child : NULL; f; f = f->next, i++) {
    int k = field_slot(a, f->string);
    if (k < 0) return DM_ENOMEM;
    a->field_ok[k] += ok[i] ? 1 : 0;
    a->field_n[k]++;
  }
  return DM_OK;
}

static int num(const cJSON *rec, const char *key, double *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(rec, key);
  if (cJSON_IsNumber(x)) *v = x->valuedouble;
  else if (cJSON_IsBool(x)) *v = cJSON_IsTrue(x);
  else return DM_EINVAL;
  return DM_OK;
}

int dm_eval_acc_add_record(eval_acc *a, const cJSON *rec) {
  double valid, exact, nfe, gen, canvas, prompt, ms, mms, cms, eos = 0, early = 0;
  const cJSON *fo = cJSON_GetObjectItemCaseSensitive(rec, "fields_ok");
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(rec, "mode");
  if (num(rec, "valid", &valid) || num(rec, "exact", &exact) || num(rec, "nfe", &nfe) ||
      num(rec, "generated_tokens", &gen) || num(rec, "canvas_tokens", &canvas) ||
      num(rec, "prompt_tokens", &prompt) || num(rec, "ms", &ms) || num(rec, "model_ms", &mms) ||
      num(rec, "constraint_ms", &cms) || !cJSON_IsObject(fo) || !cJSON_IsString(mode))
    return DM_EINVAL;
  int is_free = strcmp(mode->valuestring, "free") == 0;
  if (is_free && (num(rec, "eos", &eos) || num(rec, "early", &early))) return DM_EINVAL;
  a->n++;
  a->valid += valid != 0;
  a->exact += exact != 0;
  a->eos += eos != 0;
  a->early += early != 0;
  a->no_eos += is_free && eos == 0;
  a->nfe += (long)nfe;
  a->generated += (long)gen;
  a->canvas_tokens += (long)canvas;
  a->prompt_tokens += (long)prompt;
  a->ms += ms;
  a->model_ms += mms;
  a->constraint_ms += cms;
  for (const cJSON *f = fo->child; f; f = f->next) {
    int k = field_slot(a, f->string);
    if (k < 0) return DM_ENOMEM;
    a->field_ok[k] += cJSON_IsTrue(f);
    a->field_n[k]++;
  }
  return DM_OK;
}

int dm_eval_acc_merge(eval_acc *a, const eval_acc *b) {
  a->n += b->n;
  a->valid += b->valid;
  a->exact += b->exact;
  a->early += b->early;
  a->no_eos += b->no_eos;
  a->eos += b->eos;
  a->nfe += b->nfe;
  a->generated += b->generated;
  a->canvas_tokens += b->canvas_tokens;
  a->prompt_tokens += b->prompt_tokens;
  a->ms += b->ms;
  a->model_ms += b->model_ms;
  a->constraint_ms += b->constraint_ms;
  for (int i = 0; i < b->nfields; i++) {
    int k = field_slot(a, b->field_names[i]);
    if (k < 0) return DM_ENOMEM;
    a->field_ok[k] += b->field_ok[i];
    a->field_n[k] += b->field_n[i];
  }
  return DM_OK;
}

void dm_eval_acc_free(eval_acc *a) {
  if (!a) return;
  for (int i = 0; i < a->nfields; i++) free(a->field_names[i]);
  free(a->field_names);
  free(a->field_ok);
  free(a->field_n);
  memset(a, 0, sizeof *a);
}

static double rate(long k, long n) { return n ? (double)k / (double)n : 0.0; }
static double nfe_per_token(const eval_acc *a) { return a->generated ? (double)a->nfe / (double)a->generated : 0.0; }

/* ------------------------------------------------------------------ table */

static void row(FILE *f, const char *name, const eval_acc *a, eval_mode m) {
  fprintf(f, "%-18s %5ld %7.1f%% %7.1f%%", name, a->n, 100 * rate(a->exact, a->n), 100 * rate(a->valid, a->n));
  if (m == EVAL_FREE) fprintf(f, " %7.1f%% %7.1f%%", 100 * rate(a->early, a->n), 100 * rate(a->no_eos, a->n));
  fprintf(f, " %8.3f %8.1f %8.1f %9.2f\n", nfe_per_token(a), a->n ? (double)a->nfe / a->n : 0.0,
          a->n ? (double)a->generated / a->n : 0.0, a->n ? a->ms / a->n : 0.0);
}

/* The first configuration with mode m and strategy s, or -1. */
static int find_cfg(const eval_cfg *cfgs, int ncfg, eval_mode m, dm_strategy s) {
  for (int i = 0; i < ncfg; i++)
    if (cfgs[i].mode == m && cfgs[i].strategy == s && cfgs[i].all.n) return i;
  return -1;
}

void dm_eval_report_print(FILE *f, const eval_set *s, const eval_cfg *cfgs, int ncfg) {
  for (int c = 0; c < ncfg; c++) {
    const eval_cfg *g = &cfgs[c];
    fprintf(f, "%s%s mode, %s", c ? "\n" : "", dm_eval_mode_name(g->mode), dm_strategy_name(g->strategy));
    if (g->strategy == DM_STRATEGY_CONFIDENT || g->strategy == DM_STRATEGY_FASTDLLM)
      fprintf(f, " (threshold %g)", g->threshold);
    fprintf(f, ": %ld outputs in %.1f s\n", g->all.n, g->wall_ms / 1e3);
    if (!g->all.n) {
      fprintf(f, "  (no family to run: prior mode needs families with a prior)\n");
      continue;
    }
    fprintf(f, "%-18s %5s %8s %8s", "family", "n", "exact", "valid");
    if (g->mode == EVAL_FREE) fprintf(f, " %8s %8s", "early", "no-EOS");
    fprintf(f, " %8s %8s %8s %9s\n", "NFE/tok", "NFE/out", "tok/out", "ms/out");
    for (int i = 0; i < s->nfam; i++)
      if (g->fam[i].n) row(f, s->families[i], &g->fam[i], g->mode);
    row(f, "overall", &g->all, g->mode);
    fprintf(f, "per-field accuracy:\n");
    for (int i = 0; i < s->nfam; i++) {
      const eval_acc *a = &g->fam[i];
      if (!a->n) continue;
      fprintf(f, "  %-16s", s->families[i]);
      for (int k = 0; k < a->nfields; k++) fprintf(f, " %s %.1f%%", a->field_names[k], 100 * rate(a->field_ok[k], a->field_n[k]));
      fputc('\n', f);
    }
  }
  for (int m = 0; m < 2; m++) {
    int ci = find_cfg(cfgs, ncfg, (eval_mode)m, DM_STRATEGY_CONFIDENT);
    int mi = find_cfg(cfgs, ncfg, (eval_mode)m, DM_STRATEGY_MASKGIT);
    if (ci < 0 || mi < 0) continue;
    const eval_acc *a = &cfgs[ci].all, *b = &cfgs[mi].all;
    double ea = 100 * rate(a->exact, a->n), eb = 100 * rate(b->exact, b->n);
    double na = nfe_per_token(a), nb = nfe_per_token(b), ratio = nb > 0 ? na / nb : 0;
    int ok_nfe = a->generated && na <= 0.33, ok_acc = ea >= eb - 1.0;
    fprintf(f, "\nconfident vs maskgit, %s mode: exact match %.1f%% vs %.1f%% (%+.1f points); "
            "NFE per generated token %.3f vs %.3f (%.2fx)\n", dm_eval_mode_name((eval_mode)m), ea, eb, ea - eb, na, nb,
            ratio);
    fprintf(f, "  acceptance: NFE <= 0.33 x generated tokens: %s; exact match within 1 point of maskgit: %s\n",
            ok_nfe ? "met" : "NOT met", ok_acc ? "met" : "NOT met");
  }
}

/* ------------------------------------------------------------------ JSON */

static cJSON *acc_json(const eval_acc *a, eval_mode m) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "n", (double)a->n);
  cJSON_AddNumberToObject(o, "exact_match", rate(a->exact, a->n));
  cJSON_AddNumberToObject(o, "valid", rate(a->valid, a->n));
  if (m == EVAL_FREE) {
    cJSON_AddNumberToObject(o, "early", rate(a->early, a->n));
    cJSON_AddNumberToObject(o, "no_eos", rate(a->no_eos, a->n));
  }
  cJSON_AddNumberToObject(o, "nfe_per_token", nfe_per_token(a));
  cJSON_AddNumberToObject(o, "nfe", (double)a->nfe);
  cJSON_AddNumberToObject(o, "generated_tokens", (double)a->generated);
  cJSON_AddNumberToObject(o, "canvas_tokens", (double)a->canvas_tokens);
  cJSON_AddNumberToObject(o, "prompt_tokens", (double)a->prompt_tokens);
  cJSON_AddNumberToObject(o, "ms_per_output", a->n ? a->ms / a->n : 0.0);
  cJSON_AddNumberToObject(o, "decode_ms", a->ms);
  cJSON_AddNumberToObject(o, "model_ms", a->model_ms);
  cJSON_AddNumberToObject(o, "constraint_ms", a->constraint_ms);
  cJSON *fl = cJSON_AddObjectToObject(o, "fields");
  for (int k = 0; k < a->nfields; k++) cJSON_AddNumberToObject(fl, a->field_names[k], rate(a->field_ok[k], a->field_n[k]));
  return o;
}

cJSON *dm_eval_report_json(const eval_set *s, const eval_cfg *cfgs, int ncfg) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(root, "configs");
  for (int c = 0; c < ncfg; c++) {
    const eval_cfg *g = &cfgs[c];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", dm_eval_mode_name(g->mode));
    cJSON_AddStringToObject(o, "strategy", dm_strategy_name(g->strategy));
    cJSON_AddNumberToObject(o, "threshold", g->threshold);
    cJSON_AddNumberToObject(o, "wall_s", g->wall_ms / 1e3);
    cJSON_AddItemToObject(o, "overall", acc_json(&g->all, g->mode));
    cJSON *fams = cJSON_AddObjectToObject(o, "families");
    for (int i = 0; i < s->nfam; i++)
      if (g->fam[i].n) cJSON_AddItemToObject(fams, s->families[i], acc_json(&g->fam[i], g->mode));
    cJSON_AddItemToArray(arr, o);
  }
  cJSON *cmp = cJSON_AddArrayToObject(root, "comparisons");
  for (int m = 0; m < 2; m++) {
    int ci = find_cfg(cfgs, ncfg, (eval_mode)m, DM_STRATEGY_CONFIDENT);
    int mi = find_cfg(cfgs, ncfg, (eval_mode)m, DM_STRATEGY_MASKGIT);
    if (ci < 0 || mi < 0) continue;
    const eval_acc *a = &cfgs[ci].all, *b = &cfgs[mi].all;
    double ea = rate(a->exact, a->n), eb = rate(b->exact, b->n);
    double na = nfe_per_token(a), nb = nfe_per_token(b);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", dm_eval_mode_name((eval_mode)m));
    cJSON_AddNumberToObject(o, "exact_match_confident", ea);
    cJSON_AddNumberToObject(o, "exact_match_maskgit", eb);
    cJSON_AddNumberToObject(o, "accuracy_diff_points", 100 * (ea - eb));
    cJSON_AddNumberToObject(o, "nfe_per_token_confident", na);
    cJSON_AddNumberToObject(o, "nfe_per_token_maskgit", nb);
    cJSON_AddNumberToObject(o, "nfe_ratio", nb > 0 ? na / nb : 0);
    cJSON_AddBoolToObject(o, "accept_nfe", a->generated && na <= 0.33);
    cJSON_AddBoolToObject(o, "accept_accuracy", 100 * ea >= 100 * eb - 1.0);
    cJSON_AddItemToArray(cmp, o);
  }
  return root;
}
