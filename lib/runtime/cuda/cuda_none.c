/* The CUDA backend's entry points when it is not compiled in (configure found no
 * nvcc): each says so with DM_EUNSUPPORTED. */
#include <stddef.h>

#include "cuda_backend.h"

#define NO_CUDA "built without CUDA (configure --with-cuda with nvcc installed)"

int dm_cuda_model_new(const struct dm_model *m, int device, int f32, dm_cuda_model **out, dm_error *err) {
  (void)m;
  (void)device;
  (void)f32;
  *out = NULL;
  return dm_error_set(err, DM_EUNSUPPORTED, "CUDA device requested but dimple was " NO_CUDA);
}

void dm_cuda_model_free(dm_cuda_model *cm) { (void)cm; }

uint64_t dm_cuda_model_bytes(const dm_cuda_model *cm) {
  (void)cm;
  return 0;
}

int dm_cuda_forward(struct dm_model *m, const dm_forward_batch *b, float *logits, const uint32_t *allowed,
                    dm_row_stats *stats, dm_error *err) {
  (void)m;
  (void)b;
  (void)logits;
  (void)allowed;
  (void)stats;
  return dm_error_set(err, DM_EUNSUPPORTED, NO_CUDA);
}

void dm_cuda_cache_free(dm_cuda_cache *c) { (void)c; }

size_t dm_cuda_cache_bytes(const dm_cuda_cache *c) {
  (void)c;
  return 0;
}

int dm_cuda_gemm_peak(int device_index, int m, int n, int k, int reps, double *tflops, dm_error *err) {
  (void)device_index;
  (void)m;
  (void)n;
  (void)k;
  (void)reps;
  *tflops = 0;
  return dm_error_set(err, DM_EUNSUPPORTED, NO_CUDA);
}
