/* qunfa-store: the content store. Immutable, content-addressed items (id =
 * SHA-256 of the canonical bytes) in LMDB, put and got in batches over RPC.
 *
 * Shutdown (SIGTERM/SIGINT): what is staged is committed and its Puts answered,
 * then the server stops, the environment is closed, and the process exits 0. */
#include "api.h"
#include "items.h"

#include "qf/config.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/rpc.h"
#include "qf/signals.h"
#include "qf/stats.h"
#include "qf/watchdog.h"
#include "store.pb-c.h"

#include <stdio.h>
#include <uv.h>

typedef struct opts {
  const char *listen, *data, *stats, *log_level;
} opts;

typedef struct app {
  items *its;
  store_api *api;
  qf_rpc_server *srv;
  qf_stop_signals signals;
} app;

/* Parses the flags; -1 to go on, otherwise the exit status. */
static int parse_flags(int argc, char **argv, opts *o) {
  qf_flag flags[] = {
      {"listen", QF_FLAG_STR, &o->listen, NULL, "RPC address (NNG URL)", true, 0, 0},
      {"data", QF_FLAG_STR, &o->data, NULL, "directory of the LMDB environment", true,
       0, 0},
      {"stats", QF_FLAG_STR, &o->stats, NULL, "stats address (NNG URL)", false, 0, 0},
      {"log-level", QF_FLAG_STR, &o->log_level, "info", "debug, info, warn or error",
       false, 0, 0},
  };
  qf_config_spec spec = {"qunfa-store", "--listen URL --data DIR [--stats URL]",
                         "The content store: immutable items named by the SHA-256 "
                         "of their canonical bytes, kept durably in LMDB under DIR.",
                         flags, sizeof flags / sizeof flags[0]};
  qf_config_result r = qf_config_parse(&spec, argc, argv, NULL, 0, NULL);
  if (r != QF_CONFIG_OK)
    return r == QF_CONFIG_HELP ? 0 : 2;
  return qf_config_log_level("qunfa-store", o->log_level) != 0 ? 2 : -1;
}

/* Stops serving: commits and answers what is staged first, so no acknowledged
 * Put is lost and no staged one is answered "unavailable". */
static void shut_down(app *a) {
  items_close(a->its);
  a->its = NULL;
  /* Everything is durable: nothing is lost if closing the socket hangs. */
  qf_watchdog_exit_after(QF_WATCHDOG_SHUTDOWN_MS, "close");
  qf_rpc_server_stop(a->srv);
  a->srv = NULL;
  qf_stop_signals_close(&a->signals);
}

static void on_stop(qf_stop_signals *sig, void *arg) {
  (void)sig;
  shut_down(arg);
}

static int start(app *a, uv_loop_t *loop, const opts *o, qf_stats *stats) {
  int rc;
  if ((rc = items_open(&a->its, loop, o->data, stats)) != 0)
    return rc;
  a->api = store_api_new(a->its, stats);
  if ((rc = qf_rpc_server_start(&a->srv, loop, o->listen, &qunfa__store__descriptor,
                                store_api_handlers(), a->api, NULL)) != 0)
    return rc;
  if (o->stats && (rc = qf_stats_serve(stats, o->stats)) != 0)
    return rc;
  return qf_stop_signals_watch(&a->signals, loop, on_stop, a);
}

int main(int argc, char **argv) {
  qf_log_init("store");
  opts o = {0};
  int status = parse_flags(argc, argv, &o);
  if (status >= 0)
    return status;
  uv_loop_t loop;
  uv_loop_init(&loop);
  qf_stats *stats = qf_stats_new("store");
  app a = {0};
  status = 1;
  if (start(&a, &loop, &o, stats) == 0) {
    char q[512];
    qf_log_info("ready", "listen=%s data=%s", o.listen,
                qf_log_quote(o.data, q, sizeof q));
    uv_run(&loop, UV_RUN_DEFAULT);
    qf_log_info("stopped", "signal=%s", qf_stop_signals_by(&a.signals));
    status = 0;
  }
  shut_down(&a); /* no-op after a signal; after a failed start, releases */
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  store_api_free(a.api);
  qf_stats_free(stats);
  return status;
}
