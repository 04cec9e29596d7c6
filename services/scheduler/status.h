/* The read calls of the client API: PostStatus (counts by state: from memory for
 * an active post, counted from LMDB otherwise) and ListDeliveries (paged by
 * sequence; an active post's deliveries come from memory, so leases show). */
#ifndef SCHED_STATUS_H
#define SCHED_STATUS_H
#include "qf/rpc.h"

void status_on_post(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void status_on_deliveries(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
