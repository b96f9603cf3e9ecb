# libdimple, part 2: the diffusion decoder (canvas + model → text).
dimpleinclude_HEADERS += include/dimple/decode.h
lib_libdimple_la_SOURCES += \
	lib/decode/rng.h lib/decode/rng.c \
	lib/decode/decode_int.h \
	lib/decode/decode.c \
	lib/decode/pick.c \
	lib/decode/fastmath.h \
	lib/decode/strategy.h lib/decode/strategy.c \
	lib/decode/strategies/confident.c \
	lib/decode/strategies/maskgit.c \
	lib/decode/strategies/margin.c \
	lib/decode/strategies/entropy.c \
	lib/decode/strategies/random.c \
	lib/decode/strategies/blocks.c \
	lib/decode/strategies/fastdllm.c \
	lib/decode/source_model.c \
	lib/decode/version.c
