#include "webapi.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "apost.h"
#include "db.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "status.h"

/* Posts listed by /api/posts at most (the oldest due first). */
#define POSTS_MAX 200
/* Deliveries listed by /api/posts/<id>/deliveries at most. */
#define DELIVERIES_MAX 100000

static const char *const state_names[APOST_STATES] = {
    "pending", "leased", "delivered", "failed", "expired", "cancelled"};

static json_t *post_json(uint64_t id, int64_t due_ms, uint32_t total,
                         const uint32_t *counts, bool live) {
  char buf[24];
  snprintf(buf, sizeof buf, "%" PRIu64, id);
  json_t *o = json_pack("{s:s, s:I, s:I, s:b}", "post", buf, "due_ms",
                        (json_int_t)due_ms, "total", (json_int_t)total, "active", live);
  for (int i = 0; i < APOST_STATES; i++)
    json_object_set_new(o, state_names[i], json_integer(counts ? counts[i] : 0));
  return o;
}

/* An active post from memory (deliveries still loading count as pending), or a
 * stored one from its record (not started: all pending; done: the counts its
 * record keeps, none in a record written before it kept them). */
static json_t *one_post(sched *s, qf_kv_txn *txn, uint64_t id) {
  apost *p = active_find(s->act, id);
  if (p) {
    uint32_t c[APOST_STATES];
    memcpy(c, p->counts, sizeof c);
    c[QUNFA__DELIVERY_STATE__PENDING] += p->total - p->loaded;
    return post_json(id, p->due_ms, p->total, c, true);
  }
  Qunfa__Post *rec = NULL;
  if (db_get_post(txn, id, &rec) != 0)
    return NULL;
  uint32_t c[APOST_STATES] = {0};
  if (!rec->done)
    c[QUNFA__DELIVERY_STATE__PENDING] = rec->total;
  json_t *o = post_json(id, rec->due_ms, rec->total,
                        rec->done ? status_final_counts(rec) : c, false);
  json_object_set_new(o, "done", json_boolean(rec->done));
  qunfa__post__free_unpacked(rec, NULL);
  return o;
}

typedef struct listing {
  sched *s;
  qf_kv_txn *txn;
  json_t *arr;
} listing;

static int list_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  listing *l = arg;
  (void)val;
  if (json_array_size(l->arr) >= POSTS_MAX)
    return 1;
  json_t *o = one_post(l->s, l->txn, qf_kv_get_be64((const uint8_t *)key->data + 8));
  if (o)
    json_array_append_new(l->arr, o);
  return 0;
}

static json_t *list_posts(sched *s, qf_kv_txn *txn) {
  listing l = {s, txn, json_array()};
  qf_kv_scan(txn, DB_TIMELINE, NULL, 0, NULL, 0, list_one, &l);
  return json_pack("{s:o}", "posts", l.arr);
}

typedef struct dlist {
  const apost *p;
  json_t *groups, *states;
} dlist;

static int delivery_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  dlist *d = arg;
  uint32_t seq = qf_kv_get_be32((const uint8_t *)key->data + 8);
  if (json_array_size(d->groups) >= DELIVERIES_MAX)
    return 1;
  if (d->p && seq < d->p->loaded) {
    json_array_append_new(d->groups, json_string(apost_group(d->p, seq)));
    json_array_append_new(d->states, json_integer(d->p->d[seq].state));
    return 0;
  }
  Qunfa__Delivery *rec = qunfa__delivery__unpack(NULL, val->len, val->data);
  if (!rec)
    return QF_EPROTO;
  int st = rec->state == QUNFA__DELIVERY_STATE__LEASED ? QUNFA__DELIVERY_STATE__PENDING
                                                       : rec->state;
  json_array_append_new(d->groups, json_string(rec->group_id ? rec->group_id : ""));
  json_array_append_new(d->states, json_integer(st));
  qunfa__delivery__free_unpacked(rec, NULL);
  return 0;
}

static json_t *list_deliveries(sched *s, qf_kv_txn *txn, uint64_t id) {
  uint8_t from[DB_DELIVERY_KEY], to[DB_DELIVERY_KEY];
  json_t *post = one_post(s, txn, id);
  if (!post)
    return NULL;
  dlist d = {active_find(s->act, id), json_array(), json_array()};
  json_t *names = json_array();
  for (int i = 0; i < APOST_STATES; i++)
    json_array_append_new(names, json_string(state_names[i]));
  db_delivery_key(from, id, 0);
  db_delivery_key(to, id + 1, 0);
  qf_kv_scan(txn, DB_DELIVERIES, from, sizeof from, to, sizeof to, delivery_one, &d);
  return json_pack("{s:o, s:o, s:o, s:o}", "post", post, "state_names", names, "groups",
                   d.groups, "states", d.states);
}

/* Parses "/api/posts/<id>[/deliveries]"; 0 when it is not. */
static uint64_t post_path(const char *path, bool *deliveries) {
  const char *prefix = "/api/posts/";
  char *end;
  if (strncmp(path, prefix, strlen(prefix)) != 0)
    return 0;
  uint64_t id = strtoull(path + strlen(prefix), &end, 10);
  *deliveries = strcmp(end, "/deliveries") == 0;
  return *deliveries || *end == '\0' ? id : 0;
}

static json_t *route(sched *s, const sampler *sm, qf_kv_txn *txn, const char *path) {
  bool deliveries = false;
  uint64_t id;
  if (strcmp(path, "/api/posts") == 0)
    return list_posts(s, txn);
  if (strcmp(path, "/api/limits") == 0)
    return sampler_history_json(sm);
  if ((id = post_path(path, &deliveries)) == 0)
    return NULL;
  return deliveries ? list_deliveries(s, txn, id) : one_post(s, txn, id);
}

char *webapi_get(sched *s, const sampler *sm, const char *path, int *status) {
  qf_kv_txn *txn = NULL;
  json_t *body = NULL;
  if (s->kv == NULL || qf_kv_read_begin(s->kv, &txn) != 0) {
    *status = 503;
    return qf_strdup("{\"error\":\"the scheduler is stopping\"}");
  }
  body = route(s, sm, txn, path);
  qf_kv_read_end(txn);
  if (!body) {
    *status = 404;
    return qf_strdup("{\"error\":\"no such resource\"}");
  }
  *status = 200;
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  return text ? text : qf_strdup("{}");
}
