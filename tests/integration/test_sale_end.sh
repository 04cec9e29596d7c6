#!/usr/bin/env bash
# A flash sale whose end passes while some groups are throttled: 15 groups are
# free, 5 allow one message a minute and have just used it. The sale (reminder
# 1 s before the start, announcement at the start, end 3 s after it) reaches the
# 15; the 5 throttled groups' reminders expire at the start and their
# announcements at the end, and nothing of the sale reaches them, nor anyone,
# after the end.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"

qf_throttled_groups 15 5

sale=$("$Q" flash-sale create --item "Green tea" --price 9.90 --orig-price 99 --stock 500 \
  --start +3s --end +6s --remind 1s --to all --link https://shop.example/tea --json)
echo "sale: $sale"
ann=$(jq -r .announce_post <<<"$sale")
rem=$(jq -r '.reminder_posts[0]' <<<"$sale")
end_ms=$(jq -r .end_ms <<<"$sale")
start_ms=$(jq -r .start_ms <<<"$sale")

astatus=$(qf_wait_post_done "$ann" 30)
rstatus=$(qf_wait_post_done "$rem" 30)
echo "announcement: $astatus"
echo "reminder: $rstatus"
jq -e '.total == 20 and .delivered == 15 and .expired == 5' <<<"$astatus" >/dev/null \
  || { echo "FAIL: announcement counts"; exit 1; }
jq -e '.total == 20 and .delivered == 15 and .expired == 5' <<<"$rstatus" >/dev/null \
  || { echo "FAIL: reminder counts"; exit 1; }
"$Q" deliveries "$ann" --json | jq -e '[.[] | select(.state == "expired") | .group] | sort ==
  ["g16","g17","g18","g19","g20"]' >/dev/null || { echo "FAIL: the wrong groups expired"; exit 1; }

python3 - "$QF_RECORD" "$ann" "$rem" "$start_ms" "$end_ms" <<'PY'
import json, sys
path, ann, rem, start, end = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
lines = [json.loads(l) for l in open(path)]
a = [m for m in lines if m.get("post") == ann]
r = [m for m in lines if m.get("post") == rem]
slow = {f"g{i}" for i in range(16, 21)}
assert len(a) == 15 and len(r) == 15, (len(a), len(r))
assert not any(m["group"] in slow for m in a + r), "a throttled group got the sale"
late = [m for m in a if m["ts_ms"] > end]
assert not late, f"{len(late)} announcements after the end"
early = [m for m in a if m["ts_ms"] < start]
assert not early, f"{len(early)} announcements before the start"
assert not [m for m in r if m["ts_ms"] > start], "a reminder after the start"
assert "Green tea" in a[0]["text"] and "9.90" in a[0]["text"], a[0]["text"]
print("announcements", len(a), "spread_ms", max(m["ts_ms"] for m in a) - min(m["ts_ms"] for m in a))
PY

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
