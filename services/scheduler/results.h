/* The Report call of the work API: the dispatchers' results. A result counts
 * only if its lease is the delivery's current one (else it is stale: counted and
 * ignored). The reply is sent after the commit that holds the request's results,
 * so the dispatcher may forget them. */
#ifndef SCHED_RESULTS_H
#define SCHED_RESULTS_H
#include "qf/rpc.h"

/* The Work.Report handler; arg is the sched. */
void results_on_report(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
