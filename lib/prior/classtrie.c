/* Class tries: built by walking the vocabulary's byte trie and mapping each byte
 * node to the class node of its projection. */
#include <stdlib.h>
#include <string.h>

#include "classtrie.h"

/* A new child of node for class cls (the caller knows there is none yet). */
static int32_t ct_child(dm_classtrie *ct, int32_t node, uint8_t cls) {
  if (ct->n == ct->cap) {
    int32_t cap = ct->cap * 2;
    dm_cnode *t = realloc(ct->nodes, (size_t)cap * sizeof *t);
    if (!t) return -1;
    ct->nodes = t;
    ct->cap = cap;
  }
  int32_t id = ct->n++;
  ct->nodes[id] = (dm_cnode){-1, ct->nodes[node].first_child, -1, 0, cls};
  ct->nodes[node].first_child = id;
  return id;
}

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
  ct->cap = 1024;
  ct->nodes = malloc((size_t)ct->cap * sizeof *ct->nodes);
  ct->tok_next = malloc((size_t)vocab->n * sizeof *ct->tok_next);
  int32_t *map = malloc((size_t)vocab->ntrie * sizeof *map);
  int32_t *stack = malloc(((size_t)vocab->ntrie + 1) * sizeof *stack);
  if (!ct->nodes || !ct->tok_next || !map || !stack) goto oom;
  ct->nodes[0] = (dm_cnode){-1, -1, -1, 0, 0};
  ct->n = 1;
  for (int32_t t = 0; t < vocab->n; t++) ct->tok_next[t] = -1;
  map[0] = 0;
  int32_t sp = 0;
  stack[sp++] = 0;
  int32_t slot[256]; /* class -> class-trie child of the node being expanded */
  for (int i = 0; i < 256; i++) slot[i] = -1;
  while (sp) {
    int32_t bn = stack[--sp], cn = map[bn];
    for (int32_t c = ct->nodes[cn].first_child; c >= 0; c = ct->nodes[c].next_sibling) slot[ct->nodes[c].cls] = c;
    for (int32_t ch = vocab->trie[bn].first_child; ch >= 0; ch = vocab->trie[ch].next_sibling) {
      uint8_t cls = class_of[vocab->trie[ch].byte];
      int32_t cc = slot[cls];
      if (cc < 0) {
        cc = ct_child(ct, cn, cls);
        if (cc < 0) goto oom;
        slot[cls] = cc;
      }
      map[ch] = cc;
      for (int32_t t = vocab->trie[ch].first_token; t >= 0; t = vocab->next_same[t]) {
        ct->tok_next[t] = ct->nodes[cc].first_token;
        ct->nodes[cc].first_token = t;
        ct->nodes[cc].ntokens++;
      }
      if (vocab->trie[ch].first_child >= 0) stack[sp++] = ch;
    }
    for (int32_t c = ct->nodes[cn].first_child; c >= 0; c = ct->nodes[c].next_sibling) slot[ct->nodes[c].cls] = -1;
  }
  /* preimages: byte nodes grouped by class node (counting sort) */
  ct->pre_off = calloc((size_t)ct->n + 1, sizeof *ct->pre_off);
  ct->pre = malloc((size_t)vocab->ntrie * sizeof *ct->pre);
  if (!ct->pre_off || !ct->pre) goto oom;
  for (int32_t b = 1; b < vocab->ntrie; b++) ct->pre_off[map[b] + 1]++;
  for (int32_t i = 0; i < ct->n; i++) ct->pre_off[i + 1] += ct->pre_off[i];
  memcpy(stack, ct->pre_off, ((size_t)ct->n + 1) * sizeof *stack);
  for (int32_t b = 1; b < vocab->ntrie; b++) ct->pre[stack[map[b]]++] = b;
  free(map);
  free(stack);
  ct->memory = (size_t)ct->n * (sizeof *ct->nodes + 4) + (size_t)vocab->n * 4 + (size_t)vocab->ntrie * 4;
  *out = ct;
  return DM_OK;
oom:
  free(map);
  free(stack);
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
  free(ct->tok_next);
  free(ct->pre_off);
  free(ct->pre);
  free(ct);
}
