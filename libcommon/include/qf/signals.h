/* SIGTERM and SIGINT on a libuv loop: the two ways an operator stops a
 * service. Each calls the program's stop function on the loop; the first one's
 * name is kept for the final log line, and the count lets a program treat a
 * second signal as "stop now" (the dispatcher abandons its drain). */
#ifndef QF_SIGNALS_H
#define QF_SIGNALS_H
#include <uv.h>

typedef struct qf_stop_signals qf_stop_signals;
typedef void (*qf_stop_fn)(qf_stop_signals *sig, void *arg);

struct qf_stop_signals {
  uv_signal_t term, intr;
  qf_stop_fn fn;
  void *arg;
  const char *by; /* the first one received, "SIGTERM" or "SIGINT"; NULL before */
  unsigned count; /* signals received */
};

/* Starts watching on loop; fn(sig, arg) runs on every signal. Returns 0,
 * or QF_EINTERNAL with the failure logged (event=start_failed). */
int qf_stop_signals_watch(qf_stop_signals *sig, uv_loop_t *loop, qf_stop_fn fn,
                          void *arg);
/* Stops watching (the handles close on the loop's next turn). Safe to call
 * more than once, and on a zeroed struct that never watched. */
void qf_stop_signals_close(qf_stop_signals *sig);
/* The signal's name for logs: "SIGTERM", "SIGINT" or "none". */
const char *qf_stop_signals_by(const qf_stop_signals *sig);

#endif
