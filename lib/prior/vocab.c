/* Vocabulary view and its byte trie. */
#include <stdlib.h>
#include <string.h>

#include <dimple/tokenizer.h>

#include "vocab.h"

void dm_vocab_free(dm_vocab *v) {
  if (!v) return;
  free(v->off);
  free(v->blob);
  free(v->flags);
  free(v->next_same);
  free(v->trie);
  free(v->parent);
  free(v->node_tok_off);
  free(v->node_toks);
  free(v->tok_node);
  free(v);
}

#define MAX_TOKEN_BYTES 4096

static const dm_vocab *g_sort_vocab; /* qsort has no context argument */

static int cmp_token_bytes(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  size_t lx, ly;
  const uint8_t *bx = dm_vocab_bytes(g_sort_vocab, x, &lx), *by = dm_vocab_bytes(g_sort_vocab, y, &ly);
  int c = memcmp(bx, by, lx < ly ? lx : ly);
  if (c) return c;
  if (lx != ly) return lx < ly ? -1 : 1;
  return x < y ? -1 : x > y;
}

int dm_vocab_new(int32_t n, const char *const *bytes, const size_t *lens, const uint8_t *flags,
                 dm_vocab **out) {
  *out = NULL;
  if (n <= 0) return DM_EINVAL;
  dm_vocab *v = calloc(1, sizeof *v);
  if (!v) return DM_ENOMEM;
  v->n = n;
  size_t total = 0;
  for (int32_t i = 0; i < n; i++) total += lens[i];
  v->off = malloc(((size_t)n + 1) * sizeof *v->off);
  v->blob = malloc(total ? total : 1);
  v->flags = calloc((size_t)n, 1);
  v->next_same = malloc((size_t)n * sizeof *v->next_same);
  int32_t cap = 1024;
  v->trie = malloc((size_t)cap * sizeof *v->trie);
  v->parent = malloc((size_t)cap * sizeof *v->parent);
  if (!v->parent || !v->off || !v->blob || !v->flags || !v->next_same || !v->trie || total > UINT32_MAX) {
    dm_vocab_free(v);
    return DM_ENOMEM;
  }
  v->trie[0] = (dm_trie_node){-1, -1, -1, 0};
  v->parent[0] = -1;
  v->ntrie = 1;
  size_t at = 0;
  for (int32_t i = 0; i < n; i++) {
    v->off[i] = (uint32_t)at;
    if (lens[i]) memcpy(v->blob + at, bytes[i], lens[i]);
    at += lens[i];
    v->flags[i] = flags ? flags[i] : 0;
    v->next_same[i] = -1;
  }
  v->off[n] = (uint32_t)at;
  /* Build the trie from the tokens sorted by bytes: each token shares its prefix with
     the previous one, so nodes are appended in order along one path. */
  int32_t *order = malloc((size_t)n * sizeof *order);
  int32_t *path = malloc(((size_t)MAX_TOKEN_BYTES + 1) * sizeof *path);
  int32_t *last = NULL;
  int32_t m = 0;
  if (!order || !path) goto oom;
  for (int32_t i = 0; i < n; i++)
    if (lens[i] && lens[i] <= MAX_TOKEN_BYTES && !(v->flags[i] & DM_VOCAB_SPECIAL)) order[m++] = i;
  g_sort_vocab = v;
  qsort(order, (size_t)m, sizeof *order, cmp_token_bytes);
  g_sort_vocab = NULL;
  last = malloc((size_t)cap * sizeof *last); /* last child per node during the build */
  if (!last) goto oom;
  last[0] = -1;
  path[0] = 0;
  size_t depth = 0; /* nodes on the path below the root */
  const uint8_t *prev = NULL;
  size_t prev_len = 0;
  for (int32_t k = 0; k < m; k++) {
    int32_t t = order[k];
    size_t len;
    const uint8_t *b = dm_vocab_bytes(v, t, &len);
    size_t lcp = 0;
    while (lcp < len && lcp < prev_len && b[lcp] == prev[lcp]) lcp++;
    if (lcp > depth) lcp = depth;
    depth = lcp;
    for (size_t j = lcp; j < len; j++) {
      if (v->ntrie == cap) {
        int32_t ncap = cap * 2;
        dm_trie_node *nt = realloc(v->trie, (size_t)ncap * sizeof *nt);
        int32_t *nl = realloc(last, (size_t)ncap * sizeof *nl);
        int32_t *np = realloc(v->parent, (size_t)ncap * sizeof *np);
        if (nt) v->trie = nt;
        if (nl) last = nl;
        if (np) v->parent = np;
        if (!nt || !nl || !np) goto oom;
        cap = ncap;
      }
      int32_t parent = path[j], id = v->ntrie++;
      v->trie[id] = (dm_trie_node){-1, -1, -1, b[j]};
      v->parent[id] = parent;
      last[id] = -1;
      if (last[parent] < 0) v->trie[parent].first_child = id;
      else v->trie[last[parent]].next_sibling = id;
      last[parent] = id;
      path[j + 1] = id;
    }
    depth = len;
    int32_t node = path[len];
    /* tokens with equal bytes: keep the list in id order */
    if (v->trie[node].first_token < 0 || v->trie[node].first_token > t) {
      v->next_same[t] = v->trie[node].first_token;
      v->trie[node].first_token = t;
    } else {
      int32_t x = v->trie[node].first_token;
      while (v->next_same[x] >= 0 && v->next_same[x] < t) x = v->next_same[x];
      v->next_same[t] = v->next_same[x];
      v->next_same[x] = t;
    }
    prev = b;
    prev_len = len;
  }
  /* tokens per node, contiguous */
  v->node_tok_off = calloc((size_t)v->ntrie + 1, sizeof *v->node_tok_off);
  v->node_toks = malloc((size_t)(m ? m : 1) * sizeof *v->node_toks);
  v->tok_node = malloc((size_t)(n ? n : 1) * sizeof *v->tok_node);
  if (!v->node_tok_off || !v->node_toks || !v->tok_node) goto oom;
  for (int32_t t = 0; t < n; t++) v->tok_node[t] = -1;
  for (int32_t nd = 0, k = 0; nd < v->ntrie; nd++) {
    v->node_tok_off[nd] = k;
    for (int32_t t = v->trie[nd].first_token; t >= 0; t = v->next_same[t]) {
      v->node_toks[k++] = t;
      v->tok_node[t] = nd;
    }
    v->node_tok_off[nd + 1] = k;
  }
  free(order);
  free(path);
  free(last);
  *out = v;
  return DM_OK;
oom:
  free(order);
  free(path);
  free(last);
  dm_vocab_free(v);
  return DM_ENOMEM;
}

int dm_vocab_from_tokenizer(const dm_tokenizer *tok, dm_vocab **out) {
  *out = NULL;
  int32_t n = dm_tokenizer_vocab_size(tok);
  if (n <= 0) return DM_EINVAL;
  const char **bytes = malloc((size_t)n * sizeof *bytes);
  size_t *lens = malloc((size_t)n * sizeof *lens);
  uint8_t *flags = malloc((size_t)n);
  int rc = DM_ENOMEM;
  if (bytes && lens && flags) {
    for (int32_t i = 0; i < n; i++) {
      bytes[i] = dm_tokenizer_token_bytes(tok, i, &lens[i]);
      if (!bytes[i]) { bytes[i] = ""; lens[i] = 0; }
      unsigned f = dm_tokenizer_token_flags(tok, i);
      flags[i] = (f & (DM_TOKEN_SPECIAL | DM_TOKEN_CONTROL | DM_TOKEN_UNUSED)) ? DM_VOCAB_SPECIAL : 0;
    }
    rc = dm_vocab_new(n, bytes, lens, flags, out);
  }
  free(bytes);
  free(lens);
  free(flags);
  return rc;
}
