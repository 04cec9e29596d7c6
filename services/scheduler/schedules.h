/* Recurring posts: a cron expression in an IANA zone, an audience and a content.
 * Each occurrence becomes an ordinary post (posts_create_stored), created
 * SCHEDULES_LEAD_MS before its time with that time as its due time, so at the
 * occurrence only the timeline's activation stands between the clock and the
 * first lease (the audience is evaluated then, a few seconds early). The
 * schedule's record says which occurrence has a post (pending_*) and which comes
 * next; SCHEDULES_CLEAR_MS after an occurrence its post counts as fired
 * (last_*), and the next occurrence's post is made at its own lead time.
 *
 * Records are written through the client stream and memory follows the commit;
 * one change per schedule is in flight at a time (later calls wait for it).
 * Start-up applies the catch-up rule of recur.h to occurrences missed while the
 * scheduler was down (--catch-up). Pausing or deleting a schedule cancels the
 * post of an occurrence that is not yet due; resuming goes on from the first
 * occurrence after now. */
#ifndef SCHED_SCHEDULES_H
#define SCHED_SCHEDULES_H
#include "qf/rpc.h"
#include "scheduler.h"

#define SCHEDULES_LEAD_MS 5000
#define SCHEDULES_CLEAR_MS 1000

schedules *schedules_new(sched *s);
/* Start-up, after the timeline is loaded and before the servers start: loads
 * every schedule and decides about missed occurrences. */
int schedules_load(schedules *m);
/* Closes the timer and frees after it closed; answers waiting calls. Call after
 * the client commit stream has closed. NULL is a no-op. */
void schedules_close(schedules *m);

void schedules_on_create(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void schedules_on_list(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void schedules_on_pause(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void schedules_on_resume(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void schedules_on_delete(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
