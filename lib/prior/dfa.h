/* Byte-level deterministic automata (internal).
 *
 * States 0..nstates-1, start state 0 (after minimisation states are numbered in
 * breadth-first order from the start, so equal languages give equal tables).
 * Bytes are grouped into classes (class_of); transitions are next[s * nclasses + c],
 * -1 meaning the dead state (no completion possible). After dm_dfa_minimize every
 * state can reach an accepting state, so "not dead" means "still completable".
 */
#ifndef DM_PRIOR_DFA_H
#define DM_PRIOR_DFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#include "re.h"

#define DM_DFA_DEFAULT_MAX_STATES 50000

typedef struct dm_dfa {
  int nstates;
  int nclasses;
  uint8_t class_of[256];
  int32_t *next;    /* owned; nstates * nclasses entries, -1 = dead */
  uint8_t *accept;  /* owned; nstates flags */
} dm_dfa;

/* Compile a syntax tree to a minimal DFA. max_states bounds every intermediate
 * automaton (0: DM_DFA_DEFAULT_MAX_STATES); past it DM_ESTATELIMIT with a message.
 * On success *out is owned by the caller (dm_dfa_free). */
int dm_dfa_from_re(const dm_re_node *root, int max_states, dm_dfa **out, dm_error *err);

/* Parse and compile a pattern in one call (errors carry the pattern offset). */
int dm_dfa_from_pattern(const char *pattern, size_t len, int max_states, dm_dfa **out,
                        dm_error *err);

void dm_dfa_free(dm_dfa *d);

/* Minimise in place: remove states that cannot reach acceptance, merge equivalent
 * states, merge equivalent byte classes, renumber breadth-first. DM_OK/DM_ENOMEM. */
int dm_dfa_minimize(dm_dfa *d);
/* The plain reference twin of dm_dfa_minimize (Moore's rounds instead of Hopcroft's
 * refinement; same result, table for table), for tests. */
int dm_dfa_minimize_reference(dm_dfa *d);

/* Language operations; results are minimal and owned by the caller. */
int dm_dfa_intersect(const dm_dfa *a, const dm_dfa *b, int max_states, dm_dfa **out, dm_error *err);
int dm_dfa_union(const dm_dfa *a, const dm_dfa *b, int max_states, dm_dfa **out, dm_error *err);
/* a minus b: the same result as intersecting a with dm_dfa_complement(b) (and the
 * same intermediate size against max_states), in one product. */
int dm_dfa_difference(const dm_dfa *a, const dm_dfa *b, int max_states, dm_dfa **out, dm_error *err);
/* The union of n automata whose first bytes are pairwise disjoint (no byte leads
 * out of two start states), built at once: a new start with every part's start
 * transitions and a copy of each part (1 + the parts' states before minimising).
 * The result is what dm_dfa_union gives one part at a time; each of those steps
 * visits at most the parts' states plus one per part, so under a state limit at
 * least that large neither fails. DM_EINVAL when first bytes overlap. */
int dm_dfa_union_disjoint(dm_dfa *const *parts, int n, dm_dfa **out, dm_error *err);
/* First-byte bookkeeping for it: does no byte marked in used[256] lead out of a's
 * start; mark the bytes that do. */
bool dm_dfa_starts_disjoint(const dm_dfa *a, const uint8_t *used);
void dm_dfa_starts_mark(const dm_dfa *a, uint8_t *used);
/* Equivalent states of b and d (the same language from both), among the pairs the
 * two automata reach together from their starts: map_b[s] (b->nstates entries)
 * receives the state of d equivalent to s, map_d[s] (d->nstates) the state of b
 * equivalent to s, or -1. A state with two partners (an automaton that is not
 * minimal) gets none. Past max_pairs pairs nothing is mapped (all -1).
 * DM_OK / DM_ENOMEM (then all -1). */
int dm_dfa_equiv_map(const dm_dfa *b, const dm_dfa *d, int32_t max_pairs, int32_t *map_b, int32_t *map_d);

/* Complement over all byte strings. */
int dm_dfa_complement(const dm_dfa *a, dm_dfa **out, dm_error *err);

/* {s : begin s end in L(d)}: the language inside a frame of two marker bytes. */
int dm_dfa_strip_frame(const dm_dfa *d, uint8_t begin, uint8_t end, dm_dfa **out, dm_error *err);

/* Search semantics of a pattern over a UTF-8 value (as JSON Schema's "pattern"):
 * the strings that contain a match; anchors bind to the value's ends. */
int dm_dfa_from_search_pattern(const char *pattern, size_t len, int max_states, dm_dfa **out,
                               dm_error *err);

static inline int32_t dm_dfa_step(const dm_dfa *d, int32_t s, uint8_t byte) {
  return s < 0 ? -1 : d->next[(size_t)s * (size_t)d->nclasses + d->class_of[byte]];
}
/* Run from state s over n bytes; the state reached or -1. */
int32_t dm_dfa_run(const dm_dfa *d, int32_t s, const uint8_t *bytes, size_t n);
bool dm_dfa_match(const dm_dfa *d, const uint8_t *bytes, size_t n);
bool dm_dfa_is_empty(const dm_dfa *d);
/* Length of the shortest accepted string, -1 when the language is empty. */
int dm_dfa_min_length(const dm_dfa *d);
/* Length of the longest accepted string, -1 when empty, INT32_MAX when unbounded. */
int32_t dm_dfa_max_length(const dm_dfa *d);
/* Same language (both minimal) — tables compared directly. */
bool dm_dfa_equal(const dm_dfa *a, const dm_dfa *b);

#endif
