# Model runtime benchmark (adds itself to BENCH_TARGETS): forward step time, GFLOP/s
# against OpenBLAS sgemm peak measured in the same run, f32 and bf16 weights, prefill
# cache gain at prompt:canvas = 4:1, peak RSS against the weight size. Random weights
# at Qwen2.5-0.5B-like and LLaDA-1B-like shapes (about 2 GB and 5.4 GB of f32).
BENCH_TARGETS += bench-model
bench-model: all
	@echo "== bench-model: dimple bench forward (qwen0.5b) =="
	$(AM_V_at)$(abs_top_builddir)/cli/dimple bench forward --shape qwen0.5b
	@echo "== bench-model: dimple bench forward (llada1b) =="
	$(AM_V_at)$(abs_top_builddir)/cli/dimple bench forward --shape llada1b

# Writer of a random Dream-7B-shaped BF16 checkpoint (~15 GB) for bench/dream7b.sh
# (not in CI, not in `make bench`).
noinst_PROGRAMS += bench/gen_checkpoint
bench_gen_checkpoint_SOURCES = bench/gen_checkpoint.c
bench_gen_checkpoint_LDADD = -lm
EXTRA_DIST += bench/dream7b.sh
