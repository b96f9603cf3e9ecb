/* One training step's forward (saving what the backward needs) and backward, for
 * the Dream layout: x = emb[ids]; per layer h = rmsnorm(x); q,k,v = h W^T + b;
 * RoPE(q, k); a = attention; x += a Wo^T; h2 = rmsnorm(x); x += (silu(h2 Wg^T) *
 * (h2 Wu^T)) Wd^T; logits of the loss rows = rmsnorm(x_row) emb^T (tied head). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grad/ops.h"
#include "tmodel.h"

typedef struct lsave { /* per layer, (M, .) each */
  float *xin, *h1, *q, *k, *v, *att, *xmid, *h2, *g, *u, *act;
} lsave;

struct dm_tstep {
  dm_pool *pool;
  int max_m, max_r;
  lsave *L;
  float *x, *dx, *dh, *dq, *dk, *dv, *datt, *dg, *du, *dact, *tmp;
  float *hr, *hn, *logits, *dlogits, *dhn, *dhr;
  int32_t *pos;
};

dm_pool *dm_tstep_pool(dm_tstep *s) { return s->pool; }

void dm_tstep_free(dm_tstep *s) {
  if (!s) return;
  dm_pool_free(s->pool);
  free(s->L ? s->L[0].xin : NULL); /* one block holds every layer's activations */
  free(s->L);
  free(s->x);
  free(s->hr);
  free(s->pos);
  free(s);
}

const float *dm_tstep_logits(const dm_tstep *s) { return s->logits; }

int dm_tstep_new(const dm_tmodel *m, int max_tokens, int max_rows, int n_threads, dm_tstep **out, dm_error *err) {
  *out = NULL;
  if (max_tokens < 1 || max_rows < 1) return dm_error_set(err, DM_EINVAL, "empty training batch shape");
  dm_tstep *s = calloc(1, sizeof *s);
  if (!s) return dm_error_set(err, DM_ENOMEM, "out of memory");
  s->max_m = max_tokens;
  s->max_r = max_rows;
  const dm_tshape *sh = &m->s;
  size_t M = (size_t)max_tokens, d = (size_t)sh->d_model, qd = (size_t)sh->n_heads * m->head_dim;
  size_t kvd = (size_t)sh->n_kv_heads * m->head_dim, ff = (size_t)sh->d_ff, R = (size_t)max_rows;
  size_t V = (size_t)sh->vocab, nl = (size_t)sh->n_layers;
  size_t per = M * (4 * d + 2 * qd + 2 * kvd + 3 * ff);
  if (n_threads < 1) {
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    n_threads = nc > 0 ? (int)(nc < 256 ? nc : 256) : 1;
  }
  int rc = dm_pool_new(n_threads, &s->pool);
  if (rc) {
    free(s);
    return dm_error_set(err, rc, "cannot start %d kernel threads", n_threads);
  }
  s->L = calloc(nl, sizeof *s->L);
  float *blk = s->L ? malloc(sizeof(float) * per * nl) : NULL;
  size_t big = d > qd ? d : qd;
  /* x, dx, dh (M*big), dq, dk, dv, datt, dg, du, dact, tmp */
  size_t work = M * (d + d + big + qd + 2 * kvd + qd + 3 * ff + (ff > big ? ff : big));
  s->x = malloc(sizeof(float) * work);
  size_t rwork = R * (4 * d + 2 * V);
  s->hr = malloc(sizeof(float) * rwork);
  s->pos = malloc(sizeof(int32_t) * M);
  if (!blk || !s->x || !s->hr || !s->pos) {
    free(blk);
    dm_tstep_free(s); /* L[0].xin is still NULL */
    return dm_error_set(err, DM_ENOMEM, "out of memory for the activations of %d positions (%.0f MB)", max_tokens,
                        (double)(per * nl + work + rwork) * 4 / 1e6);
  }
  for (size_t l = 0; l < nl; l++) {
    float *p = blk + l * per;
    lsave *L = &s->L[l];
    L->xin = p, p += M * d;
    L->h1 = p, p += M * d;
    L->q = p, p += M * qd;
    L->k = p, p += M * kvd;
    L->v = p, p += M * kvd;
    L->att = p, p += M * qd;
    L->xmid = p, p += M * d;
    L->h2 = p, p += M * d;
    L->g = p, p += M * ff;
    L->u = p, p += M * ff;
    L->act = p, p += M * ff;
  }
  float *p = s->x;
  s->dx = p + M * d, p = s->dx + M * d;
  s->dh = p, p += M * big;
  s->dq = p, p += M * qd;
  s->dk = p, p += M * kvd;
  s->dv = p, p += M * kvd;
  s->datt = p, p += M * qd;
  s->dg = p, p += M * ff;
  s->du = p, p += M * ff;
  s->dact = p, p += M * ff;
  s->tmp = p;
  p = s->hr;
  s->hn = p + R * d, p = s->hn + R * d;
  s->dhn = p, p += R * d;
  s->dhr = p, p += R * d;
  s->logits = p, p += R * V;
  s->dlogits = p;
  *out = s;
  return DM_OK;
}

static dm_wmat wm(const dm_tmodel *m, int l, int k) {
  const dm_ttensor *t = dm_tmodel_lt(m, l, k);
  dm_wmat w = {m->w + t->off, DM_DTYPE_F32, t->rows, t->cols};
  return w;
}

double dm_tstep_forward_flops(const dm_tmodel *m, const dm_tbatch *b) {
  const dm_tshape *s = &m->s;
  double M = (double)b->B * b->T, d = s->d_model, qd = (double)s->n_heads * m->head_dim;
  double kvd = (double)s->n_kv_heads * m->head_dim, ff = s->d_ff;
  double per_tok = 2 * (d * qd * 2 + d * kvd * 2 + 3 * d * ff);
  double att = 2.0 * 2.0 * (double)b->B * b->T * b->T * qd * (b->causal ? 0.5 : 1.0);
  return s->n_layers * (M * per_tok + att) + 2.0 * b->R * d * s->vocab;
}

int dm_tstep_run(dm_tstep *s, dm_tmodel *m, const dm_tbatch *b, double *loss, dm_error *err) {
  const dm_tshape *sh = &m->s;
  int B = b->B, T = b->T, R = b->R, M = B * T, d = sh->d_model, H = sh->n_heads, KV = sh->n_kv_heads;
  int D = m->head_dim, qd = H * D, kvd = KV * D, ff = sh->d_ff, V = sh->vocab;
  float eps = (float)sh->rms_eps;
  if (B < 1 || T < 1 || M > s->max_m || R < 0 || R > s->max_r)
    return dm_error_set(err, DM_ERANGE, "batch %d x %d with %d loss rows exceeds the workspace (%d positions, %d rows)",
                        B, T, R, s->max_m, s->max_r);
  for (int i = 0; i < M; i++)
    if (b->ids[i] < 0 || b->ids[i] >= V)
      return dm_error_set(err, DM_ERANGE, "token id %d at (%d, %d) outside the vocabulary [0, %d)", b->ids[i], i / T,
                          i % T, V);
  for (int r = 0; r < R; r++)
    if (b->rows[2 * r] < 0 || b->rows[2 * r] >= B || b->rows[2 * r + 1] < 0 || b->rows[2 * r + 1] >= T)
      return dm_error_set(err, DM_ERANGE, "loss row %d = (%d, %d) outside the batch", r, b->rows[2 * r],
                          b->rows[2 * r + 1]);
  dm_pool *p = s->pool;
  const float *emb = m->w + m->t[0].off;
  float *gemb = m->g + m->t[0].off;
  const float *norm_f = m->w + m->t[m->n_tensors - 1].off;
  float *gnorm_f = m->g + m->t[m->n_tensors - 1].off;
  for (int i = 0; i < M; i++) {
    s->pos[i] = i % T;
    memcpy(s->x + (size_t)i * d, emb + (size_t)b->ids[i] * d, sizeof(float) * (size_t)d);
  }
  /* ---- forward */
  for (int l = 0; l < sh->n_layers; l++) {
    lsave *L = &s->L[l];
    memcpy(L->xin, s->x, sizeof(float) * (size_t)M * d);
    dm_fast_rmsnorm(p, s->x, dm_tmodel_w(m, l, DM_TL_ATTN_NORM), M, d, eps, L->h1);
    dm_wmat wq = wm(m, l, DM_TL_WQ), wk = wm(m, l, DM_TL_WK), wv = wm(m, l, DM_TL_WV), wo = wm(m, l, DM_TL_WO);
    dm_fast_linear(p, L->h1, M, &wq, dm_tmodel_w(m, l, DM_TL_BQ), L->q);
    dm_fast_linear(p, L->h1, M, &wk, dm_tmodel_w(m, l, DM_TL_BK), L->k);
    dm_fast_linear(p, L->h1, M, &wv, dm_tmodel_w(m, l, DM_TL_BV), L->v);
    dm_fast_rope(p, L->q, M, H, D, s->pos, sh->rope_theta);
    dm_fast_rope(p, L->k, M, KV, D, s->pos, sh->rope_theta);
    dm_fast_attention(p, L->q, L->k, L->v, L->att, B, T, T, H, KV, D, 0, b->causal);
    dm_fast_linear(p, L->att, M, &wo, NULL, s->tmp);
    for (size_t i = 0; i < (size_t)M * d; i++) s->x[i] += s->tmp[i];
    memcpy(L->xmid, s->x, sizeof(float) * (size_t)M * d);
    dm_fast_rmsnorm(p, s->x, dm_tmodel_w(m, l, DM_TL_FFN_NORM), M, d, eps, L->h2);
    dm_wmat wg = wm(m, l, DM_TL_WG), wu = wm(m, l, DM_TL_WU), wd = wm(m, l, DM_TL_WD);
    dm_fast_linear(p, L->h2, M, &wg, NULL, L->g);
    dm_fast_linear(p, L->h2, M, &wu, NULL, L->u);
    memcpy(L->act, L->g, sizeof(float) * (size_t)M * ff);
    dm_fast_swiglu(p, L->act, L->u, (size_t)M * ff);
    dm_fast_linear(p, L->act, M, &wd, NULL, s->tmp);
    for (size_t i = 0; i < (size_t)M * d; i++) s->x[i] += s->tmp[i];
  }
  for (int r = 0; r < R; r++)
    memcpy(s->hr + (size_t)r * d, s->x + ((size_t)b->rows[2 * r] * T + b->rows[2 * r + 1]) * d, sizeof(float) * d);
  dm_fast_rmsnorm(p, s->hr, norm_f, R, d, eps, s->hn);
  dm_wmat head = {emb, DM_DTYPE_F32, V, d};
  dm_fast_linear(p, s->hn, R, &head, NULL, s->logits);
  int rc = dm_grad_cross_entropy(s->logits, R, V, b->targets, b->weights, loss, s->dlogits, err);
  if (rc) return rc;
  /* ---- backward */
  memset(s->dhn, 0, sizeof(float) * (size_t)R * d);
  memset(s->dhr, 0, sizeof(float) * (size_t)R * d);
  dm_grad_linear_backward_fast(p, s->hn, R, d, emb, V, s->dlogits, s->dhn, gemb, NULL);
  dm_grad_rmsnorm_backward(s->hr, norm_f, R, d, eps, s->dhn, s->dhr, gnorm_f);
  memset(s->dx, 0, sizeof(float) * (size_t)M * d);
  for (int r = 0; r < R; r++) {
    float *dst = s->dx + ((size_t)b->rows[2 * r] * T + b->rows[2 * r + 1]) * d;
    const float *src = s->dhr + (size_t)r * d;
    for (int c = 0; c < d; c++) dst[c] += src[c];
  }
  for (int l = sh->n_layers - 1; l >= 0; l--) {
    lsave *L = &s->L[l];
    /* MLP: x_out = xmid + act Wd^T */
    memset(s->dact, 0, sizeof(float) * (size_t)M * ff);
    dm_grad_linear_backward_fast(p, L->act, M, ff, dm_tmodel_w(m, l, DM_TL_WD), d, s->dx, s->dact,
                                 dm_tmodel_g(m, l, DM_TL_WD), NULL);
    memset(s->dg, 0, sizeof(float) * (size_t)M * ff);
    memset(s->du, 0, sizeof(float) * (size_t)M * ff);
    dm_grad_swiglu_backward(L->g, L->u, s->dact, (size_t)M * ff, s->dg, s->du);
    memset(s->dh, 0, sizeof(float) * (size_t)M * d);
    dm_grad_linear_backward_fast(p, L->h2, M, d, dm_tmodel_w(m, l, DM_TL_WG), ff, s->dg, s->dh,
                                 dm_tmodel_g(m, l, DM_TL_WG), NULL);
    dm_grad_linear_backward_fast(p, L->h2, M, d, dm_tmodel_w(m, l, DM_TL_WU), ff, s->du, s->dh,
                                 dm_tmodel_g(m, l, DM_TL_WU), NULL);
    dm_grad_rmsnorm_backward(L->xmid, dm_tmodel_w(m, l, DM_TL_FFN_NORM), M, d, eps, s->dh, s->dx,
                             dm_tmodel_g(m, l, DM_TL_FFN_NORM));
    /* attention: xmid = xin + att Wo^T */
    memset(s->datt, 0, sizeof(float) * (size_t)M * qd);
    dm_grad_linear_backward_fast(p, L->att, M, qd, dm_tmodel_w(m, l, DM_TL_WO), d, s->dx, s->datt,
                                 dm_tmodel_g(m, l, DM_TL_WO), NULL);
    memset(s->dq, 0, sizeof(float) * (size_t)M * qd);
    memset(s->dk, 0, sizeof(float) * (size_t)M * kvd);
    memset(s->dv, 0, sizeof(float) * (size_t)M * kvd);
    rc = dm_grad_attention_backward_fast(p, L->q, L->k, L->v, L->att, s->datt, B, T, H, KV, D, b->causal, s->dq,
                                         s->dk, s->dv);
    if (rc == DM_OK) rc = dm_grad_rope_backward(p, s->dq, M, H, D, s->pos, sh->rope_theta);
    if (rc == DM_OK) rc = dm_grad_rope_backward(p, s->dk, M, KV, D, s->pos, sh->rope_theta);
    if (rc) return dm_error_set(err, rc, "out of memory in the attention backward");
    memset(s->dh, 0, sizeof(float) * (size_t)M * d);
    dm_grad_linear_backward_fast(p, L->h1, M, d, dm_tmodel_w(m, l, DM_TL_WQ), qd, s->dq, s->dh,
                                 dm_tmodel_g(m, l, DM_TL_WQ), dm_tmodel_g(m, l, DM_TL_BQ));
    dm_grad_linear_backward_fast(p, L->h1, M, d, dm_tmodel_w(m, l, DM_TL_WK), kvd, s->dk, s->dh,
                                 dm_tmodel_g(m, l, DM_TL_WK), dm_tmodel_g(m, l, DM_TL_BK));
    dm_grad_linear_backward_fast(p, L->h1, M, d, dm_tmodel_w(m, l, DM_TL_WV), kvd, s->dv, s->dh,
                                 dm_tmodel_g(m, l, DM_TL_WV), dm_tmodel_g(m, l, DM_TL_BV));
    dm_grad_rmsnorm_backward(L->xin, dm_tmodel_w(m, l, DM_TL_ATTN_NORM), M, d, eps, s->dh, s->dx,
                             dm_tmodel_g(m, l, DM_TL_ATTN_NORM));
  }
  dm_grad_embedding_backward(b->ids, M, d, s->dx, gemb);
  return DM_OK;
}
