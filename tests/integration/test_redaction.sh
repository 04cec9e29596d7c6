#!/usr/bin/env bash
# Secrets never reach a log: groups whose webhook urls carry a key (WeCom-style
# ?key=) and a signing secret (Feishu/DingTalk-style secret=) go through failing
# deliveries with every process at --log-level debug; no line of any process's
# log holds the key or the secret.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
QF_LOG_ARGS=(--log-level debug)
# Few attempts, so the deliveries fail for good within the test (the
# scheduler's --max-attempts; the other programs have no such flag). Set at
# start-up: a restart would count every platform key as just used, holding the
# Feishu and DingTalk groups for a full minute.
export QUNFA_MAX_ATTEMPTS=2
qf_start_observed_system 1

KEY=wk7Qz3SECRETKEYx9
SECRET=SEC4p2SIGNINGsecretZ8
TOKEN=tok5HOOKTOKENq1
cat >"$QF_DIR/groups.jsonl" <<JSON
{"id":"keyed","name":"Keyed","dialect":"generic","url":"$QF_HOOK/hook/keyed?key=$KEY&always=500"}
{"id":"signed","name":"Signed","dialect":"feishu","url":"$QF_HOOK/hook/signed/$TOKEN?secret=$SECRET&always=500"}
{"id":"ding","name":"Ding","dialect":"dingtalk","url":"$QF_HOOK/hook/ding?access_token=$TOKEN&secret=$SECRET&always=500"}
JSON
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "redact me" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 60)
qf_assert_eq "failed" 3 "$(jq .failed <<<"$status")"

for name in dispatcher1 scheduler store mockchat; do qf_stop "$name"; done
# The logs did see the failing sends (so the check below means something).
grep -q 'level=debug' "$QF_DIR/dispatcher1.err" || qf_fail "dispatcher logged nothing at debug"
grep -Eq 'event=(send_failed|result)' "$QF_DIR/dispatcher1.err" || qf_fail "no failing send in the dispatcher's log"
for f in "$QF_DIR"/*.err "$QF_DIR"/*.out; do
  for s in "$KEY" "$SECRET" "$TOKEN"; do
    if grep -n -- "$s" "$f" >&2; then qf_fail "$(basename "$f") holds a secret ($s)"; fi
  done
done
qf_finish
