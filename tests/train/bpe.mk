# Tests of the BPE tokenizer trainer (train/bpe.c).
#
# test_bpe                 check: hand-computed merges and ties, vocabulary size,
#                          round trips, determinism, errors
# tests/cli/train-tokenizer.sh  the CLI: output files, determinism, loading, exit codes
# tests/train/bpe-parity.sh     id parity with @lenml/tokenizers in node on a trained
#                          tokenizer; SKIP (77) without node or the npm cache
if HAVE_CHECK
check_PROGRAMS += tests/train/test_bpe
TESTS += tests/train/test_bpe
endif
tests_train_test_bpe_SOURCES = tests/train/test_bpe.c
tests_train_test_bpe_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS)
tests_train_test_bpe_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_train_test_bpe_LDADD = train/libdimple-train.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) \
	$(DM_TEST_LIBS)

DM_CLI_TESTS += tests/cli/train-tokenizer.sh
TESTS += tests/train/bpe-parity.sh
EXTRA_DIST += tests/train/bpe-parity.sh
