/* The store's RPC API (service qunfa.Store in proto/store.proto):
 *   Put: up to 1024 items, each at most 1 MiB packed with a non-empty kind;
 *        answered with their ids, in order, once they are durable.
 *   Get: up to 4096 ids of 32 bytes, answered in request order with found[].
 * Bad requests are answered QF_EINVAL with a sentence naming the item. */
#ifndef STORE_API_H
#define STORE_API_H

#include "items.h"
#include "qf/rpc.h"
#include "qf/stats.h"

#define API_PUT_MAX_ITEMS 1024
#define API_GET_MAX_IDS 4096

typedef struct store_api store_api;

/* The handlers for qunfa__store__descriptor's methods, in its order, for
 * qf_rpc_server_start with arg = the store_api. its and stats are borrowed. */
store_api *store_api_new(items *its, qf_stats *stats);
void store_api_free(store_api *a);
const qf_rpc_handler_fn *store_api_handlers(void);

#endif
