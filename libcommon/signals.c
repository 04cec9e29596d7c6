#include "qf/signals.h"

#include <signal.h>

#include "qf/err.h"
#include "qf/log.h"

static void on_signal(uv_signal_t *h, int signum) {
  qf_stop_signals *sig = h->data;
  if (!sig->by)
    sig->by = signum == SIGTERM ? "SIGTERM" : "SIGINT";
  sig->count++;
  sig->fn(sig, sig->arg);
}

int qf_stop_signals_watch(qf_stop_signals *sig, uv_loop_t *loop, qf_stop_fn fn,
                          void *arg) {
  int rc;
  sig->fn = fn;
  sig->arg = arg;
  sig->by = NULL;
  sig->count = 0;
  sig->term.data = sig->intr.data = sig;
  if ((rc = uv_signal_init(loop, &sig->term)) != 0 ||
      (rc = uv_signal_start(&sig->term, on_signal, SIGTERM)) != 0 ||
      (rc = uv_signal_init(loop, &sig->intr)) != 0 ||
      (rc = uv_signal_start(&sig->intr, on_signal, SIGINT)) != 0) {
    qf_log_error("start_failed", "call=uv_signal_start err=\"%s\"", uv_strerror(rc));
    qf_stop_signals_close(sig);
    return QF_EINTERNAL;
  }
  return 0;
}

static void close_one(uv_signal_t *h) {
  if (h->loop && !uv_is_closing((uv_handle_t *)h))
    uv_close((uv_handle_t *)h, NULL);
}

void qf_stop_signals_close(qf_stop_signals *sig) {
  close_one(&sig->term);
  close_one(&sig->intr);
}

const char *qf_stop_signals_by(const qf_stop_signals *sig) {
  return sig->by ? sig->by : "none";
}
