#!/bin/sh
# dimple generate: tiny fixture models (tests/data/models) paired with the dense tiny
# tokenizer (tests/data/tokenizer/tiny-dense, 269 ids, fits vocab 288).
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
D=$DM_TEST_SRCDIR/tests/data
TOK=$D/tokenizer/tiny-dense/tokenizer.json
LLADA=$D/models/llada-tiny-f32
DREAM=$D/models/dream-tiny-f32
unset DIMPLE_MODEL

json_has() { # json_has PYEXPR NAME: evaluate PYEXPR with d = the JSON on stdout
  if printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null; then
    ok "$2"
  else
    not_ok "$2"
  fi
}

run generate --model "$LLADA" --tokenizer "$TOK" -p "hello world" --max-tokens 12
expect_rc 0 "free text on llada"
expect_err_empty "free text: nothing on stderr"

run generate --model "$DREAM" --tokenizer "$TOK" -p "hello" --max-tokens 12 --json
expect_rc 0 "free text on dream --json"
json_has 'all(k in d for k in ["text","valid","nfe","steps","forced","tokens","generated_tokens","prompt_tokens","time_ms","model_ms","constraint_ms"])' "--json has the documented keys"
json_has 'd["tokens"] == 12 and d["valid"] is True and 1 <= d["nfe"] <= 12 and d["prompt_tokens"] > 0' "--json figures are sane"
json_has 'd["generated_tokens"] <= d["tokens"]' "generated tokens within the canvas"
json_has 'len(d["per_step"]) == d["steps"] and sum(d["per_step"]) == d["tokens"]' "per-step commits add up to the canvas"

# constrained outputs pass dimple check
RE='[a-z]{2,4}-[0-9]{2}'
for m in "$LLADA" "$DREAM"; do
  for s in confident maskgit margin entropy random blocks fastdllm; do
    run generate --model "$m" --tokenizer "$TOK" -p "code?" --regex "$RE" --strategy "$s" --block-length 3
    if [ "$RC" -eq 0 ] && printf '%s' "$OUT" | "$DIMPLE" check -q --regex "$RE"; then
      ok "regex output of $s on $(basename "$m") passes check"
    else
      not_ok "regex output of $s on $(basename "$m") passes check"
    fi
  done
done

cat > "$T_TMP/person.json" <<'JSON'
{"type": "object",
 "properties": {"name": {"type": "string", "maxLength": 6, "x-dimple-tokens": 6},
                "age": {"type": "integer", "minimum": 0, "maximum": 130, "x-dimple-tokens": 3},
                "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}},
 "required": ["name", "age"]}
JSON
run generate --model "$DREAM" --tokenizer "$TOK" -p "a person" --schema "$T_TMP/person.json" --temperature 1 --seed 3
expect_rc 0 "schema generation"
if printf '%s' "$OUT" | "$DIMPLE" check -q --schema "$T_TMP/person.json"; then ok "schema output passes check"; else not_ok "schema output passes check"; fi
if printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then ok "schema output is JSON"; else not_ok "schema output is JSON"; fi

run generate --model "$LLADA" --tokenizer "$TOK" -p "x" --template 'Answer: {{a:yes|no}} ({{n:int <=3}})' --json
expect_rc 0 "template generation"
json_has 'd["valid"] and d["text"].startswith("Answer: ")' "template output keeps the fixed text"

run generate --model "$LLADA" --tokenizer "$TOK" -p "Ada, ada@example.org" --prior "$DM_TEST_SRCDIR/priors/contact-card.yaml"
expect_rc 0 "prior generation"
if printf '%s' "$OUT" | "$DIMPLE" check -q --prior "$DM_TEST_SRCDIR/priors/contact-card.yaml"; then ok "prior output passes check"; else not_ok "prior output passes check"; fi

# determinism: same seed, same output (sampling)
run generate --model "$DREAM" --tokenizer "$TOK" -p "hi" --max-tokens 10 --temperature 1 --seed 42 --strategy random
A=$OUT
run generate --model "$DREAM" --tokenizer "$TOK" -p "hi" --max-tokens 10 --temperature 1 --seed 42 --strategy random
if [ "$RC" -eq 0 ] && [ "$A" = "$OUT" ]; then ok "same seed, same output"; else not_ok "same seed, same output"; fi
SAME=1
for s in 1 2 3 4; do
  run generate --model "$DREAM" --tokenizer "$TOK" -p "hi" --max-tokens 10 --temperature 1 --seed $s --strategy random
  [ "$A" = "$OUT" ] || SAME=0
done
if [ "$SAME" -eq 0 ]; then ok "other seeds give other outputs"; else not_ok "other seeds give other outputs"; fi

# prefill vs no prefill at temperature 0: the first step's logits are the same (the
# cached prompt K/V are frozen after step 0, Dimple's semantics, so later steps of a
# multi-layer model may differ); a one-step decode must agree exactly.
for m in "$LLADA" "$DREAM"; do
  run generate --model "$m" --tokenizer "$TOK" -p "hello world" --max-tokens 12 --threshold 0 --json
  P=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(ascii(d["text"]), d["nfe"])')
  run generate --model "$m" --tokenizer "$TOK" -p "hello world" --max-tokens 12 --threshold 0 --json --no-prefill
  N=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(ascii(d["text"]), d["nfe"])')
  if [ -n "$P" ] && [ "$P" = "$N" ]; then ok "--no-prefill = prefill on $(basename "$m")"; else not_ok "--no-prefill = prefill on $(basename "$m") ($P / $N)"; fi
done

# prompt from a file and from stdin; raw prompt
printf 'hello\n' > "$T_TMP/prompt.txt"
run generate --model "$LLADA" --tokenizer "$TOK" --prompt-file "$T_TMP/prompt.txt" --max-tokens 4 --json
expect_rc 0 "--prompt-file"
PF=$OUT
OUT=$(printf 'hello\n' | "$DIMPLE" generate --model "$LLADA" --tokenizer "$TOK" --max-tokens 4 --json 2>"$T_TMP/err"); RC=$?
if [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')" = "$(printf '%s' "$PF" | python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')" ]; then
  ok "prompt from stdin = prompt file"
else
  not_ok "prompt from stdin = prompt file"
fi
run generate --model "$LLADA" --tokenizer "$TOK" -p "hello" --raw-prompt --max-tokens 4 --json
expect_rc 0 "--raw-prompt"
json_has 'd["prompt_tokens"] == 1' "raw prompt is not chat-formatted ('hello' is one token)"

# --progress / --visual: only on a terminal
run generate --model "$LLADA" --tokenizer "$TOK" -p "hi" --max-tokens 6 --progress --visual
expect_rc 0 "--progress --visual without a terminal"
expect_err_empty "no progress drawn when stderr is not a terminal"
if command -v script >/dev/null 2>&1; then
  script -qc "'$DIMPLE' generate --model '$LLADA' --tokenizer '$TOK' -p hi --max-tokens 6 --steps 3 --strategy maskgit --progress --visual 2>&1 >/dev/null" /dev/null >"$T_TMP/tty" 2>&1
  if grep -q '6/6 tokens' "$T_TMP/tty" && grep -q "$(printf '\0338')" "$T_TMP/tty"; then ok "progress bar and canvas redraw on a terminal"; else OUT=$(cat "$T_TMP/tty"); not_ok "progress bar and canvas redraw on a terminal"; fi
fi

# bad flags
run generate --model "$LLADA" --tokenizer "$TOK" -p x --strategy nope
expect_rc 2 "unknown strategy"
expect_err_has "maskgit" "lists the strategies"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --top-p 0
expect_rc 2 "bad --top-p"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --max-tokens 0
expect_rc 2 "bad --max-tokens"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --frobnicate
expect_rc 2 "unknown option"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --regex a --template b
expect_rc 2 "two specs"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --seed -1
expect_rc 2 "negative seed"

# bad specs
run generate --model "$LLADA" --tokenizer "$TOK" -p x --regex 'a('
expect_rc 3 "bad regex exits 3"
printf '{"type": "object", "properties": {"a": {"type": "string", "format": "date", "x-dimple-tokens": 2}}, "required": ["a"]}' > "$T_TMP/small.json"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --schema "$T_TMP/small.json"
expect_rc 3 "infeasible budget exits 3"
expect_err_has "/a" "names the slot"
run generate --model "$LLADA" --tokenizer "$TOK" -p x --schema "$T_TMP/none.json"
expect_rc 2 "missing schema file"

# bad models
run generate --model /nonexistent/model --tokenizer "$TOK" -p x
expect_rc 4 "missing model dir"
run generate --model "$LLADA" -p x
expect_rc 4 "model without tokenizer.json"
expect_err_has "--tokenizer" "says to pass --tokenizer"
run generate --model "$LLADA" --tokenizer "$D/tokenizer/tiny/tokenizer.json" -p x
expect_rc 4 "tokenizer bigger than the model's vocabulary"
expect_err_has "smaller than the tokenizer" "says why"
if [ ! -e "$DM_TEST_SRCDIR/models/default/config.json" ]; then
  run generate -p x
  expect_rc 4 "no model anywhere"
  expect_err_has "--model" "says to pass --model"
fi
mkdir -p "$T_TMP/badmodel"
printf '{"model_type": "llada"' > "$T_TMP/badmodel/config.json"
run generate --model "$T_TMP/badmodel" --tokenizer "$TOK" -p x
expect_rc 4 "corrupt config.json"
DIMPLE_MODEL=$DREAM run generate --tokenizer "$TOK" -p x --max-tokens 3
expect_rc 0 "DIMPLE_MODEL names the default model"

# batch: a bad line gets an error object, the rest go on
cat > "$T_TMP/in.jsonl" <<EOF2
{"id": "a", "prompt": "hi", "regex": "[0-9]{3}"}
{"id": "b", "prompt": "hi", "regex": "a("}
not json

{"id": 7, "prompt": "hi", "schema": "$T_TMP/person.json", "strategy": "maskgit", "seed": 2}
{"id": "c", "prompt": "hi", "regex": "[0-9]{3}", "strategy": "bogus"}
{"id": "d", "prompt": "hi", "regex": "[0-9]{3}"}
EOF2
run generate --model "$DREAM" --tokenizer "$TOK" --batch "$T_TMP/in.jsonl" --out "$T_TMP/out.jsonl"
expect_rc 3 "batch exits with the first failure's status"
expect_err_has "6 requests, 3 ok, 3 failed" "batch summary on stderr"
if python3 - "$T_TMP/out.jsonl" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["id"] for r in rows] == ["a", "b", 3, 7, "c", "d"], rows
assert re.fullmatch("[0-9]{3}", rows[0]["text"]) and rows[0]["valid"]
assert rows[1]["code"] == "DM_ESYNTAX" and rows[1]["exit"] == 3
assert "error" in rows[2] and "error" in rows[4]
json.loads(rows[3]["text"])
assert rows[5]["text"] == rows[0]["text"]  # same request, same answer (compiled spec reused)
PY
then ok "batch output lines, ids and errors"; else not_ok "batch output lines, ids and errors"; fi
run generate --model "$DREAM" --tokenizer "$TOK" --out x.jsonl -p x
expect_rc 2 "--out without --batch"

run generate --help
expect_rc 0 "--help"
expect_out_has "--strategy" "help lists the options"
finish
