/* Regex tree → Thompson NFA over bytes → DFA by subset construction. */
#include <stdlib.h>
#include <string.h>

#include "dfa.h"
#include "json_escape.h"
#include "utf8_ranges.h"

#define NFA_MAX_STATES 4000000

/* ------------------------------------------------------------------ NFA */

typedef struct nfa_edge {
  int32_t to;
  int16_t lo, hi; /* lo < 0: epsilon */
  int32_t next;   /* next edge of the same state, -1 at the end */
} nfa_edge;

typedef struct nfa {
  int32_t *first;  /* first edge per state */
  int nstates, cap_s;
  nfa_edge *e;
  int nedges, cap_e;
  int rc;
} nfa;

typedef struct frag { int32_t s, t; } frag;

static int32_t nfa_state(nfa *m) {
  if (m->rc) return 0;
  if (m->nstates >= NFA_MAX_STATES) { m->rc = DM_ESTATELIMIT; return 0; }
  if (m->nstates == m->cap_s) {
    int cap = m->cap_s ? m->cap_s * 2 : 256;
    int32_t *f = realloc(m->first, (size_t)cap * sizeof *f);
    if (!f) { m->rc = DM_ENOMEM; return 0; }
    m->first = f;
    m->cap_s = cap;
  }
  m->first[m->nstates] = -1;
  return m->nstates++;
}

static void nfa_edge_add(nfa *m, int32_t from, int32_t to, int lo, int hi) {
  if (m->rc) return;
  if (m->nedges == m->cap_e) {
    int cap = m->cap_e ? m->cap_e * 2 : 512;
    nfa_edge *e = realloc(m->e, (size_t)cap * sizeof *e);
    if (!e) { m->rc = DM_ENOMEM; return; }
    m->e = e;
    m->cap_e = cap;
  }
  nfa_edge *e = &m->e[m->nedges];
  e->to = to;
  e->lo = (int16_t)lo;
  e->hi = (int16_t)hi;
  e->next = m->first[from];
  m->first[from] = m->nedges++;
}

typedef struct seq_ctx { nfa *m; int32_t s, t; } seq_ctx;

static int add_seq(const dm_utf8_seq *q, void *user) {
  seq_ctx *c = user;
  int32_t cur = c->s;
  for (int i = 0; i < q->n; i++) {
    int32_t nx = i == q->n - 1 ? c->t : nfa_state(c->m);
    nfa_edge_add(c->m, cur, nx, q->lo[i], q->hi[i]);
    cur = nx;
  }
  return c->m->rc;
}

/* Copy a DFA into the NFA between s and t: one NFA state per DFA state, byte-range
 * edges per class run, epsilon from accepting states to t. */
static void embed_dfa(nfa *m, const dm_dfa *d, int json_escape, int32_t s, int32_t t) {
  int32_t base = m->nstates;
  for (int i = 0; i < d->nstates; i++) nfa_state(m);
  if (m->rc) return;
  nfa_edge_add(m, s, base, -1, -1);
  /* the byte runs of equal class; a state's runs of equal target join runs of these */
  int nruns = 0;
  int16_t run_lo[256];
  uint8_t run_cls[256];
  for (int b = 0; b < 256; b++)
    if (b == 0 || d->class_of[b] != d->class_of[b - 1]) {
      run_lo[nruns] = (int16_t)b;
      run_cls[nruns++] = d->class_of[b];
    }
  for (int q = 0; q < d->nstates && !m->rc; q++) {
    if (d->accept[q]) nfa_edge_add(m, base + q, t, -1, -1);
    const int32_t *row = d->next + (size_t)q * d->nclasses;
    int r = 0;
    while (r < nruns) {
      int32_t to = row[run_cls[r]];
      int r2 = r;
      while (r2 + 1 < nruns && row[run_cls[r2 + 1]] == to) r2++;
      int b = run_lo[r], e = r2 + 1 < nruns ? run_lo[r2 + 1] - 1 : 255;
      if (to >= 0) {
        if (json_escape) {
          /* bytes JSON must escape become their escape sequence; runs split around them */
          for (int x = b; x <= e;) {
            char tmp[8];
            const char *esc = dm_json_escape_byte((uint8_t)x, tmp);
            if (esc) {
              int32_t cur = base + q;
              for (size_t k = 0; esc[k]; k++) {
                int32_t nx = esc[k + 1] ? nfa_state(m) : base + to;
                nfa_edge_add(m, cur, nx, (uint8_t)esc[k], (uint8_t)esc[k]);
                cur = nx;
              }
              x++;
              continue;
            }
            int y = x;
            while (y + 1 <= e && !dm_json_escape_byte((uint8_t)(y + 1), tmp)) y++;
            nfa_edge_add(m, base + q, base + to, x, y);
            x = y + 1;
          }
        } else {
          nfa_edge_add(m, base + q, base + to, b, e);
        }
      }
      r = r2 + 1;
    }
  }
}

static frag build(nfa *m, const dm_re_node *n) {
  frag f = {nfa_state(m), 0};
  switch (n->kind) {
    case DM_RE_EMPTY:
    case DM_RE_ANCHOR:
      f.t = f.s;
      return f;
    case DM_RE_BYTES:
      f.t = nfa_state(m);
      nfa_edge_add(m, f.s, f.t, n->blo, n->bhi);
      return f;
    case DM_RE_CLASS: {
      f.t = nfa_state(m);
      seq_ctx c = {m, f.s, f.t};
      for (int i = 0; i < n->nranges && !m->rc; i++) dm_utf8_ranges(n->ranges[i].lo, n->ranges[i].hi, add_seq, &c);
      return f;
    }
    case DM_RE_CAT: {
      int32_t cur = f.s;
      for (int i = 0; i < n->nkids && !m->rc; i++) {
        frag k = build(m, n->kids[i]);
        nfa_edge_add(m, cur, k.s, -1, -1);
        cur = k.t;
      }
      f.t = cur;
      return f;
    }
    case DM_RE_ALT:
      f.t = nfa_state(m);
      for (int i = 0; i < n->nkids && !m->rc; i++) {
        frag k = build(m, n->kids[i]);
        nfa_edge_add(m, f.s, k.s, -1, -1);
        nfa_edge_add(m, k.t, f.t, -1, -1);
      }
      return f;
    case DM_RE_GRAPH: {
      const dm_re_graph *g = n->graph;
      int32_t base = m->nstates;
      for (int i = 0; i < g->nstates; i++) nfa_state(m);
      f.t = nfa_state(m);
      if (m->rc) return f;
      nfa_edge_add(m, f.s, base, -1, -1);
      for (int i = 0; i < g->nstates; i++)
        if (g->accept[i]) nfa_edge_add(m, base + i, f.t, -1, -1);
      for (int i = 0; i < g->nedges && !m->rc; i++) {
        const dm_re_edge *e = &g->edges[i];
        if (!e->label) {
          nfa_edge_add(m, base + e->from, base + e->to, -1, -1);
          continue;
        }
        frag k = build(m, e->label);
        nfa_edge_add(m, base + e->from, k.s, -1, -1);
        nfa_edge_add(m, k.t, base + e->to, -1, -1);
      }
      return f;
    }
    case DM_RE_DFA:
      f.t = nfa_state(m);
      embed_dfa(m, n->dfa, n->json_escape, f.s, f.t);
      return f;
    case DM_RE_REPEAT: {
      if (n->max >= 0 && n->max < n->min) { /* {m,n} with n < m: nothing */
        f.t = nfa_state(m);
        return f;
      }
      int32_t cur = f.s;
      for (int i = 0; i < n->min && !m->rc; i++) {
        frag k = build(m, n->kids[0]);
        nfa_edge_add(m, cur, k.s, -1, -1);
        cur = k.t;
      }
      if (n->max < 0) {
        frag k = build(m, n->kids[0]);
        int32_t end = nfa_state(m);
        nfa_edge_add(m, cur, k.s, -1, -1);
        nfa_edge_add(m, k.t, k.s, -1, -1);
        nfa_edge_add(m, k.t, end, -1, -1);
        nfa_edge_add(m, cur, end, -1, -1);
        f.t = end;
      } else {
        int32_t end = nfa_state(m);
        for (int i = n->min; i < n->max && !m->rc; i++) {
          frag k = build(m, n->kids[0]);
          nfa_edge_add(m, cur, k.s, -1, -1);
          nfa_edge_add(m, cur, end, -1, -1);
          cur = k.t;
        }
        nfa_edge_add(m, cur, end, -1, -1);
        f.t = end;
      }
      return f;
    }
  }
  return f;
}

/* ------------------------------------------------------------------ subsets */

typedef struct subset_table {
  int32_t *offs;    /* per DFA state: offset of its set in pool */
  int32_t *lens;
  int32_t *pool;
  size_t pool_n, pool_cap;
  int n, cap;
  int32_t *hash;    /* open addressing: DFA state id or -1 */
  size_t hcap;
} subset_table;

static uint64_t hash_set(const int32_t *s, int n) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)n;
  for (int i = 0; i < n; i++) {
    h ^= (uint64_t)(uint32_t)s[i];
    h *= 1099511628211ULL;
    h ^= h >> 29;
  }
  return h;
}

static int table_grow_hash(subset_table *t) {
  size_t ncap = t->hcap ? t->hcap * 2 : 1024;
  int32_t *h = malloc(ncap * sizeof *h);
  if (!h) return DM_ENOMEM;
  for (size_t i = 0; i < ncap; i++) h[i] = -1;
  for (int id = 0; id < t->n; id++) {
    size_t j = hash_set(t->pool + t->offs[id], t->lens[id]) & (ncap - 1);
    while (h[j] >= 0) j = (j + 1) & (ncap - 1);
    h[j] = id;
  }
  free(t->hash);
  t->hash = h;
  t->hcap = ncap;
  return DM_OK;
}

/* Find or add the set; *id receives its DFA state. Returns 1 if new, 0 if found, <0 error. */
static int table_intern(subset_table *t, const int32_t *s, int n, int max_states, int32_t *id) {
  if ((size_t)(t->n + 1) * 2 > t->hcap && table_grow_hash(t)) return DM_ENOMEM;
  uint64_t h = hash_set(s, n);
  size_t j = h & (t->hcap - 1);
  while (t->hash[j] >= 0) {
    int32_t c = t->hash[j];
    if (t->lens[c] == n && (n == 0 || memcmp(t->pool + t->offs[c], s, (size_t)n * sizeof *s) == 0)) {
      *id = c;
      return 0;
    }
    j = (j + 1) & (t->hcap - 1);
  }
  if (t->n >= max_states) return DM_ESTATELIMIT;
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 256;
    int32_t *o = realloc(t->offs, (size_t)cap * sizeof *o);
    if (!o) return DM_ENOMEM;
    t->offs = o;
    int32_t *l = realloc(t->lens, (size_t)cap * sizeof *l);
    if (!l) return DM_ENOMEM;
    t->lens = l;
    t->cap = cap;
  }
  if (t->pool_n + (size_t)n > t->pool_cap) {
    size_t cap = t->pool_cap ? t->pool_cap * 2 : 4096;
    while (cap < t->pool_n + (size_t)n) cap *= 2;
    int32_t *p = realloc(t->pool, cap * sizeof *p);
    if (!p) return DM_ENOMEM;
    t->pool = p;
    t->pool_cap = cap;
  }
  if (n) memcpy(t->pool + t->pool_n, s, (size_t)n * sizeof *s);
  t->offs[t->n] = (int32_t)t->pool_n;
  t->lens[t->n] = n;
  t->pool_n += (size_t)n;
  t->hash[j] = t->n;
  *id = t->n++;
  return 1;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

/* The NFA in compact form for the subset construction: per state, its epsilon
 * successors and its byte edges as runs of byte classes, each contiguous. */
typedef struct cnfa {
  int32_t *eps_start, *eps_to;             /* eps_to[eps_start[x] .. eps_start[x+1]) */
  int32_t *byte_start, *byte_to;           /* byte edges of x: [byte_start[x] .. byte_start[x+1]) */
  uint8_t *byte_clo, *byte_chi;            /* the classes an edge covers, inclusive */
  uint8_t *kernel;                         /* has a byte edge, or is final */
} cnfa;

static void cnfa_free(cnfa *c) {
  free(c->eps_start); free(c->eps_to);
  free(c->byte_start); free(c->byte_to); free(c->byte_clo); free(c->byte_chi);
  free(c->kernel);
}

static int cnfa_build(const nfa *m, const uint8_t *class_of, int32_t final, cnfa *c) {
  int n = m->nstates;
  memset(c, 0, sizeof *c);
  c->eps_start = calloc((size_t)n + 1, sizeof *c->eps_start);
  c->byte_start = calloc((size_t)n + 1, sizeof *c->byte_start);
  c->kernel = calloc((size_t)n, 1);
  if (!c->eps_start || !c->byte_start || !c->kernel) return DM_ENOMEM;
  size_t neps = 0, nbyte = 0;
  for (int x = 0; x < n; x++)
    for (int32_t e = m->first[x]; e >= 0; e = m->e[e].next) {
      if (m->e[e].lo < 0) { c->eps_start[x + 1]++; neps++; }
      else { c->byte_start[x + 1]++; nbyte++; }
    }
  for (int x = 0; x < n; x++) {
    c->eps_start[x + 1] += c->eps_start[x];
    c->byte_start[x + 1] += c->byte_start[x];
  }
  c->eps_to = malloc((neps ? neps : 1) * sizeof *c->eps_to);
  c->byte_to = malloc((nbyte ? nbyte : 1) * sizeof *c->byte_to);
  c->byte_clo = malloc(nbyte ? nbyte : 1);
  c->byte_chi = malloc(nbyte ? nbyte : 1);
  if (!c->eps_to || !c->byte_to || !c->byte_clo || !c->byte_chi) return DM_ENOMEM;
  for (int x = 0; x < n; x++) {
    int32_t pe = c->eps_start[x], pb = c->byte_start[x];
    for (int32_t e = m->first[x]; e >= 0; e = m->e[e].next) {
      if (m->e[e].lo < 0) {
        c->eps_to[pe++] = m->e[e].to;
      } else {
        c->byte_to[pb] = m->e[e].to;
        c->byte_clo[pb] = class_of[m->e[e].lo];
        c->byte_chi[pb] = class_of[m->e[e].hi];
        pb++;
      }
    }
    c->kernel[x] = x == final || c->byte_start[x + 1] > c->byte_start[x];
  }
  return DM_OK;
}

typedef struct closure_ws {
  int32_t *mark;   /* per NFA state: generation last visited */
  int32_t gen;
  int32_t *stack;
  int32_t *out;    /* collected kernel states */
  int nout;
} closure_ws;

/* Add the epsilon closure of s to ws->out (kernel states: with byte edges, or final). */
static void closure_add(const cnfa *m, closure_ws *ws, int32_t s) {
  if (ws->mark[s] == ws->gen) return;
  int sp = 0;
  ws->stack[sp++] = s;
  ws->mark[s] = ws->gen;
  while (sp) {
    int32_t x = ws->stack[--sp];
    for (int32_t e = m->eps_start[x]; e < m->eps_start[x + 1]; e++) {
      int32_t y = m->eps_to[e];
      if (ws->mark[y] != ws->gen) {
        ws->mark[y] = ws->gen;
        ws->stack[sp++] = y;
      }
    }
    if (m->kernel[x]) ws->out[ws->nout++] = x;
  }
}

static void sort_i32(int32_t *v, int n) {
  if (n <= 24) { /* insertion sort: most sets are small */
    for (int i = 1; i < n; i++) {
      int32_t x = v[i];
      int j = i;
      while (j > 0 && v[j - 1] > x) { v[j] = v[j - 1]; j--; }
      v[j] = x;
    }
    return;
  }
  qsort(v, (size_t)n, sizeof *v, cmp_i32);
}

static int determinize(const nfa *m, int32_t start, int32_t final, int max_states, dm_dfa **out) {
  int rc = DM_OK;
  dm_dfa *d = calloc(1, sizeof *d);
  closure_ws ws = {0};
  subset_table t = {0};
  cnfa cn = {0};
  int32_t *moves = NULL;   /* targets per class of the current subset */
  size_t moves_cap = 0;
  if (!d) return DM_ENOMEM;
  if (m->nstates <= 0) { free(d); return DM_EINTERNAL; }
  /* byte classes from the edge boundaries */
  uint8_t boundary[257] = {0};
  for (int i = 0; i < m->nedges; i++)
    if (m->e[i].lo >= 0) {
      boundary[m->e[i].lo] = 1;
      boundary[m->e[i].hi + 1] = 1;
    }
  int nc = 0;
  for (int b = 0; b < 256; b++) {
    if (b == 0 || boundary[b]) nc++;
    d->class_of[b] = (uint8_t)(nc - 1);
  }
  d->nclasses = nc;
  if ((rc = cnfa_build(m, d->class_of, final, &cn)) != DM_OK) goto done;

  ws.mark = malloc((size_t)m->nstates * sizeof *ws.mark);
  ws.stack = malloc((size_t)m->nstates * sizeof *ws.stack);
  ws.out = malloc((size_t)m->nstates * sizeof *ws.out);
  if (!ws.mark || !ws.stack || !ws.out) { rc = DM_ENOMEM; goto done; }
  for (int i = 0; i < m->nstates; i++) ws.mark[i] = -1;

  size_t cap_next = 0;
  ws.gen = 0;
  ws.nout = 0;
  closure_add(&cn, &ws, start);
  sort_i32(ws.out, ws.nout);
  int32_t id;
  rc = table_intern(&t, ws.out, ws.nout, max_states, &id);
  if (rc < 0) goto done;
  rc = DM_OK;
  int32_t off[257];
  for (int cur = 0; cur < t.n; cur++) {
    if ((size_t)t.n * (size_t)nc > cap_next) {
      size_t cap = cap_next ? cap_next * 2 : (size_t)256 * (size_t)nc;
      while (cap < (size_t)t.n * (size_t)nc) cap *= 2;
      int32_t *nx = realloc(d->next, cap * sizeof *nx);
      if (!nx) { rc = DM_ENOMEM; goto done; }
      d->next = nx;
      cap_next = cap;
    }
    /* the byte-edge targets of the subset, bucketed by class (one pass over the
     * edges; an edge over a run of classes goes into each) */
    int off0 = t.offs[cur], len = t.lens[cur];
    memset(off, 0, (size_t)(nc + 1) * sizeof *off);
    for (int i = 0; i < len; i++) {
      int32_t x = t.pool[off0 + i];
      for (int32_t e = cn.byte_start[x]; e < cn.byte_start[x + 1]; e++)
        for (int c = cn.byte_clo[e]; c <= cn.byte_chi[e]; c++) off[c + 1]++;
    }
    for (int c = 0; c < nc; c++) off[c + 1] += off[c];
    if ((size_t)off[nc] > moves_cap) {
      size_t cap = moves_cap ? moves_cap : 1024;
      while (cap < (size_t)off[nc]) cap *= 2;
      int32_t *mv = realloc(moves, cap * sizeof *mv);
      if (!mv) { rc = DM_ENOMEM; goto done; }
      moves = mv;
      moves_cap = cap;
    }
    for (int c = nc; c > 0; c--) off[c] = off[c - 1];
    for (int i = 0; i < len; i++) {
      int32_t x = t.pool[t.offs[cur] + i];
      for (int32_t e = cn.byte_start[x]; e < cn.byte_start[x + 1]; e++)
        for (int c = cn.byte_clo[e]; c <= cn.byte_chi[e]; c++) moves[off[c + 1]++] = cn.byte_to[e];
    }
    /* now class c's targets are moves[off[c] .. off[c+1]) */
    for (int c = 0; c < nc; c++) {
      int32_t target = -1;
      if (off[c + 1] > off[c]) {
        ws.gen++;
        ws.nout = 0;
        for (int32_t i = off[c]; i < off[c + 1]; i++) closure_add(&cn, &ws, moves[i]);
        sort_i32(ws.out, ws.nout);
        int r = table_intern(&t, ws.out, ws.nout, max_states, &target);
        if (r < 0) { rc = r; goto done; }
        if ((size_t)t.n * (size_t)nc > cap_next) {
          size_t cap = cap_next * 2;
          int32_t *nx = realloc(d->next, cap * sizeof *nx);
          if (!nx) { rc = DM_ENOMEM; goto done; }
          d->next = nx;
          cap_next = cap;
        }
      }
      d->next[(size_t)cur * (size_t)nc + (size_t)c] = target;
    }
  }
  d->nstates = t.n;
  d->accept = calloc(t.n > 0 ? (size_t)t.n : 1, 1);
  if (!d->accept) { rc = DM_ENOMEM; goto done; }
  for (int s = 0; s < t.n; s++) {
    const int32_t *set = t.pool + t.offs[s];
    for (int i = 0; i < t.lens[s]; i++)
      if (set[i] == final) d->accept[s] = 1;
  }
done:
  free(ws.mark);
  free(ws.stack);
  free(ws.out);
  free(t.offs);
  free(t.lens);
  free(t.pool);
  free(t.hash);
  free(moves);
  cnfa_free(&cn);
  if (rc) {
    dm_dfa_free(d);
    return rc;
  }
  *out = d;
  return DM_OK;
}

int dm_dfa_from_re(const dm_re_node *root, int max_states, dm_dfa **out, dm_error *err) {
  *out = NULL;
  if (max_states <= 0) max_states = DM_DFA_DEFAULT_MAX_STATES;
  nfa m = {0};
  frag f = build(&m, root);
  int rc = m.rc;
  if (rc == DM_ESTATELIMIT) {
    rc = dm_error_set(err, rc, "pattern expands to more than %d automaton states; use smaller repetition counts",
                      NFA_MAX_STATES);
  } else if (rc) {
    rc = dm_error_set(err, rc, "out of memory building the automaton");
  } else {
    rc = determinize(&m, f.s, f.t, max_states, out);
    if (rc == DM_ESTATELIMIT)
      dm_error_set(err, rc, "pattern needs more than %d DFA states (the state limit); simplify it", max_states);
    else if (rc)
      dm_error_set(err, rc, "out of memory building the automaton");
    else if ((rc = dm_dfa_minimize(*out)) != DM_OK) {
      dm_dfa_free(*out);
      *out = NULL;
      dm_error_set(err, rc, "out of memory minimising the automaton");
    }
  }
  free(m.first);
  free(m.e);
  return rc;
}

int dm_dfa_from_pattern(const char *pattern, size_t len, int max_states, dm_dfa **out, dm_error *err) {
  dm_re *re = NULL;
  *out = NULL;
  int rc = dm_re_parse(pattern, len, &re, err);
  if (rc) return rc;
  rc = dm_dfa_from_re(dm_re_root(re), max_states, out, err);
  dm_re_free(re);
  return rc;
}

void dm_dfa_free(dm_dfa *d) {
  if (!d) return;
  free(d->next);
  free(d->accept);
  free(d);
}
