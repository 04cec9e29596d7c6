#include "rpc_cache.h"

#include "qf/alloc.h"

#include <stdlib.h>

#define BUCKETS 8192 /* a power of two, twice RPC_CACHE_MAX_REPLIES */

struct rpc_cache {
  rpc_cache_entry *buckets[BUCKETS];
  rpc_cache_entry *oldest, *newest; /* answered entries, by answer time */
  size_t n_answered, bytes;
};

static rpc_cache_entry **bucket(rpc_cache *c, uint64_t id) {
  id ^= id >> 33; /* murmur3 finaliser: ids are a random base plus a counter */
  id *= 0xff51afd7ed558ccdULL;
  id ^= id >> 33;
  return &c->buckets[id & (BUCKETS - 1)];
}

rpc_cache *rpc_cache_new(void) {
  return qf_calloc(1, sizeof(rpc_cache));
}

static void unlink_answered(rpc_cache *c, rpc_cache_entry *e) {
  if (e->older)
    e->older->newer = e->newer;
  else
    c->oldest = e->newer;
  if (e->newer)
    e->newer->older = e->older;
  else
    c->newest = e->older;
  c->n_answered--;
  c->bytes -= e->len;
}

static void remove_entry(rpc_cache *c, rpc_cache_entry *e) {
  rpc_cache_entry **p = bucket(c, e->id);
  while (*p != e)
    p = &(*p)->hnext;
  *p = e->hnext;
  if (e->reply) {
    unlink_answered(c, e);
    free(e->reply);
  }
  free(e);
}

static void evict(rpc_cache *c, int64_t now_ms) {
  rpc_cache_entry *e;
  while ((e = c->oldest) != NULL &&
         (c->n_answered > RPC_CACHE_MAX_REPLIES ||
          now_ms - e->answered_ms > RPC_CACHE_MAX_AGE_MS ||
          (c->bytes > RPC_CACHE_MAX_BYTES && e != c->newest)))
    remove_entry(c, e);
}

void rpc_cache_free(rpc_cache *c) {
  if (!c)
    return;
  for (unsigned i = 0; i < BUCKETS; i++)
    while (c->buckets[i])
      remove_entry(c, c->buckets[i]);
  free(c);
}

rpc_cache_entry *rpc_cache_find(rpc_cache *c, uint64_t id, int64_t now_ms) {
  evict(c, now_ms);
  rpc_cache_entry *e = *bucket(c, id);
  while (e && e->id != id)
    e = e->hnext;
  return e;
}

void rpc_cache_add(rpc_cache *c, uint64_t id, void *call) {
  rpc_cache_entry **b = bucket(c, id);
  rpc_cache_entry *e = qf_calloc(1, sizeof *e);
  e->id = id;
  e->call = call;
  e->hnext = *b;
  *b = e;
}

void rpc_cache_answer(rpc_cache *c, rpc_cache_entry *e, uint8_t *reply, size_t len,
                      int64_t now_ms) {
  e->call = NULL;
  e->reply = reply;
  e->len = len;
  e->answered_ms = now_ms;
  e->older = c->newest;
  e->newer = NULL;
  if (c->newest)
    c->newest->newer = e;
  else
    c->oldest = e;
  c->newest = e;
  c->n_answered++;
  c->bytes += len;
  evict(c, now_ms);
}
