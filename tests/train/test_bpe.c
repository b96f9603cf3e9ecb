/* The byte-level BPE trainer (train/bpe.c): hand-computed merges and tie-breaks,
 * exact vocabulary size, loading the result with dm_tokenizer_load, round trips of
 * random byte strings, determinism, and its errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <dimple/tokenizer.h>

#include "../../train/bpe.h"
#include "../testrng.h"

/* A seeded corpus: sentences from a Zipf-like word list (23 fixed words, then 2000
 * words made of random syllables; earlier words are much more frequent), with
 * digits, punctuation, accents and CJK. */
static char *make_corpus(uint64_t seed, size_t bytes, size_t *len) {
  static const char *fixed[] = {"the", "of", "and", "to", "in", "model", "token", "diffusion",
                                "mask", "text", "über", "café", "naïve", "数据", "模型", "héllo",
                                "Tokenizer", "JSON", "{\"a\": 1}", "x_1", "foo()", "lorem", "ipsum"};
  static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "sta", "tre", "vo", "zi", "ph", "qu", "é", "ß", "ing", "er"};
  enum { NF = sizeof fixed / sizeof *fixed, NG = 2000 };
  char gen[NG][24];
  const char *words[NF + NG];
  g_rng = seed;
  for (int i = 0; i < NF; i++) words[i] = fixed[i];
  for (int i = 0; i < NG; i++) {
    gen[i][0] = 0;
    int ns = 1 + (int)(rnd() % 4);
    for (int k = 0; k < ns; k++) strcat(gen[i], syl[rnd() % (sizeof syl / sizeof *syl)]);
    words[NF + i] = gen[i];
  }
  char *s = malloc(bytes + 64);
  size_t n = 0;
  while (n < bytes) {
    size_t k = (size_t)(rnd() % (NF + NG));
    k = (size_t)(rnd() % (k + 1)); /* skew towards the first words */
    n += (size_t)sprintf(s + n, "%s", words[k]);
    uint64_t r = rnd() % 20;
    if (r == 0) n += (size_t)sprintf(s + n, " %u", (unsigned)(rnd() % 100000));
    s[n++] = r == 1 ? '\n' : r == 2 ? ',' : ' ';
  }
  s[n] = 0;
  *len = n;
  return s;
}

/* Train on text with vocab_size (min_count 1); returns the trainer. */
static dm_bpe *train(const char *text, size_t len, int32_t vocab_size) {
  dm_bpe_params p;
  dm_bpe_default_params(&p);
  p.vocab_size = vocab_size;
  p.min_count = 1;
  dm_bpe *b = NULL;
  dm_error err;
  ck_assert_int_eq(dm_bpe_create(&p, &b, &err), 0);
  ck_assert_int_eq(dm_bpe_add_text(b, text, len, &err), 0);
  ck_assert_int_eq(dm_bpe_train(b, &err), 0);
  return b;
}

static dm_tokenizer *load(const dm_bpe *b) {
  char *tj, *cj;
  dm_error err;
  ck_assert_int_eq(dm_bpe_to_json(b, &tj, &cj, &err), 0);
  dm_tokenizer *t = NULL;
  int rc = dm_tokenizer_load_json(tj, strlen(tj), cj, strlen(cj), "trained", &t, &err);
  ck_assert_msg(rc == 0, "load: %s", err.message);
  free(tj);
  free(cj);
  return t;
}

/* The merges of a trained tokenizer.json as "a b" lines. */
static char *merges_of(const dm_bpe *b) {
  char *tj;
  ck_assert_int_eq(dm_bpe_to_json(b, &tj, NULL, NULL), 0);
  cJSON *j = cJSON_Parse(tj);
  free(tj);
  ck_assert_ptr_nonnull(j);
  const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "model"), "merges");
  char *out = calloc(1, 4096);
  for (const cJSON *e = m->child; e; e = e->next)
    snprintf(out + strlen(out), 4096 - strlen(out), "%s%s %s", out[0] ? "|" : "",
             cJSON_GetArrayItem(e, 0)->valuestring, cJSON_GetArrayItem(e, 1)->valuestring);
  cJSON_Delete(j);
  return out;
}

START_TEST(hand_computed_merges) {
  /* one word "abcd": all pairs count 1; ties go to the smaller ids: (a,b), then
   * (c,d) (99 < 256 = "ab"), then (ab, cd) */
  dm_bpe *b = train("abcd", 4, 256 + 4 + 3);
  char *m = merges_of(b);
  ck_assert_str_eq(m, "a b|c d|ab cd");
  free(m);
  dm_bpe_free(b);
  /* counts decide before ids: "zy zy zy ab" -> (z,y) (3) first, then "Ġ zy" (2) */
  b = train("zy zy zy ab", 11, 256 + 4 + 2);
  m = merges_of(b);
  ck_assert_str_eq(m, "z y|Ġ zy");
  free(m);
  dm_bpe_free(b);
  /* overlapping pairs: "aaaa" is (a,a) x3 -> "aa aa" -> (aa, aa) */
  b = train("aaaa", 4, 256 + 4 + 2);
  m = merges_of(b);
  ck_assert_str_eq(m, "a a|aa aa");
  dm_bpe_stats st;
  dm_bpe_stats_get(b, &st);
  ck_assert_int_eq(st.vocab_size, 262);
  ck_assert_int_eq(st.merges, 2);
  free(m);
  dm_bpe_free(b);
}
END_TEST

START_TEST(random_small_corpora) {
  /* small corpora over a few letters, trained to exhaustion (min_count 1): the
   * result loads, has the ids the stats say, and encodes each corpus back. (A
   * merge whose string is already a token would add no id; the trainer handles it,
   * but no corpus here, nor 40,000 random ones tried, produced one.) */
  char text[200], got[1024];
  int32_t ids[512];
  g_rng = 99;
  for (int it = 0; it < 300; it++) {
    size_t n = 20 + (size_t)(rnd() % 150);
    for (size_t i = 0; i < n; i++) text[i] = "aabbc  "[rnd() % 7];
    dm_bpe *b = train(text, n, 256 + 4 + 400);
    dm_bpe_stats st;
    dm_bpe_stats_get(b, &st);
    ck_assert_int_le(st.vocab_size, 660);
    ck_assert_int_ge(st.merges, st.vocab_size - 260);
    dm_tokenizer *t = load(b);
    ck_assert_int_eq(dm_tokenizer_vocab_size(t), st.vocab_size);
    long k = dm_tokenizer_encode(t, text, n, 0, ids, 512, NULL);
    ck_assert_int_ge(k, 1);
    ck_assert_int_le(k, 512);
    ck_assert_int_eq(dm_tokenizer_decode(t, ids, (size_t)k, 0, got, sizeof got, NULL), (long)n);
    ck_assert(memcmp(got, text, n) == 0);
    dm_tokenizer_free(t);
    dm_bpe_free(b);
  }
}
END_TEST

/* ------------------------------------------------------------------ reference twin */

/* The plain reference trainer: words from dm_tokenizer_pre_tokenize, then per merge
 * a full recount of all pairs (no heap, no incremental counts). Tokens as byte
 * strings in id order. */
typedef struct ref_word {
  char *w;
  size_t n;
  long count;
  int32_t *sym;
  size_t len;
} ref_word;
typedef struct ref_state {
  ref_word *v;
  size_t n;
} ref_state;

static int ref_collect(void *ctx, const char *w, size_t n) {
  ref_state *st = ctx;
  for (size_t i = 0; i < st->n; i++)
    if (st->v[i].n == n && memcmp(st->v[i].w, w, n) == 0) {
      st->v[i].count++;
      return 0;
    }
  st->v = realloc(st->v, (st->n + 1) * sizeof *st->v);
  ref_word *r = &st->v[st->n++];
  r->w = malloc(n + 1);
  memcpy(r->w, w, n);
  r->n = n;
  r->count = 1;
  r->sym = malloc((n + 1) * sizeof *r->sym);
  for (size_t i = 0; i < n; i++) r->sym[i] = (unsigned char)w[i];
  r->len = n;
  return 0;
}

/* Returns the number of merges; tok/tlen receive the token byte strings. */
static int ref_train(const char *text, size_t len, int32_t target, long min_count, char ***tok_out,
                     size_t **tlen_out, int32_t *ntok_out) {
  dm_bpe_params p;
  dm_bpe_default_params(&p);
  p.vocab_size = 260;
  dm_bpe *b = NULL;
  ck_assert_int_eq(dm_bpe_create(&p, &b, NULL), 0);
  dm_tokenizer *t = load(b);
  dm_bpe_free(b);
  ref_state st = {0};
  ck_assert_int_eq(dm_tokenizer_pre_tokenize(t, text, len, DM_TOKENIZE_PARSE_SPECIAL, ref_collect, &st, NULL), 0);
  dm_tokenizer_free(t);
  char **tok = malloc((size_t)target * sizeof *tok);
  size_t *tlen = malloc((size_t)target * sizeof *tlen);
  int32_t ntok = 256;
  for (int c = 0; c < 256; c++) {
    tok[c] = malloc(1);
    tok[c][0] = (char)c;
    tlen[c] = 1;
  }
  int merges = 0;
  while (ntok < target) {
    long best = 0;
    int32_t ba = -1, bb = -1;
    for (size_t w = 0; w < st.n; w++) /* every pair: count over all words */
      for (size_t i = 0; i + 1 < st.v[w].len; i++) {
        int32_t a = st.v[w].sym[i], c = st.v[w].sym[i + 1];
        long cnt = 0;
        for (size_t u = 0; u < st.n; u++)
          for (size_t j = 0; j + 1 < st.v[u].len; j++)
            if (st.v[u].sym[j] == a && st.v[u].sym[j + 1] == c) cnt += st.v[u].count;
        if (cnt > best || (cnt == best && (a < ba || (a == ba && c < bb)))) {
          best = cnt;
          ba = a;
          bb = c;
        }
      }
    if (best < min_count || ba < 0) break;
    size_t n = tlen[ba] + tlen[bb];
    char *s = malloc(n);
    memcpy(s, tok[ba], tlen[ba]);
    memcpy(s + tlen[ba], tok[bb], tlen[bb]);
    int32_t id = -1;
    for (int32_t k = 0; k < ntok; k++)
      if (tlen[k] == n && memcmp(tok[k], s, n) == 0) id = k;
    if (id < 0) {
      id = ntok++;
      tok[id] = s;
      tlen[id] = n;
    } else {
      free(s);
    }
    merges++;
    for (size_t w = 0; w < st.n; w++) {
      ref_word *r = &st.v[w];
      size_t j = 0;
      for (size_t i = 0; i < r->len;) {
        if (i + 1 < r->len && r->sym[i] == ba && r->sym[i + 1] == bb) {
          r->sym[j++] = id;
          i += 2;
        } else {
          r->sym[j++] = r->sym[i++];
        }
      }
      r->len = j;
    }
  }
  for (size_t w = 0; w < st.n; w++) {
    free(st.v[w].w);
    free(st.v[w].sym);
  }
  free(st.v);
  *tok_out = tok;
  *tlen_out = tlen;
  *ntok_out = ntok;
  return merges;
}

/* dm_tokenizer_pre_tokenize (the runtime API the trainer counts words with): the
 * words of the Qwen2 split regex, special-token text left out with
 * DM_TOKENIZE_PARSE_SPECIAL and split as text without it; a callback's non-zero
 * value stops it. */
typedef struct words_acc {
  char buf[512];
  int n, stop_after;
} words_acc;
static int words_cb(void *ctx, const char *w, size_t n) {
  words_acc *a = ctx;
  if (a->stop_after && a->n == a->stop_after) return 42;
  snprintf(a->buf + strlen(a->buf), sizeof a->buf - strlen(a->buf), "%s%.*s", a->n ? "|" : "", (int)n, w);
  a->n++;
  return 0;
}

START_TEST(pre_tokenize_words) {
  dm_bpe_params p;
  dm_bpe_default_params(&p);
  p.vocab_size = 260;
  dm_bpe *b = NULL;
  ck_assert_int_eq(dm_bpe_create(&p, &b, NULL), 0);
  dm_tokenizer *t = load(b);
  dm_bpe_free(b);
  const char *x = "Hello world<|im_end|>it's 42!\n\n  x";
  words_acc a = {{0}, 0, 0};
  ck_assert_int_eq(dm_tokenizer_pre_tokenize(t, x, strlen(x), DM_TOKENIZE_PARSE_SPECIAL, words_cb, &a, NULL), 0);
  ck_assert_str_eq(a.buf, "Hello| world|it|'s| |4|2|!\n\n| | x");
  memset(&a, 0, sizeof a);
  ck_assert_int_eq(dm_tokenizer_pre_tokenize(t, x, strlen(x), 0, words_cb, &a, NULL), 0);
  ck_assert_str_eq(a.buf, "Hello| world|<||im|_end||>|it|'s| |4|2|!\n\n| | x");
  memset(&a, 0, sizeof a);
  a.stop_after = 2;
  ck_assert_int_eq(dm_tokenizer_pre_tokenize(t, x, strlen(x), 0, words_cb, &a, NULL), 42);
  ck_assert_int_eq(a.n, 2);
  dm_error err;
  ck_assert_int_eq(dm_tokenizer_pre_tokenize(t, NULL, 3, 0, words_cb, &a, &err), DM_EINVAL);
  dm_tokenizer_free(t);
}
END_TEST

START_TEST(matches_reference_twin) {
  /* the incremental trainer and the full-recount reference learn the same tokens
   * in the same order on seeded corpora (few distinct words keep the reference
   * fast), min_count 1 and 2 */
  for (int it = 0; it < 8; it++) {
    size_t len;
    char *text = make_corpus(100 + (uint64_t)it, 2000 + 300 * (size_t)it, &len);
    long min_count = it % 2 ? 2 : 1;
    int32_t target = 256 + 40 + 10 * it;
    char **tok;
    size_t *tlen;
    int32_t ntok;
    int rm = ref_train(text, len, target, min_count, &tok, &tlen, &ntok);
    dm_bpe_params p;
    dm_bpe_default_params(&p);
    p.vocab_size = target + 4;
    p.min_count = min_count;
    dm_bpe *b = NULL;
    ck_assert_int_eq(dm_bpe_create(&p, &b, NULL), 0);
    ck_assert_int_eq(dm_bpe_add_text(b, text, len, NULL), 0);
    ck_assert_int_eq(dm_bpe_train(b, NULL), 0);
    dm_bpe_stats st;
    dm_bpe_stats_get(b, &st);
    ck_assert_int_eq(st.merges, rm);
    ck_assert_int_eq(st.vocab_size, ntok + 4);
    dm_tokenizer *t = load(b);
    for (int32_t id = 0; id < ntok; id++) {
      size_t n;
      const char *bytes = dm_tokenizer_token_bytes(t, id, &n);
      ck_assert_uint_eq(n, tlen[id]);
      ck_assert_msg(memcmp(bytes, tok[id], n) == 0, "corpus %d: token %d differs", it, id);
    }
    for (int32_t id = 0; id < ntok; id++) free(tok[id]);
    free(tok);
    free(tlen);
    dm_tokenizer_free(t);
    dm_bpe_free(b);
    free(text);
  }
}
END_TEST

/* Replace each maximal invalid subpart of UTF-8 by U+FFFD (the WHATWG rule), as a
 * plain reference for what decode(encode(x)) gives. */
static size_t sanitize_ref(const unsigned char *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t need = c < 0x80 ? 0 : (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2
                : (c >= 0xF0 && c <= 0xF4) ? 3 : 99;
    if (need == 0) {
      out[o++] = (char)c;
      i++;
      continue;
    }
    size_t k = 1;
    if (need != 99) {
      for (; k <= need && i + k < n; k++) {
        unsigned lo = 0x80, hi = 0xBF, d = s[i + k];
        if (k == 1 && c == 0xE0) lo = 0xA0;
        if (k == 1 && c == 0xED) hi = 0x9F;
        if (k == 1 && c == 0xF0) lo = 0x90;
        if (k == 1 && c == 0xF4) hi = 0x8F;
        if (d < lo || d > hi) break;
      }
      if (k == need + 1) {
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
        continue;
      }
    }
    memcpy(out + o, "\xEF\xBF\xBD", 3);
    o += 3;
    i += k;
  }
  return o;
}

START_TEST(trained_tokenizer_round_trips) {
  size_t len;
  char *text = make_corpus(7, 200000, &len);
  dm_bpe *b = train(text, len, 700);
  free(text);
  dm_bpe_stats st;
  dm_bpe_stats_get(b, &st);
  ck_assert_int_eq(st.vocab_size, 700);
  dm_tokenizer *t = load(b);
  ck_assert_int_eq(dm_tokenizer_vocab_size(t), 700);
  /* 256 byte tokens, id = byte */
  for (int c = 0; c < 256; c++) {
    size_t n;
    const char *p = dm_tokenizer_token_bytes(t, c, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq((unsigned char)p[0], c);
  }
  /* specials at the end, recognised by the config */
  const char *sp[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>"};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(dm_tokenizer_token_id(t, sp[i]), 696 + i);
    ck_assert(dm_tokenizer_token_flags(t, 696 + i) & DM_TOKEN_SPECIAL);
  }
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_MASK), 699);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_EOS), 696);
  ck_assert_int_eq(dm_tokenizer_special_id(t, DM_SPECIAL_EOT), 698);
  ck_assert_int_eq(dm_tokenizer_chat_family(t), DM_CHAT_CHATML);
  /* training learnt the frequent words: " the" and "diffusion" are one token each */
  int32_t ids[64];
  ck_assert_int_eq(dm_tokenizer_encode(t, " the", 4, 0, ids, 64, NULL), 1);
  ck_assert_int_eq(dm_tokenizer_encode(t, " model", 6, 0, ids, 64, NULL), 1);
  /* random byte strings: valid UTF-8 comes back as is, invalid with U+FFFD */
  g_rng = 12345;
  char x[256], want[1024], got[1024];
  int32_t *v = malloc(4096 * sizeof *v);
  for (int it = 0; it < 3000; it++) {
    size_t n = (size_t)(rnd() % 64);
    int mode = it % 3;
    for (size_t i = 0; i < n; i++) {
      uint64_t r = rnd();
      x[i] = mode == 0 ? (char)(r & 0xFF) : mode == 1 ? (char)(0x20 + r % 95) : (char)(r % 4 ? 'a' + r % 26 : 0x80 + r % 64);
    }
    long k = dm_tokenizer_encode(t, x, n, 0, v, 4096, NULL);
    ck_assert_int_ge(k, 0);
    ck_assert_int_le(k, (long)(3 * n));
    long d = dm_tokenizer_decode(t, v, (size_t)k, 0, got, sizeof got, NULL);
    size_t wn = sanitize_ref((const unsigned char *)x, n, want);
    ck_assert_int_eq(d, (long)wn);
    ck_assert_msg(memcmp(got, want, wn) == 0, "round trip %d differs", it);
  }
  free(v);
  dm_tokenizer_free(t);
  dm_bpe_free(b);
}
END_TEST

START_TEST(deterministic) {
  size_t len;
  char *text = make_corpus(3, 100000, &len);
  char *j[2][2];
  for (int r = 0; r < 2; r++) {
    dm_bpe *b = train(text, len, 600);
    ck_assert_int_eq(dm_bpe_to_json(b, &j[r][0], &j[r][1], NULL), 0);
    dm_bpe_free(b);
  }
  ck_assert_str_eq(j[0][0], j[1][0]);
  ck_assert_str_eq(j[0][1], j[1][1]);
  /* another corpus gives other merges (the test can fail) */
  free(text);
  text = make_corpus(4, 100000, &len);
  dm_bpe *b = train(text, len, 600);
  char *other;
  ck_assert_int_eq(dm_bpe_to_json(b, &other, NULL, NULL), 0);
  ck_assert_str_ne(other, j[0][0]);
  free(other);
  dm_bpe_free(b);
  free(text);
  for (int r = 0; r < 2; r++) {
    free(j[r][0]);
    free(j[r][1]);
  }
}
END_TEST

START_TEST(write_and_load) {
  size_t len;
  char *text = make_corpus(9, 50000, &len);
  char dir[] = "/tmp/dimple-bpe.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char corpus[256], out[256], path[300];
  snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
  snprintf(out, sizeof out, "%s/tok", dir);
  FILE *f = fopen(corpus, "wb");
  fwrite(text, 1, len, f);
  fclose(f);
  free(text);
  dm_bpe_params p;
  dm_bpe_default_params(&p);
  p.vocab_size = 512;
  const char *extra[] = {"<|im_end|>", "<tool>"}; /* a repeat is ignored */
  p.specials = extra;
  p.n_specials = 2;
  dm_bpe *b = NULL;
  dm_error err;
  ck_assert_int_eq(dm_bpe_create(&p, &b, &err), 0);
  ck_assert_int_eq(dm_bpe_add_file(b, corpus, &err), 0);
  ck_assert_int_eq(dm_bpe_train(b, &err), 0);
  ck_assert_int_eq(dm_bpe_write(b, out, &err), 0);
  dm_bpe_free(b);
  dm_tokenizer *t = NULL;
  ck_assert_int_eq(dm_tokenizer_load(out, &t, &err), 0);
  ck_assert_int_eq(dm_tokenizer_vocab_size(t), 512);
  ck_assert_int_eq(dm_tokenizer_token_id(t, "<tool>"), 511);
  ck_assert_int_eq(dm_tokenizer_token_id(t, "<|mask|>"), 510);
  int32_t ids[8];
  ck_assert_int_eq(dm_tokenizer_encode(t, "<tool>", 6, DM_TOKENIZE_PARSE_SPECIAL, ids, 8, NULL), 1);
  dm_tokenizer_free(t);
  snprintf(path, sizeof path, "%s/tokenizer.json", out);
  unlink(path);
  snprintf(path, sizeof path, "%s/tokenizer_config.json", out);
  unlink(path);
  rmdir(out);
  unlink(corpus);
  rmdir(dir);
}
END_TEST

START_TEST(errors) {
  dm_bpe_params p;
  dm_bpe_default_params(&p);
  dm_bpe *b = (dm_bpe *)1;
  dm_error err;
  p.vocab_size = 259;
  ck_assert_int_eq(dm_bpe_create(&p, &b, &err), DM_ERANGE);
  ck_assert_ptr_null(b);
  ck_assert_str_eq(err.where, "vocab_size");
  p.vocab_size = 260; /* 256 + the four specials: no merges */
  ck_assert_int_eq(dm_bpe_create(&p, &b, &err), 0);
  ck_assert_int_eq(dm_bpe_add_file(b, "/nonexistent/corpus.txt", &err), DM_ENOENT);
  ck_assert_str_eq(err.source, "/nonexistent/corpus.txt");
  ck_assert_int_eq(dm_bpe_add_text(b, "hello hello", 11, &err), 0);
  ck_assert_int_eq(dm_bpe_train(b, &err), 0);
  ck_assert_int_eq(dm_bpe_write(b, "/nonexistent/dir/out", &err), DM_EIO);
  dm_bpe_stats st;
  dm_bpe_stats_get(b, &st);
  ck_assert_int_eq(st.vocab_size, 260);
  ck_assert_int_eq(st.merges, 0);
  dm_bpe_free(b);
  dm_bpe_free(NULL);
  /* a small corpus stops early at min_count */
  p.vocab_size = 1000;
  ck_assert_int_eq(dm_bpe_create(&p, &b, &err), 0);
  ck_assert_int_eq(dm_bpe_add_text(b, "ab ab cd", 8, &err), 0);
  ck_assert_int_eq(dm_bpe_train(b, &err), 0);
  dm_bpe_stats_get(b, &st);
  ck_assert_int_eq(st.merges, 1); /* "a b" (twice); then every pair occurs once < 2 */
  dm_bpe_free(b);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("bpe");
  TCase *tc = tcase_create("bpe");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, hand_computed_merges);
  tcase_add_test(tc, random_small_corpora);
  tcase_add_test(tc, matches_reference_twin);
  tcase_add_test(tc, pre_tokenize_words);
  tcase_add_test(tc, trained_tokenizer_round_trips);
  tcase_add_test(tc, deterministic);
  tcase_add_test(tc, write_and_load);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  return s;
}

#include "../checkmain.h"

int main(void) { return dm_test_failures(suite()) ? EXIT_FAILURE : EXIT_SUCCESS; }
