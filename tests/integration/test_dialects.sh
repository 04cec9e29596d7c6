#!/usr/bin/env bash
# Every dialect end to end, dispatcher -> mockchat: 300 groups, 50 per dialect
# (generic, wecom, feishu and dingtalk signed, telegram, slack), one post with
# per-group template variables. Every group receives it exactly once, rendered
# for that group, each request valid for its platform (mockchat rejects nothing,
# verifies every Feishu and DingTalk signature against its own copy of the
# secret); Telegram answers with message ids, and one is recalled with
# deleteMessage. Judged by mockchat's record and stats and by the CLI.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

qf_system_addresses
N=50

# Groups and the secrets mockchat verifies signatures with: the same secret in
# the group's url (the dialect takes it out before sending) and in the file.
python3 - "$QF_HOOK" "$N" "$QF_DIR/groups.jsonl" "$QF_DIR/secrets.json" <<'PY'
import json, sys
hook, n, gpath, spath = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
secrets = {"feishu": {}, "dingtalk": {}}
with open(gpath, "w") as f:
    for i in range(1, n + 1):
        urls = {
            "generic": f"{hook}/hook/generic-{i}",
            "wecom": f"{hook}/cgi-bin/webhook/send?key=wk-{i}",
            "feishu": f"{hook}/open-apis/bot/v2/hook/fh-{i}?secret=fsSecret{i}%2B%2F",
            "dingtalk": f"{hook}/robot/send?access_token=dt{i}&secret=SECdt{i}x",
            "telegram": f"{hook}/bot{1000 + i}:tok{i}/sendMessage?chat_id=-100{700000 + i}",
            "slack": f"{hook}/services/T{i}/B{i}/X{i}",
        }
        secrets["feishu"][f"fh-{i}"] = f"fsSecret{i}+/"
        secrets["dingtalk"][f"dt{i}"] = f"SECdt{i}x"
        for d, url in urls.items():
            tags = ["demo"] + (["vip"] if i % 5 == 0 else [])
            print(json.dumps({"id": f"{d}-{i}", "name": f"{d} group {i}", "tags": tags,
                              "dialect": d, "url": url}), file=f)
json.dump(secrets, open(spath, "w"))
PY

qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" \
  --secrets "$QF_DIR/secrets.json"
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler
qf_start_dispatcher dispatcher1
qf_start_dispatcher dispatcher2

total=$((N * 6))
qf_assert_eq imported "$total" \
  "$("$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json | jq .imported)"

text='Hello {{group.name}} ({{group.id}}){{#tag.vip}}, VIP{{/tag.vip}}: post {{post.id}}'
post=$("$QF_BIN/qunfa" post --to all --text "$text" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 90)
echo "status: $status"
qf_assert_eq delivered "$total" "$(jq .delivered <<<"$status")"

# Exactly once per group, rendered for the group, recorded in its dialect.
jq -s --arg p "$post" '
  [.[] | select(.post == $p and .event == null)] as $m
  | { lines: ($m | length),
      groups: ($m | map(.group) | unique | length),
      bad_text: ($m | map(select(
          (.group | capture("(?<n>[0-9]+)$").n | tonumber) as $i
          | (.group | sub("-[0-9]+$"; "")) as $d
          | .text != "Hello \($d) group \($i) (\(.group))\(if $i % 5 == 0 then ", VIP" else "" end): post \($p)"))
        | length),
      bad_dialect: ($m | map(select((.dialect // "generic") != (.group | sub("-[0-9]+$"; "")))) | length),
      telegram_ids: ($m | map(select(.dialect == "telegram" and .platform_msg_id == "1")) | length) }
' "$QF_RECORD" >"$QF_DIR/check.json"
cat "$QF_DIR/check.json"
qf_assert_eq "messages" "$total" "$(jq .lines "$QF_DIR/check.json")"
qf_assert_eq "groups" "$total" "$(jq .groups "$QF_DIR/check.json")"
qf_assert_eq "texts not rendered for their group" 0 "$(jq .bad_text "$QF_DIR/check.json")"
qf_assert_eq "lines in the wrong dialect" 0 "$(jq .bad_dialect "$QF_DIR/check.json")"
qf_assert_eq "telegram messages with their message id" "$N" \
  "$(jq .telegram_ids "$QF_DIR/check.json")"

# Nothing rejected or throttled: every request was valid and signed, and the
# scheduler paced every group within its platform's limit.
stats=$(curl -s "$QF_HOOK/stats")
qf_assert_eq "mockchat totals" '{"accepted":300,"rejected":0,"throttled":0,"violations":0}' \
  "$(jq -c '.totals | {accepted, rejected, throttled, violations}' <<<"$stats")"

# A signing robot refuses an unsigned request (the check is real).
qf_assert_eq "unsigned feishu request" 200 "$(qf_http POST "$QF_HOOK/open-apis/bot/v2/hook/fh-1" \
  '{"msg_type":"text","content":{"text":"forged"}}')"
qf_assert_eq "unsigned feishu answer" 19021 "$(jq .code "$QF_TMP/http.body")"
qf_assert_eq "unsigned dingtalk answer" 310000 "$(qf_http POST "$QF_HOOK/robot/send?access_token=dt1" \
  '{"msgtype":"text","text":{"content":"forged"}}' >/dev/null; jq .errcode "$QF_TMP/http.body")"

# Recall: Telegram deletes the message by the id it returned.
qf_assert_eq "deleteMessage" 200 "$(qf_http POST "$QF_HOOK/bot1001:tok1/deleteMessage" \
  '{"chat_id":-100700001,"message_id":1}')"
qf_assert_eq "recalled line" "telegram-1 $post 1" \
  "$(jq -r 'select(.event == "recalled") | "\(.group) \(.post) \(.platform_msg_id)"' "$QF_RECORD")"
qf_assert_eq "deleteMessage again" 400 "$(qf_http POST "$QF_HOOK/bot1001:tok1/deleteMessage" \
  '{"chat_id":-100700001,"message_id":1}')"

"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d.json"
qf_assert_eq "deliveries delivered once" "$total" \
  "$(jq '[.[] | select(.state == "delivered" and .attempts == 1)] | length' "$QF_DIR/d.json")"

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
