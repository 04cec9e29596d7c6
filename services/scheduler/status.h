/* The read calls of the client API: PostStatus (counts by state: from memory for
 * an active post, counted from LMDB otherwise) and ListDeliveries (paged by
 * sequence; an active post's deliveries come from memory, so leases show). */
#ifndef SCHED_STATUS_H
#define SCHED_STATUS_H
#include "apost.h"
#include "model.pb-c.h"
#include "qf/kv.h"
#include "qf/rpc.h"

/* A finished post's counts by state as its record keeps them, or NULL when the
 * post is not finished or its record predates them. */
const uint32_t *status_final_counts(const Qunfa__Post *rec);
/* The counts by state of a post not in memory: from its record when finished,
 * else read from its stored deliveries. 0 or an error. */
int status_stored_counts(qf_kv_txn *txn, const Qunfa__Post *rec,
                         uint32_t counts[APOST_STATES]);
void status_on_post(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void status_on_deliveries(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
