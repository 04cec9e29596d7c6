# shellcheck shell=bash
# Helpers of the chaos tests, on top of scripts/system.sh (process helpers with
# deadlines, asserts). Source it, then:
#   chaos_init NAME                    # temp dir $QF_DIR, cleanup on exit
#   chaos_start_system N [SCHED ARGS]  # mockchat, store, scheduler, N dispatchers
#                                      # over tcp://127.0.0.1 (or $CHAOS_HOST)
#   chaos_groups N [RATE]              # N generic groups g1..gN, audience file
#   chaos_post TEXT                    # a post to all; its id joins the acked list
#   chaos_restart NAME                 # start NAME again on its data dir
#   chaos_settle SECONDS               # wait until no acked post has work left
#   chaos_check LABEL                  # the checker; prints its line, returns rc
# Every process's log survives restarts: $QF_DIR/NAME.err is the current run,
# $QF_DIR/NAME.log all runs. A failing run keeps $QF_DIR (its path is printed).

. "$QF_SRC/scripts/system.sh"

CHAOS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHAOS_HOST=${CHAOS_HOST:-127.0.0.1}
CHAOS_DISPATCHER_ARGS=()
declare -a CHAOS_SCHED_ARGS=()

chaos_init() {
  qf_system_init "$QF_BIN" "$1"
  CHAOS_POSTS=$QF_DIR/posts.txt
  CHAOS_AUDIENCE=$QF_DIR/audience.txt
  : >"$CHAOS_POSTS"
  : >"$CHAOS_AUDIENCE"
}

# chaos_fail MESSAGE: a failure that keeps the run's directory for a post-mortem.
chaos_fail() {
  QF_KEEP=1
  qf_fail "$@"
}

# chaos_port: a free port on $CHAOS_HOST.
chaos_port() {
  python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "$CHAOS_HOST"
}

# chaos_spawn NAME PROGRAM ARGS...: qf_start_ready, keeping earlier logs of NAME
# in $QF_DIR/NAME.log. CHAOS_WRAP (an array, e.g. ip netns exec NS) prefixes the
# command.
chaos_spawn() {
  local name=$1 prog=$2
  shift 2
  if [ -f "$QF_DIR/$name.err" ]; then
    cat "$QF_DIR/$name.err" >>"$QF_DIR/$name.log"
    echo "---- restart $(date -u +%FT%T.%3NZ)" >>"$QF_DIR/$name.log"
  fi
  if [ -n "${CHAOS_WRAP+x}" ] && [ "${#CHAOS_WRAP[@]}" -gt 0 ]; then
    qf_start_ready "$name" "${CHAOS_WRAP[@]}" "$QF_BIN/$prog" "$@"
  else
    qf_start_ready "$name" "$prog" "$@"
  fi
}

# chaos_start_system N [SCHEDULER ARGS...]
chaos_start_system() {
  local n=$1 i
  shift
  CHAOS_SCHED_ARGS=("$@")
  QF_API=tcp://$CHAOS_HOST:$(chaos_port)
  QF_WORK=tcp://$CHAOS_HOST:$(chaos_port)
  QF_STORE=tcp://$CHAOS_HOST:$(chaos_port)
  QF_HOOK=http://$CHAOS_HOST:$(chaos_port)
  QF_RECORD=$QF_DIR/received.jsonl
  export QUNFA_SERVER=$QF_API
  chaos_restart mockchat || return 1
  chaos_restart store || return 1
  chaos_restart scheduler || return 1
  CHAOS_DISPATCHERS=()
  for i in $(seq 1 "$n"); do
    CHAOS_DISPATCHERS+=("dispatcher$i")
    chaos_restart "dispatcher$i" || return 1
  done
}

# chaos_restart NAME: (re)starts one process of the system on its own data.
chaos_restart() {
  case $1 in
  mockchat)
    chaos_spawn mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" \
      ${CHAOS_MOCKCHAT_ARGS:-}
    ;;
  store) chaos_spawn store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store" ;;
  scheduler)
    chaos_spawn scheduler qunfa-scheduler --listen "$QF_API" --work "$QF_WORK" \
      --store "$QF_STORE" --data "$QF_DIR/scheduler" "${CHAOS_SCHED_ARGS[@]}"
    ;;
  dispatcher*)
    chaos_spawn "$1" qunfa-dispatcher --work "$QF_WORK" --store "$QF_STORE" \
      --name "$1" ${CHAOS_DISPATCHER_ARGS[@]+"${CHAOS_DISPATCHER_ARGS[@]}"}
    ;;
  *)
    echo "chaos_restart: unknown process $1" >&2
    return 1
    ;;
  esac
}

# chaos_groups N [RATE]: imports N generic groups g1..gN (with RATE, e.g. 5/s)
# and writes their ids to the audience file.
chaos_groups() {
  local n=$1 rate=${2:-}
  python3 - "$n" "$QF_HOOK" "$rate" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
n, hook, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(1, n + 1):
    g = {"id": f"g{i}", "name": f"Group {i}", "dialect": "generic",
         "url": f"{hook}/hook/g{i}"}
    if rate:
        g["rate"] = rate
    print(json.dumps(g))
PY
  "$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null || return 1
  seq -f 'g%g' 1 "$n" >"$CHAOS_AUDIENCE"
}

# chaos_post TEXT: a post to all groups, due now; prints its id and adds it to
# the acknowledged posts. Fails if the scheduler did not acknowledge it.
chaos_post() {
  local id
  id=$("$QF_BIN/qunfa" post --to all --text "$1" --json | jq -r .post) || return 1
  [ -n "$id" ] && [ "$id" != null ] || return 1
  echo "$id" >>"$CHAOS_POSTS"
  echo "$id"
}

# True when no acknowledged post has a pending or leased delivery.
chaos_settled() {
  local p s
  for p in $(cat "$CHAOS_POSTS" ${CHAOS_EXTRA_POSTS:+"$CHAOS_EXTRA_POSTS"} | sort -un); do
    s=$("$QF_BIN/qunfa" status "$p" --json --timeout-ms 5000 2>/dev/null) || return 1
    [ "$(jq '.pending + .leased' <<<"$s")" -eq 0 ] || return 1
  done
}

# chaos_settle SECONDS: waits for chaos_settled; a timeout is not a failure by
# itself (the checker then counts what never settled).
chaos_settle() {
  local deadline=$(($(qf_now_ms) + $1 * 1000))
  until chaos_settled; do
    [ "$(qf_now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# chaos_check LABEL [NOTE]: runs the checker; prints "LABEL lost=.. duplicated=..
# unexpected=.. never_settled=.. new_duplicates=D NOTE" (D: since the previous
# check) and leaves that line in CHAOS_LINE. Returns the checker's exit status
# (a failure is recorded and the directory kept). Not for $(...): it records.
CHAOS_PREV_DUP=0
chaos_check() {
  local label=$1 note=${2:-} out rc=0 dup
  out=$(python3 "$CHAOS_DIR/check.py" --record "$QF_RECORD" --posts "$CHAOS_POSTS" \
    --audience "$CHAOS_AUDIENCE" --qunfa "$QF_BIN/qunfa" 2>"$QF_DIR/check.err") || rc=$?
  dup=$(sed -n 's/.*duplicated=\([0-9]*\).*/\1/p' <<<"$out")
  unacked=$(sed -n 's/.* unacked_posts=\([0-9]*\).*/\1/p' "$QF_DIR/check.err")
  CHAOS_LINE="$label $out new_duplicates=$((${dup:-0} - CHAOS_PREV_DUP))"
  CHAOS_LINE+=" unacked_posts=${unacked:-0}${note:+ $note}"
  CHAOS_PREV_DUP=${dup:-0}
  echo "$CHAOS_LINE"
  echo "$CHAOS_LINE" >>"$QF_DIR/results.txt"
  if [ "$rc" -ne 0 ]; then
    sed 's/^/  | /' "$QF_DIR/check.err" >&2
    chaos_fail "$label: checker exit $rc (directory kept: $QF_DIR)"
  fi
  return "$rc"
}

# chaos_rss PID: resident set size in KiB.
chaos_rss() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# chaos_finish: stops every process still running with SIGTERM (each must exit 0
# within 15 s: a clean shutdown after the faults is judged too), fails on any
# sanitizer report in their logs, then qf_finish.
chaos_finish() {
  local name
  for name in "${!QF_PIDS[@]}"; do
    qf_stop "$name" 15 || QF_KEEP=1
  done
  if grep -lE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' \
    "$QF_DIR"/*.err "$QF_DIR"/*.log >"$QF_DIR/sanitizer.txt" 2>/dev/null; then
    chaos_fail "sanitizer reports in: $(tr '\n' ' ' <"$QF_DIR/sanitizer.txt")"
  fi
  qf_finish
}
