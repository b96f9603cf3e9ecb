# Tests of dimple eval (cli/cmd_eval.c, cli/eval_*.c).
#
# test_eval_score      check: scoring against hand-made outputs (JSON value equality,
#                      reading JSON / text outputs, per-field matches, completeness)
# tests/cli/eval.sh    the command on the random tiny Dream fixture: known answers
#                      through single-answer priors, 100% validity with every prior
#                      in priors/, records consistent with the figures, exit codes
if HAVE_CHECK
check_PROGRAMS += tests/cli/test_eval_score
TESTS += tests/cli/test_eval_score
endif
tests_cli_test_eval_score_SOURCES = tests/cli/test_eval_score.c cli/eval_score.c cli/eval_report.c cli/eval.h
tests_cli_test_eval_score_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS)
tests_cli_test_eval_score_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_cli_test_eval_score_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS) $(DM_TEST_LIBS)

DM_CLI_TESTS += tests/cli/eval.sh
