#!/bin/sh
# Add up the test logs under DIR into one closing line: "N passed, N failed[, N skipped]".
# check's lines ("N%: Checks: C, Failures: F, Errors: E") count C-F-E passed and F+E
# failed; our shell tests end with "N passed, N failed[, N skipped]"; a test the
# harness marked SKIP counts as skipped, never as passed; a test the harness marked
# FAIL or ERROR counts at least one failure even when its own counts say none (a
# crash after its summary, a sanitizer report at exit).
dir=${1:-tests}
find "$dir" -name '*.log' ! -name 'test-suite.log' | sort | {
  pass=0 fail=0 skip=0
  while read -r log; do
    trs=${log%.log}.trs
    res=$(sed -n 's/^:test-result: //p' "$trs" 2>/dev/null | head -n 1)
    p=0 f=0 s=0
    ck=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
    own=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ "$res" = SKIP ]; then
      s=1
    elif [ -n "$ck" ]; then
      c=$(echo "$ck" | sed 's/.*Checks: \([0-9]*\).*/\1/')
      f=$(echo "$ck" | sed 's/.*Failures: \([0-9]*\).*/\1/')
      e=$(echo "$ck" | sed 's/.*Errors: \([0-9]*\).*/\1/')
      p=$((c - f - e)); f=$((f + e))
    elif [ -n "$own" ]; then
      p=$(echo "$own" | sed 's/^\([0-9]*\) passed.*/\1/')
      f=$(echo "$own" | sed 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/')
      s=$(echo "$own" | sed -n 's/.*failed, \([0-9]*\) skipped.*/\1/p')
      s=${s:-0}
    elif [ "$res" = PASS ]; then
      p=1
    fi
    case "$res" in FAIL|ERROR|XPASS|"") [ "$f" -eq 0 ] && f=1 ;; esac
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  done
  if [ "$skip" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
  else
    echo "$pass passed, $fail failed"
  fi
}
