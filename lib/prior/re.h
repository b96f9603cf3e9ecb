/* Regular expressions → syntax tree (internal).
 *
 * The dialect (DESIGN.md §4): literals, escapes, classes (\d \w \s and negations,
 * ranges over Unicode code points), `.`, groups (capturing, `(?:...)`, named),
 * alternation, `* + ? {m} {m,} {m,n}` (lazy forms accepted: same language), anchors
 * `^ $ \A \z` where they can only match at the ends. Backreferences, lookaround,
 * `\b`, atomic groups, possessive quantifiers, inline flags and Unicode properties
 * are refused with an error at their byte offset.
 *
 * Semantics: the pattern matches whole strings (it is anchored at both ends), the
 * subject is UTF-8 and `.`/negated classes match one valid UTF-8 encoded code point
 * (surrogates excluded); `.` excludes "\n". \d = [0-9], \w = [A-Za-z0-9_],
 * \s = [\t\n\v\f\r ] (ASCII, as PCRE2 in UTF mode without UCP).
 */
#ifndef DM_PRIOR_RE_H
#define DM_PRIOR_RE_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#define DM_CP_MAX 0x10FFFF

typedef struct dm_cp_range {
  uint32_t lo, hi; /* inclusive code point range */
} dm_cp_range;

typedef enum dm_re_kind {
  DM_RE_EMPTY,   /* matches "" */
  DM_RE_CLASS,   /* one code point from ranges (nranges 0: matches nothing) */
  DM_RE_CAT,     /* kids in sequence */
  DM_RE_ALT,     /* any of kids */
  DM_RE_REPEAT,  /* kids[0] repeated min..max times (max -1: unbounded) */
  DM_RE_BYTES,   /* one byte from [blo, bhi] (raw byte set; used by builders, not the parser) */
  DM_RE_ANCHOR   /* ^ $ \A \z: matches "" (the parser only keeps them where they are at an end) */
} dm_re_kind;

typedef struct dm_re_node {
  dm_re_kind kind;
  int min, max;              /* DM_RE_REPEAT */
  int blo, bhi;              /* DM_RE_BYTES */
  size_t offset;             /* byte offset in the pattern (for messages) */
  dm_cp_range *ranges;       /* DM_RE_CLASS: sorted, disjoint, non-adjacent */
  int nranges;
  struct dm_re_node **kids;  /* DM_RE_CAT, DM_RE_ALT, DM_RE_REPEAT */
  int nkids;
} dm_re_node;

/* A parsed pattern: the tree and the arena that owns all its nodes. */
typedef struct dm_re dm_re;

/* Parse `pattern` (len bytes, UTF-8). On success *out owns the tree (free with
 * dm_re_free). On failure returns DM_ESYNTAX (malformed) or DM_ESPEC (valid syntax
 * but not supported: not a regular language or not in our dialect), with the byte
 * offset and line:col in err. */
int dm_re_parse(const char *pattern, size_t len, dm_re **out, dm_error *err);
void dm_re_free(dm_re *re);
/* The root of a parsed pattern (owned by re). */
const dm_re_node *dm_re_root(const dm_re *re);

/* Builders for trees made by code (the JSON Schema and template compilers). All
 * nodes are owned by the arena `re` (create an empty one with dm_re_new). They
 * return NULL when out of memory. `kids` arrays are copied. */
dm_re *dm_re_new(void);
dm_re_node *dm_re_empty(dm_re *re);
dm_re_node *dm_re_class(dm_re *re, const dm_cp_range *ranges, int n);
dm_re_node *dm_re_bytes(dm_re *re, int lo, int hi);
dm_re_node *dm_re_cat(dm_re *re, dm_re_node *const *kids, int n);
dm_re_node *dm_re_alt(dm_re *re, dm_re_node *const *kids, int n);
dm_re_node *dm_re_repeat(dm_re *re, dm_re_node *kid, int min, int max);
/* A literal UTF-8 string as a sequence of bytes. */
dm_re_node *dm_re_literal(dm_re *re, const char *s, size_t len);
/* Set the root of a built tree. */
void dm_re_set_root(dm_re *re, dm_re_node *root);

#endif
