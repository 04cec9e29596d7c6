#!/usr/bin/env bash
# ctest: timing
# Recurring posts. A daily schedule is listed, paused, resumed and deleted. A
# schedule firing every minute (in Asia/Shanghai) fires twice in a row at the
# minute boundary: the first receipt at mockchat of each occurrence's post is
# within 50 ms after the minute, and every tagged group receives each post once.
# This is the one slow test: it waits for two whole minutes at most.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"
now_ms() { date +%s%3N; }

qf_make_groups 20 "$QF_DIR/groups.jsonl"
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

# The minute schedule first, so its first occurrence comes as soon as possible.
t0=$(now_ms)
sop=$("$Q" post --cron "* * * * *" --tz Asia/Shanghai --to "tag:demo" --text "minute SOP" --json)
echo "created: $sop"
sop_id=$(jq -r .id <<<"$sop")
jq -e --argjson t "$t0" '.next_at % 60000 == 0 and .next_at > $t and .next_at <= $t + 60000 and .paused == false and .tz == "Asia/Shanghai"' <<<"$sop" >/dev/null \
  || { echo "FAIL: next_at is not the next minute"; exit 1; }
first_at=$(jq .next_at <<<"$sop")

# A daily schedule: list, pause, resume, delete.
daily=$("$Q" post --cron "0 8 * * *" --tz Asia/Shanghai --to all --text "good morning" --json)
daily_id=$(jq -r .id <<<"$daily")
# 08:00 in Shanghai is 00:00 UTC.
jq -e '.next_at % 86400000 == 0' <<<"$daily" >/dev/null || { echo "FAIL: daily next_at"; exit 1; }
"$Q" schedules list --json >"$QF_DIR/list.json"
jq -e --arg a "$sop_id" --arg b "$daily_id" 'length == 2 and .[0].id == $a and .[1].id == $b and all(has("id") and has("cron") and has("tz") and has("next_at") and has("paused"))' "$QF_DIR/list.json" >/dev/null \
  || { echo "FAIL: list"; cat "$QF_DIR/list.json"; exit 1; }
"$Q" schedules pause "$daily_id" --json | jq -e '.paused == true' >/dev/null || { echo "FAIL: pause"; exit 1; }
"$Q" schedules list --json | jq -e --arg b "$daily_id" '.[] | select(.id == $b) | .paused' >/dev/null || { echo "FAIL: paused in list"; exit 1; }
"$Q" schedules resume "$daily_id" --json | jq -e '.paused == false and .next_at % 86400000 == 0' >/dev/null || { echo "FAIL: resume"; exit 1; }
"$Q" schedules delete "$daily_id" --json >/dev/null
"$Q" schedules list --json | jq -e 'length == 1' >/dev/null || { echo "FAIL: delete"; exit 1; }
set +e
err=$("$Q" schedules delete "$daily_id" 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "schedule $daily_id not found" <<<"$err" || { echo "FAIL: delete twice: $rc $err"; exit 1; }
set +e
err=$("$Q" post --cron "* * * 13 *" --to all --text x 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "cron: field 4 (month)" <<<"$err" || { echo "FAIL: bad cron: $rc $err"; exit 1; }

# Two occurrences, each delivered to all 20 groups; judged by mockchat's clock.
judge() { # prints one line per post: post, first receipt ms, receipts
  jq -rs '[.[] | select(.text == "minute SOP")] | group_by(.post) | map([.[0].post, (map(.ts_ms) | min), length] | @tsv) | .[]' "$QF_RECORD"
}
end=$((SECONDS + 150))
while :; do
  n=$(judge | awk '$3 >= 20' | wc -l)
  [ "$n" -ge 2 ] && break
  [ $SECONDS -lt $end ] || { echo "FAIL: two occurrences did not arrive"; judge; exit 1; }
  sleep 0.2
done
judge | head -2 >"$QF_DIR/fires.tsv"
cat "$QF_DIR/fires.tsv"
i=0
while read -r post first count; do
  minute=$(( first / 60000 * 60000 ))
  late=$(( first - minute ))
  echo "post $post: first receipt $late ms after the minute $minute, $count receipts"
  [ "$minute" -eq $(( first_at + i * 60000 )) ] || { echo "FAIL: post $post fired for minute $minute, expected $(( first_at + i * 60000 ))"; exit 1; }
  [ "$late" -lt 50 ] || { echo "FAIL: $late ms late"; exit 1; }
  [ "$count" -eq 20 ] || { echo "FAIL: $count receipts"; exit 1; }
  i=$((i + 1))
done <"$QF_DIR/fires.tsv"

# The list moved on: the next occurrence is a later minute, the last one is known.
"$Q" schedules list --json | jq -e --argjson t "$(now_ms)" '.[0] | .next_at > $t and .next_at % 60000 == 0 and .last_at > 0 and .last_error == ""' >/dev/null \
  || { echo "FAIL: list after firing"; "$Q" schedules list --json; exit 1; }
"$Q" schedules delete "$sop_id" >/dev/null

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
