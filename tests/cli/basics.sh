#!/bin/sh
# CLI skeleton: help, version, dispatch, usage errors and exit codes.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"

run --help
expect_rc 0 "--help"
expect_out_has "Usage: dimple" "--help prints usage on stdout"
expect_out_has "generate" "--help lists generate"
expect_err_empty "--help writes nothing on stderr"

run --version
expect_rc 0 "--version"
case "$OUT" in "dimple "[0-9]*.[0-9]*.[0-9]*) ok "--version format";; *) not_ok "--version format";; esac

run
expect_rc 2 "no arguments"
expect_out_empty "no arguments: nothing on stdout"
expect_err_has "Usage: dimple" "no arguments: usage on stderr"

run frobnicate
expect_rc 2 "unknown subcommand"
expect_out_empty "unknown subcommand: nothing on stdout"
expect_err_has "unknown command 'frobnicate'" "unknown subcommand: message on stderr"

run --bogus
expect_rc 2 "bad global flag"
expect_out_empty "bad global flag: nothing on stdout"
expect_err_has "unknown option '--bogus'" "bad global flag: message on stderr"

run info --bogus
expect_rc 2 "bad subcommand flag"
expect_out_empty "bad subcommand flag: nothing on stdout"
expect_err_has "unknown option '--bogus'" "bad subcommand flag: message on stderr"

run info extra-arg
expect_rc 2 "unexpected positional argument"
expect_out_empty "unexpected positional argument: nothing on stdout"

run help info
expect_rc 0 "help info"
expect_out_has "Usage: dimple info" "help info shows usage"

run info --help
expect_rc 0 "info --help"
expect_out_has "Usage: dimple info" "info --help shows usage"

run help nosuch
expect_rc 2 "help for unknown command"
expect_out_empty "help for unknown command: nothing on stdout"

# Every listed command answers help; the ones not built yet say so with exit 2.
for cmd in generate compile check tokenize detokenize logits bench train info; do
  run help "$cmd"
  expect_rc 0 "help $cmd"
  expect_out_has "Usage: dimple $cmd" "help $cmd shows usage"
done
for cmd in $("$DIMPLE" --help | sed -n 's/^  \([a-z]*\) .*(not available yet)$/\1/p'); do
  run "$cmd" --some-arg
  expect_rc 2 "$cmd not available yet"
  expect_err_has "not available yet" "$cmd says not available"
  expect_out_empty "$cmd: nothing on stdout"
done

finish
