# Model trainer throughput (adds itself to BENCH_TARGETS): bench/train.sh.
EXTRA_DIST += bench/train.sh
BENCH_TARGETS += bench-train
bench-train: cli/dimple$(EXEEXT)
	@$(SHELL) $(top_srcdir)/bench/train.sh $(abs_top_srcdir) $(abs_top_builddir)
