/* The Lease call of the work API. Hands out up to `max` ready deliveries, each
 * with its post's content id and its group's full record; if none is ready the
 * call is parked (long poll) until deliveries become ready or wait_ms passes,
 * which is what makes a due post reach the dispatchers within milliseconds. */
#ifndef SCHED_DISPATCH_H
#define SCHED_DISPATCH_H
#include "qf/rpc.h"
#include "scheduler.h"

typedef struct dispatch dispatch;

dispatch *dispatch_new(sched *s);
/* Answers every parked call (empty), closes the handles, frees after they
 * closed. NULL is a no-op. */
void dispatch_close(dispatch *d);
/* Answers every parked call now with what is ready (shutdown). */
void dispatch_drain(dispatch *d);
/* Deliveries became ready: serve parked calls before the loop sleeps.
 * arg is the dispatch. */
void dispatch_wake(void *arg);

/* The Work.Lease handler; arg is the sched. */
void dispatch_on_lease(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
