/* Pre-tokenizers: Split (PCRE2), ByteLevel, Metaspace, Digits, Sequence.
 *
 * Pre-tokenization turns a section of normalized text into words (spans of one
 * buffer); each stage of the chain splits (or, Metaspace and ByteLevel's prefix
 * space, rewrites) the words of the stage before. ByteLevel's byte->unicode map is
 * not applied to the text: the BPE model of a byte-level tokenizer works on raw
 * bytes directly (tok_bpe.c), which gives the same ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

static const char *GPT2_PATTERN =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* ------------------------------------------------------------------ parsing */

static int bad_type(dm_error *err, const char *ptr, const char *what) {
  return dm_error_set_named(err, DM_EFORMAT, ptr, "expected %s", what);
}

static int get_bool(const cJSON *o, const char *key, int dflt, const char *ptr, dm_error *err,
                    int *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v)) {
    *out = dflt;
    return 0;
  }
  if (!cJSON_IsBool(v)) {
    char p[DM_ERROR_WHERE_MAX];
    snprintf(p, sizeof p, "%s/%s", ptr, key);
    return bad_type(err, p, "true or false");
  }
  *out = cJSON_IsTrue(v);
  return 0;
}

/* Escape a literal string for PCRE2. */
static char *escape_literal(const char *s) {
  size_t n = strlen(s);
  char *o = malloc(2 * n + 1), *q = o;
  if (!o) return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      *q++ = '\\';
    *q++ = (char)c;
  }
  *q = 0;
  return o;
}

/* pattern: {"String": s} or {"Regex": r} -> compiled regex. */
static int parse_pattern(const cJSON *pat, const char *ptr, pcre2_code **re, dm_error *err) {
  char p[DM_ERROR_WHERE_MAX];
  snprintf(p, sizeof p, "%s/pattern", ptr);
  if (!cJSON_IsObject(pat)) return bad_type(err, p, "an object {\"String\": ...} or {\"Regex\": ...}");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(pat, "String");
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(pat, "Regex");
  if (cJSON_IsString(s)) {
    char *lit = escape_literal(s->valuestring);
    if (!lit) return dm_error_set_named(err, DM_ENOMEM, p, "out of memory");
    *re = tk_regex_compile(lit, p, err);
    free(lit);
  } else if (cJSON_IsString(r)) {
    *re = tk_regex_compile(r->valuestring, p, err);
  } else {
    return bad_type(err, p, "an object {\"String\": ...} or {\"Regex\": ...}");
  }
  return *re ? 0 : (err ? err->code : DM_ETOKENIZER);
}

static int add_pre(dm_tokenizer *t, const tk_pre *p) {
  tk_pre *v = realloc(t->pres, (t->n_pres + 1) * sizeof *v);
  if (!v) return DM_ENOMEM;
  t->pres = v;
  t->pres[t->n_pres++] = *p;
  return 0;
}

int tk_parse_metaspace(const cJSON *j, const char *ptr, char repl[8], int *prepend, int *split,
                       dm_error *err);
int tk_parse_metaspace(const cJSON *j, const char *ptr, char repl[8], int *prepend, int *split,
                       dm_error *err) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "replacement");
  const char *rs = cJSON_IsString(r) ? r->valuestring : "\xE2\x96\x81";
  size_t adv;
  if (!rs[0] || strlen(rs) > 4 || !tk_utf8_valid(rs, strlen(rs)) ||
      (tk_utf8_decode(rs, strlen(rs), &adv), adv != strlen(rs))) {
    char p[DM_ERROR_WHERE_MAX];
    snprintf(p, sizeof p, "%s/replacement", ptr);
    return bad_type(err, p, "one character");
  }
  strcpy(repl, rs);
  int aps;
  int rc = get_bool(j, "add_prefix_space", 1, ptr, err, &aps);
  if (rc) return rc;
  *prepend = aps ? 1 : 0;
  const cJSON *ps = cJSON_GetObjectItemCaseSensitive(j, "prepend_scheme");
  if (cJSON_IsString(ps)) {
    if (strcmp(ps->valuestring, "always") == 0) *prepend = 1;
    else if (strcmp(ps->valuestring, "never") == 0) *prepend = 0;
    else if (strcmp(ps->valuestring, "first") == 0) *prepend = 2;
    else
      return dm_error_set_named(err, DM_EUNSUPPORTED, ptr, "unknown Metaspace prepend_scheme \"%s\"",
                                ps->valuestring);
  }
  if (split) return get_bool(j, "split", 1, ptr, err, split);
  return 0;
}

int tk_parse_pre_tokenizer(dm_tokenizer *t, const cJSON *j, const char *ptr, dm_error *err) {
  if (!j || cJSON_IsNull(j)) return 0;
  if (!cJSON_IsObject(j)) return bad_type(err, ptr, "an object");
  const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type");
  if (!cJSON_IsString(ty)) {
    char p[DM_ERROR_WHERE_MAX];
    snprintf(p, sizeof p, "%s/type", ptr);
    return bad_type(err, p, "a string");
  }
  const char *type = ty->valuestring;
  if (t->byte_level)
    return dm_error_set_named(err, DM_EUNSUPPORTED, ptr,
                              "pre-tokenizer %s after ByteLevel is not supported (ByteLevel must come last)",
                              type);
  tk_pre p;
  memset(&p, 0, sizeof p);
  int rc;
  if (strcmp(type, "Sequence") == 0) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "pretokenizers");
    char pp[DM_ERROR_WHERE_MAX];
    snprintf(pp, sizeof pp, "%s/pretokenizers", ptr);
    if (!cJSON_IsArray(arr)) return bad_type(err, pp, "an array");
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
      char ep[DM_ERROR_WHERE_MAX + 16];
      snprintf(ep, sizeof ep, "%s/%d", pp, i);
      if ((rc = tk_parse_pre_tokenizer(t, e, ep, err))) return rc;
    }
    return 0;
  }
  if (strcmp(type, "Split") == 0) {
    p.kind = TK_PRE_SPLIT;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "behavior");
    const char *bs = cJSON_IsString(b) ? b->valuestring : "Isolated";
    if (strcmp(bs, "Isolated") == 0) p.behavior = TK_SPLIT_ISOLATED;
    else if (strcmp(bs, "Removed") == 0) p.behavior = TK_SPLIT_REMOVED;
    else if (strcmp(bs, "MergedWithPrevious") == 0) p.behavior = TK_SPLIT_MERGED_PREV;
    else if (strcmp(bs, "MergedWithNext") == 0) p.behavior = TK_SPLIT_MERGED_NEXT;
    else if (strcmp(bs, "Contiguous") == 0) p.behavior = TK_SPLIT_CONTIGUOUS;
    else {
      char bp[DM_ERROR_WHERE_MAX];
      snprintf(bp, sizeof bp, "%s/behavior", ptr);
      return dm_error_set_named(err, DM_EUNSUPPORTED, bp, "unknown Split behavior \"%s\"", bs);
    }
    if ((rc = get_bool(j, "invert", 0, ptr, err, &p.invert))) return rc;
    if ((rc = parse_pattern(cJSON_GetObjectItemCaseSensitive(j, "pattern"), ptr, &p.re, err)))
      return rc;
  } else if (strcmp(type, "ByteLevel") == 0) {
    p.kind = TK_PRE_BYTELEVEL;
    int use_regex;
    if ((rc = get_bool(j, "add_prefix_space", 1, ptr, err, &p.add_prefix_space))) return rc;
    if ((rc = get_bool(j, "use_regex", 1, ptr, err, &use_regex))) return rc;
    if (use_regex && !(p.re = tk_regex_compile(GPT2_PATTERN, ptr, err))) return err ? err->code : DM_ETOKENIZER;
    p.behavior = TK_SPLIT_ISOLATED;
    t->byte_level = 1;
  } else if (strcmp(type, "Metaspace") == 0) {
    p.kind = TK_PRE_METASPACE;
    if ((rc = tk_parse_metaspace(j, ptr, p.repl, &p.prepend, &p.split, err))) return rc;
  } else if (strcmp(type, "Digits") == 0) {
    p.kind = TK_PRE_DIGITS;
    int ind;
    if ((rc = get_bool(j, "individual_digits", 0, ptr, err, &ind))) return rc;
    /* Rust's char::is_numeric is the Unicode N categories */
    if (!(p.re = tk_regex_compile("\\p{N}", ptr, err))) return err ? err->code : DM_ETOKENIZER;
    p.behavior = ind ? TK_SPLIT_ISOLATED : TK_SPLIT_CONTIGUOUS;
  } else {
    return dm_error_set_named(err, DM_EUNSUPPORTED, ptr, "unsupported pre-tokenizer type \"%s\"", type);
  }
  if ((rc = add_pre(t, &p))) {
    if (p.re) pcre2_code_free(p.re);
    return dm_error_set_named(err, rc, ptr, "out of memory");
  }
  return 0;
}

/* ------------------------------------------------------------------ applying */

typedef struct piece {
  size_t s, e;
  int m;
} piece;

typedef struct pieces {
  piece *v;
  size_t n, cap;
} pieces;

static int pieces_push(pieces *p, size_t s, size_t e, int m) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 32;
    piece *v = realloc(p->v, cap * sizeof *v);
    if (!v) return DM_ENOMEM;
    p->v = v;
    p->cap = cap;
  }
  p->v[p->n].s = s;
  p->v[p->n].e = e;
  p->v[p->n].m = m;
  p->n++;
  return 0;
}

/* Split word [off, off+len) of buf by the regex; push the results to out. */
static int split_word(const tk_pre *p, const char *buf, size_t off, size_t len, tk_spans *out,
                      pcre2_match_data *md) {
  const char *s = buf + off;
  size_t pos = 0, prev = 0;
  int fast = p->behavior == TK_SPLIT_ISOLATED; /* gaps and matches alike are words */
  pieces pc = {0};
  int rc = 0;
  while (pos <= len) {
    int m = pcre2_match(p->re, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
    if (m < 0) {
      if (m != PCRE2_ERROR_NOMATCH) rc = DM_EINTERNAL;
      break;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t ms = ov[0], me = ov[1];
    if (me <= ms) { /* empty match: skip it, go on after one character (as JS does) */
      if (ms >= len) break;
      pos = ms + tk_utf8_len((unsigned char)s[ms]);
      continue;
    }
    if (fast) {
      if (ms > prev && (rc = tk_spans_push(out, off + prev, ms - prev))) break;
      if ((rc = tk_spans_push(out, off + ms, me - ms))) break;
    } else {
      if (ms > prev && (rc = pieces_push(&pc, prev, ms, 0))) break;
      if ((rc = pieces_push(&pc, ms, me, 1))) break;
    }
    prev = pos = me;
  }
  if (!rc && prev < len) {
    rc = fast ? tk_spans_push(out, off + prev, len - prev) : pieces_push(&pc, prev, len, 0);
  }
  if (!rc && !fast) {
    if (p->invert)
      for (size_t i = 0; i < pc.n; i++) pc.v[i].m = !pc.v[i].m;
    pieces r = {0};
    switch (p->behavior) {
      case TK_SPLIT_ISOLATED:
        for (size_t i = 0; i < pc.n && !rc; i++) rc = pieces_push(&r, pc.v[i].s, pc.v[i].e, 0);
        break;
      case TK_SPLIT_REMOVED:
        for (size_t i = 0; i < pc.n && !rc; i++)
          if (!pc.v[i].m) rc = pieces_push(&r, pc.v[i].s, pc.v[i].e, 0);
        break;
      case TK_SPLIT_MERGED_PREV: {
        int prevm = 0;
        for (size_t i = 0; i < pc.n && !rc; i++) {
          if (pc.v[i].m && !prevm && r.n) r.v[r.n - 1].e = pc.v[i].e;
          else rc = pieces_push(&r, pc.v[i].s, pc.v[i].e, 0);
          prevm = pc.v[i].m;
        }
        break;
      }
      case TK_SPLIT_MERGED_NEXT: {
        int nextm = 0;
        /* walk backwards, then reverse */
        for (size_t k = pc.n; k-- > 0 && !rc;) {
          if (pc.v[k].m && !nextm && r.n) r.v[r.n - 1].s = pc.v[k].s;
          else rc = pieces_push(&r, pc.v[k].s, pc.v[k].e, 0);
          nextm = pc.v[k].m;
        }
        for (size_t a = 0, b = r.n ? r.n - 1 : 0; a < b; a++, b--) {
          piece x = r.v[a];
          r.v[a] = r.v[b];
          r.v[b] = x;
        }
        break;
      }
      case TK_SPLIT_CONTIGUOUS: {
        int prevm = 0;
        for (size_t i = 0; i < pc.n && !rc; i++) {
          if (pc.v[i].m && prevm && r.n) r.v[r.n - 1].e = pc.v[i].e;
          else rc = pieces_push(&r, pc.v[i].s, pc.v[i].e, 0);
          prevm = pc.v[i].m;
        }
        break;
      }
    }
    for (size_t i = 0; i < r.n && !rc; i++)
      if (r.v[i].e > r.v[i].s) rc = tk_spans_push(out, off + r.v[i].s, r.v[i].e - r.v[i].s);
    free(r.v);
  }
  free(pc.v);
  return rc;
}

/* Metaspace: replace ' ' by the replacement, maybe prepend it, maybe split before
 * each replacement character. Rewrites buf (via scratch). */
static int metaspace(const tk_pre *p, tk_buf *buf, tk_spans *words, int first, tk_buf *scratch,
                     tk_spans *tmp) {
  size_t rl = strlen(p->repl);
  scratch->len = 0;
  tmp->n = 0;
  for (size_t w = 0; w < words->n; w++) {
    const char *s = buf->p + words->v[w].off;
    size_t n = words->v[w].len, start = scratch->len;
    int pre = p->prepend == 1 || (p->prepend == 2 && first && w == 0 && words->v[w].off == 0);
    if (pre && !(n >= rl && memcmp(s, p->repl, rl) == 0) && tk_buf_put(scratch, p->repl, rl))
      return DM_ENOMEM;
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
      if (s[i] == ' ') {
        if (tk_buf_put(scratch, s + run, i - run) || tk_buf_put(scratch, p->repl, rl)) return DM_ENOMEM;
        run = i + 1;
      }
    if (tk_buf_put(scratch, s + run, n - run)) return DM_ENOMEM;
    size_t end = scratch->len;
    if (!p->split) {
      if (end > start && tk_spans_push(tmp, start, end - start)) return DM_ENOMEM;
      continue;
    }
    /* MergedWithNext on the replacement character */
    size_t ws = start;
    for (size_t i = start; i < end;) {
      if (i > ws && end - i >= rl && memcmp(scratch->p + i, p->repl, rl) == 0) {
        if (tk_spans_push(tmp, ws, i - ws)) return DM_ENOMEM;
        ws = i;
        i += rl;
        continue;
      }
      i += tk_utf8_len((unsigned char)scratch->p[i]);
    }
    if (end > ws && tk_spans_push(tmp, ws, end - ws)) return DM_ENOMEM;
  }
  tk_buf x = *buf;
  *buf = *scratch;
  *scratch = x;
  tk_spans y = *words;
  *words = *tmp;
  *tmp = y;
  return 0;
}

/* ByteLevel add_prefix_space: a space before every word that lacks one. */
static int prefix_space(tk_buf *buf, tk_spans *words, tk_buf *scratch, tk_spans *tmp) {
  scratch->len = 0;
  tmp->n = 0;
  for (size_t w = 0; w < words->n; w++) {
    const char *s = buf->p + words->v[w].off;
    size_t n = words->v[w].len, start = scratch->len;
    if ((n == 0 || s[0] != ' ') && tk_buf_put(scratch, " ", 1)) return DM_ENOMEM;
    if (tk_buf_put(scratch, s, n) || tk_spans_push(tmp, start, scratch->len - start)) return DM_ENOMEM;
  }
  tk_buf x = *buf;
  *buf = *scratch;
  *scratch = x;
  tk_spans y = *words;
  *words = *tmp;
  *tmp = y;
  return 0;
}

int tk_pre_tokenize(const dm_tokenizer *t, tk_buf *buf, tk_spans *words, int first,
                    pcre2_match_data *md, tk_buf *scratch, tk_spans *tmp) {
  words->n = 0;
  if (buf->len == 0) return 0;
  if (tk_spans_push(words, 0, buf->len)) return DM_ENOMEM;
  for (size_t k = 0; k < t->n_pres; k++) {
    const tk_pre *p = &t->pres[k];
    int rc;
    if (p->kind == TK_PRE_METASPACE) {
      if ((rc = metaspace(p, buf, words, first, scratch, tmp))) return rc;
      continue;
    }
    if (p->kind == TK_PRE_BYTELEVEL && p->add_prefix_space &&
        (rc = prefix_space(buf, words, scratch, tmp)))
      return rc;
    if (!p->re) continue;
    tmp->n = 0;
    for (size_t w = 0; w < words->n; w++)
      if ((rc = split_word(p, buf->p, words->v[w].off, words->v[w].len, tmp, md))) return rc;
    tk_spans y = *words;
    *words = *tmp;
    *tmp = y;
  }
  return 0;
}
