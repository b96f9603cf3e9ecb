#!/bin/sh
# The decoder's guarantee: random tiny checkpoints (tests/decode/guarantee_gen.c)
# fill every spec in priors/, random regexes and templates with every strategy; every
# output must be in the spec's language, and the JSON ones must pass Python's
# jsonschema (tests/prior/validate.py) where python3-jsonschema is installed.
# With DM_GUARANTEE_SUITE=1 (tests/decode/guarantee_suite.sh) it fills accepted
# schemas of the JSON-Schema-Test-Suite instead (SKIP, 77, without shared/).
set -u
top=$DM_TEST_SRCDIR
gen=$DM_TEST_BUILDDIR/tests/decode/guarantee_gen
tok=$top/tests/data/tokenizer/tiny-dense/tokenizer.json
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dimple-guarantee.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ "${DM_GUARANTEE_SUITE:-0}" = 1 ]; then
  suite=${DM_SHARED_DIR:-$top/../shared}/data/json-schema-test-suite/tests/draft2020-12
  if [ ! -d "$suite" ]; then echo "SKIP: $suite not found"; exit 77; fi
  set -- "$tok" - "$suite"
else
  set -- "$tok" "$top/priors"
fi
rc=0
"$gen" "$@" >"$tmp/out.jsonl" 2>"$tmp/err" || rc=1
grep -v ' passed, ' "$tmp/err"
set -- $(tail -n 1 "$tmp/err")
p=${1:-0} f=${3:-1}
if "$py" -c 'import jsonschema' 2>/dev/null; then
  "$py" "$top/tests/prior/validate.py" --decimal <"$tmp/out.jsonl" >"$tmp/val" || rc=1
  grep -v '^[0-9]* passed' "$tmp/val" | head -20
  set -- $(tail -n 1 "$tmp/val")
  echo "independent validation (python3 jsonschema) of the $(( $1 + $3 )) JSON outputs: $1 valid, $3 invalid"
  f=$((f + $3))
elif [ "${DM_GUARANTEE_SUITE:-0}" = 1 ]; then
  echo "SKIP: python3-jsonschema missing (apt-get install python3-jsonschema)"
  exit 77
else
  echo "note: python3-jsonschema missing; JSON outputs checked by dm_lang_match only"
fi
[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
echo "$p passed, $f failed (generations in the language)"
exit $rc
