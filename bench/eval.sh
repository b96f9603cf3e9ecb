#!/bin/sh
# dimple eval benchmark: time per output of `dimple eval` on a random Dream-layout
# model of about 5.5M parameters (hidden 256, 6 layers, a 2,048-id BPE tokenizer
# trained on train/corpus.py's text; bench/random_dream.py), the four JSON
# extraction / form-filling families, prior and free mode, confident and maskgit.
# A random model never reaches the confidence threshold, so its NFE figures are
# maskgit-like; the time per model call is what carries over to a trained model.
# EVAL_BENCH_PER_FAMILY (default 10) examples per family.
# Usage: eval.sh SRCDIR BUILDDIR
top=$1
build=$2
n=${EVAL_BENCH_PER_FAMILY:-10}
if ! command -v python3 >/dev/null 2>&1; then
  echo "bench-eval: SKIP (python3 not found)"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-eval-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$top/train/corpus.py" --seed 1 --out "$tmp/c" --train-size 5000 --eval-per-family "$n" || exit 1
python3 -c 'import json,sys
with open(sys.argv[2], "w") as f:
    for l in open(sys.argv[1]):
        for m in json.loads(l)["messages"]: f.write(m["content"] + "\n")' "$tmp/c/train.jsonl" "$tmp/text.txt" || exit 1
"$build/cli/dimple" train-tokenizer --vocab-size 2048 --out "$tmp/tok" "$tmp/text.txt" >/dev/null || exit 1
python3 "$top/bench/random_dream.py" --tokenizer "$tmp/tok" --out "$tmp/model" || exit 1
"$build/cli/dimple" eval --model "$tmp/model" --data "$tmp/c/eval.jsonl" --priors "$top/priors" -q \
  --families json-person,json-order,json-event,form-fill --strategy confident,maskgit --json >"$tmp/r.json" || exit 1
python3 - "$tmp/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("bench-eval: %d outputs in %.1f s (model load and prior compilation included)" % (d["outputs"], d["wall_s"]))
for c in d["configs"]:
    o = c["overall"]
    per_nfe = o["decode_ms"] / o["nfe"] if o["nfe"] else 0
    print("  %-5s %-9s %4d outputs  %7.1f ms/output (model %.0f%%, constraints %.1f%%)  %5.1f NFE/output  %5.2f ms/NFE"
          "  prompt %.0f + canvas %.0f tokens  -> 2400 outputs (300 x 8 families): %.1f min" % (
              c["mode"], c["strategy"], o["n"], o["ms_per_output"], 100 * o["model_ms"] / o["decode_ms"],
              100 * o["constraint_ms"] / o["decode_ms"], o["nfe"] / o["n"], per_nfe,
              o["prompt_tokens"] / o["n"], o["canvas_tokens"] / o["n"], o["ms_per_output"] * 2400 / 60000))
PY
