#!/usr/bin/env bash
# Scale-out over TCP: dispatchers dial the scheduler and the store at
# tcp://127.0.0.1. Two run from the start, two more join mid-run. 2,000 groups,
# one post, a platform answering each request after 40 ms: every group receives
# the post exactly once (no process is killed), and every dispatcher, including
# the two that joined late, delivered a share.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

N=2000
QF_API=ipc://$QF_DIR/api.sock
QF_WORK=tcp://127.0.0.1:$(qf_free_port)
QF_STORE=tcp://127.0.0.1:$(qf_free_port)
QF_RECORD=$QF_DIR/received.jsonl
QF_HOOK=http://127.0.0.1:$(qf_free_port)
export QUNFA_SERVER=$QF_API
qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" \
  --latency-ms 40
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler
# Small credit each, so the early two cannot lease everything at once.
qf_start_dispatcher dispatcher1 --concurrency 16
qf_start_dispatcher dispatcher2 --concurrency 16

qf_make_groups "$N" "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "scale me" --json | jq -r .post)

delivered() { "$QF_BIN/qunfa" status "$post" --json | jq .delivered; }
some_delivered() { [ "$(delivered)" -ge 200 ]; }
qf_wait_for 30 "200 deliveries by the first two dispatchers" some_delivered
echo "delivered when two more joined: $(delivered)"
qf_start_dispatcher dispatcher3 --concurrency 16
qf_start_dispatcher dispatcher4 --concurrency 16

status=$(qf_wait_post_done "$post" 90)
echo "status: $status"
qf_assert_eq delivered "$N" "$(jq .delivered <<<"$status")"

qf_assert_eq "exactly once per group" "$N $N" "$(jq -rs --arg p "$post" '
  [.[] | select(.post == $p)] | "\(length) \(map(.group) | unique | length)"' "$QF_RECORD")"
"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d.json"
qf_assert_eq "one attempt each" "$N" \
  "$(jq '[.[] | select(.state == "delivered" and .attempts == 1)] | length' "$QF_DIR/d.json")"

# Each dispatcher says on exit how many results the scheduler committed.
total=0
for name in dispatcher1 dispatcher2 dispatcher3 dispatcher4; do
  qf_stop "$name"
  n=$(sed -n 's/.*event=stopped results_committed=\([0-9]*\).*/\1/p' "$QF_TMP/$name.err")
  echo "$name committed ${n:-?}"
  [ "${n:-0}" -gt 0 ] || qf_fail "$name delivered nothing"
  total=$((total + ${n:-0}))
done
qf_assert_eq "results committed by all four" "$N" "$total"
for name in scheduler store mockchat; do qf_stop "$name"; done
qf_finish
