#!/usr/bin/env bash
# A live-share session to 500 groups with 3 dispatchers: the opening, 100
# segments streamed through `qunfa live say ID -` and the closing reach every
# group, each group in order and each segment exactly once (segments a group
# received coalesced, one per line, count once each), checked at mockchat.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 3
Q="$QF_BIN/qunfa"
qf_make_groups 500 "$QF_DIR/groups.jsonl"
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

id=$("$Q" live open --title "Sleep and babies" --guest "Dr. Wang" --to all \
  --open-text "OPEN" --json | jq -r .live)
seq -f 's%03g' 1 100 | "$Q" live say "$id" - --json | jq -e '.appended == 100' >/dev/null \
  || { echo "FAIL: segments not appended"; exit 1; }
"$Q" live close "$id" --text "CLOSE" >/dev/null
done_all() { "$Q" live status "$id" --json | jq -e '.groups_done == 500' >/dev/null; }
qf_wait_for 120 "every group to have every segment" done_all || exit 1
st=$("$Q" live status "$id" --json)
echo "status: $st"
jq -e '.segments == 102 and .closed and .deliveries.delivered == 51000 and
       .deliveries.pending == 0 and .slowest.lag_segments == 0' <<<"$st" >/dev/null \
  || { echo "FAIL: status"; exit 1; }

python3 - "$QF_RECORD" <<'PY'
import json, sys
want = ["OPEN"] + [f"s{i:03d}" for i in range(1, 101)] + ["CLOSE"]
got, msgs = {}, 0
for line in open(sys.argv[1]):
    m = json.loads(line)
    got.setdefault(m["group"], []).extend(m["text"].split("\n"))
    msgs += 1
bad = [g for g, seq in got.items() if seq != want]
assert len(got) == 500, len(got)
assert not bad, f"{len(bad)} groups out of order or incomplete, e.g. {bad[0]}: {got[bad[0]][:8]}"
print(f"500 groups x 102 segments in order, in {msgs} messages")
PY

for name in dispatcher1 dispatcher2 dispatcher3 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
