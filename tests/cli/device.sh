#!/bin/sh
# --device: parsing, the CPU default, "auto", and a clean error (never a crash) when
# CUDA is asked for but not usable (built without CUDA, or no device). With a CUDA
# device present the parity checks are in tests/gpu/generate.sh.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
D=$DM_TEST_SRCDIR/tests/data
TOK=$D/tokenizer/tiny-dense/tokenizer.json
M=$D/models/llada-tiny-f32
unset DIMPLE_MODEL
NDEV=$("$DIMPLE" info --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("cuda_devices", [])))' 2>/dev/null)

run logits --model "$M" --ids "5 9 2 7" --device gpu
expect_rc 2 "--device gpu is a usage error"
expect_err_has "--device wants cpu, cuda, cuda:N or auto" "the error lists the device names"
run logits --model "$M" --ids "5 9 2 7" --device cuda:x
expect_rc 2 "--device cuda:x is a usage error"
run logits --model "$M" --ids "5 9 2 7" --device cuda --reference
expect_rc 2 "--reference with --device cuda is a usage error"
run bench forward --shape tiny --device cuda
expect_rc 2 "bench forward --device without --model is a usage error"
expect_err_has "bench/cuda_bench" "it points at the GPU benchmark"

run logits --model "$M" --ids "5 9 2 7" --rows "2 3"
CPU_DEFAULT=$OUT
run logits --model "$M" --ids "5 9 2 7" --rows "2 3" --device cpu
expect_rc 0 "--device cpu"
if [ "$OUT" = "$CPU_DEFAULT" ]; then ok "--device cpu is the default"; else not_ok "--device cpu differs from the default"; fi

if [ "${NDEV:-0}" -lt 1 ]; then
  run logits --model "$M" --ids "5 9 2 7" --rows "2 3" --device auto
  expect_rc 0 "--device auto without a CUDA device"
  if [ "$OUT" = "$CPU_DEFAULT" ]; then ok "--device auto falls back to the CPU"; else not_ok "--device auto output differs"; fi
  run logits --model "$M" --ids "5 9 2 7" --device cuda
  if [ "$RC" -eq 2 ] || [ "$RC" -eq 5 ]; then ok "--device cuda without a device fails (exit $RC)"; else not_ok "--device cuda without a device: exit $RC"; fi
  case "$ERR" in
    *"no CUDA device"*|*"built without CUDA"*) ok "the error says why";;
    *) not_ok "the error does not say 'no CUDA device' or 'built without CUDA'";;
  esac
  run generate --model "$M" --tokenizer "$TOK" -p "hi" --max-tokens 4 --device cuda:1
  if [ "$RC" -eq 2 ] || [ "$RC" -eq 5 ]; then ok "generate --device cuda:1 fails cleanly (exit $RC)"; else not_ok "generate --device cuda:1: exit $RC"; fi
  run generate --model "$M" --tokenizer "$TOK" -p "hi" --max-tokens 4 --device auto
  expect_rc 0 "generate --device auto without a device runs on the CPU"
else
  run logits --model "$M" --ids "5 9 2 7" --device cuda:$NDEV
  expect_rc 5 "--device cuda:N past the last device fails"
  expect_err_has "does not exist" "the error names the missing device"
fi
finish
