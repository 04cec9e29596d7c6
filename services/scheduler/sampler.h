/* Figures the scheduler computes once a second on its loop rather than keeps
 * up to date as they change: posts by state, LMDB map use, the limiter's
 * saturation per tier, and a five-minute history of them for the dashboard's
 * chart (/api/limits, docs/dashboard.md).
 *
 * The limiter's figures per tier (group, account, dialect, global) are read
 * from the ready queue once a second: keys with a limit in force, and those
 * waiting to conform again. Everything here runs on the loop thread. */
#ifndef SCHED_SAMPLER_H
#define SCHED_SAMPLER_H
#include <jansson.h>
#include <stdint.h>

#include "qf/stats.h"
#include "scheduler.h"

#define SAMPLER_TIERS 4 /* group, account, dialect, global */
#define SAMPLER_HISTORY 300

typedef struct sampler sampler;

/* Registers its gauges on st and samples every second from now. */
sampler *sampler_new(sched *s, qf_stats *st);
/* Stops sampling; freed once its timer closed. NULL is a no-op. */
void sampler_close(sampler *sm);

/* {"interval_ms":1000,"tiers":[...],"points":[{"at_ms":T,"saturation_permille":
 * [g,a,d,G],"delivered_per_s":N,"leases_outstanding":N,"waiting_groups":N}...]}
 * oldest first (new reference). */
json_t *sampler_history_json(const sampler *sm);

#endif
