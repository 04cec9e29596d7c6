#!/usr/bin/env bash
# The per-host ramp: a dispatcher at its default flags sends to a slow platform
# (mockchat answering after 300 ms, one host) over more than the first step of
# 32 connections (host_connections_peak > 32), and every one of 1,000 groups
# gets the post. Connections open in steps, so no burst overflows the listener's
# accept backlog (128 for mockchat): TcpExtListenOverflows does not move, with
# one dispatcher and then with two fresh ones. The test runs in a network
# namespace of its own when it can, so other programs on the machine do not
# count in the overflows.
set -euo pipefail
if [ -z "${QF_RAMP_NETNS:-}" ] && unshare -n true 2>/dev/null; then
  QF_RAMP_NETNS=1 exec unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
QF_MOCKCHAT_ARGS=(--latency-ms 300)
qf_start_system 0
[ -n "${QF_RAMP_NETNS:-}" ] || echo "no network namespace: overflows count the whole machine"

overflows() { nstat -asz TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }'; }
have_nstat=1
command -v nstat >/dev/null || have_nstat=0
[ "$have_nstat" = 1 ] || echo "SKIP listen overflow checks: nstat is not installed"

# post_all LABEL: posts to every group; checks all are delivered and, with
# nstat, that the listener dropped no connection meanwhile.
post_all() {
  local before=0 after=0 post status
  [ "$have_nstat" = 0 ] || before=$(overflows)
  post=$("$QF_BIN/qunfa" post --to all --text "$1" --json | jq -r .post)
  status=$(qf_wait_post_done "$post" 60)
  qf_assert_eq "$1: delivered" 1000 "$(jq .delivered <<<"$status")"
  qf_assert_eq "$1: messages received" 1000 "$(grep -c "\"post\":\"$post\"" "$QF_RECORD")"
  [ "$have_nstat" = 0 ] || after=$(overflows)
  echo "$1: listen overflows $before -> $after"
  [ "$have_nstat" = 0 ] || qf_assert_eq "$1: listen overflows" 0 $((after - before))
}

# gauge NAME DISPATCHER: one gauge of a dispatcher's stats.
gauge() { qf_stats_of "ipc://$QF_DIR/$2.stats" | jq ".gauges.$1"; }

qf_make_groups 1000 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null

qf_start_dispatcher dispatcher1 --stats "ipc://$QF_DIR/dispatcher1.stats"
post_all "one dispatcher"
peak=$(gauge host_connections_peak dispatcher1)
echo "one dispatcher: host_connections_peak=$peak"
[ "$peak" -gt 32 ] || qf_fail "peak $peak: the budget never grew past the first step of 32"
[ "$peak" -le 256 ] || qf_fail "peak $peak: more than --concurrency 256"
qf_assert_eq "sends left waiting" 0 "$(gauge host_waiting dispatcher1)"
qf_stop dispatcher1

for d in dispatcher2 dispatcher3; do
  qf_start_dispatcher "$d" --stats "ipc://$QF_DIR/$d.stats"
done
post_all "two dispatchers"
for d in dispatcher2 dispatcher3; do
  echo "$d: host_connections_peak=$(gauge host_connections_peak "$d")"
  qf_stop "$d"
done

for name in scheduler store mockchat; do qf_stop "$name"; done
qf_finish
