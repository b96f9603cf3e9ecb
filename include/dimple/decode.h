/* dimple/decode.h — the diffusion decoder: fill a canvas with a model (libdimple).
 *
 * A decode starts from a canvas (dimple/prior.h: fixed tokens and masked slots)
 * after a prompt. Each step asks a *logits source* for the logits of the masked
 * positions, picks per position the best (or a sampled) token among those the
 * canvas allows, lets a strategy choose which positions to commit, and commits them
 * one at a time in confidence order, each re-checked against the canvas. Positions
 * whose allowed set is a single token are committed without a model call. Every
 * commit keeps the canvas completable, so the final text is in the spec's language.
 *
 * Same seed + same inputs (canvas, prompt, logits) give the same output.
 */
#ifndef DIMPLE_DECODE_H
#define DIMPLE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dimple/prior.h>
#include <dimple/status.h>

struct dm_row_stats; /* <dimple/model.h> */

#ifdef __cplusplus
extern "C" {
#endif

/* Which masked positions a step commits. */
typedef enum dm_strategy {
  DM_STRATEGY_CONFIDENT = 0, /* Dimple: every position whose confidence exceeds
                                threshold; when none does, the schedule's count of
                                the most confident ones (at least one) */
  DM_STRATEGY_MASKGIT,       /* top-1 probability, linear schedule over steps */
  DM_STRATEGY_MARGIN,        /* top-1 minus top-2 probability, schedule */
  DM_STRATEGY_ENTROPY,       /* negative entropy, schedule */
  DM_STRATEGY_RANDOM,        /* random positions on the schedule ("origin") */
  DM_STRATEGY_BLOCKS,        /* LLaDA: semi-autoregressive blocks of block_length,
                                low-confidence remasking inside the current block
                                (the steps split evenly over the blocks) */
  DM_STRATEGY_FASTDLLM       /* Fast-dLLM: inside the current block, every position
                                above threshold, else the most confident one */
} dm_strategy;

/* "confident", "maskgit", ... (static); NULL for an unknown value. */
const char *dm_strategy_name(dm_strategy s);
/* Parse a name ("origin" is an alias of "random"); DM_EINVAL when unknown. */
int dm_strategy_parse(const char *name, dm_strategy *out);

/* Decoder settings; defaults from dm_decode_default_params(). Fields are only
 * added at the end. */
typedef struct dm_decode_params {
  dm_strategy strategy;  /* default DM_STRATEGY_CONFIDENT */
  double threshold;      /* confident / fastdllm threshold (0.95) */
  int steps;             /* schedule length; 0 (default): one step per masked
                            position of the canvas (the schedule then commits one
                            token per step) */
  int block_length;      /* blocks / fastdllm block size in canvas positions (32) */
  double temperature;    /* 0 (default): greedy; > 0: sample */
  int top_k;             /* sampling: keep the k most likely allowed tokens (0: all) */
  double top_p;          /* sampling: nucleus over the allowed tokens (1: all) */
  uint64_t seed;         /* sampling and random positions (0 is a seed too) */
  int renorm_confidence; /* 0 (default): confidence from the untempered, unconstrained
                            distribution (Dimple's use_original_confidence); 1: from
                            the untempered distribution renormalised over the
                            allowed tokens */
} dm_decode_params;

dm_decode_params dm_decode_default_params(void);

/* What a decode did. */
typedef struct dm_decode_stats {
  int nfe;                 /* logits source calls (model forward passes) */
  int steps;               /* decode steps (forced-only steps included) */
  int32_t committed;       /* tokens committed from logits */
  int32_t forced;          /* tokens committed because the canvas allowed only one */
  int32_t eos_filled;      /* tokens after a committed EOS filled with EOS */
  int32_t repicked;        /* planned tokens that became disallowed and were re-picked */
  int32_t max_per_step;    /* most tokens committed from logits in one step */
  int32_t prompt_tokens, canvas_tokens;
  double model_ms;         /* time inside the logits source */
  double constraint_ms;    /* time in canvas queries and commits */
  double total_ms;
} dm_decode_stats;

/* A source of logits (a small vtable): the model (dm_logits_source_model) or a test
 * double. Embed this struct as the first member of your own. */
typedef struct dm_logits_source dm_logits_source;
struct dm_logits_source {
  int32_t vocab;   /* floats per logits row */
  int32_t mask_id; /* id written at masked positions of the sequence */
  /* Fill out (n * vocab floats, caller-owned): row i holds the logits for the token
   * at sequence position pos[i] (>= prompt_len; a shifted-logit model reads them
   * from the row before). seq: T ids (borrowed), prompt then canvas, masks as
   * mask_id. call: 0 for the first call of a decode (a model source prefills its
   * prompt cache then), counting up. Return 0 or a negative DM_E*. */
  int (*fill)(dm_logits_source *self, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
              const int32_t *pos, int32_t n, float *out, dm_error *err);
  /* Release the source (may be NULL for sources the caller manages). */
  void (*destroy)(dm_logits_source *self);
  /* Optional (NULL: not offered): like fill, but out (n entries, caller-owned)
   * receives each row's statistics (dm_row_stats of <dimple/model.h>: the argmax
   * among the allowed tokens, its probability among them and among all tokens, ...)
   * instead of its logits. allowed: n bitmasks of (vocab + 31) / 32 uint32 words,
   * bit j of word w allowing token 32 w + j (borrowed). dm_decode uses it at
   * temperature 0 with the probability-scored strategies (confident, maskgit, blocks,
   * fastdllm), so a device-resident model's logits never travel to the host. One
   * difference from the logits path: a pick that a commit of the same step made
   * impossible is not re-picked but left for the next step. */
  int (*fill_stats)(dm_logits_source *self, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
                    const int32_t *pos, int32_t n, const uint32_t *allowed, struct dm_row_stats *out,
                    dm_error *err);
};

/* Release a source through its destroy (NULL: no-op). */
void dm_logits_source_free(dm_logits_source *src);

struct dm_model;
/* A source backed by dm_forward. prefill 1: the first call runs the whole sequence
 * and keeps the prompt's K/V (cache_len = prompt length, minus one for shifted
 * families); later calls compute only the canvas positions. prefill 0: every call
 * runs the whole sequence. Only the requested rows go through the LM head. The
 * model is borrowed (it must outlive the source). *out is caller-owned
 * (dm_logits_source_free). mask_id: the model's, or the tokenizer's given here when
 * the model has none (-1: the model's). */
int dm_logits_source_model(struct dm_model *model, int prefill, int32_t mask_id, dm_logits_source **out,
                           dm_error *err);
/* Whether a model source offers fill_stats: AUTO (what dm_logits_source_model does)
 * when the model computes on a CUDA device, ON always (the CPU computes the logits
 * and reduces them: for tests of the statistics path), OFF never. */
enum { DM_SOURCE_STATS_AUTO = 0, DM_SOURCE_STATS_OFF = 1, DM_SOURCE_STATS_ON = 2 };
int dm_logits_source_model_stats(struct dm_model *model, int prefill, int32_t mask_id, int stats,
                                 dm_logits_source **out, dm_error *err);

/* What a step callback sees. */
typedef struct dm_decode_step {
  int step;               /* 0, 1, ... */
  int32_t committed;      /* tokens committed from logits in this step */
  int32_t forced;         /* tokens committed as forced (or EOS fill) in this step */
  int32_t masks_left;     /* after the step */
  int32_t canvas_tokens;
  const dm_decode_stats *stats; /* totals so far */
} dm_decode_step;

/* Called after every step with the canvas as it is; return false to stop: the
 * decode then returns DM_ECANCELED and the canvas keeps what was committed. */
typedef bool (*dm_decode_step_fn)(const dm_decode_step *step, const dm_canvas *canvas, void *user);

/* Fill every mask of canvas. prompt: prompt_len ids (borrowed; may be 0 for a
 * source that allows it). params NULL: defaults. stats (may be NULL) receives the
 * statistics; cb (may be NULL) is called after each step. Once the canvas's EOS
 * (dm_canvas_eos) is committed, the masks after it that allow EOS get EOS. Errors: DM_EINVAL, DM_ENOMEM,
 * DM_ECANCELED, DM_EINFEASIBLE (a canvas that cannot be completed), the source's. */
int dm_decode(dm_canvas *canvas, const int32_t *prompt, int32_t prompt_len, dm_logits_source *src,
              const dm_decode_params *params, dm_decode_stats *stats, dm_decode_step_fn cb, void *user,
              dm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_DECODE_H */
