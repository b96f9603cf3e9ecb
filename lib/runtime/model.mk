# Model sources of libdimple-runtime (checkpoints, kernels, forward, prefill cache).
lib_runtime_libdimple_runtime_la_SOURCES += \
	lib/runtime/model/internal.h \
	lib/runtime/model/model_impl.h \
	lib/runtime/model/splitmix.h \
	lib/runtime/model/safetensors.c \
	lib/runtime/model/st_set.c \
	lib/runtime/model/config.c \
	lib/runtime/model/convert.c \
	lib/runtime/model/threads.c \
	lib/runtime/model/kernels_ref.c \
	lib/runtime/model/kernels_cpu.c \
	lib/runtime/model/kernels_amx.c \
	lib/runtime/model/kernels_small.c \
	lib/runtime/model/model_load.c \
	lib/runtime/model/random.c \
	lib/runtime/model/kvcache.c \
	lib/runtime/model/forward.c \
	lib/runtime/model/blas_core.c \
	lib/runtime/model/device.c \
	lib/runtime/model/row_stats.c
