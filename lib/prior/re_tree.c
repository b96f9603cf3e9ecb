/* Regex syntax trees: the arena that owns the nodes and the builders. */
#include <stdlib.h>
#include <string.h>

#include "re.h"

typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} arena_block;

struct dm_re {
  arena_block *blocks;
  dm_re_node *root;
};

static void *arena_alloc(dm_re *re, size_t n) {
  n = (n + 15) & ~(size_t)15;
  arena_block *b = re->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    arena_block *nb = malloc(sizeof *nb + cap);
    if (!nb) return NULL;
    nb->next = re->blocks;
    nb->used = 0;
    nb->cap = cap;
    re->blocks = nb;
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  return p;
}

dm_re *dm_re_new(void) { return calloc(1, sizeof(dm_re)); }

void dm_re_free(dm_re *re) {
  if (!re) return;
  arena_block *b = re->blocks;
  while (b) {
    arena_block *n = b->next;
    free(b);
    b = n;
  }
  free(re);
}

const dm_re_node *dm_re_root(const dm_re *re) { return re->root; }
void dm_re_set_root(dm_re *re, dm_re_node *root) { re->root = root; }

static dm_re_node *node_new(dm_re *re, dm_re_kind kind) {
  dm_re_node *n = arena_alloc(re, sizeof *n);
  if (!n) return NULL;
  memset(n, 0, sizeof *n);
  n->kind = kind;
  return n;
}

dm_re_node *dm_re_empty(dm_re *re) { return node_new(re, DM_RE_EMPTY); }

dm_re_node *dm_re_class(dm_re *re, const dm_cp_range *ranges, int n) {
  dm_re_node *node = node_new(re, DM_RE_CLASS);
  if (!node) return NULL;
  if (n > 0) {
    node->ranges = arena_alloc(re, (size_t)n * sizeof *ranges);
    if (!node->ranges) return NULL;
    memcpy(node->ranges, ranges, (size_t)n * sizeof *ranges);
  }
  node->nranges = n;
  return node;
}

dm_re_node *dm_re_bytes(dm_re *re, int lo, int hi) {
  dm_re_node *node = node_new(re, DM_RE_BYTES);
  if (!node) return NULL;
  node->blo = lo;
  node->bhi = hi;
  return node;
}

static dm_re_node *nary(dm_re *re, dm_re_kind kind, dm_re_node *const *kids, int n) {
  dm_re_node *node = node_new(re, kind);
  if (!node) return NULL;
  if (n > 0) {
    node->kids = arena_alloc(re, (size_t)n * sizeof *kids);
    if (!node->kids) return NULL;
    memcpy(node->kids, kids, (size_t)n * sizeof *kids);
  }
  node->nkids = n;
  return node;
}

dm_re_node *dm_re_cat(dm_re *re, dm_re_node *const *kids, int n) {
  if (n == 0) return dm_re_empty(re);
  if (n == 1) return kids[0];
  return nary(re, DM_RE_CAT, kids, n);
}

dm_re_node *dm_re_alt(dm_re *re, dm_re_node *const *kids, int n) {
  if (n == 1) return kids[0];
  return nary(re, DM_RE_ALT, kids, n); /* n == 0: matches nothing */
}

dm_re_node *dm_re_repeat(dm_re *re, dm_re_node *kid, int min, int max) {
  dm_re_node *node = nary(re, DM_RE_REPEAT, &kid, 1);
  if (!node) return NULL;
  node->min = min;
  node->max = max;
  return node;
}

dm_re_node *dm_re_literal(dm_re *re, const char *s, size_t len) {
  if (len == 0) return dm_re_empty(re);
  dm_re_node **kids = arena_alloc(re, len * sizeof *kids);
  if (!kids) return NULL;
  for (size_t i = 0; i < len; i++) {
    kids[i] = dm_re_bytes(re, (unsigned char)s[i], (unsigned char)s[i]);
    if (!kids[i]) return NULL;
  }
  if (len == 1) return kids[0];
  dm_re_node *node = node_new(re, DM_RE_CAT);
  if (!node) return NULL;
  node->kids = kids;
  node->nkids = (int)len;
  return node;
}

dm_re_node *dm_re_dfa(dm_re *re, const struct dm_dfa *dfa, int json_escape) {
  dm_re_node *node = node_new(re, DM_RE_DFA);
  if (!node) return NULL;
  node->dfa = dfa;
  node->json_escape = json_escape;
  return node;
}

dm_re_node *dm_re_graph_new(dm_re *re, int nstates, int max_edges) {
  dm_re_node *node = node_new(re, DM_RE_GRAPH);
  if (!node) return NULL;
  dm_re_graph *g = arena_alloc(re, sizeof *g);
  if (!g) return NULL;
  g->nstates = nstates;
  g->accept = arena_alloc(re, (size_t)nstates);
  g->edges = arena_alloc(re, (size_t)(max_edges > 0 ? max_edges : 1) * sizeof *g->edges);
  if (!g->accept || !g->edges) return NULL;
  memset(g->accept, 0, (size_t)nstates);
  g->nedges = 0;
  node->graph = g;
  node->max = max_edges; /* capacity */
  return node;
}

int dm_re_graph_edge(dm_re_node *graph, int from, int to, dm_re_node *label) {
  dm_re_graph *g = graph->graph;
  if (g->nedges >= graph->max || from < 0 || to < 0 || from >= g->nstates || to >= g->nstates)
    return DM_ERANGE;
  g->edges[g->nedges].from = from;
  g->edges[g->nedges].to = to;
  g->edges[g->nedges].label = label;
  g->nedges++;
  return DM_OK;
}

static void anchors_to_bytes(dm_re_node *n, int begin_byte, int end_byte) {
  if (n->kind == DM_RE_ANCHOR) {
    int b = n->min == 0 ? begin_byte : end_byte;
    n->kind = DM_RE_BYTES;
    n->blo = n->bhi = b;
    return;
  }
  for (int i = 0; i < n->nkids; i++) anchors_to_bytes(n->kids[i], begin_byte, end_byte);
}

void dm_re_anchors_to_bytes(dm_re *re, int begin_byte, int end_byte) {
  if (re->root) anchors_to_bytes(re->root, begin_byte, end_byte);
}

dm_re_node *dm_re_root_mut(dm_re *re) { return re->root; }
