/* Group commit: every write of one loop turn goes into one batch, committed from
 * a uv_prepare_t (before the loop sleeps) and a uv_check_t (after it woke and ran
 * the handlers), then the calls waiting on that commit are answered. One fsync
 * for many changes. */
#ifndef SCHED_COMMIT_H
#define SCHED_COMMIT_H
#include <stdbool.h>
#include <uv.h>

#include "qf/kv.h"

typedef struct commit commit;

/* Runs once, after the commit holding everything written before commit_defer was
 * called: status 0 (durable) or the commit's negative qf error. */
typedef void (*commit_done_fn)(int status, void *arg);

/* name labels logs. keep_on_error: after a failed commit keep the batch and retry
 * it (after a short pause), else drop it. */
commit *commit_new(uv_loop_t *loop, qf_kv *kv, const char *name, bool keep_on_error);
/* The batch of the current turn (borrowed). */
qf_kv_batch *commit_batch(commit *c);
void commit_defer(commit *c, commit_done_fn fn, void *arg);
/* Commits now if anything waits; returns the status. */
int commit_flush(commit *c);
/* Closes the handles; frees once they are closed. Unflushed writes are lost:
 * flush first. NULL is a no-op. */
void commit_close(commit *c);

#endif
