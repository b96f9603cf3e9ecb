/* dimple eval's scoring (cli/eval_score.c) against hand-made outputs: JSON value
 * equality, reading JSON and text outputs as fields, per-field comparison, and the
 * free-generation completeness used for the "ended too early" rate. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/eval.h"
#include "../checkmain.h"

static cJSON *J(const char *s) {
  cJSON *v = cJSON_Parse(s);
  ck_assert_msg(v != NULL, "fixture parses: %s", s);
  return v;
}

static int eq(const char *a, const char *b) {
  cJSON *x = J(a), *y = J(b);
  int r = dm_eval_json_equal(x, y);
  cJSON_Delete(x);
  cJSON_Delete(y);
  return r;
}

START_TEST(json_equality) {
  ck_assert(eq("36", "36.0"));
  ck_assert(eq("747.21", "7.4721e2"));
  ck_assert(!eq("36", "\"36\""));
  ck_assert(!eq("0", "false"));
  ck_assert(!eq("null", "false"));
  ck_assert(eq("null", "null"));
  ck_assert(eq("\"Zo\\u00eb\"", "\"Zo\xc3\xab\""));
  ck_assert(!eq("\"ada\"", "\"Ada\""));
  ck_assert(eq("{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2.0],\"a\":1}"));
  ck_assert(!eq("{\"a\":1}", "{\"a\":1,\"b\":2}"));
  ck_assert(!eq("{\"a\":1,\"b\":2}", "{\"a\":1}"));
  ck_assert(!eq("[1,2]", "[2,1]"));
  ck_assert(!eq("[1]", "[1,1]"));
  ck_assert(eq("true", "true"));
  ck_assert(!eq("true", "false"));
}
END_TEST

/* parse text against truth; returns the compact print of the fields (static) or "NULL" */
static const char *parsed(const char *text, int is_json, const char *truth) {
  static char buf[512];
  cJSON *t = J(truth);
  cJSON *g = dm_eval_parse(text, is_json, t);
  if (!g) {
    snprintf(buf, sizeof buf, "NULL");
  } else {
    char *s = cJSON_PrintUnformatted(g);
    snprintf(buf, sizeof buf, "%s", s);
    cJSON_free(s);
  }
  cJSON_Delete(g);
  cJSON_Delete(t);
  return buf;
}

START_TEST(reading_outputs) {
  /* JSON outputs */
  ck_assert_str_eq(parsed(" {\"name\":\"Ada\",\"age\":36}  \n", 1, "{\"name\":\"Ada\"}"), "{\"name\":\"Ada\",\"age\":36}");
  ck_assert_str_eq(parsed("{\"name\":\"Ada\",\"age\":3", 1, "{\"name\":\"Ada\"}"), "NULL"); /* truncated */
  ck_assert_str_eq(parsed("[1,2]", 1, "{\"a\":1}"), "NULL");                               /* not an object */
  ck_assert_str_eq(parsed("{\"a\":1} trailing", 1, "{\"a\":1}"), "NULL");
  ck_assert_str_eq(parsed("", 1, "{\"a\":1}"), "NULL");
  /* text outputs take the type of the truth's value */
  ck_assert_str_eq(parsed("  yes \n", 0, "{\"answer\":\"yes\"}"), "{\"answer\":\"yes\"}");
  ck_assert_str_eq(parsed("42", 0, "{\"answer\":42}"), "{\"answer\":42}");
  ck_assert_str_eq(parsed("42", 0, "{\"answer\":\"42\"}"), "{\"answer\":\"42\"}");
  ck_assert_str_eq(parsed("forty", 0, "{\"answer\":42}"), "NULL");
  ck_assert_str_eq(parsed("4 2", 0, "{\"answer\":42}"), "NULL");
  ck_assert_str_eq(parsed("   ", 0, "{\"answer\":\"x\"}"), "NULL");
  ck_assert_str_eq(parsed("x", 0, "{\"a\":\"x\",\"b\":\"y\"}"), "NULL"); /* text answers one field */
  ck_assert_str_eq(parsed("Ada ordered it.", 0, "{\"answer\":\"Ada ordered it.\"}"), "{\"answer\":\"Ada ordered it.\"}");
}
END_TEST

static int match(const char *truth, const char *got, int *ok) {
  cJSON *t = J(truth), *g = got ? J(got) : NULL;
  int r = dm_eval_fields_match(t, g, ok);
  cJSON_Delete(t);
  cJSON_Delete(g);
  return r;
}

START_TEST(fields) {
  int ok[8];
  const char *truth = "{\"name\":\"Ada\",\"age\":36,\"email\":null,\"city\":\"Lyon\"}";
  ck_assert_int_eq(match(truth, "{\"city\":\"Lyon\",\"name\":\"Ada\",\"age\":36.0,\"email\":null}", ok), 1);
  ck_assert(ok[0] && ok[1] && ok[2] && ok[3]);
  /* extra members are ignored */
  ck_assert_int_eq(match(truth, "{\"name\":\"Ada\",\"age\":36,\"email\":null,\"city\":\"Lyon\",\"x\":1}", ok), 1);
  /* one wrong field: not an exact match, the others still count */
  ck_assert_int_eq(match(truth, "{\"name\":\"Ada\",\"age\":37,\"email\":null,\"city\":\"Lyon\"}", ok), 0);
  ck_assert(ok[0] && !ok[1] && ok[2] && ok[3]);
  /* a missing member is wrong, also where the truth is null */
  ck_assert_int_eq(match(truth, "{\"name\":\"Ada\",\"age\":36,\"city\":\"Lyon\"}", ok), 0);
  ck_assert(ok[0] && ok[1] && !ok[2] && ok[3]);
  /* null is not "null" */
  ck_assert_int_eq(match(truth, "{\"name\":\"Ada\",\"age\":36,\"email\":\"null\",\"city\":\"Lyon\"}", ok), 0);
  ck_assert(!ok[2]);
  /* no output: nothing matches */
  ok[0] = ok[1] = 1;
  ck_assert_int_eq(match(truth, NULL, ok), 0);
  ck_assert(!ok[0] && !ok[1] && !ok[2] && !ok[3]);
}
END_TEST

static int complete(const char *truth, const char *text, const char *answer, int is_json) {
  cJSON *t = J(truth);
  cJSON *g = dm_eval_parse(text, is_json, t);
  int r = dm_eval_complete(t, g, text, answer, is_json);
  cJSON_Delete(g);
  cJSON_Delete(t);
  return r;
}

START_TEST(completeness) {
  const char *truth = "{\"name\":\"Ada\",\"age\":36}", *ans = "{\"name\":\"Ada\",\"age\":36}";
  ck_assert(complete(truth, ans, ans, 1));
  ck_assert(complete(truth, "{\"name\":\"Bob\",\"age\":1}", ans, 1)); /* wrong but complete */
  ck_assert(!complete(truth, "{\"name\":\"Ada\"}", ans, 1));          /* a member missing */
  ck_assert(!complete(truth, "{\"name\":\"Ada\",\"ag", ans, 1));      /* cut off */
  ck_assert(!complete(truth, "", ans, 1));
  const char *t2 = "{\"answer\":\"Ada ordered it.\"}";
  ck_assert(complete(t2, "Ada ordered it.", "Ada ordered it.", 0));
  ck_assert(!complete(t2, "Ada ord", "Ada ordered it.", 0)); /* a proper prefix */
  ck_assert(complete(t2, "Bob did.", "Ada ordered it.", 0)); /* wrong, not early */
  ck_assert(!complete(t2, "", "Ada ordered it.", 0));
  ck_assert(!complete("{\"answer\":42}", "4x", "42", 0)); /* does not read as a number */
}
END_TEST

START_TEST(trimming) {
  size_t n;
  const char *t = dm_eval_trim(" \t\r\nab c \n", &n);
  ck_assert_int_eq((int)n, 4);
  ck_assert(strncmp(t, "ab c", 4) == 0);
  t = dm_eval_trim("   ", &n);
  ck_assert_int_eq((int)n, 0);
}
END_TEST

START_TEST(accumulator) {
  eval_acc a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  cJSON *t1 = J("{\"name\":\"x\",\"age\":1}"), *t2 = J("{\"city\":\"y\",\"name\":\"z\"}");
  int ok1[2] = {1, 0}, ok2[2] = {1, 1};
  ck_assert_int_eq(dm_eval_acc_add_fields(&a, t1, ok1), 0);
  ck_assert_int_eq(dm_eval_acc_add_fields(&b, t2, ok2), 0);
  ck_assert_int_eq(dm_eval_acc_merge(&a, &b), 0);
  ck_assert_int_eq(a.nfields, 3);
  ck_assert_str_eq(a.field_names[0], "name");
  ck_assert_int_eq((int)a.field_ok[0], 2);
  ck_assert_int_eq((int)a.field_n[0], 2);
  ck_assert_str_eq(a.field_names[1], "age");
  ck_assert_int_eq((int)a.field_ok[1], 0);
  ck_assert_int_eq((int)a.field_n[1], 1);
  ck_assert_str_eq(a.field_names[2], "city");
  ck_assert_int_eq((int)a.field_n[2], 1);
  dm_eval_acc_free(&a);
  dm_eval_acc_free(&b);
  dm_eval_acc_free(NULL);
  cJSON_Delete(t1);
  cJSON_Delete(t2);
}
END_TEST

int main(void) {
  Suite *s = suite_create("eval_score");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, json_equality);
  tcase_add_test(tc, reading_outputs);
  tcase_add_test(tc, fields);
  tcase_add_test(tc, completeness);
  tcase_add_test(tc, trimming);
  tcase_add_test(tc, accumulator);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
