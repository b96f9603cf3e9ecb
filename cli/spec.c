/* Loading a format spec (schema file, regex, template, form file, or free text)
 * into a canvas and its language, for `dimple generate`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int dm_cli_spec_load(dm_prior_env *env, char kind, const char *value, int max_tokens, dm_cli_spec *out,
                     dm_error *err) {
  memset(out, 0, sizeof *out);
  out->kind = kind;
  dm_canvas_params p = dm_canvas_default_params();
  if (max_tokens > 0) p.max_tokens = max_tokens;
  int rc = DM_OK;
  switch (kind) {
    case 's': {
      char *text = NULL;
      size_t len = 0;
      rc = dm_cli_read_all(value, &text, &len, err);
      if (!rc) rc = dm_lang_from_schema(text, len, &p.schema, &out->lang, err);
      if (!rc) rc = dm_canvas_from_schema(env, text, len, &p, &out->canvas, err);
      if (rc) dm_error_set_source(err, value);
      free(text);
      out->is_json = 1;
      break;
    }
    case 'p':
      rc = dm_form_load(value, NULL, &out->form, err);
      if (!rc) rc = dm_lang_from_form(out->form, &p.schema, NULL, &out->lang, err);
      if (!rc) rc = dm_canvas_from_form(env, out->form, &p, &out->canvas, err);
      if (!rc) out->is_json = dm_form_is_json(out->form);
      break;
    case 't':
      rc = dm_lang_from_template(value, strlen(value), NULL, &out->lang, err);
      if (!rc) rc = dm_canvas_from_template(env, value, strlen(value), &p, &out->canvas, err);
      if (rc) dm_error_set_source(err, "template");
      break;
    case 'r':
      rc = dm_lang_from_regex(value, strlen(value), &out->lang, err);
      if (!rc) rc = dm_canvas_from_regex(env, value, strlen(value), &p, &out->canvas, err);
      if (rc) dm_error_set_source(err, "regex");
      break;
    default: /* free text */
      rc = dm_canvas_free_text(env, max_tokens > 0 ? max_tokens : 64, &p, &out->canvas, err);
      break;
  }
  if (rc) dm_cli_spec_free(out);
  return rc;
}

void dm_cli_spec_free(dm_cli_spec *s) {
  if (!s) return;
  dm_canvas_free(s->canvas);
  dm_lang_free(s->lang);
  dm_form_free(s->form);
  memset(s, 0, sizeof *s);
}
