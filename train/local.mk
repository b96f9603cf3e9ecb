# libdimple-train: training helpers (not installed). bpe.c: the byte-level BPE
# tokenizer trainer behind `dimple train-tokenizer`.
noinst_LTLIBRARIES += train/libdimple-train.la
train_libdimple_train_la_SOURCES = \
	train/bpe.h \
	train/bpe.c
train_libdimple_train_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train $(CJSON_CFLAGS)
train_libdimple_train_la_LIBADD = lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
