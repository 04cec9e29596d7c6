/* The CreatePost call: parses and expands the audience to the sorted list of
 * group ids, puts the content into the content store (Store.Put) and keeps its
 * id, then writes the post, one PENDING delivery per group and its timeline
 * entry in one commit. The post id is answered only after that commit. */
#ifndef SCHED_POSTS_H
#define SCHED_POSTS_H
#include <stddef.h>
#include <stdint.h>

#include "qf/rpc.h"
#include "scheduler.h"

#define POSTS_STORE_TIMEOUT_MS 10000

/* A post the scheduler makes itself (a schedule's occurrence): its content is
 * in the store already. Strings borrowed for the call. */
typedef struct posts_new {
  const char *audience;
  const uint8_t *content_id; /* 32 bytes */
  int64_t due_ms;
  uint64_t schedule_id;
  /* Flash sales and recalls (sale.c, recall.c); zero for a plain post. */
  int priority;       /* Qunfa__Priority */
  int64_t expires_ms; /* 0 = never */
  /* When set, the deliveries go to these ngroups groups instead of the
   * audience's (which then only describes them), with msg_ids[i] (may be NULL)
   * stored as each delivery's platform_msg_id. */
  const char *const *groups;
  const char *const *msg_ids;
  size_t ngroups;
} posts_new;

/* Runs after the commit holding the post: status 0 (durable; the post is
 * scheduled or active) or the commit's error (nothing of it stored). */
typedef void (*posts_done_fn)(int status, void *arg);

/* Expands the audience now and writes the post, its deliveries and its timeline
 * entry into this loop turn's client batch (the caller may add writes of its own
 * to the same commit); done runs after that commit. On 0 *post_id is the new
 * post's id. QF_EINVAL with a sentence in why when the audience is bad or matches
 * no group, or a read error (nothing written either way). */
int posts_create_stored(sched *s, const posts_new *pn, posts_done_fn done, void *arg,
                        uint64_t *post_id, char *why, size_t len);

void posts_on_create(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
