/* dimple generate — fill a format spec with a diffusion LM. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

#ifndef DM_PKGDATADIR
#define DM_PKGDATADIR ""
#endif
#ifndef DM_SRCDIR
#define DM_SRCDIR ""
#endif

#define CMD "generate"

/* One request: a prompt, a spec and decoding options. */
typedef struct gen_req {
  const char *prompt;
  char kind;          /* as dm_cli_spec */
  const char *spec;   /* file or text; NULL for free text */
  int max_tokens;
  int raw_prompt;
  dm_decode_params dp;
} gen_req;

typedef struct spec_entry {
  char kind;
  char *value;
  int max_tokens;
  dm_cli_spec spec;
} spec_entry;

/* What stays loaded across requests (batch: one model, compiled specs reused). */
typedef struct gen_ctx {
  dm_tokenizer *tok;
  dm_model *model;
  dm_prior_env *env;
  dm_logits_source *src;
  spec_entry *specs;
  int nspecs;
  int progress, visual; /* on stderr, only when it is a terminal */
  int32_t *per_step;    /* tokens committed per step (model + forced) of the request */
  int nsteps, capsteps;
} gen_ctx;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int is_model_dir(const char *dir) {
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

/* --model, else $DIMPLE_MODEL, else models/default in the installed data or the
 * source tree. NULL when none is found. */
static const char *find_model(const char *given) {
  if (given) return given;
  const char *e = getenv("DIMPLE_MODEL");
  if (e && *e) return e;
  static char buf[8192];
  const char *roots[2] = {DM_PKGDATADIR, DM_SRCDIR};
  for (int i = 0; i < 2; i++) {
    if (!roots[i][0]) continue;
    snprintf(buf, sizeof buf, "%s/models/default", roots[i]);
    if (is_model_dir(buf)) return buf;
  }
  return NULL;
}

static int spec_get(gen_ctx *g, const gen_req *r, dm_cli_spec **out, dm_error *err) {
  const char *v = r->spec ? r->spec : "";
  int mt = (r->kind == 'r' || r->kind == 0) ? r->max_tokens : 0;
  for (int i = 0; i < g->nspecs; i++) {
    spec_entry *s = &g->specs[i];
    if (s->kind == r->kind && s->max_tokens == mt && strcmp(s->value, v) == 0) {
      int rc = dm_canvas_reset(s->spec.canvas);
      if (rc) return dm_error_set(err, rc, "cannot reset the canvas");
      *out = &s->spec;
      return DM_OK;
    }
  }
  spec_entry *ns = realloc(g->specs, (size_t)(g->nspecs + 1) * sizeof *ns);
  if (!ns) return dm_error_set(err, DM_ENOMEM, "out of memory");
  g->specs = ns;
  spec_entry *s = &g->specs[g->nspecs];
  memset(s, 0, sizeof *s);
  int rc = dm_cli_spec_load(g->env, r->kind, v, mt, &s->spec, err);
  if (rc) return rc;
  s->kind = r->kind;
  s->max_tokens = mt;
  s->value = strdup(v);
  if (!s->value) {
    dm_cli_spec_free(&s->spec);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  g->nspecs++;
  *out = &s->spec;
  return DM_OK;
}

/* The prompt's ids: chat-formatted (a form's instruction first) unless raw. *ids
 * malloc'd. */
static int prompt_ids(gen_ctx *g, const gen_req *r, const dm_cli_spec *spec, int32_t **ids, size_t *n,
                      dm_error *err) {
  const char *instr = spec->form ? dm_form_instruction(spec->form) : NULL;
  const char *p = r->prompt ? r->prompt : "";
  size_t ulen = strlen(p) + (instr ? strlen(instr) + 2 : 0) + 1;
  char *user = malloc(ulen);
  if (!user) return dm_error_set(err, DM_ENOMEM, "out of memory");
  snprintf(user, ulen, "%s%s%s", instr ? instr : "", instr && *p ? "\n\n" : "", p);
  int rc;
  if (r->raw_prompt) {
    rc = dm_tokenizer_encode_alloc(g->tok, user, strlen(user), DM_TOKENIZE_PARSE_SPECIAL, ids, n, err);
  } else {
    long need = dm_chat_format(g->tok, user, NULL, NULL, 0, err);
    char *chat = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (need < 0) rc = (int)need;
    else if (!chat) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    else {
      dm_chat_format(g->tok, user, NULL, chat, (size_t)need + 1, err);
      rc = dm_tokenizer_encode_alloc(g->tok, chat, (size_t)need, DM_TOKENIZE_PARSE_SPECIAL, ids, n, err);
    }
    free(chat);
  }
  free(user);
  return rc;
}

/* Slot tokens that carry the answer: filler (EOS tails, trailing spaces) left out. */
static int32_t generated_tokens(const gen_ctx *g, const dm_canvas *c) {
  int32_t total = 0, eos = dm_canvas_eos(c);
  for (int i = 0; i < dm_canvas_slot_count(c); i++) {
    dm_canvas_slot_info si;
    if (dm_canvas_slot(c, i, &si)) continue;
    int32_t used = 0;
    for (int32_t k = 0; k < si.len; k++) {
      int32_t t = dm_canvas_token(c, si.start + k);
      if (si.filler == 2 && t == eos) break;
      if (si.filler == 1) {
        size_t bl = 0;
        const char *b = dm_tokenizer_token_bytes(g->tok, t, &bl);
        int blank = b != NULL;
        for (size_t j = 0; b && j < bl; j++) blank &= b[j] == ' ';
        if (blank) continue;
      }
      used = k + 1;
    }
    total += used;
  }
  return total;
}

static char *canvas_text(const dm_canvas *c, const char *mask, int strip) {
  long n = dm_canvas_text(c, mask, strip, NULL, 0);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf) dm_canvas_text(c, mask, strip, buf, (size_t)n + 1);
  return buf;
}

static bool on_step(const dm_decode_step *s, const dm_canvas *c, void *user) {
  gen_ctx *g = user;
  if (g->nsteps == g->capsteps) {
    int cap = g->capsteps ? g->capsteps * 2 : 64;
    int32_t *np = realloc(g->per_step, (size_t)cap * sizeof *np);
    if (np) {
      g->per_step = np;
      g->capsteps = cap;
    }
  }
  if (g->nsteps < g->capsteps) g->per_step[g->nsteps++] = s->committed + s->forced;
  if (g->visual) {
    char *t = canvas_text(c, "\xe2\x96\xa2", 0);
    fprintf(stderr, "\0338\033[J%s\n", t ? t : "");
    free(t);
  }
  if (g->progress) {
    int32_t done = s->canvas_tokens - s->masks_left, w = 30;
    int fill = s->canvas_tokens ? (int)((long)done * w / s->canvas_tokens) : w;
    fprintf(stderr, "\r[%.*s%*s] %d/%d tokens  step %d  NFE %d", fill, "##############################", w - fill,
            "", (int)done, (int)s->canvas_tokens, s->step + 1, s->stats->nfe);
    fflush(stderr);
  }
  return true;
}

/* Run one request; on success *res is a new JSON object (caller frees). */
static int generate_one(gen_ctx *g, const gen_req *r, cJSON **res, dm_error *err) {
  *res = NULL;
  double t0 = now_ms();
  dm_cli_spec *spec = NULL;
  int rc = spec_get(g, r, &spec, err);
  if (rc) return rc;
  double compile_ms = now_ms() - t0;
  int32_t *ids = NULL;
  size_t n = 0;
  rc = prompt_ids(g, r, spec, &ids, &n, err);
  if (rc) {
    if (rc == DM_EUNSUPPORTED) dm_error_set(err, rc, "%s (pass --raw-prompt to use the prompt as it is)", err->message);
    return rc;
  }
  dm_decode_stats st;
  if (g->visual) fputs("\0337", stderr);
  g->nsteps = 0;
  rc = dm_decode(spec->canvas, ids, (int32_t)n, g->src, &r->dp, &st, on_step, g, err);
  if (g->progress) fputc('\n', stderr);
  free(ids);
  if (rc) return rc;
  char *text = canvas_text(spec->canvas, NULL, 1);
  if (!text) return dm_error_set(err, DM_ENOMEM, "out of memory");
  int valid = spec->lang ? dm_lang_match(spec->lang, text, strlen(text), NULL) : 1;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "text", text);
  cJSON_AddBoolToObject(o, "valid", valid);
  cJSON_AddNumberToObject(o, "nfe", st.nfe);
  cJSON_AddNumberToObject(o, "steps", st.steps);
  cJSON_AddNumberToObject(o, "forced", st.forced);
  cJSON_AddNumberToObject(o, "eos_filled", st.eos_filled);
  cJSON_AddNumberToObject(o, "committed", st.committed);
  cJSON_AddNumberToObject(o, "repicked", st.repicked);
  cJSON_AddNumberToObject(o, "max_per_step", st.max_per_step);
  cJSON_AddNumberToObject(o, "tokens", st.canvas_tokens);
  cJSON_AddNumberToObject(o, "generated_tokens", generated_tokens(g, spec->canvas));
  cJSON_AddNumberToObject(o, "prompt_tokens", st.prompt_tokens);
  cJSON_AddNumberToObject(o, "time_ms", st.total_ms);
  cJSON_AddNumberToObject(o, "model_ms", st.model_ms);
  cJSON_AddNumberToObject(o, "constraint_ms", st.constraint_ms);
  cJSON_AddNumberToObject(o, "compile_ms", compile_ms);
  cJSON_AddStringToObject(o, "strategy", dm_strategy_name(r->dp.strategy));
  cJSON_AddNumberToObject(o, "seed", (double)r->dp.seed);
  cJSON *ps = cJSON_AddArrayToObject(o, "per_step");
  for (int i = 0; i < g->nsteps; i++) cJSON_AddItemToArray(ps, cJSON_CreateNumber(g->per_step[i]));
  free(text);
  *res = o;
  if (!valid) return dm_error_set(err, DM_EINTERNAL, "the output is not in the spec's language (a bug)");
  return DM_OK;
}

/* ------------------------------------------------------------------ options */

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi)
    return dm_cli_usage_error(CMD, "%s wants an integer from %ld to %ld, not '%s'", opt, lo, hi, s);
  *out = v;
  return 0;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !(v >= lo && v <= hi))
    return dm_cli_usage_error(CMD, "%s wants a number from %g to %g, not '%s'", opt, lo, hi, s);
  *out = v;
  return 0;
}

/* Batch line fields override the command line's settings. Returns 0, or a
 * message in *why. */
static const char *req_from_json(const cJSON *o, gen_req *r) {
  if (!cJSON_IsObject(o)) return "a request line must be a JSON object";
  static const char *const spec_keys[4] = {"schema", "prior", "template", "regex"};
  static const char kinds[4] = {'s', 'p', 't', 'r'};
  int nspec = 0;
  for (int i = 0; i < 4; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, spec_keys[i]);
    if (!v) continue;
    if (!cJSON_IsString(v)) return "a spec (schema, prior, template, regex) must be a string";
    r->kind = kinds[i];
    r->spec = v->valuestring;
    nspec++;
  }
  if (nspec > 1) return "give at most one of schema, prior, template, regex";
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "prompt");
  if (v && !cJSON_IsString(v)) return "\"prompt\" must be a string";
  if (v) r->prompt = v->valuestring;
  v = cJSON_GetObjectItemCaseSensitive(o, "strategy");
  if (v && (!cJSON_IsString(v) || dm_strategy_parse(v->valuestring, &r->dp.strategy)))
    return "unknown \"strategy\"";
  struct { const char *key; double lo, hi; } nums[] = {
      {"max_tokens", 1, 4096}, {"threshold", 0, 1}, {"steps", 0, 1 << 20}, {"block_length", 1, 4096},
      {"temperature", 0, 100}, {"top_k", 0, 1 << 20}, {"top_p", 1e-9, 1}, {"seed", 0, 9007199254740991.0}};
  for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    v = cJSON_GetObjectItemCaseSensitive(o, nums[i].key);
    if (!v) continue;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= nums[i].lo && v->valuedouble <= nums[i].hi))
      return "a number field is out of range (max_tokens, threshold, steps, block_length, temperature, top_k, top_p, seed)";
    double d = v->valuedouble;
    switch (i) {
      case 0: r->max_tokens = (int)d; break;
      case 1: r->dp.threshold = d; break;
      case 2: r->dp.steps = (int)d; break;
      case 3: r->dp.block_length = (int)d; break;
      case 4: r->dp.temperature = d; break;
      case 5: r->dp.top_k = (int)d; break;
      case 6: r->dp.top_p = d; break;
      default: r->dp.seed = (uint64_t)d; break;
    }
  }
  v = cJSON_GetObjectItemCaseSensitive(o, "raw_prompt");
  if (v) r->raw_prompt = cJSON_IsTrue(v);
  return NULL;
}

static cJSON *error_object(int rc, const dm_error *err) {
  char line[2048];
  if (err && err->code == rc && (err->message[0] || err->pos_kind != DM_POS_NONE))
    dm_error_format(err, line, sizeof line);
  else
    snprintf(line, sizeof line, "%s", dm_strerror(rc));
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", line);
  cJSON_AddStringToObject(o, "code", dm_err_name(rc));
  cJSON_AddNumberToObject(o, "exit", dm_cli_exit_code(rc));
  return o;
}

static int run_batch(gen_ctx *g, const gen_req *defaults, const char *in, const char *outp) {
  FILE *fi = strcmp(in, "-") == 0 ? stdin : fopen(in, "r");
  if (!fi) {
    fprintf(stderr, "dimple " CMD ": error: cannot open %s [DM_ENOENT]\n", in);
    return DM_EXIT_USAGE;
  }
  FILE *fo = outp ? fopen(outp, "w") : stdout;
  if (!fo) {
    if (fi != stdin) fclose(fi);
    fprintf(stderr, "dimple " CMD ": error: cannot write %s [DM_EIO]\n", outp);
    return DM_EXIT_RUNTIME;
  }
  char *line = NULL;
  size_t cap = 0;
  long lineno = 0, ok = 0, bad = 0;
  int first_fail = DM_EXIT_OK;
  while (getline(&line, &cap, fi) >= 0) {
    lineno++;
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = 0;
    if (!l) continue;
    cJSON *req = cJSON_Parse(line), *res = NULL;
    gen_req r = *defaults;
    dm_error err;
    dm_error_clear(&err);
    const char *why = req ? req_from_json(req, &r) : "not JSON";
    int rc;
    if (why) rc = dm_error_set(&err, DM_EINVAL, "line %ld: %s", lineno, why);
    else rc = generate_one(g, &r, &res, &err);
    if (rc) {
      cJSON_Delete(res);
      res = error_object(rc, &err);
      bad++;
      if (!first_fail) first_fail = dm_cli_exit_code(rc);
    } else {
      ok++;
    }
    const cJSON *id = req ? cJSON_GetObjectItemCaseSensitive(req, "id") : NULL;
    cJSON *idv = id ? cJSON_Duplicate(id, 1) : cJSON_CreateNumber((double)lineno);
    cJSON_AddItemToObject(res, "id", idv);
    char *s = cJSON_PrintUnformatted(res);
    if (s) fprintf(fo, "%s\n", s);
    fflush(fo);
    cJSON_free(s);
    cJSON_Delete(res);
    cJSON_Delete(req);
  }
  free(line);
  if (fi != stdin) fclose(fi);
  if (fo != stdout && fclose(fo) != 0) {
    fprintf(stderr, "dimple " CMD ": error: cannot write %s [DM_EIO]\n", outp);
    return DM_EXIT_RUNTIME;
  }
  fprintf(stderr, "dimple " CMD ": %ld requests, %ld ok, %ld failed\n", ok + bad, ok, bad);
  return first_fail;
}

int dm_cmd_generate(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},     {"tokenizer", required_argument, NULL, 'T'},
      {"prior", required_argument, NULL, 'P'},     {"schema", required_argument, NULL, 's'},
      {"regex", required_argument, NULL, 'r'},     {"template", required_argument, NULL, 't'},
      {"prompt", required_argument, NULL, 'p'},    {"prompt-file", required_argument, NULL, 'F'},
      {"max-tokens", required_argument, NULL, 'n'}, {"strategy", required_argument, NULL, 'S'},
      {"threshold", required_argument, NULL, 'x'}, {"steps", required_argument, NULL, 'k'},
      {"block-length", required_argument, NULL, 'b'}, {"temperature", required_argument, NULL, 'e'},
      {"top-k", required_argument, NULL, 'K'},     {"top-p", required_argument, NULL, 'N'},
      {"seed", required_argument, NULL, 'd'},      {"no-prefill", no_argument, NULL, 'C'},
      {"raw-prompt", no_argument, NULL, 'R'},      {"json", no_argument, NULL, 'j'},
      {"progress", no_argument, NULL, 'g'},        {"visual", no_argument, NULL, 'v'},
      {"batch", required_argument, NULL, 'B'},     {"out", required_argument, NULL, 'o'},
      {"threads", required_argument, NULL, 'H'},   {"renorm-confidence", no_argument, NULL, 'Z'},
      {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
  };
  gen_req r;
  memset(&r, 0, sizeof r);
  r.dp = dm_decode_default_params();
  const char *model = NULL, *tfile = NULL, *prompt_file = NULL, *batch = NULL, *outp = NULL;
  int nspec = 0, json = 0, prefill = 1, progress = 0, visual = 0;
  long threads = 0, lv;
  double dv;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "hp:", opts, NULL)) != -1) {
    switch (c) {
      case 'm': model = optarg; break;
      case 'T': tfile = optarg; break;
      case 'P': case 's': case 'r': case 't':
        r.kind = c == 'P' ? 'p' : (char)c;
        r.spec = optarg;
        nspec++;
        break;
      case 'p': r.prompt = optarg; break;
      case 'F': prompt_file = optarg; break;
      case 'n': if (parse_int("--max-tokens", optarg, 1, 4096, &lv)) return DM_EXIT_USAGE; r.max_tokens = (int)lv; break;
      case 'S':
        if (dm_strategy_parse(optarg, &r.dp.strategy))
          return dm_cli_usage_error(CMD, "unknown strategy '%s' (confident, maskgit, margin, entropy, random, blocks, fastdllm)", optarg);
        break;
      case 'x': if (parse_num("--threshold", optarg, 0, 1, &r.dp.threshold)) return DM_EXIT_USAGE; break;
      case 'k': if (parse_int("--steps", optarg, 1, 1 << 20, &lv)) return DM_EXIT_USAGE; r.dp.steps = (int)lv; break;
      case 'b': if (parse_int("--block-length", optarg, 1, 4096, &lv)) return DM_EXIT_USAGE; r.dp.block_length = (int)lv; break;
      case 'e': if (parse_num("--temperature", optarg, 0, 100, &r.dp.temperature)) return DM_EXIT_USAGE; break;
      case 'K': if (parse_int("--top-k", optarg, 0, 1 << 20, &lv)) return DM_EXIT_USAGE; r.dp.top_k = (int)lv; break;
      case 'N': if (parse_num("--top-p", optarg, 1e-9, 1, &r.dp.top_p)) return DM_EXIT_USAGE; break;
      case 'd': {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(optarg, &end, 10);
        if (end == optarg || *end || errno || optarg[0] == '-')
          return dm_cli_usage_error(CMD, "--seed wants a non-negative integer, not '%s'", optarg);
        r.dp.seed = s;
        break;
      }
      case 'C': prefill = 0; break;
      case 'R': r.raw_prompt = 1; break;
      case 'j': json = 1; break;
      case 'g': progress = 1; break;
      case 'v': visual = 1; break;
      case 'B': batch = optarg; break;
      case 'o': outp = optarg; break;
      case 'H': if (parse_int("--threads", optarg, 1, 256, &threads)) return DM_EXIT_USAGE; break;
      case 'Z': r.dp.renorm_confidence = 1; break;
      case 'h': dm_cli_print_help(dm_command_find(CMD)); return DM_EXIT_OK;
      default:
        if (optopt && optopt != 'h') return dm_cli_usage_error(CMD, "option '%s' needs an argument", argv[optind - 1]);
        return dm_cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
  }
  (void)dv;
  if (optind < argc) {
    if (r.prompt || prompt_file || optind + 1 < argc)
      return dm_cli_usage_error(CMD, "unexpected argument '%s' (give the prompt once: -p TEXT, --prompt-file FILE, one argument or stdin)", argv[optind]);
    r.prompt = argv[optind];
  }
  if (nspec > 1) return dm_cli_usage_error(CMD, "give at most one spec: --prior, --schema, --regex or --template");
  if (r.prompt && prompt_file) return dm_cli_usage_error(CMD, "give the prompt once: -p TEXT or --prompt-file FILE");
  if (outp && !batch) return dm_cli_usage_error(CMD, "--out goes with --batch");
  if (batch && (r.prompt || prompt_file)) return dm_cli_usage_error(CMD, "--batch takes the prompts from its lines");
  (void)nspec;

  const char *mdir = find_model(model);
  if (!mdir) {
    fprintf(stderr, "dimple " CMD ": error: no model: pass --model DIR (a diffusion LM checkpoint directory) or set DIMPLE_MODEL [DM_EMODEL]\n");
    return DM_EXIT_MODEL;
  }
  char *owned_prompt = NULL;
  if (!batch && (prompt_file || !r.prompt)) {
    size_t len = 0;
    dm_error err;
    dm_error_clear(&err);
    int rc = dm_cli_read_all(prompt_file, &owned_prompt, &len, &err);
    if (rc) return dm_cli_fail(CMD, rc, &err);
    while (len && (owned_prompt[len - 1] == '\n' || owned_prompt[len - 1] == '\r')) owned_prompt[--len] = 0;
    r.prompt = owned_prompt;
  }

  gen_ctx g;
  memset(&g, 0, sizeof g);
  int ex = DM_EXIT_OK, rc;
  dm_error err;
  dm_error_clear(&err);
  if (!tfile && !is_model_dir(mdir)) {
    fprintf(stderr, "dimple " CMD ": error: %s: not a model directory (no config.json) [DM_EMODEL]\n", mdir);
    ex = DM_EXIT_MODEL;
    goto out;
  }
  ex = dm_cli_load_tokenizer(CMD, tfile ? NULL : mdir, tfile, &g.tok);
  if (ex) {
    if (ex == DM_EXIT_USAGE && !tfile) { /* the model dir lacks its tokenizer */
      fprintf(stderr, "dimple " CMD ": the model directory needs a tokenizer.json, or pass --tokenizer FILE\n");
      ex = DM_EXIT_MODEL;
    }
    goto out;
  }
  dm_model_params mp = dm_model_default_params();
  mp.n_threads = (int)threads;
  rc = dm_model_load(mdir, &mp, &g.model, &err);
  if (rc) {
    ex = dm_cli_fail(CMD, rc, &err);
    goto out;
  }
  dm_model_info info;
  dm_model_info_get(g.model, &info);
  if (info.vocab < dm_tokenizer_vocab_size(g.tok)) {
    fprintf(stderr, "dimple " CMD ": error: %s: the model's vocabulary (%d) is smaller than the tokenizer's (%d); "
            "they do not belong together [DM_EMODEL]\n", mdir, info.vocab, (int)dm_tokenizer_vocab_size(g.tok));
    ex = DM_EXIT_MODEL;
    goto out;
  }
  rc = dm_logits_source_model(g.model, prefill, dm_tokenizer_special_id(g.tok, DM_SPECIAL_MASK), &g.src, &err);
  if (!rc) rc = dm_prior_env_new(g.tok, &g.env, &err);
  if (rc) {
    ex = dm_cli_fail(CMD, rc, &err);
    goto out;
  }
  g.progress = progress && isatty(2);
  g.visual = visual && isatty(2) && !batch;
  if (batch) {
    ex = run_batch(&g, &r, batch, outp);
    goto out;
  }
  cJSON *res = NULL;
  rc = generate_one(&g, &r, &res, &err);
  if (rc) {
    ex = dm_cli_fail(CMD, rc, &err);
  } else if (json) {
    char *s = cJSON_PrintUnformatted(res);
    if (s) puts(s);
    cJSON_free(s);
  } else {
    puts(cJSON_GetObjectItemCaseSensitive(res, "text")->valuestring);
  }
  cJSON_Delete(res);
out:
  for (int i = 0; i < g.nspecs; i++) {
    dm_cli_spec_free(&g.specs[i].spec);
    free(g.specs[i].value);
  }
  free(g.specs);
  free(g.per_step);
  dm_logits_source_free(g.src);
  dm_prior_env_free(g.env);
  dm_model_free(g.model);
  dm_tokenizer_free(g.tok);
  free(owned_prompt);
  return ex;
}
