# Benchmarks: `make bench` runs every bench-* target and prints ratios measured in
# the same run. Never part of `make check`.
BENCH_TARGETS =
include bench/tokenizer.mk
include bench/model.mk
include bench/prior.mk
include bench/decode.mk
include bench/bpe.mk
include bench/eval.mk
include bench/train.mk
include bench/cuda.mk
bench: all $(BENCH_TARGETS)
	@test -n "$(BENCH_TARGETS)" || echo "make bench: no benchmarks yet"
.PHONY: bench $(BENCH_TARGETS)
