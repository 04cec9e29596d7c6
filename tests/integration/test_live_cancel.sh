#!/usr/bin/env bash
# Cancelling one segment of a live session (qunfa cancel on its post) while a
# slow group still waits for an earlier one (its platform answers the opening
# after 3 s): that group never gets the
# cancelled segment, and goes on with the next ones in order to the closing.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"
python3 - "$QF_HOOK" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
hook = sys.argv[1]
for i in range(1, 4):
    print(json.dumps({"id": f"g{i}", "dialect": "generic", "url": f"{hook}/hook/g{i}"}))
print(json.dumps({"id": "slow", "dialect": "generic", "url": f"{hook}/hook/slow?delays=3000"}))
PY
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

id=$("$Q" live open --title "T" --guest "G" --to all --open-text "OPEN" --json | jq -r .live)
opened() { grep -q '"text":"OPEN"' "$QF_RECORD"; }
qf_wait_for 10 "the opening at the free groups" opened || exit 1
"$Q" live say "$id" "s1" >/dev/null
"$Q" live say "$id" "s2" >/dev/null
"$Q" live say "$id" "s3" >/dev/null
# The slow group's opening is still in flight: cancel s2's post (the opening
# is post N, s1 N+1, s2 N+2).
s2=$(( $(jq -rs '[.[] | select(.text == "OPEN")][0].post | tonumber' "$QF_RECORD") + 2 ))
"$Q" cancel "$s2" >/dev/null
"$Q" live close "$id" --text "END" >/dev/null
done_all() { "$Q" live status "$id" --json | jq -e '.groups_done == 4' >/dev/null; }
qf_wait_for 40 "every group to reach the closing" done_all || exit 1
"$Q" live status "$id" --json
python3 - "$QF_RECORD" <<'PY'
import json, sys
seqs = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    seqs.setdefault(m["group"], []).extend(m["text"].split("\n"))
assert seqs["slow"] == ["OPEN", "s1", "s3", "END"], seqs["slow"]
for g, s in seqs.items():
    assert s in (["OPEN", "s1", "s2", "s3", "END"], ["OPEN", "s1", "s3", "END"]), (g, s)
print("slow group:", seqs["slow"])
PY
for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
