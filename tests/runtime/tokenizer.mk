# Tokenizer tests.
#
# test_tokenizer        unit tests on small tokenizer.json texts built in the test
# test_tokenizer_real   golden cases (../shared/data/tokenizer-cases.json) and checks
#                       on the real Qwen3 / Llama 3 / Llama 2 vocabularies; SKIP (77)
#                       without the npm cache (tests/runtime/fetch-tokenizers.sh)
# test_tokenizer_fuzz   seeded mutations of tokenizer.json and of encode inputs
# tokenizer-parity.sh   id-for-id parity with @lenml/tokenizers in node on the
#                       generated corpus (tests/data/tokenizer/gen-corpus.py)
DM_TOK_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime/tokenizer $(PCRE2_CFLAGS) $(CJSON_CFLAGS)
if HAVE_CHECK
check_PROGRAMS += tests/runtime/test_tokenizer tests/runtime/test_tokenizer_real \
	tests/runtime/test_tokenizer_fuzz
TESTS += tests/runtime/test_tokenizer tests/runtime/test_tokenizer_real \
	tests/runtime/test_tokenizer_fuzz
endif
check_PROGRAMS += tests/runtime/tok_parity
TESTS += tests/runtime/tokenizer-parity.sh
EXTRA_DIST += tests/runtime/tokenizer-parity.sh tests/runtime/fetch-tokenizers.sh

tests_runtime_test_tokenizer_SOURCES = tests/runtime/test_tokenizer.c
tests_runtime_test_tokenizer_CPPFLAGS = $(DM_TOK_TEST_CPPFLAGS)
tests_runtime_test_tokenizer_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_tokenizer_LDADD = lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS) $(PCRE2_LIBS) \
	$(PTHREAD_LIBS)

tests_runtime_test_tokenizer_real_SOURCES = tests/runtime/test_tokenizer_real.c
tests_runtime_test_tokenizer_real_CPPFLAGS = $(DM_TOK_TEST_CPPFLAGS)
tests_runtime_test_tokenizer_real_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_tokenizer_real_LDADD = lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS) $(CJSON_LIBS)

tests_runtime_test_tokenizer_fuzz_SOURCES = tests/runtime/test_tokenizer_fuzz.c
tests_runtime_test_tokenizer_fuzz_CPPFLAGS = $(DM_TOK_TEST_CPPFLAGS)
tests_runtime_test_tokenizer_fuzz_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_runtime_test_tokenizer_fuzz_LDADD = lib/runtime/libdimple-runtime.la $(DM_TEST_LIBS)

tests_runtime_tok_parity_SOURCES = tests/runtime/tok_parity.c
tests_runtime_tok_parity_LDADD = lib/runtime/libdimple-runtime.la

# CLI tests of tokenize/detokenize (small committed tokenizer, made by gen-tiny.py).
DM_CLI_TESTS += tests/cli/tokenize.sh
