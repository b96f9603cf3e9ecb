/* The official JSON-Schema-Test-Suite (draft 2020-12, ../shared/data): for every
 * schema the compiler accepts (spec mode), each instance's canonical text must be in
 * the language iff the suite says it is valid. Reports schemas compiled / total and
 * wrong answers (which must be 0). SKIP (77) when the suite is not there. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/prior/json_canon.h"
#include "../../lib/prior/schema.h"
#include "../checkmain.h"
#include "../testfile.h"

static char g_dir[4096];


static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

START_TEST(json_schema_test_suite) {
  DIR *dh = opendir(g_dir);
  ck_assert_msg(dh != NULL, "cannot open %s", g_dir);
  const char *dir = g_dir;
  char *names[256];
  int nn = 0;
  struct dirent *de;
  while ((de = readdir(dh)) && nn < 256)
    if (strstr(de->d_name, ".json")) names[nn++] = strdup(de->d_name);
  closedir(dh);
  qsort(names, (size_t)nn, sizeof *names, cmp_str);
  int schemas = 0, accepted = 0, instances = 0, wrong = 0, optional_schemas = 0, optional_accepted = 0;
  dm_log_set_level(DM_LOG_ERROR);
  for (int f = 0; f < nn; f++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, names[f]);
    char *text = dm_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *groups = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(groups);
    int file_schemas = 0, file_accepted = 0;
    for (cJSON *g = groups->child; g; g = g->next) {
      cJSON *schema = cJSON_GetObjectItem(g, "schema");
      cJSON *tests = cJSON_GetObjectItem(g, "tests");
      schemas++;
      file_schemas++;
      /* the suite's families the issue allows us to refuse */
      bool allowed_refusal = strncmp(names[f], "unevaluated", 11) == 0 || strcmp(names[f], "dynamicRef.json") == 0 ||
                             strcmp(names[f], "refRemote.json") == 0;
      optional_schemas += allowed_refusal;
      dm_schema_params p = dm_schema_default_params();
      p.spec_mode = 1;
      dm_dfa *d = NULL;
      dm_keyrank kr;
      dm_error e;
      dm_error_clear(&e);
      if (dm_schema_compile(schema, &p, &d, &kr, &e) != DM_OK) {
        if (getenv("DM_SHOW_REFUSALS")) printf("REFUSED %s: %s: %s\n", names[f], e.where, e.message);
        continue;
      }
      accepted++;
      file_accepted++;
      optional_accepted += allowed_refusal;
      for (cJSON *t = tests->child; t; t = t->next) {
        cJSON *data = cJSON_GetObjectItem(t, "data");
        bool valid = cJSON_IsTrue(cJSON_GetObjectItem(t, "valid"));
        dm_buf b = {0};
        dm_canon_value(&b, data, &kr);
        bool got = dm_dfa_match(d, (const uint8_t *)b.s, b.n);
        instances++;
        if (got != valid) {
          wrong++;
          printf("WRONG %s / %s / %s: canonical %s, valid %d, accepted %d\n", names[f],
                 cJSON_GetObjectItem(g, "description")->valuestring, cJSON_GetObjectItem(t, "description")->valuestring,
                 b.s, valid, got);
        }
        dm_buf_free(&b);
      }
      dm_keyrank_free(&kr);
      dm_dfa_free(d);
    }
    printf("  %-28s %3d/%3d schemas compiled\n", names[f], file_accepted, file_schemas);
    cJSON_Delete(groups);
    free(names[f]);
  }
  dm_log_set_level(DM_LOG_WARN);
  printf("JSON-Schema-Test-Suite draft2020-12: %d/%d schemas compiled (%.1f%%), %d instances checked, %d wrong\n",
         accepted, schemas, 100.0 * accepted / schemas, instances, wrong);
  int core = schemas - optional_schemas, core_accepted = accepted - optional_accepted;
  printf("  without remote $ref, $dynamicRef, unevaluated*: %d/%d schemas compiled (%.1f%%)\n", core_accepted, core,
         100.0 * core_accepted / core);
  ck_assert_int_eq(wrong, 0);
  ck_assert_msg(core_accepted * 100 >= core * 80, "only %d of %d schemas compile", core_accepted, core);
}
END_TEST

int main(void) {
  const char *shared = getenv("DM_SHARED_DIR");
  const char *src = getenv("DM_TEST_SRCDIR");
  if (shared) snprintf(g_dir, sizeof g_dir, "%s/data/json-schema-test-suite/tests/draft2020-12", shared);
  else snprintf(g_dir, sizeof g_dir, "%s/../shared/data/json-schema-test-suite/tests/draft2020-12", src ? src : ".");
  DIR *dh = opendir(g_dir);
  if (!dh) {
    printf("SKIP: %s not found (shared/ beside the checkout, or set DM_SHARED_DIR)\n", g_dir);
    return 77;
  }
  closedir(dh);
  Suite *s = suite_create("prior/schema_suite");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, json_schema_test_suite);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
