/* Recalling a post (RecallPost): nothing more of it is sent (CancelPost's
 * path), and the messages already sent are deleted where the platform allows.
 *
 * Deleting is a send like any other, so dispatchers do it: the scheduler makes
 * a recall post, content of kind "recall", with one delivery per message to
 * delete whose record carries the platform's message id; the lease carries it
 * (Lease.platform_msg_id) and the dispatcher calls the platform's delete
 * method instead of sending. Its outcome is the recall's: DELIVERED deleted,
 * FAILED not, with the platform's reason. Rate limits, retries and restarts are
 * those of any post.
 *
 * Before choosing, the recall waits (up to RECALL_SETTLE_MS) for the post's
 * deliveries in dispatchers' hands to end, so a message sent just now is
 * recalled too. A delivered message that cannot be recalled is answered at
 * once with the reason: its dialect has no delete for robot messages, the
 * platform gave no message id, or it was still in a dispatcher's hands. */
#ifndef SCHED_RECALL_H
#define SCHED_RECALL_H
#include <stdbool.h>

#include "qf/rpc.h"

#define RECALL_SETTLE_MS 5000

/* Whether a message of dialect can be deleted by the sender (telegram). */
bool recall_dialect_can(const char *dialect);

/* The RecallPost handler: answers once the recall post is stored. */
void recall_on_post(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
