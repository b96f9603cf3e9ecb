/* CUDA kernels of the forward pass and the decoder's row reductions. Element and
 * reduction logic comes from kmath.h (shared with the CPU tests); shapes are given at
 * each launcher in cu_kernels.h. Launch shapes: element kernels run grid-stride loops
 * of 256-thread blocks; row kernels run one 256-thread block (DM_KM_THREADS) per row. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cu_kernels.h"
#include "kmath.h"

/* ------------------------------------------------------------------ helpers */

__device__ __forceinline__ float ld(const float *p, size_t i) { return p[i]; }
__device__ __forceinline__ float ld(const __nv_bfloat16 *p, size_t i) { return __bfloat162float(p[i]); }
__device__ __forceinline__ float ld(const __half *p, size_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void st(float *p, size_t i, float v) { p[i] = v; }
__device__ __forceinline__ void st(__nv_bfloat16 *p, size_t i, float v) { p[i] = __float2bfloat16_rn(v); }
__device__ __forceinline__ void st(__half *p, size_t i, float v) { p[i] = __float2half_rn(v); }

static int launch_check(const char *what, dm_error *err) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    return dm_error_set(err, DM_EDEVICE, "CUDA kernel %s: %s", what, cudaGetErrorString(e));
  return DM_OK;
}

static unsigned grid_for(size_t n) {
  size_t g = (n + 255) / 256;
  if (g < 1) g = 1;
  if (g > (1u << 20)) g = 1u << 20; /* grid-stride loops cover the rest */
  return (unsigned)g;
}

static int bad_dtype(int dt) { return dt != DM_DTYPE_F32 && dt != DM_DTYPE_BF16 && dt != DM_DTYPE_F16; }

#define DISPATCH(dt, T, ...)                       \
  switch (dt) {                                    \
    case DM_DTYPE_F32: {                           \
      typedef float T;                             \
      __VA_ARGS__;                                 \
    } break;                                       \
    case DM_DTYPE_BF16: {                          \
      typedef __nv_bfloat16 T;                     \
      __VA_ARGS__;                                 \
    } break;                                       \
    default: {                                     \
      typedef __half T;                            \
      __VA_ARGS__;                                 \
    } break;                                       \
  }

#define GRID_STRIDE(i, n) \
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

/* Block-wide merge of per-thread partials in kmath.h's order. Needs blockDim.x ==
 * DM_KM_THREADS. The result is valid in thread 0 (and broadcast through shared
 * memory by the callers that need it everywhere). */
__device__ dm_km_stat shfl_stat(dm_km_stat a, int delta) {
  dm_km_stat b;
  b.m = __shfl_down_sync(0xffffffffu, a.m, delta);
  b.s = __shfl_down_sync(0xffffffffu, a.s, delta);
  b.t = __shfl_down_sync(0xffffffffu, a.t, delta);
  b.v1 = __shfl_down_sync(0xffffffffu, a.v1, delta);
  b.v2 = __shfl_down_sync(0xffffffffu, a.v2, delta);
  b.i1 = __shfl_down_sync(0xffffffffu, a.i1, delta);
  b.n = __shfl_down_sync(0xffffffffu, a.n, delta);
  return b;
}

__device__ dm_km_stat block_stat(dm_km_stat a) {
  __shared__ dm_km_stat part[DM_KM_THREADS / 32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    dm_km_stat b = shfl_stat(a, o);
    if (lane + o < 32) a = dm_km_stat_merge(a, b);
  }
  if (lane == 0) part[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < DM_KM_THREADS / 32 ? part[lane] : dm_km_stat_init();
    for (int o = 16; o > 0; o >>= 1) {
      dm_km_stat b = shfl_stat(a, o);
      if (lane + o < 32) a = dm_km_stat_merge(a, b);
    }
  }
  __syncthreads(); /* part[] may be reused by a later call */
  return a;
}

__device__ dm_km_smax block_smax(dm_km_smax a) {
  __shared__ dm_km_smax part[DM_KM_THREADS / 32];
  __shared__ dm_km_smax res;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    dm_km_smax b;
    b.m = __shfl_down_sync(0xffffffffu, a.m, o);
    b.s = __shfl_down_sync(0xffffffffu, a.s, o);
    if (lane + o < 32) a = dm_km_smax_merge(a, b);
  }
  if (lane == 0) part[warp] = a;
  __syncthreads();
  if (warp == 0) {
    if (lane < DM_KM_THREADS / 32) {
      a = part[lane];
    } else {
      a.m = -INFINITY;
      a.s = 0.0f;
    }
    for (int o = 16; o > 0; o >>= 1) {
      dm_km_smax b;
      b.m = __shfl_down_sync(0xffffffffu, a.m, o);
      b.s = __shfl_down_sync(0xffffffffu, a.s, o);
      if (lane + o < 32) a = dm_km_smax_merge(a, b);
    }
    if (lane == 0) res = a;
  }
  __syncthreads();
  return res;
}

__device__ float block_sum(float v) {
  __shared__ float part[DM_KM_THREADS / 32];
  __shared__ float res;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if (lane == 0) part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < DM_KM_THREADS / 32 ? part[lane] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if (lane == 0) res = v;
  }
  __syncthreads();
  return res;
}

/* ------------------------------------------------------------------ embedding */

// ids (M), emb (rows, d) -> x (M, d) f32
template <typename W>
__global__ void k_embed(const int32_t *ids, int M, const W *emb, int d, float *x) {
  size_t n = (size_t)M * d;
  GRID_STRIDE(i, n) {
    size_t r = i / (size_t)d, c = i % (size_t)d;
    x[i] = ld(emb, (size_t)ids[r] * d + c);
  }
}

extern "C" int dm_cu_embed(const int32_t *d_ids, int M, const void *d_emb, int dtype, int d, float *d_x,
                           void *stream, dm_error *err) {
  if (M < 0 || d < 1 || bad_dtype(dtype)) return dm_error_set(err, DM_EINVAL, "dm_cu_embed: bad arguments");
  if (M == 0) return DM_OK;
  size_t n = (size_t)M * d;
  DISPATCH(dtype, W, k_embed<W><<<grid_for(n), 256, 0, (cudaStream_t)stream>>>(d_ids, M, (const W *)d_emb, d, d_x));
  return launch_check("embed", err);
}

/* ------------------------------------------------------------------ RMSNorm */

// x (M, C), w (C) -> y (M, C)
template <typename Y>
__global__ void k_rmsnorm(const float *x, const float *w, int C, float eps, Y *y) {
  size_t row = blockIdx.x;
  const float *r = x + row * C;
  float ss = 0.0f;
  for (int c = threadIdx.x; c < C; c += blockDim.x) ss += r[c] * r[c];
  ss = block_sum(ss);
  float inv = rsqrtf(ss / (float)C + eps);
  for (int c = threadIdx.x; c < C; c += blockDim.x) st(y, row * C + c, w[c] * (r[c] * inv));
}

extern "C" int dm_cu_rmsnorm(const float *d_x, const float *d_w, int M, int C, float eps, void *d_y, int ydtype,
                             void *stream, dm_error *err) {
  if (M < 0 || C < 1 || bad_dtype(ydtype)) return dm_error_set(err, DM_EINVAL, "dm_cu_rmsnorm: bad arguments");
  if (M == 0) return DM_OK;
  DISPATCH(ydtype, Y, k_rmsnorm<Y><<<(unsigned)M, DM_KM_THREADS, 0, (cudaStream_t)stream>>>(d_x, d_w, C, eps, (Y *)d_y));
  return launch_check("rmsnorm", err);
}

/* ------------------------------------------------------------------ RoPE + QKV split */

// -> cs (T, D/2, 2)
__global__ void k_rope_table(float *cs, int T, int D, double theta) {
  size_t n = (size_t)T * (D / 2);
  GRID_STRIDE(i, n) {
    int pos = (int)(i / (size_t)(D / 2)), j = (int)(i % (size_t)(D / 2));
    float c, s;
    dm_km_rope_cs(pos, j, D, theta, &c, &s);
    cs[2 * i] = c;
    cs[2 * i + 1] = s;
  }
}

extern "C" int dm_cu_rope_table(float *d_cs, int T, int D, double theta, void *stream, dm_error *err) {
  if (T < 1 || D < 2 || D % 2) return dm_error_set(err, DM_EINVAL, "dm_cu_rope_table: bad arguments");
  size_t n = (size_t)T * (D / 2);
  k_rope_table<<<grid_for(n), 256, 0, (cudaStream_t)stream>>>(d_cs, T, D, theta);
  return launch_check("rope_table", err);
}

// y (M, (H + 2KV) D) [+ bias] -> q (M, H D), k/v (rows dm_km_kv_row, KV D)
template <typename A>
__global__ void k_qkv_post(const A *y, const float *bias, int M, int H, int KV, int D, const float *cs,
                           int Tq, int q0, int Tdst, int off, A *q, A *k, A *v) {
  int hd = D / 2, W = (H + 2 * KV) * D;
  size_t n = (size_t)M * (H + 2 * KV) * hd;
  GRID_STRIDE(i, n) {
    dm_km_qkv_idx ix = dm_km_qkv_split(i, H, KV, D);
    size_t col = (size_t)ix.hs * D + ix.j;
    float a = ld(y, ix.r * W + col), b = ld(y, ix.r * W + col + hd);
    if (bias) {
      a += bias[col];
      b += bias[col + hd];
    }
    int pos = q0 + (int)(ix.r % (size_t)Tq);
    if (ix.hs < H + KV) {
      const float *e = cs + ((size_t)pos * hd + ix.j) * 2;
      dm_km_rope_pair(&a, &b, e[0], e[1]);
    }
    if (ix.hs < H) {
      size_t o = ix.r * (size_t)H * D + (size_t)ix.hs * D + ix.j;
      st(q, o, a);
      st(q, o + hd, b);
    } else {
      int kh = ix.hs < H + KV ? ix.hs - H : ix.hs - H - KV;
      A *dst = ix.hs < H + KV ? k : v;
      size_t o = dm_km_kv_row(ix.r, Tq, Tdst, off) * (size_t)KV * D + (size_t)kh * D + ix.j;
      st(dst, o, a);
      st(dst, o + hd, b);
    }
  }
}

extern "C" int dm_cu_qkv_post(const void *d_y, const float *d_bias, int M, int H, int KV, int D,
                              const float *d_cs, int Tq, int q0, int Tdst, int off, void *d_q, void *d_k,
                              void *d_v, int dtype, void *stream, dm_error *err) {
  if (M < 0 || H < 1 || KV < 1 || H % KV || D < 2 || D % 2 || Tq < 1 || q0 < 0 || off < 0 ||
      Tdst < off + Tq || bad_dtype(dtype))
    return dm_error_set(err, DM_EINVAL, "dm_cu_qkv_post: bad arguments");
  if (M == 0) return DM_OK;
  size_t n = (size_t)M * (H + 2 * KV) * (D / 2);
  DISPATCH(dtype, A,
           k_qkv_post<A><<<grid_for(n), 256, 0, (cudaStream_t)stream>>>((const A *)d_y, d_bias, M, H, KV, D, d_cs, Tq, q0, Tdst,
                                                                      off, (A *)d_q, (A *)d_k, (A *)d_v));
  return launch_check("qkv_post", err);
}

/* ------------------------------------------------------------------ softmax */

// s (rows, Tk) -> p (rows, Tk); row ρ = query ρ % Tq
template <typename P>
__global__ void k_softmax(const float *s, int Tk, int Tq, int q0, int causal, P *p) {
  size_t row = blockIdx.x;
  int lim = dm_km_key_limit((int)(row % (size_t)Tq), q0, Tk, causal);
  const float *r = s + row * Tk;
  /* each thread: max, then sum of exp over its own keys (one exp per key), then the
   * block merges the 256 partials */
  dm_km_smax a;
  a.m = -INFINITY;
  a.s = 0.0f;
  for (int j = threadIdx.x; j < lim; j += blockDim.x) a.m = fmaxf(a.m, r[j]);
  for (int j = threadIdx.x; j < lim; j += blockDim.x) a.s += expf(r[j] - a.m);
  a = block_smax(a);
  float inv = a.s > 0.0f ? 1.0f / a.s : 0.0f;
  for (int j = threadIdx.x; j < Tk; j += blockDim.x) st(p, row * Tk + j, j < lim ? expf(r[j] - a.m) * inv : 0.0f);
}

extern "C" int dm_cu_softmax(const float *d_s, size_t rows, int Tk, int Tq, int q0, int causal, void *d_p,
                             int pdtype, void *stream, dm_error *err) {
  if (Tk < 1 || Tq < 1 || q0 < 0 || rows > 0x7fffffffu || bad_dtype(pdtype))
    return dm_error_set(err, DM_EINVAL, "dm_cu_softmax: bad arguments");
  if (rows == 0) return DM_OK;
  DISPATCH(pdtype, P,
           k_softmax<P><<<(unsigned)rows, DM_KM_THREADS, 0, (cudaStream_t)stream>>>(d_s, Tk, Tq, q0, causal, (P *)d_p));
  return launch_check("softmax", err);
}

/* ------------------------------------------------------------------ SwiGLU */

// gu (M, 2F) -> y (M, F)
template <typename Y>
__global__ void k_swiglu(const Y *gu, int M, int F, Y *y) {
  size_t n = (size_t)M * F;
  GRID_STRIDE(i, n) {
    size_t r = i / (size_t)F, c = i % (size_t)F;
    float g = ld(gu, r * 2 * F + c), u = ld(gu, r * 2 * F + F + c);
    st(y, i, g / (1.0f + expf(-g)) * u);
  }
}

extern "C" int dm_cu_swiglu(const void *d_gu, int M, int F, void *d_y, int dtype, void *stream, dm_error *err) {
  if (M < 0 || F < 1 || bad_dtype(dtype)) return dm_error_set(err, DM_EINVAL, "dm_cu_swiglu: bad arguments");
  if (M == 0) return DM_OK;
  size_t n = (size_t)M * F;
  DISPATCH(dtype, Y, k_swiglu<Y><<<grid_for(n), 256, 0, (cudaStream_t)stream>>>((const Y *)d_gu, M, F, (Y *)d_y));
  return launch_check("swiglu", err);
}

/* ------------------------------------------------------------------ rows, convert */

// x (M, d), idx (R) -> y (R, d)
__global__ void k_gather_rows(const float *x, const int32_t *idx, int R, int d, float *y) {
  size_t n = (size_t)R * d;
  GRID_STRIDE(i, n) {
    size_t r = i / (size_t)d, c = i % (size_t)d;
    y[i] = x[(size_t)idx[r] * d + c];
  }
}

extern "C" int dm_cu_gather_rows(const float *d_x, const int32_t *d_idx, int R, int d, float *d_y, void *stream,
                                 dm_error *err) {
  if (R < 0 || d < 1) return dm_error_set(err, DM_EINVAL, "dm_cu_gather_rows: bad arguments");
  if (R == 0) return DM_OK;
  size_t n = (size_t)R * d;
  k_gather_rows<<<grid_for(n), 256, 0, (cudaStream_t)stream>>>(d_x, d_idx, R, d, d_y);
  return launch_check("gather_rows", err);
}

template <typename Y>
__global__ void k_convert(const float *x, size_t n, Y *y) {
  GRID_STRIDE(i, n) st(y, i, x[i]);
}

extern "C" int dm_cu_convert(const float *d_x, size_t n, void *d_y, int dtype, void *stream, dm_error *err) {
  if (bad_dtype(dtype)) return dm_error_set(err, DM_EINVAL, "dm_cu_convert: bad dtype");
  if (n == 0) return DM_OK;
  DISPATCH(dtype, Y, k_convert<Y><<<grid_for(n), 256, 0, (cudaStream_t)stream>>>(d_x, n, (Y *)d_y));
  return launch_check("convert", err);
}

template <typename Y>
__global__ void k_fill_uniform(Y *y, size_t n, uint64_t seed) {
  GRID_STRIDE(i, n) {
    uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    st(y, i, (float)(z >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f);
  }
}

extern "C" int dm_cu_fill_uniform(void *d_y, size_t n, int dtype, uint64_t seed, void *stream, dm_error *err) {
  if (bad_dtype(dtype)) return dm_error_set(err, DM_EINVAL, "dm_cu_fill_uniform: bad dtype");
  if (n == 0) return DM_OK;
  DISPATCH(dtype, Y, k_fill_uniform<Y><<<grid_for(n), 256, 0, (cudaStream_t)stream>>>((Y *)d_y, n, seed));
  return launch_check("fill_uniform", err);
}

/* ------------------------------------------------------------------ row statistics */

// logits (R, V), allowed (R, ceil(V/32)) or NULL -> stats (R)
__global__ void k_row_stats(const float *logits, int V, const uint32_t *allowed, dm_row_stats *out) {
  size_t row = blockIdx.x;
  const float *x = logits + row * V;
  const uint32_t *mask = allowed ? allowed + row * ((size_t)(V + 31) / 32) : NULL;
  dm_km_stat a = dm_km_stat_init();
  dm_km_smax all; /* softmax normaliser over every token, for prob_all */
  all.m = -INFINITY;
  all.s = 0.0f;
  for (int i = threadIdx.x; i < V; i += blockDim.x) {
    if (dm_km_allowed(mask, i)) a = dm_km_stat_add(a, x[i], i);
    all.m = fmaxf(all.m, x[i]);
  }
  for (int i = threadIdx.x; i < V; i += blockDim.x) all.s += expf(x[i] - all.m);
  a = block_stat(a);
  all = block_smax(all);
  if (threadIdx.x == 0) {
    dm_row_stats r;
    dm_km_stat_finish(a, &r.argmax, &r.max_prob, &r.margin, &r.entropy);
    r.prob_all = a.n > 0 && all.s > 0.0f ? expf(a.v1 - all.m) / all.s : 0.0f;
    out[row] = r;
  }
}

extern "C" int dm_cu_row_stats(const float *d_logits, int R, int V, const uint32_t *d_allowed,
                               dm_row_stats *d_stats, void *stream, dm_error *err) {
  if (R < 0 || V < 1) return dm_error_set(err, DM_EINVAL, "dm_cu_row_stats: bad arguments");
  if (R == 0) return DM_OK;
  k_row_stats<<<(unsigned)R, DM_KM_THREADS, 0, (cudaStream_t)stream>>>(d_logits, V, d_allowed, d_stats);
  return launch_check("row_stats", err);
}
