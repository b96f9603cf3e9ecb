/* Normalizers: NFC/NFD/NFKC/NFKD (utf8proc), Prepend, Replace, Sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tok_internal.h"

static int add_norm(dm_tokenizer *t, const tk_norm *n) {
  tk_norm *v = realloc(t->norms, (t->n_norms + 1) * sizeof *v);
  if (!v) return DM_ENOMEM;
  t->norms = v;
  t->norms[t->n_norms++] = *n;
  return 0;
}

int tk_parse_normalizer(dm_tokenizer *t, const cJSON *j, const char *ptr, dm_error *err) {
  if (!j || cJSON_IsNull(j)) return 0;
  if (!cJSON_IsObject(j)) return dm_error_set_named(err, DM_EFORMAT, ptr, "expected an object");
  const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type");
  char p[DM_ERROR_WHERE_MAX];
  if (!cJSON_IsString(ty)) {
    snprintf(p, sizeof p, "%s/type", ptr);
    return dm_error_set_named(err, DM_EFORMAT, p, "expected a string");
  }
  const char *type = ty->valuestring;
  tk_norm n;
  memset(&n, 0, sizeof n);
  if (strcmp(type, "Sequence") == 0) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "normalizers");
    snprintf(p, sizeof p, "%s/normalizers", ptr);
    if (!cJSON_IsArray(arr)) return dm_error_set_named(err, DM_EFORMAT, p, "expected an array");
    int i = 0, rc;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
      char ep[DM_ERROR_WHERE_MAX + 16];
      snprintf(ep, sizeof ep, "%s/%d", p, i);
      if ((rc = tk_parse_normalizer(t, e, ep, err))) return rc;
    }
    return 0;
  }
  if (strcmp(type, "NFC") == 0) n.kind = TK_NORM_NFC;
  else if (strcmp(type, "NFD") == 0) n.kind = TK_NORM_NFD;
  else if (strcmp(type, "NFKC") == 0) n.kind = TK_NORM_NFKC;
  else if (strcmp(type, "NFKD") == 0) n.kind = TK_NORM_NFKD;
  else if (strcmp(type, "Prepend") == 0) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "prepend");
    snprintf(p, sizeof p, "%s/prepend", ptr);
    if (!cJSON_IsString(s)) return dm_error_set_named(err, DM_EFORMAT, p, "expected a string");
    n.kind = TK_NORM_PREPEND;
    if (!(n.a = strdup(s->valuestring))) return DM_ENOMEM;
  } else if (strcmp(type, "Replace") == 0) {
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(j, "pattern");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "content");
    snprintf(p, sizeof p, "%s/content", ptr);
    if (!cJSON_IsString(c)) return dm_error_set_named(err, DM_EFORMAT, p, "expected a string");
    n.kind = TK_NORM_REPLACE;
    const cJSON *s = cJSON_IsObject(pat) ? cJSON_GetObjectItemCaseSensitive(pat, "String") : NULL;
    const cJSON *r = cJSON_IsObject(pat) ? cJSON_GetObjectItemCaseSensitive(pat, "Regex") : NULL;
    snprintf(p, sizeof p, "%s/pattern", ptr);
    if (cJSON_IsString(s) && s->valuestring[0]) {
      if (!(n.a = strdup(s->valuestring))) return DM_ENOMEM;
    } else if (cJSON_IsString(r)) {
      if (!(n.re = tk_regex_compile(r->valuestring, p, err))) return err ? err->code : DM_ETOKENIZER;
    } else {
      return dm_error_set_named(err, DM_EFORMAT, p, "expected {\"String\": non-empty} or {\"Regex\": ...}");
    }
    if (!(n.b = strdup(c->valuestring))) {
      free(n.a);
      if (n.re) pcre2_code_free(n.re);
      return DM_ENOMEM;
    }
  } else {
    return dm_error_set_named(err, DM_EUNSUPPORTED, ptr, "unsupported normalizer type \"%s\"", type);
  }
  if (add_norm(t, &n)) {
    free(n.a);
    free(n.b);
    if (n.re) pcre2_code_free(n.re);
    return DM_ENOMEM;
  }
  return 0;
}

static int unicode_form(tk_norm_kind k, const char *s, size_t n, tk_buf *out) {
  /* fast paths: ASCII is invariant under every form; below U+0300 (no lead byte
   * >= 0xCC) nothing composes, so NFC leaves the text alone */
  int ascii = 1, low = 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) ascii = 0;
    if (c >= 0xCC) {
      low = 0;
      break;
    }
  }
  if (ascii || (k == TK_NORM_NFC && low)) return tk_buf_put(out, s, n);
  utf8proc_option_t opt = UTF8PROC_STABLE;
  switch (k) {
    case TK_NORM_NFC: opt |= UTF8PROC_COMPOSE; break;
    case TK_NORM_NFD: opt |= UTF8PROC_DECOMPOSE; break;
    case TK_NORM_NFKC: opt |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    default: opt |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t *dst = NULL;
  utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst, opt);
  if (r < 0) {
    free(dst);
    return r == UTF8PROC_ERROR_NOMEM ? DM_ENOMEM : DM_EINTERNAL;
  }
  int rc = tk_buf_put(out, dst, (size_t)r);
  free(dst);
  return rc;
}

static int replace_all(const tk_norm *nm, const char *s, size_t n, tk_buf *out) {
  if (!nm->re) {
    size_t pl = strlen(nm->a), cl = strlen(nm->b), run = 0;
    for (size_t i = 0; i + pl <= n;) {
      if (memcmp(s + i, nm->a, pl) == 0) {
        if (tk_buf_put(out, s + run, i - run) || tk_buf_put(out, nm->b, cl)) return DM_ENOMEM;
        i += pl;
        run = i;
      } else {
        i++;
      }
    }
    return tk_buf_put(out, s + run, n - run);
  }
  pcre2_match_data *md = pcre2_match_data_create(1, NULL);
  if (!md) return DM_ENOMEM;
  size_t pos = 0, run = 0, cl = strlen(nm->b);
  int rc = 0;
  while (pos <= n) {
    int m = pcre2_match(nm->re, (PCRE2_SPTR)s, n, pos, PCRE2_NO_UTF_CHECK, md, NULL);
    if (m < 0) break;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[1] <= ov[0]) {
      if (ov[0] >= n) break;
      pos = ov[0] + tk_utf8_len((unsigned char)s[ov[0]]);
      continue;
    }
    if ((rc = tk_buf_put(out, s + run, ov[0] - run)) || (rc = tk_buf_put(out, nm->b, cl))) break;
    run = pos = ov[1];
  }
  pcre2_match_data_free(md);
  return rc ? rc : tk_buf_put(out, s + run, n - run);
}

int tk_normalize(const dm_tokenizer *t, const char *s, size_t n, tk_buf *out) {
  out->len = 0;
  if (tk_buf_put(out, s, n)) return DM_ENOMEM;
  if (!t->n_norms) return 0;
  tk_buf tmp = {0};
  int rc = 0;
  for (size_t k = 0; k < t->n_norms && !rc; k++) {
    const tk_norm *nm = &t->norms[k];
    tmp.len = 0;
    switch (nm->kind) {
      case TK_NORM_PREPEND:
        if (out->len == 0) continue; /* Hugging Face prepends only to non-empty text */
        rc = tk_buf_put(&tmp, nm->a, strlen(nm->a));
        if (!rc) rc = tk_buf_put(&tmp, out->p, out->len);
        break;
      case TK_NORM_REPLACE: rc = replace_all(nm, out->p, out->len, &tmp); break;
      default: rc = unicode_form(nm->kind, out->p, out->len, &tmp); break;
    }
    if (!rc && tk_buf_put(&tmp, "", 0) == 0) {
      tk_buf x = *out;
      *out = tmp;
      tmp = x;
    }
  }
  tk_buf_free(&tmp);
  return rc;
}
