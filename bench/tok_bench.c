/* Tokenizer benchmark (single thread): tokenizer.json load time and encode
 * throughput over a corpus of NUL-separated records (tests/data/tokenizer/
 * gen-corpus.py), the same records bench/tok-bench.js gives @lenml/tokenizers.
 *
 * Usage: tok_bench TOKENIZER CORPUS [SECONDS]
 * Prints one line: "c load_ms=... load_best_ms=... bytes=... ids=... mb_per_s=..." */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dimple/runtime.h>

#include "../tests/testfile.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: tok_bench TOKENIZER CORPUS [SECONDS]\n");
    return 2;
  }
  double secs = argc > 3 ? atof(argv[3]) : 2.0;
  dm_tokenizer *tok = NULL;
  dm_error err;
  dm_error_clear(&err);
  double load_first = 0, load_best = 1e30;
  for (int i = 0; i < 3; i++) {
    double t0 = now_ms();
    if (dm_tokenizer_load(argv[1], &tok, &err) != DM_OK) {
      char line[1024];
      dm_error_format(&err, line, sizeof line);
      fprintf(stderr, "tok_bench: %s\n", line);
      return 1;
    }
    double dt = now_ms() - t0;
    if (i == 0) load_first = dt;
    if (dt < load_best) load_best = dt;
    if (i < 2) dm_tokenizer_free(tok);
  }
  size_t n = 0;
  char *buf = dm_test_read_file(argv[2], &n);
  if (!buf) {
    fprintf(stderr, "tok_bench: cannot read %s\n", argv[2]);
    return 1;
  }
  size_t cap = 1 << 16;
  int32_t *ids = malloc(cap * sizeof *ids);
  double t0 = now_ms(), el = 0;
  size_t bytes = 0, nids = 0;
  int rounds = 0;
  do {
    for (char *r = buf; r < buf + n;) {
      char *e = memchr(r, 0, (size_t)(buf + n - r));
      size_t l = e ? (size_t)(e - r) : (size_t)(buf + n - r);
      long k = dm_tokenizer_encode(tok, r, l, DM_TOKENIZE_PARSE_SPECIAL, ids, cap, NULL);
      if (k < 0) return 1;
      nids += (size_t)k;
      bytes += l;
      r += l + 1;
    }
    rounds++;
    el = now_ms() - t0;
  } while (el < secs * 1e3);
  printf("c load_ms=%.1f load_best_ms=%.1f rounds=%d bytes=%zu ids=%zu mb_per_s=%.3f\n", load_first, load_best,
         rounds, bytes, nids, (double)bytes / 1e6 / (el / 1e3));
  free(ids);
  free(buf);
  dm_tokenizer_free(tok);
  return 0;
}
