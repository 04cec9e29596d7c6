#!/usr/bin/env bash
# qunfa-store's process contract: ready once serving, exit 0 on SIGTERM and
# SIGINT, a restart on the same data directory, flags from the environment,
# exit 2 with one line on bad flags, exit 1 with one line naming the reason on
# an unusable data directory. (Put and Get are covered by the unit tests of the
# store's modules and by the end-to-end tests through the scheduler.)
# Env: QF_BIN = the build's services dir, QF_SRC = the repository.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
qf_init test_store

DATA="$QF_TMP/data"
qf_start store qunfa-store --listen "ipc://$QF_TMP/store.sock" --data "$DATA" \
  --stats "ipc://$QF_TMP/stats.sock"
qf_wait_ready store 10 || qf_die "store did not start"
[ -f "$DATA/data.mdb" ] || qf_fail "no LMDB environment in $DATA"
qf_stop store 10

# Again on the same directory, stopped with SIGINT, flags from the environment.
QUNFA_LISTEN="ipc://$QF_TMP/store.sock" QUNFA_DATA="$DATA" qf_start again qunfa-store
qf_wait_ready again 10 || qf_die "store did not restart on its data directory"
kill -INT "$(qf_pid again)"
qf_wait_exit again 10
qf_assert_eq "exit after SIGINT" 0 "$QF_RC"

expect_exit() { # expect_exit WANT ARGS...
  local want=$1
  shift
  qf_start bad qunfa-store "$@"
  qf_wait_exit bad 10
  qf_assert_eq "qunfa-store $* exit" "$want" "$QF_RC"
  qf_assert_eq "qunfa-store $* stderr lines" 1 "$(wc -l <"$QF_TMP/bad.err")"
}
expect_exit 2 --listen "ipc://$QF_TMP/x.sock"
expect_exit 2 --data "$DATA"
expect_exit 2 --listen "ipc://$QF_TMP/x.sock" --data "$DATA" --bogus
expect_exit 2 --listen "ipc://$QF_TMP/x.sock" --data "$DATA" --log-level loud
touch "$QF_TMP/plainfile"
expect_exit 1 --listen "ipc://$QF_TMP/x.sock" --data "$QF_TMP/plainfile"
grep -q 'plainfile' "$QF_TMP/bad.err" || qf_fail "unusable --data: the line does not name it"
grep -qi 'not a directory' "$QF_TMP/bad.err" || qf_fail "unusable --data: no reason given"
expect_exit 1 --listen "nosuch://x" --data "$DATA"

qf_finish
