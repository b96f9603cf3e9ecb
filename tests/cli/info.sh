#!/bin/sh
# dimple info: build configuration and CUDA devices.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"

run info
expect_rc 0 "info"
expect_out_has "BLAS:" "info names the BLAS"
expect_out_has "OpenBLAS" "info shows OpenBLAS"
expect_out_has "CUDA:" "info says whether CUDA is compiled in"
expect_out_has "CUDA devices:" "info lists CUDA devices"
if [ "$DM_EXPECT_CUDA" = yes ]; then
  expect_out_has "compiled in (" "built --with-cuda: info says compiled in"
else
  expect_out_has "not compiled in" "built without CUDA: info says so"
fi
# On a machine without a GPU the devices line explains why.
if [ "$DM_EXPECT_CUDA" = yes ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    expect_out_has "CUDA devices: none (no CUDA device" "no GPU here: info says no CUDA device"
  fi
else
  expect_out_has "CUDA devices: none (CUDA backend not compiled in" "no backend: devices line says why"
fi

run info --json
expect_rc 0 "info --json"
if printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "cuda_compiled" in d and "blas" in d' 2>/dev/null; then
  ok "info --json is valid JSON with the build fields"
else
  not_ok "info --json is valid JSON with the build fields"
fi

finish
