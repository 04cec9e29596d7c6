#include "posts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "commit.h"
#include "db.h"
#include "groups.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/audience.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/template.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"
#include "store.pb-c.h"
#include "timeline.h"

#define TEXT_MAX (64 * 1024)

/* A CreatePost in progress: from the expanded audience to the reply. */
typedef struct creating {
  sched *s;
  qf_rpc_call *call;
  char *audience; /* canonical text */
  char **ids;     /* sorted group ids */
  size_t n, cap;
  Qunfa__Post rec;
  uint8_t content_id[32];
  const char *const *msg_ids; /* borrowed for write_post; NULL = none */
  posts_done_fn done;         /* instead of a reply: a post made by the scheduler */
  void *arg;
  const char *key; /* the request's idempotency key (borrowed), or NULL */
} creating;

static void creating_free(creating *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->ids[i]);
  free(c->ids);
  free(c->audience);
  free(c);
}

static int collect(const char *id, void *arg) {
  creating *c = arg;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 64;
    c->ids = qf_realloc(c->ids, c->cap * sizeof(*c->ids));
  }
  c->ids[c->n++] = qf_strdup(id);
  return 0;
}

/* Parses and evaluates the audience into c->ids; a sentence in why on error. */
static int expand(creating *c, const char *text, char *why, size_t len) {
  qf_audience *a = NULL;
  qf_kv_txn *txn = NULL;
  qf_audience_source src;
  int rc;
  if ((rc = qf_audience_parse(text, &a, why, len)) != 0)
    return rc;
  c->audience = qf_audience_format(a);
  if ((rc = qf_kv_read_begin(c->s->kv, &txn)) != 0) {
    snprintf(why, len, "groups could not be read: %s", qf_strerror(rc));
    goto out;
  }
  src = groups_source(txn);
  rc = qf_audience_eval(a, &src, collect, c, why, len);
  qf_kv_read_end(txn);
  if (rc == 0 && c->n == 0) {
    snprintf(why, len, "audience \"%s\" matches no group", c->audience);
    rc = QF_EINVAL;
  } else if (rc < 0 && rc != QF_EINVAL) {
    snprintf(why, len, "groups could not be read: %s", qf_strerror(rc));
  }
out:
  qf_audience_free(a);
  return rc;
}

static void on_committed(int status, void *arg) {
  creating *c = arg;
  sched *s = c->s;
  if (status != 0) {
    if (c->done)
      c->done(status, c->arg);
    else
      qf_rpc_reply_error(c->call, status, "post not stored: %s", qf_strerror(status));
    creating_free(c);
    return;
  }
  Qunfa__CreatePostReply reply = QUNFA__CREATE_POST_REPLY__INIT;
  reply.post_id = c->rec.id;
  reply.total = c->rec.total;
  if (c->done)
    c->done(0, c->arg);
  else
    qf_rpc_reply(c->call, &reply.base);
  qf_counter_add(mx.posts_created, 1);
  qf_log_info("post_created", "post=%llu total=%u due_ms=%lld",
              (unsigned long long)c->rec.id, c->rec.total, (long long)c->rec.due_ms);
  if (c->rec.due_ms <= qf_clock_now_ms())
    active_start(s->act, &c->rec);
  else
    timeline_add(s->tl, c->rec.due_ms, c->rec.id);
  creating_free(c);
}

/* Writes the post, its deliveries and its timeline entry into one batch. */
static void write_post(creating *c) {
  sched *s = c->s;
  qf_kv_batch *b = commit_batch(s->client);
  Qunfa__Delivery d = QUNFA__DELIVERY__INIT;
  c->rec.id = s->next_post_id++;
  c->rec.audience = c->audience;
  c->rec.content_id.data = c->content_id;
  c->rec.content_id.len = sizeof c->content_id;
  c->rec.created_ms = qf_clock_now_ms();
  c->rec.total = (uint32_t)c->n;
  db_put_next_post_id(b, s->next_post_id);
  db_put_post(b, &c->rec);
  for (size_t i = 0; i < c->n; i++) {
    d.group_id = c->ids[i];
    d.platform_msg_id = c->msg_ids && c->msg_ids[i] ? (char *)c->msg_ids[i] : "";
    db_put_delivery(b, c->rec.id, (uint32_t)i, &d);
  }
  db_put_timeline(b, c->rec.due_ms, c->rec.id);
  if (c->key)
    db_put_post_key(b, c->key, c->rec.id);
  commit_defer(s->client, on_committed, c);
}

static void on_stored(int status, const char *err, ProtobufCMessage *msg, void *arg) {
  creating *c = arg;
  Qunfa__PutReply *reply = (Qunfa__PutReply *)msg;
  c->s->store_calls--;
  if (status != 0) {
    qf_log_warn("store_put_failed", "err=%s", qf_errname(status));
    qf_rpc_reply_error(c->call, QF_EUNAVAIL, "content store: %s",
                       err ? err : qf_strerror(status));
    creating_free(c);
    return;
  }
  if (reply->n_ids != 1 || reply->ids[0].len != sizeof c->content_id) {
    qf_rpc_reply_error(c->call, QF_EPROTO,
                       "content store answered without a "
                       "32-byte id");
    creating_free(c);
  } else {
    memcpy(c->content_id, reply->ids[0].data, sizeof c->content_id);
    write_post(c);
  }
  protobuf_c_message_free_unpacked(msg, NULL);
}

static int put_content(creating *c, const char *text) {
  Qunfa__Content item = QUNFA__CONTENT__INIT;
  Qunfa__Content *items[1] = {&item};
  Qunfa__PutRequest req = QUNFA__PUT_REQUEST__INIT;
  int rc;
  item.kind = "post";
  item.text = (char *)text;
  req.items = items;
  req.n_items = 1;
  rc = qf_rpc_call_async(c->s->store, &qunfa__store__descriptor, 0, &req.base,
                         POSTS_STORE_TIMEOUT_MS, on_stored, c);
  if (rc == 0)
    c->s->store_calls++;
  return rc;
}

/* Priority, expiry and ignore-quiet (docs/scheduler.md, "Guards"). */
static bool check_guards(qf_rpc_call *call, const Qunfa__CreatePostRequest *req) {
  int64_t now = qf_clock_now_ms();
  Qunfa__Priority pr = req->priority;
  if (pr != QUNFA__PRIORITY__PRIORITY_NORMAL &&
      pr != QUNFA__PRIORITY__PRIORITY_URGENT && pr != QUNFA__PRIORITY__PRIORITY_LIVE &&
      pr != QUNFA__PRIORITY__PRIORITY_BULK) {
    qf_rpc_reply_error(call, QF_EINVAL, "priority: %d is not a known class", (int)pr);
    return false;
  }
  if (req->expires_ms != 0 &&
      (req->expires_ms <= now || req->expires_ms <= req->at_ms)) {
    qf_rpc_reply_error(call, QF_EINVAL,
                       "expires: %lld is not after both now and the post's time",
                       (long long)req->expires_ms);
    return false;
  }
  if (req->ignore_quiet && pr != QUNFA__PRIORITY__PRIORITY_URGENT &&
      pr != QUNFA__PRIORITY__PRIORITY_LIVE) {
    qf_rpc_reply_error(call, QF_EINVAL,
                       "ignore_quiet: only urgent and live posts may pass quiet hours");
    return false;
  }
  return true;
}

/* Answers a CreatePost whose idempotency key already made a post (a retry that
 * outlived a restart) with that post; false when the key is new. */
static bool answer_repeat(sched *s, qf_rpc_call *call, const char *key) {
  qf_kv_txn *txn = NULL;
  Qunfa__Post *p = NULL;
  uint64_t id;
  int rc = qf_kv_read_begin(s->kv, &txn);
  if (rc == 0 && (rc = db_get_post_key(txn, key, &id)) == 0)
    rc = db_get_post(txn, id, &p);
  qf_kv_read_end(txn);
  if (rc == QF_ENOTFOUND)
    return false;
  if (rc != 0) {
    qf_rpc_reply_error(call, rc, "idempotency key could not be read: %s",
                       qf_strerror(rc));
    return true;
  }
  Qunfa__CreatePostReply reply = QUNFA__CREATE_POST_REPLY__INIT;
  reply.post_id = p->id;
  reply.total = p->total;
  qf_rpc_reply(call, &reply.base);
  qf_log_info("post_repeat", "post=%llu", (unsigned long long)p->id);
  protobuf_c_message_free_unpacked(&p->base, NULL);
  return true;
}

static bool check_request(qf_rpc_call *call, const Qunfa__CreatePostRequest *req) {
  size_t n = req->text ? strlen(req->text) : 0;
  if (req->idempotency_key && strlen(req->idempotency_key) > DB_POST_KEY_MAX) {
    qf_rpc_reply_error(call, QF_EINVAL, "idempotency_key: longer than %d bytes",
                       DB_POST_KEY_MAX);
    return false;
  }
  if (n == 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "text: must not be empty");
    return false;
  }
  if (n > TEXT_MAX) {
    qf_rpc_reply_error(call, QF_ETOOBIG, "text: %zu bytes; at most %d", n, TEXT_MAX);
    return false;
  }
  char why[QF_TEMPLATE_ERROR_LEN];
  if (qf_template_check(req->text, why, sizeof why) != 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "text: %s", why);
    return false;
  }
  if (req->at_ms < 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "at: %lld is before 1970",
                       (long long)req->at_ms);
    return false;
  }
  return check_guards(call, req);
}

void posts_on_create(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__CreatePostRequest *req = (const Qunfa__CreatePostRequest *)msg;
  creating *c;
  char why[400] = "";
  int rc;
  if (s->stopping || s->store == NULL) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  if (!check_request(call, req))
    return;
  const char *key = req->idempotency_key;
  if (key && !*key)
    key = NULL;
  if (key && answer_repeat(s, call, key))
    return;
  c = qf_calloc(1, sizeof(*c));
  c->s = s;
  c->call = call;
  c->key = key; /* the request lives until the call is answered */
  qunfa__post__init(&c->rec);
  c->rec.due_ms = req->at_ms > 0 ? req->at_ms : qf_clock_now_ms();
  c->rec.priority = req->priority;
  c->rec.expires_ms = req->expires_ms;
  c->rec.ignore_quiet = req->ignore_quiet;
  if ((rc = expand(c, req->audience, why, sizeof why)) != 0) {
    qf_rpc_reply_error(call, rc, "%s", why);
    creating_free(c);
    return;
  }
  if ((rc = put_content(c, req->text)) != 0) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "content store: %s", qf_strerror(rc));
    creating_free(c);
  }
}

int posts_create_stored(sched *s, const posts_new *pn, posts_done_fn done, void *arg,
                        uint64_t *post_id, char *why, size_t len) {
  creating *c = qf_calloc(1, sizeof(*c));
  int rc;
  c->s = s;
  c->done = done;
  c->arg = arg;
  qunfa__post__init(&c->rec);
  c->rec.due_ms = pn->due_ms;
  c->rec.schedule_id = pn->schedule_id;
  c->rec.priority = (Qunfa__Priority)pn->priority;
  c->rec.expires_ms = pn->expires_ms;
  if (pn->groups != NULL) {
    c->audience = qf_strdup(pn->audience);
    for (size_t i = 0; i < pn->ngroups; i++)
      collect(pn->groups[i], c);
    c->msg_ids = pn->msg_ids;
  } else if ((rc = expand(c, pn->audience, why, len)) != 0) {
    creating_free(c);
    return rc;
  }
  memcpy(c->content_id, pn->content_id, sizeof c->content_id);
  write_post(c); /* c is the commit callback's now */
  c->msg_ids = NULL;
  *post_id = c->rec.id;
  return 0;
}
