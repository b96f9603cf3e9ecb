# Helpers for the CLI tests: run the dimple command, check exit code and streams,
# count results and end with "N passed, N failed".
# Environment (set by tests/local.mk): DIMPLE (the built program), DM_TEST_SRCDIR.
: "${DIMPLE:?DIMPLE must point at the dimple program}"
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dimple-cli.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

# run ARGS...: run dimple, capture stdout/stderr/exit code in $OUT $ERR $RC
run() {
  "$DIMPLE" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $1"; }
not_ok() {
  T_FAIL=$((T_FAIL + 1))
  echo "not ok - $1"
  echo "  exit: $RC"
  echo "  stdout: $(printf %s "$OUT" | head -5)"
  echo "  stderr: $(printf %s "$ERR" | head -5)"
}

# expect_rc N NAME
expect_rc() { if [ "$RC" -eq "$1" ]; then ok "$2 (exit $1)"; else not_ok "$2: expected exit $1"; fi; }
# expect_out_has TEXT NAME / expect_err_has TEXT NAME
expect_out_has() { case "$OUT" in *"$1"*) ok "$2";; *) not_ok "$2: stdout lacks '$1'";; esac; }
expect_err_has() { case "$ERR" in *"$1"*) ok "$2";; *) not_ok "$2: stderr lacks '$1'";; esac; }
expect_out_empty() { if [ -z "$OUT" ]; then ok "$1"; else not_ok "$1: stdout not empty"; fi; }
expect_err_empty() { if [ -z "$ERR" ]; then ok "$1"; else not_ok "$1: stderr not empty"; fi; }

finish() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
