#!/bin/sh
# `llmdata help [COMMAND]`, `--help` and `--version` on every command.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
fail() { echo "test_help: $*" >&2; exit 1; }
version=$("$LLMDATA" --version) || fail "--version exited $?"
case "$version" in "llmdata "[0-9]*) ;; *) fail "--version printed '$version'";; esac
"$LLMDATA" help > /dev/null || fail "help exited $?"
cmds=$("$LLMDATA" help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 {print $1}')
[ -n "$cmds" ] || fail "help lists no command"
for c in $cmds; do
  "$LLMDATA" help "$c" > /dev/null 2>&1 || fail "help $c exited $?"
  "$LLMDATA" help "$c" 2>&1 | grep -q "usage: llmdata $c" || fail "help $c does not print its usage"
  [ "$("$LLMDATA" "$c" --version)" = "$version" ] || fail "$c --version"
done
"$LLMDATA" help no-such-command > /dev/null 2>&1 && fail "help of an unknown command exited 0"
exit 0
