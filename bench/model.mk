# Model runtime benchmark (adds itself to BENCH_TARGETS).
