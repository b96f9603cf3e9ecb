/* Code point ranges → UTF-8 byte-range sequences (internal).
 * A range [lo, hi] of code points is split into sequences of 1–4 byte ranges such
 * that the set of UTF-8 encodings of the code points in [lo, hi] (surrogates
 * excluded) is exactly the union of the sequences' byte-string sets. */
#ifndef DM_PRIOR_UTF8_RANGES_H
#define DM_PRIOR_UTF8_RANGES_H

#include <stdint.h>

typedef struct dm_utf8_seq {
  int n;                 /* number of bytes, 1..4 */
  uint8_t lo[4], hi[4];  /* byte i in [lo[i], hi[i]] */
} dm_utf8_seq;

/* Call fn(seq, user) for each sequence covering [lo, hi]; stops and returns the
 * first non-zero value fn returns. */
int dm_utf8_ranges(uint32_t lo, uint32_t hi, int (*fn)(const dm_utf8_seq *, void *), void *user);

/* Encode cp as UTF-8 into out (4 bytes room); returns the length. */
int dm_utf8_encode(uint32_t cp, uint8_t *out);

#endif
