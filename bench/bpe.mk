# BPE tokenizer trainer benchmark (adds itself to BENCH_TARGETS): training time of
# dimple train-tokenizer on a generated ~5 MB corpus (bench/bpe.sh).
EXTRA_DIST += bench/bpe.sh
BENCH_TARGETS += bench-bpe
bench-bpe: cli/dimple$(EXEEXT)
	@$(SHELL) $(top_srcdir)/bench/bpe.sh $(abs_top_srcdir) $(abs_top_builddir)
