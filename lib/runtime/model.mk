# Model sources of libdimple-runtime (checkpoints, kernels, forward, prefill cache).
