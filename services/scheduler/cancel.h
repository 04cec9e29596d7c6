/* Cancelling a post (CancelPost). Every delivery not leased becomes CANCELLED at
 * once, durably (work stream), and the post is marked cancelled, so nothing of
 * it is queued again: a leased delivery ends DELIVERED if its dispatcher says so,
 * else CANCELLED (apost_set_state), and deliveries loaded later (a post still
 * loading, or after a restart) are cancelled as they load.
 *
 * Dispatchers cannot be called from here, so they learn of a cancel from their
 * next Lease reply: every reply lists the posts cancelled within the last lease
 * period (a lease issued before the cancel has expired after that), and parked
 * Lease calls are answered at once. A dispatcher gives back (RELEASED) the
 * leases of those posts it holds but has not started sending. */
#ifndef SCHED_CANCEL_H
#define SCHED_CANCEL_H
#include <stdint.h>

#include "apost.h"
#include "qf/rpc.h"
#include "scheduler.h"

/* What a cancel did. */
typedef struct cancel_result {
  uint32_t cancelled; /* deliveries cancelled, counting those still to load */
  uint32_t leased;    /* leased at the cancel, or carried by a live segment's
                         lease (live_carried): may still be delivered */
  bool was_done;      /* every delivery was final already */
} cancel_result;

cancels *cancel_new(sched *s);
/* NULL is a no-op. */
void cancel_free(cancels *c);

/* Cancels post id (see above); the changes ride in the current work batch, so
 * they are durable once it commits. QF_ENOTFOUND for an unknown post, or the
 * read error. */
int cancel_post(sched *s, uint64_t id, cancel_result *out);

/* Cancels pending delivery seq of the cancelled post p (written to the work
 * stream); a live session's group goes on to its next segment. */
void cancel_delivery(sched *s, apost *p, uint32_t seq);
/* The same without the live session's step, for live.c itself. */
void cancel_mark(sched *s, apost *p, uint32_t seq);

/* The posts cancelled within the last lease period, for Lease replies (borrowed
 * until the next call). */
const uint64_t *cancel_recent(cancels *c, size_t *n);

/* The CancelPost handler: answers after the commit holding the cancel. */
void cancel_on_post(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
