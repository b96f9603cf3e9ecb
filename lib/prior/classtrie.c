/* Class tries: built by walking the vocabulary's byte trie and mapping each byte
 * node to the class node of its projection. */
#include <stdlib.h>
#include <string.h>

#include "classtrie.h"

int dm_classtrie_new(const dm_vocab *vocab, const uint8_t class_of[256], dm_classtrie **out) {
  *out = NULL;
  dm_classtrie *ct = calloc(1, sizeof *ct);
  if (!ct) return DM_ENOMEM;
  ct->refs = 1;
  memcpy(ct->class_of, class_of, 256);
  for (int b = 255; b >= 0; b--) {
    ct->rep[class_of[b]] = (uint8_t)b;
    if (class_of[b] + 1 > ct->nclasses) ct->nclasses = class_of[b] + 1;
  }
  const size_t k = (size_t)ct->nclasses;
  ct->cap = vocab->ntrie / 8 > 1024 ? vocab->ntrie / 8 : 1024; /* few reallocations */
  ct->nodes = malloc((size_t)ct->cap * sizeof *ct->nodes);
  int32_t *child = malloc((size_t)ct->cap * k * sizeof *child); /* dense: class node x class */
  int32_t *map = malloc((size_t)vocab->ntrie * sizeof *map);
  if (!ct->nodes || !child || !map) goto oom;
  ct->nodes[0] = (dm_cnode){-1, -1, -1, 0, 0};
  for (size_t c = 0; c < k; c++) child[c] = -1;
  ct->n = 1;
  map[0] = 0;
  /* parents come before children: one pass in node order maps each byte node to
     the class node of its projection */
  for (int32_t bn = 1; bn < vocab->ntrie; bn++) {
    int32_t cn = map[vocab->parent[bn]];
    uint8_t cls = class_of[vocab->trie[bn].byte];
    int32_t cc = child[(size_t)cn * k + cls];
    if (cc < 0) {
      if (ct->n == ct->cap) {
        int32_t cap = ct->cap * 2;
        dm_cnode *nn = realloc(ct->nodes, (size_t)cap * sizeof *nn);
        if (!nn) goto oom;
        ct->nodes = nn;
        int32_t *nc = realloc(child, (size_t)cap * k * sizeof *nc);
        if (!nc) goto oom;
        child = nc;
        ct->cap = cap;
      }
      cc = ct->n++;
      ct->nodes[cc] = (dm_cnode){-1, ct->nodes[cn].first_child, -1, 0, cls};
      ct->nodes[cn].first_child = cc;
      for (size_t c = 0; c < k; c++) child[(size_t)cc * k + c] = -1;
      child[(size_t)cn * k + cls] = cc;
    }
    map[bn] = cc;
    int32_t t0 = vocab->node_tok_off[bn], nt = vocab->node_tok_off[bn + 1] - t0;
    if (nt) {
      if (ct->nodes[cc].first_token < 0) ct->nodes[cc].first_token = vocab->node_toks[t0];
      ct->nodes[cc].ntokens += nt;
    }
  }
  free(child);
  child = NULL;
  /* preimages: byte nodes grouped by class node (counting sort) */
  ct->pre_off = calloc((size_t)ct->n + 1, sizeof *ct->pre_off);
  ct->pre = malloc((size_t)vocab->ntrie * sizeof *ct->pre);
  int32_t *fill = malloc(((size_t)ct->n + 1) * sizeof *fill);
  if (!ct->pre_off || !ct->pre || !fill) { free(fill); goto oom; }
  for (int32_t b = 1; b < vocab->ntrie; b++) ct->pre_off[map[b] + 1]++;
  for (int32_t i = 0; i < ct->n; i++) ct->pre_off[i + 1] += ct->pre_off[i];
  memcpy(fill, ct->pre_off, ((size_t)ct->n + 1) * sizeof *fill);
  for (int32_t b = 1; b < vocab->ntrie; b++) ct->pre[fill[map[b]]++] = b;
  free(fill);
  /* each token's class node (its byte node's), and the tokens grouped by class
     node: two passes in id order */
  ct->ntok = vocab->n;
  ct->tnode = malloc((size_t)(vocab->n ? vocab->n : 1) * sizeof *ct->tnode);
  ct->tok_off = malloc(((size_t)ct->n + 1) * sizeof *ct->tok_off);
  fill = malloc(((size_t)ct->n + 1) * sizeof *fill);
  if (!ct->tnode || !ct->tok_off || !fill) { free(fill); goto oom; }
  int32_t ntok = 0;
  for (int32_t i = 0; i < ct->n; i++) {
    ct->tok_off[i] = ntok;
    ntok += ct->nodes[i].ntokens;
  }
  ct->tok_off[ct->n] = ntok;
  ct->toks = malloc((size_t)(ntok ? ntok : 1) * sizeof *ct->toks);
  if (!ct->toks) { free(fill); goto oom; }
  memcpy(fill, ct->tok_off, ((size_t)ct->n + 1) * sizeof *fill);
  for (int32_t t = 0; t < vocab->n; t++) {
    int32_t cn = vocab->tok_node[t] >= 0 ? map[vocab->tok_node[t]] : -1;
    ct->tnode[t] = cn;
    if (cn >= 0) ct->toks[fill[cn]++] = t;
  }
  free(fill);
  free(map);
  ct->memory = (size_t)ct->n * (sizeof *ct->nodes + 8) + (size_t)ntok * 4 + (size_t)vocab->ntrie * 4 +
               (size_t)vocab->n * 4;
  *out = ct;
  return DM_OK;
oom:
  free(child);
  free(map);
  dm_classtrie_unref(ct);
  return DM_ENOMEM;
}

dm_classtrie *dm_classtrie_ref(dm_classtrie *ct) {
  if (ct) ct->refs++;
  return ct;
}

void dm_classtrie_unref(dm_classtrie *ct) {
  if (!ct || --ct->refs > 0) return;
  free(ct->nodes);
  free(ct->tnode);
  free(ct->tok_off);
  free(ct->toks);
  free(ct->pre_off);
  free(ct->pre);
  free(ct);
}
