/* maskgit: the schedule's count of the positions with the highest top-1 probability. */
#include "../strategy.h"

const dm_strategy_ops dm_strategy_maskgit_ops = {.name = "maskgit",
                                                 .alias = NULL,
                                                 .blocks = 0,
                                                 .score = dm_strategy_score_prob,
                                                 .select = dm_strategy_select_schedule};
