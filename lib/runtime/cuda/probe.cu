/* CUDA device probe (compiled only with the CUDA backend).
 * Without a usable device or driver it reports a count of 0 and says why. */
#include <cuda_runtime.h>
#include <string.h>

#include <dimple/runtime.h>

extern "C" int dm_cuda_device_count(int *count, dm_error *err) {
  *count = 0;
  int n = 0;
  cudaError_t rc = cudaGetDeviceCount(&n);
  if (rc != cudaSuccess) {
    (void)cudaGetLastError(); /* clear the sticky error */
    if (rc == cudaErrorNoDevice)
      dm_error_set(err, DM_OK, "no CUDA device");
    else
      dm_error_set(err, DM_OK, "no CUDA device (%s: %s)", cudaGetErrorName(rc),
                   cudaGetErrorString(rc));
    return DM_OK;
  }
  *count = n;
  if (n == 0) dm_error_set(err, DM_OK, "no CUDA device");
  return DM_OK;
}

extern "C" int dm_cuda_device_info(int index, dm_device_info *out, dm_error *err) {
  int n = 0;
  dm_cuda_device_count(&n, NULL);
  if (index < 0 || index >= n)
    return dm_error_set(err, DM_ERANGE, "CUDA device %d does not exist (%d found)", index, n);
  cudaDeviceProp prop;
  cudaError_t rc = cudaGetDeviceProperties(&prop, index);
  if (rc != cudaSuccess)
    return dm_error_set(err, DM_EDEVICE, "cudaGetDeviceProperties(%d): %s", index,
                        cudaGetErrorString(rc));
  memset(out, 0, sizeof *out);
  out->index = index;
  strncpy(out->name, prop.name, sizeof out->name - 1);
  out->total_memory = prop.totalGlobalMem;
  out->cc_major = prop.major;
  out->cc_minor = prop.minor;
  return DM_OK;
}
