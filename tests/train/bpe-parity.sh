#!/bin/sh
# A tokenizer trained by dimple train-tokenizer tokenizes like the oracle
# (@lenml/tokenizers in node, tests/data/tokenizer/oracle.js): train on one generated
# corpus (gen-corpus.py, seed 1), then on held-out records (seed 2: multilingual
# prose, code, JSON, special-token text, emoji, invalid UTF-8) the ids are equal,
# our decode of the oracle's ids equals its decode, and decode(encode(x)) == x as the
# oracle sees x (invalid UTF-8 read as U+FFFD).
#
# SKIP (77) when node, python3 or the npm cache (tests/runtime/fetch-tokenizers.sh)
# is missing.
top=${DM_TEST_SRCDIR:?}
build=${DM_TEST_BUILDDIR:?}
cache=${DM_TOKENIZER_CACHE:-$top/.cache/npm}
if [ ! -f "$cache/node_modules/@lenml/tokenizers/package.json" ]; then
  echo "SKIP: no tokenizer cache at $cache (run tests/runtime/fetch-tokenizers.sh)"
  exit 77
fi
for tool in node python3; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-bpe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$top/tests/data/tokenizer/gen-corpus.py" "$tmp/train.bin" 3000 1 || exit 1
python3 "$top/tests/data/tokenizer/gen-corpus.py" "$tmp/test.bin" 1500 2 || exit 1
tr '\000' '\n' <"$tmp/train.bin" >"$tmp/train.txt"
pass=0
fail=0
for cfg in 512:qwen 2048:qwen 2048:isolated; do
  v=${cfg%%:*} split=${cfg#*:}
  if "$build/cli/dimple" train-tokenizer --vocab-size $v --split $split --out "$tmp/tok$v$split" "$tmp/train.txt" &&
     node "$top/tests/data/tokenizer/oracle.js" "$cache" "$tmp/tok$v$split" "$tmp/test.bin" "$tmp/oracle$v$split.txt" &&
     "$build/tests/runtime/tok_parity" "$tmp/tok$v$split" "$tmp/test.bin" "$tmp/oracle$v$split.txt" --roundtrip; then
    echo "ok - vocab $v, split $split: parity"
    pass=$((pass + 1))
  else
    echo "not ok - vocab $v, split $split: parity"
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
