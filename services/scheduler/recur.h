/* Recurrence decisions for schedules, as pure functions of the cron expression,
 * the zone, the schedule's state and the time (no I/O, no clock): what to do at
 * start-up about occurrences missed while the scheduler was down.
 *
 * The rule: of the occurrences missed (not yet fired, at or before now, counting
 * an occurrence whose post exists but whose time passed during the downtime),
 * exactly one fires, the latest, if it is less than catch_up_ms old; all others
 * are skipped (and logged by the caller). Then the schedule goes on from the first
 * occurrence after now. */
#ifndef SCHED_RECUR_H
#define SCHED_RECUR_H
#include <stdbool.h>
#include <stdint.h>

#include "qf/cron.h"
#include "qf/tz.h"

/* What the schedule does now. */
typedef struct recur_plan {
  bool keep_pending;   /* the existing post stands: it is due later, or it is the
                          one catch-up fire */
  bool cancel_pending; /* the existing post is for an occurrence to skip */
  bool fire;           /* create one post now, for occurrence fire_for */
  int64_t fire_for;
  int64_t missed_first; /* the earliest missed occurrence; 0: none */
  uint32_t skipped;     /* missed occurrences that do not fire (counting stops at
                           RECUR_COUNT_MAX) */
  int64_t next_at;      /* the first occurrence after now without a post */
} recur_plan;

#define RECUR_COUNT_MAX 100000

/* Decides for a schedule whose next occurrence without a post is next_at, and
 * whose existing post (if pending_at != 0) is for occurrence pending_at. Errors
 * are qf_cron_next_in's. */
int recur_catch_up(const qf_cron *cron, const qf_tz *tz, int64_t pending_at,
                   int64_t next_at, int64_t now, int64_t catch_up_ms, recur_plan *out);

/* Parses a duration: a whole number followed by ms, s, m or h ("90s", "1h"), or
 * a bare number of milliseconds. QF_EINVAL otherwise (or negative, or past a
 * year). */
int recur_parse_duration(const char *s, int64_t *ms);

#endif
