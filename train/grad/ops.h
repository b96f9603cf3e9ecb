/* Training ops (internal to the trainer, not installed): the backward pass of every
 * forward op of the model, in f32, plus the loss. The forwards are the runtime's own
 * kernels (lib/runtime/model/internal.h: dm_ref_* / dm_fast_*); each backward here is
 * the exact derivative of that kernel's maths.
 *
 * Conventions (every function):
 *  - All buffers are caller-owned; nothing here keeps a pointer after it returns.
 *  - Gradients ACCUMULATE (+=) into caller-zeroed buffers, so that a tensor used twice
 *    (residual stream, tied embedding and LM head) sums its gradients. The one
 *    exception is dm_grad_cross_entropy, which WRITES dlogits (it starts the pass).
 *  - A gradient pointer may be NULL when that gradient is not wanted.
 *  - Functions that need scratch memory allocate and free it themselves and return
 *    DM_ENOMEM (nothing accumulated) when they cannot; the others return void.
 *  - No logging, no stdout.
 * tests/train/test_grad.c checks each one against central finite differences. */
#ifndef DM_TRAIN_GRAD_OPS_H
#define DM_TRAIN_GRAD_OPS_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#include "model/internal.h" /* dm_pool, the forward kernels */

/* Embedding lookup y[t] = table[ids[t]] (forward: dm_convert_row of each row).
 * Backward scatter-adds the rows of dy into the table's gradient; ids must lie in
 * [0, rows of dtable) (the forward already checked them).
 * ids (T), dy (T, C) -> dtable (V, C) += */
void dm_grad_embedding_backward(const int32_t *ids, int T, int C, const float *dy, float *dtable);

/* Linear y = x w^T + b (forward: dm_ref_linear / dm_fast_linear with an F32 dm_wmat).
 * x (M, K), w (N, K), dy (M, N) -> dx (M, K) += dy w, dw (N, K) += dy^T x,
 * db (N) += column sums of dy. GEMMs through OpenBLAS. */
void dm_grad_linear_backward(const float *x, int M, int K, const float *w, int N, const float *dy,
                             float *dx, float *dw, float *db);

/* LM head logits = h head^T (no bias): a linear layer whose weight is either its own
 * matrix or, for a tied model, the embedding table — pass the embedding's gradient as
 * dhead then, and it sums with dm_grad_embedding_backward's.
 * h (R, C), head (V, C), dlogits (R, V) -> dh (R, C) +=, dhead (V, C) += */
void dm_grad_lm_head_backward(const float *h, int R, int C, const float *head, int V,
                              const float *dlogits, float *dh, float *dhead);

/* RMSNorm y = w * x / sqrt(mean(x^2) + eps) per row (forward: dm_ref_rmsnorm /
 * dm_fast_rmsnorm). With r = 1/sqrt(mean(x^2)+eps) and g = w * dy:
 * dx = r g - x r^3 (g . x) / C, dw += dy * x * r.
 * x (M, C), w (C), dy (M, C) -> dx (M, C) +=, dw (C) += */
void dm_grad_rmsnorm_backward(const float *x, const float *w, int M, int C, float eps,
                              const float *dy, float *dx, float *dw);

/* RoPE (forward: dm_ref_rope / dm_fast_rope, in place). The rotation is orthogonal,
 * so the backward is the inverse rotation of dy, in place: the same kernel run at the
 * negated positions (bit-exact transpose: cos is even, sin odd, the float angle only
 * changes sign). p may be NULL (reference kernel). Scratch: M positions.
 * dy (M, H*D) -> dx (M, H*D) in place, pos (M) */
int dm_grad_rope_backward(dm_pool *p, float *dy, int M, int H, int D, const int32_t *pos,
                          double theta);

/* SwiGLU y = silu(a) * b (forward: dm_ref_swiglu / dm_fast_swiglu, which overwrite a:
 * keep a copy of a for the backward). With s = sigmoid(a):
 * da += dy * b * s * (1 + a (1 - s)), db += dy * a * s.
 * a (n), b (n), dy (n) -> da (n) +=, db (n) += */
void dm_grad_swiglu_backward(const float *a, const float *b, const float *dy, size_t n, float *da,
                             float *db);

/* Self-attention over B sequences of T positions, H query heads reading KV heads
 * (GQA: head h reads kv head h / (H/KV)), o = softmax(q k^T / sqrt(D) + mask) v with
 * the causal mask when `causal` (forward: dm_fast_attention / dm_ref_attention with
 * Tq = Tk = T, qpos0 = 0). The probabilities are recomputed from q and k (nothing
 * saved but the inputs and o). With P the probabilities and dP = dO v^T:
 * dS = P * (dP - rowsum(dO * O)), dq += dS k / sqrt(D), dk += dS^T q / sqrt(D),
 * dv += P^T dO. Split over the pool's threads by (sequence, kv head) when p is not
 * NULL (same result bit for bit). DM_EINVAL when H is not a multiple of KV; scratch:
 * 2 T doubles per thread (DM_ENOMEM before anything is accumulated).
 * q (B*T, H*D), k/v (B*T, KV*D), o (B*T, H*D) the forward's output, do_ (B*T, H*D)
 * -> dq (B*T, H*D) +=, dk/dv (B*T, KV*D) += */
int dm_grad_attention_backward(dm_pool *p, const float *q, const float *k, const float *v,
                               const float *o, const float *do_, int B, int T, int H, int KV,
                               int D, int causal, float *dq, float *dk, float *dv);

/* Weighted cross-entropy over R selected rows (the masked positions of a diffusion
 * step; the weight carries 1/t and any normalisation the caller wants):
 * loss = sum_r weights[r] * (logsumexp(logits[r]) - logits[r][targets[r]]),
 * dlogits[r] = weights[r] * (softmax(logits[r]) - onehot(targets[r])) (WRITTEN).
 * weights NULL means all 1. A target outside [0, V) is DM_ERANGE named "targets[r]" (err
 * may be NULL); nothing is written then. loss and dlogits may be NULL.
 * logits (R, V), targets (R), weights (R) -> loss (scalar), dlogits (R, V) */
int dm_grad_cross_entropy(const float *logits, int R, int V, const int32_t *targets,
                          const float *weights, double *loss, float *dlogits, dm_error *err);

/* Fast twins (ops_fast.c): the same contracts, split over the pool p (NULL: the
 * plain reference) with single-threaded OpenBLAS GEMMs per task; float instead of
 * double inside the attention (results agree with the references to ~1e-5 relative). */
void dm_grad_linear_backward_fast(dm_pool *p, const float *x, int M, int K, const float *w, int N,
                                  const float *dy, float *dx, float *dw, float *db);
/* Scratch: 2 T^2 + T floats per thread. */
int dm_grad_attention_backward_fast(dm_pool *p, const float *q, const float *k, const float *v,
                                    const float *o, const float *do_, int B, int T, int H, int KV,
                                    int D, int causal, float *dq, float *dk, float *dv);

#endif
