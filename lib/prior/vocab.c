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
  free(v);
}

static int32_t trie_child(dm_vocab *v, int32_t node, uint8_t b, int32_t *cap) {
  int32_t prev = -1;
  for (int32_t c = v->trie[node].first_child; c >= 0; c = v->trie[c].next_sibling) {
    if (v->trie[c].byte == b) return c;
    if (v->trie[c].byte > b) break;
    prev = c;
  }
  if (v->ntrie == *cap) {
    int32_t ncap = *cap * 2;
    dm_trie_node *t = realloc(v->trie, (size_t)ncap * sizeof *t);
    if (!t) return -1;
    v->trie = t;
    *cap = ncap;
  }
  int32_t id = v->ntrie++;
  dm_trie_node *nd = &v->trie[id];
  nd->first_child = -1;
  nd->first_token = -1;
  nd->byte = b;
  /* keep children sorted by byte */
  if (prev < 0) {
    nd->next_sibling = v->trie[node].first_child;
    v->trie[node].first_child = id;
  } else {
    nd->next_sibling = v->trie[prev].next_sibling;
    v->trie[prev].next_sibling = id;
  }
  return id;
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
  if (!v->off || !v->blob || !v->flags || !v->next_same || !v->trie || total > UINT32_MAX) {
    dm_vocab_free(v);
    return DM_ENOMEM;
  }
  v->trie[0] = (dm_trie_node){-1, -1, -1, 0};
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
  for (int32_t i = n - 1; i >= 0; i--) { /* reversed so lists come out in id order */
    if (!lens[i] || (v->flags[i] & DM_VOCAB_SPECIAL)) continue;
    int32_t node = 0;
    for (size_t k = 0; k < lens[i]; k++) {
      node = trie_child(v, node, (uint8_t)bytes[i][k], &cap);
      if (node < 0) {
        dm_vocab_free(v);
        return DM_ENOMEM;
      }
    }
    v->next_same[i] = v->trie[node].first_token;
    v->trie[node].first_token = i;
  }
  *out = v;
  return DM_OK;
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
