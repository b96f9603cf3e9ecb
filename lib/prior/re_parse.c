/* Regex parser: pattern text → syntax tree (dialect in re.h). Recursive descent;
 * every error names its byte offset. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "re.h"
#include "re_class.h"

#define MAX_DEPTH 500
#define MAX_COUNT 65535

typedef struct parser {
  const char *s;
  size_t len, pos;
  dm_re *re;
  dm_error *err;
  int depth;
  int rc;
} parser;

static dm_re_node *parse_alt(parser *p);

static int fail(parser *p, int code, size_t at, const char *msg) {
  if (p->rc == DM_OK) {
    p->rc = code;
    dm_error_set_at(p->err, code, p->s, p->len, at, "%s", msg);
  }
  return code;
}

static bool eof(const parser *p) { return p->pos >= p->len; }
static int peek(const parser *p) { return eof(p) ? -1 : (unsigned char)p->s[p->pos]; }
static int peek_at(const parser *p, size_t k) {
  return p->pos + k >= p->len ? -1 : (unsigned char)p->s[p->pos + k];
}

/* Decode one UTF-8 code point at p->pos; -1 on invalid input (error set). */
static int32_t read_utf8(parser *p) {
  const unsigned char *s = (const unsigned char *)p->s + p->pos;
  size_t left = p->len - p->pos;
  uint32_t c = s[0];
  int n;
  if (c < 0x80) n = 1;
  else if ((c & 0xE0) == 0xC0) { n = 2; c &= 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; c &= 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; c &= 0x07; }
  else { fail(p, DM_ESYNTAX, p->pos, "invalid UTF-8 in pattern"); return -1; }
  if ((size_t)n > left) { fail(p, DM_ESYNTAX, p->pos, "truncated UTF-8 in pattern"); return -1; }
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) { fail(p, DM_ESYNTAX, p->pos, "invalid UTF-8 in pattern"); return -1; }
    c = (c << 6) | (s[i] & 0x3F);
  }
  static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min_for_len[n] || c > DM_CP_MAX || (c >= 0xD800 && c <= 0xDFFF)) {
    fail(p, DM_ESYNTAX, p->pos, "invalid UTF-8 in pattern");
    return -1;
  }
  p->pos += (size_t)n;
  return (int32_t)c;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Shorthand classes \d \w \s (and \D \W \S when neg). */
static int add_shorthand(dm_cpset *set, int letter) {
  dm_cpset t = {0};
  int rc = DM_OK;
  switch (letter | 0x20) {
    case 'd': rc = dm_cpset_add(&t, '0', '9'); break;
    case 'w':
      rc = dm_cpset_add(&t, '0', '9');
      if (!rc) rc = dm_cpset_add(&t, 'A', 'Z');
      if (!rc) rc = dm_cpset_add(&t, 'a', 'z');
      if (!rc) rc = dm_cpset_add(&t, '_', '_');
      break;
    case 's':
      rc = dm_cpset_add(&t, '\t', '\r');
      if (!rc) rc = dm_cpset_add(&t, ' ', ' ');
      break;
  }
  if (!rc && letter >= 'A' && letter <= 'Z') rc = dm_cpset_negate(&t);
  if (!rc) rc = dm_cpset_add_set(set, &t);
  dm_cpset_free(&t);
  return rc;
}

typedef enum { ESC_CHAR, ESC_CLASS, ESC_ANCHOR_START, ESC_ANCHOR_END } esc_kind;

/* Parse an escape after the backslash (p->pos at the char after '\').
 * Sets *cp for ESC_CHAR, *letter for ESC_CLASS. Returns -1 on error. */
static int parse_escape(parser *p, bool in_class, int32_t *cp, int *letter) {
  size_t at = p->pos - 1;
  if (eof(p)) return fail(p, DM_ESYNTAX, at, "pattern ends with a lone backslash"), -1;
  int c = peek(p);
  if (c >= 0x80) {
    int32_t u = read_utf8(p);
    if (u < 0) return -1;
    *cp = u;
    return ESC_CHAR;
  }
  p->pos++;
  switch (c) {
    case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
      *letter = c;
      return ESC_CLASS;
    case 'n': *cp = '\n'; return ESC_CHAR;
    case 'r': *cp = '\r'; return ESC_CHAR;
    case 't': *cp = '\t'; return ESC_CHAR;
    case 'f': *cp = '\f'; return ESC_CHAR;
    case 'a': *cp = 7; return ESC_CHAR;
    case 'e': *cp = 27; return ESC_CHAR;
    case '0': {
      int v = 0;
      for (int i = 0; i < 2 && peek(p) >= '0' && peek(p) <= '7'; i++) v = v * 8 + (p->s[p->pos++] - '0');
      *cp = v;
      return ESC_CHAR;
    }
    case 'x': {
      uint32_t v = 0;
      if (peek(p) == '{') {
        size_t start = ++p->pos;
        while (hexval(peek(p)) >= 0) {
          v = v * 16 + (uint32_t)hexval(peek(p));
          if (v > DM_CP_MAX) return fail(p, DM_ESYNTAX, at, "code point in \\x{...} is too large"), -1;
          p->pos++;
        }
        if (peek(p) != '}' || p->pos == start)
          return fail(p, DM_ESYNTAX, at, "malformed \\x{...} escape"), -1;
        p->pos++;
      } else {
        for (int i = 0; i < 2 && hexval(peek(p)) >= 0; i++) v = v * 16 + (uint32_t)hexval(p->s[p->pos++]);
      }
      if (v >= 0xD800 && v <= 0xDFFF)
        return fail(p, DM_ESYNTAX, at, "surrogate code point is not a character"), -1;
      *cp = (int32_t)v;
      return ESC_CHAR;
    }
    case 'u': {
      uint32_t v = 0;
      for (int i = 0; i < 4; i++) {
        if (hexval(peek(p)) < 0) return fail(p, DM_ESYNTAX, at, "\\u needs four hex digits"), -1;
        v = v * 16 + (uint32_t)hexval(p->s[p->pos++]);
      }
      if (v >= 0xD800 && v <= 0xDFFF)
        return fail(p, DM_ESPEC, at, "surrogate \\u escapes are not supported"), -1;
      *cp = (int32_t)v;
      return ESC_CHAR;
    }
    case 'b':
      if (in_class) { *cp = 8; return ESC_CHAR; }
      return fail(p, DM_ESPEC, at, "word boundary \\b is not supported (not expressible as a slot language)"), -1;
    case 'B':
      return fail(p, DM_ESPEC, at, "\\B is not supported"), -1;
    case 'A':
      if (in_class) break;
      return ESC_ANCHOR_START;
    case 'z':
      if (in_class) break;
      return ESC_ANCHOR_END;
    case 'p': case 'P':
      return fail(p, DM_ESPEC, at, "Unicode properties (\\p, \\P) are not supported yet"), -1;
    case 'k': case 'g':
      return fail(p, DM_ESPEC, at, "backreferences are not supported (not a regular language)"), -1;
    default:
      if (c >= '1' && c <= '9')
        return fail(p, DM_ESPEC, at, "backreferences are not supported (not a regular language)"), -1;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) break;
      *cp = c; /* escaped punctuation or symbol: itself */
      return ESC_CHAR;
  }
  return fail(p, DM_ESPEC, at, "unsupported escape sequence"), -1;
}

static const struct { const char *name; const char *ranges; } posix_classes[] = {
  {"alpha", "AZaz"}, {"digit", "09"}, {"alnum", "09AZaz"}, {"upper", "AZ"},
  {"lower", "az"}, {"space", "\t\r  "}, {"blank", "\t\t  "}, {"xdigit", "09AFaf"},
  {"word", "09AZaz__"}, {"punct", "!/:@[`{~"}, {"cntrl", "\x01\x1f\x7f\x7f"},
  {"print", " ~"}, {"graph", "!~"},
};

/* "[:name:]" at p->pos (after '['); returns 1 if consumed, 0 if not a POSIX class, -1 error. */
static int parse_posix(parser *p, dm_cpset *set) {
  if (peek(p) != '[' || peek_at(p, 1) != ':') return 0;
  size_t start = p->pos;
  size_t i = p->pos + 2;
  bool neg = false;
  if (i < p->len && p->s[i] == '^') { neg = true; i++; }
  size_t name = i;
  while (i < p->len && p->s[i] >= 'a' && p->s[i] <= 'z') i++;
  if (i + 1 >= p->len || p->s[i] != ':' || p->s[i + 1] != ']') return 0;
  for (size_t k = 0; k < sizeof posix_classes / sizeof posix_classes[0]; k++) {
    if (strlen(posix_classes[k].name) == i - name && memcmp(posix_classes[k].name, p->s + name, i - name) == 0) {
      dm_cpset t = {0};
      const char *r = posix_classes[k].ranges;
      int rc = DM_OK;
      if (r[0] == '\x01') rc = dm_cpset_add(&t, 0, 0x1f); /* cntrl includes NUL */
      for (size_t j = 0; !rc && r[j]; j += 2) rc = dm_cpset_add(&t, (unsigned char)r[j], (unsigned char)r[j + 1]);
      if (!rc && neg) rc = dm_cpset_negate(&t);
      if (!rc) rc = dm_cpset_add_set(set, &t);
      dm_cpset_free(&t);
      if (rc) return fail(p, rc, start, "out of memory"), -1;
      p->pos = i + 2;
      return 1;
    }
  }
  return fail(p, DM_ESPEC, start, "unknown POSIX class"), -1;
}

static dm_re_node *parse_class(parser *p) {
  size_t at = p->pos; /* at '[' */
  p->pos++;
  bool neg = false;
  if (peek(p) == '^') { neg = true; p->pos++; }
  dm_cpset set = {0};
  bool first = true;
  for (;;) {
    if (eof(p)) { fail(p, DM_ESYNTAX, at, "unterminated character class"); goto err; }
    int c = peek(p);
    if (c == ']' && !first) { p->pos++; break; }
    first = false;
    int pr = parse_posix(p, &set);
    if (pr < 0) goto err;
    if (pr > 0) continue;
    size_t item_at = p->pos;
    int32_t lo;
    if (c == '\\') {
      p->pos++;
      int letter = 0;
      int k = parse_escape(p, true, &lo, &letter);
      if (k < 0) goto err;
      if (k == ESC_CLASS) {
        if (add_shorthand(&set, letter)) { fail(p, DM_ENOMEM, item_at, "out of memory"); goto err; }
        if (peek(p) == '-' && peek_at(p, 1) != ']' && peek_at(p, 1) != -1) {
          fail(p, DM_ESPEC, p->pos, "a range cannot start at a class escape");
          goto err;
        }
        continue;
      }
      if (k != ESC_CHAR) { fail(p, DM_ESPEC, item_at, "anchor inside a character class"); goto err; }
    } else {
      lo = read_utf8(p);
      if (lo < 0) goto err;
    }
    int32_t hi = lo;
    if (peek(p) == '-' && peek_at(p, 1) != ']' && peek_at(p, 1) != -1) {
      p->pos++;
      size_t hi_at = p->pos;
      if (peek(p) == '\\') {
        p->pos++;
        int letter = 0;
        int k = parse_escape(p, true, &hi, &letter);
        if (k < 0) goto err;
        if (k != ESC_CHAR) { fail(p, DM_ESPEC, hi_at, "a range cannot end at a class escape"); goto err; }
      } else if (peek(p) == '[' && peek_at(p, 1) == ':') {
        fail(p, DM_ESPEC, hi_at, "a range cannot end at a POSIX class");
        goto err;
      } else {
        hi = read_utf8(p);
        if (hi < 0) goto err;
      }
      if (hi < lo) { fail(p, DM_ESYNTAX, item_at, "range out of order in character class"); goto err; }
    }
    if (dm_cpset_add(&set, (uint32_t)lo, (uint32_t)hi)) { fail(p, DM_ENOMEM, item_at, "out of memory"); goto err; }
  }
  if (neg && dm_cpset_negate(&set)) { fail(p, DM_ENOMEM, at, "out of memory"); goto err; }
  dm_cpset_normalize(&set);
  dm_re_node *node = dm_re_class(p->re, set.r, set.n);
  dm_cpset_free(&set);
  if (!node) fail(p, DM_ENOMEM, at, "out of memory");
  else node->offset = at;
  return node;
err:
  dm_cpset_free(&set);
  return NULL;
}

static dm_re_node *single_cp(parser *p, uint32_t cp, size_t at) {
  dm_cp_range r = {cp, cp};
  dm_re_node *n = dm_re_class(p->re, &r, 1);
  if (!n) fail(p, DM_ENOMEM, at, "out of memory");
  else n->offset = at;
  return n;
}

static dm_re_node *anchor(parser *p, size_t at, int which) {
  dm_re_node *n = dm_re_empty(p->re);
  if (!n) { fail(p, DM_ENOMEM, at, "out of memory"); return NULL; }
  n->kind = DM_RE_ANCHOR;
  n->min = which; /* 0: start, 1: end */
  n->offset = at;
  return n;
}

static dm_re_node *parse_group(parser *p) {
  size_t at = p->pos; /* at '(' */
  p->pos++;
  if (peek(p) == '?') {
    int c = peek_at(p, 1);
    if (c == ':') {
      p->pos += 2;
    } else if (c == 'P' && peek_at(p, 2) == '<') {
      p->pos += 3;
      goto named;
    } else if (c == '<' && peek_at(p, 2) != '=' && peek_at(p, 2) != '!') {
      p->pos += 2;
    named:
      while (!eof(p) && peek(p) != '>') {
        int k = peek(p);
        if (!((k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') || (k >= '0' && k <= '9') || k == '_')) {
          fail(p, DM_ESYNTAX, p->pos, "invalid character in group name");
          return NULL;
        }
        p->pos++;
      }
      if (eof(p)) { fail(p, DM_ESYNTAX, at, "unterminated group name"); return NULL; }
      p->pos++;
    } else if (c == '=' || c == '!' || (c == '<' && (peek_at(p, 2) == '=' || peek_at(p, 2) == '!'))) {
      fail(p, DM_ESPEC, at, "lookaround assertions are not supported (slots need a plain regular language)");
      return NULL;
    } else if (c == '>') {
      fail(p, DM_ESPEC, at, "atomic groups are not supported");
      return NULL;
    } else {
      fail(p, DM_ESPEC, at, "inline flags and other (?...) constructs are not supported");
      return NULL;
    }
  }
  if (++p->depth > MAX_DEPTH) { fail(p, DM_ESPEC, at, "groups nested too deeply"); return NULL; }
  dm_re_node *inner = parse_alt(p);
  p->depth--;
  if (!inner) return NULL;
  if (peek(p) != ')') { fail(p, DM_ESYNTAX, at, "missing ')' for this group"); return NULL; }
  p->pos++;
  return inner;
}

/* Parse an atom; returns NULL with p->rc set on error, or sets *none when at a
 * place where no atom starts ('|', ')', end). */
static dm_re_node *parse_atom(parser *p, bool *none) {
  *none = false;
  size_t at = p->pos;
  int c = peek(p);
  switch (c) {
    case -1: case '|': case ')':
      *none = true;
      return NULL;
    case '(':
      return parse_group(p);
    case '[':
      return parse_class(p);
    case '.': {
      p->pos++;
      dm_cp_range r[2] = {{0, '\n' - 1}, {'\n' + 1, DM_CP_MAX}};
      dm_re_node *n = dm_re_class(p->re, r, 2);
      if (!n) fail(p, DM_ENOMEM, at, "out of memory");
      return n;
    }
    case '^': p->pos++; return anchor(p, at, 0);
    case '$': p->pos++; return anchor(p, at, 1);
    case '*': case '+': case '?':
      fail(p, DM_ESYNTAX, at, "quantifier does not follow a repeatable item");
      return NULL;
    case '\\': {
      p->pos++;
      int32_t cp = 0;
      int letter = 0;
      int k = parse_escape(p, false, &cp, &letter);
      if (k < 0) return NULL;
      if (k == ESC_ANCHOR_START) return anchor(p, at, 0);
      if (k == ESC_ANCHOR_END) return anchor(p, at, 1);
      if (k == ESC_CLASS) {
        dm_cpset set = {0};
        if (add_shorthand(&set, letter)) { dm_cpset_free(&set); fail(p, DM_ENOMEM, at, "out of memory"); return NULL; }
        dm_cpset_normalize(&set);
        dm_re_node *n = dm_re_class(p->re, set.r, set.n);
        dm_cpset_free(&set);
        if (!n) fail(p, DM_ENOMEM, at, "out of memory");
        return n;
      }
      return single_cp(p, (uint32_t)cp, at);
    }
    default: {
      int32_t cp = read_utf8(p);
      if (cp < 0) return NULL;
      return single_cp(p, (uint32_t)cp, at);
    }
  }
}

/* Read a decimal number (≤ MAX_COUNT) at p->pos; -1 when none. */
static long read_count(parser *p, size_t *i) {
  long v = -1;
  while (*i < p->len && p->s[*i] >= '0' && p->s[*i] <= '9') {
    v = (v < 0 ? 0 : v) * 10 + (p->s[*i] - '0');
    if (v > 10 * MAX_COUNT) v = 10 * MAX_COUNT; /* saturate; checked by the caller */
    (*i)++;
  }
  return v;
}

/* If a {m}, {m,} or {m,n} quantifier starts at p->pos, parse it: 1 parsed, 0 not a
 * quantifier ('{' is then a literal), -1 error. */
static int parse_braces(parser *p, int *min, int *max) {
  size_t i = p->pos + 1;
  long lo = read_count(p, &i), hi;
  if (lo < 0) return 0;
  if (i < p->len && p->s[i] == '}') {
    hi = lo;
  } else if (i < p->len && p->s[i] == ',') {
    i++;
    hi = read_count(p, &i);
    if (i >= p->len || p->s[i] != '}') return 0;
    if (hi < 0) hi = -1;
  } else {
    return 0;
  }
  if (lo > MAX_COUNT || hi > MAX_COUNT) return fail(p, DM_ESPEC, p->pos, "repetition count too large (max 65535)"), -1;
  if (hi >= 0 && hi < lo) return fail(p, DM_ESYNTAX, p->pos, "numbers out of order in {m,n} quantifier"), -1;
  *min = (int)lo;
  *max = (int)hi;
  p->pos = i + 1;
  return 1;
}

static dm_re_node *parse_cat(parser *p) {
  dm_re_node **items = NULL;
  int n = 0, cap = 0;
  for (;;) {
    bool none;
    size_t at = p->pos;
    dm_re_node *atom;
    if (peek(p) == '{') {
      int mn, mx;
      int q = parse_braces(p, &mn, &mx);
      if (q < 0) goto err;
      if (q > 0) { fail(p, DM_ESYNTAX, at, "quantifier does not follow a repeatable item"); goto err; }
      p->pos++;
      atom = single_cp(p, '{', at);
      none = false;
    } else {
      atom = parse_atom(p, &none);
    }
    if (none) break;
    if (!atom) goto err;
    /* quantifier */
    int c = peek(p);
    int mn = -2, mx = -2;
    size_t qat = p->pos;
    if (c == '*') { mn = 0; mx = -1; p->pos++; }
    else if (c == '+') { mn = 1; mx = -1; p->pos++; }
    else if (c == '?') { mn = 0; mx = 1; p->pos++; }
    else if (c == '{') {
      int q = parse_braces(p, &mn, &mx);
      if (q < 0) goto err;
      if (q == 0) mn = -2;
    }
    if (mn != -2) {
      if (atom->kind == DM_RE_ANCHOR) { fail(p, DM_ESPEC, qat, "quantifier on an anchor"); goto err; }
      if (peek(p) == '?') p->pos++; /* lazy: same language */
      else if (peek(p) == '+') { fail(p, DM_ESPEC, p->pos, "possessive quantifiers are not supported"); goto err; }
      int c2 = peek(p);
      if (c2 == '*' || c2 == '+' || c2 == '?' || (c2 == '{' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')) {
        fail(p, DM_ESYNTAX, p->pos, "nested quantifier: put the repeated item in a group");
        goto err;
      }
      atom = dm_re_repeat(p->re, atom, mn, mx);
      if (!atom) { fail(p, DM_ENOMEM, qat, "out of memory"); goto err; }
      atom->offset = qat;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      dm_re_node **ni = realloc(items, (size_t)cap * sizeof *ni);
      if (!ni) { fail(p, DM_ENOMEM, at, "out of memory"); goto err; }
      items = ni;
    }
    items[n++] = atom;
  }
  dm_re_node *node = dm_re_cat(p->re, items, n);
  if (!node) fail(p, DM_ENOMEM, p->pos, "out of memory");
  free(items);
  return node;
err:
  free(items);
  return NULL;
}

static dm_re_node *parse_alt(parser *p) {
  dm_re_node **items = NULL;
  int n = 0, cap = 0;
  for (;;) {
    dm_re_node *branch = parse_cat(p);
    if (!branch) goto err;
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      dm_re_node **ni = realloc(items, (size_t)cap * sizeof *ni);
      if (!ni) { fail(p, DM_ENOMEM, p->pos, "out of memory"); goto err; }
      items = ni;
    }
    items[n++] = branch;
    if (peek(p) != '|') break;
    p->pos++;
  }
  dm_re_node *node = dm_re_alt(p->re, items, n);
  if (!node) fail(p, DM_ENOMEM, p->pos, "out of memory");
  free(items);
  return node;
err:
  free(items);
  return NULL;
}

/* True when the node can only match "" (anchors and empty). */
static bool only_empty(const dm_re_node *n) {
  switch (n->kind) {
    case DM_RE_EMPTY: case DM_RE_ANCHOR: return true;
    case DM_RE_CAT: case DM_RE_ALT:
      for (int i = 0; i < n->nkids; i++)
        if (!only_empty(n->kids[i])) return false;
      return n->nkids > 0 || n->kind == DM_RE_CAT;
    case DM_RE_REPEAT: return n->max == 0 || only_empty(n->kids[0]);
    default: return false;
  }
}

/* Anchors are kept only where they can match at the start (^) or end ($) of the
 * whole subject, where they match ""; elsewhere they are refused. */
static int check_anchors(parser *p, dm_re_node *n, bool at_start, bool at_end) {
  switch (n->kind) {
    case DM_RE_ANCHOR:
      if (n->min == 0 && !at_start)
        return fail(p, DM_ESPEC, n->offset, "'^' is only supported at the start of the pattern");
      if (n->min == 1 && !at_end)
        return fail(p, DM_ESPEC, n->offset, "'$' is only supported at the end of the pattern");
      return DM_OK;
    case DM_RE_CAT:
      for (int i = 0; i < n->nkids; i++) {
        bool s = at_start, e = at_end;
        for (int j = 0; j < i && s; j++) s = only_empty(n->kids[j]);
        for (int j = i + 1; j < n->nkids && e; j++) e = only_empty(n->kids[j]);
        int rc = check_anchors(p, n->kids[i], s, e);
        if (rc) return rc;
      }
      return DM_OK;
    case DM_RE_ALT:
      for (int i = 0; i < n->nkids; i++) {
        int rc = check_anchors(p, n->kids[i], at_start, at_end);
        if (rc) return rc;
      }
      return DM_OK;
    case DM_RE_REPEAT: {
      bool once = n->max == 1 || only_empty(n->kids[0]);
      return check_anchors(p, n->kids[0], at_start && once, at_end && once);
    }
    default:
      return DM_OK;
  }
}

int dm_re_parse(const char *pattern, size_t len, dm_re **out, dm_error *err) {
  *out = NULL;
  parser p = {pattern, len, 0, dm_re_new(), err, 0, DM_OK};
  if (!p.re) return dm_error_set(err, DM_ENOMEM, "out of memory");
  dm_re_node *root = parse_alt(&p);
  if (root && !eof(&p)) fail(&p, DM_ESYNTAX, p.pos, "unmatched ')'");
  if (root && p.rc == DM_OK) check_anchors(&p, root, true, true);
  if (p.rc != DM_OK) {
    dm_re_free(p.re);
    return p.rc;
  }
  dm_re_set_root(p.re, root);
  *out = p.re;
  return DM_OK;
}
