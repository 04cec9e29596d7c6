/* qunfa-dispatcher: a stateless worker. Pulls leases from the scheduler's work
 * address, fetches their content from the store (cached), sends each through its
 * group's webhook dialect, and reports every outcome until the scheduler has
 * committed it. SIGTERM or SIGINT drains: no more leasing, unstarted leases are
 * released at once, sends in flight finish, every result is flushed, exit 0. */
#include "content.h"
#include "http.h"
#include "job.h"
#include "leaser.h"
#include "metrics.h"
#include "nngsend.h"
#include "reporter.h"

#include "qf/config.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/rpc.h"
#include "qf/signals.h"
#include "qf/stats.h"
#include "qf/watchdog.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "qunfa-dispatcher"
#define LEASE_WAIT_MS 1000

typedef struct flags {
  const char *work, *store, *stats, *name, *log_level;
  int64_t concurrency, host_connections, cache_mb;
} flags;

typedef struct dispatcher {
  uv_loop_t *loop;
  flags f;
  char name[128];
  qf_stats *stats;
  metrics m;
  qf_rpc_client *work, *store;
  http *http;
  nngsend *nng;
  transports transports;
  content *content;
  reporter *reporter;
  jobs *jobs;
  leaser *leaser;
  qf_stop_signals signals;
  uv_check_t drain_check;
  uv_timer_t start;
  bool draining, closed;
} dispatcher;

/* ---- flags ---- */

static int parse_flags(flags *f, int argc, char **argv) {
  qf_flag spec[] = {
      {"work", QF_FLAG_STR, &f->work, NULL, "the scheduler's work address (NNG URL)",
       true, 0, 0},
      {"store", QF_FLAG_STR, &f->store, NULL, "the content store's address (NNG URL)",
       true, 0, 0},
      {"concurrency", QF_FLAG_INT, &f->concurrency, "256",
       "leases held at once (sends in flight plus leases waiting for content)", false,
       1, 100000},
      {"host-connections", QF_FLAG_INT, &f->host_connections, NULL,
       "sends in flight (so HTTP connections) to one host at once, at most "
       "(default and most: --concurrency); reached in steps of 32 per 50 ms "
       "while sends wait, so a burst never opens more than 32 connects at once",
       false, 1, 100000},
      {"stats", QF_FLAG_STR, &f->stats, NULL, "serve counters as JSON on this address",
       false, 0, 0},
      {"cache-mb", QF_FLAG_INT, &f->cache_mb, "64", "content cache size in MiB", false,
       1, 1 << 20},
      {"name", QF_FLAG_STR, &f->name, NULL,
       "this dispatcher's name in the scheduler's logs (default host:pid)", false, 0,
       0},
      {"log-level", QF_FLAG_STR, &f->log_level, "info", "debug, info, warn or error",
       false, 0, 0},
  };
  qf_config_spec cs = {
      .prog = PROG,
      .usage = "--work URL --store URL [--concurrency N] [--host-connections N] "
               "[--stats URL] "
               "[--cache-mb N] [--name NAME] [--log-level L]",
      .summary = "Pulls leases from the scheduler, fetches their content from the "
                 "store, sends them to the groups' webhooks and reports every "
                 "outcome. SIGTERM drains and exits 0.",
      .flags = spec,
      .nflags = sizeof spec / sizeof spec[0],
  };
  qf_config_result r = qf_config_parse(&cs, argc, argv, NULL, 0, NULL);
  if (r == QF_CONFIG_HELP)
    return 0;
  if (r == QF_CONFIG_USAGE)
    return 2;
  if (qf_config_log_level(PROG, f->log_level) != 0)
    return 2;
  if (!f->host_connections || f->host_connections > f->concurrency)
    f->host_connections = f->concurrency;
  return -1;
}

/* ---- wiring ---- */

static unsigned credit(void *arg) {
  dispatcher *d = arg;
  return jobs_credit(d->jobs);
}

static void take(Qunfa__LeaseReply *reply, void *arg) {
  dispatcher *d = arg;
  jobs_take(d->jobs, reply);
}

static void job_freed(void *arg) {
  dispatcher *d = arg;
  leaser_kick(d->leaser);
}

static int open_client(qf_rpc_client **out, uv_loop_t *loop, const char *flag,
                       const char *url) {
  int rc = qf_rpc_client_open(out, url, NULL);
  if (rc == 0 && (rc = qf_rpc_client_attach(*out, loop)) != 0)
    qf_rpc_client_close(*out);
  if (rc != 0) {
    char u[512];
    fprintf(stderr, "%s: --%s %s: %s\n", PROG, flag,
            qf_log_redact_url(url, u, sizeof u), qf_strerror(rc));
  }
  return rc;
}

static int open_stats(dispatcher *d) {
  d->stats = qf_stats_new("dispatcher");
  metrics_init(&d->m, d->stats);
  if (!d->f.stats)
    return 0;
  int rc = qf_stats_serve(d->stats, d->f.stats);
  if (rc != 0)
    fprintf(stderr, "%s: --stats %s: %s\n", PROG, d->f.stats, qf_strerror(rc));
  return rc;
}

/* Creates every module; returns 0 or an exit code (already explained). */
static int wire(dispatcher *d) {
  if (open_stats(d) != 0)
    return 1;
  if (open_client(&d->work, d->loop, "work", d->f.work) != 0 ||
      open_client(&d->store, d->loop, "store", d->f.store) != 0)
    return 2;
  unsigned conc = (unsigned)d->f.concurrency;
  if (http_new(&d->http, d->loop, conc, (unsigned)d->f.host_connections, &d->m) != 0 ||
      nngsend_new(&d->nng, d->loop, conc, &d->m) != 0)
    return 1;
  d->transports = transports_of(d->http, d->nng);
  content_new(&d->content, d->loop, d->store, (size_t)d->f.cache_mb << 20, &d->m);
  reporter_new(&d->reporter, d->loop, d->work, &d->m);
  jobs_opts jo = {.concurrency = conc,
                  .content = d->content,
                  .transports = &d->transports,
                  .reporter = d->reporter,
                  .on_free = job_freed,
                  .arg = d};
  jobs_new(&d->jobs, &jo, &d->m);
  leaser_opts lo = {.name = d->name,
                    .wait_ms = LEASE_WAIT_MS,
                    .credit = credit,
                    .take = take,
                    .arg = d};
  leaser_new(&d->leaser, d->loop, d->work, &lo, &d->m);
  return 0;
}

/* ---- shutdown ---- */

/* Closes every handle and client; the loop then runs out of work. */
static void close_all(dispatcher *d) {
  if (d->closed)
    return;
  d->closed = true;
  uv_close((uv_handle_t *)&d->drain_check, NULL);
  uv_close((uv_handle_t *)&d->start, NULL);
  qf_stop_signals_close(&d->signals);
  leaser_close(d->leaser);
  reporter_stop(d->reporter);
  content_stop(d->content);
  http_close(d->http);
  d->http = NULL;
  nngsend_close(d->nng);
  d->nng = NULL;
  qf_rpc_client_close(d->work);
  qf_rpc_client_close(d->store);
}

static void on_drain_check(uv_check_t *h) {
  dispatcher *d = h->data;
  if (leaser_busy(d->leaser) || jobs_active(d->jobs) > 0 ||
      reporter_pending(d->reporter) > 0)
    return;
  qf_log_info("drained", "leases=0 results=0");
  /* Every result is confirmed: nothing is lost if closing the sockets hangs. */
  qf_watchdog_exit_after(QF_WATCHDOG_SHUTDOWN_MS, "close");
  close_all(d);
}

static void on_stop(qf_stop_signals *sig, void *arg) {
  dispatcher *d = arg;
  if (d->draining) {
    qf_log_warn("drain_abandoned", "signals=%u results_unreported=%zu", sig->count,
                reporter_pending(d->reporter));
    exit(1);
  }
  d->draining = true;
  qf_log_info("draining", "signal=%s sends_in_flight=%u results_pending=%zu",
              qf_stop_signals_by(sig), transports_in_flight(&d->transports),
              reporter_pending(d->reporter));
  leaser_stop(d->leaser);
  jobs_drain(d->jobs);
  uv_check_start(&d->drain_check, on_drain_check);
}

static int start_signals(dispatcher *d) {
  uv_check_init(d->loop, &d->drain_check);
  d->drain_check.data = d;
  return qf_stop_signals_watch(&d->signals, d->loop, on_stop, d);
}

static void free_all(dispatcher *d) {
  leaser_free(d->leaser);
  jobs_free(d->jobs);
  reporter_free(d->reporter);
  content_free(d->content);
  qf_stats_free(d->stats);
}

static void default_name(dispatcher *d) {
  if (d->f.name) {
    snprintf(d->name, sizeof d->name, "%s", d->f.name);
    return;
  }
  char host[64] = "localhost";
  gethostname(host, sizeof host - 1);
  snprintf(d->name, sizeof d->name, "%s:%ld", host, (long)getpid());
}

static void on_started(uv_timer_t *t) {
  dispatcher *d = t->data;
  char w[512], s[512], n[160];
  qf_log_info("ready",
              "work=%s store=%s concurrency=%lld host_connections=%lld cache_mb=%lld "
              "name=%s",
              qf_log_redact_url(d->f.work, w, sizeof w),
              qf_log_redact_url(d->f.store, s, sizeof s), (long long)d->f.concurrency,
              (long long)d->f.host_connections, (long long)d->f.cache_mb,
              qf_log_quote(d->name, n, sizeof n));
  leaser_kick(d->leaser);
}

int main(int argc, char **argv) {
  static dispatcher d;
  qf_log_init("dispatcher");
  int rc = parse_flags(&d.f, argc, argv);
  if (rc >= 0)
    return rc;
  signal(SIGPIPE, SIG_IGN);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "%s: curl_global_init failed\n", PROG);
    return 1;
  }
  default_name(&d);
  d.loop = uv_default_loop();
  rc = wire(&d);
  if (rc != 0)
    return rc;
  /* "ready" is said from inside the running loop. */
  uv_timer_init(d.loop, &d.start);
  d.start.data = &d;
  int status = 0;
  if (start_signals(&d) == 0) {
    uv_timer_start(&d.start, on_started, 0, 0);
  } else {
    close_all(&d);
    status = 1;
  }
  uv_run(d.loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(d.loop);
  if (rc != 0)
    qf_log_warn("loop_not_closed", "call=uv_loop_close err=%s", uv_strerror(rc));
  qf_log_info("stopped", "results_committed=%llu signal=%s",
              (unsigned long long)qf_counter_get(d.m.results_committed),
              qf_stop_signals_by(&d.signals));
  free_all(&d);
  curl_global_cleanup();
  return status;
}
