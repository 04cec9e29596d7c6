/* The dispatcher's counters and gauges, registered once on the process's stats
 * document (served on --stats; docs/stats.md). Every module updates the ones it
 * owns. */
#ifndef DISPATCHER_METRICS_H
#define DISPATCHER_METRICS_H
#include <stdint.h>

#include "qf/dialect.h"
#include "qf/stats.h"

/* Dialects and answer classes counted apart (metrics.c names them). */
#define METRICS_DIALECTS 6
#define METRICS_CLASSES 6

typedef struct metrics {
  qf_gauge *sends_in_flight;
  qf_gauge *leases_waiting_content;
  qf_gauge *results_pending;
  qf_gauge *cache_bytes;
  qf_gauge *cache_entries;
  qf_gauge *connections_open, *host_connections_peak, *host_waiting; /* conns.h */
  qf_counter *leases_received;
  qf_counter *lease_calls, *lease_errors;
  qf_counter *report_calls, *report_errors, *results_committed;
  qf_counter *sends_total;
  qf_counter *outcomes[4]; /* by qf_outcome */
  qf_counter *cache_hits, *cache_misses, *cache_joins, *cache_evictions;
  qf_counter *store_calls, *store_errors;
  qf_histogram *send_latency; /* ms, from the request's start to its answer */
  /* "answers{class=C,dialect=D}": every answer (or transport failure) by the
   * dialect that judged it and its class: 2xx 3xx 4xx 429 5xx network. */
  qf_counter *answers[METRICS_DIALECTS][METRICS_CLASSES];
} metrics;

/* Registers every name on s; m's handles live as long as s. */
void metrics_init(metrics *m, qf_stats *s);
/* Counts one finished send: its latency and its answer (ans borrowed) as
 * judged by dialect d. */
void metrics_send_done(const metrics *m, int64_t latency_ms, const qf_dialect *d,
                       const qf_dialect_answer *ans);

#endif
