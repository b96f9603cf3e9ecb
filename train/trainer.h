/* The trainer behind `dimple train` (internal, not installed): a recipe (YAML),
 * then an autoregressive phase (causal attention, next-token loss on the response)
 * followed by a masked-diffusion phase (bidirectional attention, response tokens
 * masked with probability t ~ U(eps, 1], cross-entropy on them weighted 1/t), with
 * shifted logits as Dream (the logits at position i predict token i+1). */
#ifndef DM_TRAIN_TRAINER_H
#define DM_TRAIN_TRAINER_H

#include <stdint.h>

#include <dimple/status.h>

#include "tmodel.h"

typedef struct dm_trecipe {
  char data[2048];      /* corpus JSONL (train/corpus.py) */
  char tokenizer[2048]; /* folder with tokenizer.json + tokenizer_config.json */
  char priors[2048];    /* priors/ folder ("" : no prior-format responses) */
  char out[2048];       /* output folder: the checkpoint, trainer state, log */
  char init_from[2048]; /* "" or a checkpoint folder whose weights start this run (a
                           warm start: fresh optimiser, step 0; its shape must be the
                           recipe's); --resume takes precedence */
  dm_tshape shape;      /* vocab comes from the tokenizer when 0 */
  uint64_t seed;
  int batch_tokens;     /* positions per batch (B x T) */
  double lr, min_lr, weight_decay, clip;
  long warmup, ar_steps, diffusion_steps;
  double eps;           /* smallest mask ratio of the diffusion phase */
  double prior_format;  /* fraction of prior examples laid out on the prior canvas */
  int free_tokens;      /* response canvas of examples without a prior */
  int max_len;          /* longest example kept */
  int checkpoint_every, log_every;
  int threads;          /* 0: online CPUs */
  int bf16;             /* write the final weights as BF16 (checkpoints stay F32) */
  long stop_after;      /* not from the file: stop this run after that many steps (0:
                           no limit), writing a checkpoint to resume from */
} dm_trecipe;

/* Defaults (a small model: 6 layers, d_model 256). */
void dm_trecipe_default(dm_trecipe *r);
/* Read a recipe file over the defaults; relative paths in it are taken relative to
 * the recipe's folder. Unknown keys and bad values are errors with line:col. */
int dm_trecipe_load(const char *path, dm_trecipe *r, dm_error *err);

typedef struct dm_tprogress {
  long step, total;         /* step just done (1-based), steps in all */
  const char *phase;        /* "ar" or "diffusion" */
  double loss;              /* mean loss over the steps since the last report */
  double lr, grad_norm;
  double tokens_per_s;      /* positions processed per second (B x T) */
  double gflops;            /* achieved: 3 x forward matmul FLOPs per second */
  double peak_gflops;       /* cblas_sgemm peak measured right after this report's steps (the
                               machine's speed varies: a shared VM runs 2-4x slower at times) */
  double elapsed_s, eta_s;
  int checkpoint;           /* 1 when a checkpoint was just written */
} dm_tprogress;

typedef struct dm_tsummary {
  long steps_done;
  double first_loss, last_loss;
  double tokens_per_s, gflops; /* of the last report */
  double peak_gflops;          /* sgemm peak: each report's probe, weighted by its steps' time */
  double run_gflops;           /* achieved over the whole run (time-weighted like peak_gflops) */
  double seconds;
  long examples, tokens;
  int prior_fmt, prior_fail, skipped_long;
  uint64_t n_params;
} dm_tsummary;

/* Progress callback: called every log_every steps, at checkpoints and at the end;
 * return non-zero to stop (a checkpoint is written first). */
typedef int (*dm_tprogress_fn)(const dm_tprogress *p, void *ctx);

/* Train per recipe r. resume: continue from r->out's checkpoint and trainer state
 * (same recipe; the data order and masks are functions of the seed and step, so a
 * resumed run gives the same weights as an uninterrupted one). Writes r->out/:
 * config.json, generation_config.json, model.safetensors, tokenizer files,
 * trainer_state.json + trainer_state.safetensors, train_log.jsonl (one line per
 * report). summary may be NULL. */
int dm_train_run(const dm_trecipe *r, int resume, dm_tprogress_fn fn, void *ctx, dm_tsummary *summary,
                 dm_error *err);

#endif
