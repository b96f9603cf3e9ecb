/* JSON Schema compiler: the type-specific languages (numbers, strings, arrays,
 * objects) and their keywords. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_lang.h"
#include "schema_ctx.h"

#define MAX_EXPLICIT_ITEMS 4096
#define MAX_STRING_LENGTH 4096

int sc_type_mask(sc_ctx *c, const cJSON *s, unsigned *mask) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");
  *mask = SC_ALL;
  if (!t) return DM_OK;
  static const struct { const char *name; unsigned bit; } names[] = {
    {"null", SC_NULL}, {"boolean", SC_BOOL}, {"integer", SC_INT}, {"number", SC_NUM | SC_INT},
    {"string", SC_STR}, {"array", SC_ARR}, {"object", SC_OBJ},
  };
  size_t old = sc_push(c, "type");
  *mask = 0;
  const cJSON *one = t;
  bool list = cJSON_IsArray(t);
  if (list) one = t->child;
  for (; one; one = list ? one->next : NULL) {
    unsigned bit = 0;
    if (cJSON_IsString(one))
      for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(one->valuestring, names[i].name) == 0) bit = names[i].bit;
    if (!bit) {
      sc_fail(c, DM_ESPEC, "unknown type (expected null, boolean, integer, number, string, array or object)");
      sc_pop(c, old);
      return c->rc;
    }
    *mask |= bit;
  }
  sc_pop(c, old);
  return DM_OK;
}

int sc_get_count(sc_ctx *c, const cJSON *s, const char *kw, long *v) {
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, kw);
  if (!k) return 0;
  if (!cJSON_IsNumber(k) || k->valuedouble < 0 || k->valuedouble != floor(k->valuedouble) || k->valuedouble > 1e9) {
    size_t old = sc_push(c, kw);
    sc_fail(c, DM_ESPEC, "\"%s\" must be a non-negative integer", kw);
    sc_pop(c, old);
    return -1;
  }
  *v = (long)k->valuedouble;
  return 1;
}

/* ------------------------------------------------------------------ numbers */

static dm_dfa *lang_number(sc_ctx *c, const cJSON *s, bool integer_only) {
  dm_re *re = dm_re_new();
  if (!re) return sc_fail(c, DM_ENOMEM, "out of memory");
  dm_dfa *L = sc_tree(c, re, integer_only ? dm_jl_integer(re) : dm_jl_number(re));
  static const struct { const char *kw; dm_cmp op; } bounds[] = {
    {"minimum", DM_CMP_GE}, {"exclusiveMinimum", DM_CMP_GT},
    {"maximum", DM_CMP_LE}, {"exclusiveMaximum", DM_CMP_LT},
  };
  for (size_t i = 0; i < 4 && L; i++) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, bounds[i].kw);
    if (!k) continue;
    size_t old = sc_push(c, bounds[i].kw);
    dm_decimal b;
    if (!cJSON_IsNumber(k)) {
      dm_dfa_free(L);
      L = sc_fail(c, DM_ESPEC, "\"%s\" must be a number", bounds[i].kw);
    } else if (dm_decimal_from_double(k->valuedouble, &b) != DM_OK) {
      dm_dfa_free(L);
      L = sc_fail(c, DM_ESPEC, "bound %g is outside what compiles exactly (|x| < 9.2e18, at most 31 fraction digits)",
                  k->valuedouble);
    } else {
      re = dm_re_new();
      L = re ? sc_and(c, L, sc_tree(c, re, dm_jl_number_cmp(re, bounds[i].op, &b))) : sc_fail(c, DM_ENOMEM, "out of memory");
    }
    sc_pop(c, old);
  }
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "multipleOf");
  if (k && L) {
    size_t old = sc_push(c, "multipleOf");
    if (!cJSON_IsNumber(k) || k->valuedouble <= 0) {
      dm_dfa_free(L);
      L = sc_fail(c, DM_ESPEC, "\"multipleOf\" must be a number greater than 0");
    } else {
      /* k = a * 10^-j with the shortest decimal of the double */
      dm_decimal dk;
      int64_t a = 0;
      int j = 0;
      int rc = dm_decimal_from_double(k->valuedouble, &dk);
      if (rc == DM_OK) {
        j = (int)strlen(dk.frac);
        a = dk.ipart;
        for (int q = 0; q < j && a < INT64_MAX / 10; q++) a = a * 10 + (dk.frac[q] - '0');
      }
      dm_dfa *m = NULL;
      if (rc == DM_OK) rc = dm_jl_multiple_of(a, j, &m);
      if (rc == DM_ENOMEM) {
        dm_dfa_free(L);
        L = sc_fail(c, rc, "out of memory");
      } else if (rc) {
        dm_dfa_free(L);
        L = sc_fail(c, DM_ESPEC, "\"multipleOf\": %g does not compile exactly (digits times fraction length too large)",
                    k->valuedouble);
      } else {
        L = sc_and(c, L, m);
      }
    }
    sc_pop(c, old);
  }
  return L;
}

/* ------------------------------------------------------------------ strings */

static dm_dfa *lang_string(sc_ctx *c, const cJSON *s) {
  dm_dfa *V = NULL; /* decoded value language; NULL = any string */
  long mn = 0, mx = -1;
  int has_mn = sc_get_count(c, s, "minLength", &mn), has_mx = sc_get_count(c, s, "maxLength", &mx);
  if (has_mn < 0 || has_mx < 0) return NULL;
  if (has_mn || has_mx) {
    if (mn > MAX_STRING_LENGTH || (has_mx && mx > MAX_STRING_LENGTH)) {
      size_t old = sc_push(c, mn > MAX_STRING_LENGTH ? "minLength" : "maxLength");
      sc_fail(c, DM_ESPEC, "string lengths above %d do not compile exactly", MAX_STRING_LENGTH);
      sc_pop(c, old);
      return NULL;
    }
    dm_re *re = dm_re_new();
    if (!re) return sc_fail(c, DM_ENOMEM, "out of memory");
    V = sc_tree(c, re, dm_re_repeat(re, dm_jl_any_char(re), (int)mn, has_mx ? (int)mx : -1));
    if (!V) return NULL;
  }
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "pattern");
  if (k) {
    size_t old = sc_push(c, "pattern");
    if (!cJSON_IsString(k)) {
      dm_dfa_free(V);
      sc_pop(c, old);
      return sc_fail(c, DM_ESPEC, "\"pattern\" must be a string");
    }
    dm_dfa *P = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_dfa_from_search_pattern(k->valuestring, strlen(k->valuestring), c->p.max_states, &P, &e);
    if (rc) {
      dm_dfa_free(V);
      if (e.pos_kind == DM_POS_OFFSET)
        sc_fail(c, rc, "regex error at byte %zu: %s", e.offset, e.message);
      else
        sc_fail(c, rc, "%s", e.message);
      sc_pop(c, old);
      return NULL;
    }
    sc_pop(c, old);
    V = V ? sc_and(c, V, P) : P;
    if (!V) return NULL;
  }
  k = cJSON_GetObjectItemCaseSensitive(s, "format");
  if (k && !c->p.spec_mode) {
    size_t old = sc_push(c, "format");
    const char *re_s = cJSON_IsString(k) ? dm_format_pattern(k->valuestring) : NULL;
    if (!re_s) {
      dm_dfa_free(V);
      sc_fail(c, DM_ESPEC, "unknown format%s%s%s (known: date, time, date-time, email, uuid, ipv4, ipv6, uri, hostname)",
                     cJSON_IsString(k) ? " \"" : "", cJSON_IsString(k) ? k->valuestring : "", cJSON_IsString(k) ? "\"" : "");
      sc_pop(c, old);
      return NULL;
    }
    dm_dfa *F = NULL;
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_dfa_from_pattern(re_s, strlen(re_s), c->p.max_states, &F, &e);
    sc_pop(c, old);
    if (rc) {
      dm_dfa_free(V);
      return sc_fail(c, rc, "format pattern: %s", e.message);
    }
    V = V ? sc_and(c, V, F) : F;
    if (!V) return NULL;
  }
  dm_re *re = dm_re_new();
  if (!re) { dm_dfa_free(V); return sc_fail(c, DM_ENOMEM, "out of memory"); }
  dm_dfa *L = sc_tree(c, re, V ? dm_jl_string_of(re, V) : dm_jl_string_any(re));
  dm_dfa_free(V);
  return L;
}

/* ------------------------------------------------------------------ arrays */

static dm_dfa *lang_array(sc_ctx *c, const cJSON *s) {
  long mn = 0, mx = -1;
  int has_mn = sc_get_count(c, s, "minItems", &mn), has_mx = sc_get_count(c, s, "maxItems", &mx);
  if (has_mn < 0 || has_mx < 0) return NULL;
  const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(s, "prefixItems");
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
  if (prefix && !cJSON_IsArray(prefix)) {
    size_t old = sc_push(c, "prefixItems");
    sc_fail(c, DM_ESPEC, "\"prefixItems\" must be an array of schemas");
    sc_pop(c, old);
    return NULL;
  }
  if (items && cJSON_IsArray(items)) {
    size_t old = sc_push(c, "items");
    sc_fail(c, DM_ESPEC, "\"items\" as an array is the pre-2020 form; use \"prefixItems\"");
    sc_pop(c, old);
    return NULL;
  }
  int k = prefix ? cJSON_GetArraySize(prefix) : 0;
  bool rest_none = items && cJSON_IsFalse(items);
  long top = has_mx ? mx : (long)(k > mn ? k : mn);
  if (!has_mx && top < 1) top = 1;
  if (rest_none && top > k) top = k;
  if (has_mn && mn > top) return sc_empty(c);
  if (top > MAX_EXPLICIT_ITEMS) {
    size_t old = sc_push(c, has_mx ? "maxItems" : "minItems");
    sc_fail(c, DM_ESPEC, "arrays of more than %d items do not compile exactly", MAX_EXPLICIT_ITEMS);
    sc_pop(c, old);
    return NULL;
  }
  /* element languages: prefix ones, then the rest */
  dm_dfa **P = calloc((size_t)(k ? k : 1), sizeof *P);
  dm_dfa *R = NULL, *C = NULL;
  dm_re *re = NULL;
  dm_dfa *L = NULL;
  if (!P) return sc_fail(c, DM_ENOMEM, "out of memory");
  int i = 0;
  if (prefix) {
    size_t old = sc_push(c, "prefixItems");
    for (const cJSON *m = prefix->child; m; m = m->next, i++) {
      size_t o2 = sc_push_index(c, i);
      P[i] = sc_schema(c, m);
      sc_pop(c, o2);
      if (!P[i]) break;
    }
    sc_pop(c, old);
    if (c->rc) goto out;
  }
  if (!rest_none && (top > k || !has_mx)) {
    if (items) {
      size_t old = sc_push(c, "items");
      R = sc_schema(c, items);
      sc_pop(c, old);
    } else {
      R = sc_any(c, c->p.any_depth);
    }
    if (!R) goto out;
  }
  /* "contains": count the elements in C, between minContains and maxContains */
  const cJSON *cont = cJSON_GetObjectItemCaseSensitive(s, "contains");
  long cmin = 1, cmax = -1;
  if (cont) {
    int r1 = sc_get_count(c, s, "minContains", &cmin), r2 = sc_get_count(c, s, "maxContains", &cmax);
    if (r1 < 0 || r2 < 0) goto out;
    if (!r1) cmin = 1;
    if (!r2) cmax = -1;
    size_t old = sc_push(c, "contains");
    C = sc_schema(c, cont);
    sc_pop(c, old);
    if (!C) goto out;
    if (cmax >= 0 && cmax < cmin) { L = sc_empty(c); goto out; }
    if (cmin > 64 || cmax > 64) {
      size_t o2 = sc_push(c, cmin > 64 ? "minContains" : "maxContains");
      sc_fail(c, DM_ESPEC, "contains counts above 64 do not compile exactly");
      sc_pop(c, o2);
      goto out;
    }
  }
  /* W count columns: exact counts up to cmax, or saturating at cmin */
  int W = !C ? 1 : (int)(cmax >= 0 ? cmax + 1 : (cmin > 0 ? cmin + 1 : 1));
  /* per element language, split by C: in[i] counts, out[i] does not */
  int nel = k + 1; /* P[0..k-1], then R */
  dm_dfa **ein = calloc((size_t)nel, sizeof *ein), **eout = calloc((size_t)nel, sizeof *eout);
  if (!ein || !eout) { free(ein); free(eout); sc_fail(c, DM_ENOMEM, "out of memory"); goto out; }
  for (i = 0; i < nel; i++) {
    const dm_dfa *E = i < k ? P[i] : R;
    if (!E) continue;
    if (!C) { eout[i] = sc_copy(c, E); if (!eout[i]) break; continue; }
    ein[i] = sc_and(c, sc_copy(c, E), sc_copy(c, C));
    eout[i] = sc_and(c, sc_copy(c, E), sc_not_json(c, sc_copy(c, C)));
    if (!ein[i] || !eout[i]) break;
  }
  if (c->rc) goto out_el;
  /* graph: state (i, n) = i elements written, n of them in C; the last row loops
   * when the length is unbounded */
  re = dm_re_new();
  if (!re) { sc_fail(c, DM_ENOMEM, "out of memory"); goto out_el; }
  int rows = (int)top + 1;
  dm_re_node *g = dm_re_graph_new(re, rows * W, rows * W * 4);
  dm_re_node *comma = dm_re_literal(re, ",", 1);
  if (!g || !comma) { sc_fail(c, DM_ENOMEM, "out of memory"); goto out_el; }
  for (long st = 0; st <= top; st++) {
    bool loop = st == top;
    if (loop && (has_mx || !R)) break;
    int e = st < k ? (int)st : k;
    for (int cnt = 0; cnt < W; cnt++) {
      for (int counted = 0; counted < 2; counted++) {
        const dm_dfa *E = counted ? ein[e] : eout[e];
        if (!E) continue;
        int to = cnt + counted;
        if (to >= W) {
          if (cmax >= 0) continue; /* would exceed maxContains */
          to = W - 1;
        }
        dm_re_node *lab = dm_re_dfa(re, E, 0);
        if (st > 0 || loop) {
          dm_re_node *kk[2] = {comma, lab};
          lab = dm_re_cat(re, kk, 2);
        }
        long to_row = loop ? st : st + 1;
        dm_re_graph_edge(g, (int)st * W + cnt, (int)to_row * W + to, lab);
      }
    }
  }
  for (long st = has_mn ? mn : 0; st <= top; st++)
    for (int cnt = C ? (int)(cmin < W ? cmin : W - 1) : 0; cnt < W; cnt++) g->graph->accept[st * W + cnt] = 1;
  dm_re_node *parts[3] = {dm_re_literal(re, "[", 1), g, dm_re_literal(re, "]", 1)};
  L = sc_tree(c, re, dm_re_cat(re, parts, 3));
  re = NULL;
out_el:
  for (i = 0; i < nel; i++) { dm_dfa_free(ein[i]); dm_dfa_free(eout[i]); }
  free(ein);
  free(eout);
out:
  dm_re_free(re);
  for (i = 0; i < k; i++) dm_dfa_free(P[i]);
  free(P);
  dm_dfa_free(R);
  dm_dfa_free(C);
  return L;
}

/* ------------------------------------------------------------------ union of types */

/* Does s leave the languages of every type in mask open, with no keyword that
 * narrows them (nor one that could be malformed)? Open objects also need that no key
 * is ranked unless ranked_ok (the ranked keys come first in every object). */
bool sc_types_open(const sc_ctx *c, const cJSON *s, unsigned mask, bool ranked_ok) {
  static const char *const num_kw[] = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", NULL};
  static const char *const str_kw[] = {"minLength", "maxLength", "pattern", NULL};
  static const char *const arr_kw[] = {"prefixItems", "items", "minItems", "maxItems", "contains", "minContains",
                                       "maxContains", NULL};
  static const char *const obj_kw[] = {"properties", "required", "additionalProperties", "patternProperties",
                                       "propertyNames", "minProperties", "maxProperties", "dependentRequired",
                                       "dependentSchemas", NULL};
  const char *const *lists[4] = {mask & (SC_INT | SC_NUM) ? num_kw : NULL, mask & SC_STR ? str_kw : NULL,
                                 mask & SC_ARR ? arr_kw : NULL, mask & SC_OBJ ? obj_kw : NULL};
  for (int l = 0; l < 4; l++)
    for (const char *const *k = lists[l]; k && *k; k++)
      if (cJSON_GetObjectItemCaseSensitive(s, *k)) return false;
  if ((mask & SC_STR) && !c->p.spec_mode && cJSON_GetObjectItemCaseSensitive(s, "format")) return false;
  if ((mask & SC_OBJ) && c->kr.n > 0 && !ranked_ok) return false;
  return true;
}

/* The type of a literal value as a mask bit (numbers: both number bits). */
static unsigned value_types(const cJSON *v) {
  if (cJSON_IsNull(v)) return SC_NULL;
  if (cJSON_IsBool(v)) return SC_BOOL;
  if (cJSON_IsNumber(v)) return SC_INT | SC_NUM;
  if (cJSON_IsString(v)) return SC_STR;
  if (cJSON_IsArray(v)) return SC_ARR;
  return SC_OBJ;
}

unsigned sc_types_needed(const sc_ctx *c, const cJSON *s, unsigned mask) {
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "enum");
  const cJSON *co = cJSON_GetObjectItemCaseSensitive(s, "const");
  if (en && !cJSON_IsArray(en)) return mask; /* an error, reported in its place */
  if (!en && !co) return mask;
  unsigned need = SC_ALL;
  if (en) {
    need = 0;
    for (const cJSON *m = en->child; m; m = m->next) need |= value_types(m);
  }
  if (co) need &= value_types(co);
  /* the texts of different types start with different bytes: a type no literal has
   * adds nothing to the intersection. Drop it only when its keywords are absent, so
   * that no error they would raise is skipped. */
  static const unsigned fam[6] = {SC_NULL, SC_BOOL, SC_INT | SC_NUM, SC_STR, SC_ARR, SC_OBJ};
  for (int f = 0; f < 6; f++)
    if ((mask & fam[f]) && !(need & fam[f]) && sc_types_open(c, s, mask & fam[f], true)) mask &= ~fam[f];
  return mask;
}

dm_dfa *sc_types(sc_ctx *c, const cJSON *s, unsigned mask) {
  /* the union over the type groups in this order. Open (keyword-free) languages come
   * from the process-wide cache, which builds them with this function on the empty
   * schema: the longest open run from the start of the chain as one entry (the same
   * unions in the same order), and open arrays and objects on their own. An open
   * object over ranked keys depends on the document: it is kept per compiler. */
  static const unsigned groups[5] = {SC_NULL | SC_BOOL, SC_INT | SC_NUM, SC_STR, SC_ARR, SC_OBJ};
  dm_dfa *L = NULL;
  bool any = false;
  bool cache = sc_cache_usable(c);
  int depth = c->p.any_depth < SC_MAX_ANY_DEPTH ? c->p.any_depth : SC_MAX_ANY_DEPTH - 1;
  unsigned done = 0;
  if (cache) {
    unsigned pre = 0;
    for (int g = 0; g < 5; g++) {
      unsigned gm = mask & groups[g];
      if (!gm) continue;
      if (!sc_types_open(c, s, gm, false)) break;
      pre |= gm;
    }
    const dm_dfa *e = pre ? sc_cache_open_types(pre, depth) : NULL;
    if (e) {
      L = sc_copy(c, e);
      if (!L) return NULL;
      done = pre;
      any = true;
    }
  }
  /* The parts are disjoint by first byte, so the unions one at a time never visit
   * more than the parts' states plus one per part: while that stays within the state
   * limit they are deferred and done at once at the end (the same automaton); past
   * it they run one at a time as they come, failing where they always did. */
  int limit = c->p.max_states > 0 ? c->p.max_states : DM_DFA_DEFAULT_MAX_STATES;
  dm_dfa *parts[6];
  int np = 0;
  bool deferring = true;
  size_t bound = 0;
  uint8_t used[256] = {0};
  if (L) {
    if (!dm_dfa_starts_disjoint(L, used) || (size_t)L->nstates + 1 > (size_t)limit) deferring = false;
    else {
      dm_dfa_starts_mark(L, used);
      bound = (size_t)L->nstates + 1;
      parts[np++] = L;
      L = NULL;
    }
  }
  for (int g = 0; g < 5; g++) {
    unsigned gm = mask & groups[g] & ~done;
    if (!gm) continue;
    dm_dfa *part = NULL;
    const dm_dfa *e = cache && (gm == SC_ARR || gm == SC_OBJ) && sc_types_open(c, s, gm, false)
                          ? sc_cache_open_types(gm, depth) : NULL;
    if (e) {
      part = sc_copy(c, e);
    } else if (g == 0) {
      dm_re *re = dm_re_new();
      if (re) {
        dm_re_node *alts[3];
        int k = 0;
        if (gm & SC_NULL) alts[k++] = dm_re_literal(re, "null", 4);
        if (gm & SC_BOOL) { alts[k++] = dm_re_literal(re, "true", 4); alts[k++] = dm_re_literal(re, "false", 5); }
        part = sc_tree(c, re, dm_re_alt(re, alts, k));
      } else {
        sc_fail(c, DM_ENOMEM, "out of memory");
      }
    } else if (g == 1) {
      part = lang_number(c, s, !(gm & SC_NUM));
    } else if (g == 2) {
      part = lang_string(c, s);
    } else if (g == 3) {
      part = lang_array(c, s);
    } else if (sc_types_open(c, s, gm, true)) {
      /* the open object over this document's ranked keys, built once per compiler */
      if (!c->open_object) c->open_object = sc_lang_object(c, s);
      part = c->open_object ? sc_copy(c, c->open_object) : NULL;
    } else {
      part = sc_lang_object(c, s);
    }
    any = true;
    if (c->rc) { dm_dfa_free(part); break; }
    if (deferring) {
      if (dm_dfa_starts_disjoint(part, used) && bound + (size_t)part->nstates + 1 <= (size_t)limit) {
        dm_dfa_starts_mark(part, used);
        bound += (size_t)part->nstates + 1;
        parts[np++] = part;
        continue;
      }
      /* past the bound: the deferred unions now, in order (they stay within it) */
      deferring = false;
      for (int i = 0; i < np; i++) { L = sc_or(c, L, parts[i]); parts[i] = NULL; }
      np = 0;
      if (c->rc) { dm_dfa_free(part); break; }
    }
    L = sc_or(c, L, part);
    if (c->rc) break;
  }
  if (c->rc) {
    for (int i = 0; i < np; i++) dm_dfa_free(parts[i]);
    dm_dfa_free(L);
    return NULL;
  }
  if (np == 1) {
    L = parts[0];
  } else if (np > 1) {
    dm_error e;
    dm_error_clear(&e);
    int rc = dm_dfa_union_disjoint(parts, np, &L, &e);
    for (int i = 0; i < np; i++) dm_dfa_free(parts[i]);
    if (rc) return sc_fail(c, rc, "%s", e.message);
  }
  if (!any || !L) return c->rc ? NULL : sc_empty(c);
  return L;
}
