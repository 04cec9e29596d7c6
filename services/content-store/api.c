#include "api.h"

#include "content.h"
#include "store.pb-c.h"

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"

#include <stdlib.h>
#include <string.h>

#define WHY_MAX 256

struct store_api {
  items *its;
  qf_counter *puts, *gets, *put_items, *get_items;
};

/* A Put waiting for its commit: the ids to answer with. */
typedef struct put_call {
  store_api *api;
  qf_rpc_call *call;
  size_t n;
  uint8_t (*ids)[QF_SHA256_LEN];
} put_call;

store_api *store_api_new(items *its, qf_stats *stats) {
  store_api *a = qf_calloc(1, sizeof *a);
  a->its = its;
  a->puts = qf_stats_counter(stats, "puts");
  a->gets = qf_stats_counter(stats, "gets");
  a->put_items = qf_stats_counter(stats, "put_items");
  a->get_items = qf_stats_counter(stats, "get_items");
  qf_stats_rate(stats, "gets_per_s", a->gets);
  qf_stats_rate(stats, "get_items_per_s", a->get_items);
  return a;
}

void store_api_free(store_api *a) {
  free(a);
}

static int check_put(const Qunfa__PutRequest *req, char *why, size_t len) {
  if (req->n_items > API_PUT_MAX_ITEMS) {
    snprintf(why, len, "a Put carries at most %d items; this one has %zu",
             API_PUT_MAX_ITEMS, req->n_items);
    return QF_EINVAL;
  }
  for (size_t i = 0; i < req->n_items; i++)
    if (content_check(req->items[i], i, why, len) != 0)
      return QF_EINVAL;
  return 0;
}

static void put_done(int status, void *arg) {
  put_call *pc = arg;
  if (status != 0) {
    qf_rpc_reply_error(pc->call, status, "the items could not be stored: %s",
                       qf_strerror(status));
  } else {
    ProtobufCBinaryData *ids = qf_calloc(pc->n ? pc->n : 1, sizeof *ids);
    for (size_t i = 0; i < pc->n; i++)
      ids[i] = (ProtobufCBinaryData){QF_SHA256_LEN, pc->ids[i]};
    Qunfa__PutReply reply = QUNFA__PUT_REPLY__INIT;
    reply.n_ids = pc->n;
    reply.ids = ids;
    qf_rpc_reply(pc->call, &reply.base);
    qf_counter_add(pc->api->puts, 1);
    free(ids);
  }
  free(pc->ids);
  free(pc);
}

/* Packs the items, stages them, and leaves the answer to put_done. */
static void put_items(store_api *a, qf_rpc_call *call, const Qunfa__PutRequest *req) {
  size_t n = req->n_items;
  put_call *pc = qf_calloc(1, sizeof *pc);
  *pc = (put_call){a, call, n, qf_calloc(n ? n : 1, QF_SHA256_LEN)};
  items_new_item *v = qf_calloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; i < n; i++) {
    uint8_t *bytes;
    content_pack(req->items[i], &bytes, &v[i].len, pc->ids[i]);
    v[i].id = pc->ids[i];
    v[i].bytes = bytes;
  }
  int rc = items_put(a->its, v, n, put_done, pc);
  for (size_t i = 0; i < n; i++)
    free((void *)v[i].bytes); /* the batch holds copies */
  free(v);
  qf_counter_add(a->put_items, n);
  if (rc != 0) {
    qf_rpc_reply_error(call, rc, "the store could not be read: %s", qf_strerror(rc));
    free(pc->ids);
    free(pc);
  }
}

static void on_put(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  const Qunfa__PutRequest *req = (const Qunfa__PutRequest *)msg;
  char why[WHY_MAX];
  if (check_put(req, why, sizeof why) != 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "%s", why);
    return;
  }
  put_items(arg, call, req);
}

/* A Get being answered: one slot per requested id. */
typedef struct get_reply {
  Qunfa__Content **items;
  Qunfa__Content *empty; /* the slots of unknown ids */
  protobuf_c_boolean *found;
  int corrupt; /* index + 1 of an item that did not unpack */
} get_reply;

static void visit_item(size_t i, const void *bytes, size_t len, void *arg) {
  get_reply *g = arg;
  g->items[i] = &g->empty[i];
  if (!bytes)
    return;
  Qunfa__Content *c = qunfa__content__unpack(NULL, len, bytes);
  if (!c) {
    if (!g->corrupt)
      g->corrupt = (int)i + 1;
    return;
  }
  g->items[i] = c;
  g->found[i] = 1;
}

static int check_get(const Qunfa__GetRequest *req, char *why, size_t len) {
  if (req->n_ids > API_GET_MAX_IDS) {
    snprintf(why, len, "a Get asks for at most %d ids; this one has %zu",
             API_GET_MAX_IDS, req->n_ids);
    return QF_EINVAL;
  }
  for (size_t i = 0; i < req->n_ids; i++) {
    if (req->ids[i].len != QF_SHA256_LEN) {
      snprintf(why, len, "id %zu is %zu bytes, not %d", i, req->ids[i].len,
               QF_SHA256_LEN);
      return QF_EINVAL;
    }
  }
  return 0;
}

static void reply_get(qf_rpc_call *call, const get_reply *g, size_t n, int rc) {
  if (rc != 0) {
    qf_rpc_reply_error(call, rc, "the store could not be read: %s", qf_strerror(rc));
  } else if (g->corrupt) {
    qf_log_error("item_corrupt", "call=qunfa__content__unpack index=%d",
                 g->corrupt - 1);
    qf_rpc_reply_error(call, QF_EINTERNAL, "item %d is stored corrupt", g->corrupt - 1);
  } else {
    Qunfa__GetReply reply = QUNFA__GET_REPLY__INIT;
    reply.n_items = reply.n_found = n;
    reply.items = g->items;
    reply.found = g->found;
    qf_rpc_reply(call, &reply.base);
  }
}

static void on_get(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  store_api *a = arg;
  const Qunfa__GetRequest *req = (const Qunfa__GetRequest *)msg;
  char why[WHY_MAX];
  if (check_get(req, why, sizeof why) != 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "%s", why);
    return;
  }
  size_t n = req->n_ids, slots = n ? n : 1;
  get_reply g = {qf_calloc(slots, sizeof *g.items), qf_calloc(slots, sizeof *g.empty),
                 qf_calloc(slots, sizeof *g.found), 0};
  const uint8_t **ids = qf_calloc(slots, sizeof *ids);
  for (size_t i = 0; i < n; i++) {
    ids[i] = req->ids[i].data;
    qunfa__content__init(&g.empty[i]);
  }
  int rc = items_get(a->its, ids, n, visit_item, &g);
  reply_get(call, &g, n, rc);
  qf_counter_add(a->gets, 1);
  qf_counter_add(a->get_items, n);
  for (size_t i = 0; i < n; i++)
    if (g.found[i])
      qunfa__content__free_unpacked(g.items[i], NULL);
  free(ids);
  free(g.items);
  free(g.empty);
  free(g.found);
}

/* In the order of the methods of service Store. */
const qf_rpc_handler_fn *store_api_handlers(void) {
  static qf_rpc_handler_fn handlers[2];
  const ProtobufCServiceDescriptor *d = &qunfa__store__descriptor;
  const ProtobufCMethodDescriptor *put =
      protobuf_c_service_descriptor_get_method_by_name(d, "Put");
  const ProtobufCMethodDescriptor *get =
      protobuf_c_service_descriptor_get_method_by_name(d, "Get");
  handlers[put - d->methods] = on_put;
  handlers[get - d->methods] = on_get;
  return handlers;
}
