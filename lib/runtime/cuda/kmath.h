/* Per-element and per-reduction logic of the CUDA kernels, shared by the device code
 * (nvcc) and the host (gcc): the CPU tests run these exact functions in the kernels'
 * index and reduction order and compare them with the reference twins
 * (tests/runtime/test_cuda_math.c), so the kernels' arithmetic and indexing are
 * checked without a GPU. Not installed. Plain C99 + CUDA qualifiers. */
#ifndef DM_CUDA_KMATH_H
#define DM_CUDA_KMATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define DM_HD __host__ __device__ __forceinline__
#else
#define DM_HD static inline
#endif

/* ------------------------------------------------------------------ RoPE */

/* Angle cos/sin of frequency j (of D/2) at position pos, as the reference twin
 * computes them: inv_freq in float from a double pow, angle in float, cos/sin in
 * double rounded to float. Table layout: cs[(pos * (D/2) + j) * 2 + {0: cos, 1: sin}]. */
DM_HD void dm_km_rope_cs(int pos, int j, int D, double theta, float *c, float *s) {
  float inv = (float)(1.0 / pow(theta, (double)(2 * j) / (double)D));
  float ang = (float)pos * inv;
  *c = (float)cos((double)ang);
  *s = (float)sin((double)ang);
}

/* Rotate the pair (a, b) = (x[j], x[j + D/2]) of one head: rotate-half RoPE. */
DM_HD void dm_km_rope_pair(float *a, float *b, float c, float s) {
  float x0 = *a, x1 = *b;
  *a = x0 * c - x1 * s;
  *b = x1 * c + x0 * s;
}

/* The fused QKV epilogue: one thread per (row r, head slot hs, pair j), hs over the
 * H query heads, then KV key heads, then KV value heads; j < D/2. */
typedef struct dm_km_qkv_idx {
  size_t r;   /* row of the computed positions (b * Tq + t) */
  int hs, j;  /* head slot and pair index */
} dm_km_qkv_idx;

DM_HD dm_km_qkv_idx dm_km_qkv_split(size_t i, int H, int KV, int D) {
  dm_km_qkv_idx o;
  size_t per_row = (size_t)(H + 2 * KV) * (size_t)(D / 2);
  o.r = i / per_row;
  size_t rem = i % per_row;
  o.hs = (int)(rem / (size_t)(D / 2));
  o.j = (int)(rem % (size_t)(D / 2));
  return o;
}

/* Row of the K/V buffer that computed row r lands in: sequences of Tq computed rows
 * are written into sequences of Tdst rows at offset off (FULL/PREFILL: Tdst = Tq,
 * off = 0; CACHED: Tdst = T, off = C, after the cached rows). */
DM_HD size_t dm_km_kv_row(size_t r, int Tq, int Tdst, int off) {
  return (r / (size_t)Tq) * (size_t)Tdst + (size_t)off + r % (size_t)Tq;
}

/* ------------------------------------------------------------------ attention */

/* Keys a query row may see: query i of a chunk whose first query sits at key position
 * qpos0; all Tk keys when not causal. */
DM_HD int dm_km_key_limit(int i, int qpos0, int Tk, int causal) {
  int lim = causal ? qpos0 + i + 1 : Tk;
  return lim > Tk ? Tk : lim;
}

/* Batch entry e = b * H + h of the batched attention GEMMs: element offsets of its
 * query, key/value (GQA: kv head h / (H / KV)) and output blocks. q/o rows have
 * H*D elements, k/v rows KV*D. */
typedef struct dm_km_att_off {
  size_t q, kv, o;
} dm_km_att_off;

DM_HD dm_km_att_off dm_km_att_offsets(int e, int H, int KV, int D, int Tq, int Tk) {
  dm_km_att_off o;
  int b = e / H, h = e % H;
  o.q = (size_t)b * Tq * H * D + (size_t)h * D;
  o.o = o.q;
  o.kv = (size_t)b * Tk * KV * D + (size_t)(h / (H / KV)) * D;
  return o;
}

/* ------------------------------------------------------------------ reductions */

/* Online softmax statistics of a set of logits x_i, relative to its max m:
 *   s = sum exp(x_i - m), t = sum exp(x_i - m) (x_i - m),
 * so p_i = exp(x_i - m) / s and the entropy is log s - t / s; plus the two largest
 * values and the index of the largest (lowest index on ties). n counts the values. */
typedef struct dm_km_stat {
  float m, s, t;
  float v1, v2;
  int i1;
  int n;
} dm_km_stat;

DM_HD dm_km_stat dm_km_stat_init(void) {
  dm_km_stat a;
  a.m = -INFINITY;
  a.s = 0.0f;
  a.t = 0.0f;
  a.v1 = -INFINITY;
  a.v2 = -INFINITY;
  a.i1 = -1;
  a.n = 0;
  return a;
}

/* Merge b into a (the order of a and b does not matter up to rounding). */
DM_HD dm_km_stat dm_km_stat_merge(dm_km_stat a, dm_km_stat b) {
  if (b.n == 0) return a;
  if (a.n == 0) return b;
  dm_km_stat r;
  r.m = a.m > b.m ? a.m : b.m;
  float ea = expf(a.m - r.m), eb = expf(b.m - r.m);
  r.s = a.s * ea + b.s * eb;
  r.t = ea * (a.t + (a.m - r.m) * a.s) + eb * (b.t + (b.m - r.m) * b.s);
  int a_wins = a.v1 > b.v1 || (a.v1 == b.v1 && a.i1 < b.i1);
  r.v1 = a_wins ? a.v1 : b.v1;
  r.i1 = a_wins ? a.i1 : b.i1;
  float lose = a_wins ? b.v1 : a.v1;
  float w2 = a_wins ? a.v2 : b.v2;
  r.v2 = lose > w2 ? lose : w2;
  r.n = a.n + b.n;
  return r;
}

/* Add value x of index i. */
DM_HD dm_km_stat dm_km_stat_add(dm_km_stat a, float x, int i) {
  dm_km_stat b;
  b.m = x;
  b.s = 1.0f;
  b.t = 0.0f;
  b.v1 = x;
  b.v2 = -INFINITY;
  b.i1 = i;
  b.n = 1;
  return dm_km_stat_merge(a, b);
}

/* Is token i allowed by a bitmask row (NULL: all)? */
DM_HD int dm_km_allowed(const uint32_t *mask, int i) {
  return !mask || ((mask[i >> 5] >> (i & 31)) & 1u);
}

/* The statistics a decoder wants: argmax, p(top-1), p(top-1) - p(top-2), entropy. */
DM_HD void dm_km_stat_finish(dm_km_stat a, int32_t *argmax, float *max_prob, float *margin,
                             float *entropy) {
  if (a.n == 0 || !(a.s > 0.0f)) {
    *argmax = -1;
    *max_prob = 0.0f;
    *margin = 0.0f;
    *entropy = 0.0f;
    return;
  }
  float p1 = expf(a.v1 - a.m) / a.s;
  float p2 = a.n > 1 ? expf(a.v2 - a.m) / a.s : 0.0f;
  float h = logf(a.s) - a.t / a.s;
  *argmax = a.i1;
  *max_prob = p1;
  *margin = p1 - p2;
  *entropy = h > 0.0f ? h : 0.0f;
}

/* Softmax of an attention row: (max, sum of exp) merge, the first half of dm_km_stat. */
typedef struct dm_km_smax {
  float m, s;
} dm_km_smax;

DM_HD dm_km_smax dm_km_smax_merge(dm_km_smax a, dm_km_smax b) {
  if (b.s == 0.0f) return a;
  if (a.s == 0.0f) return b;
  dm_km_smax r;
  r.m = a.m > b.m ? a.m : b.m;
  r.s = a.s * expf(a.m - r.m) + b.s * expf(b.m - r.m);
  return r;
}

/* Threads per block of the row kernels (RMSNorm, softmax, row statistics) and the
 * reduction tree the device runs: each of the DM_KM_THREADS threads folds the
 * elements i = tid, tid + DM_KM_THREADS, ... in order; then partials merge pairwise
 * at strides 16, 8, 4, 2, 1 inside each warp of 32 (lane l takes lane l + stride),
 * and warp 0 merges the 8 warp results the same way. */
#define DM_KM_THREADS 256

#endif
