#include "metrics.h"

#include <stdio.h>

static const int64_t latency_bounds_ms[METRICS_LATENCY_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 1000, 5000};

static void init_latency(metrics *m, qf_stats *s) {
  char name[64];
  for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
    snprintf(name, sizeof name, "send_latency_le_%lldms",
             (long long)latency_bounds_ms[i]);
    m->send_latency_le[i] = qf_stats_counter(s, name);
  }
  m->send_latency_le[METRICS_LATENCY_BUCKETS] =
      qf_stats_counter(s, "send_latency_le_inf");
  m->send_latency_ms_sum = qf_stats_counter(s, "send_latency_ms_sum");
}

void metrics_init(metrics *m, qf_stats *s) {
  m->sends_in_flight = qf_stats_gauge(s, "sends_in_flight");
  m->leases_waiting_content = qf_stats_gauge(s, "leases_waiting_content");
  m->results_pending = qf_stats_gauge(s, "results_pending");
  m->cache_bytes = qf_stats_gauge(s, "cache_bytes");
  m->cache_entries = qf_stats_gauge(s, "cache_entries");
  m->leases_received = qf_stats_counter(s, "leases_received");
  m->lease_calls = qf_stats_counter(s, "lease_calls");
  m->lease_errors = qf_stats_counter(s, "lease_errors");
  m->report_calls = qf_stats_counter(s, "report_calls");
  m->report_errors = qf_stats_counter(s, "report_errors");
  m->results_committed = qf_stats_counter(s, "results_committed");
  m->sends_total = qf_stats_counter(s, "sends_total");
  m->outcomes[QF_OUTCOME_DELIVERED] = qf_stats_counter(s, "outcomes_delivered");
  m->outcomes[QF_OUTCOME_RETRY] = qf_stats_counter(s, "outcomes_retry");
  m->outcomes[QF_OUTCOME_FAILED] = qf_stats_counter(s, "outcomes_failed");
  m->outcomes[QF_OUTCOME_RELEASED] = qf_stats_counter(s, "outcomes_released");
  m->cache_hits = qf_stats_counter(s, "cache_hits");
  m->cache_misses = qf_stats_counter(s, "cache_misses");
  m->cache_joins = qf_stats_counter(s, "cache_joins");
  m->cache_evictions = qf_stats_counter(s, "cache_evictions");
  m->store_calls = qf_stats_counter(s, "store_calls");
  m->store_errors = qf_stats_counter(s, "store_errors");
  init_latency(m, s);
}

void metrics_send_done(const metrics *m, int64_t latency_ms) {
  if (latency_ms < 0)
    latency_ms = 0;
  qf_counter_add(m->sends_total, 1);
  qf_counter_add(m->send_latency_ms_sum, (uint64_t)latency_ms);
  for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
    if (latency_ms <= latency_bounds_ms[i])
      qf_counter_add(m->send_latency_le[i], 1);
  }
  qf_counter_add(m->send_latency_le[METRICS_LATENCY_BUCKETS], 1);
}
