/* The scheduler's HTTP server (--metrics-http ADDR:PORT, NNG's HTTP server):
 *   GET /metrics   Prometheus text: the scheduler's stats and the relayed ones
 *   GET /          the dashboard (dashboard.html, embedded at build time)
 *   GET /api/...   the dashboard's JSON (webapi.h), answered on the loop thread
 *   GET /api/stats the scheduler's stats document plus the relayed documents
 * docs/stats.md and docs/dashboard.md describe them.
 *
 * Threads: NNG calls the handlers on its own threads. /metrics, / and
 * /api/stats are answered there (stats and relay are thread-safe); the rest is
 * queued to the loop through a uv_async_t and answered from it. Stopping
 * answers what is queued with 503 before the server stops, so no handler is
 * left waiting. */
#ifndef SCHED_METRICS_HTTP_H
#define SCHED_METRICS_HTTP_H
#include "qf/stats.h"
#include "relay.h"
#include "sampler.h"
#include "scheduler.h"

typedef struct metrics_http metrics_http;

/* Serves on addr ("127.0.0.1:9464", or an http:// url; port 0 picks one) for
 * s, with the scheduler's stats st, the sampler sm and the relayed documents
 * of r (all borrowed: they outlive the server). On 0 *out is the server;
 * QF_EADDR (logged) when addr cannot be served. */
int metrics_http_start(metrics_http **out, sched *s, qf_stats *st, const sampler *sm,
                       relay *r, const char *addr);
/* The port it serves on. */
int metrics_http_port(const metrics_http *m);
/* Answers what is queued, stops serving and frees (on the loop thread; the
 * async handle is freed once closed). NULL is a no-op. */
void metrics_http_stop(metrics_http *m);

#endif
