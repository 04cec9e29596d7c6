/* PreviewAudience: how many groups an audience matches now, and the first few,
 * without creating anything. */
#ifndef SCHED_AUDIENCES_H
#define SCHED_AUDIENCES_H
#include "qf/audience.h"
#include "qf/rpc.h"

typedef struct sched sched;

#define AUDIENCES_SAMPLE_DEFAULT 10
#define AUDIENCES_SAMPLE_MAX 1000

/* Parses text, sets *canon to its canonical form (caller frees; set once it
 * parses) and emits every group it matches now. Returns 0, emit's non-zero
 * value, or an error with a sentence in why (a bad expression, an unknown
 * group, groups that could not be read). */
int audiences_eval(sched *s, const char *text, qf_audience_id_fn emit, void *arg,
                   char **canon, char *why, size_t len);

void audiences_on_preview(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
