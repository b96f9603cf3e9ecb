/* Token-automaton rows against brute force: for every state, each group's token set
 * is exactly {t : δT(q, t) = next} computed by running the DFA over the token's
 * bytes (dm_tokauto_step, independent of the rows), counts and single tokens agree,
 * and the groups cover every token allowed from q. Exercises every way rows are
 * built — byte-trie walks, shared templates with exits (JSON strings, counters,
 * UTF-8), counter shifts, rows filtered by first byte (key matching) and rows
 * shared with a donor automaton (states with its languages) — on a
 * synthetic byte-level vocabulary and, when the npm cache has it, on Qwen3's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <dimple/tokenizer.h>

#include "../../lib/prior/schema.h"
#include "../../lib/prior/tokauto.h"

#define TEST_RNG_SEED 777
#include "../testrng.h"
#include "../checkmain.h"
#include "../testfile.h"

static const char *schemas[] = {
  "{}",
  "{\"type\":\"string\",\"maxLength\":9}",
  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"additionalProperties\":{\"type\":\"integer\"}}",
  "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":2,\"pattern\":\"^[a-z é]*$\"}}",
  "{\"type\":\"string\",\"format\":\"email\"}",
  /* keys matched against known names: rows filtered from the free key's row */
  "{\"type\":\"object\",\"properties\":{\"__proto__\":{\"type\":\"number\"},\"toString\":{\"type\":\"string\"}},"
  "\"required\":[\"__proto__\"]}",
};
static const char *regexes[] = {"[a-z ]{0,20}", "(\\w|\\s)*", ".*é.*", "[^\"]{2,5}x", "\\d{1,3}(,\\d{3})*",
                                "\\x{10000}(?:[^ -1]x)", "\\x{10000}(?:[^ -1]x) *", "(x|yz)[^\"]*q"};

/* A byte-level vocabulary: all 256 single bytes, JSON-ish and UTF-8 pieces, random
 * multi-byte strings, one special EOS (the last id). */
static dm_vocab *synthetic_vocab(int32_t *eos) {
  static const char *pieces[] = {"\"", "\\", "\\n", "\\u00", "\":", "\",\"", "\"}", "\"]", "{\"", "[\"", "true",
                                 "null", "12", "0.5", "e+", "é", "中", "😀", "\xc3", "\xa9", "\xe4\xb8", "\x80\x80",
                                 " the", "ab", "cd", "ef", "name", "@", ".com", "  ", "\t", "x", "-", ","};
  const int npieces = (int)(sizeof pieces / sizeof pieces[0]);
  int n = 256 + 3000 + 1;
  char **toks = malloc((size_t)n * sizeof *toks);
  size_t *lens = malloc((size_t)n * sizeof *lens);
  uint8_t *flags = calloc((size_t)n, 1);
  for (int i = 0; i < 256; i++) {
    toks[i] = malloc(1);
    toks[i][0] = (char)i;
    lens[i] = 1;
  }
  for (int i = 256; i < n - 1; i++) {
    char buf[64];
    size_t len = 0;
    int parts = 1 + (int)(rnd() % 4);
    for (int p = 0; p < parts; p++) {
      const char *s = pieces[rnd() % (uint64_t)npieces];
      if (rnd() % 3 == 0) { buf[len++] = (char)('a' + rnd() % 26); continue; }
      size_t l = strlen(s);
      if (len + l >= sizeof buf) break;
      memcpy(buf + len, s, l);
      len += l;
    }
    if (!len) buf[len++] = 'z';
    toks[i] = malloc(len);
    memcpy(toks[i], buf, len);
    lens[i] = len;
  }
  toks[n - 1] = malloc(5);
  memcpy(toks[n - 1], "<eos>", 5);
  lens[n - 1] = 5;
  flags[n - 1] = DM_VOCAB_SPECIAL;
  *eos = n - 1;
  dm_vocab *v = NULL;
  ck_assert_int_eq(dm_vocab_new(n, (const char *const *)toks, lens, flags, &v), DM_OK);
  for (int i = 0; i < n; i++) free(toks[i]);
  free(toks);
  free(lens);
  free(flags);
  return v;
}

/* Compare the rows of `states` states of ta (all when <= 0) with brute force. */
static void check_rows(dm_tokauto *ta, const dm_vocab *v, int states) {
  int32_t nq = dm_tokauto_nstates(ta);
  size_t vw = dm_tokauto_vwords(ta);
  int32_t *to = malloc((size_t)v->n * sizeof *to);
  uint64_t *all = malloc(vw * 8), *cover = malloc(vw * 8);
  for (int i = 0; i < (states > 0 ? states : nq); i++) {
    int32_t q = states > 0 ? (int32_t)(rnd() % (uint64_t)nq) : i;
    for (int32_t t = 0; t < v->n; t++) to[t] = dm_tokauto_step(ta, q, t);
    const dm_tokrow *r = dm_tokauto_row(ta, q);
    ck_assert_ptr_nonnull(r);
    memset(cover, 0, vw * 8);
    memset(all, 0, vw * 8);
    uint32_t round = dm_tokauto_round(ta);
    /* expected sets, one pass over the vocabulary */
    uint64_t *exp = calloc((size_t)(r->n ? r->n : 1) * vw, 8);
    int32_t *want = calloc((size_t)(r->n ? r->n : 1), sizeof *want), *only = malloc((size_t)(r->n ? r->n : 1) * sizeof *only);
    for (int32_t t = 0; t < v->n; t++) {
      if (to[t] < 0) continue;
      int32_t k = 0;
      while (k < r->n && r->next[k] != to[t]) k++;
      ck_assert_msg(k < r->n, "state %d: token %d goes to %d, which no group holds", q, t, to[t]);
      exp[(size_t)k * vw + (size_t)(t >> 6)] |= (uint64_t)1 << (t & 63);
      want[k]++;
      only[k] = t;
    }
    for (int32_t k = 0; k < r->n; k++) {
      for (int32_t k2 = 0; k2 < k; k2++) ck_assert_int_ne(r->next[k], r->next[k2]);
      ck_assert((r->succ[r->next[k] >> 6] >> (r->next[k] & 63)) & 1);
      int32_t count = -1;
      const uint64_t *set = dm_tokauto_row_set(ta, q, k, &count);
      ck_assert_ptr_nonnull(set);
      for (size_t w = 0; w < vw; w++)
        ck_assert_msg(set[w] == exp[(size_t)k * vw + w], "state %d group %d (-> %d): tokens %zu..%zu differ", q, k,
                      r->next[k], w * 64, w * 64 + 63);
      ck_assert_int_eq(count, want[k]);
      ck_assert_int_eq(dm_tokauto_row_count(ta, q, k), want[k]);
      ck_assert_int_eq(dm_tokauto_row_single(ta, q, k), want[k] == 1 ? only[k] : -1);
      ck_assert_int_eq(dm_tokauto_row_or(ta, q, k, cover, round), DM_OK);
    }
    free(exp);
    free(want);
    free(only);
    for (int32_t t = 0; t < v->n; t++)
      if (to[t] >= 0) all[t >> 6] |= (uint64_t)1 << (t & 63);
    ck_assert_msg(memcmp(all, cover, vw * 8) == 0, "state %d: the groups do not cover the allowed tokens", q);
  }
  free(to);
  free(all);
  free(cover);
}

static dm_dfa *schema_dfa(const char *text) {
  cJSON *js = cJSON_Parse(text);
  ck_assert_ptr_nonnull(js);
  dm_dfa *d = NULL;
  dm_error e;
  ck_assert_msg(dm_schema_compile(js, NULL, &d, NULL, &e) == DM_OK, "%s: %s", text, e.message);
  cJSON_Delete(js);
  return d;
}

static dm_dfa *regex_dfa(const char *re) {
  dm_dfa *d = NULL;
  dm_error e;
  ck_assert_msg(dm_dfa_from_pattern(re, strlen(re), 0, &d, &e) == DM_OK, "/%s/: %s", re, e.message);
  return d;
}

START_TEST(rows_match_brute_force_synthetic) {
  int32_t eos;
  dm_vocab *v = synthetic_vocab(&eos);
  dm_tokcache *cache = NULL;
  ck_assert_int_eq(dm_tokcache_new(v, &cache), DM_OK);
  int32_t templated = 0, walked = 0, shifted = 0, filtered = 0, shared = 0;
  const int ns = (int)(sizeof schemas / sizeof schemas[0]), nr = (int)(sizeof regexes / sizeof regexes[0]);
  /* the shared cache's donor: any JSON value, rows checked too */
  dm_dfa *dd = schema_dfa("{}");
  dm_tokauto *donor = NULL;
  ck_assert_int_eq(dm_tokauto_new(dd, v, eos, cache, &donor), DM_OK);
  check_rows(donor, v, 0);
  dm_tokcache_set_donor(cache, 0, donor);
  for (int i = 0; i < ns + nr; i++) {
    dm_dfa *d = i < ns ? schema_dfa(schemas[i]) : regex_dfa(regexes[i - ns]);
    for (int with_eos = 0; with_eos < 2; with_eos++) {
      dm_tokauto *ta = NULL;
      /* the second automaton of each DFA shares the cache's templates */
      ck_assert_int_eq(dm_tokauto_new(d, v, with_eos ? eos : -1, with_eos ? cache : NULL, &ta), DM_OK);
      check_rows(ta, v, 0);
      int32_t w, t, nt, sh, f, h;
      dm_tokauto_stats(ta, &w, &t, &nt, &sh, &f, &h);
      shared += h;
      walked += w;
      filtered += f;
      shifted += sh;
      templated += t;
      dm_tokauto_free(ta);
    }
    dm_dfa_free(d);
  }
  int64_t built, finer;
  dm_tokcache_trie_stats(cache, &built, &finer);
  printf("synthetic vocabulary: %d rows walked, %d from templates, %d shifted, %d filtered, %d shared; "
         "%lld class tries built, %lld templates on a finer partition's trie\n", walked, templated, shifted, filtered,
         shared, (long long)built, (long long)finer);
  ck_assert_int_gt(finer, 0); /* templates on a finer partition's trie were checked too */
  ck_assert_int_gt(templated, 100); /* each way of building rows was exercised */
  ck_assert_int_gt(walked, 100);
  ck_assert_int_gt(shifted, 100);
  ck_assert_int_gt(filtered, 10);
  ck_assert_int_gt(shared, 100);
  dm_tokcache_set_donor(cache, 0, NULL);
  dm_tokauto_free(donor);
  dm_dfa_free(dd);
  dm_tokcache_free(cache);
  dm_vocab_free(v);
}
END_TEST

static char g_qwen[4096];

START_TEST(rows_match_brute_force_qwen3) {
  dm_tokenizer *tok = NULL;
  dm_error e;
  ck_assert_msg(dm_tokenizer_load(g_qwen, &tok, &e) == DM_OK, "%s", e.message);
  dm_vocab *v = NULL;
  ck_assert_int_eq(dm_vocab_from_tokenizer(tok, &v), DM_OK);
  dm_tokcache *cache = NULL;
  ck_assert_int_eq(dm_tokcache_new(v, &cache), DM_OK);
  int32_t eos = dm_tokenizer_special_id(tok, DM_SPECIAL_EOS), templated = 0, filtered = 0, shared = 0;
  dm_dfa *dd = schema_dfa("{}");
  dm_tokauto *donor = NULL;
  ck_assert_int_eq(dm_tokauto_new(dd, v, eos, cache, &donor), DM_OK);
  check_rows(donor, v, 40);
  dm_tokcache_set_donor(cache, 0, donor);
  for (int i = 0; i < 7; i++) {
    dm_dfa *d = i < 3 ? schema_dfa(schemas[i]) : i < 5 ? regex_dfa(regexes[i + 2]) : i == 5 ? schema_dfa(schemas[5])
                                                                                            : regex_dfa(regexes[7]);
    dm_tokauto *ta = NULL;
    ck_assert_int_eq(dm_tokauto_new(d, v, eos, cache, &ta), DM_OK);
    check_rows(ta, v, i < 3 || i == 5 ? 40 : 0);
    int32_t t, f, h;
    dm_tokauto_stats(ta, NULL, &t, NULL, NULL, &f, &h);
    templated += t;
    filtered += f;
    shared += h;
    dm_tokauto_free(ta);
    dm_dfa_free(d);
  }
  ck_assert_int_gt(templated, 0);
  ck_assert_int_gt(filtered, 0);
  ck_assert_int_gt(shared, 0);
  int64_t built, finer;
  dm_tokcache_trie_stats(cache, &built, &finer);
  printf("qwen3: %lld class tries built, %lld templates on a finer partition's trie\n", (long long)built,
         (long long)finer);
  dm_tokcache_set_donor(cache, 0, NULL);
  dm_tokauto_free(donor);
  dm_dfa_free(dd);
  dm_tokcache_free(cache);
  dm_vocab_free(v);
  dm_tokenizer_free(tok);
}
END_TEST

int main(void) {
  int have_qwen = dm_test_npm_tokenizer("qwen3", g_qwen, sizeof g_qwen);
  if (!have_qwen) printf("note: %s missing, the Qwen3 case is not run (run tests/runtime/fetch-tokenizers.sh)\n", g_qwen);
  Suite *s = suite_create("prior/tokauto");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, rows_match_brute_force_synthetic);
  if (have_qwen) tcase_add_test(tc, rows_match_brute_force_qwen3);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
