#!/bin/sh
# dimple info --model / dimple logits on the golden fixtures; bad models exit 4
# naming the file and the tensor.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
M="$DM_TEST_SRCDIR/tests/data/models"
if [ ! -f "$M/llada-tiny-f32/config.json" ]; then
  echo "fixtures missing: skip"
  exit 77
fi

run info --model "$M/dream-tiny-bf16-sharded"
expect_rc 0 "info --model"
expect_out_has "family:     Dream" "info names the family"
expect_out_has "dtype BF16, 2 files" "info shows dtype and shards"
expect_out_has "mask 310" "info shows the mask id"
expect_out_has "BLAS core:" "info shows the OpenBLAS core"

run info --model "$M/dimple-tiny-f32" --json
expect_rc 0 "info --model --json"
if printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)["model"]; assert d["family"]=="dimple" and d["logits_shift"] and d["skipped_tensors"]>0' 2>/dev/null; then
  ok "info --json describes the dimple model (vision tensors skipped)"
else
  not_ok "info --json describes the dimple model"
fi

run logits --model "$M/llada-tiny-f32" --ids "5 9 2 7" --rows "2 3"
expect_rc 0 "logits"
if printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["vocab"]==288 and len(d["logits"])==2 and len(d["logits"][0])==288 and d["rows"]==[[0,2],[0,3]]' 2>/dev/null; then
  ok "logits JSON has the asked rows x vocab"
else
  not_ok "logits JSON has the asked rows x vocab"
fi
ONE="$OUT"

run logits --model "$M/llada-tiny-f32" --ids "5 9 2 7" --rows "3" --out "$T_TMP/l.f32"
expect_rc 0 "logits --out"
if python3 - "$T_TMP/l.f32" <<'PY' 2>/dev/null
import json, struct, sys, os
b = open(sys.argv[1], "rb").read()
assert len(b) == 288 * 4
PY
then ok "--out writes rows x vocab little-endian f32"; else not_ok "--out writes rows x vocab f32"; fi

# prefill path from the CLI equals the full run when the canvas is unchanged
run logits --model "$M/dream-tiny-f32" --ids "1 2 3 4 5 6" --rows "4 5"
FULL="$OUT"
run logits --model "$M/dream-tiny-f32" --ids "1 2 3 4 5 6" --cache-ids "1 2 3 4 5 6" --cache-len 3 --rows "4 5"
expect_rc 0 "logits with --cache-ids/--cache-len"
if python3 -c '
import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
s=max(abs(x) for r in a["logits"] for x in r)
d=max(abs(x-y) for r,q in zip(a["logits"],b["logits"]) for x,y in zip(r,q))
assert d <= 1e-5*s, d' "$FULL" "$OUT" 2>/dev/null; then
  ok "cached logits equal full logits on an unchanged canvas"
else
  not_ok "cached logits equal full logits on an unchanged canvas"
fi

# usage errors: exit 2
run logits --model "$M/llada-tiny-f32"
expect_rc 2 "logits without --ids"
run logits --model "$M/llada-tiny-f32" --ids "1 x 3"
expect_rc 2 "logits with a bad id list"
run logits --model "$M/llada-tiny-f32" --ids "1 2 3" --cache-len 2
expect_rc 2 "--cache-len without --cache-ids"
run logits --model "$M/llada-tiny-f32" --ids "1 2 3" --rows "7"
expect_rc 2 "row outside the sequence"
expect_err_has "row 0" "error names the row"
run logits --model "$M/llada-tiny-f32" --ids "1 2 99999"
expect_rc 2 "id outside the vocabulary"

# bad models: exit 4, file and tensor named
B="$T_TMP/bad"
mkdir -p "$B"
cp "$M/llada-tiny-f32/config.json" "$B/"
sz=$(wc -c < "$M/llada-tiny-f32/model.safetensors")
head -c $((sz - 100)) "$M/llada-tiny-f32/model.safetensors" > "$B/model.safetensors"
run logits --model "$B" --ids "1 2"
expect_rc 4 "truncated safetensors"
expect_err_has "model.safetensors" "error names the file"
expect_err_has "beyond the data section" "error says what is wrong"
printf '\377\377\377\377\000\000\000\000{}' > "$B/model.safetensors"
run info --model "$B"
expect_rc 4 "header length beyond the file"
expect_err_has "header length" "error explains the header length"
cp "$M/llada-tiny-f32/model.safetensors" "$B/"
sed 's/"mlp_hidden_size": 160/"mlp_hidden_size": 161/' "$M/llada-tiny-f32/config.json" > "$B/config.json"
run logits --model "$B" --ids "1 2"
expect_rc 4 "shape mismatch with config"
expect_err_has "model.transformer.blocks.0.ff_proj.weight" "error names the tensor"
sed 's/"model_type": "llada"/"model_type": "mamba"/' "$M/llada-tiny-f32/config.json" > "$B/config.json"
run logits --model "$B" --ids "1 2"
expect_rc 4 "unknown model_type"
expect_err_has "config.json" "error names the config file"
run info --model "$T_TMP/nonexistent"
expect_rc 4 "missing model directory"

finish
