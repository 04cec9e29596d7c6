/* Lease expiry. lease-ms is the same for every lease, so leases expire in the
 * order they were issued: a FIFO and one timer at its head. An entry whose lease
 * was answered meanwhile is skipped when it reaches the head. */
#ifndef SCHED_LEASES_H
#define SCHED_LEASES_H
#include <stdint.h>

#include "apost.h"
#include "scheduler.h"

typedef struct leases leases;

leases *leases_new(sched *s);
/* Drops every entry; closes the timer and frees after it closed. NULL no-op. */
void leases_close(leases *l);
/* Watches lease lease_id of delivery seq of p (takes a reference on p). */
void leases_add(leases *l, apost *p, uint32_t seq, uint64_t lease_id,
                int64_t deadline_ms);

/* The latest deadline among leases still out, or 0 when none is. */
int64_t leases_latest(const leases *l);

#endif
