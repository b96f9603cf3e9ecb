/* The CUDA backend as the model runtime sees it (not installed). Compiled from
 * cu_model.cu / cu_kernels.cu when configure finds nvcc; otherwise cuda_none.c gives
 * the same functions, each failing with DM_EUNSUPPORTED "built without CUDA". */
#ifndef DM_CUDA_BACKEND_H
#define DM_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/model.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dm_model;
struct dm_kvcache;
typedef struct dm_cuda_model dm_cuda_model; /* weights on one device, stream, cuBLAS */
typedef struct dm_cuda_cache dm_cuda_cache; /* a prefill cache's K/V on the device */

/* Upload the weights of the loaded host model m (in their file dtype, or converted to
 * f32 when f32 is 1) to CUDA device `device`. *out is owned by the caller
 * (dm_cuda_model_free). DM_EUNSUPPORTED without the backend, DM_EDEVICE for "no CUDA
 * device" and driver errors (detail in err). */
int dm_cuda_model_new(const struct dm_model *m, int device, int f32, dm_cuda_model **out, dm_error *err);
void dm_cuda_model_free(dm_cuda_model *cm); /* NULL: no-op */
/* Bytes of device memory the weights hold. */
uint64_t dm_cuda_model_bytes(const dm_cuda_model *cm);

/* The forward pass on the device; the batch was checked by dm_forward (and, for
 * PREFILL, the host side of the cache records B, C and the ids). Exactly one of
 * logits (n_rows x vocab, host) and stats (n_rows, host) is not NULL; allowed is the
 * bitmask of dm_forward_stats (NULL: all tokens). */
int dm_cuda_forward(struct dm_model *m, const dm_forward_batch *b, float *logits,
                    const uint32_t *allowed, dm_row_stats *stats, dm_error *err);

void dm_cuda_cache_free(dm_cuda_cache *c); /* NULL: no-op */
size_t dm_cuda_cache_bytes(const dm_cuda_cache *c);

#ifdef __cplusplus
}
#endif
#endif
