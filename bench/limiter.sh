#!/usr/bin/env bash
# Limiter accuracy and efficiency (docs/benchmarks.md, "Limiter accuracy"): 1,000
# WeCom groups, each at the platform's own 20 per minute (the dialect's published
# limit in the scheduler, the robot's window in mockchat), in real time: no time
# scale. qunfa's rates are N per second, minute or hour, so the only shorter form
# of a 20-per-minute window both sides can express is 20 per second (mockchat
# --time-scale 60), whose sum over 1,000 groups (20,000/s) is twice what this
# machine's pipeline delivers at all: it would measure the machine, not the
# limiter.
#
# One run: mockchat, store, scheduler and 2 dispatchers (defaults) on loopback;
# 20 x (WINDOWS + 1) + 5 posts to all groups, all due at one instant T0, so every
# group has more waiting than its limit lets through; then waits until mockchat
# has received the burst of the window after the measured span too (so the
# span's far edge is judged as well). Measured:
#   - violations: mockchat's /stats (requests it refused as over a robot's
#     window), and recomputed from the record's receive times: messages that
#     are the 21st within any 60 s of their group;
#   - achieved / ideal: messages received within [t0, t0 + WINDOWS x 60 s)
#     (t0 = the first receipt) / (1,000 x 20 x WINDOWS).
# Usage: bench/limiter.sh BIN_DIR [REPS=3] [WINDOWS=2]. One JSON line per run on
# stdout, numbered from $BENCH_REP (default 1); every run's logs and mockchat's
# stats are kept under $BENCH_RUNS (when set).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: bench/limiter.sh BIN_DIR [REPS] [WINDOWS]}
reps=${2:-3}
windows=${3:-2}
bin=$(cd "$bin" && pwd)
groups=1000 limit=20 window_ms=60000
posts=$((limit * (windows + 1) + 5))
. "$here/../scripts/system.sh"

make_groups() { # FILE
  python3 - "$QF_HOOK" "$groups" >"$1" <<'PY'
import json, sys
hook, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    print(json.dumps({"id": f"w{i}", "dialect": "wecom",
                      "url": f"{hook}/cgi-bin/webhook/send?key=robot{i}"}))
PY
}

# The span and the next window's burst have been received.
past_span() { [ "$(wc -l <"$QF_RECORD")" -ge $((groups * limit * (windows + 1))) ]; }

one_run() { # REP
  qf_system_init "$bin" "bench-limiter-$1"
  qf_start_system 2 >/dev/null
  make_groups "$QF_DIR/groups.jsonl"
  "$bin/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
  touch "$QF_RECORD"
  local t0_s at i created
  t0_s=$(($(date +%s) + 20))
  at=$(qf_rfc3339 $((t0_s * 1000)))
  for i in $(seq 1 "$posts"); do
    "$bin/qunfa" post --to all --text "limiter $i" --at "$at" --json >/dev/null
  done
  created=$(date +%s%3N)
  [ "$created" -lt $((t0_s * 1000)) ] || echo "posts created after T0" >&2
  qf_wait_for $((windows * window_ms / 1000 + 60)) "the span to pass" past_span
  curl -sf "$QF_HOOK/stats" >"$QF_DIR/mockchat-stats.json"
  for p in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$p" >/dev/null; done
  python3 "$here/analyze.py" limiter --rep "$1" --record "$QF_RECORD" \
    --stats "$QF_DIR/mockchat-stats.json" --groups "$groups" --limit "$limit" \
    --window-ms "$window_ms" --windows "$windows" --posts "$posts" \
    --due-ms $((t0_s * 1000))
  if [ -n "${BENCH_RUNS:-}" ]; then
    mkdir -p "$BENCH_RUNS/limiter-$1"
    cp "$QF_DIR"/*.err "$QF_DIR/mockchat-stats.json" "$BENCH_RUNS/limiter-$1/" 2>/dev/null || true
  fi
  qf_cleanup
}

first=${BENCH_REP:-1}
for rep in $(seq "$first" $((first + reps - 1))); do one_run "$rep"; done
