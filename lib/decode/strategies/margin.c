/* margin: the schedule's count of the positions with the largest gap between the
 * picked token's probability and the best other token's. */
#include <math.h>

#include "../fastmath.h"
#include "../strategy.h"

/* top-1 minus the best other token over the confidence distribution's support */
static double score_margin(const dm_score_view *v) {
  const float *logits = v->logits;
  float second = -INFINITY;
  if (v->renorm) {
    DM_FOR_ALLOWED(v->allowed, v->words, v->vocab, t) if (t != v->tok && logits[t] > second) second = logits[t];
  } else {
    for (int32_t t = 0; t < v->vocab; t++)
      if (t != v->tok && logits[t] > second) second = logits[t];
  }
  return v->prob - (second == -INFINITY ? 0 : exp((double)second - v->mx - v->logz));
}

const dm_strategy_ops dm_strategy_margin_ops = {
    .name = "margin", .alias = NULL, .blocks = 0, .score = score_margin, .select = dm_strategy_select_schedule};
