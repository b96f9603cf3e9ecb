# Tests: check-based unit tests per library, shell-level CLI tests.
# `make check` prints each test's result and check's own summary line, then the
# total as "N passed, N failed" (tests/summary.sh).

AM_TESTS_ENVIRONMENT = \
	DM_TEST_SRCDIR='$(abs_top_srcdir)'; export DM_TEST_SRCDIR; \
	DM_TEST_BUILDDIR='$(abs_top_builddir)'; export DM_TEST_BUILDDIR; \
	DIMPLE='$(abs_top_builddir)/cli/dimple'; export DIMPLE; \
	DM_EXPECT_CUDA='$(DM_EXPECT_CUDA)'; export DM_EXPECT_CUDA; \
	ASAN_OPTIONS='protect_shadow_gap=0:detect_leaks=1'; export ASAN_OPTIONS; \
	UBSAN_OPTIONS='print_stacktrace=1:halt_on_error=1'; export UBSAN_OPTIONS;
if HAVE_CUDA
DM_EXPECT_CUDA = yes
else
DM_EXPECT_CUDA = no
endif

# Show check's summary line ("100%: Checks: N, Failures: 0, Errors: 0") next to
# each PASS/FAIL line.
LOG_DRIVER = $(SHELL) $(top_srcdir)/build-aux/check-log-driver $(SHELL) $(top_srcdir)/build-aux/test-driver
EXTRA_DIST += build-aux/check-log-driver tests/summary.sh tests/data tests/reference tests/testrng.h tests/testfile.h tests/realvocab.h tests/checkmain.h tests/runtime/kerneltest.h

DM_TEST_CFLAGS = $(CHECK_CFLAGS)
DM_TEST_LIBS = $(CHECK_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/runtime/test_status tests/prior/test_bitset tests/prior/test_dfa_min tests/prior/test_schema_cache tests/prior/test_regex \
	tests/prior/test_schema tests/prior/test_feasible tests/prior/test_tokauto tests/prior/test_filler tests/prior/test_anyorder_regex tests/prior/test_feasible_real tests/prior/test_grammars tests/prior/test_canvas tests/prior/test_template tests/prior/test_forms tests/prior/test_schema_suite tests/prior/test_prior_fuzz tests/prior/test_canvas_fill tests/decode/test_rng tests/decode/test_decode
TESTS += tests/runtime/test_status tests/prior/test_bitset tests/prior/test_dfa_min tests/prior/test_schema_cache tests/prior/test_regex \
	tests/prior/test_schema tests/prior/test_feasible tests/prior/test_tokauto tests/prior/test_filler tests/prior/test_anyorder_regex tests/prior/test_feasible_real tests/prior/test_grammars tests/prior/test_canvas tests/prior/test_template tests/prior/test_forms tests/prior/test_schema_suite tests/prior/test_prior_fuzz tests/prior/test_canvas_fill tests/decode/test_rng tests/decode/test_decode
endif

tests_runtime_test_status_SOURCES = tests/runtime/test_status.c
tests_runtime_test_status_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_status_LDADD = lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_bitset_SOURCES = tests/prior/test_bitset.c
tests_prior_test_bitset_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_bitset_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_dfa_min_SOURCES = tests/prior/test_dfa_min.c
tests_prior_test_dfa_min_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_dfa_min_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_schema_cache_SOURCES = tests/prior/test_schema_cache.c
tests_prior_test_schema_cache_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(CJSON_CFLAGS)
tests_prior_test_schema_cache_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(PTHREAD_LIBS) $(DM_TEST_LIBS)

tests_prior_test_regex_SOURCES = tests/prior/test_regex.c
tests_prior_test_regex_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(PCRE2_CFLAGS) $(CJSON_CFLAGS)
tests_prior_test_regex_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(PCRE2_LIBS) $(CJSON_LIBS) $(DM_TEST_LIBS)

tests_prior_test_schema_SOURCES = tests/prior/test_schema.c
tests_prior_test_schema_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(CJSON_CFLAGS)
tests_prior_test_schema_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(DM_TEST_LIBS)

tests_prior_test_feasible_SOURCES = tests/prior/test_feasible.c
tests_prior_test_feasible_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(CJSON_CFLAGS) $(PCRE2_CFLAGS)
tests_prior_test_feasible_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(PCRE2_LIBS) $(DM_TEST_LIBS)

tests_prior_test_tokauto_SOURCES = tests/prior/test_tokauto.c
tests_prior_test_tokauto_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(CJSON_CFLAGS)
tests_prior_test_tokauto_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(DM_TEST_LIBS)

tests_prior_test_filler_SOURCES = tests/prior/test_filler.c
tests_prior_test_filler_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_filler_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_anyorder_regex_SOURCES = tests/prior/test_anyorder_regex.c
tests_prior_test_anyorder_regex_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(PCRE2_CFLAGS)
tests_prior_test_anyorder_regex_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(PCRE2_LIBS) $(DM_TEST_LIBS)

tests_prior_test_feasible_real_SOURCES = tests/prior/test_feasible_real.c
tests_prior_test_feasible_real_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(CJSON_CFLAGS)
tests_prior_test_feasible_real_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(DM_TEST_LIBS)

tests_prior_test_grammars_SOURCES = tests/prior/test_grammars.c
tests_prior_test_grammars_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(PCRE2_CFLAGS)
tests_prior_test_grammars_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(PCRE2_LIBS) $(DM_TEST_LIBS)

tests_prior_test_canvas_SOURCES = tests/prior/test_canvas.c
tests_prior_test_canvas_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_canvas_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_template_SOURCES = tests/prior/test_template.c
tests_prior_test_template_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_template_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_forms_SOURCES = tests/prior/test_forms.c
tests_prior_test_forms_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_forms_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_schema_suite_SOURCES = tests/prior/test_schema_suite.c
tests_prior_test_schema_suite_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS) $(CJSON_CFLAGS)
tests_prior_test_schema_suite_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(DM_TEST_LIBS)

tests_prior_test_prior_fuzz_SOURCES = tests/prior/test_prior_fuzz.c
tests_prior_test_prior_fuzz_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_prior_fuzz_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_prior_test_canvas_fill_SOURCES = tests/prior/test_canvas_fill.c
tests_prior_test_canvas_fill_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_prior_test_canvas_fill_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_decode_test_rng_SOURCES = tests/decode/test_rng.c
tests_decode_test_rng_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_decode_test_rng_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_decode_test_decode_SOURCES = tests/decode/test_decode.c
tests_decode_test_decode_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_decode_test_decode_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS) -lm

check_PROGRAMS += tests/prior/anyorder_gen
tests_prior_anyorder_gen_SOURCES = tests/prior/anyorder_gen.c
tests_prior_anyorder_gen_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_prior_anyorder_gen_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
TESTS += tests/prior/anyorder.sh
EXTRA_DIST += tests/prior/anyorder.sh tests/prior/validate.py tests/prior/regexgen.h

DM_CLI_TESTS = tests/cli/basics.sh tests/cli/info.sh tests/cli/device.sh tests/cli/check.sh tests/cli/compile.sh tests/cli/generate.sh
TESTS += $(DM_CLI_TESTS)
EXTRA_DIST += $(DM_CLI_TESTS) tests/cli/lib.sh

# The corpus generator for the embedded default model (train/corpus.py).
TESTS += tests/train/corpus.sh
EXTRA_DIST += tests/train/corpus.sh
# The model trainer's CLI: smoke run, resume, errors (dimple train).
DM_CLI_TESTS += tests/train/train.sh

# The grand total, after the test suite ran (used by ./quickstart and .ci/run).
check-summary:
	@$(SHELL) $(top_srcdir)/tests/summary.sh $(top_builddir)/tests
.PHONY: check-summary

include tests/runtime/tokenizer.mk
include tests/runtime/model.mk
include tests/gpu/gpu.mk
include tests/train/bpe.mk
include tests/cli/eval.mk

# make installcheck (run by make distcheck): build a program against the installed
# headers and libraries through the installed pkg-config files, and run it.
EXTRA_DIST += tests/install/consumer.c
installcheck-local:
	$(MKDIR_P) tests/install
	PKG_CONFIG_PATH='$(DESTDIR)$(pkgconfigdir)' PKG_CONFIG_SYSROOT_DIR='$(DESTDIR)' ; \
	export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR ; \
	$(CC) $(CFLAGS) -o tests/install/consumer $(srcdir)/tests/install/consumer.c \
	  `$(PKG_CONFIG) --cflags --libs dimple` && \
	LD_LIBRARY_PATH='$(DESTDIR)$(libdir)' ./tests/install/consumer && \
	'$(DESTDIR)$(bindir)/dimple' --version
	rm -f tests/install/consumer

# The decoder's guarantee: random tiny models fill priors/, random regexes and
# templates and the JSON-Schema-Test-Suite's schemas; every output in the language.
check_PROGRAMS += tests/decode/guarantee_gen
tests_decode_guarantee_gen_SOURCES = tests/decode/guarantee_gen.c
tests_decode_guarantee_gen_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_decode_guarantee_gen_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
TESTS += tests/decode/guarantee.sh tests/decode/guarantee_suite.sh
EXTRA_DIST += tests/decode/guarantee.sh tests/decode/guarantee_suite.sh
