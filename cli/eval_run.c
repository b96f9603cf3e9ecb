/* dimple eval: selecting and checking the examples, compiling their priors, and
 * decoding one configuration into scored output records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval.h"
#include "gen.h"

#undef CMD
#define CMD "eval"

void dm_eval_run_free(eval_run *R) {
  dm_eval_set_free(&R->set);
  for (int i = 0; i < R->npriors; i++) {
    free(R->priors[i].name);
    free(R->priors[i].path);
  }
  free(R->priors);
  free(R->ex_prior);
  free(R->fam_on);
  free(R->fam_json);
  free(R->fam_free_tokens);
  R->priors = NULL;
  R->npriors = 0;
  R->ex_prior = R->fam_on = R->fam_json = R->fam_free_tokens = NULL;
}

/* "dimple eval: error: DATA:LINE: message [CODE]"; returns the exit code of rc. */
static int fail_at(const eval_run *R, const eval_ex *e, int rc, const char *msg) {
  fprintf(stderr, "dimple " CMD ": error: %s:%ld: %s [%s]\n", R->data, e->line, msg, dm_err_name(rc));
  return dm_cli_exit_code(rc);
}

static int oom(void) {
  fprintf(stderr, "dimple " CMD ": error: out of memory [DM_ENOMEM]\n");
  return DM_EXIT_RUNTIME;
}

static int select_families(eval_run *R, const char *families) {
  eval_set *s = &R->set;
  if (!families) {
    for (int i = 0; i < s->nfam; i++) R->fam_on[i] = 1;
    return DM_EXIT_OK;
  }
  for (const char *p = families; *p;) {
    size_t n = strcspn(p, ",");
    char name[256];
    if (n == 0 || n >= sizeof name)
      return dm_cli_usage_error(CMD, "--families wants names separated by commas, not '%s'", families);
    memcpy(name, p, n);
    name[n] = 0;
    int i = dm_eval_family_index(s, name);
    if (i < 0) {
      char have[4096] = "";
      for (int k = 0; k < s->nfam; k++) {
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%s", k ? ", " : "", s->families[k]);
      }
      return dm_cli_usage_error(CMD, "unknown family '%s' (%s has: %s)", name, R->data, have);
    }
    R->fam_on[i] = 1;
    p += n;
    if (*p == ',') p++;
  }
  return DM_EXIT_OK;
}

/* The compiled prior of example e (compiled on first use); *pi its index. */
static int prior_get(eval_run *R, const eval_ex *e, const char *path, int *pi) {
  for (int j = 0; j < R->npriors; j++)
    if (strcmp(R->priors[j].name, e->prior) == 0) {
      *pi = j;
      return DM_EXIT_OK;
    }
  dm_cli_spec *spec = NULL;
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_gen_spec(R->g, 'p', path, 0, &spec, &err);
  if (rc) return dm_cli_fail(CMD, rc, &err);
  eval_prior *np = realloc(R->priors, (size_t)(R->npriors + 1) * sizeof *np);
  if (!np) return oom();
  R->priors = np;
  eval_prior *ep = &R->priors[R->npriors];
  memset(ep, 0, sizeof *ep);
  ep->name = strdup(e->prior);
  ep->path = strdup(path);
  if (!ep->name || !ep->path) {
    free(ep->name);
    free(ep->path);
    return oom();
  }
  ep->instr = dm_form_instruction(spec->form);
  ep->lang = spec->lang;
  ep->is_json = spec->is_json;
  ep->canvas_len = dm_canvas_length(spec->canvas);
  *pi = R->npriors++;
  return DM_EXIT_OK;
}

int dm_eval_prepare(eval_run *R, const char *families) {
  eval_set *s = &R->set;
  free(R->ex_prior);
  free(R->fam_on);
  free(R->fam_json);
  free(R->fam_free_tokens);
  R->fam_on = calloc((size_t)s->nfam, sizeof *R->fam_on);
  R->fam_json = calloc((size_t)s->nfam, sizeof *R->fam_json);
  R->fam_free_tokens = calloc((size_t)s->nfam, sizeof *R->fam_free_tokens);
  R->ex_prior = calloc((size_t)s->n, sizeof *R->ex_prior);
  if (!R->fam_on || !R->fam_json || !R->fam_free_tokens || !R->ex_prior) return oom();
  int ex = select_families(R, families);
  if (ex) return ex;
  for (int i = 0; i < s->nfam; i++) R->fam_free_tokens[i] = R->free_tokens;
  for (int k = 0; k < s->n; k++) {
    const eval_ex *e = &s->ex[k];
    int fi = dm_eval_family_index(s, e->family);
    R->ex_prior[k] = -1;
    if (!R->fam_on[fi]) continue;
    if (!e->prior) {
      R->fam_json[fi] = e->answer[0] == '{' || e->answer[0] == '[';
      continue;
    }
    size_t n = strlen(R->priors_dir) + strlen(e->prior) + 8;
    char *path = malloc(n);
    if (!path) return oom();
    snprintf(path, n, "%s/%s.yaml", R->priors_dir, e->prior);
    if (access(path, R_OK) != 0) {
      char msg[1024];
      snprintf(msg, sizeof msg, "unknown prior '%s': no %s (--priors DIR)", e->prior, path);
      free(path);
      return fail_at(R, e, DM_ESPEC, msg);
    }
    R->ex_prior[k] = EVAL_HAS_PRIOR;
    if (!R->g) { /* before the model is loaded: names only */
      free(path);
      continue;
    }
    int pi = -1;
    ex = prior_get(R, e, path, &pi);
    free(path);
    if (ex) return ex;
    const eval_prior *ep = &R->priors[pi];
    size_t il = strlen(ep->instr);
    if (strncmp(e->user, ep->instr, il) != 0 || (e->user[il] && strncmp(e->user + il, "\n\n", 2) != 0)) {
      char msg[1024];
      snprintf(msg, sizeof msg, "the user message does not start with the instruction of %s and a blank line "
               "(data and priors do not belong together: regenerate the data)", ep->path);
      return fail_at(R, e, DM_ESPEC, msg);
    }
    R->ex_prior[k] = pi;
    R->fam_json[fi] = ep->is_json;
    if (!R->fam_free_tokens[fi]) R->fam_free_tokens[fi] = ep->canvas_len;
  }
  for (int i = 0; i < s->nfam; i++)
    if (!R->fam_free_tokens[i]) R->fam_free_tokens[i] = 64;
  return DM_EXIT_OK;
}

/* Calls f(R, k, j, user) for each example k a configuration of mode m runs, j its
 * position among them; stops at a non-zero return. */
typedef int (*each_fn)(eval_run *R, int k, long j, void *user);
static int each_example(const eval_run *R, eval_mode m, each_fn f, void *user) {
  int *seen = calloc((size_t)R->set.nfam, sizeof *seen);
  if (!seen) return oom();
  long j = 0;
  int ex = DM_EXIT_OK;
  for (int k = 0; k < R->set.n && !ex; k++) {
    int fi = dm_eval_family_index(&R->set, R->set.ex[k].family);
    if (!R->fam_on[fi] || (R->per_family && seen[fi] >= R->per_family)) continue;
    if (m == EVAL_PRIOR && R->ex_prior[k] == -1) continue;
    seen[fi]++;
    ex = f((eval_run *)R, k, j++, user);
  }
  free(seen);
  return ex;
}

static int count_one(eval_run *R, int k, long j, void *user) {
  (void)R, (void)k, (void)j;
  ++*(long *)user;
  return 0;
}

long dm_eval_count(const eval_run *R, eval_mode m) {
  long n = 0;
  each_example(R, m, count_one, &n);
  return n;
}

/* Does the canvas hold an EOS anywhere? */
static int canvas_has_eos(const dm_canvas *c) {
  int32_t eos = dm_canvas_eos(c), n = dm_canvas_length(c);
  for (int32_t i = 0; eos >= 0 && i < n; i++)
    if (dm_canvas_token(c, i) == eos) return 1;
  return 0;
}

/* Free-mode validity: reads, and for a prior, in its language in canonical form. */
static int free_valid(const eval_prior *ep, const char *text, const cJSON *got) {
  if (!got) return 0;
  if (!ep) return 1;
  size_t n;
  const char *t = dm_eval_trim(text, &n);
  if (!ep->is_json) return dm_lang_match(ep->lang, t, n, NULL);
  char *canon = NULL;
  size_t cl = 0;
  if (dm_lang_canonicalize(ep->lang, t, n, &canon, &cl, NULL)) return 0;
  int ok = dm_lang_match(ep->lang, canon, cl, NULL);
  free(canon);
  return ok;
}

typedef struct run_args {
  int cfg_index;
  eval_mode mode;
  const dm_decode_params *dp;
  int job, njobs;
  eval_sink sink;
  void *user;
} run_args;

static int run_one(eval_run *R, int k, long j, void *user) {
  const run_args *a = user;
  if (j % a->njobs != a->job) return DM_EXIT_OK;
  const eval_ex *e = &R->set.ex[k];
  int fi = dm_eval_family_index(&R->set, e->family);
  const eval_prior *ep = R->ex_prior[k] >= 0 ? &R->priors[R->ex_prior[k]] : NULL;
  gen_req r;
  memset(&r, 0, sizeof r);
  r.dp = *a->dp;
  if (a->mode == EVAL_PRIOR) {
    size_t il = strlen(ep->instr);
    r.kind = 'p';
    r.spec = ep->path;
    r.prompt = e->user + il + (e->user[il] ? 2 : 0); /* generate puts instruction "\n\n" back */
  } else {
    r.kind = 0;
    r.max_tokens = R->fam_free_tokens[fi];
    r.prompt = e->user;
  }
  gen_out go;
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_gen_run(R->g, &r, &go, &err);
  if (rc) {
    char line[2048];
    dm_error_format(&err, line, sizeof line);
    return fail_at(R, e, rc, line);
  }
  int nf = cJSON_GetArraySize(e->fields);
  int *ok = calloc((size_t)nf + 1, sizeof *ok);
  if (!ok) {
    dm_gen_out_free(&go);
    return oom();
  }
  int is_json = R->fam_json[fi];
  cJSON *got = dm_eval_parse(go.text, is_json, e->fields);
  int valid, eos = 0, early = 0;
  if (a->mode == EVAL_PRIOR) {
    valid = go.valid;
  } else {
    valid = free_valid(ep, go.text, got);
    eos = canvas_has_eos(go.spec->canvas);
    early = eos && !dm_eval_complete(e->fields, got, go.text, e->answer, is_json);
  }
  int exact = dm_eval_fields_match(e->fields, got, ok);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "config", a->cfg_index);
  cJSON_AddNumberToObject(o, "index", k);
  cJSON_AddNumberToObject(o, "line", (double)e->line);
  cJSON_AddStringToObject(o, "family", e->family);
  if (e->prior) cJSON_AddStringToObject(o, "prior", e->prior);
  else cJSON_AddNullToObject(o, "prior");
  cJSON_AddStringToObject(o, "mode", dm_eval_mode_name(a->mode));
  cJSON_AddStringToObject(o, "strategy", dm_strategy_name(a->dp->strategy));
  cJSON_AddStringToObject(o, "text", go.text);
  cJSON_AddItemToObject(o, "got", got ? got : cJSON_CreateNull());
  cJSON_AddBoolToObject(o, "valid", valid);
  cJSON_AddBoolToObject(o, "exact", exact);
  cJSON *fo = cJSON_AddObjectToObject(o, "fields_ok");
  int i = 0;
  for (const cJSON *f = e->fields->child; f; f = f->next, i++) cJSON_AddBoolToObject(fo, f->string, ok[i]);
  cJSON_AddNumberToObject(o, "nfe", go.st.nfe);
  cJSON_AddNumberToObject(o, "generated_tokens", go.generated);
  cJSON_AddNumberToObject(o, "canvas_tokens", go.st.canvas_tokens);
  cJSON_AddNumberToObject(o, "prompt_tokens", go.st.prompt_tokens);
  cJSON_AddNumberToObject(o, "ms", go.st.total_ms);
  cJSON_AddNumberToObject(o, "model_ms", go.st.model_ms);
  cJSON_AddNumberToObject(o, "constraint_ms", go.st.constraint_ms);
  if (a->mode == EVAL_FREE) {
    cJSON_AddBoolToObject(o, "eos", eos);
    cJSON_AddBoolToObject(o, "early", early);
  }
  free(ok);
  dm_gen_out_free(&go);
  return a->sink(a->user, o);
}

int dm_eval_run_cfg(eval_run *R, int cfg_index, eval_mode mode, const dm_decode_params *dp, int job, int njobs,
                    eval_sink sink, void *user) {
  run_args a = {cfg_index, mode, dp, job, njobs, sink, user};
  return each_example(R, mode, run_one, &a);
}
