#!/bin/sh
# The default model's held-out evaluation on a lent GPU machine, for a session whose
# own machine is too slow for ~10,000 decodes; run from the repository root with the
# bundle of tests/gpu/bundle.sh and the eval set carried:
#   run(command="sh tests/gpu/eval-default.sh", carry=["gpu-bundle.tar.gz",
#       ".cache/default-model/corpus/eval.jsonl"], timeout_s=480)
# dimple eval --device cuda --jobs 8 (eight processes sharing the GPU; precision auto
# = f32 for this small model); should CUDA fail, the same on the 16 CPU cores with
# fewer examples. Writes to $OUT: eval-prior.json (prior mode, confident and maskgit,
# 300 a family), eval-free.json (free mode, confident, 300 a family), eval.err
# (errors), generate.log (tests/gpu/generate.sh: dimple generate CPU vs CUDA). Each
# step has a time limit, so what finished comes back.
R=${OUT:-./gpu-results}
mkdir -p "$R"
U=$(mktemp -d)
tar -C "$U" -xzf gpu-bundle.tar.gz || exit 1
B=$U/gpu-bundle
export LD_LIBRARY_PATH="$B/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DIMPLE=$B/bin/dimple DM_TEST_SRCDIR=$(pwd)
D=.cache/default-model/corpus/eval.jsonl
ev() { # ev OUTFILE LIMIT ARGS...
  o=$1 lim=$2
  shift 2
  echo "== $o: $*" >>"$R/eval.err"
  timeout "$lim" "$DIMPLE" eval --model models/default --data "$D" --priors priors --json -q "$@" \
    >"$R/$o" 2>>"$R/eval.err"
}
ev eval-prior.json 200 --mode prior --strategy confident,maskgit --device cuda --jobs 8 ||
  ev eval-prior.json 200 --mode prior --strategy confident,maskgit --jobs "$(nproc)" --per-family 100
ev eval-free.json 150 --mode free --strategy confident --device cuda --jobs 8 ||
  ev eval-free.json 120 --mode free --strategy confident --jobs "$(nproc)" --per-family 50
timeout 40 sh tests/gpu/generate.sh >"$R/generate.log" 2>&1 || echo "generate.sh: exit $?" >>"$R/eval.err"
