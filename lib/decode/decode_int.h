/* The decoder's internal pieces (not installed). */
#ifndef DM_DECODE_INT_H
#define DM_DECODE_INT_H

#include <dimple/decode.h>

#include "rng.h"
#include "strategy.h" /* dm_cand, the strategies' interface, dm_strategy_select */

/* Scratch of the token picker (sized to the vocabulary). */
typedef struct dm_picker {
  const dm_decode_params *p;
  int32_t vocab;      /* logits per row */
  int32_t *ids;       /* vocab scratch */
  float *vals;        /* vocab scratch */
  dm_rng *rng;
  const dm_strategy_ops *ops; /* p->strategy's (scores) */
  double z;           /* normaliser of the row in vals (dm_pick_sample_full) */
} dm_picker;

/* DM_EINVAL for a strategy outside the enum, DM_ENOMEM. */
int dm_picker_init(dm_picker *pk, const dm_decode_params *p, int32_t vocab, dm_rng *rng);
void dm_picker_free(dm_picker *pk);

/* Pick a token at one position from its logits row among the allowed ones
 * (bitset of words words): greedy at temperature 0, else sampled (temperature,
 * top-k, top-p). Returns the token, or -1 when no allowed token has a logit. */
int32_t dm_pick_token(dm_picker *pk, const float *logits, const uint64_t *allowed, size_t words);

/* The strategy's score (through its ops->score) and the token's probability for a
 * picked token (the confidence distribution: full vocabulary, or the allowed tokens
 * when renorm_confidence). */
void dm_pick_score(dm_picker *pk, const float *logits, const uint64_t *allowed, size_t words, int32_t tok,
                   double *score, double *prob);

/* A token sampled from the whole tempered distribution (no top-k/top-p), for
 * rejection sampling: a sample the canvas allows is a sample of the distribution
 * restricted to the allowed tokens. fresh: 1 for the first draw from this row (later
 * draws reuse its probabilities). */
int32_t dm_pick_sample_full(dm_picker *pk, const float *logits, int fresh);

/* The first index of the largest of n floats (-1 when n is 0). */
int32_t dm_pick_argmax(const float *x, int32_t n);

/* log(sum exp x[i]) over n floats by the fast 8-lane kernel (*mx receives the max);
 * tests compare it with a plain double loop. */
double dm_pick_logsumexp(const float *x, int32_t n, float *mx);

#endif
