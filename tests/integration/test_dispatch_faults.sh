#!/usr/bin/env bash
# Faults on the sending side.
# (1) Three dispatchers, 5,000 groups; mid-run one dispatcher is killed with
#     SIGKILL and another stopped with SIGTERM (it must exit 0): every group
#     receives the post at least once; duplicates are counted and printed.
# (2) A platform answering 20% of requests with 5xx, each after 200 ms: every
#     delivery ends delivered within --max-attempts.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

# A platform that answers after 50 ms and dispatchers with small credit make the
# run last long enough for the faults to land mid-run.
QF_MOCKCHAT_ARGS=(--latency-ms 50)
QF_DISPATCHER_ARGS=(--concurrency 24)
qf_start_system 3 --lease-ms 3000

N=5000
qf_make_groups "$N" "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "faults" --json | jq -r .post)

delivered() { "$QF_BIN/qunfa" status "$post" --json | jq .delivered; }
at_least() { [ "$(delivered)" -ge "$1" ]; }
qf_wait_for 60 "1,000 deliveries" at_least 1000
echo "SIGKILL dispatcher1 at $(delivered) delivered"
qf_kill dispatcher1 KILL
qf_wait_for 60 "2,500 deliveries" at_least 2500
echo "SIGTERM dispatcher2 at $(delivered) delivered"
qf_stop dispatcher2 30
[ "$(delivered)" -lt "$N" ] || qf_fail "the run ended before the faults: they proved nothing"

status=$(qf_wait_post_done "$post" 120)
echo "status: $status"
qf_assert_eq delivered "$N" "$(jq .delivered <<<"$status")"
jq -s --arg p "$post" '[.[] | select(.post == $p) | .group] | {received: length, groups: (unique | length)}' \
  "$QF_RECORD" >"$QF_DIR/count.json"
qf_assert_eq "groups that received the post" "$N" "$(jq .groups "$QF_DIR/count.json")"
echo "duplicates at the receiver: $(jq '.received - .groups' "$QF_DIR/count.json")"
for name in dispatcher3 scheduler store mockchat; do qf_stop "$name"; done

# (2) A flaky, slow platform.
QF_MOCKCHAT_ARGS=(--fail-rate 0.2 --latency-ms 200 --seed 7)
QF_DISPATCHER_ARGS=()
rm -rf "${QF_DIR:?}/scheduler" "$QF_DIR/store" "$QF_RECORD"
qf_start_system 2 --max-attempts 10
qf_make_groups 300 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "flaky" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 120)
echo "status: $status"
qf_assert_eq "delivered through 20% 5xx" 300 "$(jq .delivered <<<"$status")"
"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d.json"
echo "attempts: $(jq -c 'group_by(.attempts) | map({attempts: .[0].attempts, groups: length})' "$QF_DIR/d.json")"
qf_assert_eq "deliveries that needed a retry" true \
  "$(jq '[.[] | select(.attempts > 1)] | length > 0' "$QF_DIR/d.json")"
qf_finish
