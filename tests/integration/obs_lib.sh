# shellcheck shell=bash
# The system of scripts/system.sh with a stats socket on every process and the
# scheduler's HTTP server, for the observability tests. Source after system.sh:
#   qf_start_observed_system [DISPATCHERS] [SCHEDULER ARGS...]
# sets QF_STATS_<NAME> (ipc urls), QF_STATS_ALL (comma-separated) and
# QF_HTTP (http://127.0.0.1:PORT of the scheduler's --metrics-http).

qf_start_observed_system() {
  local dispatchers=${1:-2} i relays
  shift || true
  QF_API=ipc://$QF_DIR/api.sock
  QF_WORK=ipc://$QF_DIR/work.sock
  QF_STORE=ipc://$QF_DIR/store.sock
  QF_RECORD=$QF_DIR/received.jsonl
  QF_HOOK=http://127.0.0.1:$(qf_free_port)
  QF_HTTP_PORT=$(qf_free_port)
  QF_HTTP=http://127.0.0.1:$QF_HTTP_PORT
  export QUNFA_SERVER=$QF_API
  QF_STATS_SCHEDULER=ipc://$QF_DIR/scheduler.stats
  QF_STATS_STORE=ipc://$QF_DIR/store.stats
  QF_STATS_MOCKCHAT=ipc://$QF_DIR/mockchat.stats
  relays=$QF_STATS_STORE,$QF_STATS_MOCKCHAT
  for i in $(seq 1 "$dispatchers"); do relays=$relays,ipc://$QF_DIR/dispatcher$i.stats; done
  QF_STATS_ALL=$QF_STATS_SCHEDULER,$relays
  qf_start_ready mockchat qunfa-mockchat --listen "$QF_HOOK" --record "$QF_RECORD" \
    --stats "$QF_STATS_MOCKCHAT" "${QF_LOG_ARGS[@]}" || return 1
  qf_start_ready store qunfa-store --listen "$QF_STORE" --data "$QF_DIR/store" \
    --stats "$QF_STATS_STORE" "${QF_LOG_ARGS[@]}" || return 1
  qf_start_scheduler --stats "$QF_STATS_SCHEDULER" --metrics-http "127.0.0.1:$QF_HTTP_PORT" \
    --relay-stats "$relays" "${QF_LOG_ARGS[@]}" "$@" || return 1
  for i in $(seq 1 "$dispatchers"); do
    qf_start_dispatcher "dispatcher$i" --stats "ipc://$QF_DIR/dispatcher$i.stats" \
      "${QF_LOG_ARGS[@]}" || return 1
  done
}
QF_LOG_ARGS=()

# qf_stats_of URL: one process's stats document.
qf_stats_of() {
  "$QF_BIN/qunfa" stats --stats-url "$1" --json | jq -c '.[0].stats'
}
