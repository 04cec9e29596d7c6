#!/usr/bin/env bash
# Flash-sale start spread and live-segment latency (docs/benchmarks.md,
# "Flash sales and live sessions"). On one system (mockchat, store, scheduler,
# 2 dispatchers of 64 sends each) on loopback, generic groups (no platform limit binds):
#   - spread: a sale to N groups (1,000 and 10,000) starting 5 s after its
#     creation: the time between the first and the last group receiving the
#     announcement at mockchat, and how late the first one was;
#   - latency: a live session to 1,000 groups, 30 segments appended 300 ms apart
#     through `qunfa live say ID -`: for every (segment, group), from the moment
#     the segment was written to the CLI to its receipt at mockchat; p50, p99, max.
# Usage: bench/live_sale.sh BIN_DIR [REPS=3]. Prints one JSON line per run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: bench/live_sale.sh BIN_DIR [REPS]}
reps=${2:-3}
bin=$(cd "$bin" && pwd)
. "$here/../scripts/system.sh"

# Two dispatchers of 64 sends each: 128 in all, mockchat's accept backlog
# (more simultaneous connects cost 1 s SYN retransmits: docs/benchmarks.md).
start_system() {
  qf_start_system 0 >/dev/null
  qf_start_dispatcher dispatcher1 --concurrency 64 >/dev/null
  qf_start_dispatcher dispatcher2 --concurrency 64 >/dev/null
}

spread() {
  local n=$1
  qf_system_init "$bin" "bench-sale-$n"
  start_system
  qf_make_groups "$n" "$QF_DIR/groups.jsonl"
  "$bin/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
  touch "$QF_RECORD"
  local sale ann
  sale=$("$bin/qunfa" flash-sale create --item Tea --price 9.90 --orig-price 99 \
    --stock 100 --start +5s --end +120s --to all --json)
  ann=$(jq -r .announce_post <<<"$sale")
  qf_wait_post_done "$ann" 120 >/dev/null
  python3 - "$QF_RECORD" "$ann" "$(jq .start_ms <<<"$sale")" "$n" <<'PY'
import json, sys
path, ann, start, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ts = sorted(json.loads(l)["ts_ms"] for l in open(path) if f'"post":"{ann}"' in l)
assert len(ts) == n, (len(ts), n)
print(json.dumps({"bench": "sale_spread", "groups": n, "spread_ms": ts[-1] - ts[0],
                  "first_late_ms": ts[0] - start, "last_late_ms": ts[-1] - start}))
PY
  for p in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$p" >/dev/null; done
  qf_cleanup
}

latency() {
  local n=1000
  qf_system_init "$bin" "bench-live"
  start_system
  qf_make_groups "$n" "$QF_DIR/groups.jsonl"
  "$bin/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
  touch "$QF_RECORD"
  local id
  id=$("$bin/qunfa" live open --title Bench --guest Bench --to all --open-text OPEN --json | jq -r .live)
  python3 - "$bin/qunfa" "$id" "$QF_DIR/appended.json" <<'PY'
import json, subprocess, sys, time
q, live, out = sys.argv[1], sys.argv[2], sys.argv[3]
p = subprocess.Popen([q, "live", "say", live, "-"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True, bufsize=1)
at = {}
for i in range(1, 31):
    text = f"seg{i:02d}"
    at[text] = int(time.time() * 1000)
    p.stdin.write(text + "\n")
    p.stdin.flush()
    p.stdout.readline()              # the segment's number: it is appended
    time.sleep(max(0, 0.3 - (time.time() * 1000 - at[text]) / 1000))
p.stdin.close()
p.wait()
json.dump(at, open(out, "w"))
PY
  done_all() { "$bin/qunfa" live status "$id" --json | jq -e ".groups_done == $n" >/dev/null; }
  qf_wait_for 120 "the session at every group" done_all
  python3 - "$QF_RECORD" "$QF_DIR/appended.json" "$n" <<'PY'
import json, sys
path, at, n = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
lat, msgs = [], 0
for line in open(path):
    m = json.loads(line)
    msgs += 1
    for part in m["text"].split("\n"):
        if part in at:
            lat.append(m["ts_ms"] - at[part])
lat.sort()
assert len(lat) == 30 * n, len(lat)
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
print(json.dumps({"bench": "live_latency", "groups": n, "segments": 30,
                  "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": lat[-1],
                  "messages": msgs}))
PY
  for p in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$p" >/dev/null; done
  qf_cleanup
}

for _ in $(seq 1 "$reps"); do
  spread 1000
  spread 10000
  latency
done
