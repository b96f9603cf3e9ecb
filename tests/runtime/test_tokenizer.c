/* Tokenizer unit tests on small tokenizer.json texts built here (no download needed):
 * byte-level BPE, byte-fallback/Metaspace BPE, added tokens, pre-tokenizer
 * behaviours, decoders, vocabulary view, chat templates, UTF-8 repair, errors. The
 * expected ids follow from the merges written in each test. Real vocabularies are
 * tested in test_tokenizer_real.c and tokenizer-parity.sh. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/runtime.h>

#include "tok_internal.h"

/* ------------------------------------------------------------------ fixtures */

typedef struct jb {
  char *p;
  size_t n, cap;
} jb;

static void jput(jb *b, const char *s) {
  size_t l = strlen(s);
  if (b->n + l + 1 > b->cap) {
    b->cap = (b->n + l + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, l + 1);
  b->n += l;
}

/* JSON string literal of raw bytes s (escaping quotes, backslashes, controls). */
static void jstr(jb *b, const char *s) {
  jput(b, "\"");
  for (; *s; s++) {
    char t[8];
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') snprintf(t, sizeof t, "\\%c", c);
    else if (c < 0x20) snprintf(t, sizeof t, "\\u%04x", c);
    else snprintf(t, sizeof t, "%c", c);
    jput(b, t);
  }
  jput(b, "\"");
}

#define QWEN_RE \
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"

static const char *DEFAULT_PRE =
    "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"" QWEN_RE
    "\"},\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
    "\"use_regex\":false}]}";

/* A byte-level BPE: ids 0-255 are the bytes (GPT-2 map), then the merges
 *   0 "h e"  1 "l l"  2 "he ll"  3 "hell o"  4 "Ġ h"
 * give ids 256 "he", 257 "ll", 258 "hell", 259 "hello", 260 "Ġh". Added tokens:
 * 300 "<|end|>" (special), 301 "<think>" (normal), 302 "<|mdm_mask|>" (special).
 * Ids 261-299 are holes. `pre`, `norm` replace the pre-tokenizer and normalizer
 * (NULL: Qwen's Split + ByteLevel, and NFC); `model_type` the model type. */
static char *bl_json(const char *pre, const char *norm, const char *model_type, const char *merges_extra) {
  jb b = {0};
  jput(&b, "{\"version\":\"1.0\",\"added_tokens\":["
           "{\"id\":300,\"content\":\"<|end|>\",\"special\":true},"
           "{\"id\":301,\"content\":\"<think>\",\"special\":false},"
           "{\"id\":302,\"content\":\"<|mdm_mask|>\",\"special\":true}],");
  jput(&b, "\"normalizer\":");
  jput(&b, norm ? norm : "{\"type\":\"NFC\"}");
  jput(&b, ",\"pre_tokenizer\":");
  jput(&b, pre ? pre : DEFAULT_PRE);
  jput(&b, ",\"post_processor\":null,\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":");
  jstr(&b, model_type ? model_type : "BPE");
  jput(&b, ",\"vocab\":{");
  for (int i = 0; i < 256; i++) {
    char u[8];
    u[tk_utf8_encode(tk_byte_to_cp((unsigned char)i), u)] = 0;
    jstr(&b, u);
    char t[32];
    snprintf(t, sizeof t, ":%d,", i);
    jput(&b, t);
  }
  jput(&b, "\"he\":256,\"ll\":257,\"hell\":258,\"hello\":259,\"\xC4\xA0h\":260},"
           "\"merges\":[\"h e\",[\"l\",\"l\"],\"he ll\",\"hell o\",\"\xC4\xA0 h\"");
  if (merges_extra) jput(&b, merges_extra);
  jput(&b, "]}}");
  return b.p;
}

static dm_tokenizer *load_str(const char *json, const char *cfg) {
  dm_error err;
  dm_error_clear(&err);
  dm_tokenizer *t = NULL;
  int rc = dm_tokenizer_load_json(json, strlen(json), cfg, cfg ? strlen(cfg) : 0, "test.json", &t, &err);
  ck_assert_msg(rc == DM_OK, "load failed: %s (%s)", err.message, err.where);
  return t;
}

static long enc(const dm_tokenizer *t, const char *s, int flags, int32_t *ids, size_t cap) {
  return dm_tokenizer_encode(t, s, strlen(s), flags, ids, cap, NULL);
}

#define EXPECT_IDS(t, text, flags, ...)                                                   \
  do {                                                                                    \
    int32_t want_[] = {__VA_ARGS__};                                                      \
    int32_t got_[256];                                                                    \
    long n_ = enc(t, text, flags, got_, 256);                                             \
    ck_assert_int_eq(n_, (long)(sizeof want_ / sizeof want_[0]));                         \
    for (long i_ = 0; i_ < n_; i_++) ck_assert_int_eq(got_[i_], want_[i_]);              \
  } while (0)

/* ------------------------------------------------------------------ byte-level */

START_TEST(bytelevel_merges_in_rank_order) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  EXPECT_IDS(t, "hello", 0, 259);
  /* "Ġ h" has a worse rank than "h e": Ġ stays alone */
  EXPECT_IDS(t, " hello", 0, 32, 259);
  EXPECT_IDS(t, " h", 0, 260);
  EXPECT_IDS(t, "hell", 0, 258);
  EXPECT_IDS(t, "llh", 0, 257, 'h');
  /* the Split regex: "hello hello" -> "hello", " hello"; digits one by one */
  EXPECT_IDS(t, "hello hello", 0, 259, 32, 259);
  EXPECT_IDS(t, "12", 0, '1', '2');
  /* newline byte 0x0A is the piece "Ċ": id 10 */
  EXPECT_IDS(t, "\n\n", 0, 10, 10);
  int32_t ids[4];
  ck_assert_int_eq(enc(t, "", 0, ids, 4), 0);
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(encode_buffer_convention) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  int32_t ids[8] = {-7, -7, -7};
  /* too small: returns the count needed, writes only cap ids */
  ck_assert_int_eq(enc(t, " hello x", 0, ids, 1), 4);
  ck_assert_int_eq(ids[0], 32);
  ck_assert_int_eq(ids[1], -7);
  ck_assert_int_eq(enc(t, " hello x", 0, NULL, 0), 4);
  int32_t *a = NULL;
  size_t n = 99;
  ck_assert_int_eq(dm_tokenizer_encode_alloc(t, " hello x", 8, 0, &a, &n, NULL), 0);
  ck_assert_uint_eq(n, 4);
  ck_assert_int_eq(a[3], 'x');
  free(a);
  ck_assert_int_eq(dm_tokenizer_encode_alloc(t, "", 0, 0, &a, &n, NULL), 0);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq(n, 0);
  free(a);
  ck_assert_int_eq(dm_tokenizer_encode(NULL, "x", 1, 0, NULL, 0, NULL), DM_EINVAL);
  ck_assert_int_eq(dm_tokenizer_encode(t, NULL, 1, 0, NULL, 0, NULL), DM_EINVAL);
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(added_tokens_special_and_normal) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  EXPECT_IDS(t, "hello<|end|>hello", DM_TOKENIZE_PARSE_SPECIAL, 259, 300, 259);
  /* without parsing, a special token is text: < | end | > */
  int32_t ids[64];
  long n = enc(t, "<|end|>", 0, ids, 64);
  ck_assert_int_gt(n, 1);
  for (long i = 0; i < n; i++) ck_assert_int_lt(ids[i], 256);
  /* a normal added token is always recognised */
  EXPECT_IDS(t, "<think>hello", 0, 301, 259);
  EXPECT_IDS(t, "<think>hello", DM_TOKENIZE_PARSE_SPECIAL, 301, 259);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_MASK), 302);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_EOS), -1);
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(vocab_view_and_flags) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  ck_assert_int_eq(dm_tokenizer_vocab_size(t), 303);
  size_t len;
  const char *b = dm_tokenizer_token_bytes(t, 32, &len);
  ck_assert_uint_eq(len, 1);
  ck_assert_int_eq(b[0], ' ');
  ck_assert_str_eq(dm_tokenizer_token_piece(t, 32), "\xC4\xA0");
  b = dm_tokenizer_token_bytes(t, 260, &len);
  ck_assert_uint_eq(len, 2);
  ck_assert(memcmp(b, " h", 2) == 0);
  b = dm_tokenizer_token_bytes(t, 0xE4, &len); /* a lone UTF-8 lead byte */
  ck_assert_uint_eq(len, 1);
  ck_assert_int_eq((unsigned char)b[0], 0xE4);
  b = dm_tokenizer_token_bytes(t, 300, &len);
  ck_assert_uint_eq(len, 7);
  ck_assert(memcmp(b, "<|end|>", 7) == 0);
  ck_assert_int_eq(dm_tokenizer_token_id(t, "\xC4\xA0h"), 260);
  ck_assert_int_eq(dm_tokenizer_token_id(t, "<think>"), 301);
  ck_assert_int_eq(dm_tokenizer_token_id(t, "nope"), -1);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 300), DM_TOKEN_SPECIAL | DM_TOKEN_CONTROL | DM_TOKEN_ADDED);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 301), DM_TOKEN_ADDED);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 259), 0);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 280), DM_TOKEN_UNUSED);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 303), DM_TOKEN_UNUSED);
  ck_assert_ptr_null(dm_tokenizer_token_bytes(t, -1, &len));
  ck_assert_ptr_null(dm_tokenizer_token_piece(t, 303));
  ck_assert_str_eq(dm_tokenizer_token_piece(t, 280), "");
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(decode_convention_and_flags) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  int32_t ids[] = {259, 300, 32, 259};
  char buf[64];
  ck_assert_int_eq(dm_tokenizer_decode(t, ids, 4, 0, buf, sizeof buf, NULL), 18);
  ck_assert_str_eq(buf, "hello<|end|> hello");
  ck_assert_int_eq(dm_tokenizer_decode(t, ids, 4, DM_DETOKENIZE_SKIP_SPECIAL, buf, sizeof buf, NULL), 11);
  ck_assert_str_eq(buf, "hello hello");
  /* short buffer: truncated, NUL-terminated, full length returned */
  ck_assert_int_eq(dm_tokenizer_decode(t, ids, 4, 0, buf, 4, NULL), 18);
  ck_assert_str_eq(buf, "hel");
  /* a split UTF-8 character: U+FFFD unless raw */
  int32_t half[] = {0xE4, 'a'};
  ck_assert_int_eq(dm_tokenizer_decode(t, half, 2, 0, buf, sizeof buf, NULL), 4);
  ck_assert_str_eq(buf, "\xEF\xBF\xBD" "a");
  ck_assert_int_eq(dm_tokenizer_decode(t, half, 2, DM_DETOKENIZE_RAW, buf, sizeof buf, NULL), 2);
  ck_assert_int_eq((unsigned char)buf[0], 0xE4);
  dm_error err;
  dm_error_clear(&err);
  int32_t bad[] = {1, 99999};
  ck_assert_int_eq(dm_tokenizer_decode(t, bad, 2, 0, buf, sizeof buf, &err), DM_ERANGE);
  ck_assert_str_eq(err.where, "ids[1]");
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(invalid_utf8_becomes_replacement) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  /* one U+FFFD (EF BF BD) per maximal invalid subpart */
  EXPECT_IDS(t, "a\xFF", 0, 'a', 0xEF, 0xBF, 0xBD);
  EXPECT_IDS(t, "\xF0\x9F\x98", 0, 0xEF, 0xBF, 0xBD);
  EXPECT_IDS(t, "\xC0\x80", 0, 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD);
  tk_buf o = {0};
  ck_assert_int_eq(tk_utf8_sanitize("\xED\xA0\x80x\xE2\x82", 6, &o), 0);
  ck_assert_uint_eq(o.len, 13);
  ck_assert(memcmp(o.p, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx\xEF\xBF\xBD", 13) == 0);
  tk_buf_free(&o);
  ck_assert(tk_utf8_valid("\xF4\x8F\xBF\xBF", 4));
  ck_assert(!tk_utf8_valid("\xF4\x90\x80\x80", 4));
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(nfc_normalizer) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  /* e + U+0301 composes to é (C3 A9) */
  EXPECT_IDS(t, "e\xCC\x81", 0, 0xC3, 0xA9);
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

START_TEST(bpe_heap_matches_reference) {
  char *j = bl_json(NULL, NULL, NULL, ",\"o Ġ\",\"e l\",\"l o\",\"lo Ġh\"");
  /* "oĠ", "el", "lo", "loĠh" must be in the vocabulary: the fixture lacks them, so
   * build a vocabulary that has them */
  free(j);
  jb b = {0};
  jput(&b, "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false},"
           "\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":{");
  for (int i = 0; i < 256; i++) {
    char u[8];
    u[tk_utf8_encode(tk_byte_to_cp((unsigned char)i), u)] = 0;
    jstr(&b, u);
    char s[32];
    snprintf(s, sizeof s, ":%d,", i);
    jput(&b, s);
  }
  /* merges over the alphabet {a, b, c}: every pair and some triples */
  const char *al = "abc";
  char m[4096] = "";
  int id = 256, rank = 0;
  jb merges = {0};
  jput(&merges, "\"merges\":[");
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) {
      snprintf(m, sizeof m, "%s\"%c%c\":%d", id > 256 ? "," : "", al[x], al[y], id);
      jput(&b, m);
      snprintf(m, sizeof m, "%s\"%c %c\"", rank ? "," : "", al[x], al[y]);
      jput(&merges, m);
      id++;
      rank++;
    }
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++)
      for (int z = 0; z < 3; z++) {
        if ((x + y + z) % 2) continue;
        snprintf(m, sizeof m, ",\"%c%c%c\":%d", al[x], al[y], al[z], id++);
        jput(&b, m);
        snprintf(m, sizeof m, ",\"%c%c %c\"", al[x], al[y], al[z]);
        jput(&merges, m);
      }
  jput(&b, "},");
  jput(&b, merges.p);
  jput(&b, "]}}");
  dm_tokenizer *t = load_str(b.p, NULL);
  unsigned seed = 12345;
  char w[300];
  for (int it = 0; it < 3000; it++) {
    int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % (it < 2000 ? 12 : 290);
    for (int i = 0; i < n; i++) w[i] = al[((seed = seed * 1103515245u + 12345u) >> 16) % 3];
    tk_ids fast = {0}, ref = {0};
    ck_assert_int_eq(tk_bpe_word(t, w, (size_t)n, &fast), 0);
    ck_assert_int_eq(tk_bpe_word_ref(t, w, (size_t)n, &ref), 0);
    ck_assert_uint_eq(fast.n, ref.n);
    for (size_t i = 0; i < fast.n; i++) ck_assert_int_eq(fast.v[i], ref.v[i]);
    tk_ids_free(&fast);
    tk_ids_free(&ref);
  }
  dm_tokenizer_free(t);
  free(b.p);
  free(merges.p);
}
END_TEST

/* ------------------------------------------------------------------ pre-tokenizers */

/* The words a pre-tokenizer makes of `text`, joined by '|'. */
static void words_of(const char *pre, const char *text, char *out, size_t cap) {
  char *j = bl_json(pre, "null", NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  tk_buf buf = {0}, scratch = {0};
  tk_spans words = {0}, tmp = {0};
  pcre2_match_data *md = pcre2_match_data_create(4, NULL);
  tk_buf_put(&buf, text, strlen(text));
  ck_assert_int_eq(tk_pre_tokenize(t, &buf, &words, 1, md, &scratch, &tmp), 0);
  out[0] = 0;
  for (size_t i = 0; i < words.n; i++) {
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s%.*s", i ? "|" : "", (int)words.v[i].len, buf.p + words.v[i].off);
  }
  pcre2_match_data_free(md);
  tk_buf_free(&buf);
  tk_buf_free(&scratch);
  tk_spans_free(&words);
  tk_spans_free(&tmp);
  dm_tokenizer_free(t);
  free(j);
}

START_TEST(split_behaviours) {
  /* the examples of the Hugging Face documentation */
  const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
  const char *want[] = {"the|final|countdown", "the|-|final|-|-|countdown", "the-|final-|-|countdown",
                        "the|-final|-|-countdown", "the|-|final|--|countdown"};
  for (int i = 0; i < 5; i++) {
    char pre[256], out[256];
    snprintf(pre, sizeof pre, "{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"%s\",\"invert\":false}",
             names[i]);
    words_of(pre, "the-final--countdown", out, sizeof out);
    ck_assert_msg(strcmp(out, want[i]) == 0, "%s: got %s", names[i], out);
  }
  char out[256];
  words_of("{\"type\":\"Digits\",\"individual_digits\":true}", "abc123d", out, sizeof out);
  ck_assert_str_eq(out, "abc|1|2|3|d");
  words_of("{\"type\":\"Digits\",\"individual_digits\":false}", "abc123d", out, sizeof out);
  ck_assert_str_eq(out, "abc|123|d");
  words_of("{\"type\":\"Metaspace\",\"replacement\":\"\xE2\x96\x81\",\"prepend_scheme\":\"always\",\"split\":true}",
           "hello  world", out, sizeof out);
  ck_assert_str_eq(out, "\xE2\x96\x81hello|\xE2\x96\x81|\xE2\x96\x81world");
  words_of("{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true}", "Hello world's 42!!", out,
           sizeof out);
  ck_assert_str_eq(out, " Hello| world|'s| 42|!!");
  /* JavaScript's \s: U+FEFF is white space, U+0085 is not */
  char pre[512];
  snprintf(pre, sizeof pre, "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"behavior\":\"Removed\"}");
  words_of(pre, "a\xEF\xBB\xBF" "b\xC2\x85" "c", out, sizeof out);
  ck_assert_str_eq(out, "a|b\xC2\x85" "c");
  /* contractions as the oracle rewrites them: 'S yes, U+017F (long s) no */
  words_of(DEFAULT_PRE, "x'S x'\xC5\xBF", out, sizeof out);
  ck_assert_str_eq(out, "x|'S| x|'\xC5\xBF");
}
END_TEST

/* ------------------------------------------------------------------ byte fallback */

/* SentencePiece-style: <unk> <s> </s>, 256 byte tokens (ids 3-258), "▁" 259, "a" 260,
 * "b" 261, "▁a" 262, "ab" 263, "▁ab" 264; merges "▁ a", "a b", "▁a b". */
static char *sp_json(void) {
  jb b = {0};
  jput(&b, "{\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
           "{\"id\":1,\"content\":\"<s>\",\"special\":true},{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
           "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\",\"prepend\":\"\xE2\x96\x81\"},"
           "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\xE2\x96\x81\"}]},"
           "\"pre_tokenizer\":null,"
           "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\xE2\x96\x81\"},"
           "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \","
           "\"start\":1,\"stop\":0}]},"
           "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"fuse_unk\":true,\"byte_fallback\":true,"
           "\"vocab\":{\"<unk>\":0,\"<s>\":1,\"</s>\":2,");
  for (int i = 0; i < 256; i++) {
    char s[32];
    snprintf(s, sizeof s, "\"<0x%02X>\":%d,", i, 3 + i);
    jput(&b, s);
  }
  jput(&b, "\"\xE2\x96\x81\":259,\"a\":260,\"b\":261,\"\xE2\x96\x81" "a\":262,\"ab\":263,\"\xE2\x96\x81" "ab\":264},"
           "\"merges\":[\"\xE2\x96\x81 a\",\"a b\",\"\xE2\x96\x81" "a b\"]}}");
  return b.p;
}

START_TEST(byte_fallback_model) {
  char *j = sp_json();
  dm_tokenizer *t = load_str(j, "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\",\"unk_token\":\"<unk>\"}");
  EXPECT_IDS(t, "ab ab", 0, 264, 264);
  EXPECT_IDS(t, "ba", 0, 259, 261, 260);
  /* é is not in the vocabulary: its two bytes */
  EXPECT_IDS(t, "\xC3\xA9", 0, 259, 3 + 0xC3, 3 + 0xA9);
  EXPECT_IDS(t, "a<s>b", DM_TOKENIZE_PARSE_SPECIAL, 262, 1, 259, 261);
  char buf[64];
  int32_t ids[] = {264, 259, 3 + 0xC3, 3 + 0xA9, 262};
  ck_assert_int_eq(dm_tokenizer_decode(t, ids, 5, 0, buf, sizeof buf, NULL), 7);
  ck_assert_str_eq(buf, "ab \xC3\xA9 a");
  int32_t lone[] = {262, 3 + 0xC3};
  dm_tokenizer_decode(t, lone, 2, 0, buf, sizeof buf, NULL);
  ck_assert_str_eq(buf, "a\xEF\xBF\xBD");
  size_t len;
  const char *b = dm_tokenizer_token_bytes(t, 264, &len);
  ck_assert_uint_eq(len, 3);
  ck_assert(memcmp(b, " ab", 3) == 0);
  b = dm_tokenizer_token_bytes(t, 3 + 0xC3, &len);
  ck_assert_uint_eq(len, 1);
  ck_assert_int_eq((unsigned char)b[0], 0xC3);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 3 + 0x41), DM_TOKEN_BYTE_FALLBACK);
  ck_assert_uint_eq(dm_tokenizer_token_flags(t, 0), DM_TOKEN_SPECIAL | DM_TOKEN_CONTROL | DM_TOKEN_ADDED | DM_TOKEN_UNK);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_BOS), 1);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_EOS), 2);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_UNK), 0);
  ck_assert_int_eq(dm_tokenizer_chat_family(t), DM_CHAT_NONE);
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

/* ------------------------------------------------------------------ errors */

static void expect_load_error(const char *json, int code, const char *where) {
  dm_error err;
  dm_error_clear(&err);
  dm_tokenizer *t = (dm_tokenizer *)1;
  int rc = dm_tokenizer_load_json(json, strlen(json), NULL, 0, "bad.json", &t, &err);
  ck_assert_msg(rc == code, "expected %s, got %s (%s at %s)", dm_err_name(code), dm_err_name(rc), err.message,
                err.where);
  ck_assert_ptr_null(t);
  ck_assert_int_eq(err.code, code);
  ck_assert_str_eq(err.source, "bad.json");
  if (where) ck_assert_msg(strcmp(err.where, where) == 0, "where: got '%s', want '%s'", err.where, where);
}

START_TEST(load_errors_name_the_place) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  /* truncated: an offset with line and column */
  char *cut = strdup(j);
  cut[strlen(cut) / 2] = 0;
  dm_error err;
  dm_error_clear(&err);
  dm_tokenizer *t;
  ck_assert_int_eq(dm_tokenizer_load_json(cut, strlen(cut), NULL, 0, "cut.json", &t, &err), DM_EFORMAT);
  ck_assert_int_eq(err.pos_kind, DM_POS_OFFSET);
  ck_assert_int_gt(err.line, 0);
  free(cut);
  free(j);

  j = bl_json(NULL, NULL, "WordPiece", NULL);
  expect_load_error(j, DM_EUNSUPPORTED, "/model/type");
  free(j);
  j = bl_json(NULL, NULL, NULL, ",\"he zz\"");
  expect_load_error(j, DM_ETOKENIZER, "/model/merges/5");
  free(j);
  j = bl_json(NULL, NULL, NULL, ",\"h o\""); /* "ho" is not in the vocabulary */
  expect_load_error(j, DM_ETOKENIZER, "/model/merges/5");
  free(j);
  j = bl_json(NULL, NULL, NULL, ",42");
  expect_load_error(j, DM_EFORMAT, NULL);
  free(j);
  j = bl_json(NULL, "{\"type\":\"Lowercase\"}", NULL, NULL);
  expect_load_error(j, DM_EUNSUPPORTED, "/normalizer");
  free(j);
  j = bl_json("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Whitespace\"}]}", NULL, NULL, NULL);
  expect_load_error(j, DM_EUNSUPPORTED, "/pre_tokenizer/pretokenizers/0");
  free(j);
  j = bl_json("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(unclosed\"},\"behavior\":\"Isolated\"}", NULL, NULL, NULL);
  expect_load_error(j, DM_ETOKENIZER, "/pre_tokenizer/pattern");
  free(j);
  j = bl_json("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"x\"},\"behavior\":\"Sideways\"}", NULL, NULL, NULL);
  expect_load_error(j, DM_EUNSUPPORTED, "/pre_tokenizer/behavior");
  free(j);
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":\"zero\"},\"merges\":[]}}", DM_EFORMAT, NULL);
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"vocab\":[1,2],\"merges\":[]}}", DM_EFORMAT, "/model/vocab");
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}", DM_ETOKENIZER, "/model/vocab/b");
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
                    "\"decoder\":{\"type\":\"WordPiece\"}}", DM_EUNSUPPORTED, "/decoder");
  expect_load_error("{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",0.0]]}}", DM_EUNSUPPORTED, "/model/type");
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
                    "\"added_tokens\":[{\"id\":-3,\"content\":\"x\"}]}", DM_EFORMAT, "/added_tokens/0/id");
  expect_load_error("[]", DM_EFORMAT, "/");
  expect_load_error("{}", DM_EFORMAT, "/model");

  dm_error_clear(&err);
  ck_assert_int_eq(dm_tokenizer_load("/nonexistent/dir/tokenizer.json", &t, &err), DM_ENOENT);
  ck_assert_ptr_null(t);
  ck_assert_str_eq(err.source, "/nonexistent/dir/tokenizer.json");
  dm_tokenizer_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ chat templates */

static dm_tokenizer *with_config(const char *cfg) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  /* add the chat specials as added tokens so EOT resolves */
  dm_tokenizer *t = load_str(j, cfg);
  free(j);
  return t;
}

START_TEST(chat_chatml_with_default_system) {
  /* Dream/Qwen2.5 style: a constant default system prompt in the template */
  dm_tokenizer *t = with_config(
      "{\"chat_template\":\"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
      "{{ '<|im_start|>system\\\\nYou are a helpful assistant.<|im_end|>\\\\n' }}{% endif %}{{'<|im_start|>' + "
      "message['role'] + '\\\\n' + message['content'] + '<|im_end|>' + '\\\\n'}}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\\\n' }}{% endif %}\"}");
  ck_assert_int_eq(dm_tokenizer_chat_family(t), DM_CHAT_CHATML);
  char buf[512];
  long n = dm_chat_format(t, "Hi!", NULL, buf, sizeof buf, NULL);
  const char *want = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                     "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n";
  ck_assert_str_eq(buf, want);
  ck_assert_int_eq(n, (long)strlen(want));
  dm_chat_format(t, "Hi!", "Be brief.", buf, sizeof buf, NULL);
  ck_assert_str_eq(buf, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                        "<|im_start|>assistant\n");
  dm_tokenizer_free(t);
}
END_TEST

START_TEST(chat_chatml_without_default_and_llama3) {
  /* Qwen3 style: the system turn only from messages */
  dm_tokenizer *t = with_config(
      "{\"chat_template\":\"{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\\\\n' + "
      "messages[0].content + '<|im_end|>\\\\n' }}{%- endif %}{{- '<|im_start|>' + message.role + '\\\\n' }}\"}");
  char buf[512];
  dm_chat_format(t, "Hi!", NULL, buf, sizeof buf, NULL);
  ck_assert_str_eq(buf, "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
  dm_tokenizer_free(t);

  /* LLaDA / Llama 3 */
  t = with_config("{\"bos_token\":\"<|end|>\",\"chat_template\":\"{% set loop_messages = messages %}{% for message in "
                  "loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + "
                  "'<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                  "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}\"}");
  ck_assert_int_eq(dm_tokenizer_chat_family(t), DM_CHAT_LLAMA3);
  long n = dm_chat_format(t, "  Hi!\n", "Sys", buf, sizeof buf, NULL);
  const char *want = "<|end|><|start_header_id|>system<|end_header_id|>\n\nSys<|eot_id|>"
                     "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                     "<|start_header_id|>assistant<|end_header_id|>\n\n";
  ck_assert_str_eq(buf, want);
  ck_assert_int_eq(n, (long)strlen(want));
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_BOS), 300);
  /* short buffer: the full length back */
  ck_assert_int_eq(dm_chat_format(t, "Hi!", NULL, buf, 5, NULL), n - (long)strlen("<|start_header_id|>system"
                                                                                   "<|end_header_id|>\n\nSys<|eot_id|>"));
  ck_assert_uint_eq(strlen(buf), 4);
  dm_tokenizer_free(t);

  dm_error err;
  dm_error_clear(&err);
  t = with_config("{\"chat_template\":\"{{ messages }}\"}");
  ck_assert_int_eq(dm_tokenizer_chat_family(t), DM_CHAT_UNKNOWN);
  ck_assert_int_eq(dm_chat_format(t, "x", NULL, buf, sizeof buf, &err), DM_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(err.message, "--raw-prompt"));
  dm_tokenizer_free(t);
  t = with_config("{}");
  ck_assert_int_eq(dm_chat_format(t, "x", NULL, buf, sizeof buf, &err), DM_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(err.message, "no chat template"));
  ck_assert_str_eq(dm_chat_family_name(DM_CHAT_LLAMA3), "llama3");
  dm_tokenizer_free(t);
}
END_TEST

/* ------------------------------------------------------------------ threads */

typedef struct thr_arg {
  const dm_tokenizer *t;
  int seed, bad;
} thr_arg;

static const char *thr_words[] = {"hello", " hello", "hell", "llh", " h", "world", "<|end|>", "12", "e\xCC\x81"};

static void thr_text(int i, char *buf) {
  buf[0] = 0;
  for (int k = 0; k < 1 + i % 7; k++) strcat(buf, thr_words[(i * 7 + k * 3) % 9]);
}

static void *thr_main(void *p) {
  thr_arg *a = p;
  char text[256];
  int32_t ids[256], ref[256];
  for (int i = 0; i < 3000; i++) {
    int j = (i * 31 + a->seed) % 500;
    thr_text(j, text);
    long n = enc(a->t, text, DM_TOKENIZE_PARSE_SPECIAL, ids, 256);
    /* the same text once more: a cached result must equal the computed one */
    long m = enc(a->t, text, DM_TOKENIZE_PARSE_SPECIAL, ref, 256);
    if (n != m || n < 0 || memcmp(ids, ref, (size_t)n * sizeof *ids) != 0) a->bad++;
  }
  return NULL;
}

START_TEST(encode_from_threads) {
  char *j = bl_json(NULL, NULL, NULL, NULL);
  dm_tokenizer *t = load_str(j, NULL);
  /* results computed alone, before any thread runs */
  int32_t want[500][64];
  long wn[500];
  char text[256];
  for (int i = 0; i < 500; i++) {
    thr_text(i, text);
    wn[i] = enc(t, text, DM_TOKENIZE_PARSE_SPECIAL, want[i], 64);
  }
  pthread_t th[4];
  thr_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thr_arg){t, i * 101, 0};
    ck_assert_int_eq(pthread_create(&th[i], NULL, thr_main, &args[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    ck_assert_int_eq(args[i].bad, 0);
  }
  for (int i = 0; i < 500; i++) {
    int32_t ids[64];
    thr_text(i, text);
    ck_assert_int_eq(enc(t, text, DM_TOKENIZE_PARSE_SPECIAL, ids, 64), wn[i]);
    ck_assert(memcmp(ids, want[i], (size_t)wn[i] * sizeof *ids) == 0);
  }
  dm_tokenizer_free(t);
  free(j);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("tokenizer");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, bytelevel_merges_in_rank_order);
  tcase_add_test(tc, encode_buffer_convention);
  tcase_add_test(tc, added_tokens_special_and_normal);
  tcase_add_test(tc, vocab_view_and_flags);
  tcase_add_test(tc, decode_convention_and_flags);
  tcase_add_test(tc, invalid_utf8_becomes_replacement);
  tcase_add_test(tc, nfc_normalizer);
  tcase_add_test(tc, bpe_heap_matches_reference);
  tcase_add_test(tc, split_behaviours);
  tcase_add_test(tc, byte_fallback_model);
  tcase_add_test(tc, load_errors_name_the_place);
  tcase_add_test(tc, chat_chatml_with_default_system);
  tcase_add_test(tc, chat_chatml_without_default_and_llama3);
  tcase_add_test(tc, encode_from_threads);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
