/* What happens to a leased delivery when its lease ends: the dispatcher's
 * result, or expiry. Each change is written to the work stream; a delivery that
 * becomes final may complete its post.
 *
 * attempts counts the leases that got an answer or expired (RELEASED, a lease
 * given back unused, does not count). RETRY backs off exponentially with full
 * jitter, random in [0, min(60 s, 500 ms * 2^(attempts-1))], unless the platform
 * named a delay, which is honoured exactly (clamped to [0, 1 h]) and holds back
 * the group's other deliveries as long; after max-attempts the delivery fails
 * with "attempts exhausted: <last error>". A post past its expiry time never
 * retries: the delivery ends EXPIRED. */
#ifndef SCHED_OUTCOME_H
#define SCHED_OUTCOME_H
#include <stdint.h>

#include "apost.h"
#include "model.pb-c.h"
#include "scheduler.h"

/* Applies r to delivery seq of p, whose current lease r answers. */
void outcome_apply(sched *s, apost *p, uint32_t seq, const Qunfa__Result *r);
/* The current lease of delivery seq of p passed its deadline unanswered. */
void outcome_expire(sched *s, apost *p, uint32_t seq);
/* Ends delivery seq of p (pending, not leased) in state (EXPIRED, CANCELLED or
 * FAILED) with reason, without an attempt. */
void outcome_end(sched *s, apost *p, uint32_t seq, int state, const char *reason);
/* outcome_end as a ready hook: arg is the sched. */
void outcome_on_judged(void *arg, apost *p, uint32_t seq, int state,
                       const char *reason);
/* Fails delivery seq of p (not leased) with reason, without an attempt. */
void outcome_fail(sched *s, apost *p, uint32_t seq, const char *reason);

/* The backoff before attempt number attempts + 1; exposed for tests. */
int64_t outcome_backoff_ms(uint32_t attempts);

#endif
