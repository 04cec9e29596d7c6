/* Inside libqunfa: the client and its one way of calling the scheduler. Not
 * installed; the public contract is include/qunfa.h. */
#ifndef QUNFA_CLIENT_H
#define QUNFA_CLIENT_H
#include <protobuf-c/protobuf-c.h>

#include "qunfa.h"

/* Calls method (by name, e.g. "CreatePost") of qunfa.Scheduler with req
 * (borrowed). On 0, *reply is the decoded reply, handed over (free with
 * protobuf_c_message_free_unpacked). On error *reply is NULL and the client's
 * last error holds the sentence. */
int qunfa_client_call(qunfa_client *c, const char *method, const ProtobufCMessage *req,
                      ProtobufCMessage **reply);

/* Records a local sentence as the last error and returns code. */
int qunfa_client_fail(qunfa_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
