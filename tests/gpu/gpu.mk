# GPU tests (tests/gpu/): the CUDA kernels against their CPU twins, the CUDA forward
# against the CPU path and the golden fixtures, `dimple generate` on CPU vs CUDA.
# Each exits 77 (SKIP) with "no CUDA device" / "built without CUDA" when it cannot
# run, so CI (nvcc, no GPU) reports SKIP. tests/gpu/run.sh runs them and the
# benchmark on a lent GPU.
DM_GPU_TESTS = tests/gpu/test_cuda_kernels tests/gpu/test_cuda_forward
check_PROGRAMS += $(DM_GPU_TESTS)
TESTS += $(DM_GPU_TESTS) tests/gpu/generate.sh
EXTRA_DIST += tests/gpu/gpu.mk tests/gpu/generate.sh tests/gpu/run.sh tests/gpu/bundle.sh

tests_gpu_test_cuda_kernels_SOURCES = tests/gpu/test_cuda_kernels.c
tests_gpu_test_cuda_kernels_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime $(CUDA_CFLAGS)
tests_gpu_test_cuda_kernels_LDADD = lib/runtime/libdimple-runtime.la $(CUDA_LIBS) -lm

tests_gpu_test_cuda_forward_SOURCES = tests/gpu/test_cuda_forward.c
tests_gpu_test_cuda_forward_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS)
tests_gpu_test_cuda_forward_LDADD = lib/runtime/libdimple-runtime.la $(CJSON_LIBS) -lm

# The benchmark's host code on the CPU with small shapes (no GPU needed).
TESTS += tests/gpu/bench_smoke.sh
EXTRA_DIST += tests/gpu/bench_smoke.sh
