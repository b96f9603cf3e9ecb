# libdimple-train: the trainer behind `dimple train` and `dimple train-tokenizer`
# (not installed): bpe.c, the byte-level BPE tokenizer trainer; tmodel.c, tstep.c,
# tdata.c, recipe.c, trainer.c, the model trainer. The backward ops live in
# train/grad/ (libdimple-grad, linked in).
noinst_LTLIBRARIES += train/libdimple-train.la
train_libdimple_train_la_SOURCES = \
	train/bpe.h \
	train/bpe.c \
	train/tmodel.h \
	train/tmodel.c \
	train/tstep.c \
	train/tdata.h \
	train/tdata.c \
	train/trainer.h \
	train/recipe.c \
	train/trainer.c
train_libdimple_train_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train -I$(top_srcdir)/lib/runtime \
	$(CJSON_CFLAGS) $(YAML_CFLAGS) $(OPENBLAS_CFLAGS)
train_libdimple_train_la_LIBADD = train/grad/libdimple-grad.la lib/libdimple.la lib/runtime/libdimple-runtime.la \
	$(CJSON_LIBS) $(YAML_LIBS) $(OPENBLAS_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/train/test_trainer
TESTS += tests/train/test_trainer
endif
tests_train_test_trainer_SOURCES = tests/train/test_trainer.c
tests_train_test_trainer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime -I$(top_srcdir)/train
tests_train_test_trainer_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_train_test_trainer_LDADD = train/libdimple-train.la lib/libdimple.la lib/runtime/libdimple-runtime.la \
	$(OPENBLAS_LIBS) $(DM_TEST_LIBS) -lm
