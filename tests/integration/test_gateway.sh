#!/usr/bin/env bash
# The nng dialect: groups whose url is a gateway's NNG address, reached over
# NNG REQ/REP with a GatewaySend, the GatewayReply being the result.
# (1) 100 groups on mockchat's gateway (ipc://), one post with per-group
#     variables: every group receives it exactly once, rendered, recorded as
#     dialect "nng" with the gateway's message id;
# (2) 50 groups on a second gateway over tcp:// that fails half its requests
#     (--fail-rate 0.5, answered RETRY): all end delivered within the attempts,
#     some after a retry;
# (3) a gateway nobody listens on: the deliveries retry (timeout) and end
#     failed after --max-attempts, with the reason;
# (4) a gateway whose first answer is its rate-limit answer (RETRY, throttled):
#     the delivery ends delivered and the scheduler learns a lower rate for the
#     group, as from a webhook's 429.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

qf_system_addresses
GW1=ipc://$QF_DIR/gateway1.sock
GW2=tcp://127.0.0.1:$(qf_free_port)
qf_start_ready chat1 qunfa-mockchat --listen "http://127.0.0.1:0" --record "$QF_DIR/gw1.jsonl" \
  --gateway "$GW1"
qf_start_ready chat2 qunfa-mockchat --listen "http://127.0.0.1:0" --record "$QF_DIR/gw2.jsonl" \
  --gateway "$GW2" --fail-rate 0.5 --seed 7
GW3=ipc://$QF_DIR/gateway3.sock
qf_start_ready chat3 qunfa-mockchat --listen "http://127.0.0.1:0" --record "$QF_DIR/gw3.jsonl" \
  --gateway "$GW3" --throttle-burst 1
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler --max-attempts 3 --lease-ms 4000
qf_start_dispatcher dispatcher1

python3 - "$GW1" "$GW2" "ipc://$QF_DIR/nobody.sock" "$GW3" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
gw1, gw2, nobody, gw3 = sys.argv[1:5]
for i in range(1, 101):
    print(json.dumps({"id": f"n{i}", "name": f"Gateway group {i}", "tags": ["one"],
                      "dialect": "nng", "url": gw1}))
for i in range(1, 51):
    print(json.dumps({"id": f"f{i}", "tags": ["two"], "dialect": "nng", "url": gw2}))
print(json.dumps({"id": "lost", "tags": ["three"], "dialect": "nng", "url": nobody}))
print(json.dumps({"id": "t1", "tags": ["four"], "dialect": "nng", "url": gw3,
                  "rate": "10/s"}))
PY
qf_assert_eq imported 152 "$("$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json | jq .imported)"

# --- (1) ---
post=$("$QF_BIN/qunfa" post --to tag:one --text 'Hi {{group.name}}, post {{post.id}}' --json | jq -r .post)
status=$(qf_wait_post_done "$post" 30)
echo "gateway 1: $status"
qf_assert_eq "(1) delivered" 100 "$(jq .delivered <<<"$status")"
qf_assert_eq "(1) once each, rendered, dialect nng, with an id" "100 100 0" "$(jq -rs --arg p "$post" '
  [.[] | select(.post == $p)] as $m
  | "\($m | length) \($m | map(.group) | unique | length) \($m | map(select(
      .dialect != "nng" or .platform_msg_id != "1" or .idempotency_key != "\($p):\(.group)"
      or .text != "Hi Gateway group \(.group | ltrimstr("n")), post \($p)")) | length)"' \
  "$QF_DIR/gw1.jsonl")"

# --- (2) ---
post2=$("$QF_BIN/qunfa" post --to tag:two --text 'flaky gateway' --json | jq -r .post)
status=$(qf_wait_post_done "$post2" 60)
echo "gateway 2: $status"
"$QF_BIN/qunfa" deliveries "$post2" --json >"$QF_DIR/d2.json"
delivered=$(jq '[.[] | select(.state == "delivered")] | length' "$QF_DIR/d2.json")
retried=$(jq '[.[] | select(.attempts > 1)] | length' "$QF_DIR/d2.json")
echo "delivered $delivered, retried $retried"
[ "$retried" -ge 1 ] || qf_fail "(2) no delivery needed a retry at fail-rate 0.5"
# With 3 attempts at 0.5 a few may fail; each failure must name the gateway's answer.
qf_assert_eq "(2) failures name the gateway's answer" 0 \
  "$(jq '[.[] | select(.state == "failed" and (.last_error | test("simulated failure") | not))] | length' "$QF_DIR/d2.json")"
qf_assert_eq "(2) delivered ones received once" "$delivered" \
  "$(jq -s --arg p "$post2" '[.[] | select(.post == $p) | .group] | unique | length' "$QF_DIR/gw2.jsonl")"
[ "$delivered" -ge 35 ] || qf_fail "(2) only $delivered of 50 delivered"

# only_delivery N TAG TEXT SECONDS: posts TEXT to the one group tagged TAG, waits
# for it to settle and prints "<state> <attempts>" of its delivery, whose JSON is
# kept in dN.json.
only_delivery() {
  local post
  post=$("$QF_BIN/qunfa" post --to "tag:$2" --text "$3" --json | jq -r .post)
  qf_wait_post_done "$post" "$4" >/dev/null
  "$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d$1.json"
  echo "($1): $(jq -c '.[0] | {state, attempts, last_error}' "$QF_DIR/d$1.json")" >&2
  jq -r '.[0] | "\(.state) \(.attempts)"' "$QF_DIR/d$1.json"
}

# --- (3) ---
qf_assert_eq "(3) failed after 3 attempts" "failed 3" "$(only_delivery 3 three 'into the void' 90)"
qf_assert_match "(3) reason" 'timeout' "$(jq -r '.[0].last_error' "$QF_DIR/d3.json")"

# --- (4) ---
qf_assert_eq "(4) delivered at the second attempt" "delivered 2" \
  "$(only_delivery 4 four 'slow down' 30)"
grep -q 'event=limit_learned group=t1 dialect=nng .*why=throttled' "$QF_DIR/scheduler.err" ||
  qf_fail "(4) the scheduler learned nothing from the gateway's rate-limit answer"

for name in dispatcher1 scheduler store chat1 chat2 chat3; do qf_stop "$name"; done
qf_finish
