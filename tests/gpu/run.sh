#!/bin/sh
# The prepared device script: run it ONCE in a session that holds a lent H100/H200
# (from the repository root):
#
#   sh tests/gpu/run.sh [RESULTS_DIR]      (default: $OUT if set, else ./gpu-results)
#
# The GPU machine's image has nvcc but probably not this project's build
# dependencies (autotools, OpenBLAS, cJSON, PCRE2, libyaml, utf8proc, check), and
# nothing can be installed there. So first, on the CPU machine, in the same checkout:
#   sh tests/gpu/bundle.sh                 (builds with CUDA, packs gpu-bundle.tar.gz)
# and carry gpu-bundle.tar.gz in the device call. Without the bundle this script
# tries to build from source there.
#
# Order (quick and most important first, so a run cut short still leaves results):
#   1. unpack the bundle, or configure + build with CUDA (_build-gpu, -j16);
#   2. GPU parity: the kernel tests, the forward against the CPU and the golden
#      fixtures, `dimple generate` CPU vs CUDA (tests/gpu/*), plus `dimple info`;
#   3. the benchmark (bench/cuda_bench): cuBLAS reference rate, LLaDA-8B and Dream-7B
#      steps at prompt 512 + canvas 512, end-to-end JSON generation at LLaDA-8B shape;
#   4. compute-sanitizer memcheck of the kernel test and the fixtures' forward (last:
#      slow, and the figures above matter more).
# Everything is logged under RESULTS_DIR (at most 8 files, the device tool's limit):
# summary.txt (one line per stage with its status, `dimple info`, the bench text),
# test_*.log, bench.txt, bench.json, memcheck.log, and build.log without a bundle.
# Exit 0 when every stage passed. Budget: build ~1-2 min, parity < 1 min, bench
# ~3-4 min (most of it generating 2 x 8 B random weights on 16 cores).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RES=${1:-${OUT:-$ROOT/gpu-results}}
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
B=$ROOT/_build-gpu
JOBS=${JOBS:-16}
SUMMARY=$RES/summary.txt
: >"$SUMMARY"
status=0
note() { echo "$*" | tee -a "$SUMMARY"; }
stage() { # stage NAME LOG CMD...: run, record PASS/FAIL/SKIP with the time taken
  name=$1; log=$2; shift 2
  t0=$(date +%s)
  case $(command -v "$1") in
    /*) timeout "$LIMIT" "$@" >"$log" 2>&1;; # a program: with a time limit
    *) "$@" >"$log" 2>&1;;                  # a shell function (build, memcheck)
  esac
  rc=$?
  [ $rc -eq 124 ] && echo "TIMEOUT after ${LIMIT}s" >>"$log"
  dt=$(( $(date +%s) - t0 ))
  case $rc in
    0) note "PASS  $name (${dt}s)";;
    77) note "SKIP  $name (${dt}s): $(grep -m1 SKIP "$log")"; status=1;;
    *) note "FAIL  $name (${dt}s, exit $rc): see $(basename "$log")"; status=1;;
  esac
  return $rc
}

note "dimple GPU run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$SUMMARY"
(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null | sed 's/^/commit: /') | tee -a "$SUMMARY"

# 1. programs: the bundle, else a build from source
export DM_TEST_SRCDIR="$ROOT"
# CUDA libraries: the toolkit's, the driver's, and the pip wheels' (where present)
for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
         $(python3 -c 'import os, nvidia; p = list(nvidia.__path__)[0]; print(" ".join(os.path.join(p, s, "lib") for s in ("cublas", "cuda_runtime")))' 2>/dev/null); do
  [ -d "$d" ] && LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d
done
if [ -f "$ROOT/gpu-bundle.tar.gz" ]; then
  U=$(mktemp -d)
  tar -C "$U" -xzf "$ROOT/gpu-bundle.tar.gz" || { note "FAIL  cannot unpack gpu-bundle.tar.gz"; exit 1; }
  BIN=$U/gpu-bundle/bin
  export LD_LIBRARY_PATH="$U/gpu-bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  note "programs: gpu-bundle.tar.gz (built at commit $(cat "$U/gpu-bundle/commit" 2>/dev/null))"
  KERNELS=$BIN/test_cuda_kernels FORWARD=$BIN/test_cuda_forward BENCH=$BIN/cuda_bench DIMPLE=$BIN/dimple
else
  build() {
    cd "$ROOT" || return 1
    [ -x configure ] || autoreconf -fi || return 1
    mkdir -p "$B" && cd "$B" || return 1
    [ -f Makefile ] || ../configure --with-cuda || return 1
    make -j"$JOBS" all || return 1
    make -j"$JOBS" check TESTS= || return 1 # builds the test programs only
  }
  LIMIT=400
  stage "build with CUDA" "$RES/build.log" build || { note "build failed: nothing else can run (make the bundle with tests/gpu/bundle.sh)"; exit 1; }
  grep -q '^#define DM_HAVE_CUDA 1' "$B/config.h" || { note "FAIL  configure did not enable CUDA (see build.log)"; exit 1; }
  KERNELS=$B/tests/gpu/test_cuda_kernels FORWARD=$B/tests/gpu/test_cuda_forward BENCH=$B/bench/cuda_bench DIMPLE=$B/cli/dimple
fi
export LD_LIBRARY_PATH DIMPLE
"$DIMPLE" info 2>&1 | sed 's/^/  /' | tee -a "$SUMMARY"

# 2. parity (each test prints one PASS/FAIL line per check)
LIMIT=180
stage "kernels vs CPU twins" "$RES/test_cuda_kernels.log" "$KERNELS"
stage "forward vs CPU and golden fixtures" "$RES/test_cuda_forward.log" "$FORWARD" "$ROOT"
stage "dimple generate cpu vs cuda" "$RES/test_generate.log" sh "$ROOT/tests/gpu/generate.sh"
grep -h "^FAIL\|^not ok" "$RES"/test_*.log | head -20 | sed 's/^/  /' | tee -a "$SUMMARY"

# 3. benchmark (bench.json is rewritten after each part)
LIMIT=300
stage "benchmark" "$RES/bench.txt" "$BENCH" --device 0 --out "$RES/bench.json" \
  --tokenizer "$ROOT/tests/data/tokenizer/tiny-dense/tokenizer.json"
# the cached step at a longer prompt: with prompt P and canvas N the canvas-only step
# does about N / (P + N) of a full step's projection work, so 512 + 512 bounds the
# speed-up near 2x; 1536 + 512 bounds it near 4x
stage "benchmark, prompt 1536 + canvas 512" "$RES/test_bench_long.log" "$BENCH" --device 0 --parts step \
  --shapes llada8b --prompt 1536 --canvas 512
cat "$RES/test_bench_long.log" >>"$RES/bench.txt"
sed 's/^/  /' "$RES/bench.txt" | tee -a "$SUMMARY" >/dev/null

# 4. memcheck (out-of-bounds and misaligned accesses, CUDA API errors)
LIMIT=150
CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [ -n "$CS" ]; then
  memcheck() {
    timeout 60 "$CS" --tool memcheck --error-exitcode 3 "$KERNELS" || return $?
    timeout 90 "$CS" --tool memcheck --error-exitcode 3 "$FORWARD" "$ROOT" fixtures
  }
  stage "compute-sanitizer memcheck (kernels, fixtures' forward)" "$RES/memcheck.log" memcheck
  grep -m5 "ERROR SUMMARY\|Invalid" "$RES/memcheck.log" | sed 's/^/  /' | tee -a "$SUMMARY"
else
  note "SKIP  memcheck: compute-sanitizer not found"
fi
note "results in $RES"
exit $status
