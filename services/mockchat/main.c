/* qunfa-mockchat: a chat-platform simulator. Receives webhook posts the way a
 * platform does, answers as scripted by each group's url, and appends every
 * accepted message to the record that tests and benchmarks judge delivery by. */
#include "hook.h"
#include "record.h"
#include "tally.h"

#include "qf/config.h"
#include "qf/log.h"
#include "qf/stats.h"

#include <nng/nng.h>
#include <signal.h>
#include <stdio.h>
#include <uv.h>

typedef struct app {
  hook_server *hooks;
  uv_signal_t sigterm, sigint;
  const char *stopped_by;
} app;

/* Closes h if it was initialised and is not closing yet. */
static void close_signal(uv_signal_t *h) {
  if (h->loop && !uv_is_closing((uv_handle_t *)h))
    uv_close((uv_handle_t *)h, NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
  app *a = h->data;
  a->stopped_by = signum == SIGTERM ? "SIGTERM" : "SIGINT";
  hook_server_stop(a->hooks);
  close_signal(&a->sigterm);
  close_signal(&a->sigint);
}

static int watch_signals(app *a, uv_loop_t *loop) {
  int rc;
  a->sigterm.data = a->sigint.data = a;
  if ((rc = uv_signal_init(loop, &a->sigterm)) != 0 ||
      (rc = uv_signal_start(&a->sigterm, on_signal, SIGTERM)) != 0 ||
      (rc = uv_signal_init(loop, &a->sigint)) != 0 ||
      (rc = uv_signal_start(&a->sigint, on_signal, SIGINT)) != 0) {
    qf_log_error("start_failed", "call=uv_signal_start err=\"%s\"", uv_strerror(rc));
    return -1;
  }
  return 0;
}

/* Parses the flags; 0 to go on, otherwise the exit status. */
static int parse_flags(int argc, char **argv, const char **listen, const char **path,
                       const char **stats) {
  const char *level = NULL;
  qf_flag flags[] = {
      {"listen", QF_FLAG_STR, listen, NULL, "http://HOST:PORT to serve on", true, 0, 0},
      {"record", QF_FLAG_STR, path, NULL, "file to append received messages to", true,
       0, 0},
      {"log-level", QF_FLAG_STR, &level, "info", "debug, info, warn or error", false, 0,
       0},
      {"stats", QF_FLAG_STR, stats, NULL, "stats address (NNG REP, JSON)", false, 0, 0},
  };
  qf_config_spec spec = {
      "qunfa-mockchat", "--listen http://127.0.0.1:PORT --record FILE [--stats URL]",
      "Simulates chat platforms' webhooks: POST /hook/<group> in the generic "
      "dialect; each accepted message is appended to FILE as one JSON line. A "
      "group url's query scripts answers: ?answers=500,500, ?always=404, "
      "&retry_after=N.",
      flags, sizeof flags / sizeof flags[0]};
  qf_config_result r = qf_config_parse(&spec, argc, argv, NULL, 0, NULL);
  if (r != QF_CONFIG_OK)
    return r == QF_CONFIG_HELP ? 0 : 2;
  qf_log_level lv;
  if (qf_log_level_parse(level, &lv) != 0) {
    fprintf(stderr,
            "qunfa-mockchat: --log-level: \"%s\" is not debug, info, warn or "
            "error. Try 'qunfa-mockchat --help'.\n",
            level);
    return 2;
  }
  qf_log_set_level(lv);
  return -1;
}

int main(int argc, char **argv) {
  qf_log_init("mockchat");
  const char *listen = NULL, *path = NULL, *stats_url = NULL;
  int status = parse_flags(argc, argv, &listen, &path, &stats_url);
  if (status >= 0)
    return status;
  status = 1;
  app a = {0};
  uv_loop_t loop;
  uv_loop_init(&loop);
  record *rec = NULL;
  tally *t = tally_new();
  qf_stats *stats = qf_stats_new("mockchat");
  if (stats_url && qf_stats_serve(stats, stats_url) != 0)
    goto out; /* logged */
  if (record_open(&rec, path) != 0)
    goto out;
  if (hook_server_start(&a.hooks, listen, rec, t) != 0)
    goto out;
  if (watch_signals(&a, &loop) != 0)
    goto out;
  char q[512];
  qf_log_info("ready", "listen=%s port=%d record=%s", listen, hook_server_port(a.hooks),
              qf_log_quote(path, q, sizeof q));
  uv_run(&loop, UV_RUN_DEFAULT);
  qf_log_info("stopped", "signal=%s", a.stopped_by ? a.stopped_by : "none");
  status = 0;
out:
  hook_server_stop(a.hooks);
  record_close(rec);
  nng_fini(); /* waits for handlers still running on NNG's threads */
  hook_server_free(a.hooks);
  record_free(rec);
  tally_free(t);
  qf_stats_free(stats);
  close_signal(&a.sigterm);
  close_signal(&a.sigint);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return status;
}
