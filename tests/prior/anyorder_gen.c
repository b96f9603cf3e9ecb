/* The any-order guarantee at scale (driver of tests/prior/anyorder.sh): for every
 * schema of the JSON-Schema-Test-Suite the compiler accepts (spec mode) and every JSON
 * form in priors/ (generation mode), build the canvas against a real tokenizer, fill
 * it several times in random orders with random allowed tokens, check the text is in
 * the language, and print one JSON line per generation for the independent validator
 * (tests/prior/validate.py, Python jsonschema):
 *   {"where": ..., "schema": ..., "text": ...}
 * Usage: anyorder_gen TOKENIZER SUITE_DIR PRIORS_DIR FILLS SEED */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <dimple/dimple.h>

#include "../testrng.h"

static long g_gens, g_bad, g_infeasible;

static void fill_and_emit(dm_canvas *c, const dm_lang *lang, const char *where, const char *schema_text, int fills) {
  int32_t n = dm_canvas_length(c);
  uint64_t *bits = malloc(dm_canvas_vocab_words(c) * 8);
  int32_t *order = malloc((size_t)(n ? n : 1) * sizeof *order);
  for (int f = 0; f < fills; f++) {
    dm_canvas_reset(c);
    for (int32_t i = 0; i < n; i++) order[i] = i;
    for (int32_t i = n - 1; i > 0; i--) { int32_t j = (int32_t)(rnd() % (uint64_t)(i + 1)), t = order[i]; order[i] = order[j]; order[j] = t; }
    bool stuck = false;
    for (int32_t k = 0; k < n && !stuck; k++) {
      int32_t pos = order[k];
      if (dm_canvas_token(c, pos) >= 0) continue;
      int32_t cnt = dm_canvas_allowed(c, pos, bits);
      if (cnt <= 0) { stuck = true; break; }
      int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), t = -1;
      for (size_t w = 0; t < 0; w++)
        for (uint64_t b = bits[w]; b; b &= b - 1)
          if (pick-- == 0) { t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b)); break; }
      if (dm_canvas_commit(c, pos, t) != DM_OK) stuck = true;
    }
    g_gens++;
    long len = dm_canvas_text(c, NULL, 1, NULL, 0);
    char *text = malloc((size_t)len + 1);
    dm_canvas_text(c, NULL, 1, text, (size_t)len + 1);
    if (stuck || !dm_lang_match(lang, text, (size_t)len, NULL)) {
      g_bad++;
      fprintf(stderr, "FAIL %s: %s: %s\n", where, stuck ? "no allowed token / refused commit" : "not in the language", text);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "where", where);
    cJSON_AddRawToObject(o, "schema", schema_text);
    cJSON_AddStringToObject(o, "text", text); /* cannot carry U+0000; such texts are counted only here */
    char *line = cJSON_PrintUnformatted(o);
    if (line && !memchr(text, 0, (size_t)len)) puts(line);
    cJSON_free(line);
    cJSON_Delete(o);
    free(text);
  }
  free(bits);
  free(order);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: anyorder_gen TOKENIZER SUITE_DIR PRIORS_DIR FILLS SEED\n");
    return 2;
  }
  int fills = atoi(argv[4]);
  g_rng = strtoull(argv[5], NULL, 10) | 1;
  dm_tokenizer *tok = NULL;
  dm_prior_env *env = NULL;
  dm_error e;
  if (dm_tokenizer_load(argv[1], &tok, &e) || dm_prior_env_new(tok, &env, &e)) {
    fprintf(stderr, "%s: %s\n", argv[1], e.message);
    return 2;
  }
  dm_log_set_level(DM_LOG_ERROR);
  long schemas = 0;
  /* the suite, spec mode */
  DIR *dh = opendir(argv[2]);
  char *names[256];
  int nn = 0;
  struct dirent *de;
  while (dh && (de = readdir(dh)) && nn < 256)
    if (strstr(de->d_name, ".json")) names[nn++] = strdup(de->d_name);
  if (dh) closedir(dh);
  qsort(names, (size_t)nn, sizeof *names, cmp_str);
  for (int f = 0; f < nn; f++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", argv[2], names[f]);
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    size_t got = fread(buf, 1, (size_t)sz, fp);
    buf[got] = 0;
    fclose(fp);
    cJSON *groups = cJSON_Parse(buf);
    free(buf);
    int gi = 0;
    for (cJSON *g = groups ? groups->child : NULL; g; g = g->next, gi++) {
      char *st = cJSON_PrintUnformatted(cJSON_GetObjectItem(g, "schema"));
      dm_canvas_params p = dm_canvas_default_params();
      p.schema.spec_mode = 1;
      p.value_tokens = 24;
      dm_lang *lang = NULL;
      dm_canvas *c = NULL;
      if (dm_lang_from_schema(st, strlen(st), &p.schema, &lang, &e) == DM_OK) {
        int rc = dm_canvas_from_schema(env, st, strlen(st), &p, &c, &e);
        if (rc == DM_OK && !dm_lang_is_empty(lang)) {
          char where[512];
          snprintf(where, sizeof where, "%s#%d", names[f], gi);
          fill_and_emit(c, lang, where, st, fills);
          schemas++;
        } else if (rc == DM_EINFEASIBLE) {
          g_infeasible++; /* e.g. the empty language of "false", or a value longer than any budget */
        }
      }
      dm_canvas_free(c);
      dm_lang_free(lang);
      cJSON_free(st);
    }
    cJSON_Delete(groups);
    free(names[f]);
  }
  /* priors/ with JSON output, generation mode */
  dh = opendir(argv[3]);
  while (dh && (de = readdir(dh))) {
    if (!strstr(de->d_name, ".yaml")) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", argv[3], de->d_name);
    dm_form *form = NULL;
    if (dm_form_load(path, NULL, &form, &e) != DM_OK) { fprintf(stderr, "%s: %s\n", path, e.message); g_bad++; continue; }
    if (dm_form_is_json(form)) {
      dm_lang *lang = NULL;
      dm_canvas *c = NULL;
      if (dm_lang_from_form(form, NULL, NULL, &lang, &e) || dm_canvas_from_form(env, form, NULL, &c, &e)) {
        fprintf(stderr, "%s: %s\n", path, e.message);
        g_bad++;
      } else {
        fill_and_emit(c, lang, de->d_name, dm_form_spec(form), fills * 4);
        schemas++;
      }
      dm_canvas_free(c);
      dm_lang_free(lang);
    }
    dm_form_free(form);
  }
  if (dh) closedir(dh);
  fprintf(stderr, "anyorder_gen: %ld specs, %ld generations, %ld outside the language, %ld infeasible layouts skipped\n",
          schemas, g_gens, g_bad, g_infeasible);
  dm_prior_env_free(env);
  dm_tokenizer_free(tok);
  return g_bad ? 1 : 0;
}
