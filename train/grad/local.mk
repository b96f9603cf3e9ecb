# Training ops: backward of every forward op, loss, AdamW, clipping, LR schedule.
# A convenience library for the trainer (train/), linked into dimple and its tests.
noinst_LTLIBRARIES += train/grad/libdimple-grad.la
train_grad_libdimple_grad_la_SOURCES = \
	train/grad/ops.h \
	train/grad/optim.h \
	train/grad/ops_linear.c \
	train/grad/ops_norm.c \
	train/grad/ops_attention.c \
	train/grad/ops_fast.c \
	train/grad/ops_loss.c \
	train/grad/adamw.c \
	train/grad/schedule.c
train_grad_libdimple_grad_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime \
	$(OPENBLAS_CFLAGS)
train_grad_libdimple_grad_la_LIBADD = lib/runtime/libdimple-runtime.la $(OPENBLAS_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/train/test_grad
TESTS += tests/train/test_grad
endif
tests_train_test_grad_SOURCES = tests/train/test_grad.c
tests_train_test_grad_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime -I$(top_srcdir)/train/grad
tests_train_test_grad_CFLAGS = $(AM_CFLAGS) $(DM_TEST_CFLAGS)
tests_train_test_grad_LDADD = train/grad/libdimple-grad.la lib/runtime/libdimple-runtime.la \
	$(OPENBLAS_LIBS) $(DM_TEST_LIBS) -lm
