#!/usr/bin/env bash
# 1,000 groups, one post: every group receives it exactly once (judged by
# mockchat's record) and the post's status shows 1000 delivered.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2

qf_make_groups 1000 "$QF_DIR/groups.jsonl"
[ "$("$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json | jq .imported)" -eq 1000 ]

post=$("$QF_BIN/qunfa" post --to all --text "hello groups" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 60)
echo "status: $status"
[ "$(jq .delivered <<<"$status")" -eq 1000 ] || { echo "FAIL: not all delivered"; exit 1; }
[ "$(jq .total <<<"$status")" -eq 1000 ]
[ "$(jq -r .post <<<"$status")" = "$post" ]

# Exactly once per group, with the post's text and idempotency key.
jq -s --arg p "$post" '
  [.[] | select(.post == $p)] as $m
  | { lines: ($m | length),
      groups: ($m | map(.group) | unique | length),
      bad: ($m | map(select(.text != "hello groups" or .idempotency_key != "\($p):\(.group)")) | length) }
' "$QF_RECORD" >"$QF_DIR/check.json"
cat "$QF_DIR/check.json"
[ "$(jq .lines "$QF_DIR/check.json")" -eq 1000 ] || { echo "FAIL: expected 1000 messages"; exit 1; }
[ "$(jq .groups "$QF_DIR/check.json")" -eq 1000 ] || { echo "FAIL: expected 1000 groups"; exit 1; }
[ "$(jq .bad "$QF_DIR/check.json")" -eq 0 ] || { echo "FAIL: wrong text or key"; exit 1; }

# Every delivery says delivered, once, with a time.
"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/deliveries.json"
[ "$(jq '[.[] | select(.state == "delivered" and .attempts == 1 and .delivered_at > 0)] | length' "$QF_DIR/deliveries.json")" -eq 1000 ] \
  || { echo "FAIL: deliveries"; head -c 600 "$QF_DIR/deliveries.json"; exit 1; }

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
