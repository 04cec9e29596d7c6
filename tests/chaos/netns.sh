#!/usr/bin/env bash
# Hosts: three network namespaces joined by veth pairs, everything over tcp://.
#   hub  (10.200.0.1): mockchat, the store, the scheduler, the CLI
#   d1   (10.200.1.2): dispatcher1, over veth to the hub's 10.200.1.1
#   d2   (10.200.2.2): dispatcher2, over veth to the hub's 10.200.2.1
# Every group is limited to RATE (5/s); POSTS posts go to all GROUPS groups. At
# a random moment of the run (once a random share of the messages arrived)
# dispatcher1's link is cut (ip link set down) for a random 1.5-5 s, then
# restored. Judged: the checker passes, and no group received more than 5
# messages in any sliding 1-second window of mockchat's record.
# Needs root and iproute2 (installed if missing); otherwise prints "SKIP: ..."
# and exits 0. The namespaces are removed on exit, whatever happens.
#
#   netns.sh GROUPS POSTS SEED
set -euo pipefail
. "$(dirname "$0")/lib.sh"
GROUPS_N=${1:-200}
POSTS=${2:-10}
SEED=${3:-$((($(date +%s%N) / 1000) % 1000000))}
RATE_N=5
RANDOM=$SEED
echo "netns: groups=$GROUPS_N posts=$POSTS rate=$RATE_N/s seed=$SEED"

skip() {
  echo "SKIP: netns: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces need CAP_NET_ADMIN)"
if ! command -v ip >/dev/null; then
  command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 >/dev/null 2>&1 || true
  command -v ip >/dev/null || skip "iproute2 (ip) is missing and could not be installed"
fi
IP=$(command -v ip)

chaos_init chaos-netns
tag=qc$$
HUB=${tag}h D1=${tag}d1 D2=${tag}d2
netns_cleanup() {
  local ns
  for ns in "$HUB" "$D1" "$D2"; do
    "$IP" netns del "$ns" 2>/dev/null || true
  done
}
trap 'qf_cleanup; netns_cleanup' EXIT

netns_setup() {
  local i
  "$IP" netns add "$HUB" && "$IP" netns add "$D1" && "$IP" netns add "$D2" || return 1
  for ns in "$HUB" "$D1" "$D2"; do "$IP" -n "$ns" link set lo up || return 1; done
  "$IP" -n "$HUB" addr add 10.200.0.1/32 dev lo || return 1
  for i in 1 2; do
    local d=$D1
    [ "$i" = 2 ] && d=$D2
    "$IP" link add "${tag}h$i" netns "$HUB" type veth peer name "${tag}v$i" netns "$d" || return 1
    "$IP" -n "$HUB" addr add "10.200.$i.1/24" dev "${tag}h$i" &&
      "$IP" -n "$HUB" link set "${tag}h$i" up &&
      "$IP" -n "$d" addr add "10.200.$i.2/24" dev "${tag}v$i" &&
      "$IP" -n "$d" link set "${tag}v$i" up &&
      "$IP" -n "$d" route add 10.200.0.0/24 via "10.200.$i.1" || return 1
  done
}
netns_setup 2>"$QF_DIR/netns.err" || skip "cannot create network namespaces: $(head -n1 "$QF_DIR/netns.err")"

# The CLI and the checker reach the scheduler from the hub.
REAL_BIN=$QF_BIN
mkdir -p "$QF_DIR/bin"
printf '#!/bin/sh\nexec %s netns exec %s %s/qunfa "$@"\n' "$IP" "$HUB" "$REAL_BIN" >"$QF_DIR/bin/qunfa"
chmod +x "$QF_DIR/bin/qunfa"
for p in qunfa-mockchat qunfa-store qunfa-scheduler qunfa-dispatcher; do
  ln -s "$REAL_BIN/$p" "$QF_DIR/bin/$p"
done
QF_BIN=$QF_DIR/bin
CHAOS_HOST=10.200.0.1
chaos_port() {
  "$IP" netns exec "$HUB" python3 -c 'import socket
s = socket.socket()
s.bind(("10.200.0.1", 0))
print(s.getsockname()[1])'
}

# The hub's processes, then one dispatcher in each other namespace. The platform
# answers after 100 ms, so sends are in flight when the link goes.
CHAOS_MOCKCHAT_ARGS="--latency-ms 100"
CHAOS_WRAP=("$IP" netns exec "$HUB")
chaos_start_system 0 --lease-ms 3000 || qf_die "system did not start in $HUB"
CHAOS_WRAP=("$IP" netns exec "$D1")
CHAOS_DISPATCHERS=(dispatcher1 dispatcher2)
chaos_restart dispatcher1 || qf_die "dispatcher1 did not start in $D1"
CHAOS_WRAP=("$IP" netns exec "$D2")
chaos_restart dispatcher2 || qf_die "dispatcher2 did not start in $D2"
CHAOS_WRAP=("$IP" netns exec "$HUB")

chaos_groups "$GROUPS_N" "$RATE_N/s" || qf_die "groups import failed"
total=$((GROUPS_N * POSTS))
for i in $(seq 1 "$POSTS"); do
  chaos_post "limited $i of seed $SEED" >/dev/null || qf_die "post $i not acknowledged"
done

pct=$((10 + RANDOM % 61))
down_ms=$((1500 + RANDOM % 3500))
down_ms=${CHAOS_DOWN_MS:-$down_ms}
arrived() { [ "$(wc -l <"$QF_RECORD")" -ge "$1" ]; }
qf_wait_for 120 "${pct}% of the messages" arrived $((total * pct / 100)) || true
at=$(wc -l <"$QF_RECORD")
"$IP" -n "$D1" link set "${tag}v1" down
echo "  cut dispatcher1's link after $at/$total messages for ${down_ms} ms"
sleep "$((down_ms / 1000)).$(printf '%03d' $((down_ms % 1000)))" # the outage itself
"$IP" -n "$D1" link set "${tag}v1" up
"$IP" -n "$D1" route replace 10.200.0.0/24 via 10.200.1.1
echo "  restored after $(($(wc -l <"$QF_RECORD") - at)) more messages"

settle=ok
chaos_settle 120 || settle="not settled within 120 s"
for name in mockchat store scheduler dispatcher1 dispatcher2; do
  qf_alive "$name" || chaos_fail "$name died; log: $QF_DIR/$name.err"
done
chaos_check "netns cut=${down_ms}ms at=$at/$total" "settle=$settle" || true

# Every sliding window: RATE_N + 1 messages to one group span at least 1 s.
windows=$(python3 - "$QF_RECORD" "$RATE_N" 1000 <<'PY'
import collections, json, sys
path, n, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ts = collections.defaultdict(list)
for line in open(path):
    m = json.loads(line)
    if not m.get("event"):
        ts[m["group"]].append(m["ts_ms"])
bad, tightest = [], None
for g, t in ts.items():
    t.sort()
    for i in range(len(t) - n):
        span = t[i + n] - t[i]
        tightest = span if tightest is None else min(tightest, span)
        if span < w:
            bad.append(f"{g}:{t[i:i + n + 1]}")
print(f"window_violations={len(bad)} groups={len(ts)} tightest_span_ms={tightest}"
      + "".join(f" {b}" for b in bad[:3]))
PY
)
echo "  rate $RATE_N/s at the receiver: $windows"
[[ $windows == window_violations=0* ]] || chaos_fail "a group received more than $RATE_N in 1 s"
chaos_finish
