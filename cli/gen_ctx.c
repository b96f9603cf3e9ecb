/* dimple generate / eval: finding and loading the model, tokenizer, logits source and
 * prior environment once; option value parsing shared by both commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"

int dm_gen_is_model_dir(const char *dir) {
  size_t n = strlen(dir) + sizeof "/config.json";
  char *path = malloc(n);
  struct stat sb;
  int ok = 0;
  if (path) {
    snprintf(path, n, "%s/config.json", dir);
    ok = stat(path, &sb) == 0;
  }
  free(path);
  return ok;
}

const char *dm_gen_find_installed(const char *rel, int (*accept)(const char *path)) {
  static char buf[8192];
  const char *roots[2] = {DM_PKGDATADIR, DM_SRCDIR};
  for (int i = 0; i < 2; i++) {
    if (!roots[i][0]) continue;
    snprintf(buf, sizeof buf, "%s/%s", roots[i], rel);
    if (accept(buf)) return buf;
  }
  return NULL;
}

const char *dm_gen_find_model(const char *given) {
  if (given) return given;
  const char *e = getenv("DIMPLE_MODEL");
  if (e && *e) return e;
  return dm_gen_find_installed("models/default", dm_gen_is_model_dir);
}

int dm_gen_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi)
    return dm_cli_usage_error(cmd, "%s wants an integer from %ld to %ld, not '%s'", opt, lo, hi, s);
  *out = v;
  return 0;
}

int dm_gen_parse_num(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !(v >= lo && v <= hi))
    return dm_cli_usage_error(cmd, "%s wants a number from %g to %g, not '%s'", opt, lo, hi, s);
  *out = v;
  return 0;
}

int dm_gen_ctx_open_tokenizer(gen_ctx *g, const char *cmd, const char *mdir, const char *tfile) {
  dm_error err;
  dm_error_clear(&err);
  if (!tfile && !dm_gen_is_model_dir(mdir)) {
    fprintf(stderr, "dimple %s: error: %s: not a model directory (no config.json) [DM_EMODEL]\n", cmd, mdir);
    return DM_EXIT_MODEL;
  }
  int ex = dm_cli_load_tokenizer(cmd, tfile ? NULL : mdir, tfile, &g->tok);
  if (ex) {
    if (ex == DM_EXIT_USAGE && !tfile) { /* the model dir lacks its tokenizer */
      fprintf(stderr, "dimple %s: the model directory needs a tokenizer.json, or pass --tokenizer FILE\n", cmd);
      ex = DM_EXIT_MODEL;
    }
    return ex;
  }
  int rc = dm_prior_env_new(g->tok, &g->env, &err);
  return rc ? dm_cli_fail(cmd, rc, &err) : DM_EXIT_OK;
}

int dm_gen_ctx_open_model(gen_ctx *g, const char *cmd, const char *mdir, int n_threads, int prefill) {
  dm_error err;
  dm_error_clear(&err);
  dm_model_params mp = dm_model_default_params();
  mp.n_threads = n_threads;
  mp.device = g->device;
  mp.device_index = g->device_index;
  mp.precision = g->precision;
  int rc = dm_model_load(mdir, &mp, &g->model, &err);
  if (rc) return dm_cli_fail(cmd, rc, &err);
  dm_model_info info;
  dm_model_info_get(g->model, &info);
  if (info.vocab < dm_tokenizer_vocab_size(g->tok)) {
    fprintf(stderr, "dimple %s: error: %s: the model's vocabulary (%d) is smaller than the tokenizer's (%d); "
            "they do not belong together [DM_EMODEL]\n", cmd, mdir, info.vocab, (int)dm_tokenizer_vocab_size(g->tok));
    return DM_EXIT_MODEL;
  }
  rc = dm_logits_source_model(g->model, prefill, dm_tokenizer_special_id(g->tok, DM_SPECIAL_MASK), &g->src, &err);
  return rc ? dm_cli_fail(cmd, rc, &err) : DM_EXIT_OK;
}

int dm_gen_ctx_open(gen_ctx *g, const char *cmd, const char *mdir, const char *tfile, int n_threads,
                    int prefill) {
  int ex = dm_gen_ctx_open_tokenizer(g, cmd, mdir, tfile);
  return ex ? ex : dm_gen_ctx_open_model(g, cmd, mdir, n_threads, prefill);
}
