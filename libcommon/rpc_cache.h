/* The RPC server's memory of request ids (private to rpc_server.c): the calls
 * in progress and the packed answers of recent ones, so a repeated request id
 * (REQ resends) is answered from what was already done and a handler runs once
 * per request id. Answers are kept for at most RPC_CACHE_MAX_REPLIES answers,
 * RPC_CACHE_MAX_AGE_MS and RPC_CACHE_MAX_BYTES (the newest is kept whatever its
 * size), whichever comes first. One thread only (the server's loop). */
#ifndef QF_RPC_CACHE_H
#define QF_RPC_CACHE_H
#include <stddef.h>
#include <stdint.h>

#define RPC_CACHE_MAX_REPLIES 4096
#define RPC_CACHE_MAX_AGE_MS 60000
#define RPC_CACHE_MAX_BYTES ((size_t)64 << 20)

typedef struct rpc_cache rpc_cache;

/* One request id: in progress (call set, reply NULL) or answered (reply set). */
typedef struct rpc_cache_entry {
  uint64_t id;
  void *call;     /* borrowed: the call in progress */
  uint8_t *reply; /* owned: the packed answer */
  size_t len;
  int64_t answered_ms;                   /* monotonic */
  struct rpc_cache_entry *hnext;         /* hash chain */
  struct rpc_cache_entry *older, *newer; /* age list, answered entries only */
} rpc_cache_entry;

/* Aborts on allocation failure, like the services it serves. */
rpc_cache *rpc_cache_new(void);
/* Frees every entry and its answer; calls are not touched. NULL is a no-op. */
void rpc_cache_free(rpc_cache *c);

/* The entry of id after dropping answers past their time (now_ms, monotonic),
 * or NULL. */
rpc_cache_entry *rpc_cache_find(rpc_cache *c, uint64_t id, int64_t now_ms);
/* Records id as in progress by call (id must not be present). */
void rpc_cache_add(rpc_cache *c, uint64_t id, void *call);
/* Turns the in-progress entry e into an answered one at now_ms; e takes reply
 * (malloc'd, len bytes). Older answers beyond the bounds are dropped. */
void rpc_cache_answer(rpc_cache *c, rpc_cache_entry *e, uint8_t *reply, size_t len,
                      int64_t now_ms);

#endif
