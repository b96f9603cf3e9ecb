#!/bin/sh
# bench/cuda_bench --smoke 1: every part of the CUDA benchmark but the cuBLAS rate, on
# the CPU with small shapes, so its host code (steps, prefill/cached, row statistics,
# the end-to-end JSON generation, the JSON results file) is checked without a GPU.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
BENCH=$DM_TEST_BUILDDIR/bench/cuda_bench
TOK=$DM_TEST_SRCDIR/tests/data/tokenizer/tiny-dense/tokenizer.json
"$BENCH" --smoke 1 --prompt 32 --canvas 16 --steps 1 --e2e-prompt 16 --tokenizer "$TOK" --out "$T_TMP/b.json" \
  >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
expect_rc 0 "cuda_bench --smoke"
expect_out_has "cached canvas-only step" "step figures printed"
expect_out_has "tokens/s" "end-to-end figure printed"
if python3 - "$T_TMP/b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["steps"]
assert len(s) == 2 and all(x["full_step_ms"] > 0 and x["cached_step_ms"] > 0 for x in s)
e = d["e2e"]
assert e["canvas_tokens"] > 100 and e["nfe"] >= 1 and e["tokens_per_s"] > 0
h = e["host_logits"]  # the same decode with the logits on the host: same NFE
assert h["nfe"] == e["nfe"] and h["tokens_per_s"] > 0
PY
then ok "results file has both shapes and the end-to-end figures"; else not_ok "results file"; fi
finish
