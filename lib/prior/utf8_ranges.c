/* Code point ranges → UTF-8 byte-range sequences. */
#include "utf8_ranges.h"

int dm_utf8_encode(uint32_t cp, uint8_t *out) {
  if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | (cp >> 6));
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | (cp >> 12));
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | (cp >> 18));
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static int enc_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

/* [lo, hi] with equal encoded length: split until each byte position is one range. */
static int split_same_len(uint32_t lo, uint32_t hi, int (*fn)(const dm_utf8_seq *, void *), void *user) {
  int n = enc_len(lo);
  for (int i = 1; i < n; i++) {
    uint32_t m = ((uint32_t)1 << (6 * i)) - 1; /* the low i continuation bytes */
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        int rc = split_same_len(lo, lo | m, fn, user);
        return rc ? rc : split_same_len((lo | m) + 1, hi, fn, user);
      }
      if ((hi & m) != m) {
        int rc = split_same_len(lo, (hi & ~m) - 1, fn, user);
        return rc ? rc : split_same_len(hi & ~m, hi, fn, user);
      }
    }
  }
  dm_utf8_seq s;
  s.n = n;
  dm_utf8_encode(lo, s.lo);
  dm_utf8_encode(hi, s.hi);
  return fn(&s, user);
}

int dm_utf8_ranges(uint32_t lo, uint32_t hi, int (*fn)(const dm_utf8_seq *, void *), void *user) {
  if (hi > 0x10FFFF) hi = 0x10FFFF;
  /* remove surrogates */
  if (lo <= 0xDFFF && hi >= 0xD800) {
    if (lo < 0xD800) {
      int rc = dm_utf8_ranges(lo, 0xD7FF, fn, user);
      if (rc) return rc;
    }
    if (hi > 0xDFFF) return dm_utf8_ranges(0xE000, hi, fn, user);
    return 0;
  }
  static const uint32_t bounds[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  for (int b = 0; b < 4 && lo <= hi; b++) {
    if (lo > bounds[b]) continue;
    uint32_t end = hi < bounds[b] ? hi : bounds[b];
    int rc = split_same_len(lo, end, fn, user);
    if (rc) return rc;
    lo = end + 1;
  }
  return 0;
}
