#!/bin/sh
# Build with CUDA HERE (a machine with nvcc and the build dependencies: ./quickstart)
# and pack what tests/gpu/run.sh needs on a bare GPU machine into gpu-bundle.tar.gz
# at the repository root (git-ignored): the real (non-libtool-wrapper) programs
# dimple, test_cuda_kernels, test_cuda_forward and cuda_bench, libdimple*.so and
# the non-system libraries they load (OpenBLAS, cJSON, PCRE2, libyaml, utf8proc, ...).
# The CUDA libraries (cudart, cuBLAS) are not packed: the GPU machine has them.
#
#   sh tests/gpu/bundle.sh            (from the repository root; ~3-5 min on 2 cores)
#
# Then, in one device call from the same checkout:
#   run(command="sh tests/gpu/run.sh", carry=["gpu-bundle.tar.gz"], timeout_s=540)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD_DIR:-$ROOT/_build-gpu}
JOBS=${JOBS:-2}
cd "$ROOT"
[ -x configure ] || autoreconf -fi
mkdir -p "$B"
cd "$B"
[ -f Makefile ] || "$ROOT/configure" --with-cuda
grep -q '^#define DM_HAVE_CUDA 1' config.h || { echo "bundle.sh: $B is not configured with CUDA" >&2; exit 1; }
make -j"$JOBS"
make -j"$JOBS" check TESTS= >/dev/null # the test programs, not run

S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
G=$S/gpu-bundle
mkdir -p "$G/bin" "$G/lib"
for p in cli/dimple tests/gpu/test_cuda_kernels tests/gpu/test_cuda_forward bench/cuda_bench; do
  real=$(dirname "$p")/.libs/$(basename "$p")
  [ -f "$real" ] || real=$p
  cp "$real" "$G/bin/$(basename "$p")"
done
LIBS=$B/lib/.libs:$B/lib/runtime/.libs
# every shared library the programs load, but libc & co., the C++ runtime and CUDA's
LD_LIBRARY_PATH=$LIBS ldd "$G"/bin/* | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
  grep -v -E '^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcublasLt)\.so' |
  grep -v 'ld-linux' |
  while read -r name path; do cp -L "$path" "$G/lib/$name"; done
( cd "$G/bin" && LD_LIBRARY_PATH=$G/lib ./dimple --version ) >/dev/null || { echo "bundle.sh: the packed dimple does not run" >&2; exit 1; }
git -C "$ROOT" rev-parse --short HEAD >"$G/commit" 2>/dev/null || true
tar -C "$S" -czf "$ROOT/gpu-bundle.tar.gz" gpu-bundle
ls -l "$ROOT/gpu-bundle.tar.gz"
echo "bundle.sh: ready; carry gpu-bundle.tar.gz with tests/gpu/run.sh"
