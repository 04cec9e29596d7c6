#!/usr/bin/env bash
# Cancelling a live session while a coalesced message is in flight: a group at
# 1 message a second gets segments s1..s3 coalesced into one lease, which its
# platform answers after 4 s; s4 is appended after that lease went out, then
# the session is cancelled. The reply counts s4 cancelled and s1..s3 in flight
# (leased). Then:
#   ok:  the platform accepts the coalesced message: s1..s3 end delivered (their
#        text went out together), only s4 cancelled;
#   err: the platform answers 500: s1..s3 end cancelled with s4 and are never
#        sent, nor even leased again (the scheduler's leases_issued counts the
#        session's two: the opening and s1).
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
STATS=ipc://$QF_DIR/scheduler.stats
qf_start_system 1 --stats "$STATS"
Q="$QF_BIN/qunfa"
leases() { qf_stat "$STATS" .counters.leases_issued; }
for g in ok err; do
  answers=$([ $g = ok ] && echo 200,200 || echo 200,500)
  printf '{"id":"%s","dialect":"generic","url":"%s/hook/%s?delays=0,4000&answers=%s","rate":"1/s"}\n' \
    "$g" "$QF_HOOK" "$g" "$answers"
done >"$QF_DIR/groups.jsonl"
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null
touch "$QF_RECORD"

# cancel_while_carried GROUP: the session to GROUP up to its cancel; prints its id.
cancel_while_carried() {
  local g=$1 id reply
  id=$("$Q" live open --title T --guest G --to "group:$g" --open-text OPEN --json | jq -r .live)
  printf 's1\ns2\ns3\n' | "$Q" live say "$id" - >/dev/null
  # The opening is delivered at once; a second later s1 goes out carrying s2, s3.
  in_flight() {
    "$Q" live status "$id" --json |
      jq -e '.deliveries.delivered == 1 and .deliveries.leased == 1' >/dev/null
  }
  qf_wait_for 10 "$g: the opening delivered and s1 in flight" in_flight || exit 1
  "$Q" live say "$id" s4 >/dev/null
  reply=$("$Q" live cancel "$id" --json)
  echo "$g: cancel: $reply" >&2
  qf_assert_eq "$g: cancelled: s4" 1 "$(jq .cancelled <<<"$reply")" >&2
  qf_assert_eq "$g: in flight: s1 and the s2, s3 it carries" 3 "$(jq .leased <<<"$reply")" >&2
  settled() {
    "$Q" live status "$id" --json | jq -e '.deliveries.pending + .deliveries.leased == 0' \
      >/dev/null
  }
  qf_wait_for 20 "$g: every delivery of the session to end" settled || exit 1
  echo "$id"
}

counts() { "$Q" live status "$1" --json | jq -c '.deliveries | [.delivered, .cancelled]'; }
received() { jq -sc --arg g "$1" '[.[] | select(.group == $g) | .text]' "$QF_RECORD"; }

id=$(cancel_while_carried ok)
qf_assert_eq "ok: delivered the opening and s1..s3, cancelled s4" "[4,1]" "$(counts "$id")"
qf_assert_eq "ok: received the opening, then s1..s3 in one message" '["OPEN","s1\ns2\ns3"]' \
  "$(received ok)"

before=$(leases)
id=$(cancel_while_carried err)
qf_assert_eq "err: delivered the opening, cancelled s1..s4" "[1,4]" "$(counts "$id")"
# A retry of the refused message would come after the scheduler's backoff
# (at most 1 s at the first attempt): wait past it.
sleep_until=$(($(qf_now_ms) + 3000))
past() { [ "$(qf_now_ms)" -ge "$sleep_until" ]; }
qf_wait_for 10 "the retry window to pass" past || exit 1
qf_assert_eq "err: received the opening only" '["OPEN"]' "$(received err)"
qf_assert_eq "err: leases issued (the opening, s1)" 2 $(($(leases) - before))
qf_finish
