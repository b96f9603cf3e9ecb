/* dimple/prior.h — the prior compiler's public API (part of libdimple).
 *
 * A format spec compiles to a *language*: the set of byte strings a generated
 * answer may be. Regular expressions match whole strings (DESIGN.md §4 gives the
 * dialect); a JSON Schema compiles to the canonical serializations of its valid
 * instances (compact, members in schema order; see `dimple help schema`).
 * Canvases (token layouts with slots) build on these languages.
 */
#ifndef DIMPLE_PRIOR_H
#define DIMPLE_PRIOR_H

#include <stddef.h>

#include <dimple/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How JSON Schemas compile. Plain settings struct; get defaults from
 * dm_schema_default_params() and change fields. Fields are only added at the end. */
typedef struct dm_schema_params {
  /* 1: the specification's defaults — objects without "additionalProperties"
   * accept any other member, "format" is an annotation. 0 (default, for
   * generation): objects that list "properties" are closed unless the schema says
   * otherwise (what users of constrained generation expect) and "format" is
   * asserted. */
  int spec_mode;
  /* Values a schema leaves open (no "type", {} or true, open objects) are any JSON
   * value nested at most this deep (default 3). */
  int any_depth;
  /* A "$ref" may re-enter a schema it is already inside at most this many times
   * along one path; deeper, the reference matches nothing (default 3). */
  int ref_depth;
  int max_states;  /* automaton state limit (0: default, 50000) */
  int lenient;     /* unknown keywords: warn through dm_log and ignore them */
} dm_schema_params;

dm_schema_params dm_schema_default_params(void);

/* A compiled language (opaque). */
typedef struct dm_lang dm_lang;

/* Compile a regular expression (whole-string match). On success *out is owned by
 * the caller (dm_lang_free). Errors: DM_ESYNTAX / DM_ESPEC with the byte offset and
 * line:col in err, DM_ESTATELIMIT. */
int dm_lang_from_regex(const char *pattern, size_t len, dm_lang **out, dm_error *err);

/* Compile a JSON Schema given as JSON text (params NULL: defaults). Errors carry the
 * JSON pointer of the keyword at fault (or the byte offset of a JSON syntax error). */
int dm_lang_from_schema(const char *json, size_t len, const dm_schema_params *params,
                        dm_lang **out, dm_error *err);

void dm_lang_free(dm_lang *lang);

/* Is text in the language? Returns 1 (yes) or 0 (no). When not, *fail_at (may be
 * NULL) receives the offset of the first byte no word of the language continues
 * with, or len when the text is a proper prefix of a word. */
int dm_lang_match(const dm_lang *lang, const char *text, size_t len, size_t *fail_at);

/* The language is empty (no text can satisfy the spec). */
int dm_lang_is_empty(const dm_lang *lang);

/* Canonical serialization of a JSON document for a schema language (member order
 * from the schema, compact, canonical numbers and escapes). On success *out (free
 * with free()) holds *out_len bytes plus a NUL. DM_EFORMAT-kind errors: DM_ESYNTAX
 * with the byte offset when the text is not JSON; DM_EINVAL when lang did not come
 * from a schema. */
int dm_lang_canonicalize(const dm_lang *lang, const char *json, size_t len, char **out,
                         size_t *out_len, dm_error *err);

/* Automaton size (states), for reports. */
int dm_lang_states(const dm_lang *lang);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_PRIOR_H */
