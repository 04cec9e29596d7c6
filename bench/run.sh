#!/usr/bin/env bash
# qunfa's benchmark suite: fan-out, firing precision, the stack's ceilings and the
# peer (BullMQ on Redis), side by side in one run on this machine. Raw results go
# to $BENCH_RESULTS (one JSON line per run); the tables are written between the
# results markers of docs/benchmarks.md.
#
#   bench/run.sh                  full: fan-out to 1k/10k/100k groups, 1/2/4 dispatchers
#   BENCH_QUICK=1 bench/run.sh    quick: 1k/10k groups, 1/2 dispatchers
#
# Both also run the limiter workload (bench/limiter.sh: 1,000 WeCom groups at
# 20 per minute, in real time) over 2 windows (quick: 1).
#
# Environment:
#   BENCH_REPS=3         runs per figure (median [min-max] is reported)
#   BENCH_ONLY="fanout precision ceilings peer limiter"   parts to run
#   BENCH_SIZES="100000" BENCH_DISPATCHERS="2"   fan-out sizes and dispatcher
#                        counts instead of the mode's
#   BENCH_BUILD=DIR      build directory (default build-bench, Release)
#   BENCH_BIN=DIR        take the services from DIR instead of building
#   BENCH_RESULTS=DIR    where raw results go (default DIR/bench-results/<time>)
#   BENCH_DOC=FILE       document to update (default docs/benchmarks.md; "" = none)
#   BENCH_CONNECTIONS=128  sends in flight in all, split evenly over the
#                        dispatchers (--concurrency) or BullMQ worker processes
#                        (concurrency): mockchat's listener has an accept backlog
#                        of 128, and more simultaneous connects than that cost
#                        1 s SYN retransmits (docs/benchmarks.md)
#
# Installs what it needs from Debian (wrk, redis-server, lmdb-utils, jq) and npm
# (bullmq, into bench/peer/node_modules); sends traffic to 127.0.0.1 only; stops
# everything it started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
quick=${BENCH_QUICK:-}
reps=${BENCH_REPS:-3}
only=${BENCH_ONLY:-fanout precision ceilings peer limiter}
build=${BENCH_BUILD:-$root/build-bench}
doc=${BENCH_DOC-$root/docs/benchmarks.md}
if [ -n "$quick" ]; then
  sizes="1000 10000"
  dispatchers="1 2"
  ceiling_s=3
  limiter_windows=1
else
  sizes="1000 10000 100000"
  dispatchers="1 2 4"
  ceiling_s=5
  limiter_windows=2
fi
sizes=${BENCH_SIZES:-$sizes}
dispatchers=${BENCH_DISPATCHERS:-$dispatchers}
peer_sizes="1000 10000"
peer_workers="1 2"
precision_posts=${BENCH_PRECISION_POSTS:-10000}
precision_window_ms=20000
connections=${BENCH_CONNECTIONS:-128}

# Runs the function "$@" in a new process of this script, where set -e holds (it
# does not in a subshell or function whose status is tested), and returns its
# status. Its EXIT trap stops whatever it started.
isolated() {
  run=$run results=$results bin=$bin benchbin=$benchbin "$here/run.sh" __run "$@"
}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
has() { [[ " $only " == *" $1 "* ]]; }

# ---- setup ----

install_deps() {
  local pkgs="cmake make gcc pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler
    liblmdb-dev libuv1-dev libcurl4-openssl-dev libjansson-dev libssl-dev jq curl
    python3 lmdb-utils"
  has ceilings && pkgs+=" wrk"
  has peer && pkgs+=" redis-server"
  # Node may come from elsewhere than Debian (e.g. NodeSource); only when absent:
  has peer && ! command -v npm >/dev/null && pkgs+=" nodejs npm"
  # shellcheck disable=SC2086
  "$root/scripts/deps.sh" $pkgs
}

# The bench programs come from the project's build when bench/ is part of it;
# otherwise they are compiled here against that build's libraries.
build_all() {
  if [ -n "${BENCH_BIN:-}" ]; then
    bin=$BENCH_BIN
  else
    log "building $build (Release)"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DQUNFA_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" >/dev/null
    bin=$build/services
  fi
  benchbin=$build/bench
  if [ ! -x "$benchbin/qunfa-bench" ] || [ "$here/driver.c" -nt "$benchbin/qunfa-bench" ]; then
    benchbin=$build/bench-standalone
    mkdir -p "$benchbin"
    local inc="-I$root/libcommon/include -I$root/libqunfa/include -I$build/proto"
    local libs="$build/libqunfa/libqunfa.a $build/libcommon/libqfcommon.a $build/libqf_proto.a"
    local p
    for p in driver:qunfa-bench nng_ceiling:nng-ceiling kv_ceiling:kv-ceiling; do
      # shellcheck disable=SC2046,SC2086
      cc -O2 -std=c11 -D_GNU_SOURCE $inc "$here/${p%%:*}.c" -o "$benchbin/${p##*:}" $libs \
        $(pkg-config --libs libprotobuf-c lmdb libuv jansson libcrypto) -lnng -lpthread
    done
  fi
}

# ---- helpers ----

hwm_snapshot() { # NAME PID -> $run/NAME.status
  cp "/proc/$2/status" "$run/$1.status" 2>/dev/null || true
}

wait_lines() { # FILE N SECONDS: until FILE has N lines
  local end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# SIGTERM, then SIGKILL if NAME has not exited within 15 s (logged: a process
# that does not stop on SIGTERM is a finding, and must not stall the suite).
stop_bounded() { # NAME
  local pid=${QF_PIDS[$1]} end=$((SECONDS + 15)) status=0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$1 (pid $pid) did not exit 15 s after SIGTERM; killed (log kept in $run)"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" || status=$?
  unset "QF_PIDS[$1]"
  [ $status -eq 0 ] || log "$1 exited with status $status"
}

# Stops what the run started, workers before what they talk to.
stop_system() {
  local name
  for name in $(printf '%s\n' "${!QF_PIDS[@]}" | sort -r); do
    case $name in dispatcher*) stop_bounded "$name" ;; esac
  done
  for name in scheduler store mockchat redis; do
    [ -n "${QF_PIDS[$name]:-}" ] || continue
    stop_bounded "$name"
  done
}

# The standard system with D dispatchers sharing $connections sends in flight.
start_system() { # D
  qf_start_system 0
  local i
  for i in $(seq 1 "$1"); do
    qf_start "dispatcher$i" qunfa-dispatcher --work "$QF_WORK" --store "$QF_STORE" \
      --name "d$i" --concurrency $((connections / $1))
  done
}

# qf_system_init and a trap that keeps the run's logs before cleaning up. The
# services log to *.err only (redis to redis.log): cp fails on the pattern that
# matches nothing, which under set -e ended the trap there with status 1, so a
# run whose figures were recorded was reported failed and never cleaned up.
system_init() {
  qf_system_init "$bin"
  trap 'cp "$QF_DIR"/*.err "$QF_DIR"/*.log "$run/" 2>/dev/null || true; qf_cleanup' EXIT
}

# ---- qunfa ----

# One fan-out: a fresh system with D dispatchers, N groups, one post to all.
qunfa_fanout() { # N D REP
  local n=$1 d=$2 rep=$3
  run=$results/runs/qunfa-fanout-$n-$d-$rep
  mkdir -p "$run"
  isolated qunfa_fanout_run "$n" "$d" "$rep" ||
    log "qunfa fan-out n=$n d=$d rep=$rep failed (see $run)"
  tail -n 1 "$results/fanout.jsonl" >&2
}

qunfa_fanout_run() { # N D REP
  local n=$1 d=$2 rep=$3
  . "$root/scripts/system.sh"
  system_init
  start_system "$d"
  "$benchbin/qunfa-bench" groups --count "$n" --hook "$QF_HOOK"
  # The lead leaves time to create the post (audience, content, N records).
  "$benchbin/qunfa-bench" fanout --lead-ms $((1500 + n / 20)) \
    --timeout-ms $((60000 + n * 10)) >"$run/fanout.json"
  wait_lines "$QF_RECORD" "$n" 30 || log "mockchat recorded fewer than $n"
  hwm_snapshot scheduler "${QF_PIDS[scheduler]}"
  local i
  for i in $(seq 1 "$d"); do hwm_snapshot "dispatcher$i" "${QF_PIDS[dispatcher$i]}"; done
  mdb_stat -e -a "$QF_DIR/scheduler" >"$run/mdb_stat.txt" 2>&1 || true
  python3 "$here/analyze.py" fanout --system qunfa --groups "$n" --workers "$d" \
    --rep "$rep" --record "$QF_RECORD" --fanout "$run/fanout.json" \
    --sched-log "$QF_DIR/scheduler.err" --sched-status "$run/scheduler.status" \
    --disp-status "$run"/dispatcher*.status --mdb-stat "$run/mdb_stat.txt" \
    >>"$results/fanout.jsonl"
  stop_system
}

qunfa_precision() { # REP
  local rep=$1 n=$precision_posts
  run=$results/runs/qunfa-precision-$rep
  mkdir -p "$run"
  isolated qunfa_precision_run "$rep" || log "qunfa precision rep=$rep failed (see $run)"
  tail -n 1 "$results/precision.jsonl" >&2
}

qunfa_precision_run() { # REP
  local rep=$1 n=$precision_posts
  . "$root/scripts/system.sh"
  system_init
  start_system 2
  "$benchbin/qunfa-bench" groups --count "$n" --hook "$QF_HOOK"
  "$benchbin/qunfa-bench" precision --posts "$n" --window-ms "$precision_window_ms" \
    --lead-ms "${BENCH_PRECISION_LEAD_MS:-25000}" --threads 4 \
    --out "$run/plan.txt" >"$run/create.json"
  local t0 now
  t0=$(jq .t0_ms "$run/create.json")
  now=$(date +%s%3N)
  wait_lines "$QF_RECORD" "$n" $(((t0 + precision_window_ms - now) / 1000 + 30)) ||
    log "mockchat recorded fewer than $n"
  python3 "$here/analyze.py" precision --system qunfa --rep "$rep" --record "$QF_RECORD" \
    --plan "$run/plan.txt" --sched-log "$QF_DIR/scheduler.err" \
    --create-ms "$(jq .create_ms "$run/create.json")" >>"$results/precision.jsonl"
  stop_system
}

# ---- the peer: BullMQ on Redis ----

peer_install() {
  (cd "$here/peer" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
}

# Runs `node main.js MODE ...` against a fresh Redis (AOF everysec) and a fresh
# mockchat; the run's directory gets the record and the workers' status.
peer_run() { # MODE N WORKERS LEAD_MS [WINDOW_MS]
  isolated peer_run_body "$@"
}

peer_run_body() {
  . "$root/scripts/system.sh"
  system_init
  local port
  port=$(qf_free_port)
  mkdir -p "$QF_DIR/redis"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$QF_DIR/redis" --save '' \
    --appendonly yes --appendfsync everysec --daemonize no --loglevel warning \
    >"$QF_DIR/redis.log" 2>&1 &
  QF_PIDS[redis]=$!
  local end=$((SECONDS + 20))
  until redis-cli -p "$port" ping >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { log "redis did not start"; exit 1; }
    sleep 0.05
  done
  QF_HOOK=http://127.0.0.1:$(qf_free_port)
  QF_RECORD=$run/received.jsonl
  qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD"
  PEER_REDIS_PORT=$port PEER_HOOK=$QF_HOOK PEER_CONCURRENCY=$((connections / $3)) \
    timeout 900 node "$here/peer/main.js" "$1" "$2" "$3" "$4" "$run" "${5:-0}" \
    >"$run/fanout.json"
  wait_lines "$QF_RECORD" "$2" 30 || log "mockchat recorded fewer than $2"
  hwm_snapshot redis "${QF_PIDS[redis]}"
  stop_system
}

peer_fanout() { # N W REP
  local n=$1 w=$2 rep=$3
  run=$results/runs/bullmq-fanout-$n-$w-$rep
  mkdir -p "$run"
  if peer_run fanout "$n" "$w" $((1500 + n / 5)); then
    python3 "$here/analyze.py" fanout --system bullmq --groups "$n" --workers "$w" \
      --rep "$rep" --record "$run/received.jsonl" --fanout "$run/fanout.json" \
      --sched-status "$run/redis.status" --disp-status "$run"/worker-*.status \
      --redis-bytes-per-job "$(jq .redis_bytes_per_job "$run/fanout.json")" \
      >>"$results/fanout.jsonl"
    tail -n 1 "$results/fanout.jsonl" >&2
  else
    log "bullmq fan-out n=$n w=$w rep=$rep failed (see $run)"
  fi
}

peer_precision() { # REP
  local rep=$1 n=$precision_posts
  run=$results/runs/bullmq-precision-$rep
  mkdir -p "$run"
  # BullMQ adds 10,000 delayed jobs in about a second: a short lead is enough.
  if peer_run precision "$n" 2 5000 "$precision_window_ms"; then
    cat "$run"/leases-*.txt >"$run/leases.txt"
    python3 "$here/analyze.py" precision --system bullmq --rep "$rep" \
      --record "$run/received.jsonl" --plan "$run/plan.txt" --leases "$run/leases.txt" \
      --create-ms "$(jq .create_ms "$run/fanout.json")" \
      >>"$results/precision.jsonl"
    tail -n 1 "$results/precision.jsonl" >&2
  else
    log "bullmq precision rep=$rep failed (see $run)"
  fi
}

# ---- ceilings ----

ceiling() { # NAME COMPARE JSON-with-per_s
  jq -c --arg name "$1" --argjson compare "$2" --argjson rep "$rep" \
    '. + {name: $name, compare: $compare, rep: $rep}' \
    <<<"$3" >>"$results/ceilings.jsonl"
  tail -n 1 "$results/ceilings.jsonl" >&2
}

ceilings() { # REP
  run=$results/runs/ceilings-$1
  mkdir -p "$run"
  isolated ceilings_run "$1" || log "ceilings rep=$1 failed"
}

ceilings_run() { # REP
  local rep=$1
  . "$root/scripts/system.sh"
  system_init
  QF_HOOK=http://127.0.0.1:$(qf_free_port)
  qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_DIR/received.jsonl"
  local out rate
  out=$(wrk -t 2 -c 64 -d "${ceiling_s}s" -s "$here/wrk_post.lua" "$QF_HOOK/hook/g1")
  echo "$out" >"$run/wrk.txt"
  rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  ceiling "HTTP POST into mockchat (wrk, 64 keep-alive connections)" true "{\"per_s\":$rate}"
  stop_system
  local k
  for k in 1 16; do
    ceiling "NNG REQ/REP round trips, ipc, $k in flight, 200 B" false \
      "$("$benchbin/nng-ceiling" "ipc://$QF_DIR/nng.sock" "$ceiling_s" "$k" 200)"
  done
  out=$("$benchbin/kv-ceiling" "$QF_DIR/kv" $((ceiling_s > 3 ? 3 : 2)) 2>/dev/null)
  ceiling "LMDB durable commits (1 put each)" false "$(jq -c '{per_s: .commits_per_s}' <<<"$out")"
  ceiling "LMDB puts in 1,000-put durable commits, sequential keys" false \
    "$(jq -c '{per_s: .batch_seq_puts_per_s}' <<<"$out")"
  ceiling "LMDB puts in 1,000-put durable commits, random keys" false \
    "$(jq -c '{per_s: .batch_random_puts_per_s}' <<<"$out")"
}

# ---- limiter ----

limiter() { # REP
  BENCH_REP=$1 BENCH_RUNS=$results/runs "$here/limiter.sh" "$bin" 1 "$limiter_windows" \
    >>"$results/limiter.jsonl" || log "limiter rep=$1 failed"
  tail -n 1 "$results/limiter.jsonl" >&2
}

# ---- the document ----

write_doc() {
  [ -n "$doc" ] && [ -f "$doc" ] || return 0
  python3 "$here/analyze.py" report "$results" >"$results/tables.md"
  python3 - "$doc" "$results/tables.md" <<'PY'
import sys
doc, tables = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
begin, end = "<!-- results:begin -->", "<!-- results:end -->"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + begin + "\n" + tables + "\n" + end + rest.split(end, 1)[1]
    open(doc, "w").write(text)
PY
  log "tables written into $doc"
}

# ---- main ----

if [ "${1:-}" = __run ]; then
  shift
  "$@"
  exit 0
fi

install_deps
build_all
results=${BENCH_RESULTS:-$build/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results/runs"
printf '{"date":"%s","quick":%s,"reps":%s,"nproc":%s,"cpu":"%s","mem_kb":%s,"load_start":%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$([ -n "$quick" ] && echo true || echo false)" "$reps" \
  "$(nproc)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
  "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" "$(cut -d' ' -f1 /proc/loadavg)" \
  >"$results/meta.jsonl"
log "results in $results"
has peer && peer_install

# Repetitions outermost, qunfa and the peer interleaved, so the ratios of one
# repetition come from runs minutes apart at most.
for rep in $(seq 1 "$reps"); do
  log "repetition $rep of $reps"
  has ceilings && ceilings "$rep"
  for n in $sizes; do
    if has fanout; then
      for d in $dispatchers; do qunfa_fanout "$n" "$d" "$rep"; done
    fi
    if has peer && [[ " $peer_sizes " == *" $n "* ]]; then
      for w in $peer_workers; do peer_fanout "$n" "$w" "$rep"; done
    fi
  done
  has precision && qunfa_precision "$rep"
  has peer && has precision && peer_precision "$rep"
  has limiter && limiter "$rep"
done
printf '{"load_end":%s}\n' "$(cut -d' ' -f1 /proc/loadavg)" >>"$results/meta.jsonl"
write_doc
python3 "$here/analyze.py" report "$results"
