/* entropy: the schedule's count of the positions whose confidence distribution has
 * the lowest entropy (score -H, H = -sum p log p). */
#include "../fastmath.h"
#include "../strategy.h"

static double score_entropy(const dm_score_view *v) {
  const float *logits = v->logits;
  float mx = v->mx;
  double logz = v->logz, h = 0;
  if (v->renorm) {
    DM_FOR_ALLOWED(v->allowed, v->words, v->vocab, t) {
      float lp = (float)(logits[t] - mx - logz);
      h -= dm_exp_neg(lp) * lp;
    }
  } else {
    for (int32_t t = 0; t < v->vocab; t++) {
      float lp = (float)(logits[t] - mx - logz);
      h -= dm_exp_neg(lp) * lp;
    }
  }
  return -h;
}

const dm_strategy_ops dm_strategy_entropy_ops = {
    .name = "entropy", .alias = NULL, .blocks = 0, .score = score_entropy, .select = dm_strategy_select_schedule};
