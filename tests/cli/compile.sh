#!/bin/sh
# dimple compile: canvases from JSON Schemas and regexes (small committed tokenizer).
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
TOK="$DM_TEST_SRCDIR/tests/data/tokenizer/tiny/tokenizer.json"

cat > "$T_TMP/person.json" <<'JSON'
{"type": "object",
 "properties": {"name": {"type": "string", "maxLength": 8},
                "age": {"type": "integer", "minimum": 0, "maximum": 130, "x-dimple-tokens": 3}},
 "required": ["name", "age"]}
JSON
run compile "$T_TMP/person.json" --tokenizer "$TOK"
expect_rc 0 "compile a schema"
expect_out_has '{"name":' "fixed structure is shown"
expect_out_has ',"age":' "keys in schema order"
expect_out_has "/name" "slot table names the value"
expect_out_has "compiled in" "compile time is reported"
expect_err_empty "compile: nothing on stderr"

run compile --schema "$T_TMP/person.json" --tokenizer "$TOK" --json
expect_rc 0 "compile --json"
if printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["slots"]; assert [x["name"] for x in s]==["/name","/age"]; assert s[1]["budget"]==3; assert len(d["canvas"])==d["tokens"]' 2>/dev/null; then
  ok "compile --json has the slots and budgets"
else
  not_ok "compile --json has the slots and budgets"
fi

run compile --regex '(yes|no)' --tokenizer "$TOK" --max-tokens 4
expect_rc 0 "compile a regex"
expect_out_has "eos" "regex slot has EOS filler"

printf '{"type":"object","properties":{"d":{"type":"string","format":"date","x-dimple-tokens":2}},"required":["d"]}' > "$T_TMP/small.json"
run compile "$T_TMP/small.json" --tokenizer "$TOK"
expect_rc 3 "budget too small exits 3"
expect_err_has "/d" "names the slot"
expect_err_has "shortest value needs" "says the minimum"

run compile --template 'Answer: {{a:yes|no}} because {{why:text <=5}}' --tokenizer "$TOK"
expect_rc 0 "compile a template"
expect_out_has "Answer: " "template literal is fixed"
expect_out_has "why" "template slot listed"
printf 'Code {{c:/[A-Z]{2}/ =1}}' > "$T_TMP/t.tmpl"
run compile "$T_TMP/t.tmpl" --tokenizer "$TOK"
expect_rc 3 "exact budget below the minimum exits 3"
expect_err_has "slot \"c\"" "names the template slot"

run compile "$DM_TEST_SRCDIR/priors/contact-card.yaml" --tokenizer "$TOK"
expect_rc 0 "compile a prior"
expect_out_has "instruction: Extract" "prior's instruction is shown"
expect_out_has "/email" "prior's fields are slots"

run compile "$T_TMP/person.json"
expect_rc 2 "no tokenizer is a usage error"
expect_err_has "--tokenizer" "says how to give one"

run compile "$T_TMP/person.txt" --tokenizer "$TOK"
expect_rc 2 "unknown spec type"
run compile --regex 'a(' --tokenizer "$TOK"
expect_rc 3 "bad regex exits 3"
run compile --regex a --tokenizer /nonexistent/tokenizer.json
expect_rc 2 "missing tokenizer file"
run compile --regex a --tokenizer "$TOK" --max-tokens 0
expect_rc 2 "bad --max-tokens"

finish
