/* The dispatcher's counters and gauges, registered once on the process's stats
 * document (served on --stats). Every module updates the ones it owns. */
#ifndef DISPATCHER_METRICS_H
#define DISPATCHER_METRICS_H
#include <stdint.h>

#include "qf/dialect.h"
#include "qf/stats.h"

/* Upper bounds (ms) of the send latency histogram; cumulative, plus +Inf. */
#define METRICS_LATENCY_BUCKETS 8

typedef struct metrics {
  qf_gauge *sends_in_flight;
  qf_gauge *leases_waiting_content;
  qf_gauge *results_pending;
  qf_gauge *cache_bytes;
  qf_gauge *cache_entries;
  qf_counter *leases_received;
  qf_counter *lease_calls, *lease_errors;
  qf_counter *report_calls, *report_errors, *results_committed;
  qf_counter *sends_total;
  qf_counter *outcomes[4]; /* by qf_outcome */
  qf_counter *cache_hits, *cache_misses, *cache_joins, *cache_evictions;
  qf_counter *store_calls, *store_errors;
  qf_counter *send_latency_ms_sum;
  qf_counter *send_latency_le[METRICS_LATENCY_BUCKETS + 1];
} metrics;

/* Registers every name on s; m's handles live as long as s. */
void metrics_init(metrics *m, qf_stats *s);
/* Counts one finished send and its latency. */
void metrics_send_done(const metrics *m, int64_t latency_ms);

#endif
