/* The CreatePost call: parses and expands the audience to the sorted list of
 * group ids, puts the content into the content store (Store.Put) and keeps its
 * id, then writes the post, one PENDING delivery per group and its timeline
 * entry in one commit. The post id is answered only after that commit. */
#ifndef SCHED_POSTS_H
#define SCHED_POSTS_H
#include "qf/rpc.h"

#define POSTS_STORE_TIMEOUT_MS 10000

void posts_on_create(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
