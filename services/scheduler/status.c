#include "status.h"

#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "apost.h"
#include "db.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"

#define LIST_DEFAULT 1000
#define LIST_MAX 10000

/* ---- PostStatus ---- */

typedef struct counter {
  uint32_t counts[APOST_STATES];
  int err;
} counter;

static int count_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  counter *c = arg;
  Qunfa__Delivery *d = qunfa__delivery__unpack(NULL, val->len, val->data);
  (void)key;
  if (d == NULL) {
    c->err = QF_EPROTO;
    return 1;
  }
  /* A lease is never stored: anything not final on disk is pending. */
  c->counts[d->state >= 0 && d->state < APOST_STATES &&
                    d->state != QUNFA__DELIVERY_STATE__LEASED
                ? d->state
                : QUNFA__DELIVERY_STATE__PENDING]++;
  qunfa__delivery__free_unpacked(d, NULL);
  return 0;
}

/* Counts the stored deliveries of post from seq on. */
static int count_stored(qf_kv_txn *txn, uint64_t post, uint32_t seq, counter *c) {
  uint8_t from[DB_DELIVERY_KEY], to[DB_DELIVERY_KEY];
  int rc;
  db_delivery_key(from, post, seq);
  db_delivery_key(to, post + 1, 0);
  rc = qf_kv_scan(txn, DB_DELIVERIES, from, sizeof from, to, sizeof to, count_one, c);
  return rc < 0 ? rc : c->err;
}

const uint32_t *status_final_counts(const Qunfa__Post *rec) {
  return rec->done && rec->n_final_counts == APOST_STATES ? rec->final_counts : NULL;
}

int status_stored_counts(qf_kv_txn *txn, const Qunfa__Post *rec,
                         uint32_t counts[APOST_STATES]) {
  const uint32_t *final = status_final_counts(rec);
  counter c = {{0}, 0};
  int rc = 0;
  if (final != NULL)
    memcpy(c.counts, final, sizeof c.counts);
  else
    rc = count_stored(txn, rec->id, 0, &c);
  memcpy(counts, c.counts, sizeof c.counts);
  return rc;
}

static void fill_status(Qunfa__PostStatusReply *r, const uint32_t *counts) {
  r->pending = counts[QUNFA__DELIVERY_STATE__PENDING];
  r->leased = counts[QUNFA__DELIVERY_STATE__LEASED];
  r->delivered = counts[QUNFA__DELIVERY_STATE__DELIVERED];
  r->failed = counts[QUNFA__DELIVERY_STATE__FAILED];
  r->expired = counts[QUNFA__DELIVERY_STATE__EXPIRED];
  r->cancelled = counts[QUNFA__DELIVERY_STATE__CANCELLED];
}

void status_on_post(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__PostRef *req = (const Qunfa__PostRef *)msg;
  Qunfa__PostStatusReply reply = QUNFA__POST_STATUS_REPLY__INIT;
  Qunfa__Post *rec = NULL;
  apost *p = active_find(s->act, req->post_id);
  counter c = {{0}, 0};
  qf_kv_txn *txn = NULL;
  int rc;
  if ((rc = qf_kv_read_begin(s->kv, &txn)) != 0)
    goto out;
  if (p != NULL) {
    /* Loaded deliveries from memory, the rest (still loading) from disk. */
    rc = count_stored(txn, p->id, p->loaded, &c);
    for (int i = 0; i < APOST_STATES; i++)
      c.counts[i] += p->counts[i];
    reply.total = p->total;
    reply.due_ms = p->due_ms;
  } else if ((rc = db_get_post(txn, req->post_id, &rec)) == 0) {
    rc = status_stored_counts(txn, rec, c.counts);
    reply.total = rec->total;
    reply.due_ms = rec->due_ms;
  }
out:
  qf_kv_read_end(txn);
  if (rc == QF_ENOTFOUND) {
    qf_rpc_reply_error(call, rc, "post %llu not found",
                       (unsigned long long)req->post_id);
  } else if (rc != 0) {
    qf_rpc_reply_error(call, rc, "post %llu could not be read: %s",
                       (unsigned long long)req->post_id, qf_strerror(rc));
  } else {
    reply.post_id = req->post_id;
    fill_status(&reply, c.counts);
    qf_rpc_reply(call, &reply.base);
  }
  if (rec != NULL)
    qunfa__post__free_unpacked(rec, NULL);
}

/* ---- ListDeliveries ---- */

typedef struct page {
  const apost *p; /* active post or NULL */
  Qunfa__DeliveryInfo *infos;
  Qunfa__DeliveryInfo **ptrs;
  Qunfa__Delivery **recs; /* unpacked records the infos borrow from */
  size_t n, nrecs, limit;
  uint32_t next_seq;
  bool more;
  int err;
} page;

static int page_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  page *pg = arg;
  uint32_t seq = qf_kv_get_be32((const uint8_t *)key->data + 8);
  Qunfa__DeliveryInfo *info = &pg->infos[pg->n];
  Qunfa__Delivery *d;
  if (pg->n == pg->limit) {
    pg->more = true;
    return 1;
  }
  qunfa__delivery_info__init(info);
  pg->ptrs[pg->n++] = info;
  pg->next_seq = seq + 1;
  if (pg->p != NULL && seq < pg->p->loaded) {
    apost_info(pg->p, seq, info);
    return 0;
  }
  if ((d = qunfa__delivery__unpack(NULL, val->len, val->data)) == NULL) {
    pg->err = QF_EPROTO;
    return 1;
  }
  pg->recs[pg->nrecs++] = d;
  info->group_id = d->group_id;
  info->state = d->state == QUNFA__DELIVERY_STATE__LEASED
                    ? QUNFA__DELIVERY_STATE__PENDING
                    : d->state;
  info->attempts = d->attempts;
  info->last_error = d->last_error;
  info->delivered_at_ms = d->delivered_at_ms;
  return 0;
}

static void page_free(page *pg) {
  for (size_t i = 0; i < pg->nrecs; i++)
    qunfa__delivery__free_unpacked(pg->recs[i], NULL);
  free(pg->infos);
  free(pg->ptrs);
  free(pg->recs);
}

/* after_seq is where the page starts: the number of deliveries already seen, as
 * returned in next_seq. */
void status_on_deliveries(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__ListDeliveriesRequest *req = (const Qunfa__ListDeliveriesRequest *)msg;
  Qunfa__ListDeliveriesReply reply = QUNFA__LIST_DELIVERIES_REPLY__INIT;
  uint8_t from[DB_DELIVERY_KEY], to[DB_DELIVERY_KEY];
  page pg = {0};
  qf_kv_txn *txn = NULL;
  qf_kv_val v;
  uint8_t pk[DB_POST_KEY];
  int rc;
  pg.limit = req->limit == 0         ? LIST_DEFAULT
             : req->limit > LIST_MAX ? LIST_MAX
                                     : req->limit;
  pg.infos = qf_malloc(pg.limit * sizeof(*pg.infos));
  pg.ptrs = qf_malloc(pg.limit * sizeof(*pg.ptrs));
  pg.recs = qf_malloc(pg.limit * sizeof(*pg.recs));
  pg.p = active_find(s->act, req->post_id);
  pg.next_seq = req->after_seq;
  qf_kv_put_be64(pk, req->post_id);
  if ((rc = qf_kv_read_begin(s->kv, &txn)) == 0) {
    rc = qf_kv_get(txn, DB_POSTS, pk, sizeof pk, &v);
    db_delivery_key(from, req->post_id, req->after_seq);
    db_delivery_key(to, req->post_id + 1, 0);
    if (rc == 0)
      rc = qf_kv_scan(txn, DB_DELIVERIES, from, sizeof from, to, sizeof to, page_one,
                      &pg);
    rc = rc < 0 ? rc : pg.err;
    qf_kv_read_end(txn);
  }
  if (rc == QF_ENOTFOUND) {
    qf_rpc_reply_error(call, rc, "post %llu not found",
                       (unsigned long long)req->post_id);
  } else if (rc != 0) {
    qf_rpc_reply_error(call, rc, "deliveries could not be read: %s", qf_strerror(rc));
  } else {
    reply.deliveries = pg.ptrs;
    reply.n_deliveries = pg.n;
    reply.more = pg.more;
    reply.next_seq = pg.next_seq;
    qf_rpc_reply(call, &reply.base);
  }
  page_free(&pg);
}
