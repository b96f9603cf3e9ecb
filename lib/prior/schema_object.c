/* JSON Schema compiler: objects. Members appear in key-rank order (json_canon.h):
 * first every ranked key the schema allows, then any number of other members. A
 * small graph over (ranked key index, members written) keeps commas, "required",
 * minProperties and maxProperties exact. */
#include <stdlib.h>
#include <string.h>

#include "json_lang.h"
#include "schema_ctx.h"

#define MAX_PATTERNS 6
#define MAX_COUNT 64
#define MAX_DEPENDENCIES 6

enum { FORCE_FREE = 0, FORCE_ABSENT = 1, FORCE_PRESENT = 2 };

typedef struct obj_kw {
  const cJSON *props, *req, *addl, *pats, *names;
  long mn, mx;
  int has_mn, has_mx;
} obj_kw;

typedef struct region {
  dm_dfa *key;    /* serialized key (quotes included) */
  dm_dfa *value;
} region;

static int read_keywords(sc_ctx *c, const cJSON *s, obj_kw *k) {
  memset(k, 0, sizeof *k);
  k->props = cJSON_GetObjectItemCaseSensitive(s, "properties");
  k->req = cJSON_GetObjectItemCaseSensitive(s, "required");
  k->addl = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
  k->pats = cJSON_GetObjectItemCaseSensitive(s, "patternProperties");
  k->names = cJSON_GetObjectItemCaseSensitive(s, "propertyNames");
  k->mx = -1;
  k->has_mn = sc_get_count(c, s, "minProperties", &k->mn);
  k->has_mx = sc_get_count(c, s, "maxProperties", &k->mx);
  if (k->has_mn < 0 || k->has_mx < 0) return c->rc;
  const char *bad = k->props && !cJSON_IsObject(k->props) ? "properties"
                    : k->req && !cJSON_IsArray(k->req) ? "required"
                    : k->pats && !cJSON_IsObject(k->pats) ? "patternProperties"
                    : k->addl && !cJSON_IsObject(k->addl) && !cJSON_IsBool(k->addl) ? "additionalProperties"
                    : NULL;
  if (!bad && k->req)
    for (const cJSON *r = k->req->child; r; r = r->next)
      if (!cJSON_IsString(r)) bad = "required";
  if (!bad && k->pats && cJSON_GetArraySize(k->pats) > MAX_PATTERNS) {
    size_t old = sc_push(c, "patternProperties");
    sc_fail(c, DM_ESPEC, "at most %d patternProperties compile exactly", MAX_PATTERNS);
    sc_pop(c, old);
    return c->rc;
  }
  if (bad) {
    size_t old = sc_push(c, bad);
    sc_fail(c, DM_ESPEC, "\"%s\" has the wrong type", bad);
    sc_pop(c, old);
    return c->rc;
  }
  return DM_OK;
}

static bool is_required(const obj_kw *k, const char *key) {
  if (k->req)
    for (const cJSON *r = k->req->child; r; r = r->next)
      if (strcmp(r->valuestring, key) == 0) return true;
  return false;
}

/* Serialized form "\"" esc(K) "\"" of a decoded key language, cut by propertyNames. */
static dm_dfa *serialize_keys(sc_ctx *c, dm_dfa *K, const dm_dfa *names) {
  dm_re *re = dm_re_new();
  if (!re) { dm_dfa_free(K); return sc_fail(c, DM_ENOMEM, "out of memory"); }
  dm_dfa *S = sc_tree(c, re, dm_jl_string_of(re, K));
  dm_dfa_free(K);
  if (S && names) S = sc_and(c, S, sc_copy(c, names));
  return S;
}

static bool key_passes(const dm_dfa *names, const char *key) {
  if (!names) return true;
  dm_buf b = {0};
  dm_canon_string(&b, key, strlen(key));
  bool ok = !b.oom && dm_dfa_match(names, (const uint8_t *)b.s, b.n);
  dm_buf_free(&b);
  return ok;
}

/* What an object schema's language is made of, apart from which ranked keys the
 * dependency keywords force present or absent: built once per schema, then
 * assembled (obj_graph) once per combination of dependencies. */
typedef struct obj_parts {
  obj_kw k;
  int n;                 /* ranked keys (c->kr) */
  dm_dfa **mem;          /* per ranked key: its value language, NULL when it may not appear */
  region reg[(1 << MAX_PATTERNS) + 1]; /* the other keys, by matching patterns, and their values */
  int nreg;
} obj_parts;

static void obj_parts_free(obj_parts *o) {
  for (int i = 0; i < o->n; i++) dm_dfa_free(o->mem[i]);
  free(o->mem);
  for (int r = 0; r < o->nreg; r++) { dm_dfa_free(o->reg[r].key); dm_dfa_free(o->reg[r].value); }
  memset(o, 0, sizeof *o);
}

/* Fill o (freed with obj_parts_free, also on failure). c->rc set on failure. */
static int obj_parts_build(sc_ctx *c, const cJSON *s, obj_parts *o) {
  memset(o, 0, sizeof *o);
  obj_kw *kw = &o->k;
  if (read_keywords(c, s, kw)) return c->rc;
  obj_kw k = *kw;
  /* without "additionalProperties", generation mode closes objects that list their
   * properties (what users of constrained generation expect); an object schema that
   * lists none stays open, as in spec mode */
  bool addl_open = k.addl ? !cJSON_IsFalse(k.addl) : (c->p.spec_mode || (!k.props && !k.pats));
  int n = c->kr.n, npat = k.pats ? cJSON_GetArraySize(k.pats) : 0;
  dm_dfa **mem = o->mem = calloc((size_t)(n ? n : 1), sizeof *mem);
  o->n = mem ? n : 0;
  dm_dfa *Vadd = NULL, *names = NULL, *known = NULL;
  dm_dfa *pk[MAX_PATTERNS] = {0}, *pv[MAX_PATTERNS] = {0};
  region *reg = o->reg;
  dm_re *re = NULL;
  bool done = false;
  if (!mem) return sc_fail(c, DM_ENOMEM, "out of memory"), DM_ENOMEM;

  if (addl_open) {
    if (k.addl && cJSON_IsObject(k.addl)) {
      size_t old = sc_push(c, "additionalProperties");
      Vadd = sc_schema(c, k.addl);
      sc_pop(c, old);
    } else {
      Vadd = sc_any(c, c->p.any_depth);
    }
    if (!Vadd) goto out;
  }
  if (k.names) {
    size_t old = sc_push(c, "propertyNames");
    names = sc_schema(c, k.names);
    sc_pop(c, old);
    if (!names) goto out;
  }
  if (npat) {
    size_t o1 = sc_push(c, "patternProperties");
    int j = 0;
    for (const cJSON *p = k.pats->child; p; p = p->next, j++) {
      size_t o2 = sc_push(c, p->string);
      dm_error e;
      dm_error_clear(&e);
      int rc = dm_dfa_from_search_pattern(p->string, strlen(p->string), c->p.max_states, &pk[j], &e);
      if (rc) sc_fail(c, rc, "regex error at byte %zu: %s", e.offset, e.message);
      else pv[j] = sc_schema(c, p);
      sc_pop(c, o2);
      if (c->rc) { sc_pop(c, o1); goto out; }
    }
    sc_pop(c, o1);
  }

  /* ranked keys: the value language, or NULL when the key may not appear */
  for (int i = 0; i < n; i++) {
    const char *key = c->kr.keys[i];
    const cJSON *ps = k.props ? cJSON_GetObjectItemCaseSensitive(k.props, key) : NULL;
    dm_dfa *V = NULL;
    bool matched = false;
    if (ps) {
      size_t o1 = sc_push(c, "properties"), o2 = sc_push(c, key);
      V = sc_schema(c, ps);
      sc_pop(c, o2);
      sc_pop(c, o1);
      if (!V) goto out;
      matched = true;
    }
    for (int j = 0; j < npat; j++) {
      if (!dm_dfa_match(pk[j], (const uint8_t *)key, strlen(key))) continue;
      dm_dfa *W = sc_copy(c, pv[j]);
      V = V ? sc_and(c, V, W) : W;
      if (!V) goto out;
      matched = true;
    }
    if (!matched && Vadd) {
      V = sc_copy(c, Vadd);
      if (!V) goto out;
    }
    if (V && !key_passes(names, key)) {
      dm_dfa_free(V);
      V = NULL;
    }
    mem[i] = V;
  }

  /* other keys: one region per set of matching patterns, plus the additional ones */
  {
    re = dm_re_new();
    dm_re_node **lits = calloc((size_t)(n ? n : 1), sizeof *lits);
    if (!re || !lits) { free(lits); sc_fail(c, DM_ENOMEM, "out of memory"); goto out; }
    for (int i = 0; i < n; i++) lits[i] = dm_re_literal(re, c->kr.keys[i], strlen(c->kr.keys[i]));
    known = sc_tree(c, re, dm_re_alt(re, lits, n));
    re = NULL;
    free(lits);
    if (!known) goto out;
  }
  for (int set = 1; set < (1 << npat); set++) {
    dm_dfa *K = sc_not(c, sc_copy(c, known)), *V = NULL;
    for (int j = 0; j < npat && K; j++) {
      if (set & (1 << j)) {
        K = sc_and(c, K, sc_copy(c, pk[j]));
        dm_dfa *W = sc_copy(c, pv[j]);
        V = V ? sc_and(c, V, W) : W;
        if (!V) { dm_dfa_free(K); K = NULL; }
      } else {
        K = sc_minus(c, K, sc_copy(c, pk[j]));
      }
    }
    if (!K) { dm_dfa_free(V); goto out; }
    if (dm_dfa_is_empty(K)) { dm_dfa_free(K); dm_dfa_free(V); continue; }
    reg[o->nreg].key = serialize_keys(c, K, names);
    reg[o->nreg].value = V;
    if (!reg[o->nreg++].key) goto out;
  }
  if (Vadd) {
    dm_dfa *taken = sc_copy(c, known);
    for (int j = 0; j < npat && taken; j++) taken = sc_or(c, taken, sc_copy(c, pk[j]));
    re = dm_re_new();
    dm_dfa *anystr = re ? sc_tree(c, re, dm_re_repeat(re, dm_jl_any_char(re), 0, -1)) : NULL;
    re = NULL;
    dm_dfa *K = sc_minus(c, anystr, taken);
    if (!K) goto out;
    if (!dm_dfa_is_empty(K)) {
      reg[o->nreg].key = serialize_keys(c, K, names);
      reg[o->nreg].value = sc_copy(c, Vadd);
      if (!reg[o->nreg++].key || !reg[o->nreg - 1].value) goto out;
    } else {
      dm_dfa_free(K);
    }
  }
  /* drop regions whose keys propertyNames rules out */
  for (int r = 0; r < o->nreg; r++)
    if (dm_dfa_is_empty(reg[r].key)) {
      dm_dfa_free(reg[r].key);
      dm_dfa_free(reg[r].value);
      reg[r--] = reg[--o->nreg];
    }
  done = true;
out:
  dm_re_free(re);
  for (int j = 0; j < MAX_PATTERNS; j++) { dm_dfa_free(pk[j]); dm_dfa_free(pv[j]); }
  dm_dfa_free(Vadd);
  dm_dfa_free(names);
  dm_dfa_free(known);
  return c->rc ? c->rc : done ? DM_OK : DM_ENOMEM;
}

/* The object language from its parts (borrowed), with force[i] (NULL: none)
 * making ranked key i absent or present. */
static dm_dfa *obj_graph(sc_ctx *c, const obj_parts *o, const signed char *force) {
  const obj_kw k = o->k;
  const int n = o->n, nreg = o->nreg;
  const region *reg = o->reg;
  dm_dfa *L = NULL;
  dm_re *re = NULL;
  /* graph over (ranked key index i, members written so far cnt, capped) */
  {
    long cap = k.has_mx ? k.mx : (k.has_mn && k.mn > 1 ? k.mn : 1);
    if (cap > MAX_COUNT) {
      size_t old = sc_push(c, k.has_mx ? "maxProperties" : "minProperties");
      sc_fail(c, DM_ESPEC, "property counts above %d do not compile exactly", MAX_COUNT);
      sc_pop(c, old);
      goto out;
    }
    int W = (int)cap + 1;
    int nstates = (n + 1) * W;
    re = dm_re_new();
    dm_re_node *g = re ? dm_re_graph_new(re, nstates, nstates * 2 + W + 4) : NULL;
    dm_re_node *comma = re ? dm_re_literal(re, ",", 1) : NULL;
    if (!g || !comma) { sc_fail(c, DM_ENOMEM, "out of memory"); goto out; }
    for (int i = 0; i <= n; i++) {
      dm_re_node *lab = NULL;
      bool required = false;
      if (i < n && o->mem[i] && !(force && force[i] == FORCE_ABSENT)) {
        dm_buf kb = {0};
        dm_canon_string(&kb, c->kr.keys[i], strlen(c->kr.keys[i]));
        dm_buf_put(&kb, ":", 1);
        dm_re_node *kk[2] = {kb.oom ? NULL : dm_re_literal(re, kb.s, kb.n), dm_re_dfa(re, o->mem[i], 0)};
        dm_buf_free(&kb);
        lab = kk[0] ? dm_re_cat(re, kk, 2) : NULL;
        if (!lab) { sc_fail(c, DM_ENOMEM, "out of memory"); goto out; }
      } else if (i == n && nreg) {
        dm_re_node *alts[(1 << MAX_PATTERNS) + 1];
        for (int r = 0; r < nreg; r++) {
          dm_re_node *kk[3] = {dm_re_dfa(re, reg[r].key, 0), dm_re_literal(re, ":", 1), dm_re_dfa(re, reg[r].value, 0)};
          alts[r] = dm_re_cat(re, kk, 3);
        }
        lab = dm_re_alt(re, alts, nreg);
      }
      if (i < n) required = is_required(&k, c->kr.keys[i]) || (force && force[i] == FORCE_PRESENT);
      for (int cnt = 0; cnt < W; cnt++) {
        int from = i * W + cnt;
        int to_row = i < n ? i + 1 : n; /* the extras loop on the last row */
        if (i < n && !required) dm_re_graph_edge(g, from, to_row * W + cnt, NULL);
        if (!lab) continue;
        int to_cnt = cnt + 1;
        if (to_cnt >= W) {
          if (k.has_mx) continue;
          to_cnt = W - 1;
        }
        dm_re_node *l2 = lab;
        if (cnt > 0) {
          dm_re_node *kk[2] = {comma, lab};
          l2 = dm_re_cat(re, kk, 2);
        }
        dm_re_graph_edge(g, from, to_row * W + to_cnt, l2);
      }
    }
    int lo = k.has_mn ? (int)(k.mn < W ? k.mn : W - 1) : 0;
    for (int cnt = lo; cnt < W; cnt++) g->graph->accept[n * W + cnt] = 1;
    dm_re_node *parts[3] = {dm_re_literal(re, "{", 1), g, dm_re_literal(re, "}", 1)};
    L = sc_tree(c, re, dm_re_cat(re, parts, 3));
    re = NULL;
  }
out:
  dm_re_free(re);
  return L;
}

/* dependentRequired / dependentSchemas: the union, over which dependency keys are
 * present, of the object language with those keys present (and what they require)
 * and the others absent, intersected with the schemas of the present ones. */
dm_dfa *sc_lang_object(sc_ctx *c, const cJSON *s) {
  const cJSON *dr = cJSON_GetObjectItemCaseSensitive(s, "dependentRequired");
  const cJSON *ds = cJSON_GetObjectItemCaseSensitive(s, "dependentSchemas");
  const char *bad = dr && !cJSON_IsObject(dr) ? "dependentRequired" : ds && !cJSON_IsObject(ds) ? "dependentSchemas" : NULL;
  if (!bad && dr)
    for (const cJSON *d = dr->child; d && !bad; d = d->next) {
      if (!cJSON_IsArray(d)) bad = "dependentRequired";
      for (const cJSON *q = cJSON_IsArray(d) ? d->child : NULL; q; q = q->next)
        if (!cJSON_IsString(q)) bad = "dependentRequired";
    }
  if (bad) {
    size_t old = sc_push(c, bad);
    sc_fail(c, DM_ESPEC, "\"%s\" has the wrong type", bad);
    sc_pop(c, old);
    return NULL;
  }
  const cJSON *deps[MAX_DEPENDENCIES];
  int ndep = 0;
  for (int pass = 0; pass < 2; pass++)
    for (const cJSON *d = (pass ? ds : dr) ? (pass ? ds : dr)->child : NULL; d; d = d->next) {
      if (ndep == MAX_DEPENDENCIES) {
        size_t old = sc_push(c, pass ? "dependentSchemas" : "dependentRequired");
        sc_fail(c, DM_ESPEC, "at most %d dependencies compile exactly", MAX_DEPENDENCIES);
        sc_pop(c, old);
        return NULL;
      }
      deps[ndep++] = d;
    }
  obj_parts parts;
  if (obj_parts_build(c, s, &parts)) {
    obj_parts_free(&parts);
    return NULL;
  }
  if (!ndep) {
    dm_dfa *L = obj_graph(c, &parts, NULL);
    obj_parts_free(&parts);
    return L;
  }
  int n = c->kr.n;
  signed char *force = malloc((size_t)(n ? n : 1));
  dm_dfa *dsch[MAX_DEPENDENCIES] = {0}; /* the dependent schemas' languages, built once */
  if (!force) {
    obj_parts_free(&parts);
    return sc_fail(c, DM_ENOMEM, "out of memory");
  }
  dm_dfa *L = NULL;
  for (int set = 0; set < (1 << ndep) && c->rc == DM_OK; set++) {
    memset(force, FORCE_FREE, (size_t)(n ? n : 1));
    bool conflict = false;
    for (int i = 0; i < ndep; i++) {
      int r = dm_keyrank_find(&c->kr, deps[i]->string);
      signed char want = (set >> i) & 1 ? FORCE_PRESENT : FORCE_ABSENT;
      if (r < 0) continue;
      if (force[r] != FORCE_FREE && force[r] != want) conflict = true;
      force[r] = want;
    }
    for (int i = 0; i < ndep && !conflict; i++) {
      if (!((set >> i) & 1) || !cJSON_IsArray(deps[i])) continue;
      for (const cJSON *q = deps[i]->child; q; q = q->next) {
        int r = dm_keyrank_find(&c->kr, q->valuestring);
        if (r < 0) continue;
        if (force[r] == FORCE_ABSENT) conflict = true;
        force[r] = FORCE_PRESENT;
      }
    }
    if (conflict) continue;
    dm_dfa *Ls = obj_graph(c, &parts, force);
    for (int i = 0; i < ndep && Ls; i++) {
      if (!((set >> i) & 1) || cJSON_IsArray(deps[i])) continue;
      if (!dsch[i]) {
        size_t o1 = sc_push(c, "dependentSchemas"), o2 = sc_push(c, deps[i]->string);
        dsch[i] = sc_schema(c, deps[i]);
        sc_pop(c, o2);
        sc_pop(c, o1);
        if (!dsch[i]) { dm_dfa_free(Ls); Ls = NULL; break; }
      }
      Ls = sc_and(c, Ls, sc_copy(c, dsch[i]));
    }
    if (!Ls) break;
    L = sc_or(c, L, Ls);
  }
  free(force);
  for (int i = 0; i < MAX_DEPENDENCIES; i++) dm_dfa_free(dsch[i]);
  obj_parts_free(&parts);
  if (c->rc) {
    dm_dfa_free(L);
    return NULL;
  }
  return L ? L : sc_empty(c);
}
