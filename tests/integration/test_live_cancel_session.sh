#!/usr/bin/env bash
# Cancelling a whole live session (qunfa live cancel): 10 groups whose platform
# answers every request after 4 s (mockchat's per-url delays), the opening in
# flight, 6 segments appended and held behind it; then the session is
# cancelled. After the cancel's reply and one lease time nothing more reaches
# mockchat; the openings sent stay; the status counts the 60 segment
# deliveries cancelled and says the session is cancelled; `live say` is then
# refused with a sentence saying why.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
LEASE_MS=5000
qf_start_system 2 --lease-ms "$LEASE_MS"
Q="$QF_BIN/qunfa"
N=10
python3 - "$QF_HOOK" "$N" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
hook, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    print(json.dumps({"id": f"g{i}", "dialect": "generic",
                      "url": f"{hook}/hook/g{i}?delays=4000,4000,4000,4000"}))
PY
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

id=$("$Q" live open --title "T" --guest "G" --to all --open-text "OPEN" --json | jq -r .live)
for k in 1 2 3 4 5 6; do "$Q" live say "$id" "s$k" >/dev/null; done
leased() { "$Q" live status "$id" --json | jq -e ".deliveries.leased == $N" >/dev/null; }
qf_wait_for 10 "every opening in flight" leased || exit 1

reply=$("$Q" live cancel "$id" --json)
replied_ms=$(qf_now_ms)
echo "cancel: $reply"
qf_assert_eq "deliveries cancelled" $((N * 6)) "$(jq .cancelled <<<"$reply")"
qf_assert_eq "openings in flight at the cancel" "$N" "$(jq .leased <<<"$reply")"

# Watch past the reply plus one lease time, and past when the held segments
# would have gone out (after the openings' 4 s answers, 4 s more each).
quiet_until=$((replied_ms + LEASE_MS + 4000))
past() { [ "$(qf_now_ms)" -ge "$quiet_until" ]; }
qf_wait_for 30 "the watch window to end" past || exit 1

late=$(jq -s --argjson t $((replied_ms + LEASE_MS)) '[.[] | select(.ts_ms > $t)] | length' "$QF_RECORD")
qf_assert_eq "messages received after the cancel's reply and a lease time" 0 "$late"
qf_assert_eq "segments received (all were held at the cancel)" 0 \
  "$(jq -s '[.[] | select(.text | test("^s[0-9]"))] | length' "$QF_RECORD")"

status=$("$Q" live status "$id" --json)
echo "status: $status"
qf_assert_eq "status says cancelled" true "$(jq .cancelled <<<"$status")"
qf_assert_eq "segment deliveries cancelled" $((N * 6)) "$(jq .deliveries.cancelled <<<"$status")"
qf_assert_eq "nothing pending or leased" 0 \
  "$(jq '.deliveries.pending + .deliveries.leased' <<<"$status")"
qf_assert_eq "openings delivered or cancelled, none lost" "$N" \
  "$(jq '.deliveries.delivered + .deliveries.cancelled - '$((N * 6)) <<<"$status")"

if out=$("$Q" live say "$id" "too late" 2>&1); then
  qf_fail "live say after the cancel succeeded: $out"
fi
echo "say after cancel: $out"
qf_assert_match "say after the cancel says why" "was cancelled" "$out"
# Cancelling again changes nothing.
qf_assert_eq "second cancel" true "$("$Q" live cancel "$id" --json | jq .was_cancelled)"
qf_finish
