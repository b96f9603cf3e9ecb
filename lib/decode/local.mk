# libdimple, part 2: the diffusion decoder (canvas + model → text).
lib_libdimple_la_SOURCES += \
	lib/decode/rng.h lib/decode/rng.c \
	lib/decode/version.c
