#include "metrics.h"

#include <stdio.h>
#include <string.h>

/* Upper bounds (ms) of the send latency histogram, plus +Inf. */
static const int64_t latency_bounds_ms[] = {5,   10,  25,   50,   100,
                                            250, 500, 1000, 2500, 5000};

static const char *const dialect_names[METRICS_DIALECTS] = {
    "generic", "wecom", "feishu", "dingtalk", "telegram", "slack"};
enum { CLASS_2XX, CLASS_3XX, CLASS_4XX, CLASS_429, CLASS_5XX, CLASS_NETWORK };
static const char *const class_names[METRICS_CLASSES] = {"2xx", "3xx", "4xx",
                                                         "429", "5xx", "network"};

static void init_answers(metrics *m, qf_stats *s) {
  char name[96];
  for (int d = 0; d < METRICS_DIALECTS; d++) {
    for (int c = 0; c < METRICS_CLASSES; c++) {
      snprintf(name, sizeof name, "answers{class=%s,dialect=%s}", class_names[c],
               dialect_names[d]);
      m->answers[d][c] = qf_stats_counter(s, name);
    }
  }
}

void metrics_init(metrics *m, qf_stats *s) {
  m->sends_in_flight = qf_stats_gauge(s, "sends_in_flight");
  m->leases_waiting_content = qf_stats_gauge(s, "leases_waiting_content");
  m->results_pending = qf_stats_gauge(s, "results_pending");
  m->cache_bytes = qf_stats_gauge(s, "cache_bytes");
  m->cache_entries = qf_stats_gauge(s, "cache_entries");
  m->connections_open = qf_stats_gauge(s, "connections_open");
  m->host_connections_peak = qf_stats_gauge(s, "host_connections_peak");
  m->host_waiting = qf_stats_gauge(s, "host_waiting");
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
  m->send_latency = qf_stats_histogram(s, "send_latency_ms", latency_bounds_ms,
                                       sizeof latency_bounds_ms / sizeof(int64_t));
  qf_stats_rate(s, "sends_per_s", m->sends_total);
  init_answers(m, s);
}

static int class_of(const qf_dialect_answer *ans) {
  if (ans->xfer != QF_XFER_OK)
    return CLASS_NETWORK;
  if (ans->status == 429)
    return CLASS_429;
  if (ans->status >= 500)
    return CLASS_5XX;
  if (ans->status >= 400)
    return CLASS_4XX;
  return ans->status >= 300 ? CLASS_3XX : CLASS_2XX;
}

void metrics_send_done(const metrics *m, int64_t latency_ms, const qf_dialect *d,
                       const qf_dialect_answer *ans) {
  if (latency_ms < 0)
    latency_ms = 0;
  qf_counter_add(m->sends_total, 1);
  qf_histogram_observe(m->send_latency, latency_ms);
  for (int i = 0; i < METRICS_DIALECTS; i++) {
    if (d && strcmp(d->name, dialect_names[i]) == 0) {
      qf_counter_add(m->answers[i][class_of(ans)], 1);
      return;
    }
  }
}
