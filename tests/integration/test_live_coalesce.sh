#!/usr/bin/env bash
# Coalescing: a session to 10 free groups and one that takes 1 message a second
# (slow). 40 segments appended at once: the slow group receives them coalesced
# into a few messages, in order, each exactly once, and finishes within 6 s of
# the last append (one message per segment would take 40 s); the free groups
# get every segment in order too. mockchat never saw the slow group exceed its
# rate.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"
python3 - "$QF_HOOK" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
hook = sys.argv[1]
for i in range(1, 11):
    print(json.dumps({"id": f"g{i}", "dialect": "generic", "url": f"{hook}/hook/g{i}"}))
print(json.dumps({"id": "slow", "dialect": "generic", "url": f"{hook}/hook/slow", "rate": "1/s"}))
PY
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

id=$("$Q" live open --title "Cooking" --guest "Chef Li" --to all --open-text "OPEN" --json | jq -r .live)
seq -f 'segment %02g' 1 40 | "$Q" live say "$id" - >/dev/null
appended=$(date +%s%3N)
"$Q" live close "$id" --text "CLOSE" >/dev/null
done_all() { "$Q" live status "$id" --json | jq -e '.groups_done == 11' >/dev/null; }
qf_wait_for 30 "every group to have every segment" done_all || exit 1
"$Q" live status "$id" --json

python3 - "$QF_RECORD" "$appended" <<'PY'
import json, sys
path, appended = sys.argv[1], int(sys.argv[2])
want = ["OPEN"] + [f"segment {i:02d}" for i in range(1, 41)] + ["CLOSE"]
got, times = {}, {}
for line in open(path):
    m = json.loads(line)
    got.setdefault(m["group"], []).extend(m["text"].split("\n"))
    times.setdefault(m["group"], []).append(m["ts_ms"])
for g, seq in got.items():
    assert seq == want, (g, seq[:6])
slow = times["slow"]
assert len(slow) < 20, f"slow group got {len(slow)} messages: not coalesced"
gaps = [b - a for a, b in zip(slow, slow[1:])]
assert all(d >= 950 for d in gaps), f"slow group faster than 1/s: {gaps}"
finish = slow[-1] - appended
assert finish <= 6000, f"slow group finished {finish} ms after the last append"
print(f"slow group: {len(slow)} messages, done {finish} ms after the last append; "
      f"others: {sum(len(times[g]) for g in times if g != 'slow')} messages")
PY
# A restart keeps where every group stands: the finished session is still
# finished, and a session carried across a restart goes on in order.
id2=$("$Q" live open --title "Tea" --guest "Ms. Chen" --to all --open-text "OPEN2" --json | jq -r .live)
"$Q" live say "$id2" "t1" >/dev/null
done2() { "$Q" live status "$id2" --json | jq -e '.groups_done == 11' >/dev/null; }
qf_wait_for 30 "the second session's first segment" done2 || exit 1
qf_stop scheduler
qf_start_scheduler
"$Q" live status "$id" --json | jq -e '.segments == 42 and .groups_done == 11 and .closed' >/dev/null \
  || { echo "FAIL: the first session after the restart"; exit 1; }
printf 't2\nt3\nt4\n' | "$Q" live say "$id2" - >/dev/null
"$Q" live close "$id2" --text "END2" >/dev/null
qf_wait_for 30 "the second session at every group" done2 || exit 1
python3 - "$QF_RECORD" <<'PY'
import json, sys
want = ["OPEN2", "t1", "t2", "t3", "t4", "END2"]
got = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    parts = [p for p in m["text"].split("\n") if p in want]
    got.setdefault(m["group"], []).extend(parts)
for g, seq in got.items():
    # at least once across a restart: a repeat of the last segment is allowed
    dedup = [x for i, x in enumerate(seq) if i == 0 or x != seq[i - 1]]
    assert dedup == want, (g, seq)
print("across the restart: every group in order")
PY

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
