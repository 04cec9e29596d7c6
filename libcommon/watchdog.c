#include "qf/watchdog.h"

#include "qf/err.h"
#include "qf/log.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

static int64_t watchdog_ms;
static const char *watchdog_what;

static void *watch(void *arg) {
  (void)arg;
  struct timespec ts = {.tv_sec = watchdog_ms / 1000,
                        .tv_nsec = (watchdog_ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0)
    ;
  qf_log_warn("exit_forced", "step=%s after_ms=%lld", watchdog_what,
              (long long)watchdog_ms);
  _exit(0);
  return NULL;
}

int qf_watchdog_exit_after(int64_t ms, const char *what) {
  watchdog_ms = ms > 0 ? ms : 0;
  watchdog_what = what ? what : "shutdown";
  pthread_t t;
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0)
    return QF_EINTERNAL;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rv = pthread_create(&t, &attr, watch, NULL);
  pthread_attr_destroy(&attr);
  if (rv != 0) {
    qf_log_error("watchdog_failed", "call=pthread_create err=%d", rv);
    return QF_EINTERNAL;
  }
  return 0;
}
