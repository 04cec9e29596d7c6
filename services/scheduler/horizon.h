/* The lease horizon: a wall-clock instant, kept durable in the meta db, after
 * which no lease this scheduler issued can still be sent. A dispatcher starts no
 * send after a lease's deadline and bounds the transfer by it, so every message
 * of a lease reaches its receiver by the deadline at the latest.
 *
 * Why: leases live in memory only. After a restart, dispatchers may still be
 * sending leases of the earlier run; rate-limit cells are not saved, so the
 * new run counts every key as used at the stored horizon (qf_gcra_restore),
 * which keeps every receiver's windows within their limits across the restart.
 *
 * How: every HORIZON_TICK_MS the work stream writes now + lease-ms + slack, and
 * a lease is issued only while its deadline lies within the committed horizon
 * (horizon_allows), so the stored value is always ahead of every deadline
 * issued. On a clean stop the horizon is written once more as the latest
 * deadline of the leases still out (or now), so a prompt restart waits no
 * longer than needed. After a crash the next run waits at most lease-ms plus
 * the slack before the keys that were in use conform again. */
#ifndef SCHED_HORIZON_H
#define SCHED_HORIZON_H
#include <stdbool.h>
#include <stdint.h>

#include "scheduler.h"

#define HORIZON_TICK_MS 500
#define HORIZON_SLACK_MS 1500

typedef struct horizon horizon;

/* Reads the horizon of the earlier run into *earlier_ms (0 when none: a new
 * store). Errors: the kv's, logged. */
int horizon_load(qf_kv *kv, int64_t *earlier_ms);

/* Starts writing the horizon through s->work every tick, from now. */
horizon *horizon_new(sched *s);
/* Whether a lease with this deadline may be issued now. */
bool horizon_allows(const horizon *h, int64_t deadline_ms);
/* A clean stop: writes final_ms as the horizon (into the current work batch;
 * the caller flushes) and stops the timer. */
void horizon_stop(horizon *h, int64_t final_ms);
/* Closes the timer; frees after it closed. NULL is a no-op. */
void horizon_close(horizon *h);

#endif
