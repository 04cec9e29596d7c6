/* Deliveries waiting to be leased, and the judgement at lease time: priority,
 * round-robin between posts, rate limits without head-of-line blocking, quiet
 * hours, daily caps and expiry.
 *
 * - Ready: each active post has a FIFO of ready sequence numbers; posts with
 *   ready deliveries form one ring per priority rank, served round-robin, so a
 *   100,000-group post does not hold back a 10-group one of the same rank, and
 *   a higher rank is always served first.
 * - Retry: deliveries whose next attempt is in the future (backoff, a
 *   Retry-After, the end of quiet hours) wait in a min-heap with one timer.
 * - Parked: a delivery whose key (group, account, dialect) does not conform is
 *   parked on that key, in a FIFO per rank, and the key waits in a min-heap by
 *   the instant it conforms again. Only then is it "due": its parked
 *   deliveries are judged again, highest rank first, before fresh ones of the
 *   same rank. A throttled group therefore costs nothing while it waits and
 *   never delays another. A delivery finding deliveries of its rank or higher
 *   parked on one of its keys parks behind them, so a group's deliveries of one
 *   rank go out in the order they became ready (per-group FIFO).
 * - When the global limit does not conform nothing is judged at all: the ready
 *   queues stay as they are and one timer waits for it.
 *
 * Every operation is O(1) or O(log n); ready_pop judges at most *budget
 * deliveries per call. */
#ifndef SCHED_READY_H
#define SCHED_READY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "apost.h"
#include "limiter.h"

typedef struct ready ready;

typedef struct ready_hooks {
  /* Deliveries may have become leasable (cheap; may run often). */
  void (*wake)(void *arg);
  void *wake_arg;
  /* Delivery seq of p, judged at lease time, ends in state (EXPIRED,
   * CANCELLED or FAILED) for reason. p is borrowed. */
  void (*end)(void *arg, apost *p, uint32_t seq, int state, const char *reason);
  void *end_arg;
} ready_hooks;

/* lim is handed over: it is freed after the queues (which point into it). */
ready *ready_new(uv_loop_t *loop, limits *lim, const ready_hooks *hooks);
/* Closes the timers and frees after they closed; drops every reference held.
 * NULL is a no-op. */
void ready_close(ready *r);
limits *ready_limits(ready *r);

/* Queues pending delivery seq of p to be leased now. */
void ready_push(ready *r, apost *p, uint32_t seq);
/* Sets the next attempt of pending delivery seq to at_ms and queues it then
 * (at once if at_ms is not in the future). */
void ready_at(ready *r, apost *p, uint32_t seq, int64_t at_ms);
/* Takes the next delivery that may be leased now: its every limit conformed and
 * was taken (and its daily cap counted), so the caller must lease it. Judges
 * other deliveries on the way (parks, defers, ends them), at most *budget of
 * them in all (decremented). txn reads groups not known yet (NULL: none). On
 * true *p carries a reference the caller must drop with apost_unref. */
bool ready_pop(ready *r, qf_kv_txn *txn, apost **p, uint32_t *seq, unsigned *budget);
/* A lease counted out on k ended (limits_done): its parked deliveries may go
 * once it conforms. */
void ready_key_freed(ready *r, lkey *k);
/* An upper bound on what ready_pop may find now (queued plus due keys). */
size_t ready_count(const ready *r);
/* Per limiter tier (enum limits_tier): keys with a limit in force, and those
 * waiting to conform again (throttled, or as many leases out as the limit
 * allows). One pass over every key: for sampling, not the hot path. */
void ready_tier_counts(ready *r, int64_t keys[4], int64_t waiting[4]);
/* Deliveries parked behind keys. */
size_t ready_parked(const ready *r);

#endif
