/* The feasibility engine of one slot (internal; DESIGN.md §3).
 *
 * A slot is n token positions over a token automaton; each position is a fixed
 * token or a mask. The engine keeps, per boundary i (0..n), the forward set fw[i]
 * (states some assignment of positions < i reaches) and the live set lv[i] (states
 * of fw[i] from which the rest can still be completed into an accepting state).
 * The tokens allowed at a masked position i are those that lead from lv[i] into
 * lv[i+1]. Committing an allowed token keeps the slot completable: after every
 * commit lv[0] still holds the start state, so the final text is in the language,
 * whatever the order of commits.
 */
#ifndef DM_PRIOR_FEASIBLE_H
#define DM_PRIOR_FEASIBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "tokauto.h"

typedef struct dm_slot {
  dm_tokauto *ta;  /* not owned */
  int32_t n;       /* positions */
  int32_t *tok;    /* committed token per position, -1 = mask */
  uint64_t *fw;    /* (n + 1) * qwords */
  uint64_t *lv;    /* (n + 1) * qwords */
  size_t qw;
  uint64_t *tmp;   /* qwords scratch */
  /* allowed() results by content: the sets (lv[i], lv[i+1]) are often the same at
     many positions (and stay the same across commits far away) */
  struct dm_allowed_memo *memo;
  int memo_next;
} dm_slot;

/* Set up a slot of n positions (fixed: n tokens, -1 for a mask; NULL: all masks).
 * DM_EINFEASIBLE when no assignment of the masks gives a word of the language
 * (slot left valid, with empty live sets); DM_ENOMEM. Release with dm_slot_free. */
int dm_slot_init(dm_slot *slot, dm_tokauto *ta, int32_t n, const int32_t *fixed);
void dm_slot_free(dm_slot *slot);

/* A copy of src's state (positions, forward and live sets) in a new slot *dst
 * (released with dm_slot_free; no memo). DM_OK / DM_ENOMEM. */
int dm_slot_clone(dm_slot *dst, const dm_slot *src);
/* Put src's state into dst, both set up for the same automaton and length (dst's
 * memo is kept: it is keyed by the live sets' content). */
void dm_slot_copy_state(dm_slot *dst, const dm_slot *src);

/* The slot can still be completed. */
bool dm_slot_feasible(const dm_slot *slot);

/* Is tok allowed at pos (a mask: leads from lv[pos] into lv[pos+1]; a committed
 * position: tok is the committed token)? */
bool dm_slot_allows(dm_slot *slot, int32_t pos, int32_t tok);

/* Allowed tokens at pos as a bitset over the vocabulary (vwords words, written
 * whole). Returns how many, or a negative DM_E* (DM_ENOMEM). */
int32_t dm_slot_allowed(dm_slot *slot, int32_t pos, uint64_t *out);

/* The only allowed token at a masked pos, or -1 when there are several (or none). */
int32_t dm_slot_forced(dm_slot *slot, int32_t pos);

/* Commit tok at masked pos. DM_OK; DM_EINFEASIBLE when tok is not allowed there (the
 * slot is unchanged); DM_EINVAL when pos is out of range or already committed;
 * DM_ENOMEM. */
int dm_slot_commit(dm_slot *slot, int32_t pos, int32_t tok);

#endif
