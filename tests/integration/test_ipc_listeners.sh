#!/usr/bin/env bash
# Every ipc:// listener of the system takes new clients after a peer left it
# mid-handshake (a health check doing connect() and close(): what stops an NNG
# 1.5.2 ipc listener for good, nanomsg/nng#1518) and after a second scheduler
# was started on its addresses. New clients of each address are then served:
# the CLI (API), a dispatcher started afterwards (work and store).
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 1

qf_make_groups 10 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" >/dev/null

# leave URL: connects to the socket file and leaves before the handshake. Our
# reading side is shut first so the listener's send of its half fails however
# the threads interleave (the trigger; a bare close loses the race at times).
leave() {
  python3 - "${1#ipc://}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.shutdown(socket.SHUT_RD)
s.close()
PY
}

for url in "$QF_API" "$QF_WORK" "$QF_STORE"; do
  leave "$url"
done
# A second scheduler on the same addresses is refused, and NNG's check of the
# address connects and closes the same way.
if "$QF_BIN/qunfa-scheduler" --listen "$QF_API" --work "$QF_WORK" --store "$QF_STORE" \
  --data "$QF_DIR/scheduler2" >"$QF_DIR/scheduler2.out" 2>&1; then
  qf_fail "a second scheduler started on busy addresses"
fi
grep -q "Address in use" "$QF_DIR/scheduler2.out" ||
  qf_fail "the second scheduler did not say why: $(cat "$QF_DIR/scheduler2.out")"

# New clients on every address: the CLI on the API (its default deadline),
# and a dispatcher started now on work and store, the old one stopped.
t0=$(qf_now_ms)
"$QF_BIN/qunfa" groups list --json >/dev/null || qf_fail "the API took no new client"
echo "API answered a new client $(($(qf_now_ms) - t0)) ms after the peers left"
qf_stop dispatcher1
qf_start_dispatcher dispatcher2
post=$("$QF_BIN/qunfa" post --to all --text "after the probes" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 30)
qf_assert_eq "delivered by the new dispatcher" 10 "$(jq .delivered <<<"$status")"
echo "listeners restarted: scheduler $(grep -c event=ipc_listener_restarted \
  "$QF_DIR/scheduler.err" || true), store $(grep -c event=ipc_listener_restarted \
  "$QF_DIR/store.err" || true)"
qf_finish
