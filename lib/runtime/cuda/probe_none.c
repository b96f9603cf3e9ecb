/* Device probe when the CUDA backend is not compiled in. */
#include <string.h>

#include <dimple/runtime.h>

int dm_cuda_device_count(int *count, dm_error *err) {
  *count = 0;
  return dm_error_set(err, DM_EUNSUPPORTED,
                      "CUDA backend not compiled in (configure --with-cuda)");
}

int dm_cuda_device_info(int index, dm_device_info *out, dm_error *err) {
  (void)index;
  memset(out, 0, sizeof *out);
  return dm_error_set(err, DM_EUNSUPPORTED,
                      "CUDA backend not compiled in (configure --with-cuda)");
}
