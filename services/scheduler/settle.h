/* Waiting for a post to settle, then reading each of its deliveries: the
 * sold-out follow-up of a flash sale goes to the groups that received the
 * announcement, and a recall deletes the messages that were sent, so both must
 * know, per group, whether the message went out and under which platform id.
 *
 * A post is settled when every delivery is loaded and none is in a
 * dispatcher's hands (a lease ends within lease-ms: delivered, or not). The
 * deliveries are read after the work commit following that moment, so a post
 * that retired meanwhile is read from LMDB with its final outcomes. One timer
 * polls every waiter every 20 ms: settling is rare and never on a hot path. */
#ifndef SCHED_SETTLE_H
#define SCHED_SETTLE_H
#include <stddef.h>
#include <stdint.h>

#include "scheduler.h"

typedef struct settles settles;

/* One delivery of a settled post. Strings are borrowed for the callback. */
typedef struct settle_entry {
  const char *group;
  int state;          /* Qunfa__DeliveryState; LEASED only after max_wait_ms */
  const char *msg_id; /* "" = the platform gave none */
} settle_entry;

/* status 0: e[0..n) are the post's deliveries in sequence order (n 0 for an
 * unknown post); otherwise (the scheduler is stopping, or LMDB could not be
 * read) e is NULL and the callback only frees what arg holds. */
typedef void (*settle_fn)(int status, const settle_entry *e, size_t n, void *arg);

settles *settles_new(sched *s);
/* Every waiter is called with QF_ECANCELED; the timer closes and the object is
 * freed after it closed. NULL is a no-op. */
void settles_close(settles *st);
/* Calls cb once post is settled, or once max_wait_ms passed (deliveries still
 * leased then are reported LEASED). */
void settle_post(settles *st, uint64_t post, int64_t max_wait_ms, settle_fn cb,
                 void *arg);

#endif
