/* Class tries (internal): the vocabulary grouped by byte-class strings.
 *
 * For a partition of the bytes into classes (class_of), two tokens whose bytes fall
 * in the same classes position by position behave identically from every state of
 * an automaton whose transitions are constant on each class. The class trie holds
 * one node per distinct class-string prefix; a node lists the tokens whose class
 * string ends there, and the byte-trie nodes (dm_vocab's trie) that project onto it
 * (its preimage), so that a walk can leave the class trie for the byte trie where it
 * needs finer distinctions.
 */
#ifndef DM_PRIOR_CLASSTRIE_H
#define DM_PRIOR_CLASSTRIE_H

#include <stdint.h>

#include "vocab.h"

typedef struct dm_cnode {
  int32_t first_child, next_sibling;
  int32_t first_token;  /* a token ending here, -1 when none */
  int32_t ntokens;
  uint8_t cls;
} dm_cnode;

typedef struct dm_classtrie {
  int refs;
  uint8_t class_of[256];
  int nclasses;
  uint8_t rep[256];     /* a byte of each class */
  dm_cnode *nodes;
  int32_t n, cap;
  int32_t *tok_off;     /* n + 1 offsets into toks */
  int32_t *toks;        /* the tokens of each node, contiguous, in id order */
  int32_t *tnode;       /* per token id: its node, -1 (special or empty tokens) */
  int32_t ntok;         /* vocabulary size */
  int32_t *pre_off;     /* n + 1 offsets into pre */
  int32_t *pre;         /* byte-trie nodes per class-trie node */
  size_t memory;        /* bytes held */
} dm_classtrie;

/* Build for vocab under class_of (classes numbered 0..k-1). One reference; release
 * with dm_classtrie_unref. DM_OK / DM_ENOMEM. */
int dm_classtrie_new(const dm_vocab *vocab, const uint8_t class_of[256], dm_classtrie **out);
dm_classtrie *dm_classtrie_ref(dm_classtrie *ct);
void dm_classtrie_unref(dm_classtrie *ct);

#endif
