/* Regexes of tokenizer.json (Split pre-tokenizer, Replace normalizer) compiled with
 * PCRE2 (UTF + UCP, JIT when available).
 *
 * The patterns are written for Oniguruma (Hugging Face, Rust); the oracle we match
 * id for id is @lenml/tokenizers, which runs them as JavaScript regexes with the u
 * flag. The two differ only in the meaning of a few escapes, so the pattern is
 * rewritten to say exactly what JavaScript means:
 *   \s  JavaScript's WhiteSpace + LineTerminator set (U+0009-000D, U+0020, U+00A0,
 *       U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF);
 *       Oniguruma's \s has U+0085 and not U+FEFF: those two code points are where
 *       Hugging Face (Rust) and the oracle disagree, and we follow the oracle.
 *   \d  [0-9]; \w [A-Za-z0-9_] (JavaScript's ASCII meanings)
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)  the explicit [sS]... form the oracle uses (so
 *       U+017F LATIN SMALL LETTER LONG S does not match 's' caselessly).
 */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

#define JS_SPACE "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"

static const char *contraction_onig = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
static const char *contraction_js = "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))";

static int put(tk_buf *b, const char *s) { return tk_buf_put(b, s, strlen(s)); }

/* Rewrite `pat` into `out` (see the file comment). */
static int rewrite(const char *pat, tk_buf *out) {
  size_t n = strlen(pat), cl = strlen(contraction_onig);
  int in_class = 0;
  for (size_t i = 0; i < n;) {
    if (!in_class && n - i >= cl && memcmp(pat + i, contraction_onig, cl) == 0) {
      if (put(out, contraction_js)) return DM_ENOMEM;
      i += cl;
      continue;
    }
    char c = pat[i];
    if (c == '\\' && i + 1 < n) {
      char e = pat[i + 1];
      const char *rep = NULL;
      if (!in_class) {
        switch (e) {
          case 's': rep = "[" JS_SPACE "]"; break;
          case 'S': rep = "[^" JS_SPACE "]"; break;
          case 'd': rep = "[0-9]"; break;
          case 'D': rep = "[^0-9]"; break;
          case 'w': rep = "[A-Za-z0-9_]"; break;
          case 'W': rep = "[^A-Za-z0-9_]"; break;
          default: break;
        }
      } else {
        switch (e) {
          case 's': rep = JS_SPACE; break;
          case 'd': rep = "0-9"; break;
          case 'w': rep = "A-Za-z0-9_"; break;
          default: break;
        }
      }
      if (rep) {
        if (put(out, rep)) return DM_ENOMEM;
      } else if (tk_buf_put(out, pat + i, 2)) {
        return DM_ENOMEM;
      }
      i += 2;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = 1;
      if (tk_buf_put(out, pat + i, 1)) return DM_ENOMEM;
      i++;
      /* a ']' right after '[' or '[^' is literal */
      if (i < n && pat[i] == '^') {
        if (tk_buf_put(out, pat + i, 1)) return DM_ENOMEM;
        i++;
      }
      if (i < n && pat[i] == ']') {
        if (tk_buf_put(out, pat + i, 1)) return DM_ENOMEM;
        i++;
      }
      continue;
    }
    if (in_class && c == '[' && i + 1 < n && pat[i + 1] == ':') {
      /* POSIX class [:alpha:] inside a class: copy through its closing ":]" */
      const char *end = strstr(pat + i + 2, ":]");
      size_t l = end ? (size_t)(end - (pat + i)) + 2 : 1;
      if (tk_buf_put(out, pat + i, l)) return DM_ENOMEM;
      i += l;
      continue;
    }
    if (in_class && c == ']') in_class = 0;
    if (tk_buf_put(out, pat + i, 1)) return DM_ENOMEM;
    i++;
  }
  return 0;
}

pcre2_code *tk_regex_compile(const char *pattern, const char *ptr, dm_error *err) {
  tk_buf b = {0};
  if (rewrite(pattern, &b) || tk_buf_put(&b, "", 0)) {
    tk_buf_free(&b);
    dm_error_set_named(err, DM_ENOMEM, ptr, "out of memory compiling a regex");
    return NULL;
  }
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)b.p, b.len, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
  tk_buf_free(&b);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    dm_error_set_named(err, DM_ETOKENIZER, ptr, "cannot compile regex \"%.120s\": %s", pattern,
                       (const char *)msg);
    return NULL;
  }
  /* JIT is an optimisation: when it is not available the interpreter runs. */
  (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  return re;
}
