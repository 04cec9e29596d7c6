/* The timeline: posts not yet due, in memory as a min-heap by due time with one
 * timer at its earliest entry (durably, the "timeline" db holds one entry per
 * post not done). When a post falls due it becomes active. */
#ifndef SCHED_TIMELINE_H
#define SCHED_TIMELINE_H
#include <stdint.h>

#include "scheduler.h"

typedef struct timeline timeline;

timeline *timeline_new(sched *s);
/* Closes the timer and frees after it closed. NULL is a no-op. */
void timeline_close(timeline *t);
/* Start-up: every post not done is either activated (due) or scheduled. */
int timeline_load(timeline *t);
/* Schedules post at due_ms (its record is committed). */
void timeline_add(timeline *t, int64_t due_ms, uint64_t post_id);

#endif
