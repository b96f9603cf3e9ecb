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

#include <dimple/prior.h>
#include <dimple/status.h>

#include "dfa.h"
#include "json_canon.h"

/* dm_schema_params and dm_schema_default_params() are public (dimple/prior.h). */

/* Compile a parsed schema document. *out (caller-owned) accepts exactly the
 * canonical texts of the instances valid against `schema`. kr receives the key
 * ranks used (free with dm_keyrank_free; may be NULL). */
int dm_schema_compile(const cJSON *schema, const dm_schema_params *params, dm_dfa **out,
                      dm_keyrank *kr, dm_error *err);

/* A compiler bound to one schema document, for compiling several of its subschemas
 * with the same key ranks and caches (the canvas layout does). */
typedef struct dm_schema_compiler dm_schema_compiler;
int dm_schema_compiler_new(const cJSON *root, const dm_schema_params *params, dm_schema_compiler **out,
                           dm_error *err);
void dm_schema_compiler_free(dm_schema_compiler *sc);
/* Compile `sub` (a node of the root document whose JSON pointer is `pointer`, used in
 * error messages). *out is caller-owned. */
int dm_schema_compiler_run(dm_schema_compiler *sc, const cJSON *sub, const char *pointer, dm_dfa **out,
                           dm_error *err);
const dm_keyrank *dm_schema_compiler_keyrank(const dm_schema_compiler *sc);
const dm_schema_params *dm_schema_compiler_params(const dm_schema_compiler *sc);

/* Look up a named format ("date", "email", ...): its regex (whole-string match) or NULL. */
const char *dm_format_pattern(const char *name);

#endif
