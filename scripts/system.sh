# Starts and stops a whole qunfa system on loopback, for the demo and the
# integration tests. Source it, then:
#   qf_system_init BIN_DIR   # a temp dir in $QF_DIR, cleaned up on exit
#   qf_start NAME PROGRAM ARGS...   # stderr to $QF_DIR/NAME.log; waits for event=ready
#   qf_stop NAME             # SIGTERM, waits; returns the exit status
#   qf_kill NAME             # SIGKILL
# Every wait has a deadline; nothing sleeps a fixed time to synchronise.

QF_READY_TIMEOUT=${QF_READY_TIMEOUT:-20}
declare -gA QF_PIDS=()

qf_system_init() {
  QF_BIN=$1
  QF_DIR=$(mktemp -d "${TMPDIR:-/tmp}/qunfa.XXXXXX")
  trap qf_system_cleanup EXIT
}

qf_system_cleanup() {
  local name
  for name in "${!QF_PIDS[@]}"; do
    kill -KILL "${QF_PIDS[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  [ -n "${QF_KEEP:-}" ] || rm -rf "$QF_DIR"
}

# A TCP port that nothing listens on now.
qf_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until FILE holds a line matching PATTERN, or the process PID dies, or
# SECONDS pass. Returns 0 when found.
qf_wait_line() {
  local file=$1 pattern=$2 pid=$3 seconds=$4
  local end=$((SECONDS + seconds))
  while [ $SECONDS -lt "$end" ]; do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

qf_start() {
  local name=$1 prog=$2
  shift 2
  "$QF_BIN/$prog" "$@" 2>>"$QF_DIR/$name.log" &
  QF_PIDS[$name]=$!
  if ! qf_wait_line "$QF_DIR/$name.log" 'event=ready' "${QF_PIDS[$name]}" "$QF_READY_TIMEOUT"; then
    echo "$name did not become ready; its log:" >&2
    tail -n 20 "$QF_DIR/$name.log" >&2
    return 1
  fi
}

qf_stop() {
  local name=$1 pid=${QF_PIDS[$1]} status=0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || status=$?
  unset "QF_PIDS[$name]"
  return $status
}

qf_kill() {
  local pid=${QF_PIDS[$1]}
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "QF_PIDS[$1]"
}

# The standard system: store, scheduler, N dispatchers and mockchat.
# Sets QF_API, QF_WORK, QF_STORE, QF_HOOK (mockchat base url), QF_RECORD.
qf_start_system() {
  local dispatchers=${1:-2}
  shift || true
  QF_API=ipc://$QF_DIR/api.sock
  QF_WORK=ipc://$QF_DIR/work.sock
  QF_STORE=ipc://$QF_DIR/store.sock
  QF_RECORD=$QF_DIR/received.jsonl
  QF_HOOK=http://127.0.0.1:$(qf_free_port)
  export QUNFA_SERVER=$QF_API
  qf_start mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" || return 1
  qf_start store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store" || return 1
  qf_start_scheduler "$@" || return 1
  local i
  for i in $(seq 1 "$dispatchers"); do
    qf_start "dispatcher$i" qunfa-dispatcher --work "$QF_WORK" --store "$QF_STORE" \
      --name "d$i" || return 1
  done
}

# (Re)starts the scheduler on the system's addresses; extra args are passed on.
qf_start_scheduler() {
  qf_start scheduler qunfa-scheduler --listen "$QF_API" --work "$QF_WORK" \
    --store "$QF_STORE" --data "$QF_DIR/scheduler" "$@"
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

# Waits until post POST has no pending or leased delivery; prints its status JSON.
# With PROGRESS set, draws a progress line on stderr while waiting.
qf_wait_post_done() {
  local post=$1 seconds=${2:-60} status
  local end=$((SECONDS + seconds))
  while [ $SECONDS -lt "$end" ]; do
    status=$("$QF_BIN/qunfa" status "$post" --json) || return 1
    if [ -n "${PROGRESS:-}" ]; then
      printf '\r  %s' "$(jq -r '"delivered \(.delivered)/\(.total)  pending \(.pending)  leased \(.leased)  failed \(.failed)"' <<<"$status")" >&2
    fi
    if [ "$(jq '.pending + .leased' <<<"$status")" -eq 0 ]; then
      [ -n "${PROGRESS:-}" ] && echo >&2
      echo "$status"
      return 0
    fi
    sleep 0.1
  done
  echo "post $post not done within ${seconds}s: $status" >&2
  return 1
}
