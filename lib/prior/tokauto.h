/* Token automata (internal; DESIGN.md §3): the token-level view of a slot's byte
 * DFA, δT(q, t) = δD*(q, bytes(t)), optionally with an EOS filler state (from any
 * accepting state, EOS leads to a state that only EOS leaves, itself accepting).
 *
 * Rows are built lazily per state. A row groups the tokens allowed from q by their
 * next state. Two ways to build one:
 *  - most states: walk the vocabulary's byte trie from q, pruning where the DFA dies;
 *  - "free text" states (many bytes loop back to q, e.g. inside a JSON string):
 *    a *template*. The partition P = (q's own byte partition) ⊔ (UTF-8 byte kinds)
 *    is coarse; the region of q is the set of states reached from q whose
 *    transitions are constant on every P class. Inside the region, a walk over the
 *    class trie of P (a few thousand nodes instead of a few hundred thousand) is
 *    exact and depends only on the region's shape, so it is computed once per shape
 *    and shared by every state with that shape (every JSON string context, every
 *    spec compiled with the same cache). Where the walk leaves the region (an exit:
 *    a `"` or `\` inside a string), it continues on the byte trie from the actual
 *    state, over the exit node's preimage.
 * A group's token set is a bitset over the vocabulary built on first use and
 * interned, so that states with the same set share it.
 */
#ifndef DM_PRIOR_TOKAUTO_H
#define DM_PRIOR_TOKAUTO_H

#include <stdbool.h>
#include <stdint.h>

#include "classtrie.h"
#include "dfa.h"
#include "vocab.h"

typedef struct dm_tokrow {
  int32_t n;        /* distinct next states */
  int32_t *next;    /* next states */
  uint64_t *succ;   /* bitset over states: the next states */
} dm_tokrow;

/* Class tries and templates shared between automata over one vocabulary. */
typedef struct dm_tokcache dm_tokcache;

/* *out is caller-owned (dm_tokcache_free); vocab is borrowed and must outlive it. */
int dm_tokcache_new(const dm_vocab *vocab, dm_tokcache **out);
/* Automata keep what they use alive; the cache may be freed before them. */
void dm_tokcache_free(dm_tokcache *c);
/* Bytes held by the cache (class tries and templates). */
size_t dm_tokcache_memory(const dm_tokcache *c);
/* Class tries built so far, and template requests served by the trie of a finer
 * partition (no build). Either pointer may be NULL. */
void dm_tokcache_trie_stats(const dm_tokcache *c, int64_t *built, int64_t *finer);

typedef struct dm_tokauto dm_tokauto;

/* New automaton over dfa (not copied: it must outlive the automaton) and vocab (not
 * copied). eos: the filler token id, or -1 for none. cache: shared class tries and
 * templates (borrowed), or NULL for a private one. *out is caller-owned. */
int dm_tokauto_new(const dm_dfa *dfa, const dm_vocab *vocab, int32_t eos, dm_tokcache *cache,
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
/* OR the tokens of group k of row q into out (vwords words). Sets already OR'd in
 * the same round (see dm_tokauto_round) are skipped. DM_OK / DM_ENOMEM. */
int dm_tokauto_row_or(dm_tokauto *ta, int32_t q, int32_t k, uint64_t *out, uint32_t round);
/* A fresh round number for dm_tokauto_row_or. */
uint32_t dm_tokauto_round(dm_tokauto *ta);
/* Number of tokens of group k of row q, and the token when it is exactly one (else -1). */
int32_t dm_tokauto_row_count(const dm_tokauto *ta, int32_t q, int32_t k);
int32_t dm_tokauto_row_single(const dm_tokauto *ta, int32_t q, int32_t k);
/* δT(q, tok), or -1. */
int32_t dm_tokauto_step(const dm_tokauto *ta, int32_t q, int32_t tok);
/* Bytes held by rows, token sets and the templates this automaton uses. */
size_t dm_tokauto_memory(const dm_tokauto *ta);
/* How rows were built (for tests and benchmarks): rows from byte-trie walks, rows
 * from templates, distinct templates used, rows derived through a counter shift,
 * rows filtered by first byte from another state's row, rows shared with the
 * cache's donor. */
void dm_tokauto_stats(const dm_tokauto *ta, int32_t *byte_rows, int32_t *template_rows, int32_t *templates,
                      int32_t *shifted_rows, int32_t *filtered_rows, int32_t *shared_rows);

/* The cache's donors (DM_TOKCACHE_DONORS slots): automata (over the cache's
 * vocabulary) whose rows other automata with the same filler take for their states
 * with the same language as one of theirs; an automaton uses the first donor that
 * covers half its states, else the one that covers most. Borrowed: whoever sets one
 * keeps it alive longer than every automaton made with the cache since, and clears
 * the slot with NULL before freeing it. */
#define DM_TOKCACHE_DONORS 2
void dm_tokcache_set_donor(dm_tokcache *c, int i, dm_tokauto *donor);
dm_tokauto *dm_tokcache_donor(const dm_tokcache *c, int i);

#endif
