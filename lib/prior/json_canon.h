/* Canonical serialization of JSON values (internal; `dimple check --canonical` and
 * the JSON Schema tests use it). The language a schema compiles to is a set of
 * canonical texts, so an instance is in it iff its canonical text is.
 *
 * Canonical text: compact; strings escape exactly '"', '\\' and bytes below 0x20
 * (\b \f \n \r \t by name, others \u00xx); numbers in plain decimal (no exponent):
 * integers without fraction ("1.0" is "1"), others with the shortest fraction that
 * round-trips the double, no "-0"; object members ordered by the schema's key ranks
 * (first appearance of a name under "properties", "required", "dependentRequired"
 * or "dependentSchemas", or as a member of
 * an object inside "const" or "enum", anywhere in the schema document), then the
 * other members in document order.
 */
#ifndef DM_PRIOR_JSON_CANON_H
#define DM_PRIOR_JSON_CANON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Key ranks collected from a schema document. */
typedef struct dm_keyrank {
  char **keys;  /* owned; in rank order */
  int n, cap;
} dm_keyrank;

/* Collect the ranks from `schema` (any JSON; NULL gives no ranks). DM_OK/DM_ENOMEM. */
int dm_keyrank_build(dm_keyrank *kr, const cJSON *schema);
/* Rank of key, or -1 when it has none. */
int dm_keyrank_find(const dm_keyrank *kr, const char *key);
void dm_keyrank_free(dm_keyrank *kr);

/* Growable text buffer. */
typedef struct dm_buf {
  char *s;   /* owned, NUL-terminated */
  size_t n, cap;
  int oom;
} dm_buf;
void dm_buf_put(dm_buf *b, const char *s, size_t n);
void dm_buf_puts(dm_buf *b, const char *s);
void dm_buf_free(dm_buf *b);

/* Append the canonical text of a number. */
void dm_canon_number(dm_buf *b, double v);
/* Append the canonical text of a string value (quotes included). */
void dm_canon_string(dm_buf *b, const char *s, size_t n);
/* Append the canonical text of `v` with key order from kr (NULL: document order).
 * DM_OK, or DM_ENOMEM (b->oom set). */
int dm_canon_value(dm_buf *b, const cJSON *v, const dm_keyrank *kr);

#endif
