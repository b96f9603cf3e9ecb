/* Token automata (internal; DESIGN.md §3): the token-level view of a slot's byte
 * DFA, δT(q, t) = δD*(q, bytes(t)), optionally with an EOS filler state (from any
 * accepting state, EOS leads to a state that only EOS leaves, itself accepting).
 *
 * Rows are built lazily per state by walking a trie of the tokens' byte-class
 * strings and pruning where the DFA dies. A row groups the allowed tokens by their
 * next state; a group's token set is a bitset over the vocabulary built on first
 * use and interned, so that states with the same set share it.
 */
#ifndef DM_PRIOR_TOKAUTO_H
#define DM_PRIOR_TOKAUTO_H

#include <stdbool.h>
#include <stdint.h>

#include "dfa.h"
#include "vocab.h"

typedef struct dm_tokrow {
  int32_t n;        /* distinct next states */
  int32_t *next;    /* next states */
  int32_t *set;     /* interned token-set id per next state, -1 until built */
  uint64_t *succ;   /* bitset over states: the next states */
} dm_tokrow;

/* The vocabulary grouped by byte-class strings for one class partition (the
 * class_of of a DFA): a trie whose node holds the tokens whose bytes map to the
 * node's class string. Shared between automata with the same partition
 * (reference counted). */
typedef struct dm_cnode {
  int32_t first_child, next_sibling;
  int32_t first_token;  /* first token ending here, -1 when none */
  int32_t ntokens;
  uint8_t cls;
} dm_cnode;

typedef struct dm_classtrie {
  int refs;
  uint8_t class_of[256];
  dm_cnode *nodes;
  int32_t n, cap;
  int32_t *tok_next;    /* next token of the same node, -1 at the end */
} dm_classtrie;

/* Build for vocab under class_of (one reference, release with dm_classtrie_unref). */
int dm_classtrie_new(const dm_vocab *vocab, const uint8_t class_of[256], dm_classtrie **out);
dm_classtrie *dm_classtrie_ref(dm_classtrie *ct);
void dm_classtrie_unref(dm_classtrie *ct);

typedef struct dm_tokauto dm_tokauto;

/* New automaton over dfa (not copied: it must outlive the automaton) and vocab (not
 * copied). eos: the filler token id, or -1 for none. shared: a class trie built for
 * dfa->class_of (a reference is taken), or NULL to build one. *out is
 * caller-owned. */
int dm_tokauto_new(const dm_dfa *dfa, const dm_vocab *vocab, int32_t eos, dm_classtrie *shared,
                   dm_tokauto **out);
void dm_tokauto_free(dm_tokauto *ta);

int32_t dm_tokauto_nstates(const dm_tokauto *ta);
/* Words per state bitset and per vocabulary bitset. */
size_t dm_tokauto_qwords(const dm_tokauto *ta);
size_t dm_tokauto_vwords(const dm_tokauto *ta);
bool dm_tokauto_accepting(const dm_tokauto *ta, int32_t q);
/* The row of state q (built on first use; NULL when out of memory). Owned by ta. */
const dm_tokrow *dm_tokauto_row(dm_tokauto *ta, int32_t q);
/* The tokens of group k of row q (its next state is row->next[k]) as a bitset over
 * the vocabulary (owned by ta; built and interned on first use; NULL when out of
 * memory); *count (may be NULL) receives how many. */
const uint64_t *dm_tokauto_row_set(dm_tokauto *ta, int32_t q, int32_t k, int32_t *count);
/* Number of tokens of group k of row q, and the token when it is exactly one (else -1). */
int32_t dm_tokauto_row_count(const dm_tokauto *ta, int32_t q, int32_t k);
int32_t dm_tokauto_row_single(const dm_tokauto *ta, int32_t q, int32_t k);
/* δT(q, tok), or -1. */
int32_t dm_tokauto_step(const dm_tokauto *ta, int32_t q, int32_t tok);
/* Bytes held by rows and token sets (for the memory report). */
size_t dm_tokauto_memory(const dm_tokauto *ta);

#endif
