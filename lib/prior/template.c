/* Templates: parsing and languages. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "template.h"

void dm_template_free(dm_template *t) {
  if (!t) return;
  for (int i = 0; i < t->n; i++) {
    free(t->parts[i].text);
    free(t->parts[i].regex);
  }
  free(t->parts);
  t->parts = NULL;
  t->n = 0;
}

static dm_tpart *add_part(dm_template *t) {
  dm_tpart *np = realloc(t->parts, (size_t)(t->n + 1) * sizeof *np);
  if (!np) return NULL;
  t->parts = np;
  dm_tpart *p = &t->parts[t->n++];
  memset(p, 0, sizeof *p);
  return p;
}

/* Escape regex metacharacters of a literal word (enum alternatives). */
static void put_escaped(char *out, size_t *n, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (strchr("\\.[](){}*+?|^$", s[i])) out[(*n)++] = '\\';
    out[(*n)++] = s[i];
  }
}

static int fail(dm_error *err, int code, const char *text, size_t len, size_t at, const char *msg) {
  return dm_error_set_at(err, code, text, len, at, "%s", msg);
}

/* Parse the inside of one slot: s[a, b) between "{{" and "}}". */
static int parse_slot(const char *text, size_t tlen, size_t a, size_t b, const char *gdir, dm_tpart *p, dm_error *err) {
  size_t i = a;
  while (i < b && text[i] == ' ') i++;
  size_t ns = i;
  while (i < b && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') || text[i] == '_' ||
                   (i > ns && text[i] >= '0' && text[i] <= '9')))
    i++;
  if (i == ns) return fail(err, DM_ESYNTAX, text, tlen, i, "a slot needs a name: {{name}} or {{name:type}}");
  p->text = strndup(text + ns, i - ns);
  if (!p->text) return dm_error_set(err, DM_ENOMEM, "out of memory");
  /* budget: the last " <=N" or " =N" */
  size_t end = b;
  while (end > i && text[end - 1] == ' ') end--;
  size_t k = end;
  while (k > i && text[k - 1] >= '0' && text[k - 1] <= '9') k--;
  if (k < end && k >= i + 2 && text[k - 1] == '=') {
    bool le = text[k - 2] == '<';
    size_t op = le ? k - 2 : k - 1;
    if (op > i && text[op - 1] == ' ') {
      long v = strtol(text + k, NULL, 10);
      if (v < 1 || v > 4096 || end - k > 4) return fail(err, DM_ESPEC, text, tlen, k, "a budget is 1 to 4096 tokens");
      p->budget = (int)v;
      p->exact = !le;
      end = op - 1;
      while (end > i && text[end - 1] == ' ') end--;
    }
  }
  const char *spec = "text";
  size_t slen = 4;
  if (i < end) {
    if (text[i] != ':') return fail(err, DM_ESYNTAX, text, tlen, i, "expected ':' and a type after the slot name");
    i++;
    while (i < end && text[i] == ' ') i++;
    spec = text + i;
    slen = end - i;
    if (!slen) return fail(err, DM_ESYNTAX, text, tlen, i, "expected a type, /regex/ or choices after ':'");
  }
  if (spec[0] == '/') {
    if (slen < 2 || spec[slen - 1] != '/' || (slen >= 3 && spec[slen - 2] == '\\' && (slen < 4 || spec[slen - 3] != '\\')))
      return fail(err, DM_ESYNTAX, text, tlen, (size_t)(spec - text), "an inline regex is /.../ (write \\/ for a slash)");
    p->regex = malloc(slen);
    if (!p->regex) return dm_error_set(err, DM_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t j = 1; j + 1 < slen; j++) {
      if (spec[j] == '\\' && spec[j + 1] == '/' && j + 2 < slen) { p->regex[n++] = '/'; j++; }
      else p->regex[n++] = spec[j];
    }
    p->regex[n] = 0;
    /* the regex must parse: report at the template offset */
    dm_dfa *d = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_dfa_from_pattern(p->regex, n, 0, &d, &e);
    dm_dfa_free(d);
    if (rc) return fail(err, rc, text, tlen, (size_t)(spec - text) + 1 + e.offset, e.message);
  } else if (memchr(spec, '|', slen)) {
    p->regex = malloc(slen * 2 + 3);
    if (!p->regex) return dm_error_set(err, DM_ENOMEM, "out of memory");
    size_t n = 0, w = 0;
    p->regex[n++] = '(';
    for (size_t j = 0; j <= slen; j++)
      if (j == slen || spec[j] == '|') {
        if (j == w) return fail(err, DM_ESYNTAX, text, tlen, (size_t)(spec - text) + j, "empty choice in a|b|c");
        if (w) p->regex[n++] = '|';
        put_escaped(p->regex, &n, spec + w, j - w);
        w = j + 1;
      }
    p->regex[n++] = ')';
    p->regex[n] = 0;
  } else {
    char name[128];
    if (slen >= sizeof name) return fail(err, DM_ESPEC, text, tlen, (size_t)(spec - text), "type name too long");
    memcpy(name, spec, slen);
    name[slen] = 0;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_grammar_find(name, gdir, &p->regex, &e);
    if (rc) return fail(err, rc, text, tlen, (size_t)(spec - text), e.message);
  }
  return DM_OK;
}

int dm_template_parse(const char *text, size_t len, const char *gdir, dm_template *t, dm_error *err) {
  memset(t, 0, sizeof *t);
  char *lit = malloc(len + 1);
  size_t ln = 0;
  int rc = DM_OK;
  if (!lit) return dm_error_set(err, DM_ENOMEM, "out of memory");
  for (size_t i = 0; i < len && !rc;) {
    if (text[i] == '\\') {
      if (i + 1 >= len) { rc = fail(err, DM_ESYNTAX, text, len, i, "the template ends with a lone backslash"); break; }
      lit[ln++] = text[i + 1];
      i += 2;
    } else if (text[i] == '{' && i + 1 < len && text[i + 1] == '{') {
      size_t close = i + 2;
      while (close + 1 < len && !(text[close] == '}' && text[close + 1] == '}')) {
        if (text[close] == '\\' && close + 2 < len) close++;
        close++;
      }
      if (close + 1 >= len) { rc = fail(err, DM_ESYNTAX, text, len, i, "slot not closed: missing \"}}\""); break; }
      if (ln) {
        dm_tpart *p = add_part(t);
        if (!p || !(p->text = malloc(ln + 1))) { rc = dm_error_set(err, DM_ENOMEM, "out of memory"); break; }
        memcpy(p->text, lit, ln);
        p->text[ln] = 0;
        p->len = ln;
        ln = 0;
      }
      dm_tpart *p = add_part(t);
      if (!p) { rc = dm_error_set(err, DM_ENOMEM, "out of memory"); break; }
      p->kind = DM_TPART_SLOT;
      p->offset = i;
      rc = parse_slot(text, len, i + 2, close, gdir, p, err);
      i = close + 2;
    } else {
      lit[ln++] = text[i++];
    }
  }
  if (!rc && ln) {
    dm_tpart *p = add_part(t);
    if (!p || !(p->text = malloc(ln + 1))) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
    else {
      memcpy(p->text, lit, ln);
      p->text[ln] = 0;
      p->len = ln;
    }
  }
  free(lit);
  if (!rc) {
    bool slots = false;
    for (int k = 0; k < t->n; k++) {
      slots |= t->parts[k].kind == DM_TPART_SLOT;
      for (int q = 0; q < k; q++)
        if (t->parts[k].kind == DM_TPART_SLOT && t->parts[q].kind == DM_TPART_SLOT && !strcmp(t->parts[k].text, t->parts[q].text))
          rc = fail(err, DM_ESPEC, text, len, t->parts[k].offset, "two slots with the same name");
    }
    if (!rc && !slots) rc = dm_error_set(err, DM_ESPEC, "a template needs at least one {{slot}}");
  }
  if (rc) dm_template_free(t);
  return rc;
}

int dm_template_slot_dfa(const dm_tpart *p, dm_dfa **out, dm_error *err) {
  return dm_dfa_from_pattern(p->regex, strlen(p->regex), 0, out, err);
}

int dm_template_dfa(const dm_template *t, dm_dfa **out, dm_error *err) {
  *out = NULL;
  dm_re *re = dm_re_new();
  dm_dfa **slots = calloc((size_t)t->n, sizeof *slots);
  dm_re_node **parts = calloc((size_t)t->n, sizeof *parts);
  int rc = re && slots && parts ? DM_OK : dm_error_set(err, DM_ENOMEM, "out of memory");
  for (int i = 0; i < t->n && !rc; i++) {
    const dm_tpart *p = &t->parts[i];
    if (p->kind == DM_TPART_TEXT) {
      parts[i] = dm_re_literal(re, p->text, p->len);
    } else {
      rc = dm_template_slot_dfa(p, &slots[i], err);
      if (!rc) parts[i] = dm_re_dfa(re, slots[i], 0);
    }
    if (!rc && !parts[i]) rc = dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  if (!rc) rc = dm_dfa_from_re(dm_re_cat(re, parts, t->n), 0, out, err);
  for (int i = 0; i < t->n && slots; i++) dm_dfa_free(slots[i]);
  free(slots);
  free(parts);
  dm_re_free(re);
  return rc;
}
