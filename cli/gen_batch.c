/* dimple generate --batch: JSONL requests in, JSONL results out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Batch line fields override the command line's settings. Returns NULL, or what
 * is wrong with the line (static text). */
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

int dm_gen_batch(gen_ctx *g, const gen_req *defaults, const char *in, const char *outp) {
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
    else rc = dm_gen_one(g, &r, &res, &err);
    if (rc) {
      cJSON_Delete(res);
      res = dm_gen_error_object(rc, &err);
      bad++;
      if (!first_fail) first_fail = dm_cli_exit_code(rc);
    } else {
      ok++;
    }
    const cJSON *id = req ? cJSON_GetObjectItemCaseSensitive(req, "id") : NULL;
    cJSON *idv = id ? cJSON_Duplicate(id, 1) : cJSON_CreateNumber((double)lineno);
    cJSON_AddItemToObject(res, "id", idv);
    dm_cli_print_json(fo, res, 1);
    fflush(fo);
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

