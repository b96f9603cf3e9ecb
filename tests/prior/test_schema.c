/* JSON Schema → DFA: unit cases, refusals with JSON pointers, and the official
 * JSON-Schema-Test-Suite (draft 2020-12): for every schema the compiler accepts
 * (spec mode), each instance's canonical text must be in the language iff the
 * suite says it is valid. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/json_canon.h"
#include "../../lib/prior/schema.h"
#include "../checkmain.h"

static dm_dfa *compile_text(const char *json, int spec_mode, dm_keyrank *kr, dm_error *e) {
  cJSON *s = cJSON_Parse(json);
  ck_assert_msg(s != NULL, "bad test JSON: %s", json);
  dm_schema_params p = dm_schema_default_params();
  p.spec_mode = spec_mode;
  dm_dfa *d = NULL;
  dm_error_clear(e);
  int rc = dm_schema_compile(s, &p, &d, kr, e);
  cJSON_Delete(s);
  ck_assert_int_eq(rc == DM_OK, d != NULL);
  return d;
}

static bool accepts(const dm_dfa *d, const char *text) { return dm_dfa_match(d, (const uint8_t *)text, strlen(text)); }

START_TEST(generation_mode_cases) {
  static const struct { const char *schema; const char *yes[8]; const char *no[8]; } cases[] = {
    {"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":3},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":120}},\"required\":[\"name\"]}",
     {"{\"name\":\"Bob\"}", "{\"name\":\"\",\"age\":0}", "{\"name\":\"Al\",\"age\":120}", "{\"name\":\"\\\"\\n\"}"},
     {"{}", "{\"age\":3,\"name\":\"x\"}", "{\"name\":\"Bobby\"}", "{\"name\":\"x\",\"age\":121}", "{\"name\":\"x\",\"age\":-1}",
      "{\"name\":\"x\",\"other\":1}", "{\"name\":\"x\",\"age\":1.5}", "{ \"name\":\"x\"}"}},
    {"{\"enum\":[\"red\",1,null,{\"a\":[true]}]}", {"\"red\"", "1", "null", "{\"a\":[true]}"}, {"\"blue\"", "1.0", "2"}},
    {"{\"type\":\"number\",\"exclusiveMinimum\":0.5,\"maximum\":2}", {"0.51", "1", "2", "1.999"}, {"0.5", "2.0001", "0.499", "-1", "2.0", "01"}},
    {"{\"type\":\"integer\",\"multipleOf\":3}", {"0", "3", "-9", "123"}, {"1", "-0", "3.0", "10"}},
    {"{\"type\":\"number\",\"multipleOf\":0.25}", {"0", "0.25", "-1.5", "3", "12.75"}, {"0.1", "0.2", "1.251", "0.250"}},
    {"{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":1,\"maxItems\":2}", {"[true]", "[false,true]"}, {"[]", "[true,true,true]", "[1]", "[true ,false]"}},
    {"{\"type\":\"string\",\"pattern\":\"^[a-z]+$\",\"minLength\":2}", {"\"ab\"", "\"xyz\""}, {"\"a\"", "\"aB\"", "\"\""}},
    {"{\"type\":\"string\",\"pattern\":\"b\"}", {"\"b\"", "\"abc\"", "\"\\nb\""}, {"\"ac\"", "\"\""}},
    {"{\"type\":\"string\",\"format\":\"date\"}", {"\"2024-02-29\""}, {"\"2024-13-01\"", "\"24-01-01\""}},
    {"{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", {"1", "2.5", "\"x\""}, {"2", "3"}},
    {"{\"not\":{\"type\":\"string\"}}", {"1", "null", "[]"}, {"\"s\""}},
    {"{\"$defs\":{\"n\":{\"type\":\"integer\",\"maximum\":5}},\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/n\"}}", {"[]", "[1,5]"}, {"[6]"}},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"const\":1},\"b\":{\"const\":2}},\"minProperties\":1,\"maxProperties\":1}",
     {"{\"a\":1}", "{\"b\":2}"}, {"{}", "{\"a\":1,\"b\":2}"}},
    {"{\"if\":{\"type\":\"integer\"},\"then\":{\"minimum\":10},\"else\":{\"type\":\"string\"}}", {"10", "\"x\""}, {"9", "null"}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_error e;
    dm_dfa *d = compile_text(cases[i].schema, 0, NULL, &e);
    ck_assert_msg(d != NULL, "schema %zu: %s at %s", i, e.message, e.where);
    for (int j = 0; j < 8 && cases[i].yes[j]; j++)
      ck_assert_msg(accepts(d, cases[i].yes[j]), "schema %zu should accept %s", i, cases[i].yes[j]);
    for (int j = 0; j < 8 && cases[i].no[j]; j++)
      ck_assert_msg(!accepts(d, cases[i].no[j]), "schema %zu should reject %s", i, cases[i].no[j]);
    dm_dfa_free(d);
  }
}
END_TEST

START_TEST(refusals_carry_pointers) {
  static const struct { const char *schema; const char *where; const char *words; } cases[] = {
    {"{\"properties\":{\"a\":{\"uniqueItems\":true}}}", "/properties/a/uniqueItems", "uniqueness"},
    {"{\"type\":\"strin\"}", "/type", "unknown type"},
    {"{\"items\":{\"pattern\":\"(a\"}}", "/items/pattern", "missing ')'"},
    {"{\"$ref\":\"#/$defs/missing\"}", "/$ref", "does not resolve"},
    {"{\"$ref\":\"http://example.com/s.json\"}", "/$ref", "only local references"},
    {"{\"allOf\":[]}", "/allOf", "non-empty array"},
    {"{\"type\":\"number\",\"multipleOf\":0.123456789}", "/multipleOf", "does not compile exactly"},
    {"{\"type\":\"string\",\"format\":\"colour\"}", "/format", "unknown format"},
    {"{\"anyOf\":[{\"type\":\"object\",\"properties\":{\"x\":{\"frobnicate\":1}}}]}", "/anyOf/0/properties/x/frobnicate", "--lenient"},
    {"{\"minLength\":-1}", "/minLength", "non-negative integer"},
    {"[]", "", "object or a boolean"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_error e;
    dm_dfa *d = compile_text(cases[i].schema, 0, NULL, &e);
    ck_assert_msg(d == NULL, "schema %zu should be refused", i);
    ck_assert_int_eq(e.pos_kind, DM_POS_POINTER);
    ck_assert_msg(strcmp(e.where, cases[i].where) == 0, "schema %zu: pointer '%s', want '%s' (%s)", i, e.where,
                  cases[i].where, e.message);
    ck_assert_msg(strstr(e.message, cases[i].words) != NULL, "schema %zu: message '%s' lacks '%s'", i, e.message,
                  cases[i].words);
    ck_assert_int_eq(dm_err_kind_of(e.code), DM_KIND_SPEC);
  }
}
END_TEST

START_TEST(lenient_ignores_unknown_keywords) {
  cJSON *s = cJSON_Parse("{\"type\":\"integer\",\"frobnicate\":true}");
  dm_schema_params p = dm_schema_default_params();
  p.lenient = 1;
  dm_dfa *d = NULL;
  dm_error e;
  dm_log_set_level(DM_LOG_ERROR); /* keep the warning out of the test log */
  ck_assert_int_eq(dm_schema_compile(s, &p, &d, NULL, &e), DM_OK);
  dm_log_set_level(DM_LOG_WARN);
  ck_assert(accepts(d, "42"));
  dm_dfa_free(d);
  cJSON_Delete(s);
}
END_TEST

START_TEST(canonical_text) {
  static const struct { const char *in, *out; } cases[] = {
    {"1.0", "1"}, {"-0", "0"}, {"0.1", "0.1"}, {"1e3", "1000"}, {"-2.50", "-2.5"}, {"1.5e-7", "0.00000015"},
    {"\"a\\u0001\\t\\\"\\/\"", "\"a\\u0001\\t\\\"/\""}, {"[ 1 , {\"b\":1, \"a\":2} ]", "[1,{\"b\":1,\"a\":2}]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *v = cJSON_Parse(cases[i].in);
    ck_assert_ptr_nonnull(v);
    dm_buf b = {0};
    ck_assert_int_eq(dm_canon_value(&b, v, NULL), DM_OK);
    ck_assert_msg(strcmp(b.s, cases[i].out) == 0, "canon(%s) = %s, want %s", cases[i].in, b.s, cases[i].out);
    dm_buf_free(&b);
    cJSON_Delete(v);
  }
  /* key ranks: properties order first, then document order */
  cJSON *schema = cJSON_Parse("{\"properties\":{\"z\":{},\"a\":{}},\"required\":[\"m\"]}");
  dm_keyrank kr;
  ck_assert_int_eq(dm_keyrank_build(&kr, schema), DM_OK);
  cJSON *v = cJSON_Parse("{\"q\":1,\"a\":2,\"m\":3,\"z\":4}");
  dm_buf b = {0};
  dm_canon_value(&b, v, &kr);
  ck_assert_str_eq(b.s, "{\"z\":4,\"a\":2,\"m\":3,\"q\":1}");
  dm_buf_free(&b);
  cJSON_Delete(v);
  cJSON_Delete(schema);
  dm_keyrank_free(&kr);
}
END_TEST

int main(void) {
  Suite *s = suite_create("prior/schema");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, generation_mode_cases);
  tcase_add_test(tc, refusals_carry_pointers);
  tcase_add_test(tc, lenient_ignores_unknown_keywords);
  tcase_add_test(tc, canonical_text);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
