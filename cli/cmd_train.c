/* dimple train: train a small diffusion LM from a recipe (train/trainer.h). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../train/trainer.h"
#include "cli.h"

typedef struct prog {
  int quiet;
} prog;

static void fmt_time(double s, char *buf, size_t cap) {
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, cap, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
  else snprintf(buf, cap, "%lds", t);
}

static int on_progress(const dm_tprogress *p, void *vc) {
  prog *c = vc;
  if (c->quiet) return 0;
  char eta[32], el[32];
  fmt_time(p->eta_s, eta, sizeof eta);
  fmt_time(p->elapsed_s, el, sizeof el);
  fprintf(stderr,
          "step %6ld/%ld [%-9s] loss %.4f  lr %.2e  |g| %.2f  %7.0f tok/s  %6.1f GFLOP/s (%2.0f%% of sgemm %.0f)  "
          "%s elapsed, ETA %s%s\n",
          p->step, p->total, p->phase, p->loss, p->lr, p->grad_norm, p->tokens_per_s, p->gflops,
          p->peak_gflops > 0 ? 100.0 * p->gflops / p->peak_gflops : 0.0, p->peak_gflops, el, eta,
          p->checkpoint ? "  [checkpoint]" : "");
  return 0;
}

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
  char *end;
  long x = strtol(v, &end, 10);
  if (!*v || *end || x < lo || x > hi)
    return dm_cli_usage_error("train", "%s wants a whole number in [%ld, %ld], not '%s'", opt, lo, hi, v);
  *out = x;
  return 0;
}

int dm_cmd_train(int argc, char **argv) {
  static const struct option opts[] = {
      {"recipe", required_argument, NULL, 'r'},
      {"resume", no_argument, NULL, 'R'},
      {"out", required_argument, NULL, 'o'},
      {"data", required_argument, NULL, 'd'},
      {"tokenizer", required_argument, NULL, 't'},
      {"ar-steps", required_argument, NULL, 'a'},
      {"diffusion-steps", required_argument, NULL, 'D'},
      {"threads", required_argument, NULL, 'T'},
      {"seed", required_argument, NULL, 's'},
      {"stop-after", required_argument, NULL, 'S'},
      {"batch-tokens", required_argument, NULL, 'B'},
      {"init-from", required_argument, NULL, 'I'},
      {"quiet", no_argument, NULL, 'q'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *recipe = NULL, *out = NULL, *data = NULL, *tokp = NULL, *init = NULL;
  long ar = -1, df = -1, threads = -1, seed = -1, stop_after = 0, batch = 0;
  int resume = 0, json = 0, c, r;
  prog pc = {0};
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
    switch (c) {
      case 'r': recipe = optarg; break;
      case 'R': resume = 1; break;
      case 'o': out = optarg; break;
      case 'd': data = optarg; break;
      case 'I': init = optarg; break;
      case 't': tokp = optarg; break;
      case 'a':
        if ((r = parse_long("--ar-steps", optarg, 0, 1000000000L, &ar))) return r;
        break;
      case 'D':
        if ((r = parse_long("--diffusion-steps", optarg, 0, 1000000000L, &df))) return r;
        break;
      case 'T':
        if ((r = parse_long("--threads", optarg, 0, 1024, &threads))) return r;
        break;
      case 's':
        if ((r = parse_long("--seed", optarg, 0, 4294967295L, &seed))) return r;
        break;
      case 'S':
        if ((r = parse_long("--stop-after", optarg, 1, 1000000000L, &stop_after))) return r;
        break;
      case 'B':
        if ((r = parse_long("--batch-tokens", optarg, 16, 1L << 22, &batch))) return r;
        break;
      case 'q': pc.quiet = 1; break;
      case 'j': json = 1; break;
      case 'h': dm_cli_print_help(dm_command_find("train")); return DM_EXIT_OK;
      default: return dm_cli_usage_error("train", "unknown option or missing value '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return dm_cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
  if (!recipe) return dm_cli_usage_error("train", "--recipe FILE.yaml is required (see train/default.yaml)");
  dm_error err;
  dm_error_clear(&err);
  dm_trecipe rc_;
  dm_trecipe_default(&rc_);
  int rc = dm_trecipe_load(recipe, &rc_, &err);
  if (rc) return dm_cli_fail("train", rc, &err);
  if (out) snprintf(rc_.out, sizeof rc_.out, "%s", out);
  if (data) snprintf(rc_.data, sizeof rc_.data, "%s", data);
  if (tokp) snprintf(rc_.tokenizer, sizeof rc_.tokenizer, "%s", tokp);
  if (init) snprintf(rc_.init_from, sizeof rc_.init_from, "%s", init);
  if (ar >= 0) rc_.ar_steps = ar;
  if (df >= 0) rc_.diffusion_steps = df;
  if (threads >= 0) rc_.threads = (int)threads;
  if (seed >= 0) rc_.seed = (uint64_t)seed;
  rc_.stop_after = stop_after;
  if (batch > 0) rc_.batch_tokens = (int)batch;
  if (rc_.ar_steps + rc_.diffusion_steps < 1) return dm_cli_usage_error("train", "no steps to run");
  if (!rc_.data[0] || !rc_.tokenizer[0] || !rc_.out[0])
    return dm_cli_usage_error("train", "the recipe (or --data/--tokenizer/--out) must give data, tokenizer and out");
  if (!pc.quiet)
    fprintf(stderr, "dimple train: %s -> %s: %ld autoregressive + %ld diffusion steps, %d tokens a batch%s\n",
            rc_.data, rc_.out, rc_.ar_steps, rc_.diffusion_steps, rc_.batch_tokens, resume ? " (resuming)" : "");
  dm_tsummary s;
  rc = dm_train_run(&rc_, resume, on_progress, &pc, &s, &err);
  if (rc) return dm_cli_fail("train", rc, &err);
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "out", rc_.out);
    cJSON_AddNumberToObject(o, "steps", (double)s.steps_done);
    cJSON_AddNumberToObject(o, "first_loss", s.first_loss);
    cJSON_AddNumberToObject(o, "last_loss", s.last_loss);
    cJSON_AddNumberToObject(o, "params", (double)s.n_params);
    cJSON_AddNumberToObject(o, "examples", (double)s.examples);
    cJSON_AddNumberToObject(o, "tokens", (double)s.tokens);
    cJSON_AddNumberToObject(o, "prior_format", s.prior_fmt);
    cJSON_AddNumberToObject(o, "prior_format_failed", s.prior_fail);
    cJSON_AddNumberToObject(o, "skipped_long", s.skipped_long);
    cJSON_AddNumberToObject(o, "tokens_per_s", s.tokens_per_s);
    cJSON_AddNumberToObject(o, "gflops", s.run_gflops);
    cJSON_AddNumberToObject(o, "sgemm_peak_gflops", s.peak_gflops);
    cJSON_AddNumberToObject(o, "peak_fraction", s.peak_gflops > 0 ? s.run_gflops / s.peak_gflops : 0);
    cJSON_AddNumberToObject(o, "seconds", s.seconds);
    return dm_cli_print_json(stdout, o, 1); /* takes o */
  } else {
    printf("%s: %ld steps, loss %.4f -> %.4f, %llu parameters, %ld examples (%d on prior canvases, %d could not be, "
           "%d too long), %.0f tokens/s (last report), %.1f GFLOP/s over the run = %.0f%% of the sgemm peak %.1f "
           "(probed at each report, time-weighted), %.0f s\n",
           rc_.out, s.steps_done, s.first_loss, s.last_loss, (unsigned long long)s.n_params, s.examples, s.prior_fmt,
           s.prior_fail, s.skipped_long, s.tokens_per_s, s.run_gflops,
           s.peak_gflops > 0 ? 100.0 * s.run_gflops / s.peak_gflops : 0.0, s.peak_gflops, s.seconds);
  }
  return DM_EXIT_OK;
}
