#!/usr/bin/env bash
# Stock to 0 (qunfa flash-sale stock ID 0):
# (1) during the sale: 10 free groups received the announcement, 5 throttled
#     ones (1/min, just used) did not yet: their announcements expire at once
#     and the sold-out message goes to exactly the 10;
# (2) before the start: the pending reminders and the announcement expire, and
#     no sold-out message goes anywhere (no group saw the announcement);
# (3) the stock of a sold-out sale cannot be raised again.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"

qf_throttled_groups 10 5

# (1)
sale=$("$Q" flash-sale create --item "Rice cooker" --price 199 --orig-price 399 --stock 3 \
  --start +1s --end +120s --to all --json)
id=$(jq -r .sale <<<"$sale")
ann=$(jq -r .announce_post <<<"$sale")
delivered() { [ "$("$Q" status "$ann" --json | jq .delivered)" -eq 10 ]; }
qf_wait_for 20 "the announcement at the 10 free groups" delivered || exit 1
"$Q" flash-sale stock "$id" 0 --json | jq -e '.sold_out and .stock == 0' >/dev/null \
  || { echo "FAIL: stock 0 not recorded"; exit 1; }
settled() { "$Q" flash-sale show "$id" --json | jq -e '.soldout_settled' >/dev/null; }
qf_wait_for 20 "the sold-out follow-up" settled || exit 1
show=$("$Q" flash-sale show "$id" --json)
echo "sale: $show"
so=$(jq -r .soldout_post <<<"$show")
[ "$so" != 0 ] || { echo "FAIL: no sold-out post"; exit 1; }
astatus=$(qf_wait_post_done "$ann" 20)
sstatus=$(qf_wait_post_done "$so" 20)
echo "announcement: $astatus"
echo "sold-out: $sstatus"
jq -e '.delivered == 10 and .expired == 5' <<<"$astatus" >/dev/null || { echo "FAIL: announcement"; exit 1; }
jq -e '.total == 10 and .delivered == 10' <<<"$sstatus" >/dev/null || { echo "FAIL: sold-out"; exit 1; }
python3 - "$QF_RECORD" "$ann" "$so" <<'PY'
import json, sys
path, ann, so = sys.argv[1], sys.argv[2], sys.argv[3]
lines = [json.loads(l) for l in open(path)]
saw = sorted(m["group"] for m in lines if m.get("post") == ann)
got = sorted(m["group"] for m in lines if m.get("post") == so)
assert saw == got, (saw, got)
assert len(got) == 10 and all(int(g[1:]) <= 10 for g in got), got
assert all("Sold out" in m["text"] for m in lines if m.get("post") == so)
print("sold-out went to the", len(got), "groups that saw the announcement")
PY

# (2)
sale2=$("$Q" flash-sale create --item "Kettle" --price 49.5 --orig-price 89 --stock 10 \
  --start +1h --end +2h --remind 30m,10m --to all --json)
id2=$(jq -r .sale <<<"$sale2")
"$Q" flash-sale stock "$id2" 0 >/dev/null
settled2() { "$Q" flash-sale show "$id2" --json | jq -e '.soldout_settled' >/dev/null; }
qf_wait_for 20 "the second sale to settle" settled2 || exit 1
for p in $(jq -r '.announce_post, .reminder_posts[]' <<<"$sale2"); do
  st=$(qf_wait_post_done "$p" 20)
  jq -e '.total == 15 and .expired == 15' <<<"$st" >/dev/null || { echo "FAIL: post $p: $st"; exit 1; }
done
"$Q" flash-sale show "$id2" --json | jq -e '.soldout_post == "0"' >/dev/null \
  || { echo "FAIL: a sold-out message for a sale nobody saw"; exit 1; }

# (3)
set +e
err=$("$Q" flash-sale stock "$id2" 5 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'sold out' <<<"$err" || { echo "FAIL: restock: $rc $err"; exit 1; }

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
