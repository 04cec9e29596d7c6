#!/usr/bin/env bash
# A flash sale's announcement as each platform's card: 21 groups, 3 per dialect
# (generic, wecom, feishu and dingtalk signed, telegram, slack, nng on
# mockchat's gateway). The sale's item and link carry per-group variables.
# Every group receives the announcement once, as its platform's card
# (mockchat validates each card as the platform does and records it), with the
# item and the link rendered for that group; then the sold-out follow-up goes
# out as each platform's card too. Judged by mockchat's record and stats.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

qf_system_addresses
GW=ipc://$QF_DIR/gateway.sock
Q=$QF_BIN/qunfa
N=3

python3 - "$QF_HOOK" "$GW" "$N" "$QF_DIR/groups.jsonl" "$QF_DIR/secrets.json" <<'PY'
import json, sys
hook, gw, n, gpath, spath = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
secrets = {"feishu": {}, "dingtalk": {}}
with open(gpath, "w") as f:
    for i in range(1, n + 1):
        urls = {
            "generic": f"{hook}/hook/generic-{i}",
            "wecom": f"{hook}/cgi-bin/webhook/send?key=wk-{i}",
            "feishu": f"{hook}/open-apis/bot/v2/hook/fh-{i}?secret=fsSecret{i}",
            "dingtalk": f"{hook}/robot/send?access_token=dt{i}&secret=SECdt{i}x",
            "telegram": f"{hook}/bot{1000 + i}:tok{i}/sendMessage?chat_id=-100{700000 + i}",
            "slack": f"{hook}/services/T{i}/B{i}/X{i}",
            "nng": gw,
        }
        secrets["feishu"][f"fh-{i}"] = f"fsSecret{i}"
        secrets["dingtalk"][f"dt{i}"] = f"SECdt{i}x"
        for d, url in urls.items():
            print(json.dumps({"id": f"{d}-{i}", "name": f"{d} <{i}> & co",
                              "dialect": d, "url": url}), file=f)
json.dump(secrets, open(spath, "w"))
PY

qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" \
  --secrets "$QF_DIR/secrets.json" --gateway "$GW"
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler
qf_start_dispatcher dispatcher1

total=$((N * 7))
qf_assert_eq imported "$total" "$("$Q" groups import "$QF_DIR/groups.jsonl" --json | jq .imported)"

sale=$("$Q" flash-sale create --item 'Green tea for {{group.name}}' --price 9.90 \
  --orig-price 99 --stock 500 --start +1s --end +120s --to all \
  --link 'https://shop.example/tea?g={{group.id}}' --json)
ann=$(jq -r .announce_post <<<"$sale")
sale_id=$(jq -r .sale <<<"$sale")
status=$(qf_wait_post_done "$ann" 60)
echo "announcement: $status"
qf_assert_eq "announcements delivered" "$total" "$(jq .delivered <<<"$status")"

# Each group's card, by dialect: where the link and the item are in it.
check='
  def link: "https://shop.example/tea?g=\(.group)";
  def name: (.group | capture("^(?<d>[a-z]+)-(?<i>[0-9]+)$")) | "\(.d) <\(.i)> & co";
  def dialect: .dialect // "generic";
  def card_ok($link; $name):
    if dialect == "generic" or dialect == "nng" then
      .card.kind == $kind and (.card.item | contains($name))
      and ($kind == "sold_out" or .card.link == $link)
    elif dialect == "wecom" then
      if $kind == "sold_out" then .kind == "markdown"
      else .kind == "template_card" and .card.card_action.url == $link
        and .card.jump_list[0].url == $link and (.card.main_title.title | contains($name)) end
    elif dialect == "feishu" then
      .kind == "interactive" and (.card.header.title.content | contains($name))
      and ($kind == "sold_out" or .card.elements[-1].actions[0].url == $link)
    elif dialect == "dingtalk" then
      if $kind == "sold_out" then .kind == "markdown"
      else .kind == "actionCard" and .card.singleURL == $link and (.card.text | contains($name)) end
    elif dialect == "telegram" then
      (.text | contains($name | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;")))
      and ($kind == "sold_out" or .card.inline_keyboard[0][0].url == $link)
    elif dialect == "slack" then
      .kind == "blocks" and .card[0].type == "section"
      and ($kind == "sold_out" or .card[0].accessory.url == $link)
    else false end;
  [.[] | select(.post == $p and .event == null)] as $m
  | { lines: ($m | length), groups: ($m | map(.group) | unique | length),
      dialects: ($m | map(dialect) | unique | length),
      bad: ($m | map(select(card_ok(link; name) | not) | .group)) }'
jq -s --arg p "$ann" --arg kind announce "$check" "$QF_RECORD" >"$QF_DIR/check.json"
cat "$QF_DIR/check.json"
qf_assert_eq "announcement lines" "$total" "$(jq .lines "$QF_DIR/check.json")"
qf_assert_eq "groups with the announcement" "$total" "$(jq .groups "$QF_DIR/check.json")"
qf_assert_eq "dialects" 7 "$(jq .dialects "$QF_DIR/check.json")"
qf_assert_eq "groups without their platform's card" "[]" "$(jq -c .bad "$QF_DIR/check.json")"

# Sold out: the follow-up is a card too, to every group that had the announcement.
"$Q" flash-sale stock "$sale_id" 0 --json >/dev/null
settled() { "$Q" flash-sale show "$sale_id" --json | jq -e '.soldout_settled' >/dev/null; }
qf_wait_for 30 "the sold-out follow-up" settled
soldout=$("$Q" flash-sale show "$sale_id" --json | jq -r .soldout_post)
status=$(qf_wait_post_done "$soldout" 60)
qf_assert_eq "sold-out messages delivered" "$total" "$(jq .delivered <<<"$status")"
jq -s --arg p "$soldout" --arg kind sold_out "$check" "$QF_RECORD" >"$QF_DIR/check.json"
cat "$QF_DIR/check.json"
qf_assert_eq "sold-out cards wrong" "[]" "$(jq -c .bad "$QF_DIR/check.json")"

# mockchat rejected nothing: every card was valid for its platform.
stats=$(curl -s "$QF_HOOK/stats")
qf_assert_eq "requests mockchat rejected" 0 "$(jq .totals.rejected <<<"$stats")"
qf_finish
