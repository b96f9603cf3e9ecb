/* Fixed-size bitsets over automaton states or token ids (internal).
 * The feasibility engine (DESIGN.md §3) works on sets of states as bitsets:
 * forward, backward and live sets are unions and intersections of these. */
#ifndef DM_PRIOR_BITSET_H
#define DM_PRIOR_BITSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dm_bitset {
  size_t nbits;
  size_t nwords;
  uint64_t *w;   /* owned; nwords words, bits past nbits always 0 */
} dm_bitset;

/* Allocate an empty set of nbits bits into *bs. Returns DM_OK or DM_ENOMEM.
 * The caller owns the storage; release with dm_bitset_free. */
int dm_bitset_init(dm_bitset *bs, size_t nbits);
/* Release the storage; bs itself is not freed. NULL and a zeroed set are no-ops. */
void dm_bitset_free(dm_bitset *bs);

static inline void dm_bitset_set(dm_bitset *bs, size_t i) { bs->w[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void dm_bitset_reset(dm_bitset *bs, size_t i) { bs->w[i >> 6] &= ~((uint64_t)1 << (i & 63)); }
static inline bool dm_bitset_test(const dm_bitset *bs, size_t i) { return (bs->w[i >> 6] >> (i & 63)) & 1u; }

void dm_bitset_clear(dm_bitset *bs);
void dm_bitset_fill(dm_bitset *bs);
/* dst = a (same size required for all binary operations). */
void dm_bitset_copy(dm_bitset *dst, const dm_bitset *a);
/* dst |= a; returns true when dst changed. */
bool dm_bitset_or(dm_bitset *dst, const dm_bitset *a);
/* dst &= a; returns true when dst changed. */
bool dm_bitset_and(dm_bitset *dst, const dm_bitset *a);
bool dm_bitset_equal(const dm_bitset *a, const dm_bitset *b);
bool dm_bitset_empty(const dm_bitset *a);
bool dm_bitset_intersects(const dm_bitset *a, const dm_bitset *b);
size_t dm_bitset_count(const dm_bitset *a);
/* Index of the first set bit at or after `from`, or a->nbits when none. */
size_t dm_bitset_next(const dm_bitset *a, size_t from);

/* Plain word arrays (token bitsets): the bits set in a[0..n), and dst = a & b with
 * the bits set in the result (dst may be a or b). Use the CPU's popcount
 * instruction where it has one. */
size_t dm_words_count(const uint64_t *a, size_t n);
size_t dm_words_and_count(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t n);

#endif
