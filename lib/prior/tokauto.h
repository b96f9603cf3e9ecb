/* Token automata (internal; DESIGN.md §3): the token-level view of a slot's byte
 * DFA, δT(q, t) = δD*(q, bytes(t)), optionally with an EOS filler state (from any
 * accepting state, EOS leads to a state that only EOS leaves, itself accepting).
 *
 * Rows are built lazily per state by walking the vocabulary trie and pruning where
 * the DFA dies. A row groups the allowed tokens by their next state; each group's
 * token set is a bitset over the vocabulary, interned so that states with the same
 * set share it (most "inside a string" states do).
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
  int32_t *set;     /* token-set id per next state */
  uint64_t *succ;   /* bitset over states: the next states */
} dm_tokrow;

typedef struct dm_tokauto dm_tokauto;

/* New automaton over dfa (not copied: it must outlive the automaton) and vocab (not
 * copied). eos: the filler token id, or -1 for none. *out is caller-owned. */
int dm_tokauto_new(const dm_dfa *dfa, const dm_vocab *vocab, int32_t eos, dm_tokauto **out);
void dm_tokauto_free(dm_tokauto *ta);

int32_t dm_tokauto_nstates(const dm_tokauto *ta);
/* Words per state bitset and per vocabulary bitset. */
size_t dm_tokauto_qwords(const dm_tokauto *ta);
size_t dm_tokauto_vwords(const dm_tokauto *ta);
bool dm_tokauto_accepting(const dm_tokauto *ta, int32_t q);
/* The row of state q (built on first use; NULL when out of memory). Owned by ta. */
const dm_tokrow *dm_tokauto_row(dm_tokauto *ta, int32_t q);
/* Token set id → bitset over the vocabulary (owned by ta) and its size. */
const uint64_t *dm_tokauto_set(const dm_tokauto *ta, int32_t set, int32_t *count);
/* δT(q, tok), or -1. */
int32_t dm_tokauto_step(const dm_tokauto *ta, int32_t q, int32_t tok);
/* Bytes held by rows and token sets (for the memory report). */
size_t dm_tokauto_memory(const dm_tokauto *ta);

#endif
