# shellcheck shell=bash
# A whole qunfa system on loopback, for the demo and the integration tests, on top
# of the process helpers of tests/integration/lib.sh (qf_start, qf_wait_ready,
# qf_stop, qf_kill, qf_wait_for, asserts). Source it, then:
#   qf_system_init BIN_DIR [NAME]   # temp dir $QF_DIR (= $QF_TMP), cleanup on exit
#   qf_start_system [DISPATCHERS] [SCHEDULER ARGS...]
#   qf_make_groups N FILE [QUERY]    # N generic groups hooked to mockchat
#   qf_wait_post_done POST [SECONDS] # prints the final status JSON
#   qf_start_ready NAME PROGRAM ARGS...   # start and wait for event=ready
# Every wait has a deadline; nothing sleeps a fixed time to synchronise.

. "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/lib.sh"

QF_READY_TIMEOUT=${QF_READY_TIMEOUT:-20}
QF_MOCKCHAT_ARGS=()
QF_DISPATCHER_ARGS=()

qf_system_init() {
  QF_BIN=$1
  qf_init "${2:-$(basename "$0" .sh)}"
  QF_DIR=$QF_TMP
}

# qf_start_ready NAME PROGRAM ARGS...: qf_start, then qf_wait_ready.
qf_start_ready() {
  qf_start "$@"
  qf_wait_ready "$1" "$QF_READY_TIMEOUT"
}

# The standard system's addresses under QF_DIR: sets QF_API, QF_WORK, QF_STORE,
# QF_RECORD, QF_HOOK (a free loopback port) and exports QUNFA_SERVER for the CLI.
qf_system_addresses() {
  QF_API=ipc://$QF_DIR/api.sock
  QF_WORK=ipc://$QF_DIR/work.sock
  QF_STORE=ipc://$QF_DIR/store.sock
  QF_RECORD=$QF_DIR/received.jsonl
  QF_HOOK=http://127.0.0.1:$(qf_free_port)
  export QUNFA_SERVER=$QF_API
}

# The standard system: mockchat, store, scheduler and N dispatchers.
# Sets QF_API, QF_WORK, QF_STORE, QF_HOOK (mockchat base url), QF_RECORD and
# exports QUNFA_SERVER for the CLI. Extra flags for mockchat and for every
# dispatcher may be set beforehand in the arrays QF_MOCKCHAT_ARGS and
# QF_DISPATCHER_ARGS.
qf_start_system() {
  local dispatchers=${1:-2}
  shift || true
  qf_system_addresses
  qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" \
    "${QF_MOCKCHAT_ARGS[@]}" || return 1
  qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store" || return 1
  qf_start_scheduler "$@" || return 1
  local i
  for i in $(seq 1 "$dispatchers"); do
    qf_start_dispatcher "dispatcher$i" "${QF_DISPATCHER_ARGS[@]}" || return 1
  done
}

# (Re)starts the scheduler on the system's addresses; extra args are passed on.
qf_start_scheduler() {
  qf_start_ready scheduler qunfa-scheduler --listen "$QF_API" --work "$QF_WORK" \
    --store "$QF_STORE" --data "$QF_DIR/scheduler" "$@"
}

# qf_start_dispatcher NAME [ARGS...]: one more dispatcher on the system.
qf_start_dispatcher() {
  local name=$1
  shift
  qf_start_ready "$name" qunfa-dispatcher --work "$QF_WORK" --store "$QF_STORE" \
    --name "$name" "$@"
}

# qf_stat URL PATH: one figure of a process's stats document at URL, PATH being
# a jq path into it (.counters.leases_issued, .gauges.live_sessions).
qf_stat() {
  "$QF_BIN/qunfa" stats --stats-url "$1" --json | jq ".[0].stats$2"
}

# Writes N generic groups g1..gN hooked to mockchat into FILE (JSON Lines).
# QUERY, if given, is appended to every hook url.
qf_make_groups() {
  local n=$1 file=$2 query=${3:-}
  python3 - "$n" "$QF_HOOK" "$query" >"$file" <<'PY'
import json, sys
n, hook, query = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(1, n + 1):
    g = f"g{i}"
    print(json.dumps({"id": g, "name": f"Group {i}", "tags": ["demo"],
                      "dialect": "generic", "url": f"{hook}/hook/{g}{query}"}))
PY
}

# qf_throttled_groups FAST SLOW: imports FAST free groups tagged "fast" and
# SLOW groups at 1/min tagged "slow" (g1.., generic, hooked to mockchat), then
# has the slow ones use their minute, so anything sent to them next waits.
qf_throttled_groups() {
  local fast=$1 slow=$2 warm
  python3 - "$QF_HOOK" "$fast" "$slow" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
hook, fast, slow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(1, fast + slow + 1):
    g = {"id": f"g{i}", "tags": ["slow" if i > fast else "fast"], "dialect": "generic",
         "url": f"{hook}/hook/g{i}"}
    if i > fast:
        g["rate"] = "1/min"
    print(json.dumps(g))
PY
  "$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null || return 1
  touch "$QF_RECORD"
  warm=$("$QF_BIN/qunfa" post --to tag:slow --text "warm-up" --json | jq -r .post)
  qf_wait_post_done "$warm" 20 | jq -e ".delivered == $slow" >/dev/null ||
    qf_die "the slow groups' warm-up was not delivered"
}

# Waits until post POST has no pending or leased delivery; prints its status JSON.
# With PROGRESS set, draws a progress line on stderr while waiting.
qf_wait_post_done() {
  local post=$1 seconds=${2:-60} status=
  local deadline=$(($(qf_now_ms) + seconds * 1000))
  while [ "$(qf_now_ms)" -lt "$deadline" ]; do
    status=$("$QF_BIN/qunfa" status "$post" --json) || return 1
    [ -n "${PROGRESS:-}" ] && _qf_progress "$status"
    if [ "$(jq '.pending + .leased' <<<"$status")" -eq 0 ]; then
      [ -n "${PROGRESS:-}" ] && echo >&2
      echo "$status"
      return 0
    fi
    sleep 0.1
  done
  qf_fail "post $post not done within ${seconds}s: $status"
  return 1
}

_qf_progress() {
  local line
  line=$(jq -r '"delivered \(.delivered)/\(.total)  pending \(.pending)  leased \(.leased)  failed \(.failed)"' <<<"$1")
  if [ -t 2 ]; then printf '\r  %s' "$line" >&2; else echo "  $line" >&2; fi
}
