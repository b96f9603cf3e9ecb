/* The decoding strategies' one interface (not installed). A strategy is a small
 * table of operations, one file each under lib/decode/strategies/: its name, whether
 * it works inside blocks, the score of a position's picked token (higher commits
 * first) and which of a step's candidates to commit. dm_strategy_get maps the public
 * enum to its table; the name table, parsing and the shared selection helpers live
 * in strategy.c. */
#ifndef DM_DECODE_STRATEGY_H
#define DM_DECODE_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/decode.h>

#include "rng.h"

/* One masked position's candidate in a step. */
typedef struct dm_cand {
  int32_t pos;   /* canvas position */
  int32_t tok;   /* chosen token */
  double score;  /* the strategy's confidence (higher commits first) */
  double prob;   /* probability of tok (for thresholds) */
  const float *logits; /* its logits row (borrowed from the step's buffer) */
} dm_cand;

/* What a score sees of one position (everything borrowed). The confidence
 * distribution is the untempered softmax over the whole row, or over the allowed
 * tokens when renorm: p(t) = exp(logits[t] - mx - logz). */
typedef struct dm_score_view {
  const float *logits;     /* the row: vocab floats */
  int32_t vocab;
  const uint64_t *allowed; /* bitset of words words; may be NULL (words 0) when !renorm */
  size_t words;
  int renorm;              /* 1: the distribution's support is the allowed tokens */
  int32_t tok;             /* the picked token */
  double prob;             /* its probability */
  float mx;                /* max logit over the support */
  double logz;             /* log of sum exp(logits[t] - mx) over the support */
  dm_rng *rng;             /* the decode's generator (random scores) */
} dm_score_view;

typedef struct dm_strategy_ops {
  const char *name;  /* "confident", ... (dm_strategy_name) */
  const char *alias; /* another accepted name, or NULL */
  int blocks;        /* 1: works inside the current block of block_length (the
                        schedule splits the steps evenly over the blocks) */
  /* The candidate's score (higher commits first). */
  double (*score)(const dm_score_view *v);
  /* How many candidates to commit: cand[0..n) sorted best first (n >= 1),
   * 1 <= sched_k <= n the schedule's count. Returns k in [1, n]. */
  int32_t (*select)(const dm_decode_params *p, const dm_cand *cand, int32_t n, int32_t sched_k);
} dm_strategy_ops;

/* The strategy's operations (static); NULL for a value outside the enum. */
const dm_strategy_ops *dm_strategy_get(dm_strategy s);

/* Shared pieces. */
/* The schedule's count. */
int32_t dm_strategy_select_schedule(const dm_decode_params *p, const dm_cand *cand, int32_t n, int32_t sched_k);
/* The number of leading candidates whose probability exceeds p->threshold. */
int32_t dm_strategy_count_above(const dm_decode_params *p, const dm_cand *cand, int32_t n);
/* The picked token's probability. */
double dm_strategy_score_prob(const dm_score_view *v);

/* Choose which candidates to commit this step and order them: on return cand[0..k)
 * are the ones to commit, best first (sorted by score, ties by position). sched_k:
 * the schedule's count for this step (>= 1). Returns k. */
int32_t dm_strategy_select(const dm_decode_params *p, dm_cand *cand, int32_t n, int32_t sched_k);

/* The tables, one per file in lib/decode/strategies/. */
extern const dm_strategy_ops dm_strategy_confident_ops, dm_strategy_maskgit_ops, dm_strategy_margin_ops,
    dm_strategy_entropy_ops, dm_strategy_random_ops, dm_strategy_blocks_ops, dm_strategy_fastdllm_ops;

#endif
