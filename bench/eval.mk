# dimple eval benchmark (adds itself to BENCH_TARGETS): time per output on a random
# 5.5M-parameter Dream-layout model (bench/eval.sh, bench/random_dream.py).
EXTRA_DIST += bench/eval.sh bench/random_dream.py
BENCH_TARGETS += bench-eval
bench-eval: cli/dimple$(EXEEXT)
	@$(SHELL) $(top_srcdir)/bench/eval.sh $(abs_top_srcdir) $(abs_top_builddir)
