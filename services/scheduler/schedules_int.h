/* Inside the schedules module: the table shared by schedules.c (state, events,
 * changes) and schedules_rpc.c (the client calls). */
#ifndef SCHED_SCHEDULES_INT_H
#define SCHED_SCHEDULES_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "heap.h"
#include "qf/cron.h"
#include "qf/rpc.h"
#include "qf/tz.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"

typedef struct entry entry;

/* A client call waiting for its schedule's change in flight. */
typedef struct sch_op {
  uint64_t id;
  qf_rpc_call *call;
  void (*run)(schedules *m, entry *e, qf_rpc_call *call);
  struct sch_op *next;
} sch_op;

struct entry {
  Qunfa__Schedule *rec; /* as committed; owned */
  qf_cron *cron;
  const qf_tz *tz; /* NULL: unusable (zone gone from tzdata); no events */
  bool busy;       /* a change is being committed */
  bool deleted;
  int64_t event_ms; /* the event queued for it; 0 = none */
  int64_t retry_ms; /* after a failed commit, not before this */
  sch_op *waiting;  /* FIFO */
};

struct schedules {
  sched *s;
  entry **v; /* by id */
  size_t n, cap;
  heap events; /* at_ms -> schedule id */
  uv_timer_t timer;
  int64_t armed_ms;
  uint64_t next_id;
  bool closing;
};

/* Runs after a change's commit: status 0 (e holds the new record) or the error
 * (e unchanged). */
typedef void (*sch_done_fn)(int status, entry *e, void *arg);

/* A copy of r that owns its strings (free with qunfa__schedule__free_unpacked). */
Qunfa__Schedule *sch_rec_copy(const Qunfa__Schedule *r);
/* r as clients see it: next_at_ms is the next occurrence that has not fired.
 * Strings borrowed from e. */
Qunfa__Schedule sch_display(const entry *e, int64_t now);

entry *sch_find(schedules *m, uint64_t id);
/* The index of the first schedule with an id above after. */
size_t sch_index_after(const schedules *m, uint64_t after);
/* Adds a new schedule whose record (handed over) is committed. */
entry *sch_add(schedules *m, Qunfa__Schedule *rec);

/* Writes next (borrowed; NULL deletes) as e's record into the client batch; e is
 * busy until the commit, then done runs (may be NULL). */
void sch_write(schedules *m, entry *e, const Qunfa__Schedule *next, sch_done_fn done,
               void *arg);
/* Queues e's next event. */
void sch_arm(schedules *m, entry *e);
/* Cancels next's pending post if its time has not come, and forgets it. */
void sch_cancel_pending(schedules *m, Qunfa__Schedule *next, int64_t now);

#endif
