/* JSON Schema → DFA of canonical texts: the schema walk, keywords, combinators and
 * references. Per-type languages are in schema_types.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_lang.h"
#include "schema_ctx.h"

dm_schema_params dm_schema_default_params(void) {
  dm_schema_params p;
  memset(&p, 0, sizeof p);
  p.spec_mode = 0;
  p.any_depth = 3;
  p.ref_depth = 3;
  p.max_states = 0;
  p.lenient = 0;
  return p;
}

/* ------------------------------------------------------------------ paths, errors */

size_t sc_push(sc_ctx *c, const char *key) {
  size_t old = c->plen;
  if (c->plen + 2 < sizeof c->path) c->path[c->plen++] = '/';
  for (const char *k = key; *k && c->plen + 3 < sizeof c->path; k++) {
    if (*k == '~') { c->path[c->plen++] = '~'; c->path[c->plen++] = '0'; }
    else if (*k == '/') { c->path[c->plen++] = '~'; c->path[c->plen++] = '1'; }
    else c->path[c->plen++] = *k;
  }
  c->path[c->plen] = 0;
  return old;
}

size_t sc_push_index(sc_ctx *c, int i) {
  char num[16];
  snprintf(num, sizeof num, "%d", i);
  return sc_push(c, num);
}

void sc_pop(sc_ctx *c, size_t old) {
  c->plen = old;
  c->path[old] = 0;
}

dm_dfa *sc_fail(sc_ctx *c, int code, const char *fmt, ...) {
  if (c->rc == DM_OK) {
    char msg[DM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->rc = dm_error_set_named(c->err, code, c->path, "%s", msg);
  }
  return NULL;
}

/* A failure from a lower layer (state limit, memory): keep its message, add where. */
static dm_dfa *sc_lower(sc_ctx *c, int rc, const dm_error *lower) {
  if (c->rc == DM_OK) c->rc = dm_error_set_named(c->err, rc, c->path, "%s", lower->message);
  return NULL;
}

/* ------------------------------------------------------------------ DFA helpers */

dm_dfa *sc_tree(sc_ctx *c, dm_re *re, dm_re_node *node) {
  if (!node) {
    dm_re_free(re);
    return sc_fail(c, DM_ENOMEM, "out of memory");
  }
  dm_dfa *d = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_from_re(node, c->p.max_states, &d, &e);
  dm_re_free(re);
  return rc ? sc_lower(c, rc, &e) : d;
}

dm_dfa *sc_and(sc_ctx *c, dm_dfa *a, dm_dfa *b) {
  if (!a || !b) { dm_dfa_free(a); dm_dfa_free(b); return NULL; }
  dm_dfa *r = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_intersect(a, b, c->p.max_states, &r, &e);
  dm_dfa_free(a);
  dm_dfa_free(b);
  return rc ? sc_lower(c, rc, &e) : r;
}

dm_dfa *sc_or(sc_ctx *c, dm_dfa *a, dm_dfa *b) {
  if (!a) return b;
  if (!b) return a;
  dm_dfa *r = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_union(a, b, c->p.max_states, &r, &e);
  dm_dfa_free(a);
  dm_dfa_free(b);
  return rc ? sc_lower(c, rc, &e) : r;
}

dm_dfa *sc_minus(sc_ctx *c, dm_dfa *a, dm_dfa *b) {
  if (!a || !b) { dm_dfa_free(a); dm_dfa_free(b); return NULL; }
  dm_dfa *r = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_difference(a, b, c->p.max_states, &r, &e);
  dm_dfa_free(a);
  dm_dfa_free(b);
  return rc ? sc_lower(c, rc, &e) : r;
}

dm_dfa *sc_not(sc_ctx *c, dm_dfa *a) {
  if (!a) return NULL;
  dm_dfa *r = NULL;
  dm_error e;
  dm_error_clear(&e);
  int rc = dm_dfa_complement(a, &r, &e);
  dm_dfa_free(a);
  return rc ? sc_lower(c, rc, &e) : r;
}

/* The complement among JSON values: every value of the bounded universe (any JSON
 * value nested at most any_depth deep) not in a. Taking complements inside this
 * universe keeps `not`, `oneOf`, `if`/`else` exact for every instance of that depth
 * (a complement over all texts would admit deeper values whose validity the
 * depth-bounded languages cannot decide). */
dm_dfa *sc_not_json(sc_ctx *c, dm_dfa *a) {
  if (!a) return NULL;
  return sc_minus(c, sc_any(c, c->p.any_depth), a);
}

dm_dfa *sc_empty(sc_ctx *c) {
  dm_re *re = dm_re_new();
  if (!re) return sc_fail(c, DM_ENOMEM, "out of memory");
  return sc_tree(c, re, dm_re_alt(re, NULL, 0));
}

dm_dfa *sc_copy(sc_ctx *c, const dm_dfa *d) {
  dm_dfa *r = calloc(1, sizeof *r);
  if (!r) return sc_fail(c, DM_ENOMEM, "out of memory");
  *r = *d;
  r->next = malloc((size_t)d->nstates * (size_t)d->nclasses * sizeof *r->next);
  r->accept = malloc((size_t)d->nstates);
  if (!r->next || !r->accept) {
    dm_dfa_free(r);
    return sc_fail(c, DM_ENOMEM, "out of memory");
  }
  memcpy(r->next, d->next, (size_t)d->nstates * (size_t)d->nclasses * sizeof *r->next);
  memcpy(r->accept, d->accept, (size_t)d->nstates);
  return r;
}

/* Any JSON value nested at most `depth` levels (cached; returns a copy). */
dm_dfa *sc_any(sc_ctx *c, int depth) {
  if (depth < 0) depth = 0;
  if (depth >= SC_MAX_ANY_DEPTH) depth = SC_MAX_ANY_DEPTH - 1;
  if (!c->any[depth] && sc_cache_usable(c)) {
    const dm_dfa *g = sc_cache_any(depth);
    if (g) return sc_copy(c, g);
  }
  if (!c->any[depth]) {
    dm_dfa *inner = depth > 0 ? sc_any(c, depth - 1) : NULL;
    if (depth > 0 && !inner) return NULL;
    dm_re *re = dm_re_new();
    if (!re) { dm_dfa_free(inner); return sc_fail(c, DM_ENOMEM, "out of memory"); }
    dm_re_node *sc[5] = {dm_re_literal(re, "null", 4), dm_re_literal(re, "true", 4),
                         dm_re_literal(re, "false", 5), dm_jl_number(re), dm_jl_string_any(re)};
    dm_re_node *alts[7];
    int k = 0;
    for (int i = 0; i < 5; i++) alts[k++] = sc[i];
    if (depth > 0) {
      dm_re_node *v = dm_re_dfa(re, inner, 0);
      /* [ (v ("," v)*)? ] */
      dm_re_node *more_v[2] = {dm_re_literal(re, ",", 1), v};
      dm_re_node *seq_v[2] = {v, dm_re_repeat(re, dm_re_cat(re, more_v, 2), 0, -1)};
      dm_re_node *arr[3] = {dm_re_literal(re, "[", 1), dm_re_repeat(re, dm_re_cat(re, seq_v, 2), 0, 1),
                            dm_re_literal(re, "]", 1)};
      alts[k++] = dm_re_cat(re, arr, 3);
      dm_re_node *mem_k[3] = {dm_jl_string_any(re), dm_re_literal(re, ":", 1), v};
      dm_re_node *mem = dm_re_cat(re, mem_k, 3);
      dm_re_node *more_m[2] = {dm_re_literal(re, ",", 1), mem};
      dm_re_node *seq_m[2] = {mem, dm_re_repeat(re, dm_re_cat(re, more_m, 2), 0, -1)};
      dm_re_node *obj[3] = {dm_re_literal(re, "{", 1), dm_re_repeat(re, dm_re_cat(re, seq_m, 2), 0, 1),
                            dm_re_literal(re, "}", 1)};
      alts[k++] = dm_re_cat(re, obj, 3);
    }
    c->any[depth] = sc_tree(c, re, dm_re_alt(re, alts, k));
    dm_dfa_free(inner);
    if (!c->any[depth]) return NULL;
  }
  return sc_copy(c, c->any[depth]);
}

/* The language of one literal value (enum/const member). */
dm_dfa *sc_literal(sc_ctx *c, const cJSON *v) {
  dm_buf b = {0};
  dm_canon_value(&b, v, &c->kr);
  if (b.oom) { dm_buf_free(&b); return sc_fail(c, DM_ENOMEM, "out of memory"); }
  dm_re *re = dm_re_new();
  dm_dfa *d = re ? sc_tree(c, re, dm_re_literal(re, b.s, b.n)) : sc_fail(c, DM_ENOMEM, "out of memory");
  dm_buf_free(&b);
  return d;
}

/* ------------------------------------------------------------------ keywords */

static const char *const applied_keywords[] = {
  "type", "enum", "const", "properties", "required", "additionalProperties",
  "patternProperties", "items", "prefixItems", "minItems", "maxItems", "anyOf", "oneOf",
  "allOf", "not", "$ref", "$defs", "definitions", "minLength", "maxLength", "pattern",
  "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "minProperties", "maxProperties", "if", "then", "else", "contains", "minContains",
  "maxContains", "propertyNames", "dependentRequired", "dependentSchemas",
};
static const char *const annotation_keywords[] = {
  "title", "description", "default", "examples", "$comment", "deprecated",
  "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "contentSchema",
  "$vocabulary", "$anchor",
};

static bool in_list(const char *k, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(k, list[i]) == 0) return true;
  return false;
}

static int check_keywords(sc_ctx *c, const cJSON *s, bool is_root) {
  for (const cJSON *m = s->child; m; m = m->next) {
    const char *k = m->string;
    if (in_list(k, applied_keywords, sizeof applied_keywords / sizeof applied_keywords[0])) continue;
    if (in_list(k, annotation_keywords, sizeof annotation_keywords / sizeof annotation_keywords[0])) continue;
    if (strncmp(k, "x-dimple-", 9) == 0) continue;
    if (strcmp(k, "$id") == 0 && is_root) continue;
    if (strcmp(k, "$schema") == 0) {
      /* only the 2020-12 meta-schema: a custom one may switch vocabularies off */
      if (cJSON_IsString(m) && (strcmp(m->valuestring, "https://json-schema.org/draft/2020-12/schema") == 0 ||
                                strcmp(m->valuestring, "https://json-schema.org/draft/2020-12/schema#") == 0))
        continue;
      size_t old = sc_push(c, k);
      sc_fail(c, DM_ESPEC, "\"$schema\" must be the 2020-12 meta-schema (https://json-schema.org/draft/2020-12/schema)");
      sc_pop(c, old);
      return c->rc;
    }
    size_t old = sc_push(c, k);
    if (c->p.lenient) {
      dm_log(DM_LOG_WARN, "schema: at %s: keyword \"%s\" is not supported; ignored (--lenient)", c->path, k);
      sc_pop(c, old);
      continue;
    }
    const char *why = "is not supported";
    if (strcmp(k, "$id") == 0) why = "in a subschema is not supported (references resolve against the document root)";
    else if (strcmp(k, "$dynamicRef") == 0 || strcmp(k, "$dynamicAnchor") == 0)
      why = "is not supported (use $ref with a JSON pointer such as \"#/$defs/name\")";
    else if (strcmp(k, "uniqueItems") == 0) why = "is not supported (uniqueness is not a regular language)";
    else if (strncmp(k, "unevaluated", 11) == 0) why = "is not supported";
    sc_fail(c, DM_ESPEC, "keyword \"%s\" %s; pass --lenient to ignore it", k, why);
    sc_pop(c, old);
    return c->rc;
  }
  return DM_OK;
}

/* ------------------------------------------------------------------ references */

/* The schema object with "$anchor": name (plain-name fragments). */
static const cJSON *find_anchor(const cJSON *v, const char *name) {
  if (cJSON_IsObject(v)) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "$anchor");
    if (cJSON_IsString(a) && strcmp(a->valuestring, name) == 0) return v;
  }
  if (cJSON_IsObject(v) || cJSON_IsArray(v))
    for (const cJSON *m = v->child; m; m = m->next) {
      const cJSON *r = find_anchor(m, name);
      if (r) return r;
    }
  return NULL;
}

static const cJSON *resolve_ref(sc_ctx *c, const char *ref) {
  if (ref[0] != '#') return NULL;
  if (ref[1] && ref[1] != '/') return find_anchor(c->root, ref + 1);
  const cJSON *cur = c->root;
  const char *p = ref + 1;
  while (*p) {
    if (*p != '/') return NULL;
    p++;
    char tok[512];
    size_t n = 0;
    while (*p && *p != '/' && n + 1 < sizeof tok) {
      if (p[0] == '~' && p[1] == '0') { tok[n++] = '~'; p += 2; }
      else if (p[0] == '~' && p[1] == '1') { tok[n++] = '/'; p += 2; }
      else if (p[0] == '%' && p[1] && p[2]) {
        char hx[3] = {p[1], p[2], 0};
        tok[n++] = (char)strtol(hx, NULL, 16);
        p += 3;
      } else tok[n++] = *p++;
    }
    tok[n] = 0;
    if (cJSON_IsArray(cur)) {
      char *end;
      long i = strtol(tok, &end, 10);
      if (*end || i < 0) return NULL;
      cur = cJSON_GetArrayItem(cur, (int)i);
    } else if (cJSON_IsObject(cur)) {
      cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    } else {
      return NULL;
    }
    if (!cur) return NULL;
  }
  return cur;
}

static dm_dfa *compile_ref(sc_ctx *c, const cJSON *refv) {
  if (!cJSON_IsString(refv)) return sc_fail(c, DM_ESPEC, "\"$ref\" must be a string");
  const cJSON *target = resolve_ref(c, refv->valuestring);
  if (!target) {
    if (refv->valuestring[0] != '#')
      return sc_fail(c, DM_ESPEC, "only local references (\"#/...\") are supported, not \"%s\"", refv->valuestring);
    return sc_fail(c, DM_ESPEC, "reference \"%s\" does not resolve in this document", refv->valuestring);
  }
  /* A target compiled before without reaching the recursion bound anywhere inside
   * has a language that does not depend on the references being followed: every
   * reference inside it led to such a target too, none of which can be on the stack
   * (it would refer to itself), so none is ever cut. */
  for (int i = 0; i < c->nref_memo; i++)
    if (c->ref_memo[i].target == target) return sc_copy(c, c->ref_memo[i].dfa);
  int seen = 0;
  for (int i = 0; i < c->nref; i++) seen += c->ref_stack[i] == target;
  if (seen >= c->p.ref_depth) { /* documented recursion bound */
    c->ref_bounded = 1;
    return sc_empty(c);
  }
  if (c->nref >= SC_MAX_REF_STACK) return sc_fail(c, DM_ESPEC, "references nested too deeply");
  int outer_bounded = c->ref_bounded;
  c->ref_bounded = 0;
  c->ref_stack[c->nref++] = target;
  char saved[sizeof c->path];
  memcpy(saved, c->path, sizeof saved);
  size_t saved_len = c->plen;
  /* errors inside the target name the target's place */
  const char *t = refv->valuestring + 1;
  size_t tl = strlen(t);
  if (tl >= sizeof c->path) tl = sizeof c->path - 1;
  memcpy(c->path, t, tl);
  c->path[tl] = 0;
  c->plen = tl;
  dm_dfa *d = sc_schema(c, target);
  if (c->rc == DM_OK) {
    memcpy(c->path, saved, sizeof saved);
    c->plen = saved_len;
  }
  c->nref--;
  if (d && !c->ref_bounded) {
    if (c->nref_memo == c->cap_ref_memo) {
      int cap = c->cap_ref_memo ? c->cap_ref_memo * 2 : 8;
      struct sc_ref_memo *m = realloc(c->ref_memo, (size_t)cap * sizeof *m);
      if (m) {
        c->ref_memo = m;
        c->cap_ref_memo = cap;
      }
    }
    if (c->nref_memo < c->cap_ref_memo) {
      dm_dfa *keep = sc_copy(c, d);
      if (keep) c->ref_memo[c->nref_memo++] = (struct sc_ref_memo){target, keep};
    }
  }
  c->ref_bounded = outer_bounded || c->ref_bounded;
  return d;
}

/* ------------------------------------------------------------------ combinators */

static dm_dfa *compile_list(sc_ctx *c, const cJSON *arr, const char *kw, int mode) {
  /* mode 0: allOf (intersection), 1: anyOf (union), 2: oneOf (exactly one) */
  size_t old = sc_push(c, kw);
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
    sc_fail(c, DM_ESPEC, "\"%s\" must be a non-empty array of schemas", kw);
    sc_pop(c, old);
    return NULL;
  }
  int n = cJSON_GetArraySize(arr);
  dm_dfa **parts = calloc((size_t)n, sizeof *parts);
  if (!parts) { sc_pop(c, old); return sc_fail(c, DM_ENOMEM, "out of memory"); }
  int i = 0;
  for (const cJSON *m = arr->child; m; m = m->next, i++) {
    size_t o2 = sc_push_index(c, i);
    parts[i] = sc_schema(c, m);
    sc_pop(c, o2);
    if (!parts[i]) goto fail;
  }
  dm_dfa *r = NULL;
  if (mode == 0) {
    r = parts[0];
    parts[0] = NULL;
    for (i = 1; i < n && r; i++) { r = sc_and(c, r, parts[i]); parts[i] = NULL; }
  } else if (mode == 1) {
    for (i = 0; i < n; i++) { r = sc_or(c, r, parts[i]); parts[i] = NULL; if (!r) break; }
  } else {
    /* exactly one: union over i of (parts[i] minus the union of the others) */
    for (i = 0; i < n; i++) {
      dm_dfa *others = NULL;
      for (int j = 0; j < n; j++) {
        if (j == i) continue;
        dm_dfa *cp = sc_copy(c, parts[j]);
        if (!cp) { dm_dfa_free(others); dm_dfa_free(r); r = NULL; goto done; }
        others = sc_or(c, others, cp);
        if (!others) { dm_dfa_free(r); r = NULL; goto done; }
      }
      dm_dfa *mine = sc_copy(c, parts[i]);
      dm_dfa *only = others ? sc_and(c, mine, sc_not_json(c, others)) : sc_and(c, mine, sc_any(c, c->p.any_depth));
      if (!only) { dm_dfa_free(r); r = NULL; goto done; }
      r = sc_or(c, r, only);
      if (!r) goto done;
    }
  }
done:
  for (i = 0; i < n; i++) dm_dfa_free(parts[i]);
  free(parts);
  sc_pop(c, old);
  return r;
fail:
  for (i = 0; i < n; i++) dm_dfa_free(parts[i]);
  free(parts);
  sc_pop(c, old);
  return NULL;
}

static dm_dfa *compile_sub(sc_ctx *c, const cJSON *s, const char *kw) {
  size_t old = sc_push(c, kw);
  dm_dfa *d = sc_schema(c, s);
  sc_pop(c, old);
  return d;
}

/* ------------------------------------------------------------------ the walk */

dm_dfa *sc_schema(sc_ctx *c, const cJSON *s) {
  if (c->rc) return NULL;
  if (cJSON_IsTrue(s)) return sc_any(c, c->p.any_depth);
  if (cJSON_IsFalse(s)) return sc_empty(c);
  if (!cJSON_IsObject(s)) return sc_fail(c, DM_ESPEC, "a schema must be an object or a boolean");
  if (check_keywords(c, s, s == c->root)) return NULL;

  unsigned mask;
  if (sc_type_mask(c, s, &mask)) return NULL;
  dm_dfa *L = sc_types(c, s, sc_types_needed(c, s, mask));
  if (!L) return NULL;

  const cJSON *k;
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "enum"))) {
    size_t old = sc_push(c, "enum");
    if (!cJSON_IsArray(k)) {
      sc_pop(c, old);
      dm_dfa_free(L);
      return sc_fail(c, DM_ESPEC, "\"enum\" must be an array");
    }
    dm_dfa *E = NULL;
    bool any = false;
    for (const cJSON *m = k->child; m; m = m->next) {
      dm_dfa *one = sc_literal(c, m);
      if (!one) { dm_dfa_free(E); E = NULL; break; }
      E = sc_or(c, E, one);
      any = true;
      if (!E) break;
    }
    if (!any && c->rc == DM_OK) E = sc_empty(c);
    sc_pop(c, old);
    L = sc_and(c, L, E);
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "const"))) {
    L = sc_and(c, L, sc_literal(c, k));
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "allOf"))) {
    L = sc_and(c, L, compile_list(c, k, "allOf", 0));
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "anyOf"))) {
    L = sc_and(c, L, compile_list(c, k, "anyOf", 1));
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "oneOf"))) {
    L = sc_and(c, L, compile_list(c, k, "oneOf", 2));
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "not"))) {
    L = sc_and(c, L, sc_not_json(c, compile_sub(c, k, "not")));
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "if"))) {
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(s, "then");
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(s, "else");
    dm_dfa *cond = compile_sub(c, k, "if");
    if (!cond) { dm_dfa_free(L); return NULL; }
    dm_dfa *ncond = sc_not_json(c, sc_copy(c, cond));
    dm_dfa *a = th ? sc_and(c, cond, compile_sub(c, th, "then")) : cond;
    dm_dfa *b = el ? sc_and(c, ncond, compile_sub(c, el, "else")) : ncond;
    if (!a || !b) { dm_dfa_free(a); dm_dfa_free(b); dm_dfa_free(L); return NULL; }
    L = sc_and(c, L, sc_or(c, a, b));
    if (!L) return NULL;
  }
  if ((k = cJSON_GetObjectItemCaseSensitive(s, "$ref"))) {
    size_t old = sc_push(c, "$ref");
    dm_dfa *R = compile_ref(c, k);
    sc_pop(c, old);
    L = sc_and(c, L, R);
    if (!L) return NULL;
  }
  return L;
}

struct dm_schema_compiler {
  sc_ctx c;
};

int dm_schema_compiler_new(const cJSON *root, const dm_schema_params *params, dm_schema_compiler **out,
                           dm_error *err) {
  *out = NULL;
  dm_schema_compiler *sc = calloc(1, sizeof *sc);
  if (!sc) return dm_error_set(err, DM_ENOMEM, "out of memory");
  sc->c.root = root;
  sc->c.p = params ? *params : dm_schema_default_params();
  if (sc->c.p.any_depth < 0) sc->c.p.any_depth = 0;
  if (sc->c.p.ref_depth < 1) sc->c.p.ref_depth = 1;
  if (dm_keyrank_build(&sc->c.kr, root)) {
    dm_schema_compiler_free(sc);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  *out = sc;
  return DM_OK;
}

void dm_schema_compiler_free(dm_schema_compiler *sc) {
  if (!sc) return;
  for (int i = 0; i < SC_MAX_ANY_DEPTH; i++) dm_dfa_free(sc->c.any[i]);
  dm_dfa_free(sc->c.open_object);
  for (int i = 0; i < sc->c.nref_memo; i++) dm_dfa_free(sc->c.ref_memo[i].dfa);
  free(sc->c.ref_memo);
  dm_keyrank_free(&sc->c.kr);
  free(sc);
}

const dm_keyrank *dm_schema_compiler_keyrank(const dm_schema_compiler *sc) { return &sc->c.kr; }
const dm_schema_params *dm_schema_compiler_params(const dm_schema_compiler *sc) { return &sc->c.p; }

int dm_schema_compiler_run(dm_schema_compiler *sc, const cJSON *sub, const char *pointer, dm_dfa **out,
                           dm_error *err) {
  *out = NULL;
  sc_ctx *c = &sc->c;
  c->rc = DM_OK;
  c->err = err;
  c->nref = 0;
  c->ref_bounded = 0;
  size_t pl = strlen(pointer ? pointer : "");
  if (pl >= sizeof c->path) pl = sizeof c->path - 1;
  memcpy(c->path, pointer ? pointer : "", pl);
  c->path[pl] = 0;
  c->plen = pl;
  dm_dfa *d = sc_schema(c, sub);
  if (!d) return c->rc ? c->rc : DM_EINTERNAL;
  *out = d;
  return DM_OK;
}

int dm_schema_compile(const cJSON *schema, const dm_schema_params *params, dm_dfa **out,
                      dm_keyrank *kr, dm_error *err) {
  *out = NULL;
  dm_schema_compiler *sc = NULL;
  int rc = dm_schema_compiler_new(schema, params, &sc, err);
  if (rc) return rc;
  rc = dm_schema_compiler_run(sc, schema, "", out, err);
  if (rc == DM_OK && kr) {
    *kr = sc->c.kr;
    memset(&sc->c.kr, 0, sizeof sc->c.kr);
  }
  dm_schema_compiler_free(sc);
  return rc;
}
