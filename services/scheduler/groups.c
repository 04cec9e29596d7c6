#include "groups.h"

#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "db.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/group.h"
#include "qf/log.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"
#include "tags.h"

#define UPSERT_MAX 100000
#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* ---- UpsertGroups ---- */

/* Upserts are written one commit at a time: the tag index changes of a group are
 * computed from its stored record, which must include every earlier upsert. */
typedef struct upsert {
  upserts *u;
  qf_rpc_call *call;
  const Qunfa__UpsertGroupsRequest *req; /* borrowed until the call is answered */
  struct upsert *next;
} upsert;

struct upserts {
  sched *s;
  upsert *head, *tail; /* waiting for the commit in flight */
  bool writing;
};

upserts *groups_new(sched *s) {
  upserts *u = qf_calloc(1, sizeof(*u));
  u->s = s;
  return u;
}

void groups_free(upserts *u) {
  if (u == NULL)
    return;
  while (u->head != NULL) {
    upsert *q = u->head;
    u->head = q->next;
    qf_rpc_reply_error(q->call, QF_EUNAVAIL, "the scheduler is shutting down");
    free(q);
  }
  free(u);
}

static int cmp_by_id(const void *a, const void *b, void *arg) {
  Qunfa__Group *const *g = arg;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int c = strcmp(g[i]->id, g[j]->id);
  return c != 0 ? c : (i > j) - (i < j);
}

/* The indices of req's groups to write: the last of each id (a request naming a
 * group twice means its last version, as one write after the other would). */
static size_t last_of_each(const Qunfa__UpsertGroupsRequest *req, size_t *idx) {
  size_t n = 0;
  for (size_t i = 0; i < req->n_groups; i++)
    idx[i] = i;
  qsort_r(idx, req->n_groups, sizeof *idx, cmp_by_id, req->groups);
  for (size_t i = 0; i < req->n_groups; i++) {
    if (i + 1 < req->n_groups &&
        strcmp(req->groups[idx[i]]->id, req->groups[idx[i + 1]]->id) == 0)
      continue;
    idx[n++] = idx[i];
  }
  return n;
}

static void on_upserted(int status, void *arg);

/* Reads the stored versions of the groups idx[0..n) of req into old (NULL where
 * new). Returns 0 or the read error. */
static int read_old(upserts *u, const Qunfa__UpsertGroupsRequest *req,
                    const size_t *idx, size_t n, Qunfa__Group **old) {
  qf_kv_txn *txn = NULL;
  int rc = qf_kv_read_begin(u->s->kv, &txn);
  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = db_get_group(txn, req->groups[idx[i]]->id, &old[i]);
    if (rc == QF_ENOTFOUND)
      rc = 0;
  }
  qf_kv_read_end(txn);
  return rc;
}

/* Writes the groups of q and their tag index changes into the client batch, or
 * answers q with the error that prevented it. */
static void write_upsert(upserts *u, upsert *q) {
  const Qunfa__UpsertGroupsRequest *req = q->req;
  size_t *idx = qf_malloc((req->n_groups + 1) * sizeof *idx);
  size_t n = last_of_each(req, idx);
  Qunfa__Group **old = qf_calloc(n + 1, sizeof *old);
  int rc = read_old(u, req, idx, n, old);
  if (rc == 0) {
    qf_kv_batch *b = commit_batch(u->s->client);
    for (size_t i = 0; i < n; i++) {
      tags_update(b, old[i], req->groups[idx[i]]);
      db_put_group(b, req->groups[idx[i]]);
    }
  }
  for (size_t i = 0; i < n; i++)
    if (old[i] != NULL)
      qunfa__group__free_unpacked(old[i], NULL);
  free(old);
  free(idx);
  u->writing = true;
  if (rc == 0) {
    commit_defer(u->s->client, on_upserted, q);
  } else {
    qf_log_error("upsert_read_failed", "err=%s", qf_errname(rc));
    on_upserted(rc, q);
  }
}

static void on_upserted(int status, void *arg) {
  upsert *q = arg;
  upserts *u = q->u;
  if (status == 0) {
    Qunfa__UpsertGroupsReply reply = QUNFA__UPSERT_GROUPS_REPLY__INIT;
    reply.count = (uint32_t)q->req->n_groups;
    u->s->groups_gen++; /* the limiter reads changed groups again */
    qf_counter_add(mx.groups_upserted, reply.count);
    qf_rpc_reply(q->call, &reply.base);
  } else {
    qf_rpc_reply_error(q->call, status, "groups not stored: %s", qf_strerror(status));
  }
  free(q);
  u->writing = false;
  while ((q = u->head) != NULL) {
    u->head = q->next;
    if (u->head == NULL)
      u->tail = NULL;
    if (status == 0) {
      write_upsert(u, q); /* the next commit: this one is done */
      return;
    }
    /* A failed or closed commit stream: the waiting upserts fail alike. */
    qf_rpc_reply_error(q->call, status, "groups not stored: %s", qf_strerror(status));
    free(q);
  }
}

void groups_on_upsert(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__UpsertGroupsRequest *req = (const Qunfa__UpsertGroupsRequest *)msg;
  char why[300];
  upsert *q;
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
  q = qf_calloc(1, sizeof(*q));
  q->u = s->ups;
  q->call = call;
  q->req = req;
  if (s->ups->writing) {
    if (s->ups->tail)
      s->ups->tail->next = q;
    else
      s->ups->head = q;
    s->ups->tail = q;
    return;
  }
  write_upsert(s->ups, q);
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

static int each_tagged(void *src, const char *tag, qf_audience_id_fn fn, void *arg) {
  return tags_each(src, tag, fn, arg);
}

qf_audience_source groups_source(qf_kv_txn *txn) {
  qf_audience_source src = {each_group, has_group, txn, each_tagged};
  return src;
}
