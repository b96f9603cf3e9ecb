/* JSON Schema (draft 2020-12) → DFA of the canonical serializations of the valid
 * instances (internal; see json_canon.h for the canonical form).
 *
 * Keywords compile exactly or are refused with the JSON pointer of the keyword
 * (DM_ESPEC); with params.lenient an unknown keyword is reported through dm_log and
 * ignored instead. Annotations are ignored.
 */
#ifndef DM_PRIOR_SCHEMA_H
#define DM_PRIOR_SCHEMA_H

#include <cjson/cJSON.h>

#include <dimple/status.h>

#include "dfa.h"
#include "json_canon.h"

typedef struct dm_schema_params {
  /* 1: the specification's defaults — objects without "additionalProperties"
   * accept any other member, "format" is an annotation. 0 (default, for
   * generation): such objects are closed (only the listed properties; what users
   * of constrained generation expect and what the model should produce) and
   * "format" is asserted. */
  int spec_mode;
  /* Values a schema leaves open (no "type", {} or true, open objects) are any JSON
   * value nested at most this deep (default 3). */
  int any_depth;
  /* A "$ref" may re-enter a schema it is already inside at most this many times
   * along one path; deeper, the reference matches nothing (default 3). */
  int ref_depth;
  int max_states;  /* DFA state limit per automaton (0: default) */
  int lenient;     /* unknown keywords: warn and ignore instead of refusing */
} dm_schema_params;

dm_schema_params dm_schema_default_params(void);

/* Compile a parsed schema document. *out (caller-owned) accepts exactly the
 * canonical texts of the instances valid against `schema`. kr receives the key
 * ranks used (free with dm_keyrank_free; may be NULL). */
int dm_schema_compile(const cJSON *schema, const dm_schema_params *params, dm_dfa **out,
                      dm_keyrank *kr, dm_error *err);

/* Look up a named format ("date", "email", ...): its regex (whole-string match) or NULL. */
const char *dm_format_pattern(const char *name);

#endif
