/* Shortcuts of the schema compiler. The process-wide cache of schema-independent
 * languages (schema_cache.c): compiles that use it give the same automata, table for
 * table, as compiles that cannot (a state limit below the default turns the cache
 * off), also when several threads fill the cache at once. Types no enum/const
 * literal has are skipped: the same automata as spelling out the literals' types.
 * "$ref" targets compiled once: the same automata as the targets written in place. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/schema.h"
#include "../checkmain.h"

static const char *const schemas[] = {
  "true",
  "{}",
  "{\"minimum\":1.5}",
  "{\"maxLength\":2}",
  "{\"type\":[\"array\",\"object\"]}",
  "{\"type\":\"array\"}",
  "{\"type\":\"object\"}",
  "{\"enum\":[1,\"a\",null]}",
  "{\"not\":{\"type\":\"integer\"}}",
  "{\"oneOf\":[{\"type\":\"string\"},{\"minimum\":2}]}",
  "{\"if\":{\"type\":\"number\"},\"then\":{\"maximum\":3},\"else\":{\"type\":\"string\"}}",
  "{\"properties\":{\"a\":{},\"b\":{\"minimum\":0}},\"required\":[\"a\"]}",
  "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"array\"},\"y\":true},\"additionalProperties\":{\"type\":\"object\"}}",
  "{\"items\":{\"type\":[\"null\",\"object\"]},\"minItems\":1}",
  "{\"$defs\":{\"n\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/n\"}}},\"$ref\":\"#/$defs/n\"}",
  "{\"contains\":{\"type\":\"string\"},\"format\":\"date\"}",
};
#define NSCHEMAS (sizeof schemas / sizeof schemas[0])

static dm_dfa *compile(const char *json, int spec_mode, int any_depth, int max_states) {
  cJSON *s = cJSON_Parse(json);
  if (!s) return NULL;
  dm_schema_params p = dm_schema_default_params();
  p.spec_mode = spec_mode;
  p.any_depth = any_depth;
  p.max_states = max_states;
  dm_dfa *d = NULL;
  dm_error e;
  dm_error_clear(&e);
  if (dm_schema_compile(s, &p, &d, NULL, &e) != DM_OK) d = NULL;
  cJSON_Delete(s);
  return d;
}

START_TEST(cached_equals_local) {
  for (int mode = 0; mode < 2; mode++)
    for (int depth = 0; depth <= 3; depth++)
      for (size_t i = 0; i < NSCHEMAS; i++) {
        dm_dfa *cached = compile(schemas[i], mode, depth, 0);
        dm_dfa *local = compile(schemas[i], mode, depth, DM_DFA_DEFAULT_MAX_STATES - 1);
        ck_assert_msg(cached && local, "%s does not compile", schemas[i]);
        ck_assert_msg(dm_dfa_equal(cached, local), "%s (spec mode %d, depth %d): %d states cached, %d without",
                      schemas[i], mode, depth, cached->nstates, local->nstates);
        dm_dfa_free(cached);
        dm_dfa_free(local);
      }
}
END_TEST

typedef struct job {
  int first;
  dm_dfa *out[NSCHEMAS];
} job;

static void *run_job(void *arg) {
  job *j = arg;
  for (size_t n = 0; n < NSCHEMAS; n++) {
    size_t i = (n + (size_t)j->first) % NSCHEMAS;
    j->out[i] = compile(schemas[i], 0, 3, 0);
  }
  return NULL;
}

START_TEST(threads_fill_the_cache) {
  /* a fresh process (check forks per test): the threads build the entries */
  enum { T = 4 };
  job jobs[T];
  pthread_t th[T];
  for (int t = 0; t < T; t++) {
    memset(&jobs[t], 0, sizeof jobs[t]);
    jobs[t].first = t * 3;
    ck_assert_int_eq(pthread_create(&th[t], NULL, run_job, &jobs[t]), 0);
  }
  for (int t = 0; t < T; t++) pthread_join(th[t], NULL);
  for (size_t i = 0; i < NSCHEMAS; i++) {
    dm_dfa *local = compile(schemas[i], 0, 3, DM_DFA_DEFAULT_MAX_STATES - 1);
    ck_assert_ptr_nonnull(local);
    for (int t = 0; t < T; t++) {
      ck_assert_ptr_nonnull(jobs[t].out[i]);
      ck_assert_msg(dm_dfa_equal(jobs[t].out[i], local), "%s differs in thread %d", schemas[i], t);
      dm_dfa_free(jobs[t].out[i]);
    }
    dm_dfa_free(local);
  }
}
END_TEST

START_TEST(small_limits_fail_as_before) {
  /* a limit below what any value needs fails the same way with or without a warm
   * cache: the cache is not consulted under the default limit */
  dm_dfa *warm = compile("{}", 0, 3, 0);
  ck_assert_ptr_nonnull(warm);
  ck_assert_int_gt(warm->nstates, 200);
  dm_dfa_free(warm);
  ck_assert_ptr_null(compile("{}", 0, 3, 200));
  ck_assert_ptr_null(compile("{\"minimum\":1}", 0, 3, 200));
}
END_TEST

START_TEST(enum_skips_other_types) {
  static const char *const pairs[][2] = {
    {"{\"enum\":[\"a\",1,null]}", "{\"type\":[\"string\",\"number\",\"null\"],\"enum\":[\"a\",1,null]}"},
    {"{\"enum\":[\"a\"],\"minimum\":3}", "{\"type\":\"string\",\"enum\":[\"a\"]}"},
    {"{\"const\":[1,{\"k\":true}]}", "{\"type\":\"array\",\"const\":[1,{\"k\":true}]}"},
    {"{\"enum\":[true,{\"k\":2}],\"const\":true}", "{\"type\":\"boolean\",\"const\":true}"},
    {"{\"enum\":[]}", "false"},
    {"{\"properties\":{\"x\":{\"enum\":[\"u\",2.5]}}}",
     "{\"properties\":{\"x\":{\"type\":[\"string\",\"number\"],\"enum\":[\"u\",2.5]}}}"},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    dm_dfa *a = compile(pairs[i][0], 0, 3, 0), *b = compile(pairs[i][1], 0, 3, 0);
    ck_assert_msg(a && b, "pair %zu does not compile", i);
    ck_assert_msg(dm_dfa_equal(a, b), "%s and %s differ", pairs[i][0], pairs[i][1]);
    dm_dfa_free(a);
    dm_dfa_free(b);
  }
  /* a keyword of a skipped type is still checked */
  ck_assert_ptr_null(compile("{\"enum\":[\"a\"],\"minimum\":\"x\"}", 0, 3, 0));
}
END_TEST

START_TEST(refs_compiled_once) {
  static const char *const pairs[][2] = {
    {"{\"$defs\":{\"a\":{\"type\":\"object\",\"required\":[\"k\"]}},\"prefixItems\":[{\"$ref\":\"#/$defs/a\"},{\"$ref\":\"#/$defs/a\"}],\"items\":{\"$ref\":\"#/$defs/a\"}}",
     "{\"prefixItems\":[{\"type\":\"object\",\"required\":[\"k\"]},{\"type\":\"object\",\"required\":[\"k\"]}],\"items\":{\"type\":\"object\",\"required\":[\"k\"]}}"},
    /* a memoised leaf inside a recursion that the bound cuts */
    {"{\"$defs\":{\"leaf\":{\"type\":\"integer\",\"minimum\":3},\"node\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"$ref\":\"#/$defs/leaf\"},{\"$ref\":\"#/$defs/node\"}]}}},\"$ref\":\"#/$defs/node\"}",
     "{\"$defs\":{\"node\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"integer\",\"minimum\":3},{\"$ref\":\"#/$defs/node\"}]}}},\"$ref\":\"#/$defs/node\"}"},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    dm_dfa *a = compile(pairs[i][0], 0, 3, 0), *b = compile(pairs[i][1], 0, 3, 0);
    ck_assert_msg(a && b, "pair %zu does not compile", i);
    ck_assert_msg(dm_dfa_equal(a, b), "pair %zu: %d and %d states", i, a->nstates, b->nstates);
    dm_dfa_free(a);
    dm_dfa_free(b);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("schema_cache");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, threads_fill_the_cache);
  tcase_add_test(tc, cached_equals_local);
  tcase_add_test(tc, small_limits_fail_as_before);
  tcase_add_test(tc, enum_skips_other_types);
  tcase_add_test(tc, refs_compiled_once);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? 1 : 0;
}
