/* Running a check suite from a test program's main (tests only). */
#ifndef DM_TESTS_CHECKMAIN_H
#define DM_TESTS_CHECKMAIN_H

#include <check.h>

/* Run every test case of s (check's usual output and summary line) and return the
 * number of failed tests. The suite is freed. */
static inline int dm_test_failures(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed;
}

#endif
