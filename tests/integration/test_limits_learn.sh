#!/usr/bin/env bash
# The scheduler learns a platform's real rate from its rate-limit answers:
# two Slack hooks (1 message per second at mockchat) whose groups' own rate
# (20/s) lets the scheduler send much faster. Three runs of K posts into both
# groups, each run's posts due at the same instant (a burst):
#   run 1: mockchat answers 429 + Retry-After (T1 violations); every delivery
#          ends delivered, none failed; the scheduler logs what it learned;
#   run 2: the same burst meets the learned rate: T2 < T1, and T2 == 0 (Slack's
#          limit is steady, and learning reached it);
#   run 3: after a scheduler restart the learned rate still applies (read back
#          from LMDB, logged as restored): no violation either.
# With --no-learn-limits (QF_LEARN_ARGS=--no-learn-limits) run 2 sees as many
# violations as run 1 and the test fails.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

K=6
qf_system_addresses
STATS=ipc://$QF_DIR/scheduler.stats
CHAT=http://127.0.0.1:$(qf_free_port)
read -r -a LEARN_ARGS <<<"${QF_LEARN_ARGS:-}"
qf_start_ready chat qunfa-mockchat --listen "$CHAT" --record "$QF_DIR/chat.jsonl"
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler --stats "$STATS" "${LEARN_ARGS[@]}"
qf_start_dispatcher dispatcher1

for g in a b; do
  printf '{"id":"slack-%s","dialect":"slack","rate":"20/s","url":"%s/services/T1/B1/%s"}\n' \
    "$g" "$CHAT" "$g"
done >"$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null

violations() { curl -s "$CHAT/stats" | jq '[.groups[] | .violations] | add // 0'; }

# run NAME: K posts to both groups, due together 2 s from now; waits for them,
# asserts every delivery delivered, and prints the violations mockchat counted.
run() {
  local at before post status delivered=0 failed=0
  before=$(violations)
  at=$(qf_rfc3339 $((($(date +%s) + 2) * 1000)))
  local posts=()
  for i in $(seq 1 "$K"); do
    posts+=("$("$QF_BIN/qunfa" post --to group:slack-a,slack-b --at "$at" \
      --text "$1 $i" --json | jq -r .post)")
  done
  for post in "${posts[@]}"; do
    status=$(qf_wait_post_done "$post" 90) || return 1
    delivered=$((delivered + $(jq .delivered <<<"$status")))
    failed=$((failed + $(jq .failed <<<"$status")))
  done
  qf_assert_eq "$1: delivered" $((2 * K)) "$delivered" >&2
  qf_assert_eq "$1: failed" 0 "$failed" >&2
  echo $(($(violations) - before))
}

t1=$(run first)
echo "run 1: $t1 throttled answers"
[ "$t1" -ge 2 ] || qf_fail "run 1: mockchat throttled $t1 messages (a 20/s burst into 1/s hooks)"
grep -q 'event=limit_learned group=slack-a dialect=slack .*why=throttled' \
  "$QF_TMP/scheduler.err" || qf_fail "no limit_learned line for slack-a"
sched=$("$QF_BIN/qunfa" stats --stats-url "$STATS" --json | jq -c '.[0].stats')
qf_assert_eq "groups with a learned limit" 2 "$(jq '.gauges.limiter_learned_keys' <<<"$sched")"
qf_assert_eq "throttled answers counted" "$t1" \
  "$(jq '.counters["throttled_answers{dialect=slack}"]' <<<"$sched")"

t2=$(run second)
echo "run 2: $t2 throttled answers"
[ "$t2" -lt "$t1" ] || qf_fail "run 2 throttled $t2, not fewer than run 1's $t1"
qf_assert_eq "run 2: no throttled answer at the learned rate" 0 "$t2"

qf_stop scheduler
qf_start_scheduler --stats "$STATS" "${LEARN_ARGS[@]}"
t3=$(run restarted)
echo "run 3 (after a restart): $t3 throttled answers"
qf_assert_eq "run 3: the learned rate survived the restart" 0 "$t3"
grep -q 'event=limit_learned group=slack-a dialect=slack limit=1 .*why=restored' \
  "$QF_TMP/scheduler.err" || qf_fail "the learned limit of slack-a was not restored"
# Slack's window held at the receiver in runs 2 and 3: accepted at least 1 s apart.
qf_assert_eq "accepted within 1 s of each other after learning" 0 "$(jq -s '
  [.[] | select(.text | test("^(second|restarted) "))] | group_by(.group)
  | map([.[].ts_ms] | sort | [range(1; length) as $i | .[$i] - .[$i - 1] | select(. < 1000)]
  | length) | add' "$QF_DIR/chat.jsonl")"

for name in dispatcher1 scheduler store chat; do qf_stop "$name"; done
qf_finish
