# libdimple, part 1: the prior compiler (spec → canvas).
lib_LTLIBRARIES += lib/libdimple.la
dimpleinclude_HEADERS += include/dimple/dimple.h include/dimple/prior.h

lib_libdimple_la_SOURCES = \
	lib/prior/bitset.h lib/prior/bitset.c
lib_libdimple_la_CPPFLAGS = $(AM_CPPFLAGS) $(PCRE2_CFLAGS) $(YAML_CFLAGS) $(CJSON_CFLAGS) \
	-DDM_PKGDATADIR='"$(pkgdatadir)"' -DDM_SRCDIR='"$(abs_top_srcdir)"'

# Named patterns and ready-made form specs, installed for the library to find.
grammarsdir = $(pkgdatadir)/grammars
dist_grammars_DATA = grammars/date.yaml grammars/date-time.yaml grammars/email.yaml \
	grammars/hostname.yaml grammars/ipv4.yaml grammars/ipv6.yaml grammars/phone.yaml \
	grammars/time.yaml grammars/uri.yaml grammars/uuid.yaml
priorsdir = $(pkgdatadir)/priors
dist_priors_DATA = priors/address.yaml priors/contact-card.yaml priors/date-answer.yaml \
	priors/event.yaml priors/form-fill.yaml priors/invoice.yaml priors/multiple-choice.yaml \
	priors/order.yaml priors/person.yaml priors/product-review.yaml \
	priors/sentiment.yaml priors/yes-no.yaml
lib_libdimple_la_LIBADD = lib/runtime/libdimple-runtime.la $(PCRE2_LIBS) $(YAML_LIBS) \
	$(CJSON_LIBS) $(PTHREAD_LIBS) -lm
lib_libdimple_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(DM_LT_VERSION) -no-undefined

pkgconfig_DATA += lib/dimple.pc

# Regex → byte-level DFA engine.
lib_libdimple_la_SOURCES += \
	lib/prior/re.h lib/prior/re_tree.c lib/prior/re_parse.c \
	lib/prior/re_class.h lib/prior/re_class.c \
	lib/prior/utf8_ranges.h lib/prior/utf8_ranges.c \
	lib/prior/dfa.h lib/prior/dfa_build.c lib/prior/dfa_min.c lib/prior/dfa_min_ref.c lib/prior/dfa_ops.c \
	lib/prior/dfa_equiv.c \
	lib/prior/json_escape.h lib/prior/json_escape.c

# JSON Schema → DFA of canonical texts.
lib_libdimple_la_SOURCES += \
	lib/prior/json_lang.h lib/prior/json_lang.c \
	lib/prior/json_canon.h lib/prior/json_canon.c \
	lib/prior/schema.h lib/prior/schema_ctx.h lib/prior/schema_compile.c \
	lib/prior/schema_types.c lib/prior/schema_object.c lib/prior/schema_cache.c lib/prior/formats.c \
	lib/prior/lang.c

# Vocabulary view, token automata, slot feasibility.
lib_libdimple_la_SOURCES += \
	lib/prior/vocab.h lib/prior/vocab.c lib/prior/tokauto.h lib/prior/tokauto.c lib/prior/classtrie.h lib/prior/classtrie.c lib/prior/tmpl.h lib/prior/tokcache.c lib/prior/filler.h lib/prior/filler.c \
	lib/prior/feasible.h lib/prior/feasible.c \
	lib/prior/grammar.h lib/prior/grammar.c lib/prior/yamlfile.h lib/prior/yamlfile.c \
	lib/prior/canvas.h lib/prior/canvas.c lib/prior/layout.c \
	lib/prior/template.h lib/prior/template.c lib/prior/form.c

# Free-text canvases and the canvas EOS (added with the decoder).
lib_libdimple_la_SOURCES += lib/prior/canvas_free.c

# Writing a given answer onto a canvas (training targets in the prior's layout).
lib_libdimple_la_SOURCES += lib/prior/canvas_fill.c
