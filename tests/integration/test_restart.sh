#!/usr/bin/env bash
# kill -9 the scheduler after a post for a future time is accepted; restarted on
# the same data dir, it still delivers the post at its time, once per group.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 1

qf_make_groups 50 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl"
due_ms=$(($(date +%s%3N) + 4000))
at=$(qf_rfc3339 "$due_ms")
post=$("$QF_BIN/qunfa" post --to all --text "later" --at "$at" --json | jq -r .post)
qf_kill scheduler KILL
[ ! -s "$QF_RECORD" ] || { echo "FAIL: delivered before its time"; exit 1; }

qf_start_scheduler
status=$(qf_wait_post_done "$post" 60)
echo "status: $status"
[ "$(jq .delivered <<<"$status")" -eq 50 ] || { echo "FAIL: not all delivered"; exit 1; }
[ "$(jq -s --arg p "$post" '[.[] | select(.post == $p) | .group] | unique | length' "$QF_RECORD")" -eq 50 ]
early=$(jq -s --argjson due "$due_ms" '[.[] | select(.ts_ms < $due)] | length' "$QF_RECORD")
[ "$early" -eq 0 ] || { echo "FAIL: $early messages arrived before the due time"; exit 1; }
qf_finish
