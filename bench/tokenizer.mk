# Tokenizer benchmark (adds itself to BENCH_TARGETS).
# bench/tok_bench (C) and bench/tok-bench.js (node, @lenml/tokenizers) encode the
# same generated corpus; bench/tokenizer.sh prints both, the ratio and load times.
noinst_PROGRAMS += bench/tok_bench
bench_tok_bench_SOURCES = bench/tok_bench.c
bench_tok_bench_LDADD = lib/runtime/libdimple-runtime.la
EXTRA_DIST += bench/tokenizer.sh bench/tok-bench.js
BENCH_TARGETS += bench-tokenizer
bench-tokenizer: bench/tok_bench$(EXEEXT)
	@$(SHELL) $(top_srcdir)/bench/tokenizer.sh $(abs_top_srcdir) $(abs_top_builddir)
