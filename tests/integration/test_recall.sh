#!/usr/bin/env bash
# Recall (qunfa recall POST): a post to 6 Telegram groups and 2 WeCom groups is
# delivered; recalling it deletes the 6 Telegram messages (deleteMessage with the
# message id Telegram answered, seen as "recalled" lines at mockchat) and reports
# the 2 WeCom groups as not recallable, with the reason. A second recall finds
# the messages gone and says so per group. A flash sale's announcement (a wrong
# price) is recalled the same way.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"

python3 - "$QF_HOOK" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
hook = sys.argv[1]
for i in range(1, 7):
    print(json.dumps({"id": f"t{i}", "tags": ["tg"], "dialect": "telegram",
                      "url": f"{hook}/bot123456:ABCdef/sendMessage?chat_id=-100{i}"}))
for i in range(1, 3):
    print(json.dumps({"id": f"w{i}", "tags": ["wc"], "dialect": "wecom",
                      "url": f"{hook}/cgi-bin/webhook/send?key=wkey{i}"}))
PY
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

post=$("$Q" post --to all --text "price 0.99 (wrong)" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 20)
jq -e '.delivered == 8' <<<"$status" >/dev/null || { echo "FAIL: post not delivered: $status"; exit 1; }

r=$("$Q" recall "$post" --json)
echo "recall: $r"
jq -e '(.recalled | sort) == ["t1","t2","t3","t4","t5","t6"]' <<<"$r" >/dev/null \
  || { echo "FAIL: not every Telegram message was recalled"; exit 1; }
jq -e '(.not_recalled | map(.group) | sort) == ["w1","w2"] and
       all(.not_recalled[]; .reason | test("wecom"))' <<<"$r" >/dev/null \
  || { echo "FAIL: WeCom groups not reported with a reason"; exit 1; }
recalled=$(jq -s '[.[] | select(.event == "recalled")] | length' "$QF_RECORD")
[ "$recalled" -eq 6 ] || { echo "FAIL: mockchat saw $recalled recalls, want 6"; exit 1; }
jq -s -e '[.[] | select(.event == "recalled") | .group] | sort == ["t1","t2","t3","t4","t5","t6"]' \
  "$QF_RECORD" >/dev/null || { echo "FAIL: recalled lines name other groups"; exit 1; }

# Again: every Telegram message is gone; each group says why.
r2=$("$Q" recall "$post" --json)
echo "again: $r2"
jq -e '(.recalled | length) == 0 and (.not_recalled | length) == 8 and
       ([.not_recalled[] | select(.group | startswith("t")) | .reason] |
        all(test("not found")))' <<<"$r2" >/dev/null \
  || { echo "FAIL: a second recall does not report the messages as gone"; exit 1; }

# A flash sale's announcement with a wrong price, recalled.
sale=$("$Q" flash-sale create --item "Tea" --price 0.99 --orig-price 99 --stock 5 \
  --start +1s --end +60s --to tag:tg --json)
ann=$(jq -r .announce_post <<<"$sale")
status=$(qf_wait_post_done "$ann" 20)
jq -e '.delivered == 6' <<<"$status" >/dev/null || { echo "FAIL: announcement: $status"; exit 1; }
r3=$("$Q" recall "$ann" --json)
echo "sale recall: $r3"
jq -e '(.recalled | length) == 6 and (.not_recalled | length) == 0' <<<"$r3" >/dev/null \
  || { echo "FAIL: the announcement was not recalled everywhere"; exit 1; }
total=$(jq -s '[.[] | select(.event == "recalled")] | length' "$QF_RECORD")
[ "$total" -eq 12 ] || { echo "FAIL: mockchat saw $total recalls, want 12"; exit 1; }

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
