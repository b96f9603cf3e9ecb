/* The decoder's guarantee at scale (driver of tests/decode/guarantee.sh): random tiny
 * checkpoints (LLaDA and Dream layouts, several seeds) decode every spec in priors/,
 * random regexes, random templates and (with SUITE_DIR) accepted schemas of the
 * JSON-Schema-Test-Suite, with every strategy, greedy and sampled, with and without
 * the prefill cache; every output must be in the spec's language (dm_lang_match).
 * JSON outputs are printed as lines {"where", "schema", "text"} for the independent
 * validator (tests/prior/validate.py). Summary on stderr: "N passed, N failed".
 * Usage: guarantee_gen TOKENIZER PRIORS_DIR [SUITE_DIR]  (PRIORS_DIR "-": the suite only) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <dimple/dimple.h>

#include "../testrng.h"

#ifdef DM_SANITIZERS
#define SCALE 8 /* fewer generations in the sanitizer build */
#else
#define SCALE 1
#endif

#define NMODELS 4

static dm_prior_env *g_env;
static dm_logits_source *g_src[NMODELS][2];
static int32_t g_prompt[16];
static int g_prompt_len;
static long g_gens, g_bad, g_skipped;
static unsigned g_cfg; /* rotates through the configurations */

static void decode_and_check(dm_canvas *c, const dm_lang *lang, const char *where, const char *schema, int times) {
  for (int k = 0; k < times; k++) {
    unsigned cfg = g_cfg++;
    dm_decode_params p = dm_decode_default_params();
    p.strategy = (dm_strategy)(cfg % 7);
    p.seed = rnd();
    if ((cfg / 7) % 2) {
      p.temperature = 0.5 + (double)(rnd() % 100) / 100.0;
      if (cfg % 3 == 0) p.top_k = 5;
      if (cfg % 5 == 0) p.top_p = 0.9;
    }
    int32_t masks = dm_canvas_masks_left(c);
    p.steps = masks <= 16 && cfg % 4 == 0 ? 0 : (int)(2 + rnd() % 7);
    p.block_length = (int)(2 + rnd() % 12);
    if (cfg % 6 == 0) p.threshold = 0.2;
    p.renorm_confidence = cfg % 9 == 0;
    dm_logits_source *src = g_src[(cfg / 14) % NMODELS][(cfg / 3) % 2];
    dm_canvas_reset(c);
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_decode(c, g_prompt, g_prompt_len, src, &p, NULL, NULL, NULL, &e);
    g_gens++;
    long len = dm_canvas_text(c, NULL, 1, NULL, 0);
    char *text = malloc((size_t)len + 1);
    dm_canvas_text(c, NULL, 1, text, (size_t)len + 1);
    if (rc || dm_canvas_masks_left(c) || !dm_lang_match(lang, text, (size_t)len, NULL)) {
      g_bad++;
      fprintf(stderr, "FAIL %s (%s, T=%.2f, seed %llu): %s: %s\n", where, dm_strategy_name(p.strategy), p.temperature,
              (unsigned long long)p.seed, rc ? e.message : "not in the language", text);
    } else if (schema && !memchr(text, 0, (size_t)len)) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "where", where);
      cJSON_AddRawToObject(o, "schema", schema);
      cJSON_AddStringToObject(o, "text", text);
      char *line = cJSON_PrintUnformatted(o);
      if (line) puts(line);
      cJSON_free(line);
      cJSON_Delete(o);
    }
    free(text);
  }
}

/* ------------------------------------------------------------------ random specs */

static void rand_atom(char *o, int depth);

static void rand_seq(char *o, int depth) {
  static const char *const quant[] = {"", "", "", "?", "*", "+", "{1,3}", "{2}"};
  int n = 1 + (int)(rnd() % 3);
  for (int i = 0; i < n; i++) {
    rand_atom(o, depth);
    strcat(o, quant[rnd() % 8]);
  }
}

static void rand_alt(char *o, int depth) {
  rand_seq(o, depth);
  int n = (int)(rnd() % 3);
  for (int i = 0; i < n; i++) {
    strcat(o, "|");
    rand_seq(o, depth);
  }
}

static void rand_atom(char *o, int depth) {
  static const char *const atoms[] = {"a", "b", "x", "0", "7", "-", "@", "\\.", " ", "[a-c]", "[0-9]",
                                      "\\d", "\\w", ".", "[^a-z]", "h", "hello", "é"};
  unsigned r = (unsigned)(rnd() % 20);
  if (r >= 18 && depth < 2) {
    strcat(o, "(");
    rand_alt(o, depth + 1);
    strcat(o, ")");
  } else {
    strcat(o, atoms[r % 18]);
  }
}

static void regexes(int count) {
  for (int i = 0; i < count; i++) {
    char re[512] = "";
    rand_alt(re, 0);
    dm_canvas_params p = dm_canvas_default_params();
    p.max_tokens = (int)(3 + rnd() % 10);
    dm_lang *lang = NULL;
    dm_canvas *c = NULL;
    dm_error e;
    if (dm_lang_from_regex(re, strlen(re), &lang, &e) ||
        dm_canvas_from_regex(g_env, re, strlen(re), &p, &c, &e)) {
      g_skipped++; /* too long for the budget */
    } else {
      char where[600];
      snprintf(where, sizeof where, "regex /%s/", re);
      decode_and_check(c, lang, where, NULL, 3);
    }
    dm_canvas_free(c);
    dm_lang_free(lang);
  }
}

static void templates(int count) {
  static const char *const slots[] = {"int <=3", "word <=4", "yes|no", "/[A-Z]{2}[0-9]/", "date <=12",
                                      "email <=14", "text <=6", "number <=5", "/[a-f]+/ =3", "red|green|blue"};
  static const char *const lits[] = {"Answer: ", " and ", ", ", "\n", " (", ") ", "x=", ""};
  for (int i = 0; i < count; i++) {
    char t[512] = "";
    int n = 1 + (int)(rnd() % 3);
    for (int k = 0; k < n; k++) {
      strcat(t, lits[rnd() % 8]);
      char s[64];
      snprintf(s, sizeof s, "{{s%d:%s}}", k, slots[rnd() % 10]);
      strcat(t, s);
    }
    if (rnd() % 2) strcat(t, ".");
    dm_lang *lang = NULL;
    dm_canvas *c = NULL;
    dm_error e;
    if (dm_lang_from_template(t, strlen(t), NULL, &lang, &e) ||
        dm_canvas_from_template(g_env, t, strlen(t), NULL, &c, &e)) {
      fprintf(stderr, "template %s: %s\n", t, e.message);
      g_skipped++;
    } else {
      char where[600];
      snprintf(where, sizeof where, "template %s", t);
      decode_and_check(c, lang, where, NULL, 3);
    }
    dm_canvas_free(c);
    dm_lang_free(lang);
  }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void priors(const char *dir) {
  DIR *dh = opendir(dir);
  struct dirent *de;
  while (dh && (de = readdir(dh))) {
    if (!strstr(de->d_name, ".yaml")) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    dm_form *form = NULL;
    dm_lang *lang = NULL;
    dm_canvas *c = NULL;
    dm_error e;
    if (dm_form_load(path, NULL, &form, &e) || dm_lang_from_form(form, NULL, NULL, &lang, &e) ||
        dm_canvas_from_form(g_env, form, NULL, &c, &e)) {
      fprintf(stderr, "FAIL %s: %s\n", path, e.message);
      g_bad++;
    } else {
      decode_and_check(c, lang, de->d_name, dm_form_is_json(form) ? dm_form_spec(form) : NULL, 56 / SCALE);
    }
    dm_canvas_free(c);
    dm_lang_free(lang);
    dm_form_free(form);
  }
  if (dh) closedir(dh);
}

static void suite(const char *dir, int every) {
  DIR *dh = opendir(dir);
  char *names[256];
  int nn = 0;
  struct dirent *de;
  while (dh && (de = readdir(dh)) && nn < 256)
    if (strstr(de->d_name, ".json")) names[nn++] = strdup(de->d_name);
  if (dh) closedir(dh);
  qsort(names, (size_t)nn, sizeof *names, cmp_str);
  long group = 0;
  for (int f = 0; f < nn; f++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, names[f]);
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    if (fp) {
      fseek(fp, 0, SEEK_END);
      long sz = ftell(fp);
      fseek(fp, 0, SEEK_SET);
      buf = malloc((size_t)sz + 1);
      size_t got = fread(buf, 1, (size_t)sz, fp);
      buf[got] = 0;
      fclose(fp);
    }
    cJSON *groups = buf ? cJSON_Parse(buf) : NULL;
    free(buf);
    int gi = 0;
    for (cJSON *g = groups ? groups->child : NULL; g; g = g->next, gi++) {
      if (group++ % every) continue;
      char *st = cJSON_PrintUnformatted(cJSON_GetObjectItem(g, "schema"));
      dm_canvas_params p = dm_canvas_default_params();
      p.schema.spec_mode = 1;
      p.value_tokens = 16;
      p.string_tokens = 12;
      dm_lang *lang = NULL;
      dm_canvas *c = NULL;
      dm_error e;
      if (dm_lang_from_schema(st, strlen(st), &p.schema, &lang, &e) == DM_OK && !dm_lang_is_empty(lang) &&
          dm_canvas_from_schema(g_env, st, strlen(st), &p, &c, &e) == DM_OK) {
        char where[512];
        snprintf(where, sizeof where, "%s#%d", names[f], gi);
        decode_and_check(c, lang, where, st, 4);
      }
      dm_canvas_free(c);
      dm_lang_free(lang);
      cJSON_free(st);
    }
    cJSON_Delete(groups);
    free(names[f]);
  }
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: guarantee_gen TOKENIZER PRIORS_DIR [SUITE_DIR]\n");
    return 2;
  }
  dm_tokenizer *tok = NULL;
  dm_error e;
  if (dm_tokenizer_load(argv[1], &tok, &e) || dm_prior_env_new(tok, &g_env, &e)) {
    fprintf(stderr, "%s: %s\n", argv[1], e.message);
    return 2;
  }
  dm_log_set_level(DM_LOG_ERROR);
  int32_t V = dm_tokenizer_vocab_size(tok);
  dm_model *models[NMODELS];
  for (int i = 0; i < NMODELS; i++) {
    /* the tokenizer's vocabulary plus a mask id of the model's own */
    dm_model_shape sh = {i % 2 ? DM_FAMILY_DREAM : DM_FAMILY_LLADA, DM_DTYPE_F32, 2, 32, 2, 1, 64, V + 1, 10000.0, i / 2};
    dm_model_params mp = dm_model_default_params();
    mp.n_threads = 1;
    if (dm_model_new_random(&sh, 100 + (uint64_t)i, &mp, &models[i], &e)) {
      fprintf(stderr, "random model: %s\n", e.message);
      return 2;
    }
    for (int pre = 0; pre < 2; pre++)
      if (dm_logits_source_model(models[i], pre, V, &g_src[i][pre], &e)) {
        fprintf(stderr, "source: %s\n", e.message);
        return 2;
      }
  }
  static const char prompt[] = "Fill in the answer.";
  g_prompt_len = (int)dm_tokenizer_encode(tok, prompt, sizeof prompt - 1, 0, g_prompt, 16, &e);
  if (g_prompt_len > 16) g_prompt_len = 16;

  if (strcmp(argv[2], "-") != 0) {
    priors(argv[2]);
    regexes(200 / SCALE);
    templates(120 / SCALE);
  }
  if (argc == 4) suite(argv[3], SCALE);

  for (int i = 0; i < NMODELS; i++) {
    for (int pre = 0; pre < 2; pre++) dm_logits_source_free(g_src[i][pre]);
    dm_model_free(models[i]);
  }
  dm_prior_env_free(g_env);
  dm_tokenizer_free(tok);
  fprintf(stderr, "%ld generations (%ld specs skipped: longer than their budget)\n", g_gens, g_skipped);
  fprintf(stderr, "%ld passed, %ld failed\n", g_gens - g_bad, g_bad);
  return g_bad ? 1 : 0;
}
