#!/bin/sh
# BPE trainer benchmark: `dimple train-tokenizer` on a generated corpus of about
# 5 MB (tests/data/tokenizer/gen-corpus.py, 60,000 records, seed 5: multilingual
# prose, code, JSON, random code points), vocabularies of 4,096, 8,192 and 32,768
# ids; prints the word-counting and merging times and the peak memory.
# Usage: bpe.sh SRCDIR BUILDDIR
top=$1
build=$2
if ! command -v python3 >/dev/null 2>&1; then
  echo "bench-bpe: SKIP (python3 not found)"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-bpe-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$top/tests/data/tokenizer/gen-corpus.py" "$tmp/c.bin" 60000 5 || exit 1
tr '\000' '\n' <"$tmp/c.bin" >"$tmp/corpus.txt"
echo "bench-bpe: corpus $(wc -c <"$tmp/corpus.txt") bytes"
for v in 4096 8192 32768; do
  if command -v /usr/bin/time >/dev/null 2>&1; then
    /usr/bin/time -f "  peak RSS %M KB, wall %e s" "$build/cli/dimple" train-tokenizer --vocab-size $v \
      --out "$tmp/tok$v" --json "$tmp/corpus.txt" || exit 1
  else
    "$build/cli/dimple" train-tokenizer --vocab-size $v --out "$tmp/tok$v" --json "$tmp/corpus.txt" || exit 1
  fi
done
