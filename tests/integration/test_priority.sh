#!/usr/bin/env bash
# Priority: a bulk post to 5,000 groups is in flight (paced by --global-rate
# 1000/s, so it takes about 5 s); an urgent post to 50 of those groups then
# completes first: its last message reaches the receiver before the bulk
# post's last one, and within a second of its creation.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2 --global-rate 1000/s

qf_make_groups 5000 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
bulk=$("$QF_BIN/qunfa" post --to all --priority bulk --text "newsletter" --json | jq -r .post)

# Wait until the bulk post is well under way.
end=$((SECONDS + 20))
until [ "$(wc -l <"$QF_RECORD")" -ge 500 ]; do
  [ $SECONDS -lt "$end" ] || { echo "FAIL: the bulk post did not start"; exit 1; }
  sleep 0.05
done
created=$(date +%s%3N)
urgent=$("$QF_BIN/qunfa" post --to "group:$(seq -s, -f 'g%g' 1 50)" --priority urgent \
  --text "flash sale" --json | jq -r .post)
ustatus=$(qf_wait_post_done "$urgent" 20)
bstatus=$(qf_wait_post_done "$bulk" 40)
echo "urgent: $ustatus"
echo "bulk: $bstatus"
[ "$(jq .delivered <<<"$ustatus")" -eq 50 ] || { echo "FAIL: urgent not delivered"; exit 1; }
[ "$(jq .delivered <<<"$bstatus")" -eq 5000 ] || { echo "FAIL: bulk not delivered"; exit 1; }

python3 - "$QF_RECORD" "$urgent" "$bulk" "$created" <<'PY'
import json, sys
path, urgent, bulk, created = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
last = {urgent: 0, bulk: 0}
for line in open(path):
    m = json.loads(line)
    if m["post"] in last:
        last[m["post"]] = max(last[m["post"]], m["ts_ms"])
u, b = last[urgent] - created, last[bulk] - created
print(f"urgent done {u} ms after its creation; bulk done {b} ms after it")
sys.exit(0 if last[urgent] < last[bulk] and u < 1000 else 1)
PY
qf_finish
