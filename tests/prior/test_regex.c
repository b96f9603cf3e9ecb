/* Regex → DFA: fixed cases, refusals with offsets, language operations against
 * brute force, and differential testing against PCRE2 (UTF mode, anchored at both
 * ends) on generated patterns and strings. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/dfa.h"
#include "../../lib/prior/re.h"
#include "../../lib/prior/utf8_ranges.h"
#include "../checkmain.h"

static dm_dfa *compile(const char *pat) {
  dm_dfa *d = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_from_pattern(pat, strlen(pat), 0, &d, &e);
  ck_assert_msg(rc == DM_OK, "compile /%s/: %s", pat, e.message);
  return d;
}

static bool m(const dm_dfa *d, const char *s) { return dm_dfa_match(d, (const uint8_t *)s, strlen(s)); }

START_TEST(fixed_cases) {
  static const struct { const char *re, *yes[6], *no[6]; } cases[] = {
    {"abc", {"abc"}, {"", "ab", "abcd", "xabc"}},
    {"a|bc|", {"a", "bc", ""}, {"b", "abc"}},
    {"a*b+c?", {"b", "aab", "abbbc", "bc"}, {"", "a", "ac", "abcc"}},
    {"(ab){2,3}", {"abab", "ababab"}, {"ab", "abababab", ""}},
    {"x{3}", {"xxx"}, {"xx", "xxxx"}},
    {"x{2,}", {"xx", "xxxxxx"}, {"x", ""}},
    {"x{0}y", {"y"}, {"xy"}},
    {"[a-c]+", {"a", "cab"}, {"", "d", "a-c"}},
    {"[^a]", {"b", "\xc3\xa9", "\xf0\x9f\x98\x80"}, {"a", "", "bb"}},
    {".", {"a", "\xe4\xb8\xad", "\x7f"}, {"\n", "", "\xc3", "\xff", "\xed\xa0\x80"}},
    {"\\d\\D", {"1a", "9\xc3\xa9"}, {"11", "a1"}},
    {"\\w+\\s\\S", {"ab_9 x", "z\tq"}, {"ab  x", " x"}},
    {"^a$", {"a"}, {"a\n", ""}},
    {"\\Aab\\z", {"ab"}, {"abb"}},
    {"(^a|b$)", {"a", "b"}, {"ab"}},
    {"[]a]", {"]", "a"}, {"b"}},
    {"[a-]", {"a", "-"}, {"b"}},
    {"a{,3}", {"a{,3}"}, {"a", "aaa"}},
    {"\\x41\\x{e9}\\u00e9", {"A\xc3\xa9\xc3\xa9"}, {"A"}},
    {"[[:digit:][:upper:]]+", {"A1", "Z"}, {"a"}},
    {"a+?b*?", {"a", "aabb"}, {"b"}},
    {"(?:x|y)(?<n>z)", {"xz", "yz"}, {"z"}},
    {"\\.\\*\\\\", {".*\\"}, {"a*\\"}},
    {"", {""}, {"a"}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_dfa *d = compile(cases[i].re);
    for (int j = 0; j < 6 && cases[i].yes[j]; j++)
      ck_assert_msg(m(d, cases[i].yes[j]), "/%s/ should match '%s'", cases[i].re, cases[i].yes[j]);
    for (int j = 0; j < 6 && cases[i].no[j]; j++)
      ck_assert_msg(!m(d, cases[i].no[j]), "/%s/ should not match '%s'", cases[i].re, cases[i].no[j]);
    dm_dfa_free(d);
  }
}
END_TEST

START_TEST(refusals_name_the_offset) {
  static const struct { const char *re; int code; size_t offset; const char *words; } cases[] = {
    {"ab(c", DM_ESYNTAX, 2, "missing ')'"},
    {"abc)", DM_ESYNTAX, 3, "unmatched ')'"},
    {"a(b)\\1", DM_ESPEC, 4, "backreference"},
    {"a(?=b)", DM_ESPEC, 1, "lookaround"},
    {"x(?<!b)", DM_ESPEC, 1, "lookaround"},
    {"foo\\bbar", DM_ESPEC, 3, "word boundary"},
    {"[z-a]", DM_ESYNTAX, 1, "out of order"},
    {"[abc", DM_ESYNTAX, 0, "unterminated"},
    {"*a", DM_ESYNTAX, 0, "quantifier"},
    {"a**", DM_ESYNTAX, 2, "nested quantifier"},
    {"a{3,2}", DM_ESYNTAX, 1, "out of order"},
    {"a^b", DM_ESPEC, 1, "'^'"},
    {"a$b", DM_ESPEC, 1, "'$'"},
    {"(?i)abc", DM_ESPEC, 0, "inline flags"},
    {"\\p{L}", DM_ESPEC, 0, "Unicode properties"},
    {"a*+", DM_ESPEC, 2, "possessive"},
    {"ab\\", DM_ESYNTAX, 2, "backslash"},
    {"a{70000}", DM_ESPEC, 1, "too large"},
    {"\xff", DM_ESYNTAX, 0, "UTF-8"},
    {"[\\d-z]", DM_ESPEC, 3, "range"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_dfa *d = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_dfa_from_pattern(cases[i].re, strlen(cases[i].re), 0, &d, &e);
    ck_assert_msg(rc == cases[i].code, "/%s/: rc %s, want %s (%s)", cases[i].re, dm_err_name(rc),
                  dm_err_name(cases[i].code), e.message);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(e.pos_kind, DM_POS_OFFSET);
    ck_assert_msg(e.offset == cases[i].offset, "/%s/: offset %zu, want %zu (%s)", cases[i].re, e.offset,
                  cases[i].offset, e.message);
    ck_assert_int_eq(e.line, 1);
    ck_assert_int_eq(e.col, (int)cases[i].offset + 1);
    ck_assert_msg(strstr(e.message, cases[i].words) != NULL, "/%s/: message '%s' lacks '%s'", cases[i].re,
                  e.message, cases[i].words);
  }
}
END_TEST

START_TEST(state_limit_is_an_error) {
  /* the n-th symbol from the end is 'a': 2^n DFA states */
  const char *pat = "[ab]*a[ab]{18}";
  dm_dfa *d = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_from_pattern(pat, strlen(pat), 10000, &d, &e);
  ck_assert_int_eq(rc, DM_ESTATELIMIT);
  ck_assert_ptr_null(d);
  ck_assert_msg(strstr(e.message, "10000") != NULL, "%s", e.message);
  /* a small one fits and is minimal: 2^5 states */
  d = compile("[ab]*a[ab]{4}");
  ck_assert_int_eq(d->nstates, 32);
  dm_dfa_free(d);
}
END_TEST

START_TEST(minimal_and_canonical) {
  static const char *pairs[][2] = {
    {"a*a", "a+"}, {"(a|b)*", "[ab]*"}, {"(ab|a)(c|bc)", "abc|abbc|ac"},
    {"x?x?x?", "x{0,3}"}, {"[0-9]|[5-9a]", "[0-9a]"}, {"(a*b*)*", "[ab]*"},
    {".", "[^\\n]"}, {"\\w", "[A-Za-z0-9_]"},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    dm_dfa *a = compile(pairs[i][0]), *b = compile(pairs[i][1]);
    ck_assert_msg(dm_dfa_equal(a, b), "/%s/ and /%s/ should give the same minimal DFA", pairs[i][0], pairs[i][1]);
    dm_dfa_free(a);
    dm_dfa_free(b);
  }
  dm_dfa *a = compile("a+"), *b = compile("a*");
  ck_assert(!dm_dfa_equal(a, b));
  ck_assert_int_eq(a->nstates, 2);
  dm_dfa_free(a);
  dm_dfa_free(b);
}
END_TEST

START_TEST(lengths_and_emptiness) {
  dm_dfa *d = compile("ab{2,5}c?");
  ck_assert_int_eq(dm_dfa_min_length(d), 3);
  ck_assert_int_eq(dm_dfa_max_length(d), 7);
  ck_assert(!dm_dfa_is_empty(d));
  dm_dfa_free(d);
  d = compile("a(b|c)*");
  ck_assert_int_eq(dm_dfa_max_length(d), INT32_MAX);
  dm_dfa_free(d);
  d = compile("[^\\x00-\\x{10ffff}]");
  ck_assert(dm_dfa_is_empty(d));
  ck_assert_int_eq(dm_dfa_min_length(d), -1);
  ck_assert_int_eq(dm_dfa_max_length(d), -1);
  dm_dfa_free(d);
  d = compile("\\x{10000}");
  ck_assert_int_eq(dm_dfa_min_length(d), 4);
  dm_dfa_free(d);
}
END_TEST

/* ------------------------------------------------------------------ random */

#include "../testrng.h"
#include "regexgen.h"

/* A random string over the alphabet, sometimes with random extra code points. */
static void gen_string(buf *b) {
  b->n = 0;
  b->s[0] = 0;
  int len = rn(8);
  for (int i = 0; i < len; i++) {
    uint8_t enc[4];
    uint32_t cp = rn(10) == 0 ? (uint32_t)(0x20 + rn(0x60)) : alphabet[rn(NALPHA)];
    int k = dm_utf8_encode(cp, enc);
    if (b->n + (size_t)k + 1 < sizeof b->s) { memcpy(b->s + b->n, enc, (size_t)k); b->n += (size_t)k; b->s[b->n] = 0; }
  }
}

/* Sample a member of the pattern's language by walking its tree (independent of
 * the DFA), to get positive cases. Returns false if it hit an empty class. */
static bool sample(const dm_re_node *n, buf *b) {
  switch (n->kind) {
    case DM_RE_EMPTY: case DM_RE_ANCHOR: return true;
    case DM_RE_BYTES: { char c[2] = {(char)(n->blo + rn(n->bhi - n->blo + 1)), 0}; put(b, c); return true; }
    case DM_RE_CLASS: {
      if (n->nranges == 0) return false;
      uint32_t cp;
      /* prefer alphabet characters inside the class */
      for (int tries = 0; tries < 20; tries++) {
        cp = alphabet[rn(NALPHA)];
        for (int i = 0; i < n->nranges; i++)
          if (cp >= n->ranges[i].lo && cp <= n->ranges[i].hi) goto have;
      }
      {
        const dm_cp_range *r = &n->ranges[rn(n->nranges)];
        cp = r->lo + (uint32_t)(rnd() % (uint64_t)(r->hi - r->lo + 1));
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = r->lo < 0xD800 ? r->lo : r->hi;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
      }
    have: {
        uint8_t enc[5] = {0};
        enc[dm_utf8_encode(cp, enc)] = 0;
        put(b, (const char *)enc);
        return true;
      }
    }
    case DM_RE_CAT:
      for (int i = 0; i < n->nkids; i++)
        if (!sample(n->kids[i], b)) return false;
      return true;
    case DM_RE_ALT:
      return n->nkids > 0 && sample(n->kids[rn(n->nkids)], b);
    case DM_RE_DFA: case DM_RE_GRAPH: return false; /* builders only, not from the parser */
    case DM_RE_REPEAT: {
      int max = n->max < 0 ? n->min + 3 : n->max;
      int k = n->min + rn(max - n->min + 1);
      for (int i = 0; i < k; i++)
        if (!sample(n->kids[0], b)) return false;
      return true;
    }
  }
  return false;
}

START_TEST(differential_vs_pcre2) {
  g_rng = 0x1234567ULL + (uint64_t)_i * 7919;
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  pcre2_match_data *md = pcre2_match_data_create(64, NULL);
  int patterns = 0, strings = 0, positives = 0, gave_up = 0, too_big = 0;
  for (int iter = 0; iter < 500; iter++) {
    buf pat = {{0}, 0};
    int anchored = rn(4) == 0;
    if (anchored) put(&pat, "^");
    gen_alt(&pat, 0);
    if (anchored) put(&pat, "$");
    dm_re *re = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_re_parse(pat.s, pat.n, &re, &e);
    ck_assert_msg(rc == DM_OK, "parse /%s/: %s at %zu", pat.s, e.message, e.offset);
    dm_dfa *d = NULL;
    rc = dm_dfa_from_re(dm_re_root(re), 0, &d, &e);
    if (rc == DM_ESTATELIMIT) { /* a legitimate refusal, bounded below */
      too_big++;
      dm_re_free(re);
      continue;
    }
    ck_assert_msg(rc == DM_OK, "compile /%s/: %s", pat.s, e.message);
    pcre2_code *code = pcre_compile(pat.s, cc);
    patterns++;
    for (int k = 0; k < 24; k++) {
      buf s = {{0}, 0};
      if (k < 12) {
        if (!sample(dm_re_root(re), &s)) continue;
        if (k >= 8 && s.n > 0) { /* mutate: drop or duplicate one byte-aligned char */
          size_t at = (size_t)rn((int)s.n);
          while (at > 0 && ((unsigned char)s.s[at] & 0xC0) == 0x80) at--;
          size_t len = 1;
          while (at + len < s.n && ((unsigned char)s.s[at + len] & 0xC0) == 0x80) len++;
          if (rn(2)) { memmove(s.s + at, s.s + at + len, s.n - at - len + 1); s.n -= len; }
          else if (s.n + len < sizeof s.s) { memmove(s.s + at + len, s.s + at, s.n - at + 1); s.n += len; }
        }
      } else {
        gen_string(&s);
      }
      int want = pcre_full_match(code, md, &s);
      if (want < 0) { gave_up++; continue; }
      bool got = dm_dfa_match(d, (const uint8_t *)s.s, s.n);
      ck_assert_msg(want == got, "/%s/ on \"%s\": PCRE2 %d, DFA %d", pat.s, s.s, want, got);
      strings++;
      positives += want;
    }
    pcre2_code_free(code);
    dm_dfa_free(d);
    dm_re_free(re);
  }
  printf("differential round %d: %d patterns, %d strings (%d in the language), PCRE2 gave up on %d, "
         "%d patterns over the state limit\n", _i, patterns, strings, positives, gave_up, too_big);
  ck_assert_msg(too_big * 50 < 500, "%d of 500 patterns over the state limit", too_big);
  ck_assert_int_ge(patterns, 490);
  ck_assert_msg(gave_up * 100 < strings, "PCRE2 gave up on %d of %d strings", gave_up, strings);
  ck_assert_msg(positives > strings / 5, "too few positive cases: %d of %d", positives, strings);
  pcre2_match_data_free(md);
  pcre2_compile_context_free(cc);
}
END_TEST

/* Search semantics (JSON Schema "pattern"): a string is in the language iff PCRE2
 * finds a match anywhere in it; anchors bind to the string's ends. */
START_TEST(search_semantics_vs_pcre2) {
  g_rng = 0x5EA4C4ULL + (uint64_t)_i;
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  pcre2_match_data *md = pcre2_match_data_create(64, NULL);
  int patterns = 0, strings = 0, hits = 0;
  for (int iter = 0; iter < 300; iter++) {
    buf pat = {{0}, 0};
    int anch = rn(3);
    if (anch == 1) put(&pat, "^");
    gen_alt(&pat, 1);
    if (anch == 2) put(&pat, "$");
    dm_dfa *d = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_dfa_from_search_pattern(pat.s, pat.n, 0, &d, &e);
    if (rc == DM_ESTATELIMIT) continue;
    ck_assert_msg(rc == DM_OK, "/%s/: %s", pat.s, e.message);
    /* "$" is the end of the string only (ECMA-262, JSON Schema), not also before a
       final newline as PCRE2's default */
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat.s, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &eo, cc);
    ck_assert_ptr_nonnull(code);
    dm_re *re = NULL;
    ck_assert_int_eq(dm_re_parse(pat.s, pat.n, &re, &e), DM_OK);
    for (int k = 0; k < 16; k++) {
      buf s = {{0}, 0}, core = {{0}, 0};
      gen_string(&s);
      if (k % 2 && sample(dm_re_root(re), &core)) { /* embed a member in random text */
        buf pre = {{0}, 0};
        gen_string(&pre);
        buf all = {{0}, 0};
        put(&all, pre.s);
        put(&all, core.s);
        put(&all, s.s);
        s = all;
      }
      int rc2 = pcre2_match(code, (PCRE2_SPTR)s.s, s.n, 0, 0, md, NULL);
      if (rc2 == PCRE2_ERROR_MATCHLIMIT || rc2 == PCRE2_ERROR_DEPTHLIMIT) continue;
      bool want = rc2 >= 0;
      ck_assert_msg(dm_dfa_match(d, (const uint8_t *)s.s, s.n) == want, "search /%s/ on \"%s\": PCRE2 %d", pat.s, s.s, want);
      strings++;
      hits += want;
    }
    /* no frame marker byte ever belongs to a word of the language */
    static const char *marked[] = {"\xf8", "\xf9", "a\xf8", "\xf9" "b"};
    for (int k = 0; k < 4; k++) ck_assert(!dm_dfa_match(d, (const uint8_t *)marked[k], strlen(marked[k])));
    pcre2_code_free(code);
    dm_re_free(re);
    dm_dfa_free(d);
    patterns++;
  }
  printf("search round %d: %d patterns, %d strings (%d with a match)\n", _i, patterns, strings, hits);
  ck_assert_int_ge(patterns, 280);
  ck_assert_msg(hits > strings / 5, "too few matches: %d of %d", hits, strings);
  pcre2_match_data_free(md);
  pcre2_compile_context_free(cc);
}
END_TEST

START_TEST(anchored_search_regressions) {
  dm_dfa *d = NULL;
  dm_error e;
  ck_assert_int_eq(dm_dfa_from_search_pattern("^(a|b)$", 7, 0, &d, &e), DM_OK);
  ck_assert(dm_dfa_match(d, (const uint8_t *)"a", 1));
  ck_assert(!dm_dfa_match(d, (const uint8_t *)"ab", 2));
  ck_assert(!dm_dfa_match(d, (const uint8_t *)"x\xf8" "a\xf9", 4)); /* found by the any-order property test */
  ck_assert(!dm_dfa_match(d, (const uint8_t *)"ca", 2));
  dm_dfa_free(d);
}
END_TEST

START_TEST(operations_vs_brute_force) {
  g_rng = 0xABCDEFULL + (uint64_t)_i;
  for (int iter = 0; iter < 100; iter++) {
    buf pa = {{0}, 0}, pb = {{0}, 0};
    gen_alt(&pa, 1);
    gen_alt(&pb, 1);
    dm_dfa *a = compile(pa.s), *b = compile(pb.s), *i = NULL, *u = NULL, *c = NULL;
    dm_error e;
    ck_assert_int_eq(dm_dfa_intersect(a, b, 0, &i, &e), DM_OK);
    ck_assert_int_eq(dm_dfa_union(a, b, 0, &u, &e), DM_OK);
    ck_assert_int_eq(dm_dfa_complement(a, &c, &e), DM_OK);
    dm_re *ra = NULL, *rb = NULL;
    ck_assert_int_eq(dm_re_parse(pa.s, pa.n, &ra, &e), DM_OK);
    ck_assert_int_eq(dm_re_parse(pb.s, pb.n, &rb, &e), DM_OK);
    for (int k = 0; k < 40; k++) {
      buf s = {{0}, 0};
      if (k % 3 == 0) sample(dm_re_root(ra), &s);
      else if (k % 3 == 1) sample(dm_re_root(rb), &s);
      else gen_string(&s);
      if (k == 39) { s.s[0] = (char)0xff; s.n = 1; } /* invalid UTF-8: in the complement */
      const uint8_t *x = (const uint8_t *)s.s;
      bool ma = dm_dfa_match(a, x, s.n), mb = dm_dfa_match(b, x, s.n);
      ck_assert_int_eq(dm_dfa_match(i, x, s.n), ma && mb);
      ck_assert_int_eq(dm_dfa_match(u, x, s.n), ma || mb);
      ck_assert_int_eq(dm_dfa_match(c, x, s.n), !ma);
    }
    /* complement twice is the identity on minimal DFAs */
    dm_dfa *cc = NULL;
    ck_assert_int_eq(dm_dfa_complement(c, &cc, &e), DM_OK);
    ck_assert_msg(dm_dfa_equal(cc, a), "complement(complement(/%s/)) differs", pa.s);
    dm_dfa_free(cc);
    dm_re_free(ra);
    dm_re_free(rb);
    dm_dfa_free(a); dm_dfa_free(b); dm_dfa_free(i); dm_dfa_free(u); dm_dfa_free(c);
  }
}
END_TEST

/* ------------------------------------------------------------------ suite patterns */

#include <cjson/cJSON.h>
#include <dirent.h>

#include "../testfile.h"

static char g_suite[4096];

typedef struct strpool { char **s; size_t *len; int n, cap; } strpool;
static void pool_add(strpool *p, const char *s, size_t len) {
  for (int i = 0; i < p->n; i++)
    if (p->len[i] == len && memcmp(p->s[i], s, len) == 0) return;
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 256;
    p->s = realloc(p->s, (size_t)p->cap * sizeof *p->s);
    p->len = realloc(p->len, (size_t)p->cap * sizeof *p->len);
  }
  p->s[p->n] = malloc(len + 1);
  memcpy(p->s[p->n], s, len);
  p->s[p->n][len] = 0;
  p->len[p->n++] = len;
}

/* Patterns ("pattern" values and "patternProperties" names) of a schema, and strings
 * (string values and member names) of instances. */
static void collect(const cJSON *j, int in_schema, strpool *pats, strpool *strs) {
  for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
    if (in_schema && c->string && strcmp(c->string, "pattern") == 0 && cJSON_IsString(c))
      pool_add(pats, c->valuestring, strlen(c->valuestring));
    if (in_schema && c->string && strcmp(c->string, "patternProperties") == 0 && cJSON_IsObject(c))
      for (const cJSON *k = c->child; k; k = k->next) pool_add(pats, k->string, strlen(k->string));
    if (!in_schema && c->string) pool_add(strs, c->string, strlen(c->string));
    if (!in_schema && cJSON_IsString(c)) pool_add(strs, c->valuestring, strlen(c->valuestring));
    collect(c, in_schema, pats, strs);
  }
}

/* The JSON-Schema-Test-Suite's patterns, with search semantics, against PCRE2 on
 * every string of the suite's instances, random strings and samples of each
 * pattern's own language. */
START_TEST(suite_patterns_vs_pcre2) {
  g_rng = 0x5017EULL;
  strpool pats = {0}, strs = {0};
  DIR *dh = opendir(g_suite);
  ck_assert_ptr_nonnull(dh);
  struct dirent *de;
  while ((de = readdir(dh))) {
    if (!strstr(de->d_name, ".json")) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", g_suite, de->d_name);
    char *text = dm_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *groups = cJSON_Parse(text);
    free(text);
    for (const cJSON *g = groups ? groups->child : NULL; g; g = g->next) {
      collect(cJSON_GetObjectItemCaseSensitive(g, "schema"), 1, &pats, &strs);
      collect(cJSON_GetObjectItemCaseSensitive(g, "tests"), 0, &pats, &strs);
    }
    cJSON_Delete(groups);
  }
  closedir(dh);
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  pcre2_match_data *md = pcre2_match_data_create(64, NULL);
  int checked = 0, refused = 0, comparisons = 0, hits = 0;
  for (int i = 0; i < pats.n; i++) {
    dm_dfa *d = NULL;
    dm_error e;
    dm_error_clear(&e);
    if (dm_dfa_from_search_pattern(pats.s[i], pats.len[i], 0, &d, &e) != DM_OK) {
      refused++; /* syntax we refuse (\p{..}, lookaround ...): an error, never a wrong answer */
      continue;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pats.s[i], pats.len[i], PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &eo, cc);
    ck_assert_msg(code != NULL, "PCRE2 rejects the suite's /%s/ that we accept", pats.s[i]);
    strpool mine = {0};
    dm_re *re = NULL;
    if (dm_re_parse(pats.s[i], pats.len[i], &re, &e) == DM_OK)
      for (int k = 0; k < 40; k++) {
        buf b = {{0}, 0};
        if (sample(dm_re_root(re), &b)) pool_add(&mine, b.s, b.n);
        gen_string(&b);
        pool_add(&mine, b.s, b.n);
      }
    dm_re_free(re);
    for (int pass = 0; pass < 2; pass++) {
      strpool *p = pass ? &mine : &strs;
      for (int k = 0; k < p->n; k++) {
        int rc = pcre2_match(code, (PCRE2_SPTR)p->s[k], p->len[k], 0, 0, md, NULL);
        if (rc == PCRE2_ERROR_BADUTFOFFSET || rc <= PCRE2_ERROR_UTF8_ERR1) continue; /* not UTF-8 */
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT) continue;
        bool want = rc >= 0;
        ck_assert_msg(dm_dfa_match(d, (const uint8_t *)p->s[k], p->len[k]) == want,
                      "suite pattern /%s/ on \"%s\": PCRE2 says %d", pats.s[i], p->s[k], want);
        comparisons++;
        hits += want;
      }
    }
    for (int k = 0; k < mine.n; k++) free(mine.s[k]);
    free(mine.s);
    free(mine.len);
    pcre2_code_free(code);
    dm_dfa_free(d);
    checked++;
  }
  printf("suite patterns: %d checked against PCRE2 (%d refused), %d strings, %d comparisons (%d matches)\n",
         checked, refused, strs.n, comparisons, hits);
  ck_assert_int_ge(checked, 15);
  ck_assert_msg(hits > comparisons / 20, "too few matches: %d of %d", hits, comparisons);
  for (int k = 0; k < pats.n; k++) free(pats.s[k]);
  for (int k = 0; k < strs.n; k++) free(strs.s[k]);
  free(pats.s); free(pats.len); free(strs.s); free(strs.len);
  pcre2_match_data_free(md);
  pcre2_compile_context_free(cc);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/regex");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, fixed_cases);
  tcase_add_test(tc, refusals_name_the_offset);
  tcase_add_test(tc, state_limit_is_an_error);
  tcase_add_test(tc, minimal_and_canonical);
  tcase_add_test(tc, lengths_and_emptiness);
  tcase_add_loop_test(tc, differential_vs_pcre2, 0, 5);
  tcase_add_loop_test(tc, operations_vs_brute_force, 0, 3);
  tcase_add_loop_test(tc, search_semantics_vs_pcre2, 0, 2);
  tcase_add_test(tc, anchored_search_regressions);
  const char *shared = getenv("DM_SHARED_DIR"), *src = getenv("DM_TEST_SRCDIR");
  if (shared) snprintf(g_suite, sizeof g_suite, "%s/data/json-schema-test-suite/tests/draft2020-12", shared);
  else snprintf(g_suite, sizeof g_suite, "%s/../shared/data/json-schema-test-suite/tests/draft2020-12", src ? src : ".");
  DIR *probe = opendir(g_suite);
  if (probe) {
    closedir(probe);
    tcase_add_test(tc, suite_patterns_vs_pcre2);
  } else {
    printf("note: %s not found: the suite's patterns are not checked in this run\n", g_suite);
  }
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
