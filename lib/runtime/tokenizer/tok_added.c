/* Added tokens: finding them in the text (longest match at the leftmost position, as
 * Hugging Face's added-vocabulary matcher does). */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tok_internal.h"

/* Sort by first byte, longest first within a byte (insertion sort: added-token
 * lists are short, tens to a few hundred). */
int tk_added_prepare(dm_tokenizer *t) {
  size_t n = t->n_added;
  for (size_t i = 1; i < n; i++) {
    tk_added x = t->added[i];
    unsigned char xf = (unsigned char)t->pool.p[x.off];
    size_t j = i;
    while (j > 0) {
      const tk_added *y = &t->added[j - 1];
      unsigned char yf = (unsigned char)t->pool.p[y->off];
      if (yf < xf || (yf == xf && y->len >= x.len)) break;
      t->added[j] = t->added[j - 1];
      j--;
    }
    t->added[j] = x;
  }
  memset(t->added_bucket, 0, sizeof t->added_bucket);
  for (size_t i = 0; i < n; i++) t->added_bucket[(unsigned char)t->pool.p[t->added[i].off] + 1]++;
  for (int b = 0; b < 256; b++) t->added_bucket[b + 1] += t->added_bucket[b];
  for (size_t i = 0; i < n; i++)
    if (t->added[i].normalized) t->has_normalized_added = 1;
  return 0;
}

static int is_word_cp(uint32_t cp) {
  if (cp == '_') return 1;
  utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
  return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
         (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static int word_before(const char *s, size_t at) {
  if (at == 0) return 0;
  size_t i = at - 1;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  size_t adv;
  return is_word_cp(tk_utf8_decode(s + i, at - i, &adv));
}

static int word_after(const char *s, size_t n, size_t at) {
  if (at >= n) return 0;
  size_t adv;
  return is_word_cp(tk_utf8_decode(s + at, n - at, &adv));
}

long tk_added_find(const dm_tokenizer *t, const char *s, size_t n, size_t from, int parse_special,
                   int want_normalized, size_t *at) {
  if (!t->n_added) return -1;
  for (size_t i = from; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    uint32_t a = t->added_bucket[c], b = t->added_bucket[c + 1];
    for (uint32_t k = a; k < b; k++) {
      const tk_added *x = &t->added[k];
      if (x->len > n - i || (x->special && !parse_special) || x->normalized != want_normalized) continue;
      if (memcmp(s + i, t->pool.p + x->off, x->len) != 0) continue;
      if (x->single_word && (word_before(s, i) || word_after(s, n, i + x->len))) continue;
      *at = i;
      return (long)k;
    }
  }
  return -1;
}
