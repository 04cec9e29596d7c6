/* The group calls of the client API: UpsertGroups (each group validated; all or
 * nothing, in one commit with its tag index changes; upserts are written one
 * commit after the other) and ListGroups (paged by id). */
#ifndef SCHED_GROUPS_H
#define SCHED_GROUPS_H
#include "qf/audience.h"
#include "qf/kv.h"
#include "qf/rpc.h"

#include "scheduler.h"

/* The queue of upserts waiting for the one being committed. */
upserts *groups_new(sched *s);
/* Answers every upsert still waiting (shutting down); NULL is a no-op. Call after
 * the client commit stream has closed. */
void groups_free(upserts *u);

void groups_on_upsert(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void groups_on_list(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

/* The stored groups and the tag index as an audience source over an open read
 * transaction. */
qf_audience_source groups_source(qf_kv_txn *txn);

#endif
