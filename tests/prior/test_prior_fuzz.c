/* Seeded mutation fuzzing of every prior parser: regexes, JSON Schemas, templates,
 * YAML form specs and grammar files. Each mutant must come back with DM_OK or a
 * spec error (never a crash, a hang, or an error without a message); the ASan +
 * UBSan build runs the same. DM_FUZZ_ITERS raises the count for runs by hand. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dimple/dimple.h>

#include "../../lib/prior/grammar.h"

#include "../testrng.h"
#include "../checkmain.h"

static int iters(int dflt) {
  const char *s = getenv("DM_FUZZ_ITERS");
  return s && atoi(s) > 0 ? atoi(s) : dflt;
}

static const char *const tokens[] = {"{", "}", "[", "]", "(", ")", "|", "*", "+", "?", "{2,3}", "\\", "\"", ":", ",",
                                     "\\d", "[^a]", "^", "$", "\n", "  ", "- ", "{{", "}}", "\xff", "\xc3", "0", "-1",
                                     "1e999", "null", "true", "\"type\"", "\"$ref\":\"#\"", "\"items\"", "/", "<=", "=9"};

/* One mutation step on buf (len, cap): flip, insert, delete, splice a token, truncate. */
static size_t mutate(char *buf, size_t len, size_t cap) {
  int op = (int)(rnd() % 6);
  size_t at = len ? (size_t)(rnd() % len) : 0;
  switch (op) {
    case 0: if (len) buf[at] = (char)(rnd() & 0xff); break;
    case 1: if (len + 1 < cap) { memmove(buf + at + 1, buf + at, len - at); buf[at] = (char)(32 + rnd() % 95); len++; } break;
    case 2: if (len) { memmove(buf + at, buf + at + 1, len - at - 1); len--; } break;
    case 3: {
      const char *t = tokens[rnd() % (sizeof tokens / sizeof tokens[0])];
      size_t tl = strlen(t);
      if (len + tl < cap) { memmove(buf + at + tl, buf + at, len - at); memcpy(buf + at, t, tl); len += tl; }
      break;
    }
    case 4: len = at; break;
    default: if (len && at + 1 < len) { size_t b = at + rnd() % (len - at); memmove(buf + at, buf + b, len - b); len -= b - at; } break;
  }
  buf[len] = 0;
  return len;
}

static void check_result(int rc, const dm_error *e, const char *what, const char *input) {
  ck_assert_msg(rc == DM_OK || dm_err_kind_of(rc) == DM_KIND_SPEC || rc == DM_ENOENT || rc == DM_EINVAL,
                "%s: unexpected %s (%s) on: %s", what, dm_err_name(rc), e->message, input);
  if (rc) ck_assert_msg(e->message[0] != 0, "%s: error without a message on: %s", what, input);
}

START_TEST(regex_mutants) {
  static const char *seeds[] = {"[a-z]+@[a-z]+\\.(com|org)", "(ab|cd)*e?f{2,4}", "\\d{4}-\\d{2}", "[^\"\\\\]{0,8}x", "^(a|b)$", "x{0,3}(?:y+)|z"};
  g_rng = 0xF00D;
  char buf[512];
  int n = iters(3000);
  for (int i = 0; i < n; i++) {
    size_t len = strlen(strcpy(buf, seeds[i % 6]));
    for (int k = 1 + (int)(rnd() % 4); k > 0; k--) len = mutate(buf, len, sizeof buf);
    dm_lang *l = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_lang_from_regex(buf, len, &l, &e);
    check_result(rc, &e, "regex", buf);
    if (!rc) dm_lang_match(l, "abc", 3, NULL);
    dm_lang_free(l);
  }
}
END_TEST

START_TEST(schema_mutants) {
  static const char *seeds[] = {
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":4},\"b\":{\"enum\":[1,2]}},\"required\":[\"a\"]}",
    "{\"anyOf\":[{\"type\":\"integer\",\"minimum\":-3},{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"maxItems\":2}]}",
    "{\"$defs\":{\"n\":{\"type\":\"number\",\"multipleOf\":0.5}},\"items\":{\"$ref\":\"#/$defs/n\"},\"contains\":{\"const\":1}}",
    "{\"patternProperties\":{\"^x\":{\"type\":\"null\"}},\"propertyNames\":{\"maxLength\":3},\"maxProperties\":2}",
  };
  g_rng = 0xBEEF;
  char buf[1024];
  int n = iters(1500);
  for (int i = 0; i < n; i++) {
    size_t len = strlen(strcpy(buf, seeds[i % 4]));
    for (int k = 1 + (int)(rnd() % 3); k > 0; k--) len = mutate(buf, len, sizeof buf);
    dm_schema_params p = dm_schema_default_params();
    p.spec_mode = (int)(rnd() & 1);
    p.max_states = 5000;
    dm_lang *l = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_lang_from_schema(buf, len, &p, &l, &e);
    check_result(rc, &e, "schema", buf);
    if (!rc) {
      char *canon = NULL;
      size_t cl = 0;
      if (dm_lang_canonicalize(l, "{\"a\":1}", 7, &canon, &cl, &e) == DM_OK) dm_lang_match(l, canon, cl, NULL);
      free(canon);
    }
    dm_lang_free(l);
  }
}
END_TEST

START_TEST(template_mutants) {
  static const char *seeds[] = {"Answer: {{a:yes|no}} because {{b:text <=5}}.", "{{d:date}} {{n:int =3}} \\{{x}}",
                                "Code {{c:/[A-Z]{2}\\/[0-9]/ <=4}}!"};
  g_rng = 0xCAFE;
  char buf[512];
  int n = iters(3000);
  for (int i = 0; i < n; i++) {
    size_t len = strlen(strcpy(buf, seeds[i % 3]));
    for (int k = 1 + (int)(rnd() % 4); k > 0; k--) len = mutate(buf, len, sizeof buf);
    dm_lang *l = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_lang_from_template(buf, len, NULL, &l, &e);
    check_result(rc, &e, "template", buf);
    dm_lang_free(l);
  }
}
END_TEST

START_TEST(yaml_mutants) {
  static const char *seeds[] = {
    "instruction: Extract.\noutput: json\nfields:\n  - name: a\n    type: email\n    tokens: 9\n  - name: b\n    enum: [x, y]\n    required: false\n",
    "instruction: Say.\noutput: text\ntemplate: 'A {{a}} B {{b}}'\nfields:\n  - name: a\n    type: date\n  - name: b\n    maxLength: 3\n",
    "name: g\ndescription: a grammar file for the fuzz test\nregex: '[a-z]+'\nmatch: [abc, x]\nno_match: ['1', '']\n",
  };
  g_rng = 0xD00D;
  char path[] = "/tmp/dimple-fuzz-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  char buf[1024];
  int n = iters(1500);
  for (int i = 0; i < n; i++) {
    size_t len = strlen(strcpy(buf, seeds[i % 3]));
    for (int k = 1 + (int)(rnd() % 4); k > 0; k--) len = mutate(buf, len, sizeof buf);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    dm_error e;
    dm_error_clear(&e);
    if (i % 3 < 2) {
      dm_form *form = NULL;
      int rc = dm_form_load(path, NULL, &form, &e);
      check_result(rc, &e, "form", buf);
      if (!rc) {
        dm_lang *l = NULL;
        rc = dm_lang_from_form(form, NULL, NULL, &l, &e);
        check_result(rc, &e, "form language", buf);
        dm_lang_free(l);
      }
      dm_form_free(form);
    } else {
      dm_grammar g;
      int rc = dm_grammar_load(path, &g, &e);
      check_result(rc, &e, "grammar", buf);
      if (!rc) dm_grammar_free(&g);
    }
  }
  unlink(path);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/fuzz");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, regex_mutants);
  tcase_add_test(tc, schema_mutants);
  tcase_add_test(tc, template_mutants);
  tcase_add_test(tc, yaml_mutants);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
