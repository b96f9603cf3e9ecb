/* dimple/runtime.h — the Dimple model runtime (libdimple-runtime).
 *
 * The runtime is a library of its own: checkpoint loading, tensors, CPU (OpenBLAS)
 * and CUDA kernels, transformer forward with prompt KV cache, tokenizer and chat
 * templates. It knows nothing of priors or canvases.
 *
 * Ownership: every function says who owns what it takes and returns. Strings
 * returned as `const char *` are static unless stated otherwise.
 */
#ifndef DIMPLE_RUNTIME_H
#define DIMPLE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>
#include <dimple/version.h>
#include <dimple/tokenizer.h>
#include <dimple/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library version, e.g. "0.1.0" (static). May differ from DM_VERSION_STRING when a
 * program runs against a newer shared library. */
const char *dm_version(void);

/* ------------------------------------------------------------------ build info */

/* How the runtime was built. Plain value type; the strings are static. */
typedef struct dm_build_info {
  const char *version;     /* package version */
  const char *blas;        /* BLAS library and version, e.g. "OpenBLAS 0.3.21" */
  int blas_sbgemm;         /* 1 when cblas_sbgemm is exported and used */
  int cuda_compiled;       /* 1 when the CUDA backend is compiled in */
  const char *cuda_dir;    /* CUDA toolkit used at build time, "" when none */
  int sanitizers;          /* 1 for an ASan/UBSan build */
} dm_build_info;

/* Fill *out (must not be NULL). */
void dm_build_info_get(dm_build_info *out);

/* ------------------------------------------------------------------ devices */

typedef struct dm_device_info {
  int index;               /* CUDA device ordinal */
  char name[256];          /* e.g. "NVIDIA H100 80GB HBM3" */
  size_t total_memory;     /* bytes */
  int cc_major, cc_minor;  /* compute capability */
} dm_device_info;

/* Count CUDA devices into *count (must not be NULL).
 * Returns DM_OK with *count = 0 when the backend is compiled in but no device or
 * driver is usable (err, when not NULL, then says why, e.g. "no CUDA device");
 * DM_EUNSUPPORTED with *count = 0 when the CUDA backend is not compiled in. */
int dm_cuda_device_count(int *count, dm_error *err);

/* Describe device `index` into *out. DM_ERANGE for a bad index, DM_EUNSUPPORTED
 * without the CUDA backend, DM_EDEVICE on a driver error (detail in err). */
int dm_cuda_device_info(int index, dm_device_info *out, dm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_RUNTIME_H */
