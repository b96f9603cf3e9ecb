#!/bin/sh
# GPU test: `dimple generate` gives the same output on the CPU and on CUDA device 0 at
# temperature 0 (greedy) for the fixtures' tiny models (free text, regex, schema,
# template; with and without the prefill cache), and `dimple logits --device cuda`
# matches the CPU within the fixture tolerance. Exits 77 (SKIP) without a device.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
D=$DM_TEST_SRCDIR/tests/data
TOK=$D/tokenizer/tiny-dense/tokenizer.json
unset DIMPLE_MODEL

NDEV=$("$DIMPLE" info --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("cuda_devices", [])))' 2>/dev/null)
if [ "${NDEV:-0}" -lt 1 ]; then
  echo "SKIP: no CUDA device"
  exit 77
fi

cat >"$T_TMP/person.json" <<'JSON'
{"type":"object","properties":{"name":{"type":"string","x-dimple-tokens":6},"age":{"type":"integer","x-dimple-tokens":3}},"required":["name","age"]}
JSON

same() { # same NAME ARGS...: generate on cpu and cuda, compare stdout
  name=$1; shift
  run generate "$@" --device cpu
  cpu_out=$OUT; cpu_rc=$RC
  run generate "$@" --device cuda
  if [ "$cpu_rc" -eq 0 ] && [ "$RC" -eq 0 ] && [ "$OUT" = "$cpu_out" ]; then
    ok "$name: same output on cpu and cuda"
  else
    OUT="cpu: $cpu_out | cuda: $OUT"
    not_ok "$name: cpu (exit $cpu_rc) and cuda (exit $RC) differ"
  fi
}

for m in llada-tiny-f32 llada-tiny-bf16 dream-tiny-f32 dream-tiny-bf16-sharded dimple-tiny-f32; do
  M=$D/models/$m
  same "$m free text" --model "$M" --tokenizer "$TOK" -p "hello world" --max-tokens 12
  same "$m free text, no prefill" --model "$M" --tokenizer "$TOK" -p "hello world" --max-tokens 12 --no-prefill
  same "$m regex" --model "$M" --tokenizer "$TOK" -p "code?" --regex '[a-z]{2,4}-[0-9]{2}'
  same "$m schema" --model "$M" --tokenizer "$TOK" -p "a person" --schema "$T_TMP/person.json"
  same "$m template, maskgit" --model "$M" --tokenizer "$TOK" -p "x" --template 'Answer: {{a:yes|no}} ({{n:int <=3}})' --strategy maskgit
done

# logits: CUDA against the CPU, at precision auto (= f32 for a tiny model: the F32
# tolerance) and native (bf16 GEMM inputs: NATIVE_TOL of tests/gpu/test_cuda_forward.c)
M=$D/models/llada-tiny-bf16
run logits --model "$M" --ids "5 9 2 7 11 3" --device cpu
printf '%s\n' "$OUT" >"$T_TMP/lg-cpu"
for prec in auto:1e-4 native:4e-2; do
  run logits --model "$M" --ids "5 9 2 7 11 3" --device cuda --precision "${prec%%:*}"
  expect_rc 0 "logits --device cuda --precision ${prec%%:*}"
  printf '%s\n' "$OUT" >"$T_TMP/lg-cuda"
  if python3 - "$T_TMP/lg-cpu" "$T_TMP/lg-cuda" "${prec#*:}" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
fa = [v for r in a["logits"] for v in r]
fb = [v for r in b["logits"] for v in r]
scale = max(abs(v) for v in fa)
d = max(abs(x - y) for x, y in zip(fa, fb)) / scale
print("max diff %.3g x scale" % d)
sys.exit(0 if len(fa) == len(fb) and d <= float(sys.argv[3]) else 1)
PY
  then ok "logits cuda (${prec%%:*}) vs cpu within ${prec#*:} x scale"; else not_ok "logits cuda (${prec%%:*}) vs cpu"; fi
done

run bench forward --model "$M" --device cuda --prompt 16 --canvas 16 --steps 2
expect_rc 0 "bench forward --model --device cuda"
expect_out_has "on cuda:0" "the bench says where it ran"
finish
