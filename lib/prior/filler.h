/* Slot filler languages (internal). */
#ifndef DM_PRIOR_FILLER_H
#define DM_PRIOR_FILLER_H

#include "dfa.h"

/* {v " "^k : v in L(value), v does not end in a space, k >= 0}, minimal. Takes
 * ownership of value (freed); the result is owned by the caller. NULL with err set
 * on OOM. */
dm_dfa *dm_dfa_space_filler(dm_dfa *value, dm_error *err);

#endif
