# The dimple command.
bin_PROGRAMS += cli/dimple
cli_dimple_SOURCES = \
	cli/cli.h \
	cli/main.c \
	cli/commands.c \
	cli/util.c \
	cli/input.c \
	cli/cmd_info.c \
	cli/cmd_check.c \
	cli/cmd_compile.c \
	cli/cmd_tokenize.c \
	cli/cmd_logits.c \
	cli/cmd_bench.c \
	cli/cmd_generate.c \
	cli/gen.h \
	cli/gen_ctx.c \
	cli/gen_run.c \
	cli/gen_batch.c \
	cli/cmd_eval.c \
	cli/eval.h \
	cli/eval_data.c \
	cli/eval_run.c \
	cli/eval_jobs.c \
	cli/eval_score.c \
	cli/eval_report.c \
	cli/spec.c \
	cli/blas_env.c \
	cli/ids.c \
	cli/cmd_train_tokenizer.c \
	cli/cmd_train.c
cli_dimple_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/lib/runtime \
	-DDM_PKGDATADIR='"$(pkgdatadir)"' -DDM_SRCDIR='"$(abs_top_srcdir)"'
cli_dimple_LDADD = train/libdimple-train.la lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
