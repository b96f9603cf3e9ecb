#!/bin/sh
# The held-out evaluation of the model card (issue 7): every family of the eval set
# (train/corpus.py --seed 7, 300 examples a family), prior and free mode, confident
# and maskgit, then the model card's tables.
#   train/eval-default.sh [MODEL_DIR [BUILD_DIR [JOBS]]]
# MODEL_DIR defaults to models/default, BUILD_DIR to the source tree, JOBS to the
# number of cores. Writes .cache/default-model/eval/{eval.json,records.jsonl,tables.md}.
# 18,600 outputs (prior and free mode x confident and maskgit, 300 examples a family):
# 28 minutes on 2 cores for the 1.1 M-parameter default model; DIMPLE_EVAL_FLAGS adds
# flags (e.g. --per-family 50).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$top/models/default}
build=${2:-$top}
jobs=${3:-$(nproc 2>/dev/null || echo 2)}
dimple=${DIMPLE:-$build/cli/dimple}
work="$top/.cache/default-model"
[ -x "$dimple" ] || { echo "eval-default.sh: $dimple not found: build first (./quickstart build)" >&2; exit 2; }
if [ ! -f "$work/corpus/eval.jsonl" ]; then
  python3 "$top/train/corpus.py" --seed 7 --out "$work/corpus" --train-size 60000 --eval-per-family 300
fi
mkdir -p "$work/eval"
"$dimple" eval --model "$model" --data "$work/corpus/eval.jsonl" --priors "$top/priors" --mode both \
  --strategy confident,maskgit --jobs "$jobs" --json --out "$work/eval/records.jsonl" ${DIMPLE_EVAL_FLAGS:-} \
  >"$work/eval/eval.json"
python3 "$top/train/eval_tables.py" "$work/eval/eval.json" >"$work/eval/tables.md"
echo "eval-default.sh: $work/eval/tables.md" >&2
