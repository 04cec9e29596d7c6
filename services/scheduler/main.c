/* qunfa-scheduler: the brain. Keeps groups, posts, the timeline and every
 * delivery's state; leases deliveries to dispatchers and records their results.
 * One libuv loop; LMDB writes group-committed once per loop turn, on a writer
 * thread (commit.h).
 *
 * Shutdown (SIGTERM/SIGINT): new work is refused, parked Lease calls answered,
 * calls waiting on the content store allowed to finish, everything committed,
 * then the servers stop and the process exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "active.h"
#include "audiences.h"
#include "cancel.h"
#include "commit.h"
#include "db.h"
#include "dispatch.h"
#include "expiry.h"
#include "groups.h"
#include "horizon.h"
#include "leases.h"
#include "limiter.h"
#include "live.h"
#include "metrics.h"
#include "metrics_http.h"
#include "outcome.h"
#include "posts.h"
#include "qf/config.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/signals.h"
#include "qf/stats.h"
#include "qf/watchdog.h"
#include "ready.h"
#include "recall.h"
#include "recur.h"
#include "results.h"
#include "sale.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"
#include "schedules.h"
#include "settle.h"
#include "status.h"
#include "tags.h"
#include "timeline.h"

#define PROG "qunfa-scheduler"

#define DRAIN_TICK_MS 10
#define DRAIN_STORE_MAX_MS 5000

typedef struct opts {
  const char *listen, *work, *store, *data, *stats, *log_level, *catch_up;
  const char *metrics_http, *relay_stats, *map_size;
  size_t map_bytes;
  int64_t lease_ms, max_attempts, catch_up_ms;
  const char *global_rate;
  int64_t limit_margin_ms;
  bool no_learn_limits;
  qf_rate global;
} opts;

typedef struct app {
  sched s;
  qf_stats *stats;
  sampler *smp;
  relay *rly;
  metrics_http *web;
  qf_rpc_server *client_srv, *work_srv;
  qf_stop_signals signals;
  uv_timer_t drain;
  int64_t drain_ms;
} app;

/* In the order of service Scheduler's methods; NULL answers "no method". */
static const qf_rpc_handler_fn client_handlers[] = {
    groups_on_upsert,   groups_on_list,       posts_on_create,
    status_on_post,     status_on_deliveries, audiences_on_preview,
    cancel_on_post,     schedules_on_create,  schedules_on_list,
    schedules_on_pause, schedules_on_resume,  schedules_on_delete,
    sale_on_create,     sale_on_stock,        sale_on_get,
    recall_on_post,     live_on_open,         live_on_say,
    live_on_close,      live_on_status,       live_on_cancel,
};
static const qf_rpc_handler_fn work_handlers[] = {dispatch_on_lease, results_on_report};

/* "N", "NK", "NM" or "NG" (powers of 1024), at least 64 KiB (an LMDB map holds
 * a few pages at the least). */
static int parse_size(const char *s, size_t *out) {
  char *end;
  unsigned long long v;
  int shift = 0;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (end == s || errno != 0)
    return -1;
  switch (*end) {
  case 'K':
  case 'k':
    shift = 10, end++;
    break;
  case 'M':
  case 'm':
    shift = 20, end++;
    break;
  case 'G':
  case 'g':
    shift = 30, end++;
    break;
  }
  if (*end != '\0' || v > (SIZE_MAX >> shift) || (v << shift) < (64u << 10))
    return -1;
  *out = (size_t)(v << shift);
  return 0;
}

/* Parses the flags; -1 to go on, otherwise the exit status. */
static int parse_flags(int argc, char **argv, opts *o) {
  qf_flag flags[] = {
      {"listen", QF_FLAG_STR, &o->listen, NULL, "client API address (NNG URL)", true, 0,
       0},
      {"work", QF_FLAG_STR, &o->work, NULL, "work API address for dispatchers", true, 0,
       0},
      {"store", QF_FLAG_STR, &o->store, NULL, "content store address", true, 0, 0},
      {"data", QF_FLAG_STR, &o->data, NULL, "directory of the LMDB environment", true,
       0, 0},
      {"stats", QF_FLAG_STR, &o->stats, NULL, "stats address (NNG REP, JSON)", false, 0,
       0},
      {"map-size", QF_FLAG_STR, &o->map_size, "64M",
       "initial LMDB map size, bytes or with K, M, G; the map doubles when full "
       "(an existing larger map is kept)",
       false, 0, 0},
      {"lease-ms", QF_FLAG_INT, &o->lease_ms, "30000",
       "how long a dispatcher holds a delivery before it is re-leased", false, 10,
       86400000},
      {"max-attempts", QF_FLAG_INT, &o->max_attempts, "10",
       "attempts before a delivery fails", false, 1, 1000},
      {"global-rate", QF_FLAG_STR, &o->global_rate, "",
       "at most this many leases in all, N/s, N/min or N/h (default: no limit)", false,
       0, 0},
      {"limit-margin-ms", QF_FLAG_INT, &o->limit_margin_ms, "50",
       "platform limits N per W are kept as N per (W + this): the lease-to-receiver "
       "delay it absorbs",
       false, 0, 60000},
      {"no-learn-limits", QF_FLAG_BOOL, &o->no_learn_limits, "false",
       "keep sending at the configured limits after a platform's rate-limit answer",
       false, 0, 0},
      {"catch-up", QF_FLAG_STR, &o->catch_up, "1h",
       "after a downtime, a schedule's latest missed occurrence younger than this "
       "fires once (ms, or with s, m, h)",
       false, 0, 0},
      {"log-level", QF_FLAG_STR, &o->log_level, "info", "debug, info, warn or error",
       false, 0, 0},
      {"metrics-http", QF_FLAG_STR, &o->metrics_http, NULL,
       "serve /metrics, the dashboard and /api on ADDR:PORT", false, 0, 0},
      {"relay-stats", QF_FLAG_STR, &o->relay_stats, NULL,
       "stats URLs of other processes to relay, comma-separated", false, 0, 0},
  };
  qf_config_spec spec = {
      PROG,
      "--listen URL --work URL --store URL --data DIR [--stats URL] [--lease-ms N] "
      "[--max-attempts N] [--catch-up DURATION] [--map-size SIZE]",
      "Schedules posts and fans them out: keeps groups, posts, the timeline and "
      "every delivery's state in LMDB under DIR, leases due deliveries to "
      "dispatchers on the work address and records their results.",
      flags, sizeof flags / sizeof flags[0]};
  qf_config_result r = qf_config_parse(&spec, argc, argv, NULL, 0, NULL);
  if (r != QF_CONFIG_OK)
    return r == QF_CONFIG_HELP ? 0 : 2;
  if (qf_config_log_level(PROG, o->log_level) != 0)
    return 2;
  if (o->global_rate[0] != '\0' && qf_rate_parse(o->global_rate, &o->global) != 0)
    return qf_config_bad_value(PROG, "global-rate", o->global_rate,
                               "N/s, N/min or N/h");
  if (parse_size(o->map_size, &o->map_bytes) != 0)
    return qf_config_bad_value(PROG, "map-size", o->map_size,
                               "a size from 64K up (bytes, or with K, M or G)");
  if (recur_parse_duration(o->catch_up, &o->catch_up_ms) != 0)
    return qf_config_bad_value(PROG, "catch-up", o->catch_up,
                               "a duration (e.g. 1h, 15m, 90s, 500ms)");
  return -1;
}

/* ---- shutdown ---- */

static void close_handle(uv_handle_t *h) {
  if (h->loop != NULL && !uv_is_closing(h))
    uv_close(h, NULL);
}

/* Everything is answered and committed: stop serving and close every handle. */
static void finish_shutdown(app *a) {
  sched *s = &a->s;
  if (s->lss != NULL) {
    /* Leases still out may be sent until their deadline. */
    int64_t now = qf_clock_now_ms(), latest = leases_latest(s->lss);
    horizon_stop(s->hz, latest > now ? latest : now);
  }
  commit_flush(s->work);
  commit_flush(s->client);
  /* Everything is durable: nothing is lost if closing the sockets hangs. */
  qf_watchdog_exit_after(QF_WATCHDOG_SHUTDOWN_MS, "close");
  settles_close(s->stl); /* before the posts it reads go */
  s->stl = NULL;
  metrics_http_stop(a->web);
  sampler_close(a->smp);
  a->web = NULL;
  a->smp = NULL;
  qf_rpc_server_stop(a->client_srv);
  qf_rpc_server_stop(a->work_srv);
  a->client_srv = a->work_srv = NULL;
  qf_rpc_client_close(s->store);
  s->store = NULL;
  dispatch_close(s->dsp);
  cancel_free(s->cnl);
  s->cnl = NULL;
  timeline_close(s->tl);
  leases_close(s->lss);
  ready_close(s->rdy);
  expiry_close(s->exp);
  horizon_close(s->hz);
  s->exp = NULL;
  s->hz = NULL;
  active_close(s->act);
  commit_close(s->work);
  commit_close(s->client);
  groups_free(s->ups);
  s->ups = NULL;
  schedules_close(s->sch);
  s->sch = NULL;
  sales_free(s->sal);
  s->sal = NULL;
  lives_free(s->lv);
  s->lv = NULL;
  s->dsp = NULL;
  s->tl = NULL;
  s->lss = NULL;
  s->rdy = NULL;
  s->act = NULL;
  s->work = s->client = NULL;
  close_handle((uv_handle_t *)&a->drain);
  qf_stop_signals_close(&a->signals);
}

static void on_drain_tick(uv_timer_t *t) {
  app *a = t->data;
  sched *s = &a->s;
  a->drain_ms += DRAIN_TICK_MS;
  if (s->store_calls > 0 && a->drain_ms >= DRAIN_STORE_MAX_MS && s->store != NULL) {
    /* The store does not answer: its calls complete with an error. */
    qf_rpc_client_close(s->store);
    s->store = NULL;
  }
  if (s->store_calls > 0)
    return;
  uv_timer_stop(t);
  finish_shutdown(a);
}

static void on_stop(qf_stop_signals *sig, void *arg) {
  app *a = arg;
  if (a->s.stopping)
    return;
  qf_log_info("stopping", "signal=%s", qf_stop_signals_by(sig));
  a->s.stopping = true;
  dispatch_drain(a->s.dsp);
  uv_timer_start(&a->drain, on_drain_tick, 0, DRAIN_TICK_MS);
}

/* ---- start-up ---- */

static int start_servers(app *a, const opts *o) {
  int rc;
  if (qunfa__scheduler__descriptor.n_methods !=
      sizeof client_handlers / sizeof client_handlers[0]) {
    qf_log_error("start_failed", "what=handlers methods=%u handlers=%zu",
                 qunfa__scheduler__descriptor.n_methods,
                 sizeof client_handlers / sizeof client_handlers[0]);
    return QF_EINTERNAL;
  }
  rc = qf_rpc_server_start(&a->client_srv, a->s.loop, o->listen,
                           &qunfa__scheduler__descriptor, client_handlers, &a->s, NULL);
  if (rc != 0) {
    qf_log_error("start_failed", "what=listen url=%s err=%s", o->listen,
                 qf_errname(rc));
    return rc;
  }
  rc = qf_rpc_server_start(&a->work_srv, a->s.loop, o->work, &qunfa__work__descriptor,
                           work_handlers, &a->s, NULL);
  if (rc != 0)
    qf_log_error("start_failed", "what=work url=%s err=%s", o->work, qf_errname(rc));
  return rc;
}

static int start_store_client(app *a, const opts *o) {
  int rc = qf_rpc_client_open(&a->s.store, o->store, NULL);
  if (rc == 0)
    rc = qf_rpc_client_attach(a->s.store, a->s.loop);
  if (rc != 0)
    qf_log_error("start_failed", "what=store url=%s err=%s", o->store, qf_errname(rc));
  return rc;
}

static int start_stats(app *a, const opts *o) {
  int rc;
  if (o->stats == NULL || o->stats[0] == '\0')
    return 0;
  if ((rc = qf_stats_serve(a->stats, o->stats)) != 0)
    qf_log_error("start_failed", "what=stats url=%s err=%s", o->stats, qf_errname(rc));
  return rc;
}

/* The limiter, with every key counted as used at the earlier run's horizon. */
static limits *new_limits(sched *s, const opts *o) {
  limits_opts lo = {.global = o->global,
                    .margin_ms = o->limit_margin_ms,
                    .kv = s->kv,
                    .work = s->work,
                    .groups_gen = &s->groups_gen,
                    .no_learn = o->no_learn_limits};
  int rc = horizon_load(s->kv, &lo.restore_at_ms);
  if (rc != 0) {
    /* Unknown: as after a crash of a run with the same lease time. */
    qf_log_warn("horizon_unreadable", "err=%s", qf_errname(rc));
    lo.restore_at_ms = qf_clock_now_ms() + o->lease_ms + HORIZON_SLACK_MS;
  }
  if (lo.restore_at_ms > qf_clock_now_ms())
    qf_log_info("limits_restored", "wait_ms=%lld",
                (long long)(lo.restore_at_ms - qf_clock_now_ms()));
  return limits_new(&lo);
}

/* The sampler, the relayed stats and the HTTP server (docs/stats.md). */
static int start_observing(app *a, const opts *o) {
  a->smp = sampler_new(&a->s, a->stats);
  a->rly = relay_start(o->relay_stats);
  qf_stats_info(a->stats, "relay_stats", o->relay_stats ? o->relay_stats : "");
  if (o->metrics_http == NULL || o->metrics_http[0] == '\0')
    return 0;
  int rc =
      metrics_http_start(&a->web, &a->s, a->stats, a->smp, a->rly, o->metrics_http);
  if (rc == 0)
    qf_log_info("serving", "what=metrics_http port=%d", metrics_http_port(a->web));
  return rc;
}

static void wire(app *a, const opts *o) {
  sched *s = &a->s;
  s->lease_ms = o->lease_ms;
  s->max_attempts = (uint32_t)o->max_attempts;
  s->work = commit_new(s->loop, s->kv, "work", true);
  s->client = commit_new(s->loop, s->kv, "client", false);
  s->act = active_new(s);
  s->dsp = dispatch_new(s);
  s->rdy = ready_new(s->loop, new_limits(s, o),
                     &(ready_hooks){dispatch_wake, s->dsp, outcome_on_judged, s});
  s->exp = expiry_new(s);
  s->hz = horizon_new(s);
  s->lss = leases_new(s);
  s->tl = timeline_new(s);
  s->ups = groups_new(s);
  s->cnl = cancel_new(s);
  s->sch = schedules_new(s);
  s->stl = settles_new(s);
  s->catch_up_ms = o->catch_up_ms;
}

static int watch_signals(app *a) {
  a->drain.data = a;
  uv_timer_init(a->s.loop, &a->drain);
  return qf_stop_signals_watch(&a->signals, a->s.loop, on_stop, a);
}

static int start(app *a, const opts *o) {
  int rc;
  if ((rc = db_open(&a->s.kv, o->data, o->map_bytes)) != 0)
    return rc; /* kv logged the reason */
  if ((rc = tags_build(a->s.kv)) != 0)
    return rc; /* logged */
  if ((rc = db_get_next_post_id(a->s.kv, &a->s.next_post_id)) != 0) {
    qf_log_error("start_failed", "what=read_meta err=%s", qf_errname(rc));
    return rc;
  }
  wire(a, o);
  if ((rc = sales_new(&a->s, &a->s.sal)) != 0 ||
      (rc = lives_new(&a->s, &a->s.lv)) != 0) {
    qf_log_error("start_failed", "what=read_sales_and_lives err=%s", qf_errname(rc));
    return rc;
  }
  if ((rc = watch_signals(a)) != 0 || (rc = start_store_client(a, o)) != 0 ||
      (rc = timeline_load(a->s.tl)) != 0 || (rc = schedules_load(a->s.sch)) != 0 ||
      (rc = sales_resume(a->s.sal)) != 0 || (rc = start_stats(a, o)) != 0 ||
      (rc = start_observing(a, o)) != 0 || (rc = start_servers(a, o)) != 0)
    return rc;
  qf_log_info("ready", "listen=%s work=%s store=%s lease_ms=%lld max_attempts=%lld",
              o->listen, o->work, o->store, (long long)o->lease_ms,
              (long long)o->max_attempts);
  return 0;
}

int main(int argc, char **argv) {
  opts o = {0};
  app a = {0};
  uv_loop_t loop;
  int status;
  qf_log_init("scheduler");
  if ((status = parse_flags(argc, argv, &o)) >= 0)
    return status;
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&loop);
  a.s.loop = &loop;
  a.stats = qf_stats_new("scheduler");
  metrics_init(a.stats);
  status = start(&a, &o) == 0 ? 0 : 1;
  if (status != 0 && a.s.work != NULL)
    finish_shutdown(&a);
  else if (status == 0)
    uv_run(&loop, UV_RUN_DEFAULT);
  if (status == 0)
    qf_log_info("stopped", "signal=%s", qf_stop_signals_by(&a.signals));
  uv_run(&loop, UV_RUN_DEFAULT); /* let closing handles finish */
  uv_loop_close(&loop);
  relay_stop(a.rly); /* after the server that reads it */
  qf_kv_close(a.s.kv);
  qf_stats_free(a.stats);
  return status;
}
