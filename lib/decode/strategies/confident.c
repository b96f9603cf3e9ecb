/* confident (Dimple): every position whose confidence exceeds threshold; when none
 * does, the schedule's count of the most confident ones. Score: the probability. */
#include "../strategy.h"

static int32_t select_confident(const dm_decode_params *p, const dm_cand *cand, int32_t n, int32_t sched_k) {
  int32_t k = dm_strategy_count_above(p, cand, n);
  return k > 0 ? k : sched_k;
}

const dm_strategy_ops dm_strategy_confident_ops = {
    .name = "confident", .alias = NULL, .blocks = 0, .score = dm_strategy_score_prob, .select = select_confident};
