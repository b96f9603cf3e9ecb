/* Strategies: the enum -> operations table, names and parsing, and the shared
 * selection (sort by score, schedule, threshold count). Each strategy's own
 * operations are in lib/decode/strategies/. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strategy.h"

/* Indexed by dm_strategy. */
static const dm_strategy_ops *const table[] = {
    [DM_STRATEGY_CONFIDENT] = &dm_strategy_confident_ops, [DM_STRATEGY_MASKGIT] = &dm_strategy_maskgit_ops,
    [DM_STRATEGY_MARGIN] = &dm_strategy_margin_ops,       [DM_STRATEGY_ENTROPY] = &dm_strategy_entropy_ops,
    [DM_STRATEGY_RANDOM] = &dm_strategy_random_ops,       [DM_STRATEGY_BLOCKS] = &dm_strategy_blocks_ops,
    [DM_STRATEGY_FASTDLLM] = &dm_strategy_fastdllm_ops,
};

#define NSTRAT ((unsigned)(sizeof table / sizeof table[0]))

const dm_strategy_ops *dm_strategy_get(dm_strategy s) { return (unsigned)s < NSTRAT ? table[s] : NULL; }

const char *dm_strategy_name(dm_strategy s) {
  const dm_strategy_ops *o = dm_strategy_get(s);
  return o ? o->name : NULL;
}

int dm_strategy_parse(const char *name, dm_strategy *out) {
  if (!name) return DM_EINVAL;
  for (unsigned i = 0; i < NSTRAT; i++)
    if (strcasecmp(name, table[i]->name) == 0) {
      *out = (dm_strategy)i;
      return DM_OK;
    }
  for (unsigned i = 0; i < NSTRAT; i++)
    if (table[i]->alias && strcasecmp(name, table[i]->alias) == 0) {
      *out = (dm_strategy)i;
      return DM_OK;
    }
  return DM_EINVAL;
}

int32_t dm_strategy_select_schedule(const dm_decode_params *p, const dm_cand *cand, int32_t n, int32_t sched_k) {
  (void)p;
  (void)cand;
  (void)n;
  return sched_k;
}

int32_t dm_strategy_count_above(const dm_decode_params *p, const dm_cand *cand, int32_t n) {
  int32_t k = 0;
  while (k < n && cand[k].prob > p->threshold) k++;
  return k;
}

double dm_strategy_score_prob(const dm_score_view *v) { return v->prob; }

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
  const dm_strategy_ops *o = dm_strategy_get(p->strategy);
  return o ? o->select(p, cand, n, sched_k) : sched_k;
}
