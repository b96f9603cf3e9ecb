/* The any-order guarantee for regexes and templates on real vocabularies (Qwen3 and
 * Llama 3 from the npm cache): random patterns become canvases, random commit orders
 * with random allowed tokens always finish, and the text (filler dropped) is a
 * whole-string match for PCRE2 in UTF mode — an oracle independent of our DFAs.
 * Templates mix literal text with slots typed by random inline regexes or word
 * lists; the oracle is the template spelled as one PCRE2 pattern. SKIP (77)
 * without the npm cache. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/dimple.h>

#define TEST_RNG_SEED 4242
#include "../testrng.h"
#include "../realvocab.h"
#include "regexgen.h"


/* Fill every mask of c in a random order with a random allowed token. */
static void fill(dm_canvas *c, uint64_t *bits, const char *what) {
  int32_t n = dm_canvas_length(c);
  int32_t *order = malloc((size_t)(n ? n : 1) * sizeof *order);
  for (int32_t i = 0; i < n; i++) order[i] = i;
  for (int32_t i = n - 1; i > 0; i--) {
    int32_t j = (int32_t)(rnd() % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (int32_t i = 0; i < n; i++) {
    int32_t pos = order[i];
    if (dm_canvas_token(c, pos) >= 0) continue;
    int32_t cnt = dm_canvas_allowed(c, pos, bits);
    ck_assert_msg(cnt > 0, "%s: no token allowed at %d: the canvas is stuck", what, pos);
    int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), tok = -1;
    for (size_t w = 0; tok < 0; w++)
      for (uint64_t b = bits[w]; b; b &= b - 1)
        if (pick-- == 0) { tok = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b)); break; }
    ck_assert_msg(dm_canvas_commit(c, pos, tok) == DM_OK, "%s: commit of an allowed token refused", what);
  }
  ck_assert_int_eq(dm_canvas_masks_left(c), 0);
  free(order);
}

static void check_text(dm_canvas *c, pcre2_code *code, pcre2_match_data *md, const char *what) {
  static char text[1 << 16];
  long len = dm_canvas_text(c, NULL, 1, text, sizeof text);
  ck_assert_int_ge(len, 0);
  buf s;
  ck_assert((size_t)len < sizeof s.s);
  memcpy(s.s, text, (size_t)len);
  s.n = (size_t)len;
  s.s[len] = 0;
  int r = pcre_full_match(code, md, &s);
  ck_assert_msg(r != 0, "%s: PCRE2 rejects the filled text \"%s\"", what, text);
}

/* Append literal text (escaped for PCRE2) and the same text for the template. */
static void literal(buf *tmpl, buf *re) {
  static const char *words[] = {"Answer: ", " and ", "x=", "; ", "é ", "中", "(", ")", ".", " "};
  const char *w = words[rn((int)(sizeof words / sizeof words[0]))];
  put(tmpl, w);
  for (const char *p = w; *p; p++) {
    char ch[3] = {0};
    if (strchr("\\.[](){}*+?|^$", *p)) { ch[0] = '\\'; ch[1] = *p; }
    else ch[0] = *p;
    put(re, ch);
  }
}

START_TEST(regexes_and_templates_real_vocab) {
  dm_tokenizer *tok = NULL;
  dm_prior_env *env = NULL;
  dm_error e;
  ck_assert_msg(dm_tokenizer_load(dm_real_vocab_path[_i], &tok, &e) == DM_OK, "%s", e.message);
  ck_assert_msg(dm_prior_env_new(tok, &env, &e) == DM_OK, "%s", e.message);
  uint64_t *bits = malloc(dm_tokenizer_vocab_size(tok) / 64 * 8 + 64);
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  pcre2_match_data *md = pcre2_match_data_create(64, NULL);
  int regexes = 0, templates = 0, refused = 0;
  for (int iter = 0; iter < 160; iter++) {
    buf pat = {{0}, 0};
    gen_alt(&pat, 0);
    dm_canvas *c = NULL;
    if (dm_canvas_from_regex(env, pat.s, pat.n, NULL, &c, &e) != DM_OK) { refused++; continue; }
    fill(c, bits, pat.s);
    pcre2_code *code = pcre_compile(pat.s, cc);
    check_text(c, code, md, pat.s);
    pcre2_code_free(code);
    dm_canvas_free(c);
    regexes++;
  }
  for (int iter = 0; iter < 60; iter++) {
    buf tmpl = {{0}, 0}, re = {{0}, 0};
    int slots = 1 + rn(3);
    for (int k = 0; k < slots; k++) {
      if (rn(2)) literal(&tmpl, &re);
      char head[64];
      snprintf(head, sizeof head, "{{s%d:", k);
      put(&tmpl, head);
      put(&re, "(?:");
      if (rn(3) == 0) {
        static const char *alts[] = {"yes|no", "red|green|blue", "A|B|C|D", "up|down"};
        const char *a = alts[rn(4)];
        put(&tmpl, a);
        put(&re, a);
      } else {
        buf inner = {{0}, 0};
        gen_alt(&inner, 1);
        put(&tmpl, "/");
        for (size_t i = 0; i < inner.n; i++) { /* a slash inside the pattern is written \/ */
          char ch[3] = {inner.s[i], 0, 0};
          if (inner.s[i] == '/') { ch[0] = '\\'; ch[1] = '/'; }
          put(&tmpl, ch);
        }
        put(&tmpl, "/");
        put(&re, inner.s);
      }
      put(&re, ")");
      if (rn(2)) {
        char budget[16];
        snprintf(budget, sizeof budget, " <=%d", 4 + rn(9));
        put(&tmpl, budget);
      }
      put(&tmpl, "}}");
    }
    if (rn(2)) literal(&tmpl, &re);
    dm_canvas *c = NULL;
    if (dm_canvas_from_template(env, tmpl.s, tmpl.n, NULL, &c, &e) != DM_OK) { refused++; continue; }
    fill(c, bits, tmpl.s);
    pcre2_code *code = pcre_compile(re.s, cc);
    check_text(c, code, md, tmpl.s);
    pcre2_code_free(code);
    dm_canvas_free(c);
    templates++;
  }
  printf("%s: %d regexes and %d templates filled in random orders, all matched by PCRE2 (%d refused: empty "
         "language or no value within the budget)\n",
         dm_real_vocab_name(_i), regexes, templates, refused);
  ck_assert_int_ge(regexes, 100);
  ck_assert_int_ge(templates, 30);
  pcre2_match_data_free(md);
  pcre2_compile_context_free(cc);
  free(bits);
  dm_prior_env_free(env);
  dm_tokenizer_free(tok);
}
END_TEST

int main(void) { return dm_test_main_real_vocabs("prior/anyorder_regex", regexes_and_templates_real_vocab); }
