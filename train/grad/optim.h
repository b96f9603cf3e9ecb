/* The optimizer side of training (internal to the trainer, not installed): AdamW
 * with decoupled weight decay and bias correction, global gradient-norm clipping, and
 * the warmup + cosine learning-rate schedule. All buffers are caller-owned; nothing
 * allocates, nothing logs. tests/train/test_grad.c checks each one. */
#ifndef DM_TRAIN_GRAD_OPTIM_H
#define DM_TRAIN_GRAD_OPTIM_H

#include <stddef.h>

typedef struct dm_adamw_params {
  double beta1, beta2; /* moment decay rates */
  double eps;          /* added to sqrt(v_hat) */
  double weight_decay; /* decoupled: w -= lr * weight_decay * w (0 for norms, biases) */
} dm_adamw_params;

/* beta1 0.9, beta2 0.95, eps 1e-8, weight_decay 0.1 (the usual LM settings). */
dm_adamw_params dm_adamw_default_params(void);

/* One AdamW step on n parameters. step counts from 1 (bias correction 1 - beta^step);
 * m and v are the caller-owned moment buffers (n each, zero before step 1), updated
 * in place; w is updated in place from the gradient g (read only):
 *   w -= lr * wd * w;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *   w -= lr * (m / (1-b1^step)) / (sqrt(v / (1-b2^step)) + eps).
 * w, g, m, v (n) */
void dm_adamw_step(const dm_adamw_params *p, long step, double lr, float *w, const float *g,
                   float *m, float *v, size_t n);

/* Global L2 norm over n gradient tensors (grads[i] of sizes[i] floats, caller-owned);
 * when it exceeds max_norm (> 0), every gradient is scaled in place by
 * max_norm / norm so that the global norm becomes max_norm. Returns the norm before
 * clipping (a NaN/inf norm is returned as is and nothing is scaled). */
double dm_grad_clip_global(float *const *grads, const size_t *sizes, int n, double max_norm);

typedef struct dm_lr_schedule {
  double peak;      /* learning rate at the end of warmup */
  double min;       /* learning rate at the end of the cosine and after it */
  long warmup;      /* steps of linear warmup from 0 (0: none) */
  long total;       /* step at which the cosine reaches min (> warmup) */
} dm_lr_schedule;

/* The learning rate at `step` (counted from 0), a pure function:
 *   step < warmup:          peak * step / warmup
 *   warmup <= step < total: min + (peak - min) * (1 + cos(pi * (step-warmup)/(total-warmup))) / 2
 *   step >= total:          min */
double dm_lr_at(const dm_lr_schedule *s, long step);

#endif
