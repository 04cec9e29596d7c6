#!/usr/bin/env bash
# Reproduction: a CreatePost cut by a scheduler crash is carried out twice.
#
# `qunfa post` sends CreatePost; the scheduler commits the post (and its
# deliveries) and is killed with SIGKILL before its reply leaves. The client's
# REQ socket resends the same request (same request id) to the restarted
# scheduler, whose reply cache was in memory and is gone: it creates a second
# post with the same text and audience, and answers that one's id. The first
# post exists, is delivered, and nobody was told of it: every group of the
# audience receives the text twice, under two post ids (two idempotency keys,
# so a receiver cannot drop the second).
#
# The crash must land between the commit becoming durable and the reply being
# sent, so the script tries up to ATTEMPTS times (a random kill moment within
# the CreatePost each time) and stops at the first double creation.
#
#   QF_BIN=build/services QF_SRC=. bash tests/chaos/repro/createpost_twice.sh [ATTEMPTS] [GROUPS]
# Exit 1 (and the run's directory kept) when reproduced; 0 when not seen.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
ATTEMPTS=${1:-40}
N=${2:-2000}
chaos_init createpost-twice
chaos_start_system 1 || qf_die "system did not start"
chaos_groups "$N" || qf_die "groups import failed"

for k in $(seq 1 "$ATTEMPTS"); do
  before=$(tail -n1 "$CHAOS_POSTS")
  "$QF_BIN/qunfa" post --to all --text "once $k" --json --timeout-ms 15000 >"$QF_DIR/c$k.out" &
  client=$!
  sleep "$(printf '0.%03d' $((RANDOM % 40)))" # a random moment within the call
  qf_kill scheduler KILL
  chaos_restart scheduler || qf_die "scheduler did not restart"
  wait "$client" || true
  id=$(jq -r '.post // empty' "$QF_DIR/c$k.out")
  [ -n "$id" ] && echo "$id" >>"$CHAOS_POSTS"
  # Post ids are allocated in order: any id between the last one the client
  # knew and this one is a post nobody was told of.
  for p in $(seq $((${before:-0} + 1)) $((${id:-0} - 1))); do
    s=$("$QF_BIN/qunfa" status "$p" --json 2>/dev/null) || continue
    echo "REPRODUCED on attempt $k: the client got post $id; post $p also exists:"
    echo "  post $p: $s"
    echo "  post $id: $("$QF_BIN/qunfa" status "$id" --json)"
    chaos_settle 30 || true
    echo "  messages per group at the receiver: $(jq -s --arg a "$p" --arg b "$id" \
      '[.[] | select(.post == $a or .post == $b)] | group_by(.group) | map(length) | unique' "$QF_RECORD")"
    echo "  texts received by g1: $(jq -c 'select(.group == "g1") | [.post, .text]' "$QF_RECORD" | tail -n2 | tr '\n' ' ')"
    QF_KEEP=1
    echo "  logs: $QF_DIR/scheduler.log (earlier runs), $QF_DIR/scheduler.err"
    exit 1
  done
done
echo "not reproduced in $ATTEMPTS attempts"
