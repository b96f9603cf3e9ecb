/* blocks (LLaDA): semi-autoregressive blocks of block_length; inside the current
 * block, the schedule's count of the most probable positions (low-confidence
 * remasking). */
#include "../strategy.h"

const dm_strategy_ops dm_strategy_blocks_ops = {.name = "blocks",
                                                .alias = "llada",
                                                .blocks = 1,
                                                .score = dm_strategy_score_prob,
                                                .select = dm_strategy_select_schedule};
