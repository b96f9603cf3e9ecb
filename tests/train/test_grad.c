/* Training ops against central finite differences (issue 7).
 *
 * For every backward op: seeded random f32 inputs; the analytic gradient (f32, the
 * code under test) of the scalar L = sum(dy * f(inputs)) for a random dy; the
 * reference is a central difference (h = 1e-6) of the same L computed by a DOUBLE
 * forward written here, so the reference carries no f32 rounding. Each double
 * forward is first checked against the runtime's f32 kernel it stands for (the
 * forward the trainer will use). The error measure is
 *   err = max_i |analytic_i - fd_i| / max_i |fd_i|
 * and must be below TOL; to prove the check can fail, the same comparison is run on
 * the analytic gradient with one element moved by 10 * TOL * max|fd| and must be
 * rejected. AdamW against a two-step example computed by hand; the LR schedule at
 * its landmarks; clipping brings the global norm to the maximum. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_RNG_SEED 0x7261696e67726164ull
#include "../testrng.h"
#include "../checkmain.h"

#include "ops.h"
#include "optim.h"

#define TOL 1e-5
#define FD_H 1e-6

/* uniform in [-1, 1) */
static double urand(void) { return (double)(rnd() >> 11) * (2.0 / 9007199254740992.0) - 1.0; }
static float *fvec(size_t n, double scale) {
  float *v = malloc(n * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (size_t i = 0; i < n; i++) v[i] = (float)(scale * urand());
  return v;
}
static float *fzero(size_t n) {
  float *v = calloc(n ? n : 1, sizeof *v);
  ck_assert_ptr_nonnull(v);
  return v;
}
static double *dcopy(const float *f, size_t n) {
  double *d = malloc((n ? n : 1) * sizeof *d);
  ck_assert_ptr_nonnull(d);
  for (size_t i = 0; i < n; i++) d[i] = f[i];
  return d;
}

/* Central differences of loss(ctx) in every element of param (one of ctx's arrays,
 * perturbed in place and restored) -> fd (n). */
typedef double (*loss_fn)(void *ctx);
static void fd_grad(loss_fn loss, void *ctx, double *param, size_t n, double *fd) {
  for (size_t i = 0; i < n; i++) {
    double x0 = param[i];
    param[i] = x0 + FD_H;
    double lp = loss(ctx);
    param[i] = x0 - FD_H;
    double lm = loss(ctx);
    param[i] = x0;
    fd[i] = (lp - lm) / (2 * FD_H);
  }
}
static double rel_err(const float *a, const double *fd, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - fd[i]);
    if (!(d <= num)) num = d; /* NaN fails */
    if (fabs(fd[i]) > den) den = fabs(fd[i]);
  }
  return den > 0 ? num / den : num;
}

/* The one check: analytic `a` of param against FD; reports the error, asserts it is
 * below TOL, and asserts that a perturbed copy of `a` is rejected. */
static void check_grad(const char *name, const float *a, loss_fn loss, void *ctx, double *param,
                       size_t n) {
  double *fd = malloc(n * sizeof *fd);
  float *bad = malloc(n * sizeof *bad);
  ck_assert_ptr_nonnull(fd);
  ck_assert_ptr_nonnull(bad);
  fd_grad(loss, ctx, param, n, fd);
  double e = rel_err(a, fd, n), mx = 0;
  for (size_t i = 0; i < n; i++)
    if (fabs(fd[i]) > mx) mx = fabs(fd[i]);
  ck_assert_msg(mx > 0, "%s: the reference gradient is all zero (test would be vacuous)", name);
  memcpy(bad, a, n * sizeof *bad);
  bad[(n * 7) / 11] += (float)(10 * TOL * mx);
  double eb = rel_err(bad, fd, n);
  printf("grad %-22s n=%-5zu max rel err %.2e (perturbed copy: %.2e)\n", name, n, e, eb);
  ck_assert_msg(e < TOL, "%s: analytic vs finite differences: rel err %g >= %g", name, e, TOL);
  ck_assert_msg(eb > TOL, "%s: a perturbed gradient was not rejected (%g)", name, eb);
  free(fd);
  free(bad);
}
/* A plausible but wrong gradient (a classic backward bug) must be rejected. */
static void check_rejected(const char *name, const float *wrong, loss_fn loss, void *ctx,
                           double *param, size_t n) {
  double *fd = malloc(n * sizeof *fd);
  ck_assert_ptr_nonnull(fd);
  fd_grad(loss, ctx, param, n, fd);
  double e = rel_err(wrong, fd, n);
  printf("wrong %-21s rejected: rel err %.2e\n", name, e);
  ck_assert_msg(e > TOL, "%s: a wrong gradient passed (%g)", name, e);
  free(fd);
}
static double fmaxdiff(const float *a, const double *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/* ------------------------------------------------------------------ embedding */

typedef struct emb_ctx {
  const int32_t *ids;
  int T, C;
  double *table, *dy;
} emb_ctx;
// table (V, C), ids (T) -> y (T, C); L = sum dy * y
static double emb_loss(void *vc) {
  emb_ctx *c = vc;
  double L = 0;
  for (int t = 0; t < c->T; t++)
    for (int j = 0; j < c->C; j++) L += c->dy[t * c->C + j] * c->table[c->ids[t] * c->C + j];
  return L;
}

START_TEST(embedding) {
  enum { V = 7, C = 5, T = 9 };
  int32_t ids[T] = {3, 0, 3, 6, 1, 3, 2, 0, 5}; /* repeats: the scatter must add */
  float *table = fvec(V * C, 1), *dy = fvec(T * C, 1), *dt = fzero(V * C);
  dm_grad_embedding_backward(ids, T, C, dy, dt);
  emb_ctx c = {ids, T, C, dcopy(table, V * C), dcopy(dy, T * C)};
  check_grad("embedding.dtable", dt, emb_loss, &c, c.table, V * C);
  for (int j = 0; j < C; j++) ck_assert_float_eq(dt[4 * C + j], 0.0f); /* unused row */
  /* wrong: rows stored instead of added (the repeated id 3 loses gradient) */
  float *dw = fzero(V * C);
  for (int t = 0; t < T; t++) memcpy(dw + ids[t] * C, dy + t * C, sizeof(float) * C);
  check_rejected("embedding (stored)", dw, emb_loss, &c, c.table, V * C);
  free(dw);
  free(table), free(dy), free(dt), free(c.table), free(c.dy);
}
END_TEST

/* ------------------------------------------------------------------ linear, LM head */

typedef struct lin_ctx {
  int M, K, N;
  double *x, *w, *b, *dy;
} lin_ctx;
// x (M, K), w (N, K), b (N) -> y (M, N); L = sum dy * y
static double lin_loss(void *vc) {
  lin_ctx *c = vc;
  double L = 0;
  for (int m = 0; m < c->M; m++)
    for (int n = 0; n < c->N; n++) {
      double s = c->b ? c->b[n] : 0;
      for (int k = 0; k < c->K; k++) s += c->x[m * c->K + k] * c->w[n * c->K + k];
      L += c->dy[m * c->N + n] * s;
    }
  return L;
}

START_TEST(linear) {
  enum { M = 6, K = 11, N = 9 };
  float *x = fvec(M * K, 1), *w = fvec(N * K, 0.5), *b = fvec(N, 1), *dy = fvec(M * N, 1);
  /* the runtime's forward agrees with the double forward used for the reference */
  lin_ctx c = {M, K, N, dcopy(x, M * K), dcopy(w, N * K), dcopy(b, N), dcopy(dy, M * N)};
  float y[M * N];
  dm_wmat wm = {w, DM_DTYPE_F32, N, K};
  dm_ref_linear(x, M, &wm, b, y);
  double L = 0;
  for (int i = 0; i < M * N; i++) L += (double)dy[i] * y[i];
  ck_assert(fabs(L - lin_loss(&c)) < 1e-4);
  /* accumulation: start from a non-zero buffer and subtract it afterwards */
  float *dx = fvec(M * K, 1), *dx0 = malloc(sizeof(float) * M * K), *dw = fzero(N * K), *db = fzero(N);
  memcpy(dx0, dx, sizeof(float) * M * K);
  dm_grad_linear_backward(x, M, K, w, N, dy, dx, dw, db);
  for (int i = 0; i < M * K; i++) dx[i] -= dx0[i];
  check_grad("linear.dx", dx, lin_loss, &c, c.x, M * K);
  check_grad("linear.dw", dw, lin_loss, &c, c.w, N * K);
  check_grad("linear.db", db, lin_loss, &c, c.b, N);
  /* the pooled twin accumulates the same sums (3 threads: uneven slices) */
  dm_pool *p = NULL;
  ck_assert_int_eq(dm_pool_new(3, &p), DM_OK);
  float *fx = fvec(M * K, 1), *fx0 = malloc(sizeof(float) * M * K), *fw = fzero(N * K), *fb = fzero(N);
  memcpy(fx0, fx, sizeof(float) * M * K);
  dm_grad_linear_backward_fast(p, x, M, K, w, N, dy, fx, fw, fb);
  for (int i = 0; i < M * K; i++) ck_assert(fabsf(fx[i] - fx0[i] - dx[i]) < 1e-5f);
  for (int i = 0; i < N * K; i++) ck_assert(fabsf(fw[i] - dw[i]) < 1e-5f);
  for (int i = 0; i < N; i++) ck_assert(fabsf(fb[i] - db[i]) < 1e-5f);
  /* NULL gradients are skipped, the others still written */
  float *gw = fzero(N * K);
  dm_grad_linear_backward_fast(p, x, M, K, w, N, dy, NULL, gw, NULL);
  for (int i = 0; i < N * K; i++) ck_assert(fabsf(gw[i] - dw[i]) < 1e-5f);
  dm_pool_free(p);
  free(fx), free(fx0), free(fw), free(fb), free(gw);
  free(x), free(w), free(b), free(dy), free(dx), free(dx0), free(dw), free(db);
  free(c.x), free(c.w), free(c.b), free(c.dy);
}
END_TEST

START_TEST(lm_head_untied) {
  enum { R = 4, C = 8, V = 13 };
  float *h = fvec(R * C, 1), *head = fvec(V * C, 0.5), *dl = fvec(R * V, 1);
  float *dh = fzero(R * C), *dhead = fzero(V * C);
  dm_grad_lm_head_backward(h, R, C, head, V, dl, dh, dhead);
  lin_ctx c = {R, C, V, dcopy(h, R * C), dcopy(head, V * C), NULL, dcopy(dl, R * V)};
  check_grad("lm_head.dh", dh, lin_loss, &c, c.x, R * C);
  check_grad("lm_head.dhead", dhead, lin_loss, &c, c.w, V * C);
  free(h), free(head), free(dl), free(dh), free(dhead), free(c.x), free(c.w), free(c.dy);
}
END_TEST

/* Tied: logits = E[ids] E^T, so E gets the LM head's gradient plus the embedding's. */
typedef struct tied_ctx {
  const int32_t *ids;
  int T, C, V;
  double *E, *dl;
} tied_ctx;
static double tied_loss(void *vc) {
  tied_ctx *c = vc;
  double L = 0;
  for (int t = 0; t < c->T; t++)
    for (int v = 0; v < c->V; v++) {
      double s = 0;
      for (int j = 0; j < c->C; j++) s += c->E[c->ids[t] * c->C + j] * c->E[v * c->C + j];
      L += c->dl[t * c->V + v] * s;
    }
  return L;
}

START_TEST(lm_head_tied) {
  enum { T = 5, C = 6, V = 8 };
  int32_t ids[T] = {2, 7, 2, 0, 4};
  float *E = fvec(V * C, 1), *dl = fvec(T * V, 1), *x = fzero(T * C), *dx = fzero(T * C), *dE = fzero(V * C);
  for (int t = 0; t < T; t++) memcpy(x + t * C, E + ids[t] * C, sizeof(float) * C);
  dm_grad_lm_head_backward(x, T, C, E, V, dl, dx, dE);
  dm_grad_embedding_backward(ids, T, C, dx, dE);
  tied_ctx c = {ids, T, C, V, dcopy(E, V * C), dcopy(dl, T * V)};
  check_grad("lm_head.tied.dE", dE, tied_loss, &c, c.E, V * C);
  free(E), free(dl), free(x), free(dx), free(dE), free(c.E), free(c.dl);
}
END_TEST

/* ------------------------------------------------------------------ rmsnorm */

typedef struct rms_ctx {
  int M, C;
  double eps;
  double *x, *w, *dy;
} rms_ctx;
// x (M, C), w (C) -> y (M, C); L = sum dy * y
static double rms_y(const rms_ctx *c, int m, int j) {
  double ss = 0;
  for (int i = 0; i < c->C; i++) ss += c->x[m * c->C + i] * c->x[m * c->C + i];
  return c->w[j] * c->x[m * c->C + j] / sqrt(ss / c->C + c->eps);
}
static double rms_loss(void *vc) {
  rms_ctx *c = vc;
  double L = 0;
  for (int m = 0; m < c->M; m++)
    for (int j = 0; j < c->C; j++) L += c->dy[m * c->C + j] * rms_y(c, m, j);
  return L;
}

START_TEST(rmsnorm) {
  enum { M = 5, C = 16 };
  float eps = 0.05f; /* large enough that forgetting eps in the backward shows */
  float *x = fvec(M * C, 2), *w = fvec(C, 1), *dy = fvec(M * C, 1), *dx = fzero(M * C), *dw = fzero(C);
  rms_ctx c = {M, C, eps, dcopy(x, M * C), dcopy(w, C), dcopy(dy, M * C)};
  float y[M * C];
  double yd[M * C];
  dm_ref_rmsnorm(x, w, M, C, eps, y);
  for (int m = 0; m < M; m++)
    for (int j = 0; j < C; j++) yd[m * C + j] = rms_y(&c, m, j);
  ck_assert(fmaxdiff(y, yd, M * C) < 1e-5);
  dm_grad_rmsnorm_backward(x, w, M, C, eps, dy, dx, dw);
  check_grad("rmsnorm.dx", dx, rms_loss, &c, c.x, M * C);
  check_grad("rmsnorm.dw", dw, rms_loss, &c, c.w, C);
  /* wrong: eps left out of the backward */
  float *dxe = fzero(M * C);
  dm_grad_rmsnorm_backward(x, w, M, C, 0.0f, dy, dxe, NULL);
  check_rejected("rmsnorm.dx (no eps)", dxe, rms_loss, &c, c.x, M * C);
  free(dxe);
  free(x), free(w), free(dy), free(dx), free(dw), free(c.x), free(c.w), free(c.dy);
}
END_TEST

/* ------------------------------------------------------------------ rope */

typedef struct rope_ctx {
  int M, H, D;
  const int32_t *pos;
  double theta;
  double *x, *dy;
} rope_ctx;
/* The runtime's angles: cos and sin rounded to float from a float angle. */
static void rope_cs(int pos, int j, int D, double theta, double *cs, double *sn) {
  float invf = (float)(1.0 / pow(theta, (double)(2 * j) / (double)D));
  float ang = (float)pos * invf;
  *cs = (float)cos(ang);
  *sn = (float)sin(ang);
}
// x (M, H*D) -> y (M, H*D) rotated; L = sum dy * y
static double rope_loss(void *vc) {
  rope_ctx *c = vc;
  double L = 0;
  int h2 = c->D / 2, ld = c->H * c->D;
  for (int m = 0; m < c->M; m++)
    for (int h = 0; h < c->H; h++)
      for (int j = 0; j < h2; j++) {
        double cs, sn;
        rope_cs(c->pos[m], j, c->D, c->theta, &cs, &sn);
        int o = m * ld + h * c->D;
        double a = c->x[o + j], b = c->x[o + j + h2];
        L += c->dy[o + j] * (a * cs - b * sn) + c->dy[o + j + h2] * (b * cs + a * sn);
      }
  return L;
}

START_TEST(rope) {
  enum { M = 6, H = 3, D = 8 };
  int32_t pos[M] = {0, 1, 2, 17, 300, 4095};
  double theta = 10000.0;
  float *x = fvec(M * H * D, 1), *dy = fvec(M * H * D, 1), *y = malloc(sizeof(float) * M * H * D);
  rope_ctx c = {M, H, D, pos, theta, dcopy(x, M * H * D), dcopy(dy, M * H * D)};
  /* the double forward is the runtime's: L agrees */
  memcpy(y, x, sizeof(float) * M * H * D);
  dm_ref_rope(y, M, H, D, pos, theta);
  double L = 0;
  for (int i = 0; i < M * H * D; i++) L += (double)dy[i] * y[i];
  ck_assert(fabs(L - rope_loss(&c)) < 1e-4);
  /* the backward undoes the forward: back(fwd(x)) = x */
  ck_assert_int_eq(dm_grad_rope_backward(NULL, y, M, H, D, pos, theta), DM_OK);
  for (int i = 0; i < M * H * D; i++) ck_assert(fabsf(y[i] - x[i]) < 1e-5f);
  /* gradient, reference kernel and pooled fast kernel */
  float *g = malloc(sizeof(float) * M * H * D), *g2 = malloc(sizeof(float) * M * H * D);
  memcpy(g, dy, sizeof(float) * M * H * D);
  memcpy(g2, dy, sizeof(float) * M * H * D);
  ck_assert_int_eq(dm_grad_rope_backward(NULL, g, M, H, D, pos, theta), DM_OK);
  check_grad("rope.dx", g, rope_loss, &c, c.x, M * H * D);
  dm_pool *p = NULL;
  ck_assert_int_eq(dm_pool_new(2, &p), DM_OK);
  ck_assert_int_eq(dm_grad_rope_backward(p, g2, M, H, D, pos, theta), DM_OK);
  check_grad("rope.dx (pooled)", g2, rope_loss, &c, c.x, M * H * D);
  dm_pool_free(p);
  /* wrong: the forward rotation applied to dy instead of its inverse */
  memcpy(g2, dy, sizeof(float) * M * H * D);
  dm_ref_rope(g2, M, H, D, pos, theta);
  check_rejected("rope.dx (not inverted)", g2, rope_loss, &c, c.x, M * H * D);
  free(x), free(dy), free(y), free(g), free(g2), free(c.x), free(c.dy);
}
END_TEST

/* ------------------------------------------------------------------ swiglu */

typedef struct swi_ctx {
  int n;
  double *a, *b, *dy;
} swi_ctx;
// a (n), b (n) -> y = silu(a) b; L = sum dy * y
static double swi_loss(void *vc) {
  swi_ctx *c = vc;
  double L = 0;
  for (int i = 0; i < c->n; i++) L += c->dy[i] * c->a[i] / (1 + exp(-c->a[i])) * c->b[i];
  return L;
}

START_TEST(swiglu) {
  enum { n = 64 };
  float *a = fvec(n, 4), *b = fvec(n, 1), *dy = fvec(n, 1), *da = fzero(n), *db = fzero(n);
  swi_ctx c = {n, dcopy(a, n), dcopy(b, n), dcopy(dy, n)};
  float y[n];
  memcpy(y, a, sizeof y);
  dm_ref_swiglu(y, b, n);
  double L = 0;
  for (int i = 0; i < n; i++) L += (double)dy[i] * y[i];
  ck_assert(fabs(L - swi_loss(&c)) < 1e-5);
  dm_grad_swiglu_backward(a, b, dy, n, da, db);
  check_grad("swiglu.da", da, swi_loss, &c, c.a, n);
  check_grad("swiglu.db", db, swi_loss, &c, c.b, n);
  /* wrong: d silu(a) / da taken as sigmoid(a) */
  float daw[n];
  for (int i = 0; i < n; i++) daw[i] = (float)(dy[i] * b[i] / (1 + exp(-(double)a[i])));
  check_rejected("swiglu.da (sigmoid)", daw, swi_loss, &c, c.a, n);
  free(a), free(b), free(dy), free(da), free(db), free(c.a), free(c.b), free(c.dy);
}
END_TEST

/* ------------------------------------------------------------------ attention */

typedef struct att_ctx {
  int B, T, H, KV, D, causal;
  double *q, *k, *v, *dy;
  double *o; /* (B*T, H*D) output of the last att_forward */
} att_ctx;
// q (B*T, H*D), k/v (B*T, KV*D) -> o (B*T, H*D)
static void att_forward(att_ctx *c) {
  int ldq = c->H * c->D, ldk = c->KV * c->D, T = c->T, D = c->D;
  double s[64];
  for (int b = 0; b < c->B; b++)
    for (int h = 0; h < c->H; h++) {
      int kh = h / (c->H / c->KV);
      for (int i = 0; i < T; i++) {
        int lim = c->causal ? i + 1 : T;
        double mx = -INFINITY, z = 0;
        for (int j = 0; j < lim; j++) {
          double d = 0;
          for (int e = 0; e < D; e++)
            d += c->q[(b * T + i) * ldq + h * D + e] * c->k[(b * T + j) * ldk + kh * D + e];
          s[j] = d / sqrt((double)D);
          if (s[j] > mx) mx = s[j];
        }
        for (int j = 0; j < lim; j++) z += (s[j] = exp(s[j] - mx));
        for (int e = 0; e < D; e++) {
          double acc = 0;
          for (int j = 0; j < lim; j++) acc += s[j] * c->v[(b * T + j) * ldk + kh * D + e];
          c->o[(b * T + i) * ldq + h * D + e] = acc / z;
        }
      }
    }
}
static double att_loss(void *vc) {
  att_ctx *c = vc;
  att_forward(c);
  double L = 0;
  for (int i = 0; i < c->B * c->T * c->H * c->D; i++) L += c->dy[i] * c->o[i];
  return L;
}

static void attention_case(int causal) {
  enum { B = 2, T = 5, H = 4, KV = 2, D = 8 };
  size_t nq = B * T * H * D, nk = B * T * KV * D;
  float *q = fvec(nq, 1.5), *k = fvec(nk, 1.5), *v = fvec(nk, 1), *dy = fvec(nq, 1);
  float *o = malloc(sizeof(float) * nq), *dq = fzero(nq), *dk = fzero(nk), *dv = fzero(nk);
  att_ctx c = {B, T, H, KV, D, causal, dcopy(q, nq), dcopy(k, nk), dcopy(v, nk), dcopy(dy, nq), malloc(sizeof(double) * nq)};
  /* forward: the runtime's pooled kernel, checked against the double forward */
  dm_pool *p = NULL;
  ck_assert_int_eq(dm_pool_new(3, &p), DM_OK);
  dm_fast_attention(p, q, k, v, o, B, T, T, H, KV, D, 0, causal);
  att_forward(&c);
  ck_assert(fmaxdiff(o, c.o, nq) < 1e-5);
  ck_assert_int_eq(dm_grad_attention_backward(NULL, q, k, v, o, dy, B, T, H, KV, D, causal, dq, dk, dv), DM_OK);
  /* the pooled backward gives the same floats */
  float *pq = fzero(nq), *pk = fzero(nk), *pv = fzero(nk);
  ck_assert_int_eq(dm_grad_attention_backward(p, q, k, v, o, dy, B, T, H, KV, D, causal, pq, pk, pv), DM_OK);
  ck_assert(memcmp(pq, dq, sizeof(float) * nq) == 0 && memcmp(pk, dk, sizeof(float) * nk) == 0 &&
            memcmp(pv, dv, sizeof(float) * nk) == 0);
  ck_assert_int_eq(dm_grad_attention_backward(p, q, k, v, o, dy, B, T, 3, KV, D, causal, pq, pk, pv), DM_EINVAL);
  /* the fast twin (GEMMs, float softmax) agrees with the reference, pooled and not */
  for (int pooled = 0; pooled < 2; pooled++) {
    float *fq = fzero(nq), *fk = fzero(nk), *fv = fzero(nk);
    ck_assert_int_eq(dm_grad_attention_backward_fast(pooled ? p : NULL, q, k, v, o, dy, B, T, H, KV, D,
                                                     causal, fq, fk, fv), DM_OK);
    double eq = 0, ek = 0, ev = 0;
    for (size_t i = 0; i < nq; i++) eq = fmax(eq, fabs(fq[i] - dq[i]));
    for (size_t i = 0; i < nk; i++) ek = fmax(ek, fabs(fk[i] - dk[i])), ev = fmax(ev, fabs(fv[i] - dv[i]));
    ck_assert_msg(eq < 1e-5 && ek < 1e-5 && ev < 1e-5, "fast attention backward: %g %g %g", eq, ek, ev);
    ck_assert_int_eq(dm_grad_attention_backward_fast(p, q, k, v, o, dy, B, T, 3, KV, D, causal, fq, fk, fv), DM_EINVAL);
    free(fq), free(fk), free(fv);
  }
  free(pq), free(pk), free(pv);
  dm_pool_free(p);
  char nm[64];
  snprintf(nm, sizeof nm, "attention%s.dq", causal ? ".causal" : "");
  check_grad(nm, dq, att_loss, &c, c.q, nq);
  snprintf(nm, sizeof nm, "attention%s.dk", causal ? ".causal" : "");
  check_grad(nm, dk, att_loss, &c, c.k, nk);
  snprintf(nm, sizeof nm, "attention%s.dv", causal ? ".causal" : "");
  check_grad(nm, dv, att_loss, &c, c.v, nk);
  /* wrong: the backward run with the other mask */
  float *dqw = fzero(nq);
  ck_assert_int_eq(dm_grad_attention_backward(NULL, q, k, v, o, dy, B, T, H, KV, D, !causal, dqw, NULL, NULL), DM_OK);
  snprintf(nm, sizeof nm, "attention%s.dq (mask)", causal ? ".causal" : "");
  check_rejected(nm, dqw, att_loss, &c, c.q, nq);
  free(dqw);
  if (causal) {
    /* with the mask, query 0 of sequence 0 sees key 0 only: when it alone carries
     * gradient, every other key (and sequence 1) gets exactly zero */
    float *dk1 = fzero(nk);
    float *dy1 = fzero(nq);
    for (int e = 0; e < H * D; e++) dy1[e] = dy[e];
    ck_assert_int_eq(dm_grad_attention_backward(NULL, q, k, v, o, dy1, B, T, H, KV, D, 1, NULL, dk1, NULL), DM_OK);
    for (size_t i = KV * D; i < nk; i++) ck_assert_float_eq(dk1[i], 0.0f);
    free(dk1), free(dy1);
  }
  free(q), free(k), free(v), free(dy), free(o), free(dq), free(dk), free(dv);
  free(c.q), free(c.k), free(c.v), free(c.dy), free(c.o);
}
START_TEST(attention_full) { attention_case(0); }
END_TEST
START_TEST(attention_causal) { attention_case(1); }
END_TEST

/* ------------------------------------------------------------------ cross-entropy */

typedef struct ce_ctx {
  int R, V;
  const int32_t *tg;
  const float *wt;
  double *l;
} ce_ctx;
// logits (R, V) -> L = sum_r w_r (logsumexp - logit[target])
static double ce_loss(void *vc) {
  ce_ctx *c = vc;
  double L = 0;
  for (int r = 0; r < c->R; r++) {
    double z = 0;
    for (int j = 0; j < c->V; j++) z += exp(c->l[r * c->V + j]);
    L += c->wt[r] * (log(z) - c->l[r * c->V + c->tg[r]]);
  }
  return L;
}

START_TEST(cross_entropy) {
  enum { R = 5, V = 17 };
  int32_t tg[R] = {3, 16, 0, 3, 9};
  float wt[R] = {1.0f, 0.25f, 4.0f, 0.0f, 2.5f}; /* 1/t weights; 0 drops a row */
  float *l = fvec(R * V, 3), *dl = fvec(R * V, 1); /* garbage in dl: it is written */
  double loss = 0;
  ck_assert_int_eq(dm_grad_cross_entropy(l, R, V, tg, wt, &loss, dl, NULL), DM_OK);
  ce_ctx c = {R, V, tg, wt, dcopy(l, R * V)};
  ck_assert(fabs(loss - ce_loss(&c)) < 1e-9 * (1 + fabs(loss)));
  check_grad("cross_entropy.dlogits", dl, ce_loss, &c, c.l, R * V);
  for (int j = 0; j < V; j++) ck_assert_float_eq(dl[3 * V + j], 0.0f);
  /* wrong: the row weights left out of the gradient */
  float *dlw = fzero(R * V);
  ck_assert_int_eq(dm_grad_cross_entropy(l, R, V, tg, NULL, NULL, dlw, NULL), DM_OK);
  check_rejected("cross_entropy (no weights)", dlw, ce_loss, &c, c.l, R * V);
  free(dlw);
  /* unweighted = all weights 1 */
  float w1[R] = {1, 1, 1, 1, 1};
  double l1 = 0, l2 = 0;
  ck_assert_int_eq(dm_grad_cross_entropy(l, R, V, tg, NULL, &l1, NULL, NULL), DM_OK);
  ck_assert_int_eq(dm_grad_cross_entropy(l, R, V, tg, w1, &l2, NULL, NULL), DM_OK);
  ck_assert(l1 == l2 && l1 > 0);
  /* a target outside the vocabulary is an error naming the row */
  int32_t bad[R] = {3, 16, 17, 3, 9};
  dm_error err;
  dm_error_clear(&err);
  ck_assert_int_eq(dm_grad_cross_entropy(l, R, V, bad, wt, &loss, dl, &err), DM_ERANGE);
  ck_assert_msg(strstr(err.message, "row 2") != NULL, "%s", err.message);
  ck_assert_str_eq(err.where, "targets[2]");
  free(l), free(dl), free(c.l);
}
END_TEST


/* ------------------------------------------------------------------ a whole block */

/* One pre-norm transformer block, as lib/runtime/model/forward.c computes it:
 *   h = rms(x) ; q, k, v = h Wq^T, h Wk^T, h Wv^T ; rope(q, k) ; a = att(q, k, v)
 *   x1 = x + a Wo^T ; h2 = rms(x1) ; s = silu(h2 Wg^T) * (h2 Wu^T) ; x2 = x1 + s Wd^T
 * The chained backward (accumulating conventions, in-place RoPE, SwiGLU's saved gate)
 * must give the FD gradient of L = sum(dy * x2) in x and in the weights. */
enum { BT = 4, BC = 8, BH = 2, BKV = 1, BD = 4, BF = 12 };
typedef struct blk_ctx {
  const int32_t *pos;
  double eps;
  double *x, *n1, *n2, *wq, *wk, *wv, *wo, *wg, *wu, *wd, *dy;
} blk_ctx;
static void dlin(const double *x, int M, int K, const double *w, int N, double *y) {
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      double s = 0;
      for (int k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
}
static void drms(const double *x, const double *w, int M, int C, double eps, double *y) {
  for (int m = 0; m < M; m++) {
    double ss = 0;
    for (int c = 0; c < C; c++) ss += x[m * C + c] * x[m * C + c];
    for (int c = 0; c < C; c++) y[m * C + c] = w[c] * x[m * C + c] / sqrt(ss / C + eps);
  }
}
static void drope(double *x, int M, int H, int D, const int32_t *pos) {
  for (int m = 0; m < M; m++)
    for (int h = 0; h < H; h++)
      for (int j = 0; j < D / 2; j++) {
        double cs, sn, *v = x + m * H * D + h * D;
        rope_cs(pos[m], j, D, 10000.0, &cs, &sn);
        double a = v[j], b = v[j + D / 2];
        v[j] = a * cs - b * sn;
        v[j + D / 2] = b * cs + a * sn;
      }
}
static double blk_loss(void *vc) {
  blk_ctx *c = vc;
  double h[BT * BC], q[BT * BH * BD], k[BT * BKV * BD], v[BT * BKV * BD], a[BT * BH * BD];
  double x1[BT * BC], o[BT * BC], g[BT * BF], u[BT * BF];
  drms(c->x, c->n1, BT, BC, c->eps, h);
  dlin(h, BT, BC, c->wq, BH * BD, q);
  dlin(h, BT, BC, c->wk, BKV * BD, k);
  dlin(h, BT, BC, c->wv, BKV * BD, v);
  drope(q, BT, BH, BD, c->pos);
  drope(k, BT, BKV, BD, c->pos);
  att_ctx ac = {1, BT, BH, BKV, BD, 1, q, k, v, NULL, a};
  att_forward(&ac);
  dlin(a, BT, BH * BD, c->wo, BC, o);
  for (int i = 0; i < BT * BC; i++) x1[i] = c->x[i] + o[i];
  drms(x1, c->n2, BT, BC, c->eps, h);
  dlin(h, BT, BC, c->wg, BF, g);
  dlin(h, BT, BC, c->wu, BF, u);
  for (int i = 0; i < BT * BF; i++) g[i] = g[i] / (1 + exp(-g[i])) * u[i];
  dlin(g, BT, BF, c->wd, BC, o);
  double L = 0;
  for (int i = 0; i < BT * BC; i++) L += c->dy[i] * (x1[i] + o[i]);
  return L;
}

START_TEST(block) {
  int32_t pos[BT] = {0, 1, 2, 3};
  float eps = 1e-5f;
  float *x = fvec(BT * BC, 1), *n1 = fvec(BC, 1), *n2 = fvec(BC, 1), *dy = fvec(BT * BC, 1);
  float *wq = fvec(BH * BD * BC, 0.5), *wk = fvec(BKV * BD * BC, 0.5), *wv = fvec(BKV * BD * BC, 0.5);
  float *wo = fvec(BC * BH * BD, 0.5), *wg = fvec(BF * BC, 0.5), *wu = fvec(BF * BC, 0.5), *wd = fvec(BC * BF, 0.5);
  dm_wmat Wq = {wq, DM_DTYPE_F32, BH * BD, BC}, Wk = {wk, DM_DTYPE_F32, BKV * BD, BC};
  dm_wmat Wv = {wv, DM_DTYPE_F32, BKV * BD, BC}, Wo = {wo, DM_DTYPE_F32, BC, BH * BD};
  dm_wmat Wg = {wg, DM_DTYPE_F32, BF, BC}, Wu = {wu, DM_DTYPE_F32, BF, BC};
  dm_pool *p = NULL;
  ck_assert_int_eq(dm_pool_new(2, &p), DM_OK);
  /* forward with the runtime's kernels, keeping what the backward needs */
  float h1[BT * BC], q[BT * BH * BD], k[BT * BKV * BD], v[BT * BKV * BD], a[BT * BH * BD];
  float x1[BT * BC], o[BT * BC], h2[BT * BC], g[BT * BF], gs[BT * BF], u[BT * BF];
  dm_ref_rmsnorm(x, n1, BT, BC, eps, h1);
  dm_ref_linear(h1, BT, &Wq, NULL, q);
  dm_ref_linear(h1, BT, &Wk, NULL, k);
  dm_ref_linear(h1, BT, &Wv, NULL, v);
  dm_fast_rope(p, q, BT, BH, BD, pos, 10000.0);
  dm_fast_rope(p, k, BT, BKV, BD, pos, 10000.0);
  dm_fast_attention(p, q, k, v, a, 1, BT, BT, BH, BKV, BD, 0, 1);
  dm_ref_linear(a, BT, &Wo, NULL, o);
  for (int i = 0; i < BT * BC; i++) x1[i] = x[i] + o[i];
  dm_ref_rmsnorm(x1, n2, BT, BC, eps, h2);
  dm_ref_linear(h2, BT, &Wg, NULL, g);
  dm_ref_linear(h2, BT, &Wu, NULL, u);
  memcpy(gs, g, sizeof g);
  dm_fast_swiglu(p, gs, u, BT * BF);
  /* backward */
  float *dx = fzero(BT * BC), *dx1 = fzero(BT * BC), *dgs = fzero(BT * BF), *dg = fzero(BT * BF);
  float *du = fzero(BT * BF), *dh = fzero(BT * BC), *da = fzero(BT * BH * BD), *dq = fzero(BT * BH * BD);
  float *dk = fzero(BT * BKV * BD), *dv = fzero(BT * BKV * BD);
  float *dWq = fzero(BH * BD * BC), *dWd = fzero(BC * BF), *dn1 = fzero(BC), *dWx = fzero(BF * BC);
  for (int i = 0; i < BT * BC; i++) dx1[i] = dy[i]; /* residual x2 = x1 + ... */
  dm_grad_linear_backward(gs, BT, BF, wd, BC, dy, dgs, dWd, NULL);
  dm_grad_swiglu_backward(g, u, dgs, BT * BF, dg, du);
  dm_grad_linear_backward(h2, BT, BC, wg, BF, dg, dh, dWx, NULL);
  dm_grad_linear_backward(h2, BT, BC, wu, BF, du, dh, dWx, NULL); /* dWx: a scratch sink */
  dm_grad_rmsnorm_backward(x1, n2, BT, BC, eps, dh, dx1, NULL);
  for (int i = 0; i < BT * BC; i++) dx[i] = dx1[i]; /* residual x1 = x + ... */
  dm_grad_linear_backward(a, BT, BH * BD, wo, BC, dx1, da, NULL, NULL);
  ck_assert_int_eq(dm_grad_attention_backward(p, q, k, v, a, da, 1, BT, BH, BKV, BD, 1, dq, dk, dv), DM_OK);
  ck_assert_int_eq(dm_grad_rope_backward(p, dq, BT, BH, BD, pos, 10000.0), DM_OK);
  ck_assert_int_eq(dm_grad_rope_backward(p, dk, BT, BKV, BD, pos, 10000.0), DM_OK);
  memset(dh, 0, sizeof(float) * BT * BC);
  dm_grad_linear_backward(h1, BT, BC, wq, BH * BD, dq, dh, dWq, NULL);
  dm_grad_linear_backward(h1, BT, BC, wk, BKV * BD, dk, dh, NULL, NULL);
  dm_grad_linear_backward(h1, BT, BC, wv, BKV * BD, dv, dh, NULL, NULL);
  dm_grad_rmsnorm_backward(x, n1, BT, BC, eps, dh, dx, dn1);
  dm_pool_free(p);
  blk_ctx c = {pos, eps, dcopy(x, BT * BC), dcopy(n1, BC), dcopy(n2, BC), dcopy(wq, BH * BD * BC),
               dcopy(wk, BKV * BD * BC), dcopy(wv, BKV * BD * BC), dcopy(wo, BC * BH * BD),
               dcopy(wg, BF * BC), dcopy(wu, BF * BC), dcopy(wd, BC * BF), dcopy(dy, BT * BC)};
  check_grad("block.dx", dx, blk_loss, &c, c.x, BT * BC);
  check_grad("block.dWq", dWq, blk_loss, &c, c.wq, BH * BD * BC);
  check_grad("block.dWd", dWd, blk_loss, &c, c.wd, BC * BF);
  check_grad("block.dattn_norm", dn1, blk_loss, &c, c.n1, BC);
  double *ds[] = {c.x, c.n1, c.n2, c.wq, c.wk, c.wv, c.wo, c.wg, c.wu, c.wd, c.dy};
  for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) free(ds[i]);
  float *fs[] = {x, n1, n2, dy, wq, wk, wv, wo, wg, wu, wd, dx, dx1, dgs, dg, du, dh, da, dq, dk, dv, dWq, dWd, dn1, dWx};
  for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) free(fs[i]);
}
END_TEST

/* ------------------------------------------------------------------ optimizer */

START_TEST(adamw_two_steps) {
  /* One weight w = 1, lr 0.1, beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0.01;
   * gradients 0.5 then -0.25. By hand:
   * step 1: w = 1 * (1 - 0.1*0.01) = 0.999; m = 0.05, v = 0.00025;
   *         m^ = 0.05/0.1 = 0.5, v^ = 0.00025/0.001 = 0.25, sqrt 0.5;
   *         w = 0.999 - 0.1 * 0.5/(0.5 + 1e-8) = 0.899 + 2e-9 (= 0.899000002)
   * step 2: w = 0.899000002 * 0.999 = 0.898101002; m = 0.045 - 0.025 = 0.02;
   *         v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225;
   *         m^ = 0.02/0.19 = 0.1052631579, v^ = 0.00031225/0.001999 = 0.1562031016,
   *         sqrt 0.3952253807; step 0.1 * 0.1052631579/0.3952253807 = 0.0266337033;
   *         w = 0.8981010020 - 0.0266337033 = 0.8714672987 */
  dm_adamw_params p = {0.9, 0.999, 1e-8, 0.01};
  float w = 1.0f, m = 0, v = 0, g = 0.5f;
  dm_adamw_step(&p, 1, 0.1, &w, &g, &m, &v, 1);
  ck_assert_double_eq_tol(w, 0.899000002, 1e-6);
  ck_assert_double_eq_tol(m, 0.05, 1e-8);
  ck_assert_double_eq_tol(v, 0.00025, 1e-10);
  g = -0.25f;
  dm_adamw_step(&p, 2, 0.1, &w, &g, &m, &v, 1);
  ck_assert_double_eq_tol(m, 0.02, 1e-8);
  ck_assert_double_eq_tol(v, 0.00031225, 1e-10);
  ck_assert_double_eq_tol(w, 0.8714672987, 1e-6);
  /* zero decay: no shrink beyond the Adam step; vector form equals the scalar one */
  dm_adamw_params q = dm_adamw_default_params();
  ck_assert(q.beta1 == 0.9 && q.beta2 == 0.95 && q.weight_decay == 0.1);
  float wv[3] = {1, -2, 0.5f}, gv[3] = {0.1f, 0.0f, -3}, mv[3] = {0}, vv[3] = {0};
  q.weight_decay = 0;
  dm_adamw_step(&q, 1, 0.01, wv, gv, mv, vv, 3);
  ck_assert_double_eq_tol(wv[0], 1 - 0.01, 1e-6);  /* first step moves by lr * sign(g) */
  ck_assert_double_eq_tol(wv[1], -2, 1e-7);        /* zero gradient: stays */
  ck_assert_double_eq_tol(wv[2], 0.5 + 0.01, 1e-6);
}
END_TEST

START_TEST(clipping) {
  float a[3] = {3, 0, 4}, b[2] = {0, 12}; /* global norm 13 */
  float *gs[2] = {a, b};
  size_t ns[2] = {3, 2};
  double n0 = dm_grad_clip_global(gs, ns, 2, 6.5);
  ck_assert_double_eq_tol(n0, 13.0, 1e-9);
  ck_assert_double_eq_tol(a[0], 1.5, 1e-6);
  ck_assert_double_eq_tol(a[2], 2.0, 1e-6);
  ck_assert_double_eq_tol(b[1], 6.0, 1e-6);
  double n1 = dm_grad_clip_global(gs, ns, 2, 100.0); /* below the max: unchanged */
  ck_assert_double_eq_tol(n1, 6.5, 1e-6);
  ck_assert_double_eq_tol(b[1], 6.0, 1e-6);
  /* random tensors: the clipped global norm is the max */
  float *r = fvec(1000, 5);
  float *rs[1] = {r};
  size_t rn[1] = {1000};
  double before = dm_grad_clip_global(rs, rn, 1, 1.0);
  ck_assert(before > 1.0);
  double after = dm_grad_clip_global(rs, rn, 1, 0.0); /* 0: measure only */
  ck_assert_double_eq_tol(after, 1.0, 1e-5);
  free(r);
}
END_TEST

START_TEST(schedule) {
  dm_lr_schedule s = {1e-3, 1e-4, 100, 1100};
  ck_assert_double_eq_tol(dm_lr_at(&s, 0), 0.0, 1e-15);
  ck_assert_double_eq_tol(dm_lr_at(&s, 50), 5e-4, 1e-15);
  ck_assert_double_eq_tol(dm_lr_at(&s, 100), 1e-3, 1e-15);      /* warmup end: peak */
  ck_assert_double_eq_tol(dm_lr_at(&s, 600), 5.5e-4, 1e-15);     /* midpoint: (peak+min)/2 */
  ck_assert_double_eq_tol(dm_lr_at(&s, 350), 1e-4 + 9e-4 * (1 + sqrt(0.5)) / 2, 1e-15);
  ck_assert_double_eq_tol(dm_lr_at(&s, 1100), 1e-4, 1e-15);     /* end: min */
  ck_assert_double_eq_tol(dm_lr_at(&s, 99999), 1e-4, 1e-15);
  for (long t = 101; t <= 1100; t++) ck_assert(dm_lr_at(&s, t) <= dm_lr_at(&s, t - 1));
  for (long t = 1; t <= 100; t++) ck_assert(dm_lr_at(&s, t) > dm_lr_at(&s, t - 1));
  dm_lr_schedule nw = {2e-3, 0, 0, 10}; /* no warmup */
  ck_assert_double_eq_tol(dm_lr_at(&nw, 0), 2e-3, 1e-15);
  ck_assert_double_eq_tol(dm_lr_at(&nw, 5), 1e-3, 1e-15);
}
END_TEST

static Suite *grad_suite(void) {
  Suite *s = suite_create("grad");
  TCase *t = tcase_create("ops");
  tcase_add_test(t, embedding);
  tcase_add_test(t, linear);
  tcase_add_test(t, lm_head_untied);
  tcase_add_test(t, lm_head_tied);
  tcase_add_test(t, rmsnorm);
  tcase_add_test(t, rope);
  tcase_add_test(t, swiglu);
  tcase_add_test(t, attention_full);
  tcase_add_test(t, attention_causal);
  tcase_add_test(t, cross_entropy);
  tcase_add_test(t, block);
  suite_add_tcase(s, t);
  TCase *o = tcase_create("optim");
  tcase_add_test(o, adamw_two_steps);
  tcase_add_test(o, clipping);
  tcase_add_test(o, schedule);
  suite_add_tcase(s, o);
  return s;
}

int main(void) { return dm_test_failures(grad_suite()) ? EXIT_FAILURE : EXIT_SUCCESS; }
