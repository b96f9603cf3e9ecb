/* The model being trained (internal to the trainer, not installed): every parameter
 * of a Dream-layout model (Qwen2 tensor names, q/k/v biases, tied embedding and LM
 * head) in one flat f32 buffer, with its gradient and the AdamW moments beside it;
 * the forward+backward step over a batch; checkpoints that the runtime loads. */
#ifndef DM_TRAIN_TMODEL_H
#define DM_TRAIN_TMODEL_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#include "model/internal.h" /* dm_pool, the forward kernels */

typedef struct dm_tshape {
  int n_layers, d_model, n_heads, n_kv_heads, d_ff, vocab;
  double rope_theta, rms_eps;
} dm_tshape;

/* One parameter tensor: rows x cols (cols 0: a vector of rows), at t->off in the
 * flat buffers; decay 1 when AdamW's weight decay applies (matrices). */
typedef struct dm_ttensor {
  char name[80];
  int rows, cols;
  size_t off, numel;
  int decay;
} dm_ttensor;

/* Per layer, in this order (Qwen2 names under model.layers.L.). */
enum {
  DM_TL_ATTN_NORM, DM_TL_WQ, DM_TL_BQ, DM_TL_WK, DM_TL_BK, DM_TL_WV, DM_TL_BV, DM_TL_WO,
  DM_TL_FFN_NORM, DM_TL_WG, DM_TL_WU, DM_TL_WD, DM_TL_COUNT
};

typedef struct dm_tmodel {
  dm_tshape s;
  int head_dim;
  int n_tensors;  /* 1 (embedding) + n_layers * DM_TL_COUNT + 1 (final norm) */
  dm_ttensor *t;  /* owned */
  size_t n;       /* parameters */
  float *w, *g;   /* weights and gradients (n each, owned) */
  float *m, *v;   /* AdamW moments (n each, owned) */
} dm_tmodel;

/* The tensor of layer l, kind k (DM_TL_*), its weights. */
static inline const dm_ttensor *dm_tmodel_lt(const dm_tmodel *m, int l, int k) {
  return &m->t[1 + l * DM_TL_COUNT + k];
}
static inline float *dm_tmodel_w(const dm_tmodel *m, int l, int k) {
  return m->w + dm_tmodel_lt(m, l, k)->off;
}
static inline float *dm_tmodel_g(const dm_tmodel *m, int l, int k) {
  return m->g + dm_tmodel_lt(m, l, k)->off;
}

/* A new model of shape s with weights ~ N(0, 0.02^2) (o_proj and down_proj scaled by
 * 1/sqrt(2 n_layers)), biases 0, norms 1, moments 0 (seeded: same seed, same bits).
 * *out owned by the caller (dm_tmodel_free). DM_EINVAL for a bad shape. */
int dm_tmodel_new(const dm_tshape *s, uint64_t seed, dm_tmodel **out, dm_error *err);
void dm_tmodel_free(dm_tmodel *m); /* NULL: no-op */

/* Special-token ids written into config.json / generation_config.json. */
typedef struct dm_tspecial {
  int32_t bos, eos, pad, mask;
} dm_tspecial;

/* Write dir/model.safetensors (weights as F32, or BF16 when bf16) and dir/config.json
 * + dir/generation_config.json in the Dream layout the runtime loads (dir must
 * exist). Files are written to a temporary name and renamed. */
int dm_tmodel_save(const dm_tmodel *m, const dm_tspecial *sp, int bf16, const char *dir,
                   dm_error *err);
/* Write / read dir/trainer_state.safetensors: the AdamW moments "adam.m", "adam.v"
 * (F32, n each) next to the weights. */
int dm_tmodel_save_moments(const dm_tmodel *m, const char *dir, dm_error *err);
/* Load a model saved by dm_tmodel_save (F32 weights) and, when moments is set, its
 * moments; every tensor is checked against the config's shape (errors name the
 * tensor). *out owned by the caller. */
int dm_tmodel_load(const char *dir, int moments, dm_tmodel **out, dm_error *err);

/* ------------------------------------------------------------------ the step */

/* A batch: B sequences of T ids; the loss reads R logits rows (b, t) — with shifted
 * logits, row (b, t) predicts the token at (b, t+1) — with targets and weights. */
typedef struct dm_tbatch {
  int B, T;
  const int32_t *ids;     /* B*T (borrowed) */
  int causal;             /* 1: causal attention (autoregressive phase) */
  int R;
  const int32_t *rows;    /* R pairs (b, t) */
  const int32_t *targets; /* R */
  const float *weights;   /* R */
} dm_tbatch;

typedef struct dm_tstep dm_tstep; /* activation workspace + thread pool (opaque) */

/* A workspace for batches of up to max_tokens = B*T positions and max_rows loss rows,
 * with n_threads kernel threads (0: online CPUs). *out owned by the caller. */
int dm_tstep_new(const dm_tmodel *m, int max_tokens, int max_rows, int n_threads, dm_tstep **out,
                 dm_error *err);
void dm_tstep_free(dm_tstep *s);
dm_pool *dm_tstep_pool(dm_tstep *s);

/* Forward and backward of batch b: *loss = sum_r weights[r] * CE(row r), gradients
 * ACCUMULATED into m->g (the caller zeroes it). Uses the runtime's fast forward
 * kernels and the fast backward twins. */
int dm_tstep_run(dm_tstep *s, dm_tmodel *m, const dm_tbatch *b, double *loss, dm_error *err);

/* The logits of the last run's loss rows (R, vocab), owned by s. */
const float *dm_tstep_logits(const dm_tstep *s);

/* Matrix-multiply FLOPs of one forward of the batch (projections, attention scores
 * and values, LM head on the R rows): the trainer's throughput counts 3x this. */
double dm_tstep_forward_flops(const dm_tmodel *m, const dm_tbatch *b);

#endif
