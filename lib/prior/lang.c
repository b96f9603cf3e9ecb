/* Public compiled languages (dimple/prior.h): a DFA, and for schemas the key ranks
 * that define the canonical member order. */
#include <stdlib.h>
#include <string.h>

#include <dimple/prior.h>

#include "dfa.h"
#include "json_canon.h"
#include "schema.h"
#include "template.h"

struct dm_lang {
  dm_dfa *dfa;
  int is_schema;
  dm_keyrank kr;
};

int dm_lang_from_regex(const char *pattern, size_t len, dm_lang **out, dm_error *err) {
  *out = NULL;
  dm_lang *l = calloc(1, sizeof *l);
  if (!l) return dm_error_set(err, DM_ENOMEM, "out of memory");
  int rc = dm_dfa_from_pattern(pattern, len, 0, &l->dfa, err);
  if (rc) {
    free(l);
    return rc;
  }
  *out = l;
  return DM_OK;
}

int dm_lang_from_schema(const char *json, size_t len, const dm_schema_params *params, dm_lang **out,
                        dm_error *err) {
  *out = NULL;
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
  if (!doc) {
    size_t at = end && end >= json ? (size_t)(end - json) : 0;
    return dm_error_set_at(err, DM_ESYNTAX, json, len, at, "schema is not valid JSON");
  }
  dm_lang *l = calloc(1, sizeof *l);
  if (!l) {
    cJSON_Delete(doc);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  l->is_schema = 1;
  int rc = dm_schema_compile(doc, params, &l->dfa, &l->kr, err);
  cJSON_Delete(doc);
  if (rc) {
    free(l);
    return rc;
  }
  *out = l;
  return DM_OK;
}

void dm_lang_free(dm_lang *l) {
  if (!l) return;
  dm_dfa_free(l->dfa);
  dm_keyrank_free(&l->kr);
  free(l);
}

int dm_lang_match(const dm_lang *l, const char *text, size_t len, size_t *fail_at) {
  int32_t s = 0;
  for (size_t i = 0; i < len; i++) {
    s = dm_dfa_step(l->dfa, s, (uint8_t)text[i]);
    if (s < 0) {
      if (fail_at) *fail_at = i;
      return 0;
    }
  }
  if (l->dfa->accept[s]) return 1;
  if (fail_at) *fail_at = len;
  return 0;
}

int dm_lang_is_empty(const dm_lang *l) { return dm_dfa_is_empty(l->dfa); }

int dm_lang_states(const dm_lang *l) { return l->dfa->nstates; }

int dm_lang_canonicalize(const dm_lang *l, const char *json, size_t len, char **out, size_t *out_len,
                         dm_error *err) {
  *out = NULL;
  *out_len = 0;
  if (!l->is_schema) return dm_error_set(err, DM_EINVAL, "canonical form needs a JSON Schema language");
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
  if (!doc) {
    size_t at = end && end >= json ? (size_t)(end - json) : 0;
    return dm_error_set_at(err, DM_ESYNTAX, json, len, at, "not valid JSON");
  }
  dm_buf b = {0};
  int rc = dm_canon_value(&b, doc, &l->kr);
  cJSON_Delete(doc);
  if (rc) {
    dm_buf_free(&b);
    return dm_error_set(err, rc, "out of memory");
  }
  *out = b.s ? b.s : strdup("");
  *out_len = b.n;
  return *out ? DM_OK : dm_error_set(err, DM_ENOMEM, "out of memory");
}

int dm_lang_from_template(const char *text, size_t len, const char *grammar_dir, dm_lang **out, dm_error *err) {
  *out = NULL;
  dm_template t;
  int rc = dm_template_parse(text, len, grammar_dir, &t, err);
  if (rc) return rc;
  dm_lang *l = calloc(1, sizeof *l);
  if (!l) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
  else rc = dm_template_dfa(&t, &l->dfa, err);
  dm_template_free(&t);
  if (rc) {
    free(l);
    return rc;
  }
  *out = l;
  return DM_OK;
}
