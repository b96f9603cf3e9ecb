/* fastdllm (Fast-dLLM): inside the current block, every position whose confidence
 * exceeds threshold, else the most confident one. */
#include "../strategy.h"

static int32_t select_fastdllm(const dm_decode_params *p, const dm_cand *cand, int32_t n, int32_t sched_k) {
  (void)sched_k;
  int32_t k = dm_strategy_count_above(p, cand, n);
  return k > 0 ? k : 1;
}

const dm_strategy_ops dm_strategy_fastdllm_ops = {
    .name = "fastdllm", .alias = "fast-dllm", .blocks = 1, .score = dm_strategy_score_prob, .select = select_fastdllm};
