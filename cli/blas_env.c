/* Make OpenBLAS use the kernels this CPU supports.
 *
 * OpenBLAS (DYNAMIC_ARCH builds, as in Debian) chooses its kernels in a library
 * constructor, before main, and some virtual CPUs are misdetected (an AVX-512 Xeon
 * under KVM shows up as "Prescott": SSE3 kernels, several times slower). When
 * OPENBLAS_CORETYPE is unset and the library's choice is weaker than what the CPU
 * supports (dm_blas_better_coretype), the program sets OPENBLAS_CORETYPE and
 * re-executes itself once. DIMPLE_NO_REEXEC=1 disables this; an explicit
 * OPENBLAS_CORETYPE is always respected. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

void dm_cli_blas_env(char **argv) {
  if (getenv("OPENBLAS_CORETYPE") || getenv("DIMPLE_NO_REEXEC")) return;
  if (getenv("DIMPLE_BLAS_REEXEC")) return; /* already tried once */
  const char *better = dm_blas_better_coretype();
  if (!better) return;
  if (setenv("OPENBLAS_CORETYPE", better, 1) != 0 || setenv("DIMPLE_BLAS_REEXEC", "1", 1) != 0)
    return;
  fflush(NULL);
  execv("/proc/self/exe", argv);
  /* exec failed: carry on with the core OpenBLAS chose */
  unsetenv("OPENBLAS_CORETYPE");
}
