#!/bin/sh
# dimple train-tokenizer: trains on a generated corpus (gen-corpus.py, seeded), writes
# tokenizer.json + tokenizer_config.json that dimple tokenize loads with the asked
# vocabulary size and the ChatML specials; same corpus -> byte-identical files;
# encode/decode round trip through the CLI; exit codes of bad input.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 not found"
  exit 77
fi
python3 "$DM_TEST_SRCDIR/tests/data/tokenizer/gen-corpus.py" "$T_TMP/c.bin" 1500 11 || exit 1
tr '\000' '\n' <"$T_TMP/c.bin" >"$T_TMP/corpus.txt"

run train-tokenizer --vocab-size 1024 --out "$T_TMP/tok" "$T_TMP/corpus.txt"
expect_rc 0 "train-tokenizer"
expect_out_has "vocabulary 1024" "reports the vocabulary size"
[ -s "$T_TMP/tok/tokenizer.json" ] && [ -s "$T_TMP/tok/tokenizer_config.json" ] && ok "writes both files" ||
  not_ok "files missing"

run tokenize --model "$T_TMP/tok" --info --json
OUT=$(printf %s "$OUT" | tr -d ' \t\n')
expect_out_has '"vocab_size":1024' "dimple tokenize loads it with 1024 ids"
expect_out_has '"chat_template":"chatml"' "chat template is ChatML"
expect_out_has '"eos":1020,"pad":1020,"unk":null,"mask":1023,"eot":1022' "eos, pad, mask, eot ids"

run tokenize --model "$T_TMP/tok" --special '<|im_start|>user
Hi<|im_end|>'
case "$OUT" in "1021 "*" 1022") ok "specials parse as single ids";; *) not_ok "specials: got '$OUT'";; esac

# --split isolated: a word is the same ids after a space and after a quote
run train-tokenizer --vocab-size 1024 --split isolated --out "$T_TMP/iso" "$T_TMP/corpus.txt"
expect_rc 0 "train-tokenizer --split isolated"
run tokenize --model "$T_TMP/iso" 'Kemgu'
W=$OUT
run tokenize --model "$T_TMP/iso" 'met Kemgu {"name":"Kemgu"}'
case " $OUT " in *" $W "*" $W "*) ok "the word's ids ($W) stand twice, after a space and after a quote";;
  *) not_ok "isolated split: '$W' not twice in '$OUT'";; esac
run train-tokenizer --vocab-size 1024 --split words --out "$T_TMP/x" "$T_TMP/corpus.txt"
expect_rc 2 "an unknown --split"

text='The quick brown fox — naïve café, 数据 123 {"a": [1, 2]}'
run tokenize --model "$T_TMP/tok" "$text"
ids=$OUT
run detokenize --model "$T_TMP/tok" $ids
[ "$OUT" = "$text" ] && ok "detokenize(tokenize(x)) == x" || not_ok "round trip: got '$OUT'"

run train-tokenizer --vocab-size 1024 --out "$T_TMP/tok2" --json "$T_TMP/corpus.txt"
expect_rc 0 "train again (--json)"
expect_out_has '"vocab_size":1024' "--json reports vocab_size"
cmp -s "$T_TMP/tok/tokenizer.json" "$T_TMP/tok2/tokenizer.json" &&
  cmp -s "$T_TMP/tok/tokenizer_config.json" "$T_TMP/tok2/tokenizer_config.json" &&
  ok "deterministic: byte-identical files" || not_ok "two runs differ"

run train-tokenizer --vocab-size 259 --out "$T_TMP/x" "$T_TMP/corpus.txt"
expect_rc 2 "vocabulary below 256 + specials"
expect_err_has "vocab_size" "error names vocab_size"
run train-tokenizer --vocab-size 300 --out "$T_TMP/x" "$T_TMP/nope.txt"
expect_rc 2 "missing corpus"
expect_err_has "nope.txt" "error names the corpus"
run train-tokenizer --vocab-size 300 --out "$T_TMP/x" "$T_TMP"
expect_rc 5 "a directory as corpus is unreadable"
run train-tokenizer --vocab-size 300 --out "$T_TMP/corpus.txt/sub" "$T_TMP/corpus.txt"
expect_rc 5 "output directory not writable"
expect_err_has "corpus.txt/sub" "error names the output"
run train-tokenizer --out "$T_TMP/x" "$T_TMP/corpus.txt"
expect_rc 2 "--vocab-size is required"
run train-tokenizer --vocab-size 300 "$T_TMP/corpus.txt"
expect_rc 2 "--out is required"
run train-tokenizer --vocab-size abc --out "$T_TMP/x" "$T_TMP/corpus.txt"
expect_rc 2 "bad --vocab-size"
run train-tokenizer --vocab-size 300 --out "$T_TMP/x"
expect_rc 2 "no corpus"
run train-tokenizer --help
expect_rc 0 "--help"
expect_out_has "byte-level BPE" "--help explains"
finish
