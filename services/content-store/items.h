/* The item set: content-addressed, immutable items in the LMDB database "items"
 * (32-byte id -> canonical bytes), written by group commit.
 *
 * items_put stages the items not stored yet and registers a completion; once
 * per loop turn (uv_check, and uv_prepare for work staged outside the I/O
 * phase) the staged items are committed in one durable transaction and then
 * every completion of that turn runs with the commit's status. So a Put is
 * acknowledged only after its items are on disk, and an id is written once
 * however often and however concurrently it is put. Loop thread only. */
#ifndef STORE_ITEMS_H
#define STORE_ITEMS_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "qf/hash.h"
#include "qf/stats.h"

typedef struct items items;

/* Completion of a put: status 0 (durable) or the commit's qf error. */
typedef void (*items_done_fn)(int status, void *arg);
/* One item of a get: bytes is NULL when the id is unknown; borrowed, valid
 * during the call only. */
typedef void (*items_visit_fn)(size_t i, const void *bytes, size_t len, void *arg);

typedef struct items_new_item {
  const uint8_t *id; /* QF_SHA256_LEN bytes */
  const void *bytes;
  size_t len;
} items_new_item;

/* Opens (creating) the environment in dir, counts what it holds and starts the
 * per-turn commit on loop. stats (borrowed, outlives it) gets the gauges items
 * and bytes and the counter commits. QF_EIO, logged, when dir is unusable. */
int items_open(items **out, uv_loop_t *loop, const char *dir, qf_stats *stats);
/* Stages v[0..n) (copied) except ids already stored or staged; done(arg) runs
 * after this turn's commit. An error (logged) is returned at once, and then done
 * never runs. */
int items_put(items *it, const items_new_item *v, size_t n, items_done_fn done,
              void *arg);
/* Looks ids[0..n) up in one read transaction, calling visit in order. */
int items_get(items *it, const uint8_t *const *ids, size_t n, items_visit_fn visit,
              void *arg);
/* Commits what is staged now and runs the waiting completions. */
int items_flush(items *it);
/* Flushes, stops the per-turn commit and closes; the memory and the environment
 * are released once the loop has closed the handles. NULL is a no-op. */
void items_close(items *it);

#endif
