/* PreviewAudience: how many groups an audience matches now, and the first few,
 * without creating anything. */
#ifndef SCHED_AUDIENCES_H
#define SCHED_AUDIENCES_H
#include "qf/rpc.h"

#define AUDIENCES_SAMPLE_DEFAULT 10
#define AUDIENCES_SAMPLE_MAX 1000

void audiences_on_preview(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
