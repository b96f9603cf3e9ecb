/* The vocabulary view the prior compiler works on (internal): for every token id
 * its exact bytes and flags, and a byte trie over the ordinary tokens. Built from a
 * tokenizer (dimple/tokenizer.h) or from arrays (tests). */
#ifndef DM_PRIOR_VOCAB_H
#define DM_PRIOR_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

enum {
  DM_VOCAB_SPECIAL = 1 << 0  /* never part of a slot's text (BOS, EOS, chat markers ...) */
};

typedef struct dm_trie_node {
  int32_t first_child;  /* -1 when none */
  int32_t next_sibling; /* -1 when none */
  int32_t first_token;  /* first token whose bytes end here, -1 when none */
  uint8_t byte;
} dm_trie_node;

typedef struct dm_vocab {
  int32_t n;              /* token ids 0..n-1 */
  uint32_t *off;          /* n + 1 offsets into blob */
  uint8_t *blob;          /* token bytes */
  uint8_t *flags;         /* DM_VOCAB_* per token */
  int32_t *next_same;     /* next token with the same bytes, -1 at the end */
  dm_trie_node *trie;     /* node 0 is the root (empty string); a parent's id is
                             below its children's (nodes in depth-first preorder) */
  int32_t *parent;        /* parent node per node (-1 for the root) */
  int32_t *node_tok_off;  /* ntrie + 1 offsets into node_toks */
  int32_t *node_toks;     /* the tokens ending at each node, contiguous (id order) */
  int32_t *tok_node;      /* per token id: the node its bytes end at, -1 when not in the trie */
  int32_t ntrie;
} dm_vocab;

/* Build from arrays (copied): bytes[i] of lens[i] bytes, flags[i] (may be NULL).
 * Empty or special tokens are not in the trie. *out is caller-owned
 * (dm_vocab_free). DM_OK, DM_EINVAL, DM_ENOMEM. */
int dm_vocab_new(int32_t n, const char *const *bytes, const size_t *lens, const uint8_t *flags,
                 dm_vocab **out);
void dm_vocab_free(dm_vocab *v);

struct dm_tokenizer;
/* Build from a tokenizer's vocabulary view: token bytes as they appear mid-text;
 * special, control and unused ids are DM_VOCAB_SPECIAL (never inside a slot). */
int dm_vocab_from_tokenizer(const struct dm_tokenizer *tok, dm_vocab **out);

static inline const uint8_t *dm_vocab_bytes(const dm_vocab *v, int32_t id, size_t *len) {
  *len = v->off[id + 1] - v->off[id];
  return v->blob + v->off[id];
}

#endif
