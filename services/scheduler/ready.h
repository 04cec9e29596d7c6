/* Deliveries waiting to be leased. Each active post has a FIFO of ready
 * sequence numbers; posts with ready deliveries form a ring served round-robin,
 * so a 100,000-group post does not hold back a 10-group one. Deliveries whose
 * next attempt is in the future wait in a min-heap with one timer at its
 * earliest entry. Every operation is O(1) or O(log n). */
#ifndef SCHED_READY_H
#define SCHED_READY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "apost.h"

typedef struct ready ready;

/* wake(arg) runs whenever deliveries became ready (it should be cheap and may
 * run often). */
ready *ready_new(uv_loop_t *loop, void (*wake)(void *), void *arg);
/* Closes the timer and frees after it closed; drops every reference held.
 * NULL is a no-op. */
void ready_close(ready *r);

/* Queues pending delivery seq of p to be leased now. */
void ready_push(ready *r, apost *p, uint32_t seq);
/* Sets the next attempt of pending delivery seq to at_ms and queues it then
 * (at once if at_ms is not in the future). */
void ready_at(ready *r, apost *p, uint32_t seq, int64_t at_ms);
/* Takes the next ready delivery, round-robin over posts. On true *p carries a
 * reference the caller must drop with apost_unref. */
bool ready_pop(ready *r, apost **p, uint32_t *seq);
/* Entries queued now (an upper bound on what ready_pop can yield). */
size_t ready_count(const ready *r);

#endif
