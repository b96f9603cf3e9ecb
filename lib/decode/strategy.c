/* Strategies: which of a step's candidates to commit, best first. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode_int.h"

static const char *const names[] = {"confident", "maskgit", "margin", "entropy", "random", "blocks", "fastdllm"};

const char *dm_strategy_name(dm_strategy s) {
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : NULL;
}

int dm_strategy_parse(const char *name, dm_strategy *out) {
  if (!name) return DM_EINVAL;
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i]) == 0) {
      *out = (dm_strategy)i;
      return DM_OK;
    }
  if (strcasecmp(name, "origin") == 0) *out = DM_STRATEGY_RANDOM;
  else if (strcasecmp(name, "fast-dllm") == 0) *out = DM_STRATEGY_FASTDLLM;
  else if (strcasecmp(name, "llada") == 0) *out = DM_STRATEGY_BLOCKS;
  else return DM_EINVAL;
  return DM_OK;
}

/* Higher score first; ties: lower position first (deterministic). */
static int cmp_cand(const void *a, const void *b) {
  const dm_cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int32_t dm_strategy_select(const dm_decode_params *p, dm_cand *cand, int32_t n, int32_t sched_k) {
  if (n <= 0) return 0;
  qsort(cand, (size_t)n, sizeof *cand, cmp_cand);
  if (sched_k < 1) sched_k = 1;
  if (sched_k > n) sched_k = n;
  switch (p->strategy) {
    case DM_STRATEGY_CONFIDENT:
    case DM_STRATEGY_FASTDLLM: {
      int32_t k = 0;
      while (k < n && cand[k].prob > p->threshold) k++;
      if (k > 0) return k;
      /* none above the threshold: confident falls back to the schedule,
       * Fast-dLLM commits the most confident one */
      return p->strategy == DM_STRATEGY_CONFIDENT ? sched_k : 1;
    }
    default:
      return sched_k;
  }
}
