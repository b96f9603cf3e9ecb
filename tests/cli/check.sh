#!/bin/sh
# dimple check: regex and JSON Schema languages, canonical form, errors and exit codes.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"

runin() { # runin INPUT ARGS...: like run, with INPUT on stdin
  input=$1; shift
  printf '%s' "$input" | "$DIMPLE" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}

runin "2024-05-01" check --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'
expect_rc 0 "regex match"
expect_out_empty "regex match: nothing on stdout"

runin "2024-05-01
" check --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'
expect_rc 0 "one trailing newline is dropped"

runin "2024-05-01
" check --exact --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'
expect_rc 1 "--exact keeps the newline"

runin "2024-5-01" check --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'
expect_rc 1 "regex mismatch"
expect_err_has "1:7" "mismatch names line:col"
expect_err_has "byte 6" "mismatch names the byte offset"

runin "2024-05" check --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'
expect_rc 1 "proper prefix"
expect_err_has "ends too early" "proper prefix is reported as such"

runin "" check --regex 'a(b'
expect_rc 3 "bad regex exits 3"
expect_err_has "regex:1:2" "bad regex error has the position"
expect_out_empty "bad regex: nothing on stdout"

runin "x" check --regex 'a\1'
expect_rc 3 "backreference refused with exit 3"
expect_err_has "backreference" "backreference refusal says why"

cat > "$T_TMP/person.json" <<'JSON'
{"type": "object",
 "properties": {"name": {"type": "string", "maxLength": 10},
                "age": {"type": "integer", "minimum": 0}},
 "required": ["name"]}
JSON
runin '{"name":"Ada","age":36}' check --schema "$T_TMP/person.json"
expect_rc 0 "canonical JSON instance"
runin '{"age": 36, "name": "Ada"}' check --schema "$T_TMP/person.json"
expect_rc 1 "non-canonical text is not in the language"
runin '{"age": 36.0, "name": "Ada"}' check --schema "$T_TMP/person.json" --canonical
expect_rc 0 "--canonical accepts any valid document"
runin '{"age": -1, "name": "Ada"}' check --schema "$T_TMP/person.json" --canonical
expect_rc 1 "--canonical: invalid document fails"
expect_err_has 'canonical form: {"name":"Ada","age":-1}' "--canonical shows the canonical form"
runin '{"name": "Ada", }' check --schema "$T_TMP/person.json" --canonical
expect_rc 1 "--canonical: not JSON fails with exit 1"
expect_err_has "not JSON" "not JSON is reported"
runin '{"name":"Ada","x":1}' check --schema "$T_TMP/person.json"
expect_rc 1 "objects listing properties are closed by default"
runin '{"name":"Ada","x":1}' check --schema "$T_TMP/person.json" --spec-mode
expect_rc 0 "--spec-mode opens them"

printf '{"type":"object","properties":{"a":{"minimum":"x"}}}' > "$T_TMP/bad.json"
runin "" check --schema "$T_TMP/bad.json"
expect_rc 3 "bad schema exits 3"
expect_err_has "at /properties/a/minimum" "bad schema error has the JSON pointer"

printf '{"type":"integer","frobnicate":1}' > "$T_TMP/unknown.json"
runin "1" check --schema "$T_TMP/unknown.json"
expect_rc 3 "unknown keyword refused"
expect_err_has "/frobnicate" "unknown keyword named by pointer"
runin "1" check --schema "$T_TMP/unknown.json" --lenient
expect_rc 0 "--lenient ignores it"
expect_err_has "frobnicate" "--lenient lists the ignored keyword"

printf '{"type": }' > "$T_TMP/notjson.json"
runin "" check --schema "$T_TMP/notjson.json"
expect_rc 3 "schema that is not JSON exits 3"
expect_err_has "1:10" "and names line:col"

run check --schema /nonexistent/schema.json
expect_rc 2 "missing schema file"
expect_err_has "/nonexistent/schema.json" "missing file is named"

runin "Answer: yes" check --template 'Answer: {{a:yes|no}}'
expect_rc 0 "template match"
runin "Answer: maybe" check --template 'Answer: {{a:yes|no}}'
expect_rc 1 "template mismatch"
expect_err_has "1:9" "template mismatch names line:col"
runin "x" check --template 'Due {{d:nosuchtype}}'
expect_rc 3 "unknown slot type exits 3"
expect_err_has "template:1:9" "unknown slot type has the position"
run help template
expect_rc 0 "help template"
expect_out_has "<=N" "help template explains budgets"

runin '{"label":"mixed","confidence":0.5}' check --prior "$DM_TEST_SRCDIR/priors/sentiment.yaml"
expect_rc 0 "prior (JSON output) match"
runin '{"confidence": 0.50, "label": "mixed"}' check --prior "$DM_TEST_SRCDIR/priors/sentiment.yaml" --canonical
expect_rc 0 "prior with --canonical"
runin '{"label":"happy","confidence":0.5}' check --prior "$DM_TEST_SRCDIR/priors/sentiment.yaml"
expect_rc 1 "prior mismatch"
runin 'B' check --prior "$DM_TEST_SRCDIR/priors/multiple-choice.yaml"
expect_rc 0 "prior (text output) match"
runin 'E' check --prior "$DM_TEST_SRCDIR/priors/multiple-choice.yaml"
expect_rc 1 "prior (text output) mismatch"
printf 'instruction: x\nfields:\n  - name: a\n    type: colour\n' > "$T_TMP/bad.yaml"
runin 'x' check --prior "$T_TMP/bad.yaml"
expect_rc 3 "bad prior exits 3"
expect_err_has "bad.yaml:4:" "bad prior error names file and line"

run check
expect_rc 2 "no spec is a usage error"
run check --regex a --schema x
expect_rc 2 "two specs is a usage error"
run check --regex
expect_rc 2 "missing option argument"
expect_err_has "needs an argument" "missing option argument message"
run check --regex a --canonical
expect_rc 2 "--canonical without --schema"

finish
