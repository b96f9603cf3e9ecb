#!/bin/sh
# Trainer throughput (issue 7): `dimple train` at the default model's shape
# (train/default.yaml: 6 layers, d_model 256, vocabulary 2,048) on a generated corpus,
# 20 autoregressive + 20 diffusion steps per batch size; prints tokens/s, the
# achieved GFLOP/s over the run (3 x the forward's matrix-multiply FLOPs) and its
# ratio to the cblas_sgemm peak (1024^3, all cores) probed by the trainer right after
# each progress report and weighted by the time of the steps it follows (a shared VM
# changes speed 2-4x within minutes: a peak from another moment is not comparable).
# Usage: train.sh SRCDIR BUILDDIR
top=$1
build=$2
command -v python3 >/dev/null 2>&1 || { echo "bench-train: SKIP (python3 not found)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-train-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$top/train/corpus.py" --seed 5 --out "$tmp/c" --train-size 3000 --eval-per-family 1 >/dev/null || exit 1
python3 "$top/train/corpus_text.py" "$tmp/c/train.jsonl" "$tmp/c/text.txt"
"$build/cli/dimple" train-tokenizer --vocab-size 2048 --out "$tmp/tok" "$tmp/c/text.txt" >/dev/null || exit 1
for bt in 1024 4096; do
  "$build/cli/dimple" train --recipe "$top/train/default.yaml" --data "$tmp/c/train.jsonl" --tokenizer "$tmp/tok" \
    --out "$tmp/m$bt" --ar-steps 20 --diffusion-steps 20 --batch-tokens $bt --quiet --json >"$tmp/s.json" || exit 1
  python3 - "$tmp/s.json" $bt <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"bench-train: batch {sys.argv[2]:>5} tokens: {s['tokens_per_s']:7.0f} tokens/s, {s['gflops']:6.1f} GFLOP/s"
      f" = {100 * s['peak_fraction']:.0f}% of the sgemm peak {s['sgemm_peak_gflops']:.1f} GFLOP/s (probed during the run;"
      f" {s['params']:,} parameters)")
PY
done
