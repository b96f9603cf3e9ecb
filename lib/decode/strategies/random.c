/* random ("origin"): the schedule's count of positions in a seeded random order. */
#include "../strategy.h"

static double score_random(const dm_score_view *v) { return dm_rng_uniform(v->rng); }

const dm_strategy_ops dm_strategy_random_ops = {
    .name = "random", .alias = "origin", .blocks = 0, .score = score_random, .select = dm_strategy_select_schedule};
