# Tokenizer benchmark (adds itself to BENCH_TARGETS).
