/* Tests over the real Qwen3 and Llama 3 vocabularies of the npm cache
 * (tests/runtime/fetch-tokenizers.sh): a loop test with _i = 0 (Qwen3), 1 (Llama 3)
 * reads its tokenizer.json path from dm_real_vocab_path[_i]. */
#ifndef DM_TESTS_REALVOCAB_H
#define DM_TESTS_REALVOCAB_H

#include <stdio.h>
#include <stdlib.h>

#include "checkmain.h"
#include "testfile.h"

static char dm_real_vocab_path[2][4096];

static inline const char *dm_real_vocab_name(int i) { return i ? "llama3" : "qwen3"; }

/* A test program's main: SKIP (77) without both tokenizers, else run `test` for both
 * in a suite named `suite`; EXIT_SUCCESS / EXIT_FAILURE. */
static inline int dm_test_main_real_vocabs(const char *suite, const TTest *test) {
  for (int i = 0; i < 2; i++)
    if (!dm_test_npm_tokenizer(dm_real_vocab_name(i), dm_real_vocab_path[i], sizeof dm_real_vocab_path[i])) {
      printf("SKIP: %s missing (run tests/runtime/fetch-tokenizers.sh)\n", dm_real_vocab_path[i]);
      return 77;
    }
  Suite *s = suite_create(suite);
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, test, 0, 2);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
