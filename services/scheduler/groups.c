#include "groups.h"

#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "db.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/group.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"

#define UPSERT_MAX 100000
#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* ---- UpsertGroups ---- */

typedef struct upsert {
  qf_rpc_call *call;
  uint32_t count;
} upsert;

static void on_upserted(int status, void *arg) {
  upsert *u = arg;
  if (status == 0) {
    Qunfa__UpsertGroupsReply reply = QUNFA__UPSERT_GROUPS_REPLY__INIT;
    reply.count = u->count;
    qf_counter_add(mx.groups_upserted, u->count);
    qf_rpc_reply(u->call, &reply.base);
  } else {
    qf_rpc_reply_error(u->call, status, "groups not stored: %s", qf_strerror(status));
  }
  free(u);
}

void groups_on_upsert(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__UpsertGroupsRequest *req = (const Qunfa__UpsertGroupsRequest *)msg;
  char why[300];
  qf_kv_batch *b;
  upsert *u;
  if (req->n_groups > UPSERT_MAX) {
    qf_rpc_reply_error(call, QF_ETOOBIG, "%zu groups in one request; at most %d",
                       req->n_groups, UPSERT_MAX);
    return;
  }
  /* Validate everything before writing anything: all or nothing. */
  for (size_t i = 0; i < req->n_groups; i++) {
    if (qf_group_validate(req->groups[i], why, sizeof why) != 0) {
      qf_rpc_reply_error(call, QF_EINVAL, "group %zu (id \"%.128s\"): %s", i + 1,
                         req->groups[i]->id ? req->groups[i]->id : "", why);
      return;
    }
  }
  b = commit_batch(s->client);
  for (size_t i = 0; i < req->n_groups; i++)
    db_put_group(b, req->groups[i]);
  u = qf_malloc(sizeof(*u));
  u->call = call;
  u->count = (uint32_t)req->n_groups;
  commit_defer(s->client, on_upserted, u);
}

/* ---- ListGroups ---- */

typedef struct lister {
  Qunfa__Group **groups;
  size_t n, limit;
  bool more;
  int err;
} lister;

static int list_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  lister *l = arg;
  Qunfa__Group *g;
  (void)key;
  if (l->n == l->limit) {
    l->more = true;
    return 1;
  }
  g = qunfa__group__unpack(NULL, val->len, val->data);
  if (g == NULL) {
    l->err = QF_EPROTO;
    return 1;
  }
  l->groups[l->n++] = g;
  return 0;
}

void groups_on_list(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__ListGroupsRequest *req = (const Qunfa__ListGroupsRequest *)msg;
  Qunfa__ListGroupsReply reply = QUNFA__LIST_GROUPS_REPLY__INIT;
  lister l = {0};
  qf_kv_txn *txn = NULL;
  /* The smallest key after `after` is `after` followed by a NUL byte. */
  size_t alen = req->after ? strlen(req->after) : 0;
  char *from = qf_calloc(1, alen + 1);
  int rc;
  if (alen > 0)
    memcpy(from, req->after, alen);
  l.limit = req->limit == 0         ? LIST_DEFAULT
            : req->limit > LIST_MAX ? LIST_MAX
                                    : req->limit;
  l.groups = qf_malloc(l.limit * sizeof(*l.groups));
  if ((rc = qf_kv_read_begin(s->kv, &txn)) == 0) {
    qf_kv_scan(txn, DB_GROUPS, alen ? from : NULL, alen ? alen + 1 : 0, NULL, 0,
               list_one, &l);
    qf_kv_read_end(txn);
    rc = l.err;
  }
  if (rc != 0) {
    qf_rpc_reply_error(call, rc, "groups could not be read: %s", qf_strerror(rc));
  } else {
    reply.groups = l.groups;
    reply.n_groups = l.n;
    reply.more = l.more;
    qf_rpc_reply(call, &reply.base);
  }
  for (size_t i = 0; i < l.n; i++)
    qunfa__group__free_unpacked(l.groups[i], NULL);
  free(l.groups);
  free(from);
}

/* ---- audience source ---- */

typedef struct each_ctx {
  qf_audience_id_fn fn;
  void *arg;
} each_ctx;

static int each_visit(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  each_ctx *c = arg;
  char id[QF_GROUP_ID_MAX + 1];
  size_t n = key->len < QF_GROUP_ID_MAX ? key->len : QF_GROUP_ID_MAX;
  (void)val;
  memcpy(id, key->data, n);
  id[n] = '\0';
  return c->fn(id, c->arg);
}

static int each_group(void *src, qf_audience_id_fn fn, void *arg) {
  each_ctx c = {fn, arg};
  return qf_kv_scan(src, DB_GROUPS, NULL, 0, NULL, 0, each_visit, &c);
}

static int has_group(void *src, const char *id) {
  qf_kv_val v;
  int rc = qf_kv_get(src, DB_GROUPS, id, strlen(id), &v);
  if (rc == QF_ENOTFOUND)
    return 0;
  return rc == 0 ? 1 : rc;
}

qf_audience_source groups_source(qf_kv_txn *txn) {
  qf_audience_source src = {each_group, has_group, txn};
  return src;
}
