# Model runtime tests.
DM_MODEL_TESTS = tests/runtime/test_safetensors tests/runtime/test_kernels \
	tests/runtime/test_forward tests/runtime/test_golden tests/runtime/test_amx \
	tests/runtime/test_cuda_math
if HAVE_CHECK
check_PROGRAMS += $(DM_MODEL_TESTS)
TESTS += $(DM_MODEL_TESTS)
endif
DM_MODEL_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime $(CJSON_CFLAGS)
DM_MODEL_TEST_LDADD = lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS) $(CJSON_LIBS) -lm

tests_runtime_test_safetensors_SOURCES = tests/runtime/test_safetensors.c
tests_runtime_test_safetensors_CPPFLAGS = $(DM_MODEL_TEST_CPPFLAGS)
tests_runtime_test_safetensors_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_safetensors_LDADD = $(DM_MODEL_TEST_LDADD)

tests_runtime_test_kernels_SOURCES = tests/runtime/test_kernels.c
tests_runtime_test_kernels_CPPFLAGS = $(DM_MODEL_TEST_CPPFLAGS)
tests_runtime_test_kernels_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_kernels_LDADD = $(DM_MODEL_TEST_LDADD)

tests_runtime_test_forward_SOURCES = tests/runtime/test_forward.c
tests_runtime_test_forward_CPPFLAGS = $(DM_MODEL_TEST_CPPFLAGS)
tests_runtime_test_forward_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_forward_LDADD = $(DM_MODEL_TEST_LDADD)

tests_runtime_test_amx_SOURCES = tests/runtime/test_amx.c
tests_runtime_test_amx_CPPFLAGS = $(DM_MODEL_TEST_CPPFLAGS)
tests_runtime_test_amx_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_amx_LDADD = $(DM_MODEL_TEST_LDADD)

tests_runtime_test_golden_SOURCES = tests/runtime/test_golden.c
tests_runtime_test_golden_CPPFLAGS = $(DM_MODEL_TEST_CPPFLAGS)
tests_runtime_test_golden_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_golden_LDADD = $(DM_MODEL_TEST_LDADD)

tests_runtime_test_cuda_math_SOURCES = tests/runtime/test_cuda_math.c
tests_runtime_test_cuda_math_CPPFLAGS = $(DM_MODEL_TEST_CPPFLAGS)
tests_runtime_test_cuda_math_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_cuda_math_LDADD = $(DM_MODEL_TEST_LDADD)

DM_CLI_TESTS += tests/cli/model.sh
TESTS += tests/cli/model.sh
EXTRA_DIST += tests/cli/model.sh
