/* Version and build configuration of the runtime. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>

#include <dimple/runtime.h>

/* OpenBLAS's own description of itself: "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." */
extern char *openblas_get_config(void);

#ifndef DM_CUDA_DIR
#define DM_CUDA_DIR ""
#endif

const char *dm_version(void) { return PACKAGE_VERSION; }

void dm_build_info_get(dm_build_info *out) {
  out->version = PACKAGE_VERSION;
  out->blas = openblas_get_config();
#ifdef DM_HAVE_SBGEMM
  out->blas_sbgemm = 1;
#else
  out->blas_sbgemm = 0;
#endif
#ifdef DM_HAVE_CUDA
  out->cuda_compiled = 1;
  out->cuda_dir = DM_CUDA_DIR;
#else
  out->cuda_compiled = 0;
  out->cuda_dir = "";
#endif
#ifdef DM_SANITIZERS
  out->sanitizers = 1;
#else
  out->sanitizers = 0;
#endif
}
