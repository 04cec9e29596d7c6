#!/usr/bin/env bash
# A webhook answering 500 twice then 200 ends delivered with attempts = 3; one
# answering 404 ends failed with the status as the reason; a healthy one is
# delivered once.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 1 --max-attempts 5

cat >"$QF_DIR/groups.jsonl" <<JSON
{"id":"ok","name":"ok","dialect":"generic","url":"$QF_HOOK/hook/ok"}
{"id":"flaky","name":"flaky","dialect":"generic","url":"$QF_HOOK/hook/flaky?answers=500,500"}
{"id":"gone","name":"gone","dialect":"generic","url":"$QF_HOOK/hook/gone?always=404"}
JSON
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl"
post=$("$QF_BIN/qunfa" post --to all --text "retry me" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 60)
echo "status: $status"
"$QF_BIN/qunfa" deliveries "$post" --json | tee "$QF_DIR/d.json"

state() { jq -r --arg g "$1" ".[] | select(.group == \$g) | $2" "$QF_DIR/d.json"; }
[ "$(state ok .state)" = delivered ] && [ "$(state ok .attempts)" -eq 1 ]
[ "$(state flaky .state)" = delivered ] || { echo "FAIL: flaky not delivered"; exit 1; }
[ "$(state flaky .attempts)" -eq 3 ] || { echo "FAIL: flaky attempts != 3"; exit 1; }
[ "$(state gone .state)" = failed ] || { echo "FAIL: gone not failed"; exit 1; }
[ "$(state gone .attempts)" -eq 1 ] || { echo "FAIL: gone retried"; exit 1; }
state gone .last_error | grep -q 404 || { echo "FAIL: reason lacks 404"; exit 1; }

# The receiver saw flaky once (the 500s are not recorded) and gone never.
[ "$(jq -s '[.[] | select(.group == "flaky")] | length' "$QF_RECORD")" -eq 1 ]
[ "$(jq -s '[.[] | select(.group == "gone")] | length' "$QF_RECORD")" -eq 0 ]
qf_finish
