# CUDA benchmark (adds itself to BENCH_TARGETS): cuBLAS bf16 reference rate, full and
# cached steps at LLaDA-8B / Dream-7B shapes, end-to-end JSON generation. Needs a
# CUDA device (prints SKIP otherwise); tests/gpu/run.sh runs it on a lent GPU.
noinst_PROGRAMS += bench/cuda_bench
bench_cuda_bench_SOURCES = bench/cuda_bench.c
bench_cuda_bench_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS)
bench_cuda_bench_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
EXTRA_DIST += bench/cuda.mk
BENCH_TARGETS += bench-cuda
bench-cuda: bench/cuda_bench$(EXEEXT)
	@./bench/cuda_bench$(EXEEXT) --tokenizer $(abs_top_srcdir)/tests/data/tokenizer/tiny-dense/tokenizer.json; \
	rc=$$?; if [ $$rc -eq 77 ]; then echo "bench-cuda: skipped (no CUDA device)"; else exit $$rc; fi
