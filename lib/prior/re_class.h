/* Code point sets (internal): a growable list of ranges. */
#ifndef DM_PRIOR_RE_CLASS_H
#define DM_PRIOR_RE_CLASS_H

#include "re.h"

typedef struct dm_cpset {
  dm_cp_range *r; /* owned */
  int n, cap;
} dm_cpset;

/* Append [lo, hi] (no-op when lo > hi). DM_OK or DM_ENOMEM. */
int dm_cpset_add(dm_cpset *s, uint32_t lo, uint32_t hi);
int dm_cpset_add_set(dm_cpset *s, const dm_cpset *t);
/* Sort and merge overlapping or adjacent ranges. */
void dm_cpset_normalize(dm_cpset *s);
/* Replace s by its complement within [0, DM_CP_MAX]. DM_OK or DM_ENOMEM. */
int dm_cpset_negate(dm_cpset *s);
void dm_cpset_free(dm_cpset *s);

#endif
