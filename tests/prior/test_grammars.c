/* grammars/: every file loads, its examples match (and its counter-examples do not)
 * with our engine and with PCRE2, and the built-in JSON Schema formats equal the
 * files of the same name. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <dirent.h>
#include <pcre2.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/dfa.h"
#include "../../lib/prior/grammar.h"
#include "../../lib/prior/schema.h"
#include "../checkmain.h"

START_TEST(every_grammar_file) {
  const char *src = getenv("DM_TEST_SRCDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/grammars", src ? src : ".");
  DIR *dh = opendir(dir);
  ck_assert_msg(dh != NULL, "cannot open %s", dir);
  struct dirent *de;
  int files = 0, examples = 0, formats = 0;
  pcre2_match_data *md = pcre2_match_data_create(16, NULL);
  while ((de = readdir(dh))) {
    size_t l = strlen(de->d_name);
    if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    dm_grammar g;
    dm_error e;
    dm_error_clear(&e);
    ck_assert_msg(dm_grammar_load(path, &g, &e) == DM_OK, "%s: %d:%d %s", path, e.line, e.col, e.message);
    ck_assert_msg(strncmp(de->d_name, g.name, l - 5) == 0 && strlen(g.name) == l - 5, "%s: name %s", path, g.name);
    ck_assert_msg(g.description && strlen(g.description) > 10, "%s: needs a description", path);
    ck_assert_msg(g.nmatch >= 2 && g.nno_match >= 2, "%s: needs examples both ways", path);
    dm_dfa *d = NULL;
    ck_assert_msg(dm_dfa_from_pattern(g.regex, strlen(g.regex), 0, &d, &e) == DM_OK, "%s: %s", path, e.message);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)g.regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
    ck_assert_msg(code != NULL, "%s: PCRE2 rejects the regex", path);
    for (int i = 0; i < g.nmatch + g.nno_match; i++) {
      bool want = i < g.nmatch;
      const char *x = want ? g.match[i] : g.no_match[i - g.nmatch];
      ck_assert_msg(dm_dfa_match(d, (const uint8_t *)x, strlen(x)) == want, "%s: '%s' should%s match", path, x, want ? "" : " not");
      int m = pcre2_match(code, (PCRE2_SPTR)x, strlen(x), 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
      ck_assert_msg((m >= 0) == want, "%s: PCRE2 on '%s' disagrees", path, x);
      examples++;
    }
    const char *builtin = dm_format_pattern(g.name);
    if (builtin) {
      ck_assert_msg(strcmp(builtin, g.regex) == 0, "format %s: lib/prior/formats.c differs from %s", g.name, path);
      formats++;
    }
    pcre2_code_free(code);
    dm_dfa_free(d);
    dm_grammar_free(&g);
    files++;
  }
  closedir(dh);
  pcre2_match_data_free(md);
  printf("grammars: %d files, %d examples, %d built-in formats checked\n", files, examples, formats);
  ck_assert_int_ge(files, 10);
  ck_assert_int_eq(formats, 9);
}
END_TEST

START_TEST(bad_grammar_files) {
  char path[] = "/tmp/dimple-grammar-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  static const struct { const char *text; int code; int line; const char *words; } cases[] = {
    {"name: x\nregex: [a\n  b: c\n", DM_ESYNTAX, 0, "YAML"},
    {"name: x\n", DM_ESPEC, 1, "needs"},
    {"name: x\nregex: a\ncolour: red\n", DM_ESPEC, 3, "unknown field"},
    {"name: x\nregex: a\nmatch: 3\n", DM_ESPEC, 3, "list of strings"},
    {"- a\n- b\n", DM_ESPEC, 1, "mapping"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    FILE *f = fopen(path, "w");
    fputs(cases[i].text, f);
    fclose(f);
    dm_grammar g;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_grammar_load(path, &g, &e);
    ck_assert_msg(rc == cases[i].code, "case %zu: %s (%s)", i, dm_err_name(rc), e.message);
    ck_assert_msg(strstr(e.message, cases[i].words) != NULL, "case %zu: %s", i, e.message);
    if (cases[i].line) ck_assert_int_eq(e.line, cases[i].line);
    ck_assert_str_eq(e.source, path);
  }
  dm_grammar g;
  dm_error e;
  ck_assert_int_eq(dm_grammar_load("/nonexistent/x.yaml", &g, &e), DM_ENOENT);
  unlink(path);
  close(fd);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/grammars");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, every_grammar_file);
  tcase_add_test(tc, bad_grammar_files);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
