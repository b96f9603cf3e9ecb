/* Per-position token choice and confidence: greedy or sampled among the allowed
 * tokens; confidence from the untempered distribution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"
#include "fastmath.h"

int dm_picker_init(dm_picker *pk, const dm_decode_params *p, int32_t vocab, dm_rng *rng) {
  memset(pk, 0, sizeof *pk);
  pk->p = p;
  pk->vocab = vocab;
  pk->rng = rng;
  pk->ops = dm_strategy_get(p->strategy);
  if (!pk->ops) return DM_EINVAL;
  pk->ids = malloc((size_t)vocab * sizeof *pk->ids);
  pk->vals = malloc((size_t)vocab * sizeof *pk->vals);
  if (!pk->ids || !pk->vals) {
    dm_picker_free(pk);
    return DM_ENOMEM;
  }
  return DM_OK;
}

void dm_picker_free(dm_picker *pk) {
  free(pk->ids);
  free(pk->vals);
  pk->ids = NULL;
  pk->vals = NULL;
}

static int cmp_desc(const void *a, const void *b, void *vals) {
  const float *v = vals;
  float x = v[*(const int32_t *)a], y = v[*(const int32_t *)b];
  if (x != y) return x > y ? -1 : 1;
  return *(const int32_t *)a - *(const int32_t *)b;
}

int32_t dm_pick_token(dm_picker *pk, const float *logits, const uint64_t *allowed, size_t words) {
  const dm_decode_params *p = pk->p;
  int32_t best = -1;
  float bv = -INFINITY;
  int32_t n = 0;
  int collect = p->temperature > 0;
  DM_FOR_ALLOWED(allowed, words, pk->vocab, t) {
    if (best < 0 || logits[t] > bv) {
      best = t;
      bv = logits[t];
    }
    if (collect) pk->ids[n++] = t;
  }
  if (best < 0 || !collect || n == 1) return best;
  /* sampling: candidates in descending logit order when top-k / top-p cut them */
  if ((p->top_k > 0 && p->top_k < n) || p->top_p < 1.0) {
    qsort_r(pk->ids, (size_t)n, sizeof *pk->ids, cmp_desc, (void *)logits);
    if (p->top_k > 0 && p->top_k < n) n = p->top_k;
  }
  double inv_t = 1.0 / p->temperature, z = 0;
  for (int32_t i = 0; i < n; i++) {
    float e = (float)exp((logits[pk->ids[i]] - bv) * inv_t);
    pk->vals[i] = e;
    z += e;
  }
  if (p->top_p < 1.0) {
    double acc = 0;
    int32_t keep = n;
    for (int32_t i = 0; i < n; i++) {
      acc += pk->vals[i];
      if (acc >= p->top_p * z) {
        keep = i + 1;
        break;
      }
    }
    n = keep;
    z = 0;
    for (int32_t i = 0; i < n; i++) z += pk->vals[i];
  }
  double u = dm_rng_uniform(pk->rng) * z, acc = 0;
  for (int32_t i = 0; i < n; i++) {
    acc += pk->vals[i];
    if (u < acc) return pk->ids[i];
  }
  return pk->ids[n - 1];
}

/* Two 4-lane vectors (GCC/clang vector extensions; SSE on plain x86-64, NEON on
 * arm64) = 8 lanes; the summation order is fixed, so results do not depend on the
 * machine. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f v4_load(const float *x) {
  v4f v;
  memcpy(&v, x, sizeof v);
  return v;
}

static inline v4f v4_max(v4f a, v4f b) {
  v4i m = a > b; /* lane-wise: -1 where a > b */
  return (v4f)(((v4i)a & m) | ((v4i)b & ~m));
}

static inline v4f exp_neg4(v4f x) {
  const v4f lo = {-87, -87, -87, -87};
  x = v4_max(x, lo);
  v4f t = x * 1.44269504088896341f;
  v4i n = __builtin_convertvector(t - 0.5f, v4i);
  v4f y = (t - __builtin_convertvector(n, v4f)) * 0.693147180559945309f;
  v4f q = 1.0f + y * (1.0f + y * (0.5f + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720))))));
  v4i bits = (n + 127) << 23;
  return q * (v4f)bits;
}

/* max of x[0..n) */
static float max_of(const float *x, int32_t n) {
  v4f m0 = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, m1 = m0;
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    m0 = v4_max(v4_load(x + i), m0);
    m1 = v4_max(v4_load(x + i + 4), m1);
  }
  float r = -INFINITY;
  for (int k = 0; k < 4; k++) {
    r = m0[k] > r ? m0[k] : r;
    r = m1[k] > r ? m1[k] : r;
  }
  for (; i < n; i++) r = x[i] > r ? x[i] : r;
  return r;
}

/* sum of exp(x[i] - mx), partial sums in float over blocks of 4096 */
static double sumexp_of(const float *x, int32_t n, float mx) {
  double z = 0;
  int32_t i = 0;
  while (i + 8 <= n) {
    int32_t end = n - i > 4096 ? i + 4096 : n;
    v4f a0 = {0, 0, 0, 0}, a1 = a0;
    for (; i + 8 <= end; i += 8) {
      a0 += exp_neg4(v4_load(x + i) - mx);
      a1 += exp_neg4(v4_load(x + i + 4) - mx);
    }
    for (int k = 0; k < 4; k++) z += (double)a0[k] + (double)a1[k];
  }
  for (; i < n; i++) z += dm_exp_neg(x[i] - mx);
  return z;
}

int32_t dm_pick_argmax(const float *x, int32_t n) {
  float m = max_of(x, n);
  for (int32_t i = 0; i < n; i++)
    if (x[i] == m) return i;
  return n ? 0 : -1;
}

/* y[i] = exp((x[i] - mx) * inv); returns their sum (8 lanes, fixed order) */
static double expinto_of(const float *x, int32_t n, float mx, float inv, float *y) {
  double z = 0;
  int32_t i = 0;
  while (i + 8 <= n) {
    int32_t end = n - i > 4096 ? i + 4096 : n;
    v4f a0 = {0, 0, 0, 0}, a1 = a0;
    for (; i + 8 <= end; i += 8) {
      v4f e0 = exp_neg4((v4_load(x + i) - mx) * inv), e1 = exp_neg4((v4_load(x + i + 4) - mx) * inv);
      memcpy(y + i, &e0, sizeof e0);
      memcpy(y + i + 4, &e1, sizeof e1);
      a0 += e0;
      a1 += e1;
    }
    for (int k = 0; k < 4; k++) z += (double)a0[k] + (double)a1[k];
  }
  for (; i < n; i++) z += y[i] = dm_exp_neg((x[i] - mx) * inv);
  return z;
}

int32_t dm_pick_sample_full(dm_picker *pk, const float *logits, int fresh) {
  int32_t V = pk->vocab;
  if (fresh) pk->z = expinto_of(logits, V, max_of(logits, V), (float)(1.0 / pk->p->temperature), pk->vals);
  double u = dm_rng_uniform(pk->rng) * pk->z, acc = 0;
  int32_t last = 0;
  for (int32_t t = 0; t < V; t++) {
    if (pk->vals[t] > 0) last = t;
    acc += pk->vals[t];
    if (u < acc) return t;
  }
  return last;
}

double dm_pick_logsumexp(const float *x, int32_t n, float *mx) {
  *mx = max_of(x, n);
  return log(sumexp_of(x, n, *mx)) + *mx;
}

void dm_pick_score(dm_picker *pk, const float *logits, const uint64_t *allowed, size_t words, int32_t tok,
                   double *score, double *prob) {
  const dm_decode_params *p = pk->p;
  int renorm = p->renorm_confidence;
  int32_t V = pk->vocab;
  /* max and normaliser over the confidence distribution's support */
  float mx = -INFINITY;
  double z = 0;
  if (renorm) {
    DM_FOR_ALLOWED(allowed, words, V, t) if (logits[t] > mx) mx = logits[t];
    DM_FOR_ALLOWED(allowed, words, V, t) z += dm_exp_neg(logits[t] - mx);
  } else {
    mx = max_of(logits, V);
    z = sumexp_of(logits, V, mx);
  }
  double logz = log(z);
  double pr = exp((double)logits[tok] - mx - logz);
  *prob = pr;
  dm_score_view v = {logits, V, allowed, words, renorm, tok, pr, mx, logz, pk->rng};
  *score = pk->ops->score(&v);
}
