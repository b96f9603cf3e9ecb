/* A small JSON scanner for the two big parts of tokenizer.json, model.vocab
 * (~150k entries) and model.merges (~150k-280k entries). Building a cJSON tree of
 * them costs a malloc per node and most of the load time, so they are cut out of the
 * text before cJSON parses the rest, and read here straight into the tokenizer.
 * Every read is bounds-checked: truncated or corrupt text gives an error with the
 * byte offset, never a read past the end. */
#include <string.h>

#include "tok_internal.h"

static void skip_ws(const char *s, size_t n, size_t *i) {
  while (*i < n && (s[*i] == ' ' || s[*i] == '\n' || s[*i] == '\r' || s[*i] == '\t')) (*i)++;
}

static int skip_string(const char *s, size_t n, size_t *i) {
  if (*i >= n || s[*i] != '"') return -1;
  size_t k = *i + 1;
  while (k < n) {
    const char *q = memchr(s + k, '"', n - k);
    if (!q) return -1;
    size_t e = (size_t)(q - s), bs = 0;
    while (e - bs > k && s[e - bs - 1] == '\\') bs++;
    if (bs % 2 == 0) { /* not escaped */
      *i = e + 1;
      return 0;
    }
    k = e + 1;
  }
  return -1;
}

/* Skip one value (structure checked only for balance). */
static int skip_value(const char *s, size_t n, size_t *i) {
  skip_ws(s, n, i);
  if (*i >= n) return -1;
  char c = s[*i];
  if (c == '"') return skip_string(s, n, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (*i < n) {
      c = s[*i];
      if (c == '"') {
        if (skip_string(s, n, i)) return -1;
        continue;
      }
      if (c == '{' || c == '[') depth++;
      else if (c == '}' || c == ']') {
        if (--depth == 0) {
          (*i)++;
          return 0;
        }
      }
      (*i)++;
    }
    return -1;
  }
  size_t st = *i;
  while (*i < n && !strchr(",}] \t\r\n", s[*i])) (*i)++;
  return *i > st ? 0 : -1;
}

static int hex4(const char *s, uint32_t *v) {
  uint32_t x = 0;
  for (int k = 0; k < 4; k++) {
    char c = s[k];
    x <<= 4;
    if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') x |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') x |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  *v = x;
  return 0;
}

/* Read a string at s[*i] (the opening quote) and append its unescaped bytes to out
 * (no NUL added). Lone surrogates become U+FFFD. */
int tk_json_string(const char *s, size_t n, size_t *i, tk_buf *out) {
  if (*i >= n || s[*i] != '"') return -1;
  size_t k = *i + 1, run = k;
  if (tk_buf_reserve(out, 64)) return DM_ENOMEM;
  while (k < n) {
    char c = s[k];
    if (c == '"') {
      if (tk_buf_put(out, s + run, k - run)) return DM_ENOMEM;
      *i = k + 1;
      return 0;
    }
    if ((unsigned char)c < 0x20) return -1;
    if (c != '\\') {
      k++;
      continue;
    }
    if (tk_buf_put(out, s + run, k - run)) return DM_ENOMEM;
    if (k + 1 >= n) return -1;
    char e = s[k + 1], ch;
    k += 2;
    switch (e) {
      case '"': ch = '"'; break;
      case '\\': ch = '\\'; break;
      case '/': ch = '/'; break;
      case 'b': ch = '\b'; break;
      case 'f': ch = '\f'; break;
      case 'n': ch = '\n'; break;
      case 'r': ch = '\r'; break;
      case 't': ch = '\t'; break;
      case 'u': {
        uint32_t cp, lo;
        if (k + 4 > n || hex4(s + k, &cp)) return -1;
        k += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && k + 6 <= n && s[k] == '\\' && s[k + 1] == 'u' &&
            !hex4(s + k + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          k += 6;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        char u[4];
        if (tk_buf_put(out, u, tk_utf8_encode(cp, u))) return DM_ENOMEM;
        run = k;
        continue;
      }
      default: return -1;
    }
    if (tk_buf_put(out, &ch, 1)) return DM_ENOMEM;
    run = k;
  }
  return -1;
}

/* Find the value spans of "model": {"vocab": ..., "merges": ...} at the top level.
 * Spans stay {0,0} when not found (or when the text is not an object: cJSON then
 * reports the error). */
void tk_json_model_spans(const char *s, size_t n, tk_span *vocab, tk_span *merges) {
  vocab->off = vocab->len = merges->off = merges->len = 0;
  size_t i = 0;
  skip_ws(s, n, &i);
  if (i >= n || s[i] != '{') return;
  i++;
  for (;;) {
    skip_ws(s, n, &i);
    if (i >= n || s[i] != '"') return;
    size_t ks = i;
    if (skip_string(s, n, &i)) return;
    int is_model = i - ks == 7 && memcmp(s + ks, "\"model\"", 7) == 0;
    skip_ws(s, n, &i);
    if (i >= n || s[i] != ':') return;
    i++;
    skip_ws(s, n, &i);
    if (is_model && i < n && s[i] == '{') {
      i++;
      for (;;) {
        skip_ws(s, n, &i);
        if (i >= n || s[i] != '"') return;
        size_t ms = i;
        if (skip_string(s, n, &i)) return;
        size_t ml = i - ms;
        skip_ws(s, n, &i);
        if (i >= n || s[i] != ':') return;
        i++;
        skip_ws(s, n, &i);
        size_t vs = i;
        if (skip_value(s, n, &i)) return;
        if (ml == 7 && memcmp(s + ms, "\"vocab\"", 7) == 0 && s[vs] == '{') {
          vocab->off = vs;
          vocab->len = i - vs;
        } else if (ml == 8 && memcmp(s + ms, "\"merges\"", 8) == 0 && s[vs] == '[') {
          merges->off = vs;
          merges->len = i - vs;
        }
        skip_ws(s, n, &i);
        if (i < n && s[i] == ',') {
          i++;
          continue;
        }
        if (i < n && s[i] == '}') {
          i++;
          break;
        }
        return;
      }
    } else if (skip_value(s, n, &i)) {
      return;
    }
    skip_ws(s, n, &i);
    if (i < n && s[i] == ',') {
      i++;
      continue;
    }
    return;
  }
}

/* Iterate the entries of the vocab object in s[span]: calls fn(key, key_len, id,
 * offset) for each; fn returns 0 to go on. Returns 0, a DM_E* from fn, or -1 with
 * *bad_at set for a syntax error. */
int tk_json_vocab(const char *s, tk_span sp, tk_buf *scratch, tk_vocab_fn fn, void *ctx, size_t *bad_at) {
  size_t i = sp.off + 1, n = sp.off + sp.len;
  skip_ws(s, n, &i);
  if (i < n && s[i] == '}') return 0;
  for (;;) {
    skip_ws(s, n, &i);
    size_t at = i;
    scratch->len = 0;
    int rc = tk_json_string(s, n, &i, scratch);
    if (rc) {
      *bad_at = at;
      return rc == DM_ENOMEM ? rc : -1;
    }
    skip_ws(s, n, &i);
    if (i >= n || s[i] != ':') break;
    i++;
    skip_ws(s, n, &i);
    size_t ns = i;
    long v = 0;
    int digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 10) {
      v = v * 10 + (s[i] - '0');
      i++;
      digits++;
    }
    if (!digits || (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || (s[i] >= '0' && s[i] <= '9')))) {
      *bad_at = ns;
      return -2; /* not an id */
    }
    if (tk_buf_put(scratch, "", 0)) return DM_ENOMEM;
    if ((rc = fn(ctx, scratch->p, scratch->len, v, at))) return rc;
    skip_ws(s, n, &i);
    if (i < n && s[i] == ',') {
      i++;
      continue;
    }
    if (i < n && s[i] == '}') return 0;
    break;
  }
  *bad_at = i < n ? i : n;
  return -1;
}

/* Iterate the merges array in s[span]: fn(a, al, b, bl, rank, offset). Entries are
 * "a b" strings or ["a", "b"] pairs. Errors as tk_json_vocab (-2: an entry of the
 * wrong shape). */
int tk_json_merges(const char *s, tk_span sp, tk_buf *scratch, tk_merge_fn fn, void *ctx, size_t *bad_at) {
  size_t i = sp.off + 1, n = sp.off + sp.len, rank = 0;
  skip_ws(s, n, &i);
  if (i < n && s[i] == ']') return 0;
  for (;; rank++) {
    skip_ws(s, n, &i);
    size_t at = i;
    scratch->len = 0;
    size_t al, bl;
    int rc;
    if (i < n && s[i] == '"') {
      if ((rc = tk_json_string(s, n, &i, scratch))) {
        *bad_at = at;
        return rc == DM_ENOMEM ? rc : -1;
      }
      char *sp2 = memchr(scratch->p, ' ', scratch->len);
      if (!sp2 || sp2 == scratch->p || sp2 == scratch->p + scratch->len - 1) {
        *bad_at = at;
        return -2;
      }
      al = (size_t)(sp2 - scratch->p);
      bl = scratch->len - al - 1;
      if ((rc = fn(ctx, scratch->p, al, sp2 + 1, bl, rank, at))) return rc;
    } else if (i < n && s[i] == '[') {
      i++;
      skip_ws(s, n, &i);
      if (i >= n || s[i] != '"') {
        *bad_at = i < n ? i : n;
        return -2;
      }
      if ((rc = tk_json_string(s, n, &i, scratch))) {
        *bad_at = at;
        return rc == DM_ENOMEM ? rc : -1;
      }
      al = scratch->len;
      skip_ws(s, n, &i);
      if (i >= n || s[i] != ',') {
        *bad_at = i < n ? i : n;
        return -2;
      }
      i++;
      skip_ws(s, n, &i);
      if (i >= n || s[i] != '"') {
        *bad_at = i < n ? i : n;
        return -2;
      }
      if ((rc = tk_json_string(s, n, &i, scratch))) {
        *bad_at = at;
        return rc == DM_ENOMEM ? rc : -1;
      }
      bl = scratch->len - al;
      skip_ws(s, n, &i);
      if (i >= n || s[i] != ']') {
        *bad_at = i < n ? i : n;
        return -2;
      }
      i++;
      if ((rc = fn(ctx, scratch->p, al, scratch->p + al, bl, rank, at))) return rc;
    } else {
      *bad_at = i < n ? i : n;
      return -2;
    }
    skip_ws(s, n, &i);
    if (i < n && s[i] == ',') {
      i++;
      continue;
    }
    if (i < n && s[i] == ']') return 0;
    break;
  }
  *bad_at = i < n ? i : n;
  return -1;
}
