# Benchmarks: `make bench` runs them and prints ratios measured in the same run.
# (Filled in by the runtime, tokenizer and decoder work.)
bench:
	@echo "make bench: no benchmarks yet in this version"
.PHONY: bench
