#!/usr/bin/env bash
# Operator guards: a group in its quiet hours gets nothing of a normal post, but
# an urgent --ignore-quiet post goes through; a normal post with --expires to it
# ends expired, never sent late; a group with daily_cap 1 gets the first post and
# the second ends cancelled with reason daily_cap.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 1

# A quiet window around now, in UTC.
quiet=$(python3 -c 'import datetime as d; n=d.datetime.utcnow(); f=lambda t: t.strftime("%H:%M"); print(f(n-d.timedelta(hours=1))+"-"+f(n+d.timedelta(hours=1)))')
cat >"$QF_DIR/groups.jsonl" <<JSON
{"id":"night","dialect":"generic","url":"$QF_HOOK/hook/night","quiet":"$quiet"}
{"id":"capped","dialect":"generic","url":"$QF_HOOK/hook/capped","daily_cap":1}
JSON
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
"$QF_BIN/qunfa" groups list --json | jq -e '.[] | select(.id == "capped") | .daily_cap == 1' >/dev/null

expires=$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc)+d.timedelta(seconds=2)).isoformat())')
late=$("$QF_BIN/qunfa" post --to group:night --text "late" --expires "$expires" --json | jq -r .post)
urgent=$("$QF_BIN/qunfa" post --to group:night --priority urgent --ignore-quiet --text "now" --json | jq -r .post)
[ "$(qf_wait_post_done "$urgent" 20 | jq .delivered)" -eq 1 ] || { echo "FAIL: urgent held"; exit 1; }
s=$(qf_wait_post_done "$late" 20)
[ "$(jq .expired <<<"$s")" -eq 1 ] || { echo "FAIL: not expired: $s"; exit 1; }
[ "$(jq -s '[.[] | select(.text == "late")] | length' "$QF_RECORD")" -eq 0 ] || { echo "FAIL: sent late"; exit 1; }
! "$QF_BIN/qunfa" post --to group:night --text x --ignore-quiet 2>/dev/null || { echo "FAIL: --ignore-quiet on normal"; exit 1; }

first=$("$QF_BIN/qunfa" post --to group:capped --text "one" --json | jq -r .post)
qf_wait_post_done "$first" 20 >/dev/null
second=$("$QF_BIN/qunfa" post --to group:capped --text "two" --json | jq -r .post)
s=$(qf_wait_post_done "$second" 20)
[ "$(jq .cancelled <<<"$s")" -eq 1 ] || { echo "FAIL: over the cap: $s"; exit 1; }
"$QF_BIN/qunfa" deliveries "$second" --json | jq -e '.[0].last_error == "daily_cap"' >/dev/null \
  || { echo "FAIL: reason"; exit 1; }
echo "PASS"
