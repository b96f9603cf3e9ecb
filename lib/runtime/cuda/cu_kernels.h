/* Launchers of the CUDA kernels (cu_kernels.cu), C-callable; every pointer named
 * d_* is device memory, `stream` is a cudaStream_t (NULL: the default stream).
 * Each launcher checks its arguments, launches asynchronously and returns DM_OK or
 * DM_EDEVICE / DM_EINVAL (message in err) — it checks cudaGetLastError after the
 * launch. Activation dtypes use dm_dtype (F32, BF16, F16). Each kernel has its CPU
 * reference twin (kernels_ref.c; dm_row_stats_compute for the reductions); the GPU
 * tests in tests/gpu/ compare them. Not installed. */
#ifndef DM_CUDA_KERNELS_H
#define DM_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/model.h>

#ifdef __cplusplus
extern "C" {
#endif

// ids (M), emb (rows, d) in dtype -> x (M, d) f32
int dm_cu_embed(const int32_t *d_ids, int M, const void *d_emb, int dtype, int d, float *d_x,
                void *stream, dm_error *err);
// x (M, C) f32, w (C) f32 -> y (M, C) in ydtype
int dm_cu_rmsnorm(const float *d_x, const float *d_w, int M, int C, float eps, void *d_y, int ydtype,
                  void *stream, dm_error *err);
// -> cs (T, D/2, 2) f32: cos and sin of positions [0, T) (dm_km_rope_cs)
int dm_cu_rope_table(float *d_cs, int T, int D, double theta, void *stream, dm_error *err);
// y (M, (H + 2 KV) D) in dtype [+ bias ((H + 2 KV) D) f32] -> RoPE on q and k heads at
// position q0 + r % Tq, then q (M, H D), and k, v at rows dm_km_kv_row(r, Tq, Tdst, off)
// of (.., KV D), all three in dtype (arithmetic in f32)
int dm_cu_qkv_post(const void *d_y, const float *d_bias, int M, int H, int KV, int D,
                   const float *d_cs, int Tq, int q0, int Tdst, int off, void *d_q, void *d_k,
                   void *d_v, int dtype, void *stream, dm_error *err);
// s (rows, Tk) f32 (already scaled), row ρ is query ρ % Tq at key position q0 + ρ % Tq
// -> p (rows, Tk) in pdtype: softmax over keys [0, limit), 0 beyond (p may alias s for F32)
int dm_cu_softmax(const float *d_s, size_t rows, int Tk, int Tq, int q0, int causal, void *d_p,
                  int pdtype, void *stream, dm_error *err);
// gu (M, 2 F) = [gate | up] -> y (M, F), both in dtype: silu(gate) * up in f32
int dm_cu_swiglu(const void *d_gu, int M, int F, void *d_y, int dtype, void *stream, dm_error *err);
// x (M, d) f32, idx (R) rows of x -> y (R, d) f32
int dm_cu_gather_rows(const float *d_x, const int32_t *d_idx, int R, int d, float *d_y, void *stream,
                      dm_error *err);
// logits (R, V) f32, allowed (R, ceil(V/32)) bits or NULL -> stats (R)
int dm_cu_row_stats(const float *d_logits, int R, int V, const uint32_t *d_allowed,
                    dm_row_stats *d_stats, void *stream, dm_error *err);
// -> y (n) in dtype: uniform values in [-1, 1) from a counter hash of (seed, i)
int dm_cu_fill_uniform(void *d_y, size_t n, int dtype, uint64_t seed, void *stream, dm_error *err);
// x (n) f32 -> y (n) in dtype (round to nearest even)
int dm_cu_convert(const float *d_x, size_t n, void *d_y, int dtype, void *stream, dm_error *err);

#ifdef __cplusplus
}
#endif
#endif
