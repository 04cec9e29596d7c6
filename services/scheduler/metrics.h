/* The scheduler's counters and gauges (qf_stats), registered once at start-up.
 * Delivery gauges count the deliveries of active posts held in memory. */
#ifndef SCHED_METRICS_H
#define SCHED_METRICS_H
#include "model.pb-c.h"
#include "qf/stats.h"

#define METRICS_STATES 6 /* Qunfa__DeliveryState values */

typedef struct metrics {
  qf_gauge *deliveries[METRICS_STATES];
  qf_counter *ended[METRICS_STATES]; /* deliveries that entered a final state */
  qf_gauge *leases_outstanding;
  qf_gauge *timeline_depth;
  qf_gauge *posts_active;
  qf_gauge *ready_depth;
  qf_gauge *retry_depth;
  qf_gauge *lease_calls_parked;
  qf_gauge *parked_depth; /* deliveries parked behind a rate-limit key */
  qf_gauge *keys_waiting; /* keys waiting to conform again */
  qf_counter *posts_created;
  qf_counter *groups_upserted;
  qf_counter *leases_issued;
  qf_counter *leases_expired;
  qf_counter *results;
  qf_counter *results_stale;
  qf_counter *commits;
  qf_counter *commit_errors;
  qf_counter *parks;          /* deliveries parked (a key did not conform) */
  qf_counter *quiet_deferred; /* deliveries deferred to the end of quiet hours */
  qf_counter *guard_ends;     /* deliveries expired or capped at lease time */
  qf_gauge *learned_keys;     /* groups with a learned limit (learn.h) */
  qf_gauge *live_sessions;    /* live sessions in memory (not yet settled) */
} metrics;

extern metrics mx;

void metrics_init(qf_stats *st);
/* Counts a rate-limit answer of dialect (a static name) in
 * throttled_answers{dialect=D}. */
void metrics_throttled(const char *dialect);

#endif
