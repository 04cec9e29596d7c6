# shellcheck shell=bash
# Shared helpers of the integration tests: source it, then use the qf_* functions.
#
#   . "$(dirname "$0")/lib.sh"
#   qf_init test_name            # temp dir $QF_TMP, cleanup on exit, $QF_BIN checked
#   port=$(qf_free_port)
#   qf_start chat qunfa-mockchat --listen "http://127.0.0.1:$port" --record "$QF_TMP/r"
#   qf_wait_ready chat 10        # waits for "event=ready" in its stderr, or fails
#   qf_assert_eq "status" 200 "$(curl ...)"
#   qf_stop chat                 # SIGTERM, waits with a deadline, asserts exit 0
#   qf_finish                    # exits 1 if any assertion failed, else prints ok
#
# Processes started with qf_start are known by a short name; their stderr goes to
# $QF_TMP/<name>.err and stdout to $QF_TMP/<name>.out. Every one still running at
# exit is killed (SIGTERM, then SIGKILL after a grace period) by its pid, and the
# temp dir is removed unless QF_KEEP=1. Nothing here sleeps to synchronise: waits
# poll a condition until a deadline.

set -u

QF_FAILS=0
QF_NAME="test"
QF_TMP=
declare -A QF_PIDS=()

# qf_init NAME: checks QF_BIN, makes $QF_TMP, installs the cleanup trap and
# clears the QUNFA_* environment so no setting leaks into the programs.
qf_init() {
  QF_NAME=$1
  QF_BIN=${QF_BIN:?set QF_BIN to the build directory holding the programs}
  QF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/qf-$QF_NAME.XXXXXX")
  trap qf_cleanup EXIT
  trap 'exit 130' INT TERM
  local v
  for v in $(compgen -e | grep '^QUNFA_' || true); do
    unset "$v"
  done
}

qf_cleanup() {
  # Runs from the EXIT trap: a process that died on its own makes kill fail,
  # which must not turn the test's own exit status into a failure (set -e).
  set +e
  local name
  for name in "${!QF_PIDS[@]}"; do
    qf_kill "$name"
  done
  if [ "${QF_KEEP:-0}" = 1 ]; then
    echo "$QF_NAME: kept $QF_TMP" >&2
  elif [ -n "$QF_TMP" ]; then
    rm -rf "$QF_TMP"
  fi
}

# qf_fail MESSAGE: records a failure and goes on.
qf_fail() {
  echo "FAIL: $*" >&2
  QF_FAILS=$((QF_FAILS + 1))
}

# qf_die MESSAGE: records a failure and ends the test now (for failures that make
# the rest meaningless, e.g. a process that did not start).
qf_die() {
  qf_fail "$@"
  qf_finish
}

# qf_finish: exits 1 if anything failed, else prints "<name>: ok" and exits 0.
qf_finish() {
  if [ "$QF_FAILS" -ne 0 ]; then
    echo "$QF_NAME: $QF_FAILS failure(s)" >&2
    exit 1
  fi
  echo "$QF_NAME: ok"
  exit 0
}

# qf_assert_eq WHAT WANT GOT
qf_assert_eq() {
  if [ "$2" != "$3" ]; then
    qf_fail "$1: want '$2', got '$3'"
    return 1
  fi
}

# qf_assert_match WHAT REGEX GOT (bash extended regex)
qf_assert_match() {
  if ! [[ $3 =~ $2 ]]; then
    qf_fail "$1: '$3' does not match /$2/"
    return 1
  fi
}

# qf_free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
qf_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# qf_now_ms: wall clock, UTC epoch milliseconds.
qf_now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

# qf_rfc3339 MS: epoch milliseconds MS as an RFC 3339 UTC time (for --at).
qf_rfc3339() {
  date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ
}

# qf_wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND until it succeeds or
# the deadline passes (then records a failure naming DESCRIPTION, returns 1).
qf_wait_for() {
  local secs=$1 what=$2
  shift 2
  local deadline=$(($(qf_now_ms) + secs * 1000))
  until "$@"; do
    if [ "$(qf_now_ms)" -ge "$deadline" ]; then
      qf_fail "timed out after ${secs}s waiting for $what"
      return 1
    fi
    sleep 0.02
  done
}

# qf_start NAME PROGRAM ARGS...: starts $QF_BIN/PROGRAM (or PROGRAM itself when it
# holds a '/') in the background; stderr to $QF_TMP/NAME.err.
qf_start() {
  local name=$1 prog=$2
  shift 2
  [[ $prog == */* ]] || prog="$QF_BIN/$prog"
  "$prog" "$@" >"$QF_TMP/$name.out" 2>"$QF_TMP/$name.err" &
  QF_PIDS[$name]=$!
}

# qf_pid NAME: the pid of a started process.
qf_pid() {
  echo "${QF_PIDS[$1]}"
}

# qf_alive NAME: true while the process runs.
qf_alive() {
  kill -0 "${QF_PIDS[$1]}" 2>/dev/null
}

_qf_ready_seen() {
  grep -q 'event=ready' "$QF_TMP/$1.err" 2>/dev/null && return 0
  if ! qf_alive "$1"; then
    _QF_DIED=1
    return 0
  fi
  return 1
}

# qf_wait_ready NAME [SECONDS=10]: waits for the line "event=ready" in NAME's
# stderr. Fails (returns 1, stderr shown) if the process exits first or the
# deadline passes.
qf_wait_ready() {
  local name=$1 secs=${2:-10}
  _QF_DIED=0
  if ! qf_wait_for "$secs" "$name to log event=ready" _qf_ready_seen "$name"; then
    sed 's/^/  | /' "$QF_TMP/$name.err" >&2
    return 1
  fi
  if [ "$_QF_DIED" = 1 ]; then
    qf_fail "$name exited before it was ready:"
    sed 's/^/  | /' "$QF_TMP/$name.err" >&2
    return 1
  fi
}

# qf_ready_field NAME KEY: the value of KEY=VALUE on NAME's ready line
# (e.g. qf_ready_field chat port).
qf_ready_field() {
  grep -m1 'event=ready' "$QF_TMP/$1.err" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# qf_wait_exit NAME SECONDS: waits for NAME to exit and sets QF_RC to its exit
# status, or to "timeout" if it still runs at the deadline (it is not killed).
QF_RC=
qf_wait_exit() {
  local name=$1 secs=$2 pid=${QF_PIDS[$1]}
  local deadline=$(($(qf_now_ms) + secs * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(qf_now_ms)" -ge "$deadline" ]; then
      QF_RC=timeout
      return 0
    fi
    sleep 0.02
  done
  QF_RC=0
  wait "$pid" || QF_RC=$?
  unset "QF_PIDS[$name]"
}

# qf_stop NAME [SECONDS=10]: sends SIGTERM and asserts a clean exit 0 within the
# deadline (killed with SIGKILL otherwise). Returns 1 on failure.
qf_stop() {
  local name=$1 secs=${2:-10}
  kill -TERM "${QF_PIDS[$name]}" 2>/dev/null
  qf_wait_exit "$name" "$secs"
  local rc=$QF_RC
  if [ "$rc" = timeout ]; then
    qf_fail "$name did not exit within ${secs}s of SIGTERM"
    qf_kill "$name"
    return 1
  fi
  if [ "$rc" != 0 ]; then
    qf_fail "$name exited $rc after SIGTERM, want 0"
    sed 's/^/  | /' "$QF_TMP/$name.err" >&2
    return 1
  fi
}

# qf_kill NAME [SIGNAL=TERM]: ends NAME without judging how (SIGKILL after 5 s
# if SIGTERM is not enough); for cleanup and crash tests (qf_kill NAME KILL).
qf_kill() {
  local name=$1 sig=${2:-TERM} pid=${QF_PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill "-$sig" "$pid" 2>/dev/null
  qf_wait_exit "$name" 5
  if [ "$QF_RC" = timeout ]; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "QF_PIDS[$name]"
  fi
}

# qf_http METHOD URL [BODY] [CURL ARGS...]: sends one request; prints the status
# code; the response body is left in $QF_TMP/http.body.
qf_http() {
  local method=$1 url=$2 body=${3:-}
  shift 3 2>/dev/null || shift $#
  local args=(-s -o "$QF_TMP/http.body" -w '%{http_code}' -X "$method" --max-time 10)
  [ -n "$body" ] && args+=(--data-binary "$body" -H 'Content-Type: application/json')
  curl "${args[@]}" "$@" "$url"
}
