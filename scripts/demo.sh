#!/usr/bin/env bash
# The demo: the whole system on loopback under a temp dir, 1,000 groups, one post
# to all, progress until done, then a clean shutdown.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
. "$here/system.sh"
qf_system_init "$(cd "$here/.." && cd "$build/services" && pwd)" demo
groups=${QF_DEMO_GROUPS:-1000}

echo "starting store, scheduler, two dispatchers and mockchat under $QF_DIR"
qf_start_system 2
qf_make_groups "$groups" "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl"

start_ms=$(date +%s%3N)
post=$("$QF_BIN/qunfa" post --to all --text "你好 from qunfa: good morning!" --json | jq -r .post)
echo "post $post to $groups groups"
status=$(PROGRESS=1 qf_wait_post_done "$post" 120)
elapsed=$(($(date +%s%3N) - start_ms))
delivered=$(jq .delivered <<<"$status")
total=$(jq .total <<<"$status")
received=$(wc -l <"$QF_RECORD")
echo "delivered $delivered/$total in $elapsed ms"
echo "mockchat recorded $received messages"

for name in dispatcher1 dispatcher2 scheduler store mockchat; do
  qf_stop "$name"
done
[ "$delivered" -eq "$total" ] || qf_fail "only $delivered of $total delivered"
qf_finish
