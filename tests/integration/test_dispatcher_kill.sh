#!/usr/bin/env bash
# kill -9 a dispatcher holding leases: with a short --lease-ms its deliveries are
# re-leased to another dispatcher and completed. The platform here is slow (each
# group's first request is answered after 2.5 s), so the first dispatcher is
# surely holding every lease when it dies, with every request on the wire (one
# connection per send once the per-host ramp has admitted all 100: its stats
# show 100 in flight and none waiting for the host's budget).
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
QF_DISPATCHER_ARGS=(--stats "ipc://$QF_DIR/dispatcher1.stats")
qf_start_system 1 --lease-ms 3000

qf_make_groups 100 "$QF_DIR/groups.jsonl" "?delays=2500"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl"
post=$("$QF_BIN/qunfa" post --to all --text "survive me" --json | jq -r .post)

all_leased() { [ "$("$QF_BIN/qunfa" status "$post" --json | jq .leased)" -eq 100 ]; }
qf_wait_for 10 "all 100 deliveries leased by dispatcher1" all_leased
all_sent() {
  qf_stats_of "ipc://$QF_DIR/dispatcher1.stats" |
    jq -e '.gauges.sends_in_flight == 100 and .gauges.host_waiting == 0' >/dev/null
}
qf_wait_for 10 "all 100 requests on the wire" all_sent
qf_kill dispatcher1 KILL
qf_start_dispatcher dispatcher2

status=$(qf_wait_post_done "$post" 60)
echo "status: $status"
qf_assert_eq delivered 100 "$(jq .delivered <<<"$status")"
"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d.json"
# The lease that died expired (one attempt), the second one delivered.
qf_assert_eq "deliveries with 2 attempts" 100 \
  "$(jq '[.[] | select(.state == "delivered" and .attempts == 2)] | length' "$QF_DIR/d.json")"
qf_assert_eq "groups that received it" 100 \
  "$(jq -s --arg p "$post" '[.[] | select(.post == $p) | .group] | unique | length' "$QF_RECORD")"
# The slow platform still answered the dead dispatcher's requests: at least once
# means those are duplicates, counted here rather than hidden.
dups=$(jq -s --arg p "$post" '[.[] | select(.post == $p)] | length - 100' "$QF_RECORD")
echo "duplicates at the receiver: $dups"
qf_stop dispatcher2
qf_finish
