#include "metrics.h"

#include <stdio.h>

metrics mx;
static qf_stats *stats; /* for counters found by label when first needed */

static const char *const state_names[METRICS_STATES] = {
    "deliveries_pending", "deliveries_leased",  "deliveries_delivered",
    "deliveries_failed",  "deliveries_expired", "deliveries_cancelled"};

static const char *const ended_names[METRICS_STATES] = {
    NULL,
    NULL,
    "deliveries_total{state=delivered}",
    "deliveries_total{state=failed}",
    "deliveries_total{state=expired}",
    "deliveries_total{state=cancelled}"};

void metrics_init(qf_stats *st) {
  for (int i = 0; i < METRICS_STATES; i++)
    mx.deliveries[i] = qf_stats_gauge(st, state_names[i]);
  for (int i = 0; i < METRICS_STATES; i++)
    if (ended_names[i])
      mx.ended[i] = qf_stats_counter(st, ended_names[i]);
  mx.leases_outstanding = qf_stats_gauge(st, "leases_outstanding");
  mx.timeline_depth = qf_stats_gauge(st, "timeline_depth");
  mx.posts_active = qf_stats_gauge(st, "posts_active");
  mx.live_sessions = qf_stats_gauge(st, "live_sessions");
  mx.ready_depth = qf_stats_gauge(st, "ready_depth");
  mx.retry_depth = qf_stats_gauge(st, "retry_depth");
  mx.lease_calls_parked = qf_stats_gauge(st, "lease_calls_parked");
  mx.posts_created = qf_stats_counter(st, "posts_created");
  mx.groups_upserted = qf_stats_counter(st, "groups_upserted");
  mx.leases_issued = qf_stats_counter(st, "leases_issued");
  mx.leases_expired = qf_stats_counter(st, "leases_expired");
  mx.results = qf_stats_counter(st, "results");
  mx.results_stale = qf_stats_counter(st, "results_stale");
  mx.commits = qf_stats_counter(st, "commits");
  mx.commit_errors = qf_stats_counter(st, "commit_errors");
  mx.parked_depth = qf_stats_gauge(st, "parked_depth");
  mx.keys_waiting = qf_stats_gauge(st, "keys_waiting");
  mx.parks = qf_stats_counter(st, "parks");
  mx.quiet_deferred = qf_stats_counter(st, "quiet_deferred");
  mx.guard_ends = qf_stats_counter(st, "guard_ends");
  mx.learned_keys = qf_stats_gauge(st, "limiter_learned_keys");
  stats = st;
}

void metrics_throttled(const char *dialect) {
  char name[96];
  if (stats == NULL)
    return;
  /* Rare (a platform refused a message): a lookup by name is cheap enough. */
  snprintf(name, sizeof name, "throttled_answers{dialect=%s}", dialect);
  qf_counter_add(qf_stats_counter(stats, name), 1);
}
