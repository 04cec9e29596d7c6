#!/usr/bin/env bash
# Cancel: (1) a post due later, cancelled: every delivery is cancelled at once,
# status and deliveries say so, nothing arrives; (2) a post being delivered slowly
# (one dispatcher sending one at a time), cancelled mid-way: after the cancel's
# answer nothing arrives but what was already in a dispatcher's hands, and every
# delivery ends delivered or cancelled.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 0
qf_start dispatcher1 qunfa-dispatcher --work "$QF_WORK" --store "$QF_STORE" --name d1 \
  --concurrency 1
Q="$QF_BIN/qunfa"
now_ms() { date +%s%3N; }
received() { jq -s --arg p "$1" '[.[] | select(.post == $p)] | length' "$QF_RECORD" 2>/dev/null || echo 0; }

qf_make_groups 2000 "$QF_DIR/groups.jsonl"
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

# (1) Due in an hour, cancelled now.
at=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
post=$("$Q" post --to 'group:g1,g2,g3,g4,g5' --text "later" --at "$at" --json | jq -r .post)
r=$("$Q" cancel "$post" --json)
echo "cancel: $r"
jq -e --arg p "$post" '.post == $p and .cancelled == 5 and .leased == 0 and .was_done == false' <<<"$r" >/dev/null \
  || { echo "FAIL: cancel reply"; exit 1; }
status=$(qf_wait_post_done "$post" 10)
echo "status: $status"
jq -e '.total == 5 and .cancelled == 5 and .pending == 0 and .leased == 0' <<<"$status" >/dev/null \
  || { echo "FAIL: status after cancel"; exit 1; }
"$Q" deliveries "$post" --json | jq -e 'length == 5 and all(.state == "cancelled")' >/dev/null \
  || { echo "FAIL: deliveries after cancel"; exit 1; }
"$Q" cancel "$post" --json | jq -e '.was_done' >/dev/null || { echo "FAIL: second cancel"; exit 1; }
set +e
err=$("$Q" cancel 999999 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'post 999999 not found' <<<"$err" || { echo "FAIL: unknown post: $rc $err"; exit 1; }

# (2) 2,000 groups through one dispatcher sending one at a time; cancelled once
# some have arrived.
post2=$("$Q" post --to all --text "slow" --json | jq -r .post)
end=$((SECONDS + 30))
until [ "$(received "$post2")" -ge 50 ]; do
  [ $SECONDS -lt $end ] || { echo "FAIL: the slow post did not start"; exit 1; }
  sleep 0.02
done
r=$("$Q" cancel "$post2" --json)
t_reply=$(now_ms)
echo "cancel: $r"
leased=$(jq .leased <<<"$r")
status=$(qf_wait_post_done "$post2" 60)
echo "status: $status"
after=$(jq -s --arg p "$post2" --argjson t "$t_reply" '[.[] | select(.post == $p and .ts_ms > $t)] | length' "$QF_RECORD")
total_rx=$(received "$post2")
echo "received: $total_rx, after the cancel's answer: $after, leased at the cancel: $leased"
[ "$after" -le "$leased" ] || { echo "FAIL: $after arrived after the cancel, only $leased were leased"; exit 1; }
jq -e '.delivered + .cancelled == .total and .cancelled > 0 and .failed == 0' <<<"$status" >/dev/null \
  || { echo "FAIL: not every delivery ended delivered or cancelled"; exit 1; }
[ "$(jq .delivered <<<"$status")" -eq "$total_rx" ] || { echo "FAIL: delivered count differs from what arrived"; exit 1; }

# A restart keeps the cancel: nothing of the post is sent again.
qf_stop scheduler
qf_start_scheduler
[ "$("$Q" status "$post2" --json | jq .cancelled)" -eq "$(jq .cancelled <<<"$status")" ] \
  || { echo "FAIL: cancel not durable"; exit 1; }

for name in dispatcher1 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
