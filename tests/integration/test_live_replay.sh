#!/usr/bin/env bash
# qunfa live replay: a recorded talk (JSON Lines with text and offset in
# seconds) is appended at its original pacing: each segment reaches the groups
# no earlier than its offset after the replay started, and in order. A
# malformed line stops the replay with the line's number; a closed session
# takes no more segments.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 1
Q="$QF_BIN/qunfa"
qf_make_groups 20 "$QF_DIR/groups.jsonl"
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

id=$("$Q" live open --title "Replay" --guest "Mr. Zhao" --to all --open-text "OPEN" --json | jq -r .live)
cat >"$QF_DIR/talk.jsonl" <<'JL'
{"text":"r1","offset":0}
{"text":"r2","offset":0.6}

{"text":"r3","offset":1.2}
JL
t0=$(date +%s%3N)
"$Q" live replay "$id" "$QF_DIR/talk.jsonl" --json | jq -e '.appended == 3' >/dev/null \
  || { echo "FAIL: replay"; exit 1; }
"$Q" live close "$id" --text "END" >/dev/null
done_all() { "$Q" live status "$id" --json | jq -e '.groups_done == 20' >/dev/null; }
qf_wait_for 30 "every group to have the replay" done_all || exit 1
python3 - "$QF_RECORD" "$t0" <<'PY'
import json, sys
path, t0 = sys.argv[1], int(sys.argv[2])
first, seqs = {}, {}
for line in open(path):
    m = json.loads(line)
    for part in m["text"].split("\n"):
        seqs.setdefault(m["group"], []).append(part)
        first.setdefault(part, m["ts_ms"])
assert all(s == ["OPEN", "r1", "r2", "r3", "END"] for s in seqs.values()), seqs
assert first["r2"] - t0 >= 600 and first["r3"] - t0 >= 1200, (first["r2"] - t0, first["r3"] - t0)
print(f"r2 at +{first['r2'] - t0} ms, r3 at +{first['r3'] - t0} ms")
PY

echo '{"offset":1}' >"$QF_DIR/bad.jsonl"
set +e
err=$("$Q" live replay "$id" "$QF_DIR/bad.jsonl" 2>&1 >/dev/null); rc=$?
err2=$("$Q" live say "$id" "late" 2>&1 >/dev/null); rc2=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'line 1' <<<"$err" || { echo "FAIL: bad line: $rc $err"; exit 1; }
[ "$rc2" -eq 1 ] && grep -q 'closed' <<<"$err2" || { echo "FAIL: say after close: $rc2 $err2"; exit 1; }

for name in dispatcher1 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
