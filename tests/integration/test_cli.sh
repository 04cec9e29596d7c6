#!/usr/bin/env bash
# The qunfa CLI as a user meets it without a scheduler: --help everywhere, usage
# errors (exit 2), an unreachable scheduler (exit 1, one line), and an import file
# rejected whole for its bad line 7.
# Env: QF_BIN = the build's services dir (holds `qunfa`), QF_SRC = the repository.
set -u
QF_BIN=${QF_BIN:?set QF_BIN to the build directory holding qunfa}
Q="$QF_BIN/qunfa"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# No scheduler listens here, and no environment leaks into the test.
unset QUNFA_SERVER QUNFA_TIMEOUT_MS QUNFA_JSON
NOWHERE="ipc://$TMP/nobody.sock"
fails=0

fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# expect CODE ARGS...: runs qunfa ARGS, keeps stdout/stderr in $TMP/out, $TMP/err.
expect() {
  local want=$1
  shift
  "$Q" "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "qunfa $* exited $got, want $want; stderr: $(head -c 300 "$TMP/err")"
    return 1
  fi
  return 0
}

# One line on stderr, starting "qunfa: ", and nothing on stdout.
expect_one_line_error() {
  local lines
  lines=$(wc -l <"$TMP/err")
  [ "$lines" -eq 1 ] || fail "$1: stderr has $lines lines: $(cat "$TMP/err")"
  grep -q '^qunfa: ' "$TMP/err" || fail "$1: stderr does not start with 'qunfa: '"
  [ ! -s "$TMP/out" ] || fail "$1: printed to stdout: $(head -c 200 "$TMP/out")"
}

# --help exits 0 and prints a usage line, on every command and subcommand.
for cmd in "" "groups" "groups import" "groups list" "post" "status" "deliveries"; do
  # shellcheck disable=SC2086
  if expect 0 $cmd --help; then
    grep -q '^Usage: qunfa' "$TMP/out" || fail "qunfa $cmd --help: no usage on stdout"
  fi
done
expect 0 help
expect 0 --version

# Usage errors exit 2 and say what to try.
usage_cases=(
  ""
  "bogus"
  "groups"
  "groups bogus"
  "groups import"
  "groups import a.jsonl b.jsonl"
  "groups list extra"
  "post --text hello"
  "post --to all"
  "post --to all --text hello --at tomorrow"
  "post --to all --text hello --bogus"
  "status"
  "status abc"
  "status 1 2"
  "deliveries -5"
  "--timeout-ms 0 status 1"
  "--timeout-ms abc status 1"
)
for args in "${usage_cases[@]}"; do
  # shellcheck disable=SC2086
  if expect 2 $args; then
    [ ! -s "$TMP/out" ] || fail "qunfa $args printed to stdout on a usage error"
  fi
done

# An unreachable scheduler: exit 1 with one line, within the timeout.
printf '{"id":"g1","dialect":"generic","url":"http://127.0.0.1:9/hook/g1"}\n' >"$TMP/ok.jsonl"
unreachable_cases=(
  "status 1"
  "deliveries 1 --json"
  "groups list"
  "post --to all --text hello"
  "groups import $TMP/ok.jsonl"
)
for args in "${unreachable_cases[@]}"; do
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  if expect 1 --server "$NOWHERE" --timeout-ms 300 $args; then
    expect_one_line_error "qunfa $args (unreachable)"
  fi
  ms=$((($(date +%s%N) - start) / 1000000))
  [ "$ms" -lt 5000 ] || fail "qunfa $args took $ms ms with --timeout-ms 300"
done
# The same through the environment.
if QUNFA_SERVER="$NOWHERE" QUNFA_TIMEOUT_MS=300 expect 1 status 7; then
  expect_one_line_error "QUNFA_SERVER status 7"
fi

# A malformed address is a failure with one line too (no log lines below it).
if expect 1 --server "foo://nowhere" status 1; then
  expect_one_line_error "malformed --server"
fi

# A file with a bad line 7 is rejected, naming the line, before anything is sent
# (the scheduler is unreachable, so reaching it would say so instead).
for i in 1 2 3 4 5 6 7 8 9; do
  url="http://127.0.0.1:9000/hook/g$i"
  [ "$i" -eq 7 ] && url="ftp://127.0.0.1/hook/g7?key=SECRET"
  printf '{"id":"g%s","name":"Group %s","tags":["moms"],"dialect":"generic","url":"%s"}\n' \
    "$i" "$i" "$url"
done >"$TMP/groups.jsonl"
if expect 1 --server "$NOWHERE" --timeout-ms 300 groups import "$TMP/groups.jsonl"; then
  expect_one_line_error "bad line 7 (JSON Lines)"
  grep -q 'groups.jsonl:7: field "url"' "$TMP/err" ||
    fail "bad line 7 not named: $(cat "$TMP/err")"
  ! grep -q SECRET "$TMP/err" || fail "the url's secret reached stderr"
fi

{
  echo "id,name,tags,dialect,url,tz,rate"
  for i in 2 3 4 5 6; do echo "g$i,\"Moms, $i\",moms;sh,generic,http://h/g$i,Asia/Shanghai,20/min"; done
  echo "g7,Moms 7,moms,generic,http://h/g7,Mars/Olympus,20/min"
} >"$TMP/groups.csv"
if expect 1 --server "$NOWHERE" --timeout-ms 300 groups import "$TMP/groups.csv"; then
  expect_one_line_error "bad line 7 (CSV)"
  grep -q 'groups.csv:7: field "tz"' "$TMP/err" ||
    fail "bad CSV line 7 not named: $(cat "$TMP/err")"
fi

# A missing file is a failure (1), not a usage error.
if expect 1 groups import "$TMP/missing.jsonl"; then
  expect_one_line_error "missing file"
fi

if [ "$fails" -ne 0 ]; then
  echo "test_cli: $fails failure(s)" >&2
  exit 1
fi
echo "test_cli: ok"
