# libdimple, part 1: the prior compiler (spec → canvas).
lib_LTLIBRARIES += lib/libdimple.la
dimpleinclude_HEADERS += include/dimple/dimple.h

lib_libdimple_la_SOURCES = \
	lib/prior/bitset.h lib/prior/bitset.c
lib_libdimple_la_CPPFLAGS = $(AM_CPPFLAGS) $(PCRE2_CFLAGS) $(YAML_CFLAGS) $(CJSON_CFLAGS)
lib_libdimple_la_LIBADD = lib/runtime/libdimple-runtime.la $(PCRE2_LIBS) $(YAML_LIBS) \
	$(CJSON_LIBS) -lm
lib_libdimple_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(DM_LT_VERSION) -no-undefined

pkgconfig_DATA += lib/dimple.pc
