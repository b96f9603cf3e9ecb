/* Fast CPU kernels: GEMMs through OpenBLAS (single-threaded per pool worker, the
 * pool splits the work), elementwise kernels split over rows. Reference twins are in
 * kernels_ref.c; tests/runtime/test_kernels.c compares them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "internal.h"

void dm_blas_single_thread(void) { openblas_set_num_threads(1); }

/* ------------------------------------------------------------------ linear */

typedef struct lin_ctx {
  const float *x;
  int M, N, K;
  const dm_wmat *w;
  const float *bias;
  float *y;
  int nb;          /* weight rows per task */
  float **bufs;    /* per-thread conversion buffers (nb * K), 16-bit weights only */
} lin_ctx;

static void lin_task(int task, int thread, void *vc) {
  lin_ctx *c = vc;
  int n0 = task * c->nb, nb = c->N - n0 < c->nb ? c->N - n0 : c->nb;
  const float *wf;
  if (c->w->dtype == DM_DTYPE_F32) {
    wf = (const float *)c->w->data + (size_t)n0 * c->K;
  } else {
    /* Convert this block of rows only: the whole matrix is never materialised. */
    float *b = c->bufs[thread];
    dm_convert_row(c->w->data, c->w->dtype, (size_t)n0 * c->K, (size_t)nb * c->K, b);
    wf = b;
  }
  float *y = c->y + n0;
  if (c->bias) {
    for (int m = 0; m < c->M; m++) memcpy(y + (size_t)m * c->N, c->bias + n0, sizeof(float) * (size_t)nb);
  }
  // x (M, K) . w_block (nb, K)^T -> y[:, n0:n0+nb] (ld N)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->M, nb, c->K, 1.0f, c->x, c->K, wf,
              c->K, c->bias ? 1.0f : 0.0f, y, c->N);
}

// x (M, K), w (N, K), bias (N) or NULL -> y (M, N)
void dm_fast_linear(dm_pool *p, const float *x, int M, const dm_wmat *w, const float *bias,
                    float *y) {
  int nt = dm_pool_size(p), N = w->rows, K = w->cols;
  if (M <= 0 || N <= 0) return;
  lin_ctx c = {x, M, N, K, w, bias, y, 0, NULL};
  if (w->dtype == DM_DTYPE_F32) {
    /* One slice per thread (two when N is large, for balance). */
    int tasks = N >= 4096 ? 2 * nt : nt;
    c.nb = (N + tasks - 1) / tasks;
    c.nb = (c.nb + 15) / 16 * 16;
  } else {
    /* Blocks of ~4 MiB of converted weights: enough to keep sgemm efficient,
     * small enough to stay in cache. */
    size_t nb = ((size_t)4 << 20) / (sizeof(float) * (size_t)K);
    if (nb > 1024) nb = 1024;
    nb = nb / 16 * 16;
    if (nb < 16) nb = 16;
    int per = (N + nt - 1) / nt;
    if ((int)nb > per) nb = (size_t)((per + 15) / 16 * 16);
    c.nb = (int)nb;
    c.bufs = calloc((size_t)nt, sizeof *c.bufs);
    if (!c.bufs) goto fallback;
    for (int i = 0; i < nt; i++) {
      c.bufs[i] = malloc(sizeof(float) * (size_t)c.nb * (size_t)K);
      if (!c.bufs[i]) {
        for (int j = 0; j < i; j++) free(c.bufs[j]);
        free(c.bufs);
        goto fallback;
      }
    }
  }
  if (c.nb < 1) c.nb = 1;
  dm_pool_run(p, (N + c.nb - 1) / c.nb, lin_task, &c);
  if (c.bufs) {
    for (int i = 0; i < nt; i++) free(c.bufs[i]);
    free(c.bufs);
  }
  return;
fallback:
  dm_ref_linear(x, M, w, bias, y); /* out of memory for buffers: slow but correct */
}

/* ------------------------------------------------------------------ rmsnorm */

typedef struct rms_ctx {
  const float *x, *w;
  int M, C, rows_per;
  float eps;
  float *y;
} rms_ctx;

static void rms_task(int task, int thread, void *vc) {
  rms_ctx *c = vc;
  int m0 = task * c->rows_per, m1 = m0 + c->rows_per < c->M ? m0 + c->rows_per : c->M;
  for (int m = m0; m < m1; m++) {
    const float *r = c->x + (size_t)m * c->C;
    float *o = c->y + (size_t)m * c->C;
    float ss = 0;
    for (int i = 0; i < c->C; i++) ss += r[i] * r[i];
    float inv = 1.0f / sqrtf(ss / (float)c->C + c->eps);
    for (int i = 0; i < c->C; i++) o[i] = c->w[i] * (r[i] * inv);
  }
}

// x (M, C), w (C) -> y (M, C)
void dm_fast_rmsnorm(dm_pool *p, const float *x, const float *w, int M, int C, float eps,
                     float *y) {
  int tasks = dm_pool_size(p) * 4;
  rms_ctx c = {x, w, M, C, (M + tasks - 1) / tasks, eps, y};
  if (c.rows_per < 1) c.rows_per = 1;
  dm_pool_run(p, (M + c.rows_per - 1) / c.rows_per, rms_task, &c);
}

/* ------------------------------------------------------------------ rope */

typedef struct rope_ctx {
  float *x;
  int M, H, D, rows_per;
  const int32_t *pos;
  const float *invf;
} rope_ctx;

static void rope_task(int task, int thread, void *vc) {
  rope_ctx *c = vc;
  int half = c->D / 2;
  float cs[1024], sn[1024];
  int m0 = task * c->rows_per, m1 = m0 + c->rows_per < c->M ? m0 + c->rows_per : c->M;
  for (int m = m0; m < m1; m++) {
    for (int j = 0; j < half; j++) {
      float ang = (float)c->pos[m] * c->invf[j];
      cs[j] = (float)cos(ang);
      sn[j] = (float)sin(ang);
    }
    for (int h = 0; h < c->H; h++) {
      float *v = c->x + (size_t)m * c->H * c->D + (size_t)h * c->D;
      for (int j = 0; j < half; j++) {
        float a = v[j], b = v[j + half];
        v[j] = a * cs[j] - b * sn[j];
        v[j + half] = b * cs[j] + a * sn[j];
      }
    }
  }
}

// x (M, H*D): rotate-half RoPE per head at pos[m]
void dm_fast_rope(dm_pool *p, float *x, int M, int H, int D, const int32_t *pos, double theta) {
  if (D > 2048) {
    dm_ref_rope(x, M, H, D, pos, theta);
    return;
  }
  float invf[1024];
  for (int j = 0; j < D / 2; j++) invf[j] = (float)(1.0 / pow(theta, (double)(2 * j) / (double)D));
  int tasks = dm_pool_size(p) * 4;
  rope_ctx c = {x, M, H, D, (M + tasks - 1) / tasks, pos, invf};
  if (c.rows_per < 1) c.rows_per = 1;
  dm_pool_run(p, (M + c.rows_per - 1) / c.rows_per, rope_task, &c);
}

/* ------------------------------------------------------------------ swiglu */

typedef struct swi_ctx {
  float *g;
  const float *u;
  size_t n, per;
} swi_ctx;

static void swi_task(int task, int thread, void *vc) {
  swi_ctx *c = vc;
  size_t i0 = (size_t)task * c->per, i1 = i0 + c->per < c->n ? i0 + c->per : c->n;
  for (size_t i = i0; i < i1; i++) {
    float a = c->g[i];
    c->g[i] = a / (1.0f + expf(-a)) * c->u[i];
  }
}

// g (n), u (n) -> g = silu(g) * u
void dm_fast_swiglu(dm_pool *p, float *g, const float *u, size_t n) {
  int tasks = dm_pool_size(p) * 4;
  swi_ctx c = {g, u, n, (n + (size_t)tasks - 1) / (size_t)tasks};
  if (c.per < 1) c.per = 1;
  dm_pool_run(p, (int)((n + c.per - 1) / c.per), swi_task, &c);
}

/* ------------------------------------------------------------------ attention */

#define ATT_QB 64 /* queries per task */

typedef struct att_ctx {
  const float *q, *k, *v;
  float *o;
  int B, Tq, Tk, H, KV, D, qpos0, causal, nqb;
  float **scratch; /* per thread: ATT_QB * Tk */
} att_ctx;

static void att_task(int task, int thread, void *vc) {
  att_ctx *c = vc;
  int qb = task % c->nqb, bh = task / c->nqb, h = bh % c->H, b = bh / c->H;
  int kvh = h / (c->H / c->KV);
  int i0 = qb * ATT_QB, n = c->Tq - i0 < ATT_QB ? c->Tq - i0 : ATT_QB;
  int ldq = c->H * c->D, ldk = c->KV * c->D;
  const float *q = c->q + ((size_t)b * c->Tq + i0) * ldq + (size_t)h * c->D;
  const float *k = c->k + (size_t)b * c->Tk * ldk + (size_t)kvh * c->D;
  const float *v = c->v + (size_t)b * c->Tk * ldk + (size_t)kvh * c->D;
  float *o = c->o + ((size_t)b * c->Tq + i0) * ldq + (size_t)h * c->D;
  float *s = c->scratch[thread];
  /* Keys a query block needs: all, or up to the last query's position if causal. */
  int tk = c->Tk;
  if (c->causal && c->qpos0 + i0 + n < tk) tk = c->qpos0 + i0 + n;
  float scale = 1.0f / sqrtf((float)c->D);
  // q (n, D) . k (tk, D)^T -> s (n, tk)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, tk, c->D, scale, q, ldq, k, ldk, 0.0f,
              s, tk);
  for (int i = 0; i < n; i++) {
    float *r = s + (size_t)i * tk;
    int lim = c->causal ? c->qpos0 + i0 + i + 1 : tk;
    if (lim > tk) lim = tk;
    float mx = -INFINITY;
    for (int j = 0; j < lim; j++) mx = r[j] > mx ? r[j] : mx;
    float z = 0;
    for (int j = 0; j < lim; j++) {
      r[j] = expf(r[j] - mx);
      z += r[j];
    }
    float iz = 1.0f / z;
    for (int j = 0; j < lim; j++) r[j] *= iz;
    for (int j = lim; j < tk; j++) r[j] = 0.0f;
  }
  // s (n, tk) . v (tk, D) -> o (n, D)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c->D, tk, 1.0f, s, tk, v, ldk, 0.0f,
              o, ldq);
}

// q (B*Tq, H*D), k/v (B*Tk, KV*D) -> o (B*Tq, H*D)
void dm_fast_attention(dm_pool *p, const float *q, const float *k, const float *v, float *o,
                       int B, int Tq, int Tk, int H, int KV, int D, int qpos0, int causal) {
  int nt = dm_pool_size(p);
  att_ctx c = {q, k, v, o, B, Tq, Tk, H, KV, D, qpos0, causal, (Tq + ATT_QB - 1) / ATT_QB, NULL};
  c.scratch = calloc((size_t)nt, sizeof *c.scratch);
  int ok = c.scratch != NULL;
  for (int i = 0; ok && i < nt; i++) ok = (c.scratch[i] = malloc(sizeof(float) * ATT_QB * (size_t)Tk)) != NULL;
  if (ok) {
    dm_pool_run(p, B * H * c.nqb, att_task, &c);
  } else { /* out of memory for scratch: reference path */
    int ldq = H * D, ldk = KV * D;
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++)
        dm_ref_attention(q + (size_t)b * Tq * ldq + (size_t)h * D, ldq,
                         k + (size_t)b * Tk * ldk + (size_t)(h / (H / KV)) * D,
                         v + (size_t)b * Tk * ldk + (size_t)(h / (H / KV)) * D, ldk,
                         o + (size_t)b * Tq * ldq + (size_t)h * D, ldq, Tq, Tk, D, qpos0, causal);
  }
  if (c.scratch)
    for (int i = 0; i < nt; i++) free(c.scratch[i]);
  free(c.scratch);
}
