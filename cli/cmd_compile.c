/* dimple compile — show the canvas a spec compiles to. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"

static const char *ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0 ? s + a - b : NULL;
}

static int print_json(const dm_canvas *cv, const dm_tokenizer *tok, double ms) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "tokens", dm_canvas_length(cv));
  cJSON_AddNumberToObject(o, "masks", dm_canvas_masks_left(cv));
  cJSON_AddNumberToObject(o, "compile_ms", ms);
  cJSON *ids = cJSON_AddArrayToObject(o, "canvas");
  for (int32_t i = 0; i < dm_canvas_length(cv); i++) cJSON_AddItemToArray(ids, cJSON_CreateNumber(dm_canvas_token(cv, i)));
  cJSON *sl = cJSON_AddArrayToObject(o, "slots");
  for (int i = 0; i < dm_canvas_slot_count(cv); i++) {
    dm_canvas_slot_info si;
    dm_canvas_slot(cv, i, &si);
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "name", si.name);
    cJSON_AddNumberToObject(x, "start", si.start);
    cJSON_AddNumberToObject(x, "budget", si.len);
    cJSON_AddNumberToObject(x, "min_tokens", si.min_tokens);
    cJSON_AddNumberToObject(x, "states", si.states);
    cJSON_AddStringToObject(x, "filler", si.filler == 2 ? "eos" : si.filler == 1 ? "spaces" : "none");
    cJSON_AddItemToArray(sl, x);
  }
  (void)tok;
  return dm_cli_print_json(stdout, o, 0);
}

int dm_cmd_compile(int argc, char **argv) {
  static const struct option opts[] = {
      {"schema", required_argument, NULL, 's'}, {"regex", required_argument, NULL, 'r'},
      {"template", required_argument, NULL, 't'}, {"prior", required_argument, NULL, 'p'},
      {"model", required_argument, NULL, 'm'},  {"tokenizer", required_argument, NULL, 'T'},
      {"json", no_argument, NULL, 'j'},         {"max-tokens", required_argument, NULL, 'n'},
      {"spec-mode", no_argument, NULL, 'S'},    {"lenient", no_argument, NULL, 'L'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
  };
  const char *schema = NULL, *regex = NULL, *tmpl = NULL, *prior = NULL, *model = NULL, *tfile = NULL;
  char *owned = NULL;
  int json = 0;
  dm_canvas_params params = dm_canvas_default_params();
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 's': schema = optarg; break;
      case 'r': regex = optarg; break;
      case 't': tmpl = optarg; break;
      case 'p': prior = optarg; break;
      case 'm': model = optarg; break;
      case 'T': tfile = optarg; break;
      case 'j': json = 1; break;
      case 'S': params.schema.spec_mode = 1; break;
      case 'L': params.schema.lenient = 1; break;
      case 'n': {
        char *end;
        long v = strtol(optarg, &end, 10);
        if (*end || v < 1 || v > 4096) return dm_cli_usage_error("compile", "--max-tokens wants an integer from 1 to 4096, not '%s'", optarg);
        params.max_tokens = (int)v;
        break;
      }
      case 'h': dm_cli_print_help(dm_command_find("compile")); return DM_EXIT_OK;
      default:
        if (optopt) return dm_cli_usage_error("compile", "option '%s' needs an argument", argv[optind - 1]);
        return dm_cli_usage_error("compile", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) { /* SPEC by extension */
    const char *spec = argv[optind++];
    if (schema || regex || tmpl || prior)
      return dm_cli_usage_error("compile", "give the spec once (a file or --schema/--regex/--template/--prior)");
    bool is_re = ends_with(spec, ".re"), is_tmpl = ends_with(spec, ".tmpl");
    if (ends_with(spec, ".json")) schema = spec;
    else if (ends_with(spec, ".yaml") || ends_with(spec, ".yml")) prior = spec;
    else if (!is_re && !is_tmpl)
      return dm_cli_usage_error("compile", "cannot tell the spec type of '%s' (use .json, .re, .tmpl, or --schema/--regex/--template)", spec);
    if (is_re || is_tmpl) {
      size_t len = 0;
      dm_error err;
      dm_error_clear(&err);
      int rc = dm_cli_read_all(spec, &owned, &len, &err);
      if (rc) return dm_cli_fail("compile", rc, &err);
      while (len && (owned[len - 1] == '\n' || owned[len - 1] == '\r')) owned[--len] = 0;
      if (is_re) regex = owned;
      else tmpl = owned;
    }
  }
  if (optind < argc) return dm_cli_usage_error("compile", "unexpected argument '%s'", argv[optind]);
  if (!!schema + !!regex + !!tmpl + !!prior != 1) {
    free(owned);
    return dm_cli_usage_error("compile", "give one spec: FILE.json, FILE.re, FILE.tmpl, FILE.yaml, --schema, --regex, --template or --prior");
  }

  dm_tokenizer *tok = NULL;
  int ex = dm_cli_load_tokenizer("compile", model, tfile, &tok);
  if (ex) {
    free(owned);
    return ex;
  }
  dm_error err;
  dm_error_clear(&err);
  dm_prior_env *env = NULL;
  int rc = dm_prior_env_new(tok, &env, &err);
  if (rc) {
    dm_tokenizer_free(tok);
    free(owned);
    return dm_cli_fail("compile", rc, &err);
  }
  dm_canvas *cv = NULL;
  double t0 = dm_cli_now_ms();
  if (schema) {
    char *text = NULL;
    size_t len = 0;
    rc = dm_cli_read_all(schema, &text, &len, &err);
    if (!rc) {
      rc = dm_canvas_from_schema(env, text, len, &params, &cv, &err);
      dm_error_set_source(&err, schema);
    }
    free(text);
  } else if (prior) {
    dm_form *form = NULL;
    rc = dm_form_load(prior, NULL, &form, &err);
    if (!rc) rc = dm_canvas_from_form(env, form, &params, &cv, &err);
    if (!rc && !json) printf("instruction: %s\n", dm_form_instruction(form));
    dm_form_free(form);
  } else if (tmpl) {
    rc = dm_canvas_from_template(env, tmpl, strlen(tmpl), &params, &cv, &err);
    dm_error_set_source(&err, "template");
  } else {
    rc = dm_canvas_from_regex(env, regex, strlen(regex), &params, &cv, &err);
    dm_error_set_source(&err, "regex");
  }
  double ms = dm_cli_now_ms() - t0;
  int result = DM_EXIT_OK;
  if (rc) {
    result = dm_cli_fail("compile", rc, &err);
  } else if (json) {
    result = print_json(cv, tok, ms);
  } else {
    long n = dm_canvas_text(cv, "\xe2\x96\xa2", 0, NULL, 0);
    char *buf = malloc((size_t)n + 1);
    if (buf) {
      dm_canvas_text(cv, "\xe2\x96\xa2", 0, buf, (size_t)n + 1);
      printf("canvas (%d tokens, %d masked; \xe2\x96\xa2 = mask):\n%s\n\n", dm_canvas_length(cv),
             dm_canvas_masks_left(cv), buf);
      free(buf);
    }
    printf("%-24s %6s %6s %6s %7s %s\n", "slot", "start", "budget", "min", "states", "filler");
    for (int i = 0; i < dm_canvas_slot_count(cv); i++) {
      dm_canvas_slot_info si;
      dm_canvas_slot(cv, i, &si);
      printf("%-24s %6d %6d %6d %7d %s\n", si.name, si.start, si.len, si.min_tokens, si.states,
             si.filler == 2 ? "eos" : si.filler == 1 ? "spaces" : "none");
    }
    printf("\ncompiled in %.1f ms\n", ms);
  }
  dm_canvas_free(cv);
  dm_prior_env_free(env);
  dm_tokenizer_free(tok);
  free(owned);
  return result;
}
