/* Fixed-size bitsets (see bitset.h). */
#include <stdlib.h>
#include <string.h>

#include <dimple/status.h>

#include "bitset.h"

int dm_bitset_init(dm_bitset *bs, size_t nbits) {
  bs->nbits = nbits;
  bs->nwords = (nbits + 63) / 64;
  bs->w = calloc(bs->nwords ? bs->nwords : 1, sizeof *bs->w);
  if (!bs->w) {
    bs->nbits = bs->nwords = 0;
    return DM_ENOMEM;
  }
  return DM_OK;
}

void dm_bitset_free(dm_bitset *bs) {
  if (!bs) return;
  free(bs->w);
  bs->w = NULL;
  bs->nbits = bs->nwords = 0;
}

void dm_bitset_clear(dm_bitset *bs) { memset(bs->w, 0, bs->nwords * sizeof *bs->w); }

void dm_bitset_fill(dm_bitset *bs) {
  if (!bs->nwords) return;
  memset(bs->w, 0xff, bs->nwords * sizeof *bs->w);
  size_t tail = bs->nbits & 63;
  if (tail) bs->w[bs->nwords - 1] = ((uint64_t)1 << tail) - 1;
}

void dm_bitset_copy(dm_bitset *dst, const dm_bitset *a) {
  memcpy(dst->w, a->w, a->nwords * sizeof *a->w);
}

bool dm_bitset_or(dm_bitset *dst, const dm_bitset *a) {
  uint64_t changed = 0;
  for (size_t i = 0; i < dst->nwords; i++) {
    uint64_t v = dst->w[i] | a->w[i];
    changed |= v ^ dst->w[i];
    dst->w[i] = v;
  }
  return changed != 0;
}

bool dm_bitset_and(dm_bitset *dst, const dm_bitset *a) {
  uint64_t changed = 0;
  for (size_t i = 0; i < dst->nwords; i++) {
    uint64_t v = dst->w[i] & a->w[i];
    changed |= v ^ dst->w[i];
    dst->w[i] = v;
  }
  return changed != 0;
}

bool dm_bitset_equal(const dm_bitset *a, const dm_bitset *b) {
  return a->nbits == b->nbits && memcmp(a->w, b->w, a->nwords * sizeof *a->w) == 0;
}

bool dm_bitset_empty(const dm_bitset *a) {
  for (size_t i = 0; i < a->nwords; i++)
    if (a->w[i]) return false;
  return true;
}

bool dm_bitset_intersects(const dm_bitset *a, const dm_bitset *b) {
  for (size_t i = 0; i < a->nwords; i++)
    if (a->w[i] & b->w[i]) return true;
  return false;
}

size_t dm_bitset_count(const dm_bitset *a) {
  size_t n = 0;
  for (size_t i = 0; i < a->nwords; i++) n += (size_t)__builtin_popcountll(a->w[i]);
  return n;
}

size_t dm_bitset_next(const dm_bitset *a, size_t from) {
  if (from >= a->nbits) return a->nbits;
  size_t wi = from >> 6;
  uint64_t word = a->w[wi] & (~(uint64_t)0 << (from & 63));
  for (;;) {
    if (word) {
      size_t i = (wi << 6) + (size_t)__builtin_ctzll(word);
      return i < a->nbits ? i : a->nbits;
    }
    if (++wi >= a->nwords) return a->nbits;
    word = a->w[wi];
  }
}

/* x86-64: one clone with the popcount instruction, picked at load time (a plain
 * build would call libgcc's table-driven popcount per word). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DM_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define DM_POPCNT_CLONES
#endif

DM_POPCNT_CLONES size_t dm_words_count(const uint64_t *a, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += (size_t)__builtin_popcountll(a[i]);
  return c;
}

DM_POPCNT_CLONES size_t dm_words_and_count(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += (size_t)__builtin_popcountll(dst[i] = a[i] & b[i]);
  return c;
}
