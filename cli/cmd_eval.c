/* dimple eval — held-out evaluation of a model: structure priors vs free generation,
 * decoding strategies; options, collecting the records (here or from worker
 * processes, cli/eval_jobs.c), the report. */
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
    "  --jobs N            N worker processes, each decoding every N-th example\n"
    "                      with its own copy of the model (default 1); figures and\n"
    "                      records are the same as with one\n"
    "  --threads N         kernel threads per process (default: all cores, or 1\n"
    "                      with --jobs)\n"
    "  --no-prefill        recompute the prompt every step (default: cache its K/V)\n"
    "  --device D          cpu (default), cuda, cuda:N or auto: where each job's\n"
    "                      model computes (the jobs may share one GPU)\n"
    "  --json              the figures as one JSON object on stdout: configs[] (mode,\n"
    "                      strategy, threshold, wall_s, overall, families{...}: n,\n"
    "                      exact_match, valid, early, no_eos, nfe_per_token, nfe,\n"
    "                      generated_tokens, canvas_tokens, prompt_tokens,\n"
    "                      ms_per_output, decode_ms, model_ms, constraint_ms,\n"
    "                      fields{name: accuracy}) and\n"
    "                      comparisons[] (confident vs maskgit per mode); rates are\n"
    "                      fractions from 0 to 1\n"
    "  --out FILE          one record per output (JSONL): line, family, prior, mode,\n"
    "                      strategy, text, got (the fields read, or null), valid,\n"
    "                      exact, fields_ok, nfe, generated_tokens, canvas_tokens,\n"
    "                      prompt_tokens, ms, model_ms, constraint_ms, config,\n"
    "                      index; free mode adds eos, early\n"
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

static int is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *find_priors(const char *given) {
  if (given) return given;
  if (is_dir("priors")) return "priors";
  const char *p = dm_gen_find_installed("priors", is_dir);
  return p ? p : "priors";
}

/* The figures as records come in (from this process or from workers). */
typedef struct collector {
  const eval_set *set;
  eval_cfg *cfgs;
  int ncfg;
  cJSON **recs;   /* ncfg x set->n, kept for --out in order (NULL without --out) */
  long done, total, bad_prior;
  double t0, last;
  int quiet, tty;
} collector;

static void progress(collector *C, const char *what, int force) {
  if (C->quiet) return;
  double now = dm_cli_now_ms();
  if (!force && now - C->last < (C->tty ? 250 : 5000)) return;
  C->last = now;
  double el = (now - C->t0) / 1e3, per = C->done ? el / (double)C->done : 0;
  double eta = per * (double)(C->total - C->done);
  fprintf(stderr, "%sdimple " CMD ": %-24s %ld/%ld (%.0f%%) %.1f ms/output, ETA %dm%02ds%s", C->tty ? "\r" : "", what,
          C->done, C->total, C->total ? 100.0 * (double)C->done / (double)C->total : 100.0, per * 1e3,
          (int)eta / 60, (int)eta % 60, C->tty ? "\033[K" : "\n");
  fflush(stderr);
}

static int collect(void *user, cJSON *rec) {
  collector *C = user;
  const cJSON *ci = cJSON_GetObjectItemCaseSensitive(rec, "config");
  const cJSON *ki = cJSON_GetObjectItemCaseSensitive(rec, "index");
  int c = cJSON_IsNumber(ci) ? ci->valueint : -1, k = cJSON_IsNumber(ki) ? ki->valueint : -1;
  if (c < 0 || c >= C->ncfg || k < 0 || k >= C->set->n) {
    cJSON_Delete(rec);
    fprintf(stderr, "dimple " CMD ": error: a worker sent a malformed record [DM_EINTERNAL]\n");
    return DM_EXIT_RUNTIME;
  }
  eval_cfg *g = &C->cfgs[c];
  int fi = dm_eval_family_index(C->set, C->set->ex[k].family);
  int rc = dm_eval_acc_add_record(&g->fam[fi], rec);
  if (rc) {
    cJSON_Delete(rec);
    fprintf(stderr, "dimple " CMD ": error: a worker sent a malformed record [%s]\n", dm_err_name(rc));
    return DM_EXIT_RUNTIME;
  }
  if (g->mode == EVAL_PRIOR && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "valid"))) C->bad_prior++;
  C->done++;
  char what[96];
  snprintf(what, sizeof what, "%s/%s %s", dm_eval_mode_name(g->mode), dm_strategy_name(g->strategy),
           C->set->ex[k].family);
  if (C->recs) {
    cJSON_Delete(C->recs[(size_t)c * (size_t)C->set->n + (size_t)k]);
    C->recs[(size_t)c * (size_t)C->set->n + (size_t)k] = rec;
  } else {
    cJSON_Delete(rec);
  }
  progress(C, what, 0);
  return DM_EXIT_OK;
}

/* Everything a run is set up with. */
typedef struct eval_opts {
  const char *mdir;
  int threads, prefill, jobs;
  dm_decode_params dp;
} eval_opts;

/* Worker job of njobs: load the model, decode every configuration's share. */
static int work(eval_run *R, const eval_opts *o, eval_cfg *cfgs, int ncfg, int job, int njobs, eval_sink sink,
                void *user, FILE *ctl) {
  int ex = dm_gen_ctx_open_model(R->g, CMD, o->mdir, o->threads, o->prefill);
  for (int i = 0; i < ncfg && !ex; i++) {
    double t0 = dm_cli_now_ms();
    dm_decode_params d = o->dp;
    d.strategy = cfgs[i].strategy;
    ex = dm_eval_run_cfg(R, i, cfgs[i].mode, &d, job, njobs, sink, user);
    double ms = dm_cli_now_ms() - t0;
    if (ctl) {
      if (fprintf(ctl, "{\"config_done\":%d,\"wall_ms\":%.3f}\n", i, ms) < 0 || fflush(ctl)) ex = DM_EXIT_RUNTIME;
    } else if (ms > cfgs[i].wall_ms) {
      cfgs[i].wall_ms = ms;
    }
  }
  return ex;
}

/* One line from a worker: a record or a configuration's wall time. */
static int take_line(collector *C, char *line) {
  cJSON *o = cJSON_Parse(line);
  if (!o) {
    fprintf(stderr, "dimple " CMD ": error: a worker sent a line that is not JSON [DM_EINTERNAL]\n");
    return DM_EXIT_RUNTIME;
  }
  const cJSON *cd = cJSON_GetObjectItemCaseSensitive(o, "config_done");
  if (cJSON_IsNumber(cd)) {
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "wall_ms");
    if (cd->valueint >= 0 && cd->valueint < C->ncfg && cJSON_IsNumber(w) && w->valuedouble > C->cfgs[cd->valueint].wall_ms)
      C->cfgs[cd->valueint].wall_ms = w->valuedouble;
    cJSON_Delete(o);
    return DM_EXIT_OK;
  }
  return collect(C, o);
}

/* Worker job of njobs (a forked process): records and wall times as lines on out. */
typedef struct job_ctx {
  eval_run *R;
  const eval_opts *o;
  collector *C;
} job_ctx;

static int job_main(void *ctx, int job, int njobs, FILE *out) {
  job_ctx *j = ctx;
  return work(j->R, j->o, j->C->cfgs, j->C->ncfg, job, njobs, dm_eval_line_sink, out, out);
}

static int job_line(void *user, char *line) { return take_line(user, line); }

static int write_records(collector *C, const char *outp) {
  FILE *f = fopen(outp, "w");
  if (!f) {
    fprintf(stderr, "dimple " CMD ": error: cannot write %s: %s [DM_EIO]\n", outp, strerror(errno));
    return DM_EXIT_RUNTIME;
  }
  int bad = 0;
  for (size_t i = 0; i < (size_t)C->ncfg * (size_t)C->set->n && !bad; i++) {
    if (!C->recs[i]) continue;
    char *s = cJSON_PrintUnformatted(C->recs[i]);
    bad = !s || fputs(s, f) < 0 || fputc('\n', f) < 0;
    cJSON_free(s);
  }
  if (fclose(f) != 0) bad = 1;
  if (bad) {
    fprintf(stderr, "dimple " CMD ": error: cannot write %s [DM_EIO]\n", outp);
    return DM_EXIT_RUNTIME;
  }
  return DM_EXIT_OK;
}

int dm_cmd_eval(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},       {"tokenizer", required_argument, NULL, 'T'},
      {"data", required_argument, NULL, 'D'},        {"priors", required_argument, NULL, 'P'},
      {"families", required_argument, NULL, 'f'},    {"per-family", required_argument, NULL, 'n'},
      {"mode", required_argument, NULL, 'M'},        {"strategy", required_argument, NULL, 'S'},
      {"threshold", required_argument, NULL, 'x'},   {"steps", required_argument, NULL, 'k'},
      {"free-tokens", required_argument, NULL, 'F'}, {"seed", required_argument, NULL, 'd'},
      {"threads", required_argument, NULL, 'H'},     {"jobs", required_argument, NULL, 'J'},
      {"no-prefill", no_argument, NULL, 'C'},        {"json", no_argument, NULL, 'j'},
      {"out", required_argument, NULL, 'o'},         {"quiet", no_argument, NULL, 'q'},
      {"device", required_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
  };
  const char *model = NULL, *tfile = NULL, *data = NULL, *priors = NULL, *families = NULL, *outp = NULL;
  int device = DM_DEVICE_CPU, device_index = 0;
  const char *strategies = "confident";
  int modes = 3, json = 0, quiet = 0;
  long per_family = 0, free_tokens = 0, threads = 0, jobs = 1, lv;
  eval_opts o;
  memset(&o, 0, sizeof o);
  o.prefill = 1;
  o.dp = dm_decode_default_params();

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
      case 'x': if (dm_gen_parse_num(CMD, "--threshold", optarg, 0, 1, &o.dp.threshold)) return DM_EXIT_USAGE; break;
      case 'k': if (dm_gen_parse_int(CMD, "--steps", optarg, 1, 1 << 20, &lv)) return DM_EXIT_USAGE; o.dp.steps = (int)lv; break;
      case 'F': if (dm_gen_parse_int(CMD, "--free-tokens", optarg, 1, 4096, &free_tokens)) return DM_EXIT_USAGE; break;
      case 'd': {
        char *end;
        errno = 0;
        unsigned long long sd = strtoull(optarg, &end, 10);
        if (end == optarg || *end || errno || optarg[0] == '-')
          return dm_cli_usage_error(CMD, "--seed wants a non-negative integer, not '%s'", optarg);
        o.dp.seed = sd;
        break;
      }
      case 'H': if (dm_gen_parse_int(CMD, "--threads", optarg, 1, 256, &threads)) return DM_EXIT_USAGE; break;
      case 'V':
        if (dm_device_parse(optarg, &device, &device_index, NULL))
          return dm_cli_usage_error(CMD, "--device wants cpu, cuda, cuda:N or auto, not '%s'", optarg);
        break;
      case 'J': if (dm_gen_parse_int(CMD, "--jobs", optarg, 1, 256, &jobs)) return DM_EXIT_USAGE; break;
      case 'C': o.prefill = 0; break;
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
  o.jobs = (int)jobs;
  o.threads = threads ? (int)threads : (jobs > 1 ? 1 : 0);

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
  gen_ctx g;
  memset(&g, 0, sizeof g);
  g.device = device;
  g.device_index = device_index;
  R.data = data;
  R.per_family = (int)per_family;
  R.free_tokens = (int)free_tokens;
  R.priors_dir = find_priors(priors);
  collector C;
  memset(&C, 0, sizeof C);
  C.quiet = quiet;
  C.tty = isatty(2);
  int ex = DM_EXIT_OK, ncfg = 0;
  eval_cfg *cfgs = NULL;
  dm_error err;
  dm_error_clear(&err);
  int rc = dm_eval_set_load(data, &R.set, &err);
  if (rc) return dm_cli_fail(CMD, rc, &err);

  /* data and selection errors before anything slow */
  o.mdir = dm_gen_find_model(model);
  if (!o.mdir) {
    fprintf(stderr, "dimple " CMD ": error: no model: pass --model DIR (a diffusion LM checkpoint directory) or set DIMPLE_MODEL [DM_EMODEL]\n");
    ex = DM_EXIT_MODEL;
    goto out;
  }
  if ((ex = dm_eval_prepare(&R, families))) goto out;
  if (!dm_gen_is_model_dir(o.mdir)) {
    fprintf(stderr, "dimple " CMD ": error: %s: not a model directory (no config.json) [DM_EMODEL]\n", o.mdir);
    ex = DM_EXIT_MODEL;
    goto out;
  }
  /* tokenizer and priors here; the model where the decoding happens */
  if ((ex = dm_gen_ctx_open_tokenizer(&g, CMD, o.mdir, tfile))) goto out;
  R.g = &g;
  if ((ex = dm_eval_prepare(&R, families))) goto out;

  cfgs = calloc((size_t)(2 * nstrat), sizeof *cfgs);
  if (!cfgs) {
    ex = DM_EXIT_RUNTIME;
    goto out;
  }
  for (int si = 0; si < nstrat; si++)
    for (int m = 0; m < 2; m++) {
      if (!(modes & (1 << m))) continue;
      eval_cfg *cf = &cfgs[ncfg++];
      cf->mode = (eval_mode)m;
      cf->strategy = strat[si];
      cf->threshold = o.dp.threshold;
      cf->fam = calloc((size_t)R.set.nfam, sizeof *cf->fam);
      if (!cf->fam) {
        ex = DM_EXIT_RUNTIME;
        goto out;
      }
      C.total += dm_eval_count(&R, cf->mode);
    }
  C.set = &R.set;
  C.cfgs = cfgs;
  C.ncfg = ncfg;
  if (outp) {
    C.recs = calloc((size_t)ncfg * (size_t)R.set.n, sizeof *C.recs);
    FILE *f = C.recs ? fopen(outp, "w") : NULL; /* fail early on an unwritable path */
    if (!f) {
      fprintf(stderr, "dimple " CMD ": error: cannot write %s: %s [DM_EIO]\n", outp, strerror(errno));
      ex = DM_EXIT_RUNTIME;
      goto out;
    }
    fclose(f);
  }
  C.t0 = C.last = dm_cli_now_ms();
  job_ctx jc = {&R, &o, &C};
  if (o.jobs > 1) ex = dm_eval_jobs_run(o.jobs, job_main, &jc, job_line, &C);
  else ex = work(&R, &o, cfgs, ncfg, 0, 1, collect, &C, NULL);
  if (!ex && !quiet) progress(&C, "done", 1);
  if (!quiet && C.tty) fputc('\n', stderr);
  if (ex) goto out;
  for (int i = 0; i < ncfg && !ex; i++)
    for (int k = 0; k < R.set.nfam && !ex; k++)
      if (dm_eval_acc_merge(&cfgs[i].all, &cfgs[i].fam[k])) ex = DM_EXIT_RUNTIME;
  if (!ex && outp) ex = write_records(&C, outp);
  if (ex) goto out;
  double wall = (dm_cli_now_ms() - C.t0) / 1e3;
  if (json) {
    cJSON *rep = dm_eval_report_json(&R.set, cfgs, ncfg);
    cJSON_AddStringToObject(rep, "data", data);
    cJSON_AddStringToObject(rep, "model", o.mdir);
    cJSON_AddNumberToObject(rep, "outputs", (double)C.done);
    cJSON_AddNumberToObject(rep, "jobs", o.jobs);
    cJSON_AddNumberToObject(rep, "wall_s", wall);
    ex = dm_cli_print_json(stdout, rep, 0);
  } else {
    printf("dimple eval: %s on %s, %ld outputs in %.1f s (%d job%s)\n\n", o.mdir, data, C.done, wall, o.jobs,
           o.jobs > 1 ? "s" : "");
    dm_eval_report_print(stdout, &R.set, cfgs, ncfg);
  }
  if (!ex && C.bad_prior) {
    fprintf(stderr, "dimple " CMD ": error: %ld prior outputs are not in their prior's language (a bug) [DM_EINTERNAL]\n",
            C.bad_prior);
    ex = DM_EXIT_RUNTIME;
  }
out:
  if (C.recs)
    for (size_t i = 0; i < (size_t)ncfg * (size_t)R.set.n; i++) cJSON_Delete(C.recs[i]);
  free(C.recs);
  for (int i = 0; i < ncfg; i++) {
    for (int k = 0; k < R.set.nfam; k++) dm_eval_acc_free(&cfgs[i].fam[k]);
    free(cfgs[i].fam);
    dm_eval_acc_free(&cfgs[i].all);
  }
  free(cfgs);
  dm_eval_run_free(&R);
  dm_gen_ctx_free(&g);
  return ex;
}
