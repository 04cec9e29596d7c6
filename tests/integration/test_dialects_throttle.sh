#!/usr/bin/env bash
# Platforms saying "slow down", each in its own words, and qunfa retrying until
# delivered:
# (1) a real violation: a Slack hook (1 message per second) whose group's own
#     rate (20/s) lets the scheduler send faster than Slack takes; four posts:
#     mockchat answers 429 + Retry-After and counts violations, the deliveries
#     are retried and all end delivered, and the hook never took two messages
#     within a second;
# (2) a throttle burst (--throttle-burst 2 on a second mockchat): every
#     Telegram chat and Feishu hook answers its first two requests with its
#     platform's rate-limit error (429 retry_after / code 11232); every delivery
#     ends delivered at its third attempt, none failed.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

qf_system_addresses
CHAT=http://127.0.0.1:$(qf_free_port)
BURST=http://127.0.0.1:$(qf_free_port)
qf_start_ready chat qunfa-mockchat --listen "$CHAT" --record "$QF_DIR/chat.jsonl"
qf_start_ready burst qunfa-mockchat --listen "$BURST" --record "$QF_DIR/burst.jsonl" \
  --throttle-burst 2
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler
qf_start_dispatcher dispatcher1

python3 - "$CHAT" "$BURST" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
chat, burst = sys.argv[1], sys.argv[2]
print(json.dumps({"id": "slack-fast", "dialect": "slack", "rate": "20/s",
                  "url": f"{chat}/services/T1/B1/X1"}))
for i in range(1, 6):
    print(json.dumps({"id": f"tg-{i}", "dialect": "telegram",
                      "url": f"{burst}/bot77:tok/sendMessage?chat_id=-100{i}"}))
    print(json.dumps({"id": f"fs-{i}", "dialect": "feishu",
                      "url": f"{burst}/open-apis/bot/v2/hook/h{i}"}))
PY
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null

# --- (1) a real violation, retried ---
posts=()
for i in 1 2 3 4; do
  posts+=("$("$QF_BIN/qunfa" post --to group:slack-fast --text "flash $i" --json | jq -r .post)")
done
for p in "${posts[@]}"; do
  qf_assert_eq "slack post $p delivered" 1 "$(qf_wait_post_done "$p" 60 | jq .delivered)"
done
qf_assert_eq "slack messages received" 4 \
  "$(jq -s '[.[] | select(.group == "slack-fast")] | length' "$QF_DIR/chat.jsonl")"
stats=$(curl -s "$CHAT/stats")
echo "slack stats: $(jq -c '.groups["slack-fast"]' <<<"$stats")"
violations=$(jq '.groups["slack-fast"].violations' <<<"$stats")
[ "$violations" -ge 1 ] || qf_fail "mockchat counted no violation (group rate 20/s on a 1/s hook)"
grep -q 'event=limit_violation dialect=slack group=slack-fast' "$QF_TMP/chat.err" ||
  qf_fail "no limit_violation logged"
# Slack's window held at the receiver: accepted messages at least 1 s apart.
qf_assert_eq "accepted within 1 s of each other" 0 "$(jq -s '
  [.[] | select(.group == "slack-fast") | .ts_ms] | sort
  | [range(1; length) as $i | .[$i] - .[$i - 1] | select(. < 1000)] | length' "$QF_DIR/chat.jsonl")"
retried=0
for p in "${posts[@]}"; do
  a=$("$QF_BIN/qunfa" deliveries "$p" --json | jq '.[0].attempts')
  [ "$a" -gt 1 ] && retried=$((retried + 1))
done
[ "$retried" -ge 1 ] || qf_fail "no slack delivery needed a retry"

# --- (2) a burst of rate-limit answers, backed off and retried ---
post=$("$QF_BIN/qunfa" post --to 'group:tg-1,tg-2,tg-3,tg-4,tg-5,fs-1,fs-2,fs-3,fs-4,fs-5' \
  --text "after the burst" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 90)
echo "burst status: $status"
qf_assert_eq "burst: delivered" 10 "$(jq .delivered <<<"$status")"
qf_assert_eq "burst: failed" 0 "$(jq .failed <<<"$status")"
"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d.json"
qf_assert_eq "burst: delivered at the third attempt" 10 \
  "$(jq '[.[] | select(.state == "delivered" and .attempts == 3)] | length' "$QF_DIR/d.json")"
bstats=$(curl -s "$BURST/stats")
qf_assert_eq "burst: throttled answers, none a violation" '{"accepted":10,"throttled":20,"violations":0}' \
  "$(jq -c '.totals | {accepted, throttled, violations}' <<<"$bstats")"
qf_assert_eq "burst: each group once" 10 \
  "$(jq -s '[.[] | .group] | unique | length' "$QF_DIR/burst.jsonl")"

for name in dispatcher1 scheduler store burst chat; do qf_stop "$name"; done
qf_finish
