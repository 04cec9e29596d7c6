/* Post expiry: at a post's expires_ms every delivery not yet sent ends EXPIRED
 * (a flash sale that ended is never announced late). A min-heap of active
 * posts by expiry time and one timer. Deliveries leased at that moment end when
 * their lease does: the lease's send-by time was the expiry already, so a
 * dispatcher gives them back unsent (docs/scheduler.md, "Guards"). */
#ifndef SCHED_EXPIRY_H
#define SCHED_EXPIRY_H
#include "apost.h"
#include "scheduler.h"

typedef struct expiry expiry;

expiry *expiry_new(sched *s);
/* Drops every entry; closes the timer and frees after it closed. NULL no-op. */
void expiry_close(expiry *e);
/* Watches p (expires_ms > 0; takes a reference). */
void expiry_add(expiry *e, apost *p);
/* Ends delivery seq of p EXPIRED if p has expired at now_ms; returns whether it
 * did. For deliveries loaded after the sweep. */
bool expiry_check(sched *s, apost *p, uint32_t seq, int64_t now_ms);

#endif
