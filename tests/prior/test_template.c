/* Templates: parsing, slot types, budgets, languages and errors with offsets. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/dimple.h>

#include "../../lib/prior/template.h"
#include "../checkmain.h"

static bool in_lang(const char *tmpl, const char *text) {
  dm_lang *l = NULL;
  dm_error e;
  dm_error_clear(&e);
  ck_assert_msg(dm_lang_from_template(tmpl, strlen(tmpl), NULL, &l, &e) == DM_OK, "%s: %s", tmpl, e.message);
  bool m = dm_lang_match(l, text, strlen(text), NULL);
  dm_lang_free(l);
  return m;
}

START_TEST(languages) {
  ck_assert(in_lang("Answer: {{a:yes|no}}.", "Answer: yes."));
  ck_assert(!in_lang("Answer: {{a:yes|no}}.", "Answer: maybe."));
  ck_assert(in_lang("{{n:int}} items", "-12 items"));
  ck_assert(!in_lang("{{n:int}} items", "012 items"));
  ck_assert(in_lang("Due {{d:date}}", "Due 2024-02-29"));
  ck_assert(!in_lang("Due {{d:date}}", "Due 2024-2-29"));
  ck_assert(in_lang("Mail {{m:email <=20}}!", "Mail a@b.co!"));
  ck_assert(in_lang("{{code:/[A-Z]{2}\\/[0-9]/ =3}}", "AB/7"));
  ck_assert(in_lang("Name: {{name}}", "Name: Ada Lovelace"));
  ck_assert(!in_lang("Name: {{name}}", "Name: "));
  ck_assert(!in_lang("Name: {{name}}", "Name: a\nb"));
  ck_assert(in_lang("\\{{literal}} {{w:word}}", "{{literal}} xyz"));
  ck_assert(in_lang("{{a:x.y|z}}", "x.y"));
  ck_assert(!in_lang("{{a:x.y|z}}", "xay"));
}
END_TEST

START_TEST(parts_and_budgets) {
  dm_template t;
  dm_error e;
  const char *s = "Q: {{a:yes|no <=3}} and {{b:/[0-9]+/ =2}} {{c}}";
  ck_assert_int_eq(dm_template_parse(s, strlen(s), NULL, &t, &e), DM_OK);
  ck_assert_int_eq(t.n, 6);
  ck_assert_int_eq(t.parts[0].kind, DM_TPART_TEXT);
  ck_assert_str_eq(t.parts[0].text, "Q: ");
  ck_assert_str_eq(t.parts[1].text, "a");
  ck_assert_int_eq(t.parts[1].budget, 3);
  ck_assert_int_eq(t.parts[1].exact, 0);
  ck_assert_str_eq(t.parts[3].text, "b");
  ck_assert_int_eq(t.parts[3].budget, 2);
  ck_assert_int_eq(t.parts[3].exact, 1);
  ck_assert_str_eq(t.parts[3].regex, "[0-9]+");
  ck_assert_str_eq(t.parts[5].text, "c");
  ck_assert_int_eq(t.parts[5].budget, 0);
  ck_assert_uint_eq(t.parts[5].offset, strlen(s) - 5);
  dm_template_free(&t);
}
END_TEST

START_TEST(errors_with_offsets) {
  static const struct { const char *t; int code; size_t offset; const char *words; } cases[] = {
    {"a {{x", DM_ESYNTAX, 2, "not closed"},
    {"a {{:int}}", DM_ESYNTAX, 4, "needs a name"},
    {"{{x int}}", DM_ESYNTAX, 3, "expected ':'"},
    {"{{x:}}", DM_ESYNTAX, 4, "expected a type"},
    {"{{x:nosuchtype}}", DM_ESPEC, 4, "unknown type"},
    {"{{x:/a(/}}", DM_ESYNTAX, 6, "missing ')'"},
    {"{{x:/a/ =0}}", DM_ESPEC, 9, "budget"},
    {"{{x:a||b}}", DM_ESYNTAX, 6, "empty choice"},
    {"{{x}} {{x}}", DM_ESPEC, 6, "same name"},
    {"no slots", DM_ESPEC, 0, "at least one"},
    {"trailing \\", DM_ESYNTAX, 9, "backslash"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_template t;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_template_parse(cases[i].t, strlen(cases[i].t), NULL, &t, &e);
    ck_assert_msg(rc == cases[i].code, "case %zu '%s': %s (%s)", i, cases[i].t, dm_err_name(rc), e.message);
    if (cases[i].offset || e.pos_kind == DM_POS_OFFSET)
      ck_assert_msg(e.offset == cases[i].offset, "case %zu: offset %zu want %zu (%s)", i, e.offset, cases[i].offset, e.message);
    ck_assert_msg(strstr(e.message, cases[i].words) != NULL, "case %zu: %s", i, e.message);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/template");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, languages);
  tcase_add_test(tc, parts_and_budgets);
  tcase_add_test(tc, errors_with_offsets);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
