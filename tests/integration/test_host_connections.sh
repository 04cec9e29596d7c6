#!/usr/bin/env bash
# A dispatcher holding 256 sends at once opens at most --host-connections (16
# here) connections to one host: 1,000 deliveries to mockchat (one host) all
# arrive, and the dispatcher's stats show it never had more than 16 open to it
# at once (host_connections_peak counts every socket from its creation).
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
qf_start_system 0
stats=ipc://$QF_DIR/dispatcher1.stats
qf_start_dispatcher dispatcher1 --concurrency 256 --host-connections 16 --stats "$stats"

qf_make_groups 1000 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "one host" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 60)
qf_assert_eq "delivered" 1000 "$(jq .delivered <<<"$status")"
qf_assert_eq "messages received" 1000 "$(grep -c "\"post\":\"$post\"" "$QF_RECORD")"

doc=$(qf_stats_of "$stats")
peak=$(jq .gauges.host_connections_peak <<<"$doc")
open=$(jq .gauges.connections_open <<<"$doc")
echo "host_connections_peak=$peak connections_open=$open"
qf_assert_match "a connection was counted" '^[1-9][0-9]*$' "$peak"
[ "$peak" -le 16 ] || qf_fail "$peak connections open at once to one host; the cap is 16"
[ "$open" -le 16 ] || qf_fail "$open connections open; the cap is 16"

for name in dispatcher1 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
