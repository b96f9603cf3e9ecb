#!/bin/sh
# Not in CI. Write a random-weight checkpoint with Dream-v0-7B's exact config and
# tensor names in BF16 (~15 GB, 4 shards), load it (mmap) and run steps:
#
#   bench/dream7b.sh [DIR] [PROMPT] [CANVAS]     (run from the build directory)
#
# DIR defaults to /tmp/dimple-dream7b (kept for reruns; delete it afterwards).
# Prints load time, step times and peak RSS against the weight size (README's
# performance section records the figures).
set -eu
dir=${1:-/tmp/dimple-dream7b}
P=${2:-64}
N=${3:-64}
b=$(pwd)
[ -x "$b/bench/gen_checkpoint" ] || { echo "run from the build directory after make" >&2; exit 2; }
if [ ! -f "$dir/model.safetensors.index.json" ]; then
  start=$(date +%s)
  "$b/bench/gen_checkpoint" "$dir" 4
  echo "checkpoint written in $(( $(date +%s) - start )) s: $(du -sh "$dir" | cut -f1)"
fi
"$b/cli/dimple" info --model "$dir"
/usr/bin/time -v "$b/cli/dimple" bench forward --model "$dir" --prompt "$P" --canvas "$N" --steps 1 2>"$dir.time" || { cat "$dir.time"; exit 1; }
grep -E "Maximum resident|Elapsed" "$dir.time"
