/* The table of active posts (due and not done) by id, their loading from LMDB in
 * chunks per loop turn, and their retirement once every delivery is final. */
#ifndef SCHED_ACTIVE_H
#define SCHED_ACTIVE_H
#include <stddef.h>
#include <stdint.h>

#include "apost.h"
#include "model.pb-c.h"
#include "scheduler.h"

typedef struct active active;

active *active_new(sched *s);
/* Drops every post; closes the loader and frees after it closed. NULL no-op. */
void active_close(active *a);

/* The active post with this id (borrowed), or NULL. */
apost *active_find(active *a, uint64_t id);
/* Makes the post of rec (borrowed) active: its deliveries are loaded over the
 * next loop turns and the pending ones queued. No-op if it is active already. */
void active_start(active *a, const Qunfa__Post *rec);
/* Call when p may have become complete: if every delivery is final, marks the
 * post done (work stream) and drops it from memory once that is durable. */
void active_check_done(active *a, apost *p);
size_t active_count(const active *a);

#endif
