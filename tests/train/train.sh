#!/bin/sh
# dimple train (issue 7): a smoke run on a tiny corpus, tokenizer and model — the
# loss falls in each phase; a run stopped and resumed gives the same weights bit for
# bit as an uninterrupted one; the checkpoint loads and generates; bad recipes, flags
# and files get clear errors and the right exit codes.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }

python3 "$DM_TEST_SRCDIR/train/corpus.py" --seed 5 --out "$T_TMP/c" --train-size 400 --eval-per-family 2 \
  >/dev/null 2>&1 || { echo "corpus.py failed"; exit 1; }
python3 "$DM_TEST_SRCDIR/train/corpus_text.py" "$T_TMP/c/train.jsonl" "$T_TMP/c/text.txt"
run train-tokenizer --vocab-size 600 --out "$T_TMP/tok" "$T_TMP/c/text.txt"
expect_rc 0 "tokenizer for the smoke run"

cat >"$T_TMP/r.yaml" <<EOF2
# a tiny recipe
data: c/train.jsonl
tokenizer: tok
priors: $DM_TEST_SRCDIR/priors
out: model
model: {layers: 2, d_model: 32, heads: 4, kv_heads: 2, d_ff: 64}
batch_tokens: 2048
lr: 0.005
min_lr: 0.0005
warmup: 4
ar_steps: 24
diffusion_steps: 24
log_every: 4
checkpoint_every: 0
seed: 3
EOF2

# loss of the first and the last report of a phase in a train_log.jsonl
phase_loss() {
  python3 - "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["phase"] == sys.argv[2]]
print(rows[0]["loss"], rows[-1]["loss"]) if rows else print("none")
PY
}
falls() { python3 -c "import sys; a, b = map(float, sys.argv[1:3]); sys.exit(0 if b < 0.85 * a else 1)" $1; }

run train --recipe "$T_TMP/r.yaml" --json
expect_rc 0 "train 24 AR + 24 diffusion steps"
expect_out_has '"steps":48' "summary: 48 steps"
expect_out_has '"prior_format":' "summary counts the prior-format examples"
expect_err_has "[diffusion]" "progress lines on stderr name the phase"
expect_err_has "ETA" "progress lines give an ETA"
for ph in ar diffusion; do
  L=$(phase_loss "$T_TMP/model/train_log.jsonl" $ph)
  if [ "$L" != none ] && falls "$L"; then ok "$ph loss falls ($L)"; else not_ok "$ph loss did not fall: $L"; fi
done
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json \
         trainer_state.json trainer_state.safetensors train_log.jsonl; do
  if [ -s "$T_TMP/model/$f" ]; then ok "writes $f"; else not_ok "no $f"; fi
done

# the checkpoint is a model the runtime loads and the decoder uses
run info --model "$T_TMP/model" --json
expect_rc 0 "dimple info loads the trained model"
expect_out_has '"Dream"' "it is a Dream-layout model"
run generate --model "$T_TMP/model" --prior "$DM_TEST_SRCDIR/priors/yes-no.yaml" -p "Is the sky blue?" --json
expect_rc 0 "generate with a prior on the trained model"
expect_out_has '"valid":true' "the answer is in the prior's language"

# stop after 17 steps, resume: the same bits as the uninterrupted run
run train --recipe "$T_TMP/r.yaml" --out "$T_TMP/half" --stop-after 17 --quiet
expect_rc 0 "a run stopped after 17 steps"
if grep -Eq '"step":[[:space:]]*17' "$T_TMP/half/trainer_state.json"; then ok "state says step 17"; else not_ok "state: $(cat "$T_TMP/half/trainer_state.json")"; fi
run train --recipe "$T_TMP/r.yaml" --out "$T_TMP/half" --resume --quiet
expect_rc 0 "resume to the end"
if cmp -s "$T_TMP/model/model.safetensors" "$T_TMP/half/model.safetensors"; then
  ok "stopped + resumed weights equal the uninterrupted run's, bit for bit"
else
  not_ok "resumed weights differ"
fi
run train --recipe "$T_TMP/r.yaml" --out "$T_TMP/other" --seed 4 --quiet
if [ "$RC" -eq 0 ] && ! cmp -s "$T_TMP/model/model.safetensors" "$T_TMP/other/model.safetensors"; then
  ok "another seed, other weights"
else
  not_ok "seed 4 failed or gave the same weights"
fi

# a warm start from the trained model: its first AR report is far below the random
# start's (the same recipe and data order); a model of another shape is refused
run train --recipe "$T_TMP/r.yaml" --out "$T_TMP/warm" --init-from "$T_TMP/model" --quiet
expect_rc 0 "train --init-from the trained model"
W=$(phase_loss "$T_TMP/warm/train_log.jsonl" ar)
C=$(phase_loss "$T_TMP/model/train_log.jsonl" ar)
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.85 * float(sys.argv[2]) else 1)" ${W%% *} ${C%% *}; then
  ok "the warm start begins lower (first AR loss ${W%% *} vs ${C%% *})"
else
  not_ok "warm start loss ${W%% *} vs random start ${C%% *}"
fi
sed 's/d_model: 32/d_model: 64/' "$T_TMP/r.yaml" >"$T_TMP/wide.yaml"
run train --recipe "$T_TMP/wide.yaml" --out "$T_TMP/wide" --init-from "$T_TMP/model" --quiet
expect_rc 2 "--init-from a model of another shape"
expect_err_has "another shape" "the error says the shapes differ"

# errors
run train
expect_rc 2 "no --recipe"
expect_err_has "--recipe" "the error names --recipe"
run train --recipe "$T_TMP/r.yaml" --ar-steps x
expect_rc 2 "bad --ar-steps"
run train --recipe "$T_TMP/missing.yaml"
expect_rc 2 "missing recipe file"
printf 'data: c/train.jsonl\nlearning_rate: 0.1\n' >"$T_TMP/bad1.yaml"
run train --recipe "$T_TMP/bad1.yaml"
expect_rc 3 "unknown recipe key"
expect_err_has "bad1.yaml:2:1" "the error gives line:col"
expect_err_has "learning_rate" "the error names the key"
printf 'lr: fast\n' >"$T_TMP/bad2.yaml"
run train --recipe "$T_TMP/bad2.yaml"
expect_rc 3 "a bad value"
expect_err_has "bad2.yaml:1:5" "the value's line:col"
printf 'model: {layers: 2, d_model: 30, heads: 4}\n' >"$T_TMP/bad3.yaml"
cat "$T_TMP/r.yaml" | grep -v '^model' >>"$T_TMP/bad3.yaml"
run train --recipe "$T_TMP/bad3.yaml" --out "$T_TMP/bad3"
expect_rc 2 "a model shape that does not divide"
expect_err_has "d_model" "the error explains the shape rule"
run train --recipe "$T_TMP/r.yaml" --out "$T_TMP/nothing" --resume
expect_rc 2 "resume with nothing to resume"
expect_err_has "nothing to resume" "the error says so"
run train --recipe "$T_TMP/r.yaml" --data "$T_TMP/none.jsonl" --out "$T_TMP/x"
expect_rc 2 "missing data file"
printf '{"messages": 3}\n' >"$T_TMP/bad.jsonl"
run train --recipe "$T_TMP/r.yaml" --data "$T_TMP/bad.jsonl" --out "$T_TMP/x"
expect_rc 4 "a malformed corpus line"
expect_err_has "line 1" "the error names the line"
finish
