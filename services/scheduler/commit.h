/* Group commit: every write of one loop turn goes into one batch per stream.
 * Before the loop sleeps (uv_prepare_t) and after it woke and ran the handlers
 * (uv_check_t), the batches of every stream on the same environment are handed,
 * as one round, to a writer thread, which commits them in order (one write
 * transaction and fsync each) and posts the completion back with a uv_async_t.
 * Meanwhile the loop fills the next batches; the next round leaves when the
 * completion has been processed, so one round is in flight at a time.
 *
 * On the loop, the calls waiting on a batch run after it is durable, in the
 * order they were deferred. The loop reads a pinned snapshot (qf_kv_pin) that is
 * moved forward just before those calls run, so nothing on the loop sees a batch
 * before its completion. A full map is grown on the loop between rounds (writer
 * idle, pin dropped) and the batch replayed. */
#ifndef SCHED_COMMIT_H
#define SCHED_COMMIT_H
#include <stdbool.h>
#include <uv.h>

#include "qf/kv.h"

typedef struct commit commit;

/* Runs once, on the loop, after the commit holding everything written before
 * commit_defer was called: status 0 (durable) or the commit's negative qf
 * error. */
typedef void (*commit_done_fn)(int status, void *arg);

/* A stream of batches on kv, committed by the writer thread shared by every
 * stream of this (loop, kv), in the order the streams were created. Call on the
 * loop's thread. name labels logs. keep_on_error: after a failed commit keep the
 * batch and retry it (after a short pause), else drop it. */
commit *commit_new(uv_loop_t *loop, qf_kv *kv, const char *name, bool keep_on_error);
/* The batch of the current turn (borrowed). */
qf_kv_batch *commit_batch(commit *c);
void commit_defer(commit *c, commit_done_fn fn, void *arg);
/* Waits for the round in flight, then commits this stream's batch now, on the
 * calling (loop) thread, and answers its waiters; returns the status. */
int commit_flush(commit *c);
/* Waits for the round in flight (its waiters are answered), answers the
 * remaining waiters with QF_ECLOSED, closes the handles and frees once they are
 * closed; the last stream of a writer joins its thread. Unflushed writes are
 * lost: flush first. NULL is a no-op. */
void commit_close(commit *c);

#endif
