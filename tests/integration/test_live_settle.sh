#!/usr/bin/env bash
# Finished live sessions leave the scheduler's memory: 3 sessions to 5 groups
# are open (gauge live_sessions 3 in the stats JSON); two are closed and one
# cancelled; once every delivery of each is final the gauge is back to 0, and
# each session's status is still answered, from its stored record, with its
# counts, before and after a restart (which loads none of them).
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
STATS=ipc://$QF_DIR/scheduler.stats
qf_start_system 1 --stats "$STATS"
Q="$QF_BIN/qunfa"
qf_make_groups 5 "$QF_DIR/groups.jsonl"
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

gauge() { qf_stat "$STATS" .gauges.live_sessions; }
ids=()
for t in A B C; do
  ids+=("$("$Q" live open --title "$t" --guest G --to all --open-text "open $t" --json | jq -r .live)")
done
qf_assert_eq "sessions in memory while open" 3 "$(gauge)"
for id in "${ids[@]}"; do "$Q" live say "$id" "segment of $id" >/dev/null; done
"$Q" live close "${ids[0]}" --text "end" >/dev/null
"$Q" live close "${ids[1]}" --text "end" >/dev/null
"$Q" live cancel "${ids[2]}" >/dev/null

none_left() { [ "$(gauge)" = 0 ]; }
qf_wait_for 30 "every finished session to leave memory" none_left || exit 1

check_status() {
  local s
  s=$("$Q" live status "${ids[0]}" --json)
  qf_assert_eq "closed session, settled" true "$(jq .settled <<<"$s")"
  qf_assert_eq "closed session: opening, segment, closing to 5 groups" \
    '{"segments":3,"groups_done":5,"delivered":15}' \
    "$(jq -c '{segments, groups_done, delivered: .deliveries.delivered}' <<<"$s")"
  s=$("$Q" live status "${ids[2]}" --json)
  qf_assert_eq "cancelled session, settled" '{"settled":true,"cancelled":true}' \
    "$(jq -c '{settled, cancelled}' <<<"$s")"
  qf_assert_eq "cancelled session: every segment delivery final" 10 \
    "$(jq '.deliveries.delivered + .deliveries.cancelled' <<<"$s")"
}
check_status
qf_stop scheduler
qf_start_scheduler --stats "$STATS"
qf_assert_eq "sessions in memory after a restart" 0 "$(gauge)"
check_status
qf_finish
