# libdimple, part 2: the diffusion decoder (canvas + model → text).
dimpleinclude_HEADERS += include/dimple/decode.h
lib_libdimple_la_SOURCES += \
	lib/decode/rng.h lib/decode/rng.c \
	lib/decode/decode_int.h \
	lib/decode/decode.c \
	lib/decode/pick.c \
	lib/decode/strategy.c \
	lib/decode/source_model.c \
	lib/decode/version.c
