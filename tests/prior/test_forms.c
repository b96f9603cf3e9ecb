/* YAML form specs: every file in priors/ loads, is documented, compiles to a
 * language and to a canvas (small committed tokenizer), and random fills of the
 * canvas stay in the language; bad form files give errors with line:col. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dimple/dimple.h>

#define TEST_RNG_SEED 99
#include "../testrng.h"
#include "../checkmain.h"

static dm_tokenizer *g_tok;
static dm_prior_env *g_env;

static size_t fill(dm_canvas *c, char **text) {
  int32_t n = dm_canvas_length(c);
  uint64_t *bits = malloc(dm_canvas_vocab_words(c) * 8);
  for (int32_t pass = 0; pass < n; pass++) {
    int32_t pos = (int32_t)(rnd() % (uint64_t)n);
    for (int32_t k = 0; k < n && dm_canvas_token(c, pos) >= 0; k++) pos = (pos + 1) % n;
    if (dm_canvas_token(c, pos) >= 0) break;
    int32_t cnt = dm_canvas_allowed(c, pos, bits);
    ck_assert_int_gt(cnt, 0);
    int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), t = -1;
    for (size_t w = 0; t < 0; w++)
      for (uint64_t b = bits[w]; b; b &= b - 1)
        if (pick-- == 0) { t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b)); break; }
    ck_assert_int_eq(dm_canvas_commit(c, pos, t), DM_OK);
  }
  ck_assert_int_eq(dm_canvas_masks_left(c), 0);
  long len = dm_canvas_text(c, NULL, 1, NULL, 0);
  *text = malloc((size_t)len + 1);
  dm_canvas_text(c, NULL, 1, *text, (size_t)len + 1);
  free(bits);
  return (size_t)len;
}

START_TEST(every_prior) {
  const char *src = getenv("DM_TEST_SRCDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/priors", src ? src : ".");
  DIR *dh = opendir(dir);
  ck_assert_ptr_nonnull(dh);
  struct dirent *de;
  int files = 0, fills = 0;
  while ((de = readdir(dh))) {
    size_t l = strlen(de->d_name);
    if (l < 6 || strcmp(de->d_name + l - 5, ".yaml")) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    /* documented: a comment block at the top */
    FILE *f = fopen(path, "r");
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_msg(line[0] == '#', "%s: starts with a comment block", path);
    dm_form *form = NULL;
    dm_error e;
    dm_error_clear(&e);
    ck_assert_msg(dm_form_load(path, NULL, &form, &e) == DM_OK, "%s: %d:%d %s", path, e.line, e.col, e.message);
    ck_assert(strlen(dm_form_instruction(form)) > 10);
    dm_lang *lang = NULL;
    ck_assert_msg(dm_lang_from_form(form, NULL, NULL, &lang, &e) == DM_OK, "%s: %s", path, e.message);
    ck_assert(!dm_lang_is_empty(lang));
    dm_canvas *c = NULL;
    ck_assert_msg(dm_canvas_from_form(g_env, form, NULL, &c, &e) == DM_OK, "%s: %s at %s", path, e.message, e.where);
    for (int round = 0; round < 5; round++) {
      dm_canvas_reset(c);
      char *text;
      size_t n = fill(c, &text);
      size_t at = 0;
      ck_assert_msg(dm_lang_match(lang, text, n, &at), "%s: '%s' not in the language (byte %zu)", path, text, at);
      free(text);
      fills++;
    }
    dm_canvas_free(c);
    dm_lang_free(lang);
    dm_form_free(form);
    files++;
  }
  closedir(dh);
  printf("priors: %d files, %d random fills in their languages\n", files, fills);
  ck_assert_int_ge(files, 8);
}
END_TEST

START_TEST(json_and_text_outputs) {
  char path[] = "/tmp/dimple-form-XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  fputs("instruction: Say it.\noutput: text\ntemplate: 'Due {{d}} ({{ok}})'\nfields:\n"
        "  - name: d\n    type: date\n  - name: ok\n    enum: [yes, no]\n", f);
  fclose(f);
  dm_form *form = NULL;
  dm_error e;
  ck_assert_int_eq(dm_form_load(path, NULL, &form, &e), DM_OK);
  ck_assert_int_eq(dm_form_is_json(form), 0);
  dm_lang *lang = NULL;
  ck_assert_int_eq(dm_lang_from_form(form, NULL, NULL, &lang, &e), DM_OK);
  ck_assert(dm_lang_match(lang, "Due 2024-01-31 (yes)", 20, NULL));
  ck_assert(!dm_lang_match(lang, "Due 2024-01-31 (maybe)", 22, NULL));
  dm_lang_free(lang);
  dm_form_free(form);
  f = fopen(path, "w");
  fputs("instruction: Extract.\nfields:\n  - name: age\n    type: integer\n    minimum: 0\n    maximum: 9\n"
        "  - name: nick\n    required: false\n    maxLength: 3\n", f);
  fclose(f);
  ck_assert_int_eq(dm_form_load(path, NULL, &form, &e), DM_OK);
  ck_assert_int_eq(dm_form_is_json(form), 1);
  ck_assert_int_eq(dm_lang_from_form(form, NULL, NULL, &lang, &e), DM_OK);
  ck_assert(dm_lang_match(lang, "{\"age\":7,\"nick\":null}", 21, NULL));
  ck_assert(dm_lang_match(lang, "{\"age\":0,\"nick\":\"Al\"}", 21, NULL));
  ck_assert(!dm_lang_match(lang, "{\"age\":10,\"nick\":null}", 22, NULL));
  ck_assert(!dm_lang_match(lang, "{\"age\":1}", 9, NULL));
  dm_lang_free(lang);
  dm_form_free(form);
  unlink(path);
}
END_TEST

START_TEST(bad_forms) {
  static const struct { const char *text; int code; int line; const char *words; } cases[] = {
    {"instruction: x\nfields: [\n", DM_ESYNTAX, 0, "YAML"},
    {"fields:\n  - name: a\n", DM_ESPEC, 1, "instruction"},
    {"instruction: x\nfields: []\n", DM_ESPEC, 2, "non-empty"},
    {"instruction: x\ncolour: red\nfields:\n  - name: a\n", DM_ESPEC, 2, "unknown key"},
    {"instruction: x\nfields:\n  - name: a\n    type: colour\n", DM_ESPEC, 4, "unknown type"},
    {"instruction: x\nfields:\n  - name: a\n    size: 3\n", DM_ESPEC, 4, "unknown field key"},
    {"instruction: x\nfields:\n  - name: a\n    maxLength: many\n", DM_ESPEC, 4, "number"},
    {"instruction: x\nfields:\n  - name: a\n  - name: a\n", DM_ESPEC, 4, "two fields"},
    {"instruction: x\noutput: xml\nfields:\n  - name: a\n", DM_ESPEC, 2, "json or text"},
    {"instruction: x\noutput: text\ntemplate: 'A {{b}}'\nfields:\n  - name: a\n", DM_ESPEC, 3, "not a field"},
    {"instruction: x\noutput: text\nfields:\n  - name: a\n", DM_ESPEC, 1, "template"},
  };
  char path[] = "/tmp/dimple-form-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    FILE *f = fopen(path, "w");
    fputs(cases[i].text, f);
    fclose(f);
    dm_form *form = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_form_load(path, NULL, &form, &e);
    ck_assert_msg(rc == cases[i].code, "case %zu: %s (%s)", i, dm_err_name(rc), e.message);
    ck_assert_ptr_null(form);
    ck_assert_msg(strstr(e.message, cases[i].words) != NULL, "case %zu: %s", i, e.message);
    if (cases[i].line) ck_assert_msg(e.line == cases[i].line, "case %zu: line %d want %d (%s)", i, e.line, cases[i].line, e.message);
    ck_assert_str_eq(e.source, path);
  }
  unlink(path);
}
END_TEST

int main(void) {
  const char *src = getenv("DM_TEST_SRCDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/tokenizer/tiny", src ? src : ".");
  dm_error e;
  if (dm_tokenizer_load(path, &g_tok, &e) || dm_prior_env_new(g_tok, &g_env, &e)) {
    fprintf(stderr, "%s: %s\n", path, e.message);
    return 1;
  }
  Suite *s = suite_create("prior/forms");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, every_prior);
  tcase_add_test(tc, json_and_text_outputs);
  tcase_add_test(tc, bad_forms);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  dm_prior_env_free(g_env);
  dm_tokenizer_free(g_tok);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
