/* Building blocks for the languages of canonical JSON text (internal).
 *
 * Canonical serialization (the language a JSON Schema compiles to; see
 * json_canon.h): compact (no whitespace), strings escape exactly '"', '\\' and bytes
 * below 0x20 (json_escape.h), numbers in plain decimal without exponent, integers
 * without fraction, non-integers without trailing zeros, no "-0".
 *
 * Builders return tree nodes owned by the arena `re`, or NULL when out of memory.
 */
#ifndef DM_PRIOR_JSON_LANG_H
#define DM_PRIOR_JSON_LANG_H

#include <stdbool.h>
#include <stdint.h>

#include "dfa.h"
#include "re.h"

/* One Unicode code point, any (the language of a decoded string character). */
dm_re_node *dm_jl_any_char(dm_re *re);
/* A serialized JSON string (quotes included) of any decoded content. */
dm_re_node *dm_jl_string_any(dm_re *re);
/* A serialized JSON string whose decoded value is in `value` (a DFA over UTF-8,
 * not copied: it must outlive the tree's compilation). */
dm_re_node *dm_jl_string_of(dm_re *re, const dm_dfa *value);
/* Canonical numbers, and canonical integers. */
dm_re_node *dm_jl_number(dm_re *re);
dm_re_node *dm_jl_integer(dm_re *re);
/* Canonical integers in [lo, hi]; has_lo/has_hi false for an open end. */
dm_re_node *dm_jl_integer_range(dm_re *re, bool has_lo, int64_t lo, bool has_hi, int64_t hi);

/* Comparison of a canonical number with a decimal bound. */
typedef enum { DM_CMP_GE, DM_CMP_GT, DM_CMP_LE, DM_CMP_LT } dm_cmp;
/* A decimal bound: negative flag, integer part, fraction digits (no trailing zeros). */
typedef struct dm_decimal {
  bool neg;
  int64_t ipart;
  char frac[32];
} dm_decimal;
/* Parse the shortest round-trip decimal of a double; DM_ERANGE when the integer part
 * does not fit int64 or the fraction needs more than 31 digits. */
int dm_decimal_from_double(double v, dm_decimal *out);
/* Canonical numbers v with v `op` b. */
dm_re_node *dm_jl_number_cmp(dm_re *re, dm_cmp op, const dm_decimal *b);

/* DFA of number texts whose value is a multiple of a * 10^-j (a >= 1, 0 <= j <= 30,
 * a * (j + 2) <= 2,000,000; intersect with the canonical number language). The
 * caller owns *out. DM_ERANGE outside those limits. */
int dm_jl_multiple_of(int64_t a, int j, dm_dfa **out);

#endif
