/* Content by id: a cache of Content items bounded by bytes, least recently used
 * first out. Ids never change meaning, so an entry never goes stale. Misses are
 * collected and fetched from the store in one Store.Get per flush; every lease
 * waiting for the same id shares that one fetch. A failed fetch is retried with
 * backoff while someone still waits for it. */
#ifndef DISPATCHER_CONTENT_H
#define DISPATCHER_CONTENT_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "metrics.h"
#include "qf/hash.h"
#include "qf/rpc.h"
#include "qf/salecard.h"

typedef struct content content;

/* An item, borrowed: valid until control returns to the loop. */
typedef struct content_view {
  const char *kind;
  const char *text;
  const qf_sale_card *card; /* a flash sale's message, or NULL */
} content_view;

typedef struct content_waiter content_waiter;
/* status 0: item found (view set); QF_ENOTFOUND: the store does not know the id;
 * QF_ETIMEDOUT: still not fetched at the waiter's deadline; QF_ECANCELED: gave up
 * (content_cancel_all). view is NULL unless status is 0. */
typedef void (*content_ready_fn)(content_waiter *w, int status,
                                 const content_view *view);

/* Embedded in the caller's object; content only links it while it waits. */
struct content_waiter {
  content_ready_fn ready;
  int64_t deadline_ms; /* wall clock: give up (QF_ETIMEDOUT) past this */
  content_waiter *next;
};

/* A cache of at most max_bytes fetching from store (borrowed, attached to loop). */
int content_new(content **out, uv_loop_t *loop, qf_rpc_client *store, size_t max_bytes,
                const metrics *m);

/* Looks id up. A hit returns 1 with *view set (borrowed until control returns to
 * the loop). Otherwise returns 0 and w (borrowed until its ready runs) is called
 * later, after a content_flush. */
int content_get(content *c, const uint8_t id[QF_SHA256_LEN], content_waiter *w,
                content_view *view);
/* Sends one Store.Get for every miss collected since the last flush. */
void content_flush(content *c);
/* Calls every waiter with QF_ECANCELED now; fetches in flight still fill the
 * cache. */
void content_cancel_all(content *c);
/* Stops timers and new fetches; callbacks of fetches in flight (cancelled when
 * the store client closes) only free. Run the loop, then content_free. */
void content_stop(content *c);
/* Frees c; NULL is a no-op. */
void content_free(content *c);

#endif
