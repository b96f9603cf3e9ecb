/* dimple check — is a text in a spec's language? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* line:col of a byte offset */
static void line_col(const char *s, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off; i++) {
    if (s[i] == '\n') { (*line)++; *col = 1; }
    else (*col)++;
  }
}

int dm_cmd_check(int argc, char **argv) {
  static const struct option opts[] = {
      {"schema", required_argument, NULL, 's'}, {"regex", required_argument, NULL, 'r'},
      {"template", required_argument, NULL, 't'}, {"prior", required_argument, NULL, 'p'},
      {"canonical", no_argument, NULL, 'c'}, {"exact", no_argument, NULL, 'x'},
      {"spec-mode", no_argument, NULL, 'S'}, {"lenient", no_argument, NULL, 'L'},
      {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
  };
  const char *schema = NULL, *regex = NULL, *tmpl = NULL, *prior = NULL;
  int canonical = 0, exact = 0, quiet = 0;
  dm_schema_params params = dm_schema_default_params();
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
    switch (c) {
      case 's': schema = optarg; break;
      case 'r': regex = optarg; break;
      case 't': tmpl = optarg; break;
      case 'p': prior = optarg; break;
      case 'c': canonical = 1; break;
      case 'x': exact = 1; break;
      case 'S': params.spec_mode = 1; break;
      case 'L': params.lenient = 1; break;
      case 'q': quiet = 1; break;
      case 'h': dm_cli_print_help(dm_command_find("check")); return DM_EXIT_OK;
      default:
        if (optopt && strchr("srtp", optopt))
          return dm_cli_usage_error("check", "option '%s' needs an argument", argv[optind - 1]);
        return dm_cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (!!schema + !!regex + !!tmpl + !!prior != 1)
    return dm_cli_usage_error("check", "give exactly one spec: --schema FILE, --regex RE, --template T or --prior FILE");
  if (canonical && !schema && !prior) return dm_cli_usage_error("check", "--canonical needs --schema or a JSON --prior");
  if (optind + 1 < argc) return dm_cli_usage_error("check", "expected at most one input file, got '%s'", argv[optind + 1]);
  const char *input = optind < argc ? argv[optind] : "-";

  dm_error err;
  dm_error_clear(&err);
  dm_lang *lang = NULL;
  int rc;
  if (schema) {
    char *text = NULL;
    size_t len = 0;
    rc = dm_cli_read_all(schema, &text, &len, &err);
    if (rc) return dm_cli_fail("check", rc, &err);
    rc = dm_lang_from_schema(text, len, &params, &lang, &err);
    free(text);
    dm_error_set_source(&err, schema);
  } else if (prior) {
    dm_form *form = NULL;
    rc = dm_form_load(prior, NULL, &form, &err);
    if (!rc && canonical && !dm_form_is_json(form)) {
      dm_form_free(form);
      return dm_cli_usage_error("check", "--canonical needs a form with JSON output");
    }
    if (!rc) rc = dm_lang_from_form(form, &params, NULL, &lang, &err);
    dm_form_free(form);
  } else if (tmpl) {
    rc = dm_lang_from_template(tmpl, strlen(tmpl), NULL, &lang, &err);
    dm_error_set_source(&err, "template");
  } else {
    rc = dm_lang_from_regex(regex, strlen(regex), &lang, &err);
    dm_error_set_source(&err, "regex");
  }
  if (rc) return dm_cli_fail("check", rc, &err);

  char *text = NULL;
  size_t len = 0;
  rc = dm_cli_read_all(input, &text, &len, &err);
  if (rc) {
    dm_lang_free(lang);
    return dm_cli_fail("check", rc, &err);
  }
  if (!exact) { /* one trailing newline is the file's, not the text's */
    if (len && text[len - 1] == '\n') text[--len] = 0;
    if (len && text[len - 1] == '\r') text[--len] = 0;
  }
  const char *name = strcmp(input, "-") == 0 ? "stdin" : input;
  int result = DM_EXIT_OK;
  if (canonical) {
    char *canon = NULL;
    size_t clen = 0;
    dm_error jerr;
    dm_error_clear(&jerr);
    rc = dm_lang_canonicalize(lang, text, len, &canon, &clen, &jerr);
    if (rc == DM_ESYNTAX) {
      if (!quiet) fprintf(stderr, "dimple check: %s:%d:%d: not JSON (byte %zu)\n", name, jerr.line, jerr.col, jerr.offset);
      free(text);
      dm_lang_free(lang);
      return DM_EXIT_CHECK_FAILED;
    }
    if (rc) {
      free(text);
      dm_lang_free(lang);
      return dm_cli_fail("check", rc, &jerr);
    }
    free(text);
    text = canon;
    len = clen;
    name = "canonical form";
  }
  size_t at = 0;
  if (!dm_lang_match(lang, text, len, &at)) {
    result = DM_EXIT_CHECK_FAILED;
    if (!quiet) {
      int line, col;
      line_col(text, at, &line, &col);
      if (at < len)
        fprintf(stderr, "dimple check: %s:%d:%d: not in the language: byte %zu (0x%02x) cannot continue any valid text\n",
                name, line, col, at, (unsigned char)text[at]);
      else if (dm_lang_is_empty(lang))
        fprintf(stderr, "dimple check: the spec's language is empty: no text satisfies it\n");
      else
        fprintf(stderr, "dimple check: %s:%d:%d: not in the language: the text ends too early (byte %zu)\n", name,
                line, col, at);
      if (canonical) fprintf(stderr, "dimple check: canonical form: %s\n", text);
    }
  }
  free(text);
  dm_lang_free(lang);
  return result;
}
