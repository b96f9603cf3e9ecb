/* The transformer forward pass (LLaDA and Qwen2-style layers are the same maths:
 * pre-RMSNorm attention with RoPE and GQA, pre-RMSNorm SwiGLU MLP), with the
 * Dimple-style prefill cache. */
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "../cuda/cuda_backend.h"

int dm_kvcache_reserve_(dm_kvcache *c, int B, int C, const int32_t *ids, int T, int host_kv, dm_error *err);

/* Kernel table: fast or reference twins (params.reference_kernels). */
static void k_linear(dm_model *m, const float *x, int M, const dm_wmat *w, const float *b, float *y) {
  if (m->use_ref) {
    dm_ref_linear(x, M, w, b, y);
    return;
  }
  /* few rows (a cached step's canvas): weights read in place, no per-call packing */
  if (M <= 64 && m->small && dm_small_linear(m->pool, x, M, w, b, y) == DM_OK) return;
  if (m->amx && w->dtype == DM_DTYPE_BF16 && dm_amx_linear(m->pool, x, M, w, b, y) == DM_OK) return;
  dm_fast_linear(m->pool, x, M, w, b, y);
}
static void k_rmsnorm(dm_model *m, const float *x, const float *w, int M, int C, float eps, float *y) {
  if (m->use_ref) dm_ref_rmsnorm(x, w, M, C, eps, y);
  else dm_fast_rmsnorm(m->pool, x, w, M, C, eps, y);
}
static void k_rope(dm_model *m, float *x, int M, int H, int D, const int32_t *pos) {
  if (m->use_ref) dm_ref_rope(x, M, H, D, pos, m->cfg.rope_theta);
  else dm_fast_rope(m->pool, x, M, H, D, pos, m->cfg.rope_theta);
}
static void k_swiglu(dm_model *m, float *g, const float *u, size_t n) {
  if (m->use_ref) dm_ref_swiglu(g, u, n);
  else dm_fast_swiglu(m->pool, g, u, n);
}
static void k_attention(dm_model *m, const float *q, const float *k, const float *v, float *o,
                        int B, int Tq, int Tk, int qpos0, int causal) {
  const dm_model_config *c = &m->cfg;
  int H = c->n_heads, KV = c->n_kv_heads, D = c->head_dim;
  if (!m->use_ref) {
    dm_fast_attention(m->pool, q, k, v, o, B, Tq, Tk, H, KV, D, qpos0, causal);
    return;
  }
  int ldq = H * D, ldk = KV * D;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      dm_ref_attention(q + (size_t)b * Tq * ldq + (size_t)h * D, ldq,
                       k + (size_t)b * Tk * ldk + (size_t)(h / (H / KV)) * D,
                       v + (size_t)b * Tk * ldk + (size_t)(h / (H / KV)) * D, ldk,
                       o + (size_t)b * Tq * ldq + (size_t)h * D, ldq, Tq, Tk, D, qpos0, causal);
}

static int check_batch(const dm_model *m, const dm_forward_batch *bt, dm_error *err) {
  const dm_model_config *c = &m->cfg;
  if (bt->B < 1 || bt->T < 1 || (long long)bt->B * bt->T > (1LL << 26))
    return dm_error_set(err, DM_EINVAL, "batch shape %d x %d out of range", bt->B, bt->T);
  if (!bt->ids) return dm_error_set(err, DM_EINVAL, "no token ids");
  if (bt->n_rows < 0 || (bt->n_rows > 0 && !bt->rows))
    return dm_error_set(err, DM_EINVAL, "bad rows list");
  for (long long i = 0; i < (long long)bt->B * bt->T; i++)
    if (bt->ids[i] < 0 || bt->ids[i] >= c->emb_rows)
      return dm_error_set(err, DM_ERANGE, "token id %d at (%lld, %lld) is outside the vocabulary [0, %d)",
                          bt->ids[i], i / bt->T, i % bt->T, c->emb_rows);
  int C = bt->cache_len;
  if (bt->mode == DM_FORWARD_PREFILL || bt->mode == DM_FORWARD_CACHED) {
    if (!bt->cache) return dm_error_set(err, DM_EINVAL, "prefill/cached forward needs a cache");
    if (bt->cache->m != m) return dm_error_set(err, DM_EINVAL, "cache belongs to another model");
    if (C < 0 || C > bt->T) return dm_error_set(err, DM_ERANGE, "cache_len %d outside [0, %d]", C, bt->T);
  } else if (bt->mode != DM_FORWARD_FULL) {
    return dm_error_set(err, DM_EINVAL, "unknown forward mode %d", (int)bt->mode);
  }
  if (bt->mode == DM_FORWARD_CACHED) {
    const dm_kvcache *k = bt->cache;
    if (k->C == 0) return dm_error_set(err, DM_EINVAL, "the cache is empty: run a prefill forward first");
    if (k->C != C || k->B != bt->B)
      return dm_error_set(err, DM_EINVAL, "cache holds %d x %d positions, batch asks %d x %d", k->B,
                          k->C, bt->B, C);
    if (C >= bt->T) return dm_error_set(err, DM_ERANGE, "nothing to compute: cache_len %d >= T %d", C, bt->T);
    for (int b = 0; b < bt->B; b++)
      if (memcmp(k->ids + (size_t)b * C, bt->ids + (size_t)b * bt->T, sizeof(int32_t) * (size_t)C) != 0)
        return dm_error_set(err, DM_EINVAL, "ids of the cached positions changed in sequence %d", b);
  }
  int q0 = bt->mode == DM_FORWARD_CACHED ? C : 0;
  for (int i = 0; i < bt->n_rows; i++) {
    int b = bt->rows[2 * i], t = bt->rows[2 * i + 1];
    if (b < 0 || b >= bt->B || t < q0 || t >= bt->T)
      return dm_error_set(err, DM_ERANGE, "row %d = (%d, %d) outside batch %d x [%d, %d)", i, b, t,
                          bt->B, q0, bt->T);
  }
  return DM_OK;
}

int dm_forward(dm_model *m, const dm_forward_batch *bt, float *logits, dm_error *err) {
  if (!m || !bt) return dm_error_set(err, DM_EINVAL, "no model or batch");
  int rc = check_batch(m, bt, err);
  if (rc) return rc;
  if (bt->n_rows > 0 && !logits) return dm_error_set(err, DM_EINVAL, "no logits buffer");
  const dm_model_config *c = &m->cfg;
  int B = bt->B, T = bt->T, C = bt->cache_len;
  int q0 = bt->mode == DM_FORWARD_CACHED ? C : 0, Tq = T - q0;
  size_t M = (size_t)B * Tq, d = (size_t)c->d_model, H = (size_t)c->n_heads, D = (size_t)c->head_dim;
  size_t qd = H * D, kvd = (size_t)c->n_kv_heads * D, ff = (size_t)c->d_ff;
  size_t R = (size_t)bt->n_rows;
  float eps = (float)c->rms_eps;

  if (bt->mode == DM_FORWARD_PREFILL) {
    rc = dm_kvcache_reserve_(bt->cache, B, C, bt->ids, T, !m->cuda, err);
    if (rc) return rc;
  }
  if (m->cuda) {
    rc = dm_cuda_forward(m, bt, logits, NULL, NULL, err);
    if (rc == DM_OK && bt->mode == DM_FORWARD_PREFILL) {
      bt->cache->B = B;
      bt->cache->C = C;
    }
    return rc;
  }
  size_t kfull_n = bt->mode == DM_FORWARD_CACHED ? (size_t)B * T * kvd : 0;
  float *x = malloc(sizeof(float) * M * d), *h = malloc(sizeof(float) * M * (d > qd ? d : qd));
  float *q = malloc(sizeof(float) * M * qd), *k = malloc(sizeof(float) * M * kvd);
  float *v = malloc(sizeof(float) * M * kvd), *att = malloc(sizeof(float) * M * qd);
  float *g = malloc(sizeof(float) * M * ff), *u = malloc(sizeof(float) * M * ff);
  float *kf = kfull_n ? malloc(sizeof(float) * kfull_n) : NULL;
  float *vf = kfull_n ? malloc(sizeof(float) * kfull_n) : NULL;
  float *hr = malloc(sizeof(float) * (R ? R : 1) * d);
  int32_t *pos = malloc(sizeof(int32_t) * M);
  if (!x || !h || !q || !k || !v || !att || !g || !u || !hr || !pos || (kfull_n && (!kf || !vf))) {
    rc = dm_error_set(err, DM_ENOMEM, "out of memory for activations (%zu positions)", M);
    goto done;
  }
  /* Embeddings of the computed positions. */
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tq; t++) {
      size_t r = (size_t)b * Tq + t;
      pos[r] = q0 + t;
      dm_convert_row(m->emb.data, m->emb.dtype, (size_t)bt->ids[(size_t)b * T + q0 + t] * d, d, x + r * d);
    }
  for (int l = 0; l < c->n_layers; l++) {
    const dm_layer *L = &m->layers[l];
    k_rmsnorm(m, x, L->attn_norm, (int)M, (int)d, eps, h);
    k_linear(m, h, (int)M, &L->wq, L->bq, q);
    k_linear(m, h, (int)M, &L->wk, L->bk, k);
    k_linear(m, h, (int)M, &L->wv, L->bv, v);
    /* Text only: Dimple's multimodal RoPE reduces to this (tests prove it). */
    k_rope(m, q, (int)M, (int)H, (int)D, pos);
    k_rope(m, k, (int)M, c->n_kv_heads, (int)D, pos);
    const float *ka = k, *va = v;
    if (bt->mode == DM_FORWARD_PREFILL && C > 0) {
      for (int b = 0; b < B; b++) {
        memcpy(bt->cache->k[l] + (size_t)b * C * kvd, k + (size_t)b * T * kvd, sizeof(float) * C * kvd);
        memcpy(bt->cache->v[l] + (size_t)b * C * kvd, v + (size_t)b * T * kvd, sizeof(float) * C * kvd);
      }
    } else if (bt->mode == DM_FORWARD_CACHED) {
      for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * T * kvd;
        memcpy(kf + o, bt->cache->k[l] + (size_t)b * C * kvd, sizeof(float) * C * kvd);
        memcpy(vf + o, bt->cache->v[l] + (size_t)b * C * kvd, sizeof(float) * C * kvd);
        memcpy(kf + o + C * kvd, k + (size_t)b * Tq * kvd, sizeof(float) * Tq * kvd);
        memcpy(vf + o + C * kvd, v + (size_t)b * Tq * kvd, sizeof(float) * Tq * kvd);
      }
      ka = kf;
      va = vf;
    }
    k_attention(m, q, ka, va, att, B, Tq, T, q0, bt->causal);
    k_linear(m, att, (int)M, &L->wo, NULL, h);
    for (size_t i = 0; i < M * d; i++) x[i] += h[i];
    k_rmsnorm(m, x, L->ffn_norm, (int)M, (int)d, eps, h);
    k_linear(m, h, (int)M, &L->wg, NULL, g);
    k_linear(m, h, (int)M, &L->wu, NULL, u);
    k_swiglu(m, g, u, M * ff);
    k_linear(m, g, (int)M, &L->wd, NULL, h);
    for (size_t i = 0; i < M * d; i++) x[i] += h[i];
  }
  if (bt->mode == DM_FORWARD_PREFILL) {
    bt->cache->B = B;
    bt->cache->C = C;
  }
  /* LM head only for the rows asked for. */
  if (R) {
    for (size_t i = 0; i < R; i++) {
      size_t r = (size_t)bt->rows[2 * i] * Tq + (size_t)(bt->rows[2 * i + 1] - q0);
      memcpy(hr + i * d, x + r * d, sizeof(float) * d);
    }
    k_rmsnorm(m, hr, m->norm_f, (int)R, (int)d, eps, hr);
    k_linear(m, hr, (int)R, &m->head, NULL, logits);
  }
done:
  free(x);
  free(h);
  free(q);
  free(k);
  free(v);
  free(att);
  free(g);
  free(u);
  free(kf);
  free(vf);
  free(hr);
  free(pos);
  return rc;
}

int dm_forward_stats(dm_model *m, const dm_forward_batch *bt, const uint32_t *allowed, dm_row_stats *out,
                     dm_error *err) {
  if (!m || !bt) return dm_error_set(err, DM_EINVAL, "no model or batch");
  if (bt->n_rows > 0 && !out) return dm_error_set(err, DM_EINVAL, "no statistics buffer");
  if (!m->cuda) { /* CPU: logits on the host, then the reference reduction */
    size_t V = (size_t)m->cfg.vocab, R = bt->n_rows > 0 ? (size_t)bt->n_rows : 0;
    float *lg = malloc(sizeof(float) * (R ? R : 1) * V);
    if (!lg) return dm_error_set(err, DM_ENOMEM, "out of memory for %zu logits rows", R);
    int rc = dm_forward(m, bt, lg, err);
    if (rc == DM_OK) dm_row_stats_compute(lg, (int)R, (int)V, allowed, out);
    free(lg);
    return rc;
  }
  int rc = check_batch(m, bt, err);
  if (rc) return rc;
  if (bt->mode == DM_FORWARD_PREFILL) {
    rc = dm_kvcache_reserve_(bt->cache, bt->B, bt->cache_len, bt->ids, bt->T, 0, err);
    if (rc) return rc;
  }
  rc = dm_cuda_forward(m, bt, NULL, allowed, out, err);
  if (rc == DM_OK && bt->mode == DM_FORWARD_PREFILL) {
    bt->cache->B = bt->B;
    bt->cache->C = bt->cache_len;
  }
  return rc;
}
