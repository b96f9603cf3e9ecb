/* Per-position token choice and confidence: greedy or sampled among the allowed
 * tokens; confidence from the untempered distribution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

int dm_picker_init(dm_picker *pk, const dm_decode_params *p, int32_t vocab, dm_rng *rng) {
  memset(pk, 0, sizeof *pk);
  pk->p = p;
  pk->vocab = vocab;
  pk->rng = rng;
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

/* Iterate allowed token ids below the logits width. */
#define FOR_ALLOWED(allowed, words, vocab, t)                                      \
  for (size_t w_ = 0; w_ < (words); w_++)                                          \
    for (uint64_t b_ = (allowed)[w_]; b_; b_ &= b_ - 1)                            \
      for (int32_t t = (int32_t)(w_ * 64 + (size_t)__builtin_ctzll(b_)), once_ = 1; \
           once_ && t < (vocab); once_ = 0)

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
  FOR_ALLOWED(allowed, words, pk->vocab, t) {
    if (best < 0 || logits[t] > bv) {
      best = t;
      bv = logits[t];
    }
    pk->ids[n++] = t;
  }
  if (best < 0 || p->temperature <= 0 || n == 1) return best;
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

void dm_pick_score(dm_picker *pk, const float *logits, const uint64_t *allowed, size_t words, int32_t tok,
                   double *score, double *prob) {
  const dm_decode_params *p = pk->p;
  int renorm = p->renorm_confidence;
  int32_t V = pk->vocab;
  /* max and normaliser over the confidence distribution's support */
  float mx = -INFINITY;
  if (renorm) {
    FOR_ALLOWED(allowed, words, V, t) if (logits[t] > mx) mx = logits[t];
  } else {
    for (int32_t t = 0; t < V; t++)
      if (logits[t] > mx) mx = logits[t];
  }
  double z = 0, second = -INFINITY, ent = 0;
  int want_second = p->strategy == DM_STRATEGY_MARGIN, want_ent = p->strategy == DM_STRATEGY_ENTROPY;
#define VISIT(t)                                             \
  do {                                                       \
    float d = logits[t] - mx;                                \
    z += expf(d);                                            \
    if (want_second && (t) != tok && d > second) second = d; \
  } while (0)
  if (renorm) {
    FOR_ALLOWED(allowed, words, V, t) VISIT(t);
  } else {
    for (int32_t t = 0; t < V; t++) VISIT(t);
  }
#undef VISIT
  double logz = log(z);
  double pr = exp((double)logits[tok] - mx - logz);
  *prob = pr;
  if (want_ent) { /* H = -sum p log p, p = exp(d - logz) */
    double h = 0;
    if (renorm) {
      FOR_ALLOWED(allowed, words, V, t) {
        float lp = (float)(logits[t] - mx - logz);
        h -= expf(lp) * lp;
      }
    } else {
      for (int32_t t = 0; t < V; t++) {
        float lp = (float)(logits[t] - mx - logz);
        h -= expf(lp) * lp;
      }
    }
    ent = h;
  }
  switch (p->strategy) {
    case DM_STRATEGY_MARGIN: *score = pr - (second == -INFINITY ? 0 : exp(second - logz)); break;
    case DM_STRATEGY_ENTROPY: *score = -ent; break;
    case DM_STRATEGY_RANDOM: *score = dm_rng_uniform(pk->rng); break;
    default: *score = pr; break;
  }
}
