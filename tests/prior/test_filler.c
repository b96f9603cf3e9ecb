/* The space filler (value followed by spaces, values ending in a space left out),
 * built directly as a product, against the plain construction with regex
 * operations: complement of ".* ", intersection, concatenation with " *". Tables are
 * compared, so the product's no-minimisation path (JSON-like values) must come out
 * minimal and numbered exactly as dm_dfa_minimize numbers states. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/filler.h"
#include "../../lib/prior/re.h"

#include "../checkmain.h"

/* The reference twin. */
static dm_dfa *reference(const dm_dfa *value) {
  dm_error e;
  dm_re *re = dm_re_new();
  dm_dfa *ends_space = NULL, *not_space = NULL, *trimmed = NULL, *d = NULL;
  dm_re_node *k[2] = {dm_re_repeat(re, dm_re_bytes(re, 0, 255), 0, -1), dm_re_bytes(re, ' ', ' ')};
  ck_assert_int_eq(dm_dfa_from_re(dm_re_cat(re, k, 2), 0, &ends_space, &e), DM_OK);
  ck_assert_int_eq(dm_dfa_complement(ends_space, &not_space, &e), DM_OK);
  ck_assert_int_eq(dm_dfa_intersect(value, not_space, 0, &trimmed, &e), DM_OK);
  dm_re_free(re);
  re = dm_re_new();
  dm_re_node *k2[2] = {dm_re_dfa(re, trimmed, 0), dm_re_repeat(re, dm_re_bytes(re, ' ', ' '), 0, -1)};
  ck_assert_int_eq(dm_dfa_from_re(dm_re_cat(re, k2, 2), 0, &d, &e), DM_OK);
  dm_re_free(re);
  dm_dfa_free(ends_space);
  dm_dfa_free(not_space);
  dm_dfa_free(trimmed);
  return d;
}

START_TEST(filler_equals_reference) {
  static const char *patterns[] = {
    "a", "a *", " ", " *", "x|y ", "( a)*", "[a-z ]{0,6}", "\"([^\"\\\\]| )*\"", "-?(0|[1-9][0-9]*)(\\.[0-9]+)?",
    "(true|false|null)", "é+ ?", "\\[( ?[0-9],?)*\\]", "", "a(b|  )*c?", ".{0,3}", "[^ ]* [^ ]*",
    /* JSON-like values: no space into or out of acceptance (the no-minimisation path) */
    "\\{\"a\":(0|[1-9][0-9]{0,3}),\"b\":(\"[a-z ]{0,8}\"|null)\\}", "\\[(true|false)(,(true|false)){0,4}\\]",
    "\"[^\"]{0,5}\"|-?[0-9]{1,3}(\\.[0-9]{1,2})?",
  };
  int n = (int)(sizeof patterns / sizeof patterns[0]);
  for (int i = 0; i < n; i++) {
    dm_dfa *v = NULL;
    dm_error e;
    ck_assert_msg(dm_dfa_from_pattern(patterns[i], strlen(patterns[i]), 0, &v, &e) == DM_OK, "/%s/: %s", patterns[i],
                  e.message);
    dm_dfa *want = reference(v);
    dm_dfa *got = dm_dfa_space_filler(v, &e); /* takes v */
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(dm_dfa_equal(got, want), "/%s/: the filler language differs (%d vs %d states)", patterns[i],
                  got->nstates, want->nstates);
    /* spot checks of the definition */
    if (strcmp(patterns[i], "a *") == 0) {
      ck_assert(dm_dfa_match(got, (const uint8_t *)"a   ", 4));
      ck_assert(dm_dfa_match(got, (const uint8_t *)"a", 1));
    }
    if (strcmp(patterns[i], "x|y ") == 0) {
      ck_assert(dm_dfa_match(got, (const uint8_t *)"x  ", 3));
      ck_assert(!dm_dfa_match(got, (const uint8_t *)"y ", 2) || dm_dfa_match(want, (const uint8_t *)"y ", 2));
    }
    dm_dfa_free(got);
    dm_dfa_free(want);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/filler");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, filler_equals_reference);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
