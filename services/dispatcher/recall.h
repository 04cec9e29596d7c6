/* Recalls: a lease whose content is of kind "recall" deletes a message the
 * group received (Lease.platform_msg_id) instead of sending one
 * (docs/live-and-sales.md). Deleting is rendered and judged like a send, by a
 * dialect of its own per platform that can delete a robot's message: Telegram's
 * deleteMessage ({"ok":true} deleted; 400 "message to delete not found" failed).
 * Platforms without such a method have none: the scheduler never asks for them. */
#ifndef DISPATCHER_RECALL_H
#define DISPATCHER_RECALL_H
#include <stdbool.h>

#include "qf/dialect.h"

/* The content kind of a recall. */
#define RECALL_KIND "recall"

/* The dialect that deletes a message sent in dialect d, or NULL when the
 * platform cannot. Its render takes the message id in msg->text. */
const qf_dialect *recall_dialect(const qf_dialect *d);

#endif
