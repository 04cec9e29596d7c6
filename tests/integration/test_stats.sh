#!/usr/bin/env bash
# Every process answers on its stats socket with a schema-1 document holding the
# keys docs/stats.md lists, and the figures move with real traffic; `qunfa stats`
# finds the relayed processes through the scheduler's document.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
qf_start_observed_system 2

# Before any traffic: each document parses and holds its documented keys.
check_keys() { # NAME URL JQ-PATHS...
  local name=$1 url=$2 doc
  shift 2
  doc=$(qf_stats_of "$url")
  qf_assert_eq "$name schema" 1 "$(jq .schema <<<"$doc")"
  qf_assert_eq "$name process" "$name" "$(jq -r .process <<<"$doc")"
  for path in .version .pid .uptime_ms .counters .gauges .histograms .rates .info .details "$@"; do
    [ "$(jq "$path != null" <<<"$doc")" = true ] || qf_fail "$name: no $path in $doc"
  done
}
check_keys scheduler "$QF_STATS_SCHEDULER" \
  '.counters["deliveries_total{state=delivered}"]' '.gauges["posts{state=active}"]' \
  '.gauges["posts{state=scheduled}"]' '.gauges["posts{state=done}"]' \
  '.gauges.deliveries_pending' '.gauges.leases_outstanding' '.gauges.timeline_depth' \
  '.gauges.lmdb_map_bytes' '.gauges.lmdb_used_bytes' \
  '.gauges["limiter_saturation_permille{tier=group}"]' '.info.relay_stats' '.details.busiest_posts'
check_keys dispatcher "ipc://$QF_DIR/dispatcher1.stats" \
  '.gauges.sends_in_flight' '.rates.sends_per_s' '.histograms.send_latency_ms.le' \
  '.counters["answers{class=2xx,dialect=generic}"]' '.counters.cache_hits'
check_keys store "$QF_STATS_STORE" '.gauges.items' '.gauges.bytes' '.rates.gets_per_s'
check_keys mockchat "$QF_STATS_MOCKCHAT"
qf_assert_match "lmdb map" '^[1-9][0-9]*$' "$(qf_stats_of "$QF_STATS_SCHEDULER" | jq .gauges.lmdb_map_bytes)"

# Discovery: the scheduler's address alone finds all five processes.
found=$("$QF_BIN/qunfa" stats --stats-url "$QF_STATS_SCHEDULER" --json |
  jq -r '[.[] | select(.stats != null) | .stats.process] | sort | join(",")')
qf_assert_eq "discovered" "dispatcher,dispatcher,mockchat,scheduler,store" "$found"
"$QF_BIN/qunfa" stats --stats-url "$QF_STATS_SCHEDULER" >"$QF_DIR/table.txt"
grep -q '^PROCESS' "$QF_DIR/table.txt" || qf_fail "table has no header"
grep -q 'sends_in_flight' "$QF_DIR/table.txt" || qf_fail "table has no dispatcher figures"

# Traffic: 300 groups, one post.
qf_make_groups 300 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "stats move" --json | jq -r .post)
qf_wait_post_done "$post" 60 >/dev/null

sum_all() { # JQ expression summed over the processes of one kind
  "$QF_BIN/qunfa" stats --stats-url "$QF_STATS_SCHEDULER" --json |
    jq "[.[] | .stats | select(.process == \"$1\") | $2] | add"
}
delivered_is_300() { [ "$(sum_all scheduler '.counters["deliveries_total{state=delivered}"]')" = 300 ]; }
qf_wait_for 10 "scheduler delivered counter at 300" delivered_is_300
qf_assert_eq "dispatcher sends" 300 "$(sum_all dispatcher '.counters.sends_total')"
qf_assert_eq "2xx generic answers" 300 "$(sum_all dispatcher '.counters["answers{class=2xx,dialect=generic}"]')"
qf_assert_eq "latency histogram count" 300 "$(sum_all dispatcher '.histograms.send_latency_ms.count')"
qf_assert_eq "latency +Inf bucket" 300 "$(sum_all dispatcher '.histograms.send_latency_ms.counts[-1]')"
qf_assert_eq "store items" 1 "$(sum_all store '.gauges.items')"
[ "$(sum_all store '.counters.gets')" -ge 1 ] || qf_fail "store gets did not move"
[ "$(sum_all dispatcher '.counters.cache_hits + .counters.cache_misses')" -ge 1 ] || qf_fail "cache figures did not move"
done_is_1() { [ "$(sum_all scheduler '.gauges["posts{state=done}"]')" = 1 ]; }
qf_wait_for 5 "one post done" done_is_1
rate=$(sum_all dispatcher '.rates.sends_per_s')
qf_assert_match "sends/s moved" '^[0-9.]+$' "$rate"
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || qf_fail "sends_per_s is $rate right after 300 sends"

# The limiter's tiers: a group limited to 1/min with two posts waits for the
# second, and the group tier shows one key in force and one waiting.
printf '{"id":"slow","name":"slow","dialect":"generic","url":"%s/hook/slow","rate":"1/min"}\n' \
  "$QF_HOOK" >"$QF_DIR/slow.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/slow.jsonl" >/dev/null
"$QF_BIN/qunfa" post --to group:slow --text "first" >/dev/null
"$QF_BIN/qunfa" post --to group:slow --text "second" >/dev/null
group_tier_waits() {
  [ "$(sum_all scheduler '.gauges["limiter_keys_waiting{tier=group}"]')" -ge 1 ] &&
    [ "$(sum_all scheduler '.gauges["limiter_saturation_permille{tier=group}"]')" -gt 0 ]
}
qf_wait_for 10 "the group tier to show the throttled group" group_tier_waits
qf_assert_eq "group keys in force" 1 "$(sum_all scheduler '.gauges["limiter_keys{tier=group}"]')"

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
