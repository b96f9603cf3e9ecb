/* safetensors header parser, index parser and config loader: valid inputs, every
 * kind of bad input, and a seeded-mutation fuzz run (never a crash, always either
 * success or a model-kind error). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

/* Image = u64 header length + header + `data` zero bytes. Caller frees. */
static uint8_t *image(const char *hdr, size_t data, size_t *len) {
  size_t hl = strlen(hdr);
  *len = 8 + hl + data;
  uint8_t *b = calloc(1, *len);
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)hl >> (8 * i));
  memcpy(b + 8, hdr, hl);
  return b;
}

static int parse(const char *hdr, size_t data, dm_error *e) {
  size_t len;
  uint8_t *b = image(hdr, data, &len);
  dm_st_file *f = NULL;
  dm_error_clear(e);
  int rc = dm_st_parse(b, len, "t.safetensors", &f, e);
  if (rc == DM_OK) ck_assert_ptr_nonnull(f);
  else ck_assert_ptr_null(f);
  dm_st_file_free(f);
  free(b);
  return rc;
}

static const char *GOOD =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[16,28]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";

START_TEST(valid_file_parses) {
  size_t len;
  uint8_t *b = image(GOOD, 28, &len);
  dm_st_file *f = NULL;
  dm_error e;
  ck_assert_int_eq(dm_st_parse(b, len, "t", &f, &e), DM_OK);
  ck_assert_int_eq(f->n, 2);
  const dm_st_tensor *a = dm_st_find(f, "a"), *bb = dm_st_find(f, "b");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(bb);
  ck_assert_ptr_null(dm_st_find(f, "c"));
  ck_assert_int_eq(a->dtype, DM_ST_F32);
  ck_assert_int_eq(bb->ndim, 2);
  ck_assert_int_eq(bb->shape[1], 3);
  ck_assert_uint_eq(bb->numel, 6);
  ck_assert_ptr_eq(a->data, b + 8 + strlen(GOOD));
  ck_assert_ptr_eq(bb->data, b + 8 + strlen(GOOD) + 16);
  dm_st_file_free(f);
  free(b);
}
END_TEST

static void expect_bad(const char *hdr, size_t data, const char *where, const char *msg_part) {
  dm_error e;
  int rc = parse(hdr, data, &e);
  ck_assert_msg(rc == DM_EFORMAT, "expected DM_EFORMAT for %s, got %d", hdr, rc);
  ck_assert_str_eq(e.source, "t.safetensors");
  if (where) ck_assert_str_eq(e.where, where);
  if (msg_part) ck_assert_msg(strstr(e.message, msg_part), "message '%s' lacks '%s'", e.message, msg_part);
}

START_TEST(bad_inputs_are_named) {
  /* truncated data: offsets beyond the data section */
  expect_bad(GOOD, 20, "b", "beyond the data section");
  /* offsets out of range / reversed / negative (would point into the header) */
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 16, "a", "begin");
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 16, "a", "header");
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}", 16, "a", NULL);
  /* overlapping tensors */
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, "b", "overlaps");
  /* shape product overflow */
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
             "\"data_offsets\":[0,4]}}", 16, "a", "overflow");
  /* dtype/size mismatch */
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16, "a", "data_offsets span");
  /* unknown dtype, missing fields */
  expect_bad("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 16, "a", "unknown dtype");
  expect_bad("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 16, "a", "dtype");
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 16, "a", "shape");
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 16, "a", "data_offsets");
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 16, "a", NULL);
  /* duplicate tensor names */
  expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 16, "a", "duplicate");
  /* not JSON, not an object, garbage after */
  expect_bad("{\"a\":", 16, NULL, "JSON");
  expect_bad("[1,2]", 16, NULL, NULL);
  expect_bad("{}xyz", 16, NULL, "garbage");
  expect_bad("{\"a\":3}", 16, "a", NULL);
  expect_bad("{\"__metadata__\":3}", 0, "__metadata__", NULL);
  /* padding with spaces is fine, empty tensors are fine */
  dm_error e;
  ck_assert_int_eq(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]}}    ", 0, &e), DM_OK);
}
END_TEST

START_TEST(header_length_checks) {
  dm_st_file *f = NULL;
  dm_error e;
  uint8_t small[5] = {0};
  ck_assert_int_eq(dm_st_parse(small, sizeof small, "t", &f, &e), DM_EFORMAT);
  ck_assert_ptr_nonnull(strstr(e.message, "too short"));
  size_t len;
  uint8_t *b = image(GOOD, 28, &len);
  b[0] = 0xff; /* header length far beyond the file */
  b[3] = 0x10;
  ck_assert_int_eq(dm_st_parse(b, len, "t", &f, &e), DM_EFORMAT);
  ck_assert_ptr_nonnull(strstr(e.message, "beyond the end"));
  memset(b, 0xff, 8); /* 2^64 - 1 */
  ck_assert_int_eq(dm_st_parse(b, len, "t", &f, &e), DM_EFORMAT);
  /* truncated file: header cut */
  ck_assert_int_eq(dm_st_parse(b, 12, "t", &f, &e), DM_EFORMAT);
  free(b);
  ck_assert_ptr_null(f);
}
END_TEST

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Mutate `src` (len) into dst: byte flips, digit/quote/bracket insertions, cuts. */
static size_t mutate(const char *src, size_t len, char *dst, size_t cap, uint64_t *s) {
  memcpy(dst, src, len);
  size_t n = len;
  int k = 1 + (int)(rng_next(s) % 4);
  static const char tokens[] = "{}[],:\"0123456789-.eE \\ntfu";
  for (int i = 0; i < k && n > 0; i++) {
    size_t at = (size_t)(rng_next(s) % n);
    switch (rng_next(s) % 5) {
      case 0: dst[at] = (char)(rng_next(s) & 0xff); break;
      case 1: dst[at] = tokens[rng_next(s) % (sizeof tokens - 1)]; break;
      case 2:
        if (n + 1 < cap) {
          memmove(dst + at + 1, dst + at, n - at);
          dst[at] = tokens[rng_next(s) % (sizeof tokens - 1)];
          n++;
        }
        break;
      case 3:
        memmove(dst + at, dst + at + 1, n - at - 1);
        n--;
        break;
      case 4: n = at; break;
    }
  }
  return n;
}

START_TEST(fuzz_header_parser) {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  char buf[1024];
  int ok = 0, bad = 0;
  for (int it = 0; it < 20000; it++) {
    size_t hl = mutate(GOOD, strlen(GOOD), buf, sizeof buf, &s);
    size_t data = (size_t)(rng_next(&s) % 40);
    uint8_t *img = calloc(1, 8 + hl + data);
    uint64_t lenfield = hl;
    if (rng_next(&s) % 16 == 0) lenfield = rng_next(&s) % (hl + 64); /* lie about the length */
    for (int i = 0; i < 8; i++) img[i] = (uint8_t)(lenfield >> (8 * i));
    memcpy(img + 8, buf, hl);
    dm_st_file *f = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_st_parse(img, 8 + hl + data, "fuzz", &f, &e);
    if (rc == DM_OK) {
      ok++;
      /* whatever parsed must be inside the image */
      for (int i = 0; i < f->n; i++) {
        const uint8_t *p = f->tensors[i].data;
        ck_assert(p >= img + 8 && p + (f->tensors[i].end - f->tensors[i].begin) <= img + 8 + hl + data);
      }
    } else {
      bad++;
      ck_assert_msg(rc == DM_EFORMAT, "iteration %d: unexpected code %d", it, rc);
      ck_assert(e.message[0] != 0);
      ck_assert_ptr_null(f);
    }
    dm_st_file_free(f);
    free(img);
  }
  ck_assert_int_gt(ok, 100); /* the fuzzer reaches both outcomes */
  ck_assert_int_gt(bad, 1000);
}
END_TEST

/* ------------------------------------------------------------------ index */

START_TEST(index_parse) {
  const char *t = "{\"metadata\":{},\"weight_map\":{\"a\":\"m-2.safetensors\",\"b\":\"m-1.safetensors\","
                  "\"c\":\"m-2.safetensors\"}}";
  char **files = NULL;
  int n = 0;
  dm_error e;
  ck_assert_int_eq(dm_st_index_parse(t, strlen(t), "idx", &files, &n, &e), DM_OK);
  ck_assert_int_eq(n, 2);
  ck_assert_str_eq(files[0], "m-1.safetensors");
  ck_assert_str_eq(files[1], "m-2.safetensors");
  for (int i = 0; i < n; i++) free(files[i]);
  free(files);
  const char *bad[] = {"{\"weight_map\":{\"a\":\"../x\"}}", "{\"weight_map\":{\"a\":3}}",
                       "{\"weight_map\":{}}", "{\"x\":1}", "{\"weight_map\":", "[]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(dm_st_index_parse(bad[i], strlen(bad[i]), "idx", &files, &n, &e), DM_EFORMAT);
    ck_assert_str_eq(e.source, "idx");
    ck_assert_ptr_null(files);
  }
}
END_TEST

/* ------------------------------------------------------------------ config */

static const char *LLADA =
    "{\"model_type\":\"llada\",\"d_model\":64,\"n_heads\":4,\"n_kv_heads\":4,\"n_layers\":2,"
    "\"mlp_hidden_size\":96,\"vocab_size\":100,\"embedding_size\":128,\"rope_theta\":500000.0,"
    "\"rms_norm_eps\":1e-5,\"weight_tying\":false,\"include_bias\":false,\"block_type\":\"llama\","
    "\"mask_token_id\":126,\"eos_token_id\":99,\"pad_token_id\":98}";
static const char *DREAM =
    "{\"model_type\":\"Dream\",\"hidden_size\":64,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
    "\"num_hidden_layers\":2,\"intermediate_size\":96,\"vocab_size\":128,\"rope_theta\":1000000.0,"
    "\"rms_norm_eps\":1e-6,\"tie_word_embeddings\":false,\"hidden_act\":\"silu\",\"rope_scaling\":null,"
    "\"mask_token_id\":120,\"pad_token_id\":121,\"bos_token_id\":122,\"eos_token_id\":123}";
static const char *DIMPLE =
    "{\"model_type\":\"dimple\",\"hidden_size\":64,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
    "\"num_hidden_layers\":2,\"intermediate_size\":96,\"vocab_size\":128,\"mrope_section\":[2,3,3],"
    "\"vision_config\":{\"depth\":2}}";

START_TEST(config_families) {
  dm_model_config c;
  dm_error e;
  ck_assert_int_eq(dm_config_parse(LLADA, strlen(LLADA), NULL, 0, "config.json", &c, &e), DM_OK);
  ck_assert_int_eq(c.family, DM_FAMILY_LLADA);
  ck_assert_int_eq(c.head_dim, 16);
  ck_assert_int_eq(c.vocab, 128); /* logits have embedding_size columns */
  ck_assert_int_eq(c.mask_id, 126);
  ck_assert_int_eq(c.eos_id, 99);
  ck_assert_int_eq(c.qkv_bias, 0);
  ck_assert_double_eq(c.rope_theta, 500000.0);
  ck_assert_int_eq(dm_config_parse(DREAM, strlen(DREAM), NULL, 0, "config.json", &c, &e), DM_OK);
  ck_assert_int_eq(c.family, DM_FAMILY_DREAM);
  ck_assert_int_eq(c.n_kv_heads, 2);
  ck_assert_int_eq(c.qkv_bias, 1);
  ck_assert_int_eq(c.bos_id, 122);
  const char *gen = "{\"mask_token_id\":7,\"eos_token_id\":[5,6]}";
  ck_assert_int_eq(dm_config_parse(DIMPLE, strlen(DIMPLE), gen, strlen(gen), "config.json", &c, &e), DM_OK);
  ck_assert_int_eq(c.family, DM_FAMILY_DIMPLE);
  ck_assert_int_eq(c.mask_id, 7);  /* from generation_config */
  ck_assert_int_eq(c.eos_id, 5);   /* first of a list */
  ck_assert_int_eq(c.mrope[1], 3);
}
END_TEST

static void cfg_bad(const char *text, const char *where) {
  dm_model_config c;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_config_parse(text, strlen(text), NULL, 0, "dir/config.json", &c, &e);
  ck_assert_msg(rc == DM_EMODEL, "expected DM_EMODEL for %s, got %d", text, rc);
  ck_assert_str_eq(e.source, "dir/config.json");
  if (where) ck_assert_str_eq(e.where, where);
}

START_TEST(config_bad) {
  cfg_bad("{\"model_type\":\"gpt2\"}", "model_type");
  cfg_bad("{\"hidden_size\":3}", "model_type");
  cfg_bad("{\"model_type\":\"Dream\",\"hidden_size\":64}", "num_attention_heads");
  cfg_bad("{\"model_type\":\"Dream\",\"hidden_size\":64,\"num_attention_heads\":5,\"num_hidden_layers\":1,"
          "\"intermediate_size\":8,\"vocab_size\":8}", "n_heads");
  cfg_bad("{\"model_type\":\"Dream\",\"hidden_size\":-64,\"num_attention_heads\":4,\"num_hidden_layers\":1,"
          "\"intermediate_size\":8,\"vocab_size\":8}", "hidden_size");
  cfg_bad("{\"model_type\":\"Dream\",\"hidden_size\":64.5,\"num_attention_heads\":4,\"num_hidden_layers\":1,"
          "\"intermediate_size\":8,\"vocab_size\":8}", "hidden_size");
  cfg_bad("{\"model_type\":\"Dream\",\"hidden_size\":64,\"num_attention_heads\":4,\"num_hidden_layers\":1,"
          "\"intermediate_size\":8,\"vocab_size\":8,\"rope_scaling\":{\"type\":\"yarn\"}}", "rope_scaling");
  cfg_bad("{\"model_type\":\"llada\",\"d_model\":64,\"n_heads\":4,\"n_layers\":1,\"mlp_hidden_size\":8,"
          "\"vocab_size\":8,\"alibi\":true}", "alibi");
  cfg_bad("{\"model_type\":\"dimple\",\"hidden_size\":64,\"num_attention_heads\":4,\"num_hidden_layers\":1,"
          "\"intermediate_size\":8,\"vocab_size\":8,\"mrope_section\":[1,1,1]}", "mrope_section");
  cfg_bad("not json", NULL);
}
END_TEST

START_TEST(fuzz_config) {
  const char *srcs[3] = {LLADA, DREAM, DIMPLE};
  uint64_t s = 12345;
  char buf[2048];
  int ok = 0, bad = 0;
  for (int it = 0; it < 6000; it++) {
    const char *src = srcs[it % 3];
    size_t n = mutate(src, strlen(src), buf, sizeof buf, &s);
    dm_model_config c;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_config_parse(buf, n, NULL, 0, "config.json", &c, &e);
    if (rc == DM_OK) {
      ok++;
      ck_assert(c.d_model > 0 && c.n_heads > 0 && c.n_kv_heads > 0 && c.n_layers > 0 && c.vocab > 0);
      ck_assert(c.d_model % c.n_heads == 0 && c.n_heads % c.n_kv_heads == 0 && c.head_dim % 2 == 0);
    } else {
      bad++;
      ck_assert_msg(dm_err_kind_of(rc) == DM_KIND_MODEL, "iteration %d: code %d", it, rc);
      ck_assert(e.message[0] != 0);
    }
  }
  ck_assert_int_gt(ok, 100);
  ck_assert_int_gt(bad, 100);
}
END_TEST

int main(void) {
  Suite *s = suite_create("safetensors");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, valid_file_parses);
  tcase_add_test(tc, bad_inputs_are_named);
  tcase_add_test(tc, header_length_checks);
  tcase_add_test(tc, fuzz_header_parser);
  tcase_add_test(tc, index_parse);
  tcase_add_test(tc, config_families);
  tcase_add_test(tc, config_bad);
  tcase_add_test(tc, fuzz_config);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
