/* dimple eval — held-out evaluation of a model: structure priors vs free generation,
 * decoding strategies; options, the run loop, per-example records, progress. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval.h"
#include "gen.h"

#undef CMD
#define CMD "eval"

#ifndef DM_PKGDATADIR
#define DM_PKGDATADIR ""
#endif
#ifndef DM_SRCDIR
#define DM_SRCDIR ""
#endif

const char dm_cmd_eval_help[] =
    "Usage: dimple eval [--model DIR] --data EVAL.jsonl [--priors DIR] [--families A,B]\n"
    "                   [--per-family N] [--mode prior|free|both]\n"
    "                   [--strategy S[,S...]] [--threshold X] [--free-tokens N]\n"
    "                   [--json] [--out RECORDS.jsonl] [options]\n"
    "\n"
    "Measure a model on held-out examples (train/corpus.py's eval.jsonl: one\n"
    "{family, prior, messages: [user, assistant], fields} a line, fields being the\n"
    "ground truth). The model, tokenizer and every prior's canvas are loaded once;\n"
    "canvases are reset between examples.\n"
    "\n"
    "Modes (each run with every --strategy):\n"
    "  prior  families with a prior: the canvas of PRIORS/<prior>.yaml, the prompt\n"
    "         built as `dimple generate --prior` builds it (the form's instruction, a\n"
    "         blank line, the paragraph; chat-formatted). The data's user message must\n"
    "         start with that instruction. Families without a prior are skipped.\n"
    "  free   every family: the whole user message, chat-formatted, on a free-text\n"
    "         canvas of N tokens followed by EOS filler (N: --free-tokens, else the\n"
    "         family's prior canvas length, else 64); the answer is the text before\n"
    "         the first EOS, read as JSON for JSON families (a prior with JSON output,\n"
    "         or a JSON reference answer) or as the bare trimmed text.\n"
    "\n"
    "Figures per family and overall:\n"
    "  exact    outputs whose every field equals the ground truth (JSON value\n"
    "           equality: 36 == 36.0, objects in any member order); per-field\n"
    "           accuracy is listed below each table\n"
    "  valid    prior: the output is in the prior's language (guaranteed: 100%);\n"
    "           free: the output reads (JSON object / non-empty text, a number where\n"
    "           the truth is one) and, with a prior, is in its language once put in\n"
    "           canonical form\n"
    "  early    free: an EOS came before the answer was complete (does not read, a\n"
    "           JSON member missing, or a proper prefix of the reference answer)\n"
    "  no-EOS   free: no EOS at all, the text ran to the canvas end\n"
    "           (early and no-EOS are the length-bias symptoms)\n"
    "  NFE/tok  model calls per generated token (slot tokens that carry the answer,\n"
    "           filler such as padding spaces and EOS tails left out), over the family\n"
    "  NFE/out, tok/out, ms/out  model calls, generated tokens, decode milliseconds\n"
    "           per output\n"
    "With both confident and maskgit in --strategy, a comparison per mode follows:\n"
    "confident's NFE per generated token against the 0.33 target and its exact match\n"
    "against maskgit's (one token per step unless --steps) within 1 point.\n"
    "\n"
    "Options:\n"
    "  --model DIR         checkpoint directory; default: $DIMPLE_MODEL, else the\n"
    "                      installed models/default\n"
    "  --tokenizer FILE    a tokenizer.json for a model directory without one\n"
    "  --data FILE         the examples (JSONL; '-' reads stdin)\n"
    "  --priors DIR        where PRIOR.yaml files are (default: ./priors, else the\n"
    "                      installed priors)\n"
    "  --families A,B      only these families (default: all in the data)\n"
    "  --per-family N      the first N examples of each family (default: all)\n"
    "  --mode M            prior, free or both (default both)\n"
    "  --strategy S,S      decoding strategies, comma-separated, each a configuration\n"
    "                      (default confident; e.g. confident,maskgit)\n"
    "  --threshold X       confident / fastdllm threshold (0.95)\n"
    "  --steps N           schedule length (default: one token per step)\n"
    "  --free-tokens N     free canvas length for every family (default: see free)\n"
    "  --seed N            decoder seed (greedy decoding does not use it)\n"
    "  --threads N         kernel threads (default: all cores)\n"
    "  --no-prefill        recompute the prompt every step (default: cache its K/V)\n"
    "  --json              the figures as one JSON object on stdout: configs[] (mode,\n"
    "                      strategy, threshold, wall_s, overall, families{...}: n,\n"
    "                      exact_match, valid, early, no_eos, nfe_per_token, nfe,\n"
    "                      generated_tokens, canvas_tokens, prompt_tokens,\n"
    "                      ms_per_output, decode_ms, fields{name: accuracy}) and\n"
    "                      comparisons[] (confident vs maskgit per mode); rates are\n"
    "                      fractions from 0 to 1\n"
    "  --out FILE          one record per output (JSONL): line, family, prior, mode,\n"
    "                      strategy, text, got (the fields read, or null), valid,\n"
    "                      exact, fields_ok, nfe, generated_tokens, canvas_tokens, ms;\n"
    "                      free mode adds eos, early\n"
    "  -q, --quiet         no progress on stderr (default: a line every few seconds,\n"
    "                      with the time per output and an ETA)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 ok, 2 usage (bad option, missing or malformed data file, unknown\n"
    "family), 3 bad spec (unknown prior, a prior that does not compile, a user\n"
    "message that does not start with its prior's instruction), 4 bad or missing\n"
    "model, 5 runtime failure (also: a prior output outside its language, a bug;\n"
    "the report is printed first).\n"
    "Example:\n"
    "  python3 train/corpus.py --seed 1 --out corpus\n"
    "  dimple eval --model models/default --data corpus/eval.jsonl \\\n"
    "      --families json-person,json-order,json-event,form-fill --per-family 300 \\\n"
    "      --strategy confident,maskgit --out records.jsonl\n";

/* A prior the data names: compiled once. */
typedef struct eval_prior {
  char *name, *path;
  const char *instr;    /* borrowed from the spec's form */
  const dm_lang *lang;  /* borrowed from the spec cache */
  int is_json, canvas_len;
} eval_prior;

typedef struct eval_run {
  gen_ctx g;
  eval_set set;
  eval_prior *priors;
  int npriors;
  int *ex_prior;        /* per example: index in priors, -1 none */
  int *fam_on;          /* per family: selected */
  int *fam_json;        /* per family: JSON answers */
  int *fam_free_tokens; /* per family: free canvas length */
  int per_family;
  FILE *out;
  const char *data;
  int quiet, tty;
  long total, done;
  double t0, last_progress;
} eval_run;

static int is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *find_priors(const char *given) {
  if (given) return given;
  if (is_dir("priors")) return "priors";
  static char buf[8192];
  const char *roots[2] = {DM_PKGDATADIR, DM_SRCDIR};
  for (int i = 0; i < 2; i++) {
    if (!roots[i][0]) continue;
    snprintf(buf, sizeof buf, "%s/priors", roots[i]);
    if (is_dir(buf)) return buf;
  }
  return "priors";
}

static void run_free(eval_run *R) {
  dm_gen_ctx_free(&R->g);
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
}

/* "dimple eval: DATA:LINE: message [CODE]" and the exit code of rc. */
static int fail_at(eval_run *R, const eval_ex *e, int rc, const char *fmt, const char *arg) {
  fprintf(stderr, "dimple " CMD ": error: %s:%ld: ", R->data, e->line);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " [%s]\n", dm_err_name(rc));
  return dm_cli_exit_code(rc);
}

/* Select families (--families), compile the data's priors, check instructions. */
static int prepare(eval_run *R, const char *families, const char *priors_dir, int free_tokens, int need_priors) {
  eval_set *s = &R->set;
  R->fam_on = calloc((size_t)s->nfam, sizeof *R->fam_on);
  R->fam_json = calloc((size_t)s->nfam, sizeof *R->fam_json);
  R->fam_free_tokens = calloc((size_t)s->nfam, sizeof *R->fam_free_tokens);
  R->ex_prior = calloc((size_t)s->n, sizeof *R->ex_prior);
  if (!R->fam_on || !R->fam_json || !R->fam_free_tokens || !R->ex_prior) {
    fprintf(stderr, "dimple " CMD ": error: out of memory [DM_ENOMEM]\n");
    return DM_EXIT_RUNTIME;
  }
  if (!families) {
    for (int i = 0; i < s->nfam; i++) R->fam_on[i] = 1;
  } else {
    const char *p = families;
    while (*p) {
      size_t n = strcspn(p, ",");
      char name[256];
      if (n == 0 || n >= sizeof name) return dm_cli_usage_error(CMD, "--families wants names separated by commas, not '%s'", families);
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
  }
  for (int i = 0; i < s->nfam; i++) R->fam_free_tokens[i] = free_tokens;
  for (int k = 0; k < s->n; k++) {
    eval_ex *e = &s->ex[k];
    int fi = dm_eval_family_index(s, e->family);
    R->ex_prior[k] = -1;
    if (!R->fam_on[fi]) continue;
    if (!e->prior) {
      R->fam_json[fi] = e->answer[0] == '{' || e->answer[0] == '[';
      if (!R->fam_free_tokens[fi]) R->fam_free_tokens[fi] = 64;
      continue;
    }
    int pi = -1;
    for (int j = 0; j < R->npriors; j++)
      if (strcmp(R->priors[j].name, e->prior) == 0) pi = j;
    if (pi < 0) {
      size_t n = strlen(priors_dir) + strlen(e->prior) + 8;
      char *path = malloc(n);
      if (!path) {
        fprintf(stderr, "dimple " CMD ": error: out of memory [DM_ENOMEM]\n");
        return DM_EXIT_RUNTIME;
      }
      snprintf(path, n, "%s/%s.yaml", priors_dir, e->prior);
      if (access(path, R_OK) != 0) {
        free(path);
        char msg[1024];
        snprintf(msg, sizeof msg, "unknown prior '%s': no %s/%s.yaml (--priors DIR)", e->prior, priors_dir, e->prior);
        return fail_at(R, e, DM_ESPEC, "%s", msg);
      }
      if (!need_priors) { /* the first pass, before the model is loaded: names only */
        free(path);
        continue;
      }
      eval_prior *np = realloc(R->priors, (size_t)(R->npriors + 1) * sizeof *np);
      if (!np) {
        free(path);
        fprintf(stderr, "dimple " CMD ": error: out of memory [DM_ENOMEM]\n");
        return DM_EXIT_RUNTIME;
      }
      R->priors = np;
      dm_cli_spec *spec = NULL;
      dm_error err;
      dm_error_clear(&err);
      int rc = dm_gen_spec(&R->g, 'p', path, 0, &spec, &err);
      if (rc) {
        free(path);
        return dm_cli_fail(CMD, rc, &err);
      }
      eval_prior *ep = &R->priors[R->npriors++];
      memset(ep, 0, sizeof *ep);
      ep->name = strdup(e->prior);
      ep->path = path;
      ep->instr = dm_form_instruction(spec->form);
      ep->lang = spec->lang;
      ep->is_json = spec->is_json;
      ep->canvas_len = dm_canvas_length(spec->canvas);
      if (!ep->name) {
        fprintf(stderr, "dimple " CMD ": error: out of memory [DM_ENOMEM]\n");
        return DM_EXIT_RUNTIME;
      }
      pi = R->npriors - 1;
    }
    eval_prior *ep = &R->priors[pi];
    size_t il = strlen(ep->instr);
    if (strncmp(e->user, ep->instr, il) != 0 || (e->user[il] && strncmp(e->user + il, "\n\n", 2) != 0)) {
      char msg[1024];
      snprintf(msg, sizeof msg, "the user message does not start with the instruction of %s and a blank line "
               "(data and priors do not belong together: regenerate the data)", ep->path);
      return fail_at(R, e, DM_ESPEC, "%s", msg);
    }
    R->ex_prior[k] = pi;
    R->fam_json[fi] = ep->is_json;
    if (!R->fam_free_tokens[fi]) R->fam_free_tokens[fi] = ep->canvas_len;
  }
  for (int i = 0; i < s->nfam; i++)
    if (!R->fam_free_tokens[i]) R->fam_free_tokens[i] = 64;
  return DM_EXIT_OK;
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

static void progress(eval_run *R, const eval_cfg *cfg, const char *family, int force) {
  if (R->quiet) return;
  double now = dm_cli_now_ms();
  if (!force && now - R->last_progress < (R->tty ? 250 : 5000)) return;
  R->last_progress = now;
  double el = (now - R->t0) / 1e3, per = R->done ? el / (double)R->done : 0;
  double eta = per * (double)(R->total - R->done);
  fprintf(stderr, "%sdimple " CMD ": %s/%s %-16s %ld/%ld (%.0f%%) %.1f ms/output, ETA %dm%02ds%s",
          R->tty ? "\r" : "", dm_eval_mode_name(cfg->mode), dm_strategy_name(cfg->strategy), family, R->done,
          R->total, R->total ? 100.0 * (double)R->done / (double)R->total : 100.0, per * 1e3, (int)eta / 60,
          (int)eta % 60, R->tty ? "\033[K" : "\n");
  fflush(stderr);
}

static int write_record(eval_run *R, const eval_cfg *cfg, const eval_ex *e, const gen_out *go, const cJSON *got,
                        int valid, int exact, const int *ok, int eos, int early) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "line", (double)e->line);
  cJSON_AddStringToObject(o, "family", e->family);
  if (e->prior) cJSON_AddStringToObject(o, "prior", e->prior);
  else cJSON_AddNullToObject(o, "prior");
  cJSON_AddStringToObject(o, "mode", dm_eval_mode_name(cfg->mode));
  cJSON_AddStringToObject(o, "strategy", dm_strategy_name(cfg->strategy));
  cJSON_AddStringToObject(o, "text", go->text);
  cJSON_AddItemToObject(o, "got", got ? cJSON_Duplicate(got, 1) : cJSON_CreateNull());
  cJSON_AddBoolToObject(o, "valid", valid);
  cJSON_AddBoolToObject(o, "exact", exact);
  cJSON *fo = cJSON_AddObjectToObject(o, "fields_ok");
  int i = 0;
  for (const cJSON *f = e->fields->child; f; f = f->next, i++) cJSON_AddBoolToObject(fo, f->string, ok[i]);
  cJSON_AddNumberToObject(o, "nfe", go->st.nfe);
  cJSON_AddNumberToObject(o, "generated_tokens", go->generated);
  cJSON_AddNumberToObject(o, "canvas_tokens", go->st.canvas_tokens);
  cJSON_AddNumberToObject(o, "ms", go->st.total_ms);
  if (cfg->mode == EVAL_FREE) {
    cJSON_AddBoolToObject(o, "eos", eos);
    cJSON_AddBoolToObject(o, "early", early);
  }
  return dm_cli_print_json(R->out, o, 1);
}

/* One configuration over the selected examples. */
static int run_cfg(eval_run *R, eval_cfg *cfg, const dm_decode_params *dp, long *bad_prior) {
  eval_set *s = &R->set;
  double t0 = dm_cli_now_ms();
  int *seen = calloc((size_t)s->nfam, sizeof *seen);
  int *ok = NULL;
  int cap_ok = 0, ex = DM_EXIT_OK;
  if (!seen) return DM_EXIT_RUNTIME;
  for (int k = 0; k < s->n && !ex; k++) {
    const eval_ex *e = &s->ex[k];
    int fi = dm_eval_family_index(s, e->family);
    if (!R->fam_on[fi] || (R->per_family && seen[fi] >= R->per_family)) continue;
    const eval_prior *ep = R->ex_prior[k] >= 0 ? &R->priors[R->ex_prior[k]] : NULL;
    if (cfg->mode == EVAL_PRIOR && !ep) continue;
    seen[fi]++;
    gen_req r;
    memset(&r, 0, sizeof r);
    r.dp = *dp;
    if (cfg->mode == EVAL_PRIOR) {
      r.kind = 'p';
      r.spec = ep->path;
      size_t il = strlen(ep->instr);
      r.prompt = e->user + il + (e->user[il] ? 2 : 0);
    } else {
      r.kind = 0;
      r.max_tokens = R->fam_free_tokens[fi];
      r.prompt = e->user;
    }
    gen_out go;
    dm_error err;
    dm_error_clear(&err);
    int rc = dm_gen_run(&R->g, &r, &go, &err);
    if (rc) {
      char line[2048];
      dm_error_format(&err, line, sizeof line);
      ex = fail_at(R, e, rc, "%s", line);
      break;
    }
    int nf = cJSON_GetArraySize(e->fields);
    if (nf > cap_ok) {
      int *no = realloc(ok, (size_t)nf * sizeof *no);
      if (!no) {
        dm_gen_out_free(&go);
        ex = DM_EXIT_RUNTIME;
        break;
      }
      ok = no;
      cap_ok = nf;
    }
    int is_json = R->fam_json[fi];
    cJSON *got = dm_eval_parse(go.text, is_json, e->fields);
    int valid, eos = 0, early = 0;
    if (cfg->mode == EVAL_PRIOR) {
      valid = go.valid;
      if (!valid) (*bad_prior)++;
    } else {
      valid = free_valid(ep, go.text, got);
      eos = canvas_has_eos(go.spec->canvas);
      early = eos && !dm_eval_complete(e->fields, got, go.text, e->answer, is_json);
    }
    int exact = dm_eval_fields_match(e->fields, got, ok);
    eval_acc *a = &cfg->fam[fi];
    a->n++;
    a->valid += valid;
    a->exact += exact;
    a->eos += eos;
    a->early += early;
    a->no_eos += cfg->mode == EVAL_FREE && !eos;
    a->nfe += go.st.nfe;
    a->generated += go.generated;
    a->canvas_tokens += go.st.canvas_tokens;
    a->prompt_tokens += go.st.prompt_tokens;
    a->ms += go.st.total_ms;
    if (dm_eval_acc_add_fields(a, e->fields, ok)) ex = DM_EXIT_RUNTIME;
    if (!ex && R->out && write_record(R, cfg, e, &go, got, valid, exact, ok, eos, early)) ex = DM_EXIT_RUNTIME;
    cJSON_Delete(got);
    dm_gen_out_free(&go);
    R->done++;
    progress(R, cfg, e->family, 0);
  }
  for (int i = 0; i < s->nfam && !ex; i++)
    if (dm_eval_acc_merge(&cfg->all, &cfg->fam[i])) ex = DM_EXIT_RUNTIME;
  cfg->wall_ms = dm_cli_now_ms() - t0;
  free(seen);
  free(ok);
  return ex;
}

/* Examples each configuration runs (for the progress line). */
static long count_runs(const eval_run *R, eval_mode m) {
  int *seen = calloc((size_t)R->set.nfam, sizeof *seen);
  long n = 0;
  for (int k = 0; seen && k < R->set.n; k++) {
    int fi = dm_eval_family_index(&R->set, R->set.ex[k].family);
    if (!R->fam_on[fi] || (R->per_family && seen[fi] >= R->per_family)) continue;
    if (m == EVAL_PRIOR && R->ex_prior[k] < 0) continue;
    seen[fi]++;
    n++;
  }
  free(seen);
  return n;
}

int dm_cmd_eval(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},       {"tokenizer", required_argument, NULL, 'T'},
      {"data", required_argument, NULL, 'D'},        {"priors", required_argument, NULL, 'P'},
      {"families", required_argument, NULL, 'f'},    {"per-family", required_argument, NULL, 'n'},
      {"mode", required_argument, NULL, 'M'},        {"strategy", required_argument, NULL, 'S'},
      {"threshold", required_argument, NULL, 'x'},   {"steps", required_argument, NULL, 'k'},
      {"free-tokens", required_argument, NULL, 'F'}, {"seed", required_argument, NULL, 'd'},
      {"threads", required_argument, NULL, 'H'},     {"no-prefill", no_argument, NULL, 'C'},
      {"json", no_argument, NULL, 'j'},              {"out", required_argument, NULL, 'o'},
      {"quiet", no_argument, NULL, 'q'},             {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *model = NULL, *tfile = NULL, *data = NULL, *priors = NULL, *families = NULL, *outp = NULL;
  const char *strategies = "confident";
  int modes = 3, json = 0, prefill = 1, quiet = 0;
  long per_family = 0, free_tokens = 0, threads = 0, lv;
  dm_decode_params dp = dm_decode_default_params();

  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
    switch (c) {
      case 'm': model = optarg; break;
      case 'T': tfile = optarg; break;
      case 'D': data = optarg; break;
      case 'P': priors = optarg; break;
      case 'f': families = optarg; break;
      case 'n': if (dm_gen_parse_int(CMD, "--per-family", optarg, 1, 1L << 30, &per_family)) return DM_EXIT_USAGE; break;
      case 'M':
        if (!strcmp(optarg, "prior")) modes = 1;
        else if (!strcmp(optarg, "free")) modes = 2;
        else if (!strcmp(optarg, "both")) modes = 3;
        else return dm_cli_usage_error(CMD, "--mode wants prior, free or both, not '%s'", optarg);
        break;
      case 'S': strategies = optarg; break;
      case 'x': if (dm_gen_parse_num(CMD, "--threshold", optarg, 0, 1, &dp.threshold)) return DM_EXIT_USAGE; break;
      case 'k': if (dm_gen_parse_int(CMD, "--steps", optarg, 1, 1 << 20, &lv)) return DM_EXIT_USAGE; dp.steps = (int)lv; break;
      case 'F': if (dm_gen_parse_int(CMD, "--free-tokens", optarg, 1, 4096, &free_tokens)) return DM_EXIT_USAGE; break;
      case 'd': {
        char *end;
        errno = 0;
        unsigned long long sd = strtoull(optarg, &end, 10);
        if (end == optarg || *end || errno || optarg[0] == '-')
          return dm_cli_usage_error(CMD, "--seed wants a non-negative integer, not '%s'", optarg);
        dp.seed = sd;
        break;
      }
      case 'H': if (dm_gen_parse_int(CMD, "--threads", optarg, 1, 256, &threads)) return DM_EXIT_USAGE; break;
      case 'C': prefill = 0; break;
      case 'j': json = 1; break;
      case 'o': outp = optarg; break;
      case 'q': quiet = 1; break;
      case 'h': dm_cli_print_help(dm_command_find(CMD)); return DM_EXIT_OK;
      default:
        if (optopt && optopt != 'h' && optopt != 'q')
          return dm_cli_usage_error(CMD, "option '%s' needs an argument", argv[optind - 1]);
        return dm_cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return dm_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
  if (!data) return dm_cli_usage_error(CMD, "needs --data EVAL.jsonl (train/corpus.py writes one)");

  /* strategies */
  dm_strategy strat[16];
  int nstrat = 0;
  for (const char *p = strategies; *p;) {
    size_t n = strcspn(p, ",");
    char name[64];
    if (n == 0 || n >= sizeof name || nstrat == 16)
      return dm_cli_usage_error(CMD, "--strategy wants names separated by commas, not '%s'", strategies);
    memcpy(name, p, n);
    name[n] = 0;
    if (dm_strategy_parse(name, &strat[nstrat]))
      return dm_cli_usage_error(CMD, "unknown strategy '%s' (confident, maskgit, margin, entropy, random, blocks, fastdllm)", name);
    nstrat++;
    p += n;
    if (*p == ',') p++;
  }
  if (!nstrat) return dm_cli_usage_error(CMD, "--strategy wants at least one name");

  eval_run R;
  memset(&R, 0, sizeof R);
  R.data = data;
  R.per_family = (int)per_family;
  R.quiet = quiet;
  R.tty = isatty(2);
  int ex = DM_EXIT_OK;
  eval_cfg *cfgs = NULL;
  int ncfg = 0;
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_eval_set_load(data, &R.set, &err);
  if (rc) return dm_cli_fail(CMD, rc, &err);

  const char *mdir = dm_gen_find_model(model);
  if (!mdir) {
    fprintf(stderr, "dimple " CMD ": error: no model: pass --model DIR (a diffusion LM checkpoint directory) or set DIMPLE_MODEL [DM_EMODEL]\n");
    ex = DM_EXIT_MODEL;
    goto out;
  }
  /* usage errors in --families come before the (slow) model load */
  if ((ex = prepare(&R, families, find_priors(priors), (int)free_tokens, 0))) goto out;
  free(R.fam_on), free(R.fam_json), free(R.fam_free_tokens), free(R.ex_prior);
  R.fam_on = R.fam_json = R.fam_free_tokens = R.ex_prior = NULL;
  if ((ex = dm_gen_ctx_open(&R.g, CMD, mdir, tfile, (int)threads, prefill))) goto out;
  if ((ex = prepare(&R, families, find_priors(priors), (int)free_tokens, 1))) goto out;

  cfgs = calloc((size_t)(2 * nstrat), sizeof *cfgs);
  if (!cfgs) {
    ex = DM_EXIT_RUNTIME;
    goto out;
  }
  for (int si = 0; si < nstrat; si++)
    for (int m = 0; m < 2; m++) {
      if (!(modes & (1 << m))) continue;
      eval_cfg *g = &cfgs[ncfg++];
      g->mode = (eval_mode)m;
      g->strategy = strat[si];
      g->threshold = dp.threshold;
      g->fam = calloc((size_t)R.set.nfam, sizeof *g->fam);
      if (!g->fam) {
        ex = DM_EXIT_RUNTIME;
        goto out;
      }
      R.total += count_runs(&R, g->mode);
    }
  if (outp) {
    R.out = fopen(outp, "w");
    if (!R.out) {
      fprintf(stderr, "dimple " CMD ": error: cannot write %s: %s [DM_EIO]\n", outp, strerror(errno));
      ex = DM_EXIT_RUNTIME;
      goto out;
    }
  }
  long bad_prior = 0;
  R.t0 = R.last_progress = dm_cli_now_ms();
  for (int i = 0; i < ncfg && !ex; i++) {
    dm_decode_params d = dp;
    d.strategy = cfgs[i].strategy;
    ex = run_cfg(&R, &cfgs[i], &d, &bad_prior);
    if (!ex && !quiet) progress(&R, &cfgs[i], "done", 1);
  }
  if (!quiet && R.tty) fputc('\n', stderr);
  if (R.out && fclose(R.out) != 0 && !ex) {
    fprintf(stderr, "dimple " CMD ": error: cannot write %s [DM_EIO]\n", outp);
    ex = DM_EXIT_RUNTIME;
  }
  R.out = NULL;
  if (ex) goto out;
  if (json) {
    cJSON *o = dm_eval_report_json(&R.set, cfgs, ncfg);
    cJSON_AddStringToObject(o, "data", data);
    cJSON_AddStringToObject(o, "model", mdir);
    cJSON_AddNumberToObject(o, "outputs", (double)R.done);
    cJSON_AddNumberToObject(o, "wall_s", (dm_cli_now_ms() - R.t0) / 1e3);
    ex = dm_cli_print_json(stdout, o, 0);
  } else {
    printf("dimple eval: %s on %s, %ld outputs in %.1f s\n\n", mdir, data, R.done, (dm_cli_now_ms() - R.t0) / 1e3);
    dm_eval_report_print(stdout, &R.set, cfgs, ncfg);
  }
  if (!ex && bad_prior) {
    fprintf(stderr, "dimple " CMD ": error: %ld prior outputs are not in their prior's language (a bug) [DM_EINTERNAL]\n",
            bad_prior);
    ex = DM_EXIT_RUNTIME;
  }
out:
  if (R.out) fclose(R.out);
  for (int i = 0; i < ncfg; i++) {
    for (int k = 0; k < R.set.nfam; k++) dm_eval_acc_free(&cfgs[i].fam[k]);
    free(cfgs[i].fam);
    dm_eval_acc_free(&cfgs[i].all);
  }
  free(cfgs);
  run_free(&R);
  return ex;
}
