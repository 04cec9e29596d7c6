/* The group calls of the client API: UpsertGroups (each group validated; all or
 * nothing, in one commit) and ListGroups (paged by id). */
#ifndef SCHED_GROUPS_H
#define SCHED_GROUPS_H
#include "qf/audience.h"
#include "qf/kv.h"
#include "qf/rpc.h"

void groups_on_upsert(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void groups_on_list(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

/* The stored groups as an audience source over an open read transaction. */
qf_audience_source groups_source(qf_kv_txn *txn);

#endif
