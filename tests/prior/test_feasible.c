/* Slot feasibility: allowed sets against brute-force enumeration, and random commit
 * orders that must always finish inside the language (checked again by PCRE2). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/dfa.h"
#include "../../lib/prior/feasible.h"
#include "../../lib/prior/schema.h"

#include "../testrng.h"
#include "../checkmain.h"
static int rn(int n) { return (int)(rnd() % (uint64_t)n); }

static dm_vocab *make_vocab(const char *const *toks, int n, int eos) {
  size_t *lens = malloc((size_t)n * sizeof *lens);
  uint8_t *flags = calloc((size_t)n, 1);
  for (int i = 0; i < n; i++) lens[i] = strlen(toks[i]);
  if (eos >= 0) flags[eos] = DM_VOCAB_SPECIAL;
  dm_vocab *v = NULL;
  ck_assert_int_eq(dm_vocab_new(n, toks, lens, flags, &v), DM_OK);
  free(lens);
  free(flags);
  return v;
}

static dm_dfa *regex_dfa(const char *re) {
  dm_dfa *d = NULL;
  dm_error e;
  ck_assert_msg(dm_dfa_from_pattern(re, strlen(re), 0, &d, &e) == DM_OK, "/%s/: %s", re, e.message);
  return d;
}

/* Is the assignment a word of the language (EOS only as a suffix after a word)? */
static bool brute_ok(const dm_dfa *d, const dm_vocab *v, int eos, const int32_t *a, int n) {
  int32_t s = 0;
  int i = 0;
  for (; i < n && a[i] != eos; i++) {
    size_t len;
    const uint8_t *b = dm_vocab_bytes(v, a[i], &len);
    s = dm_dfa_run(d, s, b, len);
    if (s < 0) return false;
  }
  for (int j = i; j < n; j++)
    if (a[j] != eos) return false;
  return d->accept[s] != 0;
}

START_TEST(allowed_sets_match_brute_force) {
  static const char *toks[] = {"a", "b", "ab", "ba", "aa", "bab", "c", "1", "12", "<eos>"};
  const int nt = 10, eos = 9;
  static const char *regexes[] = {"(ab)*", "a+b?", "[ab]{3,5}", "ab|abc|c", "(a|bab)*c?", "1(2|1)*", "c*", "(aab|ba)+"};
  dm_vocab *v = make_vocab(toks, nt, eos);
  g_rng = 99 + (uint64_t)_i;
  int checked = 0;
  for (size_t r = 0; r < sizeof regexes / sizeof regexes[0]; r++) {
    dm_dfa *d = regex_dfa(regexes[r]);
    for (int with_eos = 0; with_eos < 2; with_eos++) {
      dm_tokauto *ta = NULL;
      ck_assert_int_eq(dm_tokauto_new(d, v, with_eos ? eos : -1, NULL, &ta), DM_OK);
      for (int n = 1; n <= 4; n++) {
        for (int trial = 0; trial < 6; trial++) {
          int32_t fixed[4];
          for (int i = 0; i < n; i++) fixed[i] = rn(3) == 0 ? rn(nt - (with_eos ? 0 : 1)) : -1;
          /* enumerate every assignment of the masks */
          int32_t a[4];
          bool any = false;
          bool seen[4][16] = {{false}};
          long total = 1;
          for (int i = 0; i < n; i++) total *= nt;
          for (long code = 0; code < total; code++) {
            long c = code;
            bool fits = true;
            for (int i = 0; i < n; i++) {
              a[i] = (int32_t)(c % nt);
              c /= nt;
              if (fixed[i] >= 0 && a[i] != fixed[i]) fits = false;
              if (!with_eos && a[i] == eos) fits = false;
            }
            if (!fits || !brute_ok(d, v, with_eos ? eos : -1, a, n)) continue;
            any = true;
            for (int i = 0; i < n; i++) seen[i][a[i]] = true;
          }
          dm_slot s;
          int rc = dm_slot_init(&s, ta, n, fixed);
          ck_assert_msg((rc == DM_OK) == any, "/%s/ n=%d eos=%d: init %d, brute force %d", regexes[r], n, with_eos, rc, any);
          if (any) {
            for (int i = 0; i < n; i++) {
              uint64_t bits[1];
              int32_t cnt = dm_slot_allowed(&s, i, bits);
              int want = 0;
              for (int t = 0; t < nt; t++) {
                bool got = (bits[0] >> t) & 1;
                ck_assert_msg(got == seen[i][t], "/%s/ n=%d eos=%d pos %d token '%s': engine %d, brute force %d",
                              regexes[r], n, with_eos, i, toks[t], got, seen[i][t]);
                ck_assert_int_eq(dm_slot_allows(&s, i, t), seen[i][t]);
                want += seen[i][t];
              }
              ck_assert_int_eq(cnt, want);
              ck_assert_int_eq(dm_slot_forced(&s, i), fixed[i] < 0 && want == 1 ? (int32_t)__builtin_ctzll(bits[0]) : -1);
              checked++;
            }
          }
          dm_slot_free(&s);
        }
      }
      dm_tokauto_free(ta);
    }
    dm_dfa_free(d);
  }
  dm_vocab_free(v);
  ck_assert_int_gt(checked, 100);
}
END_TEST

/* A vocabulary with every printable ASCII byte, multi-byte pieces and a few UTF-8
 * characters, plus EOS (special). */
static dm_vocab *rich_vocab(int *eos_out) {
  static const char *extra[] = {"\"", "\":", "\",\"", "{\"", "\"}", "true", "false", "null", "12", "345", "-1",
                                "0.", ".5", "ab", "abc", "name", "age", " the", "\xc3\xa9", "\xe4\xb8\xad",
                                "\xf0\x9f\x98\x80", "\xc3", "\xa9", "\\n", "\\\"", "2024", "-0", "00", "e1", "[1", ",2]"};
  int nx = (int)(sizeof extra / sizeof extra[0]);
  int n = 95 + nx + 1;
  const char **toks = malloc((size_t)n * sizeof *toks);
  char (*ascii)[2] = malloc(95 * sizeof *ascii);
  for (int i = 0; i < 95; i++) { ascii[i][0] = (char)(32 + i); ascii[i][1] = 0; toks[i] = ascii[i]; }
  for (int i = 0; i < nx; i++) toks[95 + i] = extra[i];
  toks[n - 1] = "<|endoftext|>";
  dm_vocab *v = make_vocab(toks, n, n - 1);
  free(toks);
  free(ascii);
  *eos_out = n - 1;
  return v;
}

/* Fill a slot in random order with random allowed tokens; returns the text bytes
 * (before EOS) in out. Asserts every step had a choice. */
static size_t fill_randomly(dm_slot *s, dm_vocab *v, int eos, char *out, size_t cap) {
  int32_t order[256];
  for (int i = 0; i < s->n; i++) order[i] = i;
  for (int i = s->n - 1; i > 0; i--) { int j = rn(i + 1); int32_t t = order[i]; order[i] = order[j]; order[j] = t; }
  uint64_t bits[4];
  ck_assert_uint_le(dm_tokauto_vwords(s->ta), 4);
  for (int k = 0; k < s->n; k++) {
    int32_t pos = order[k];
    if (s->tok[pos] >= 0) continue;
    int32_t cnt = dm_slot_allowed(s, pos, bits);
    ck_assert_msg(cnt > 0, "no allowed token at position %d after %d commits", pos, k);
    int pick = rn(cnt);
    int32_t tok = -1;
    for (int32_t t = 0; t < v->n; t++)
      if ((bits[t >> 6] >> (t & 63)) & 1)
        if (pick-- == 0) { tok = t; break; }
    ck_assert_int_eq(dm_slot_commit(s, pos, tok), DM_OK);
    ck_assert(dm_slot_feasible(s));
  }
  size_t n = 0;
  for (int i = 0; i < s->n; i++) {
    if (s->tok[i] == eos) continue;
    size_t len;
    const uint8_t *b = dm_vocab_bytes(v, s->tok[i], &len);
    ck_assert_uint_lt(n + len, cap);
    memcpy(out + n, b, len);
    n += len;
  }
  out[n] = 0;
  return n;
}

START_TEST(random_orders_stay_in_regex_language) {
  static const char *regexes[] = {
    "[a-z]{2,6}", "(ab|c)+", "[0-9]{4}-[0-9]{2}-[0-9]{2}", "(true|false|null)", "-?[1-9][0-9]*", "[^\"]{1,5}x",
    "\"[a-z ]*\"", "(\xc3\xa9|e)+", ".{3}", "\\{\"name\":\"[a-z]+\",\"age\":[0-9]+\\}", "(yes|no)", "[A-D]",
  };
  int eos;
  dm_vocab *v = rich_vocab(&eos);
  pcre2_match_data *md = pcre2_match_data_create(16, NULL);
  g_rng = 4242 + (uint64_t)_i;
  int runs = 0;
  for (size_t r = 0; r < sizeof regexes / sizeof regexes[0]; r++) {
    dm_dfa *d = regex_dfa(regexes[r]);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)regexes[r], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
    ck_assert_ptr_nonnull(code);
    for (int with_eos = 0; with_eos < 2; with_eos++) {
      dm_tokauto *ta = NULL;
      ck_assert_int_eq(dm_tokauto_new(d, v, with_eos ? eos : -1, NULL, &ta), DM_OK);
      for (int trial = 0; trial < 25; trial++) {
        int n = 1 + rn(30);
        dm_slot s;
        int rc = dm_slot_init(&s, ta, n, NULL);
        if (rc == DM_EINFEASIBLE) { dm_slot_free(&s); continue; }
        ck_assert_int_eq(rc, DM_OK);
        char text[1024];
        size_t len = fill_randomly(&s, v, eos, text, sizeof text);
        ck_assert_msg(dm_dfa_match(d, (const uint8_t *)text, len), "/%s/: '%s' not in the language", regexes[r], text);
        int m = pcre2_match(code, (PCRE2_SPTR)text, len, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
        ck_assert_msg(m >= 0, "/%s/: PCRE2 rejects '%s'", regexes[r], text);
        dm_slot_free(&s);
        runs++;
      }
      dm_tokauto_free(ta);
    }
    pcre2_code_free(code);
    dm_dfa_free(d);
  }
  pcre2_match_data_free(md);
  dm_vocab_free(v);
  ck_assert_int_gt(runs, 200);
}
END_TEST

START_TEST(random_orders_stay_in_schema_language) {
  static const char *schemas[] = {
    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":6},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150}},\"required\":[\"name\",\"age\"]}",
    "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":3}",
    "{\"enum\":[\"red\",\"green\",\"blue\"]}",
    "{\"type\":\"number\",\"minimum\":-5,\"exclusiveMaximum\":5}",
    "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"},\"note\":{\"type\":[\"string\",\"null\"],\"maxLength\":4}}}",
  };
  int eos;
  dm_vocab *v = rich_vocab(&eos);
  g_rng = 777 + (uint64_t)_i;
  int runs = 0;
  for (size_t k = 0; k < sizeof schemas / sizeof schemas[0]; k++) {
    cJSON *js = cJSON_Parse(schemas[k]);
    dm_dfa *d = NULL;
    dm_error e;
    ck_assert_msg(dm_schema_compile(js, NULL, &d, NULL, &e) == DM_OK, "%s", e.message);
    dm_tokauto *ta = NULL;
    ck_assert_int_eq(dm_tokauto_new(d, v, eos, NULL, &ta), DM_OK);
    for (int trial = 0; trial < 30; trial++) {
      int n = 1 + rn(40);
      dm_slot s;
      if (dm_slot_init(&s, ta, n, NULL) != DM_OK) { dm_slot_free(&s); continue; }
      char text[2048];
      size_t len = fill_randomly(&s, v, eos, text, sizeof text);
      ck_assert_msg(dm_dfa_match(d, (const uint8_t *)text, len), "schema %zu: '%s' not in the language", k, text);
      cJSON *doc = cJSON_ParseWithLength(text, len);
      ck_assert_msg(doc != NULL, "schema %zu: output is not JSON: %s", k, text);
      cJSON_Delete(doc);
      dm_slot_free(&s);
      runs++;
    }
    dm_tokauto_free(ta);
    dm_dfa_free(d);
    cJSON_Delete(js);
  }
  dm_vocab_free(v);
  ck_assert_int_gt(runs, 50);
}
END_TEST

START_TEST(commit_refuses_what_is_not_allowed) {
  static const char *toks[] = {"a", "b", "ab", "<eos>"};
  dm_vocab *v = make_vocab(toks, 4, 3);
  dm_dfa *d = regex_dfa("ab");
  dm_tokauto *ta = NULL;
  ck_assert_int_eq(dm_tokauto_new(d, v, 3, NULL, &ta), DM_OK);
  dm_slot s;
  ck_assert_int_eq(dm_slot_init(&s, ta, 3, NULL), DM_OK);
  ck_assert_int_eq(dm_slot_commit(&s, 0, 1), DM_EINFEASIBLE); /* "b" first: never */
  ck_assert_int_eq(dm_slot_commit(&s, 2, 0), DM_EINFEASIBLE); /* "a" last: no */
  ck_assert_int_eq(dm_slot_commit(&s, 1, 3), DM_OK);          /* EOS at 1: "ab" at 0, EOS at 2 */
  ck_assert_int_eq(dm_slot_forced(&s, 0), 2);
  ck_assert_int_eq(dm_slot_forced(&s, 2), 3);
  ck_assert_int_eq(dm_slot_commit(&s, 1, 3), DM_EINVAL);      /* already committed */
  ck_assert_int_eq(dm_slot_commit(&s, 7, 0), DM_EINVAL);
  dm_slot_free(&s);
  /* too short for the language: infeasible from the start */
  dm_tokauto *ta2 = NULL;
  ck_assert_int_eq(dm_tokauto_new(d, v, -1, NULL, &ta2), DM_OK);
  ck_assert_int_eq(dm_slot_init(&s, ta2, 3, NULL), DM_EINFEASIBLE);
  dm_slot_free(&s);
  dm_tokauto_free(ta2);
  dm_tokauto_free(ta);
  dm_dfa_free(d);
  dm_vocab_free(v);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/feasible");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, allowed_sets_match_brute_force, 0, 2);
  tcase_add_loop_test(tc, random_orders_stay_in_regex_language, 0, 2);
  tcase_add_loop_test(tc, random_orders_stay_in_schema_language, 0, 2);
  tcase_add_test(tc, commit_refuses_what_is_not_allowed);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
