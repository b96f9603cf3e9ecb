/* Languages of canonical JSON scalars: strings, numbers, integer ranges, decimal
 * comparisons and divisibility. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_lang.h"

static dm_re_node *digits(dm_re *re, int lo, int hi) { return dm_re_bytes(re, '0' + lo, '0' + hi); }
static dm_re_node *lit(dm_re *re, const char *s) { return dm_re_literal(re, s, strlen(s)); }
static dm_re_node *cat2(dm_re *re, dm_re_node *a, dm_re_node *b) {
  if (!a || !b) return NULL;
  dm_re_node *k[2] = {a, b};
  return dm_re_cat(re, k, 2);
}
static dm_re_node *cat3(dm_re *re, dm_re_node *a, dm_re_node *b, dm_re_node *c) {
  if (!a || !b || !c) return NULL;
  dm_re_node *k[3] = {a, b, c};
  return dm_re_cat(re, k, 3);
}
static dm_re_node *alt2(dm_re *re, dm_re_node *a, dm_re_node *b) {
  if (!a || !b) return NULL;
  dm_re_node *k[2] = {a, b};
  return dm_re_alt(re, k, 2);
}
static dm_re_node *nothing(dm_re *re) { return dm_re_alt(re, NULL, 0); }

dm_re_node *dm_jl_any_char(dm_re *re) {
  dm_cp_range r = {0, DM_CP_MAX};
  return dm_re_class(re, &r, 1);
}

dm_re_node *dm_jl_string_any(dm_re *re) {
  /* unescaped: any code point but '"', '\\' and controls; or a canonical escape */
  dm_cp_range r[3] = {{0x20, 0x21}, {0x23, 0x5B}, {0x5D, DM_CP_MAX}};
  dm_re_node *plain = dm_re_class(re, r, 3);
  dm_re_node *esc_named = cat2(re, lit(re, "\\"), dm_re_class(re, (dm_cp_range[]){{'"', '"'}, {'\\', '\\'}, {'b', 'b'}, {'f', 'f'}, {'n', 'n'}, {'r', 'r'}, {'t', 't'}}, 7));
  /* \u00xx for the controls without a short name: 00-07, 0b, 0e-1f */
  dm_re_node *hex_lo = alt2(re, cat2(re, lit(re, "0"), dm_re_class(re, (dm_cp_range[]){{'0', '7'}, {'b', 'b'}, {'e', 'f'}}, 3)),
                            cat2(re, lit(re, "1"), dm_re_class(re, (dm_cp_range[]){{'0', '9'}, {'a', 'f'}}, 2)));
  dm_re_node *esc_u = cat2(re, lit(re, "\\u00"), hex_lo);
  dm_re_node *ch3[3] = {plain, esc_named, esc_u};
  if (!plain || !esc_named || !esc_u) return NULL;
  dm_re_node *ch = dm_re_alt(re, ch3, 3);
  return cat3(re, lit(re, "\""), dm_re_repeat(re, ch, 0, -1), lit(re, "\""));
}

dm_re_node *dm_jl_string_of(dm_re *re, const dm_dfa *value) {
  return cat3(re, lit(re, "\""), dm_re_dfa(re, value, 1), lit(re, "\""));
}

/* [1-9][0-9]* */
static dm_re_node *pos_digits(dm_re *re) { return cat2(re, digits(re, 1, 9), dm_re_repeat(re, digits(re, 0, 9), 0, -1)); }
/* canonical fraction: "." [0-9]* [1-9] */
static dm_re_node *frac_any(dm_re *re) {
  return cat3(re, lit(re, "."), dm_re_repeat(re, digits(re, 0, 9), 0, -1), digits(re, 1, 9));
}

dm_re_node *dm_jl_integer(dm_re *re) {
  /* 0 | -?[1-9][0-9]* */
  return alt2(re, lit(re, "0"), cat2(re, dm_re_repeat(re, lit(re, "-"), 0, 1), pos_digits(re)));
}

dm_re_node *dm_jl_number(dm_re *re) {
  /* integer, or -?(0|[1-9][0-9]*)\.[0-9]*[1-9] */
  dm_re_node *ip = alt2(re, lit(re, "0"), pos_digits(re));
  dm_re_node *fr = cat3(re, dm_re_repeat(re, lit(re, "-"), 0, 1), ip, frac_any(re));
  return alt2(re, dm_jl_integer(re), fr);
}

/* ------------------------------------------------------------------ integer ranges */

/* Digit strings of equal length n between a and b (inclusive, as strings). */
static dm_re_node *same_len_range(dm_re *re, const char *a, const char *b, int n) {
  if (n == 0) return dm_re_empty(re);
  int a0 = a[0] - '0', b0 = b[0] - '0';
  if (n == 1) return digits(re, a0, b0);
  bool rest_free = true; /* a = a0 0...0 and b = b0 9...9: [a0-b0][0-9]{n-1} */
  for (int i = 1; i < n && rest_free; i++) rest_free = a[i] == '0' && b[i] == '9';
  if (rest_free) return cat2(re, digits(re, a0, b0), dm_re_repeat(re, digits(re, 0, 9), n - 1, n - 1));
  if (a0 == b0) return cat2(re, digits(re, a0, a0), same_len_range(re, a + 1, b + 1, n - 1));
  char nines[24], zeros[24];
  memset(nines, '9', (size_t)n - 1);
  memset(zeros, '0', (size_t)n - 1);
  dm_re_node *parts[3];
  int k = 0;
  parts[k++] = cat2(re, digits(re, a0, a0), same_len_range(re, a + 1, nines, n - 1));
  if (b0 - a0 > 1) parts[k++] = cat2(re, digits(re, a0 + 1, b0 - 1), dm_re_repeat(re, digits(re, 0, 9), n - 1, n - 1));
  parts[k++] = cat2(re, digits(re, b0, b0), same_len_range(re, zeros, b + 1, n - 1));
  for (int i = 0; i < k; i++) if (!parts[i]) return NULL;
  return dm_re_alt(re, parts, k);
}

/* Canonical non-negative integers in [lo, hi] (hi < 0: unbounded). */
static dm_re_node *uint_range(dm_re *re, int64_t lo, int64_t hi) {
  if (hi >= 0 && hi < lo) return nothing(re);
  char a[24], b[24];
  dm_re_node *parts[24];
  int k = 0;
  int la = snprintf(a, sizeof a, "%lld", (long long)lo);
  int lb = hi >= 0 ? snprintf(b, sizeof b, "%lld", (long long)hi) : 20;
  for (int n = la; n <= lb && n <= 19; n++) {
    char lo_s[24], hi_s[24];
    if (n == la) memcpy(lo_s, a, (size_t)n + 1);
    else { lo_s[0] = n == 1 ? '0' : '1'; memset(lo_s + 1, '0', (size_t)n - 1); lo_s[n] = 0; }
    if (hi >= 0 && n == lb) memcpy(hi_s, b, (size_t)n + 1);
    else { memset(hi_s, '9', (size_t)n); hi_s[n] = 0; }
    parts[k] = same_len_range(re, lo_s, hi_s, n);
    if (!parts[k++]) return NULL;
  }
  if (hi < 0) { /* more digits than any int64: 20 digits and up */
    parts[k] = cat2(re, digits(re, 1, 9), dm_re_repeat(re, digits(re, 0, 9), 19, -1));
    if (!parts[k++]) return NULL;
  }
  return dm_re_alt(re, parts, k);
}

dm_re_node *dm_jl_integer_range(dm_re *re, bool has_lo, int64_t lo, bool has_hi, int64_t hi) {
  if (has_lo && has_hi && hi < lo) return nothing(re);
  dm_re_node *parts[2];
  int k = 0;
  /* non-negative part: [max(lo,0), hi] */
  if (!has_hi || hi >= 0) {
    parts[k] = uint_range(re, has_lo && lo > 0 ? lo : 0, has_hi ? hi : -1);
    if (!parts[k++]) return NULL;
  }
  /* negative part: -x with x in [max(1,-hi), -lo] */
  if (!has_lo || lo < 0) {
    int64_t xlo = has_hi && hi < 0 ? -hi : 1;
    int64_t xhi = has_lo ? -lo : -1;
    parts[k] = cat2(re, lit(re, "-"), uint_range(re, xlo, xhi));
    if (!parts[k++]) return NULL;
  }
  return dm_re_alt(re, parts, k);
}

/* ------------------------------------------------------------------ decimals */

int dm_decimal_from_double(double v, dm_decimal *out) {
  memset(out, 0, sizeof *out);
  if (!isfinite(v)) return DM_ERANGE;
  out->neg = v < 0;
  double a = fabs(v);
  if (a >= 9.2e18) return DM_ERANGE;
  /* shortest %.*e that round-trips, then to plain decimal */
  char buf[64];
  for (int p = 0; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*e", p, a);
    if (strtod(buf, NULL) == a) break;
  }
  /* buf: d.ddddde[+-]XX */
  char mant[32];
  int nm = 0;
  const char *s = buf;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9') mant[nm++] = *s;
  mant[nm] = 0;
  int exp10 = atoi(s + 1);
  /* value = 0.mant * 10^(exp10+1) */
  int point = exp10 + 1; /* digits before the decimal point */
  char ip[40] = "0", fr[40] = "";
  if (point <= 0) {
    int z = -point;
    if (z + nm > 31) return DM_ERANGE;
    memset(fr, '0', (size_t)z);
    memcpy(fr + z, mant, (size_t)nm + 1);
  } else if (point >= nm) {
    memcpy(ip, mant, (size_t)nm);
    memset(ip + nm, '0', (size_t)(point - nm));
    ip[point] = 0;
  } else {
    memcpy(ip, mant, (size_t)point);
    ip[point] = 0;
    memcpy(fr, mant + point, (size_t)(nm - point) + 1);
  }
  size_t fl = strlen(fr);
  while (fl > 0 && fr[fl - 1] == '0') fr[--fl] = 0;
  if (fl > 31) return DM_ERANGE;
  out->ipart = strtoll(ip, NULL, 10);
  memcpy(out->frac, fr, fl + 1);
  if (out->ipart == 0 && fl == 0) out->neg = false; /* -0 is 0 */
  return DM_OK;
}

/* Languages over magnitudes "I" or "I.F" (I canonical, F any digits, compared by
 * value; the caller intersects with the canonical number language afterwards). */

static bool empty_in(dm_cmp op, const char *f) {
  switch (op) {
    case DM_CMP_GE: return *f == 0;
    case DM_CMP_GT: return false;
    case DM_CMP_LE: return true;
    case DM_CMP_LT: return *f != 0;
  }
  return false;
}

static dm_re_node *ne_frac(dm_re *re, dm_cmp op, const char *f);

/* All fraction digit strings F (empty included) with 0.F op 0.f. */
static dm_re_node *full_frac(dm_re *re, dm_cmp op, const char *f) {
  dm_re_node *ne = ne_frac(re, op, f);
  if (!ne) return NULL;
  return empty_in(op, f) ? alt2(re, dm_re_empty(re), ne) : ne;
}

/* Non-empty fraction digit strings F with 0.F op 0.f (f canonical: no trailing 0). */
static dm_re_node *ne_frac(dm_re *re, dm_cmp op, const char *f) {
  dm_re_node *anyd = dm_re_repeat(re, digits(re, 0, 9), 0, -1);
  if (!*f) {
    switch (op) {
      case DM_CMP_GE: return dm_re_repeat(re, digits(re, 0, 9), 1, -1);
      case DM_CMP_GT: return cat3(re, anyd, digits(re, 1, 9), dm_re_repeat(re, digits(re, 0, 9), 0, -1));
      case DM_CMP_LE: return dm_re_repeat(re, digits(re, 0, 0), 1, -1);
      case DM_CMP_LT: return nothing(re);
    }
  }
  int f0 = f[0] - '0';
  bool greater = op == DM_CMP_GE || op == DM_CMP_GT;
  dm_re_node *parts[2];
  int k = 0;
  if (greater && f0 < 9) parts[k++] = cat2(re, digits(re, f0 + 1, 9), anyd);
  if (!greater && f0 > 0) parts[k++] = cat2(re, digits(re, 0, f0 - 1), anyd);
  parts[k++] = cat2(re, digits(re, f0, f0), full_frac(re, op, f + 1));
  for (int i = 0; i < k; i++) if (!parts[i]) return NULL;
  return dm_re_alt(re, parts, k);
}

/* Fraction text: "" when F may be empty, or "." F. */
static dm_re_node *frac_text(dm_re *re, dm_cmp op, const char *f) {
  dm_re_node *ne = cat2(re, lit(re, "."), ne_frac(re, op, f));
  if (!ne) return NULL;
  return empty_in(op, f) ? alt2(re, dm_re_empty(re), ne) : ne;
}

static dm_re_node *any_frac_text(dm_re *re) {
  return dm_re_repeat(re, cat2(re, lit(re, "."), dm_re_repeat(re, digits(re, 0, 9), 1, -1)), 0, 1);
}

/* Magnitudes m (non-negative) with m op c (c non-negative). */
static dm_re_node *mag_cmp(dm_re *re, dm_cmp op, int64_t ci, const char *cf) {
  char num[24];
  snprintf(num, sizeof num, "%lld", (long long)ci);
  dm_re_node *parts[2];
  int k = 0;
  bool greater = op == DM_CMP_GE || op == DM_CMP_GT;
  if (greater) {
    if (ci < INT64_MAX) parts[k++] = cat2(re, uint_range(re, ci + 1, -1), any_frac_text(re));
  } else if (ci > 0) {
    parts[k++] = cat2(re, uint_range(re, 0, ci - 1), any_frac_text(re));
  }
  parts[k++] = cat2(re, lit(re, num), frac_text(re, op, cf));
  for (int i = 0; i < k; i++) if (!parts[i]) return NULL;
  return dm_re_alt(re, parts, k);
}

static dm_re_node *all_mags(dm_re *re) { return cat2(re, uint_range(re, 0, -1), any_frac_text(re)); }

static bool zero_satisfies(dm_cmp op, const dm_decimal *b) {
  bool bzero = b->ipart == 0 && !b->frac[0];
  int sign = bzero ? 0 : b->neg ? -1 : 1; /* sign of b; compare 0 op b */
  switch (op) {
    case DM_CMP_GE: return sign <= 0;
    case DM_CMP_GT: return sign < 0;
    case DM_CMP_LE: return sign >= 0;
    case DM_CMP_LT: return sign > 0;
  }
  return false;
}

dm_re_node *dm_jl_number_cmp(dm_re *re, dm_cmp op, const dm_decimal *b) {
  /* v op b as (POS magnitudes, NEG magnitudes); <= and < mirror >= and > of -b */
  bool mirror = op == DM_CMP_LE || op == DM_CMP_LT;
  dm_cmp gop = op == DM_CMP_LE ? DM_CMP_GE : op == DM_CMP_LT ? DM_CMP_GT : op;
  bool bneg = mirror ? !b->neg : b->neg;
  bool bzero = b->ipart == 0 && !b->frac[0];
  if (bzero) bneg = false;
  dm_re_node *pos, *neg;
  if (!bneg) {
    pos = mag_cmp(re, gop, b->ipart, b->frac);
    neg = nothing(re);
  } else {
    pos = all_mags(re);
    neg = mag_cmp(re, gop == DM_CMP_GE ? DM_CMP_LE : DM_CMP_LT, b->ipart, b->frac);
  }
  if (mirror) {
    dm_re_node *t = pos;
    pos = neg;
    neg = t;
  }
  dm_re_node *parts[3] = {pos, cat2(re, lit(re, "-"), neg), NULL};
  int k = 2;
  if (zero_satisfies(op, b)) parts[k++] = lit(re, "0");
  for (int i = 0; i < k; i++) if (!parts[i]) return NULL;
  return dm_re_alt(re, parts, k);
}

/* ------------------------------------------------------------------ multipleOf */

int dm_jl_multiple_of(int64_t a, int j, dm_dfa **out) {
  *out = NULL;
  if (a < 1 || j < 0 || j > 30 || a * (int64_t)(j + 2) > 2000000) return DM_ERANGE;
  /* states: 0 start, 1 after '-', INT(r) = 2 + r, DOT(r) = 2 + a + r,
   * FRAC(r, f) = 2 + 2a + (f - 1) * a + r for f = 1..j */
  int64_t n64 = 2 + 2 * a + (int64_t)j * a;
  int n = (int)n64;
  int nc = 13; /* 0 other, 1 '-', 2 '.', 3..12 digits */
  dm_dfa *d = calloc(1, sizeof *d);
  if (!d) return DM_ENOMEM;
  for (int b = 0; b < 256; b++) d->class_of[b] = 0;
  d->class_of['-'] = 1;
  d->class_of['.'] = 2;
  for (int dg = 0; dg < 10; dg++) d->class_of['0' + dg] = (uint8_t)(3 + dg);
  d->nclasses = nc;
  d->nstates = n;
  d->next = malloc((size_t)n * (size_t)nc * sizeof *d->next);
  d->accept = calloc((size_t)n, 1);
  if (!d->next || !d->accept) {
    dm_dfa_free(d);
    return DM_ENOMEM;
  }
  for (size_t i = 0; i < (size_t)n * (size_t)nc; i++) d->next[i] = -1;
#define INT_(r) (2 + (r))
#define DOT_(r) (2 + a + (r))
#define FRAC_(r, f) (2 + 2 * a + ((int64_t)(f) - 1) * a + (r))
  d->next[0 * nc + 1] = 1;
  for (int dg = 0; dg < 10; dg++) {
    d->next[0 * nc + 3 + dg] = (int32_t)INT_(dg % a);
    d->next[1 * nc + 3 + dg] = (int32_t)INT_(dg % a);
  }
  /* pow10[f] = 10^(j - f) mod a: the scale still missing after f fraction digits */
  int64_t pw[32];
  pw[j] = 1 % a;
  for (int f = j - 1; f >= 0; f--) pw[f] = (pw[f + 1] * 10) % a;
  for (int64_t r = 0; r < a; r++) {
    for (int dg = 0; dg < 10; dg++) {
      d->next[(size_t)INT_(r) * nc + 3 + dg] = (int32_t)INT_((r * 10 + dg) % a);
      if (j >= 1) d->next[(size_t)DOT_(r) * nc + 3 + dg] = (int32_t)FRAC_((r * 10 + dg) % a, 1);
      for (int f = 1; f < j; f++) d->next[(size_t)FRAC_(r, f) * nc + 3 + dg] = (int32_t)FRAC_((r * 10 + dg) % a, f + 1);
    }
    d->next[(size_t)INT_(r) * nc + 2] = (int32_t)DOT_(r);
    d->accept[INT_(r)] = (r * pw[0]) % a == 0;
    for (int f = 1; f <= j; f++) d->accept[FRAC_(r, f)] = (r * pw[f]) % a == 0;
  }
#undef INT_
#undef DOT_
#undef FRAC_
  int rc = dm_dfa_minimize(d);
  if (rc) {
    dm_dfa_free(d);
    return rc;
  }
  *out = d;
  return DM_OK;
}
