#!/usr/bin/env bash
# CreatePost is idempotent by key, also across a scheduler crash: posting again
# with the same --key prints the post made first and sends nothing more; a post
# without a key is a new post.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 1

qf_make_groups 20 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null
due_ms=$(($(qf_now_ms) + 3000))
at=$(qf_rfc3339 "$due_ms")
post() { "$QF_BIN/qunfa" post --to all --text "once" --at "$at" --json "$@" | jq -r .post; }

first=$(post --key morning-2026-11-23)
qf_assert_eq "same key, same post" "$first" "$(post --key morning-2026-11-23)"
qf_kill scheduler KILL
qf_start_scheduler
qf_assert_eq "same key after a crash, same post" "$first" "$(post --key morning-2026-11-23)"
other=$(post)
[ "$other" != "$first" ] || qf_fail "a post without a key reused post $first"

qf_wait_post_done "$first" 30 >/dev/null
qf_wait_post_done "$other" 30 >/dev/null
qf_assert_eq "messages of the keyed post" 20 \
  "$(jq -s --arg p "$first" '[.[] | select(.post == $p)] | length' "$QF_RECORD")"
"$QF_BIN/qunfa" post --to all --text x --key "$(printf 'k%.0s' $(seq 1 129))" 2>"$QF_DIR/err" &&
  qf_fail "a 129-byte key was accepted"
grep -q 'idempotency_key' "$QF_DIR/err" || qf_fail "no reason for the long key: $(cat "$QF_DIR/err")"
qf_finish
