#!/usr/bin/env bash
# SIGTERM drains a dispatcher without losing or delaying anything:
# (1) leases it has not started are handed back at once: dispatcher1 cannot
#     reach the store, so all 200 of its leases wait for content; on SIGTERM it
#     exits 0 within seconds, and dispatcher2 (started after) delivers them all
#     long before --lease-ms (30 s) would have expired them, at one attempt each
#     (a released lease is not an attempt);
# (2) sends in flight finish: with the platform answering after 1 s, SIGTERM
#     a dispatcher holding sends; it exits 0 after they are answered and
#     reported, and every group received the post exactly once.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"

qf_system_addresses
qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD"
qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store"
qf_start_scheduler --lease-ms 30000

qf_make_groups 200 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null

# --- (1) unstarted leases go back at once ---
qf_start_ready stuck qunfa-dispatcher --work "$QF_WORK" --store "ipc://$QF_DIR/no-store.sock" \
  --name stuck
post=$("$QF_BIN/qunfa" post --to all --text "drain me" --json | jq -r .post)
all_leased() { [ "$("$QF_BIN/qunfa" status "$post" --json | jq .leased)" -eq 200 ]; }
qf_wait_for 10 "all 200 deliveries leased by the stuck dispatcher" all_leased
t0=$(qf_now_ms)
qf_stop stuck 5
grep -q 'event=drained' "$QF_TMP/stuck.err" || qf_fail "stuck did not log event=drained"
none_leased() { [ "$("$QF_BIN/qunfa" status "$post" --json | jq .leased)" -eq 0 ]; }
qf_wait_for 5 "the released leases to be pending again" none_leased
qf_start_dispatcher dispatcher1
status=$(qf_wait_post_done "$post" 20)
took=$(($(qf_now_ms) - t0))
echo "released leases delivered ${took} ms after SIGTERM: $status"
qf_assert_eq "(1) delivered" 200 "$(jq .delivered <<<"$status")"
[ "$took" -lt 15000 ] || qf_fail "(1) took ${took} ms: leases were not handed back at once"
"$QF_BIN/qunfa" deliveries "$post" --json >"$QF_DIR/d1.json"
qf_assert_eq "(1) one attempt each" 200 \
  "$(jq '[.[] | select(.state == "delivered" and .attempts == 1)] | length' "$QF_DIR/d1.json")"
qf_assert_eq "(1) exactly once per group" "200 200" "$(jq -rs --arg p "$post" '
  [.[] | select(.post == $p)] | "\(length) \(map(.group) | unique | length)"' "$QF_RECORD")"

# --- (2) sends in flight finish before the exit ---
# 200 more groups whose platform answers each first request after 1 s.
python3 - "$QF_HOOK" >"$QF_DIR/slow.jsonl" <<'PY'
import json, sys
for i in range(1, 201):
    g = f"slow-{i}"
    print(json.dumps({"id": g, "tags": ["slow"], "dialect": "generic",
                      "url": f"{sys.argv[1]}/hook/{g}?delays=1000"}))
PY
"$QF_BIN/qunfa" groups import "$QF_DIR/slow.jsonl" >/dev/null
qf_start_dispatcher dispatcher2
post3=$("$QF_BIN/qunfa" post --to tag:slow --text "in flight" --json | jq -r .post)
some_in_flight() { [ "$("$QF_BIN/qunfa" status "$post3" --json | jq .leased)" -gt 0 ]; }
qf_wait_for 10 "sends in flight" some_in_flight
qf_stop dispatcher1 10
qf_stop dispatcher2 10
cat "$QF_TMP/dispatcher1.err" "$QF_TMP/dispatcher2.err" | grep -q 'event=draining .*sends_in_flight=[1-9]' ||
  qf_fail "(2) no dispatcher had sends in flight when it was stopped"
qf_start_dispatcher dispatcher3
status=$(qf_wait_post_done "$post3" 30)
echo "in-flight post: $status"
qf_assert_eq "(2) delivered" 200 "$(jq .delivered <<<"$status")"
qf_assert_eq "(2) exactly once per group" "200 200" "$(jq -rs --arg p "$post3" '
  [.[] | select(.post == $p)] | "\(length) \(map(.group) | unique | length)"' "$QF_RECORD")"
"$QF_BIN/qunfa" deliveries "$post3" --json >"$QF_DIR/d3.json"
qf_assert_eq "(2) none re-sent" 200 \
  "$(jq '[.[] | select(.state == "delivered" and .attempts == 1)] | length' "$QF_DIR/d3.json")"

for name in dispatcher3 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
