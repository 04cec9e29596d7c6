#include "content.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "store.pb-c.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_GET_METHOD 1 /* qunfa.Store: Put, Get */
#define STORE_TIMEOUT_MS 5000
#define FETCH_MAX_IDS 1000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

typedef enum entry_state { E_UNFETCHED, E_FETCHING, E_READY } entry_state;

typedef struct entry {
  uint8_t id[QF_SHA256_LEN];
  entry_state state;
  struct entry *hnext;         /* hash chain */
  struct entry *older, *newer; /* LRU, ready entries only */
  struct entry *fnext;         /* the unfetched list */
  content_waiter *waiters;     /* while not ready */
  char *kind, *text;
  qf_sale_card *card; /* NULL for a plain message */
  size_t bytes;
} entry;

/* One Store.Get in flight and the entries it asked for, in request order. */
typedef struct fetch {
  content *c;
  size_t n;
  entry *e[];
} fetch;

struct content {
  uv_loop_t *loop;
  qf_rpc_client *store;
  const metrics *m;
  entry **buckets;
  size_t nbuckets, nentries;
  entry *newest, *oldest;
  size_t bytes, max_bytes;
  entry *unfetched;
  uv_timer_t retry;
  int64_t backoff_ms;
  bool stopped;
  bool failing; /* the last Get failed: log the next failures quietly */
};

/* ---- hash table ---- */

static size_t bucket_of(const content *c, const uint8_t id[QF_SHA256_LEN]) {
  uint64_t h;
  memcpy(&h, id, sizeof h); /* a SHA-256 is already uniform */
  return (size_t)(h & (c->nbuckets - 1));
}

static entry *lookup(const content *c, const uint8_t id[QF_SHA256_LEN]) {
  for (entry *e = c->buckets[bucket_of(c, id)]; e; e = e->hnext) {
    if (memcmp(e->id, id, QF_SHA256_LEN) == 0)
      return e;
  }
  return NULL;
}

static void grow(content *c) {
  size_t old_n = c->nbuckets;
  entry **old = c->buckets;
  c->nbuckets = old_n * 2;
  c->buckets = qf_calloc(c->nbuckets, sizeof *c->buckets);
  for (size_t i = 0; i < old_n; i++) {
    entry *e = old[i];
    while (e) {
      entry *next = e->hnext;
      size_t b = bucket_of(c, e->id);
      e->hnext = c->buckets[b];
      c->buckets[b] = e;
      e = next;
    }
  }
  free(old);
}

static entry *insert(content *c, const uint8_t id[QF_SHA256_LEN]) {
  if (c->nentries >= c->nbuckets)
    grow(c);
  entry *e = qf_calloc(1, sizeof *e);
  memcpy(e->id, id, QF_SHA256_LEN);
  size_t b = bucket_of(c, id);
  e->hnext = c->buckets[b];
  c->buckets[b] = e;
  c->nentries++;
  qf_gauge_set(c->m->cache_entries, (int64_t)c->nentries);
  return e;
}

/* ---- LRU ---- */

static void lru_unlink(content *c, entry *e) {
  if (e->older)
    e->older->newer = e->newer;
  else
    c->oldest = e->newer;
  if (e->newer)
    e->newer->older = e->older;
  else
    c->newest = e->older;
  e->older = e->newer = NULL;
}

static void lru_push(content *c, entry *e) {
  e->older = c->newest;
  e->newer = NULL;
  if (c->newest)
    c->newest->newer = e;
  else
    c->oldest = e;
  c->newest = e;
}

/* Removes e from the table (and the LRU when ready) and frees it. */
static void entry_drop(content *c, entry *e) {
  entry **pp = &c->buckets[bucket_of(c, e->id)];
  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  if (e->state == E_READY) {
    lru_unlink(c, e);
    c->bytes -= e->bytes;
    qf_gauge_set(c->m->cache_bytes, (int64_t)c->bytes);
  }
  c->nentries--;
  qf_gauge_set(c->m->cache_entries, (int64_t)c->nentries);
  free(e->kind);
  free(e->text);
  free(e->card);
  free(e);
}

static void evict(content *c) {
  while (c->bytes > c->max_bytes && c->oldest) {
    entry_drop(c, c->oldest);
    qf_counter_add(c->m->cache_evictions, 1);
  }
}

/* ---- waiters ---- */

/* Calls every waiter of e with status; a waiter may free itself when called. */
static void notify(entry *e, int status, const content_view *view) {
  content_waiter *w = e->waiters;
  e->waiters = NULL;
  while (w) {
    content_waiter *next = w->next;
    w->ready(w, status, view);
    w = next;
  }
}

/* Gives up on waiters whose deadline has passed. */
static void expire(entry *e, int64_t now_ms) {
  content_waiter **pp = &e->waiters;
  content_waiter *late = NULL;
  while (*pp) {
    content_waiter *w = *pp;
    if (w->deadline_ms <= now_ms) {
      *pp = w->next;
      w->next = late;
      late = w;
    } else {
      pp = &w->next;
    }
  }
  while (late) {
    content_waiter *next = late->next;
    late->ready(late, QF_ETIMEDOUT, NULL);
    late = next;
  }
}

/* ---- fetching ---- */

static void on_retry(uv_timer_t *t);

/* Logs a failed Get: a warning for the first of a streak, then quietly. */
static void log_get_failure(content *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void log_get_failure(content *c, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  qf_counter_add(c->m->store_errors, 1);
  qf_log(c->failing ? QF_LOG_DEBUG : QF_LOG_WARN, "store_get_failed", "%s", line);
  c->failing = true;
}

static void fetch_failed(fetch *f) {
  content *c = f->c;
  for (size_t i = 0; i < f->n; i++) {
    entry *e = f->e[i];
    e->state = E_UNFETCHED;
    e->fnext = c->unfetched;
    c->unfetched = e;
  }
  if (!uv_is_active((uv_handle_t *)&c->retry))
    uv_timer_start(&c->retry, on_retry, (uint64_t)c->backoff_ms, 0);
  c->backoff_ms =
      c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void entry_fill(content *c, entry *e, const Qunfa__Content *item) {
  e->kind = qf_strdup(item->kind ? item->kind : "");
  e->text = qf_strdup(item->text ? item->text : "");
  e->bytes = sizeof *e + strlen(e->kind) + strlen(e->text) + 2;
  if (item->sale) {
    qf_sale_card card;
    qf_sale_card_from_proto(item->sale, &card);
    e->card = qf_sale_card_copy(&card);
    e->bytes += sizeof card + strlen(card.item) + strlen(card.price) +
                strlen(card.orig_price) + strlen(card.link) + 4;
  }
  e->state = E_READY;
  lru_push(c, e);
  c->bytes += e->bytes;
  qf_gauge_set(c->m->cache_bytes, (int64_t)c->bytes);
}

static void fetch_done(fetch *f, const Qunfa__GetReply *r) {
  content *c = f->c;
  c->backoff_ms = BACKOFF_MIN_MS;
  if (c->failing)
    qf_log_info("store_get_resumed", "store=reachable");
  c->failing = false;
  for (size_t i = 0; i < f->n; i++) {
    entry *e = f->e[i];
    if (!r->found[i] || !r->items[i]) {
      notify(e, QF_ENOTFOUND, NULL);
      entry_drop(c, e);
      continue;
    }
    entry_fill(c, e, r->items[i]);
    content_view v = {.kind = e->kind, .text = e->text, .card = e->card};
    notify(e, 0, &v);
  }
  evict(c);
}

static void on_fetched(int status, const char *err, ProtobufCMessage *reply,
                       void *arg) {
  fetch *f = arg;
  content *c = f->c;
  Qunfa__GetReply *r = (Qunfa__GetReply *)reply;
  if (c->stopped) {
    /* The entries are freed with the table. */
  } else if (status != 0) {
    log_get_failure(c, "call=Store.Get ids=%zu err=%s reason=\"%s\"", f->n,
                    qf_errname(status), err ? err : "");
    fetch_failed(f);
  } else if (r->n_items != f->n || r->n_found != f->n) {
    log_get_failure(c,
                    "call=Store.Get ids=%zu items=%zu found=%zu reason=\"reply does "
                    "not match the request\"",
                    f->n, r->n_items, r->n_found);
    fetch_failed(f);
  } else {
    fetch_done(f, r);
  }
  if (reply)
    protobuf_c_message_free_unpacked(reply, NULL);
  free(f);
}

/* Sends one Get for the entries of f. */
static void fetch_start(content *c, fetch *f) {
  ProtobufCBinaryData ids[FETCH_MAX_IDS];
  for (size_t i = 0; i < f->n; i++) {
    ids[i].data = f->e[i]->id;
    ids[i].len = QF_SHA256_LEN;
    f->e[i]->state = E_FETCHING;
  }
  Qunfa__GetRequest req = QUNFA__GET_REQUEST__INIT;
  req.ids = ids;
  req.n_ids = f->n;
  qf_counter_add(c->m->store_calls, 1);
  int rc = qf_rpc_call_async(c->store, &qunfa__store__descriptor, STORE_GET_METHOD,
                             &req.base, STORE_TIMEOUT_MS, on_fetched, f);
  if (rc != 0) {
    log_get_failure(c, "call=qf_rpc_call_async err=%s", qf_errname(rc));
    fetch_failed(f);
    free(f);
  }
}

/* Takes up to FETCH_MAX_IDS entries still waited for off the unfetched list;
 * those nobody waits for any more are dropped. */
static fetch *fetch_collect(content *c) {
  fetch *f = qf_malloc(sizeof *f + FETCH_MAX_IDS * sizeof(entry *));
  f->c = c;
  f->n = 0;
  while (c->unfetched && f->n < FETCH_MAX_IDS) {
    entry *e = c->unfetched;
    c->unfetched = e->fnext;
    e->fnext = NULL;
    if (e->waiters)
      f->e[f->n++] = e;
    else
      entry_drop(c, e);
  }
  return f;
}

void content_flush(content *c) {
  while (c->unfetched && !c->stopped) {
    fetch *f = fetch_collect(c);
    if (f->n == 0) {
      free(f);
      continue;
    }
    fetch_start(c, f);
    /* A failed start put its entries back: leave them to the retry timer. */
    if (uv_is_active((uv_handle_t *)&c->retry))
      break;
  }
}

static void on_retry(uv_timer_t *t) {
  content *c = t->data;
  int64_t now_ms = qf_clock_now_ms();
  for (entry *e = c->unfetched; e; e = e->fnext)
    expire(e, now_ms);
  content_flush(c);
}

/* ---- public ---- */

int content_get(content *c, const uint8_t id[QF_SHA256_LEN], content_waiter *w,
                content_view *view) {
  entry *e = lookup(c, id);
  if (e && e->state == E_READY) {
    lru_unlink(c, e);
    lru_push(c, e);
    qf_counter_add(c->m->cache_hits, 1);
    view->kind = e->kind;
    view->text = e->text;
    view->card = e->card;
    return 1;
  }
  if (e) {
    qf_counter_add(c->m->cache_joins, 1);
  } else {
    qf_counter_add(c->m->cache_misses, 1);
    e = insert(c, id);
    e->fnext = c->unfetched;
    c->unfetched = e;
  }
  w->next = e->waiters;
  e->waiters = w;
  return 0;
}

void content_cancel_all(content *c) {
  for (size_t i = 0; i < c->nbuckets; i++) {
    for (entry *e = c->buckets[i]; e; e = e->hnext) {
      if (e->state != E_READY)
        notify(e, QF_ECANCELED, NULL);
    }
  }
}

int content_new(content **out, uv_loop_t *loop, qf_rpc_client *store, size_t max_bytes,
                const metrics *m) {
  content *c = qf_calloc(1, sizeof *c);
  c->loop = loop;
  c->store = store;
  c->m = m;
  c->max_bytes = max_bytes;
  c->nbuckets = 1024;
  c->buckets = qf_calloc(c->nbuckets, sizeof *c->buckets);
  c->backoff_ms = BACKOFF_MIN_MS;
  uv_timer_init(loop, &c->retry);
  c->retry.data = c;
  *out = c;
  return 0;
}

void content_stop(content *c) {
  if (!c || c->stopped)
    return;
  c->stopped = true;
  uv_close((uv_handle_t *)&c->retry, NULL);
}

void content_free(content *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->nbuckets; i++) {
    entry *e = c->buckets[i];
    while (e) {
      entry *next = e->hnext;
      free(e->kind);
      free(e->text);
      free(e->card);
      free(e);
      e = next;
    }
  }
  free(c->buckets);
  free(c);
}
