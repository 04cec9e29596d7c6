#include "sale.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "commit.h"
#include "contents.h"
#include "db.h"
#include "outcome.h"
#include "posts.h"
#include "qf/alloc.h"
#include "qf/audience.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/salecard.h"
#include "qf/template.h"
#include "scheduler.pb-c.h"
#include "settle.h"

#define REMIND_MAX 8
#define REMIND_MAX_MS (30LL * 86400000)
#define ITEM_MAX 512
#define LINK_MAX 2048
#define TEXT_LEN 4096
#define SOLDOUT_BUSY_MAX 64
#define SOLD_OUT_WHY "sold out"

static const char next_sale_key[] = "next_sale_id";

struct sales {
  sched *s;
  uint64_t next_id;
  /* Sales whose sold-out follow-up is under way (a second stock 0 waits). */
  uint64_t busy[SOLDOUT_BUSY_MAX];
  size_t nbusy;
};

/* ---- texts ---- */

bool sale_price_ok(const char *s) {
  size_t digits = strspn(s, "0123456789");
  if (digits == 0 || digits > 12)
    return false;
  if (s[digits] == '\0')
    return true;
  if (s[digits] != '.')
    return false;
  size_t dec = strspn(s + digits + 1, "0123456789");
  return dec >= 1 && dec <= 2 && s[digits + 1 + dec] == '\0';
}

/* The card of one of sale's messages (borrowed from sale). */
static qf_sale_card card_of(const Qunfa__Sale *sale, qf_sale_card_kind kind,
                            int64_t before_ms) {
  return (qf_sale_card){.kind = kind,
                        .item = sale->item,
                        .price = sale->price,
                        .orig_price = sale->orig_price,
                        .link = sale->link,
                        .stock = sale->stock,
                        .end_ms = sale->end_ms,
                        .before_ms = before_ms};
}

int sale_text_announce(const Qunfa__Sale *sale, char *buf, size_t len) {
  qf_sale_card c = card_of(sale, QF_SALE_CARD_ANNOUNCE, 0);
  return qf_sale_card_text(&c, buf, len);
}

int sale_text_reminder(const Qunfa__Sale *sale, int64_t before_ms, char *buf,
                       size_t len) {
  qf_sale_card c = card_of(sale, QF_SALE_CARD_REMINDER, before_ms);
  return qf_sale_card_text(&c, buf, len);
}

int sale_text_soldout(const Qunfa__Sale *sale, char *buf, size_t len) {
  qf_sale_card c = card_of(sale, QF_SALE_CARD_SOLDOUT, 0);
  return qf_sale_card_text(&c, buf, len);
}

/* ---- records ---- */

static void put_sale(qf_kv_batch *b, const Qunfa__Sale *sale) {
  db_put_by_id(b, DB_SALES, sale->id, &sale->base);
}

static int get_sale(sched *s, uint64_t id, Qunfa__Sale **out) {
  return db_read_by_id(s->kv, DB_SALES, id, &qunfa__sale__descriptor,
                       (ProtobufCMessage **)out);
}

static void put_next_id(qf_kv_batch *b, uint64_t next) {
  uint8_t v[8];
  qf_kv_put_be64(v, next);
  qf_kv_batch_put(b, DB_META, next_sale_key, strlen(next_sale_key), v, sizeof v);
}

/* ---- expiring a post now ---- */

void sale_expire_post(sched *s, uint64_t id, const char *why) {
  int64_t now = qf_clock_now_ms();
  apost *p = active_find(s->act, id);
  uint32_t n = 0;
  if (p == NULL) {
    Qunfa__Post *rec = NULL;
    qf_kv_txn *txn = NULL;
    if (qf_kv_read_begin(s->kv, &txn) != 0)
      return;
    int rc = db_get_post(txn, id, &rec);
    qf_kv_read_end(txn);
    if (rc != 0)
      return;
    /* Not due yet: active now, so its deliveries expire as they load. */
    if (!rec->done && (rec->expires_ms == 0 || rec->expires_ms > now))
      rec->expires_ms = now;
    active_start(s->act, rec);
    qunfa__post__free_unpacked(rec, NULL);
    if ((p = active_find(s->act, id)) == NULL)
      return; /* done already */
  }
  if (p->expires_ms == 0 || p->expires_ms > now)
    p->expires_ms = now;
  apost_ref(p); /* outcome_end may retire p */
  apost_write_record(p, commit_batch(s->work));
  for (uint32_t seq = 0; seq < p->loaded && !p->done; seq++) {
    if (p->d[seq].state != QUNFA__DELIVERY_STATE__PENDING)
      continue;
    outcome_end(s, p, seq, QUNFA__DELIVERY_STATE__EXPIRED, why);
    n++;
  }
  qf_log_info("post_expired", "post=%llu expired=%u why=\"%s\"", (unsigned long long)id,
              n, why);
  apost_unref(p);
}

/* ---- sold out ---- */

static bool busy_take(sales *sl, uint64_t id) {
  for (size_t i = 0; i < sl->nbusy; i++)
    if (sl->busy[i] == id)
      return false;
  if (sl->nbusy == SOLDOUT_BUSY_MAX)
    return false; /* resumed at the next start-up */
  sl->busy[sl->nbusy++] = id;
  return true;
}

static void busy_drop(sales *sl, uint64_t id) {
  for (size_t i = 0; i < sl->nbusy; i++)
    if (sl->busy[i] == id)
      sl->busy[i] = sl->busy[--sl->nbusy];
}

typedef struct soldout {
  sales *sl;
  uint64_t sale_id;
} soldout;

static void soldout_noop(int status, void *arg) {
  (void)status;
  (void)arg;
}

static void on_soldout_stored(int status, void *arg) {
  soldout *so = arg;
  if (status != 0)
    qf_log_warn("sale_soldout_not_stored", "sale=%llu err=%s",
                (unsigned long long)so->sale_id, qf_errname(status));
  busy_drop(so->sl, so->sale_id);
  free(so);
}

/* Makes the sold-out post for the groups in e that received the announcement,
 * and records the step in the same commit. */
static void make_soldout(soldout *so, Qunfa__Sale *sale, const settle_entry *e,
                         size_t n) {
  sched *s = so->sl->s;
  const char **groups = qf_calloc(n ? n : 1, sizeof(*groups));
  size_t k = 0;
  char aud[64], why[256];
  for (size_t i = 0; i < n; i++)
    if (e[i].state == QUNFA__DELIVERY_STATE__DELIVERED)
      groups[k++] = e[i].group;
  snprintf(aud, sizeof aud, "sale:%llu sold-out", (unsigned long long)sale->id);
  if (k > 0 && sale->soldout_content_id.len == 32) {
    posts_new pn = {.audience = aud,
                    .content_id = sale->soldout_content_id.data,
                    .due_ms = qf_clock_now_ms(),
                    .priority = QUNFA__PRIORITY__PRIORITY_URGENT,
                    .groups = groups,
                    .ngroups = k};
    if (posts_create_stored(s, &pn, soldout_noop, NULL, &sale->soldout_post, why,
                            sizeof why) != 0)
      qf_log_warn("sale_soldout_failed", "sale=%llu why=\"%s\"",
                  (unsigned long long)sale->id, why);
  }
  sale->soldout_settled = true;
  put_sale(commit_batch(s->client), sale);
  qf_log_info("sale_sold_out", "sale=%llu groups=%zu post=%llu",
              (unsigned long long)sale->id, k, (unsigned long long)sale->soldout_post);
  commit_defer(s->client, on_soldout_stored, so);
  free(groups);
}

static void on_announce_settled(int status, const settle_entry *e, size_t n,
                                void *arg) {
  soldout *so = arg;
  Qunfa__Sale *sale = NULL;
  if (status != 0 || get_sale(so->sl->s, so->sale_id, &sale) != 0 ||
      sale->soldout_settled) {
    busy_drop(so->sl, so->sale_id);
    free(so);
  } else {
    make_soldout(so, sale, e, n);
  }
  if (sale != NULL)
    qunfa__sale__free_unpacked(sale, NULL);
}

/* The stock of sale reached 0 (durably): expire what is unsent, then follow up. */
static void sold_out(sales *sl, const Qunfa__Sale *sale) {
  sched *s = sl->s;
  soldout *so;
  if (!busy_take(sl, sale->id))
    return;
  for (size_t i = 0; i < sale->n_reminder_posts; i++)
    sale_expire_post(s, sale->reminder_posts[i], SOLD_OUT_WHY);
  if (sale->announce_post != 0)
    sale_expire_post(s, sale->announce_post, SOLD_OUT_WHY);
  so = qf_calloc(1, sizeof(*so));
  so->sl = sl;
  so->sale_id = sale->id;
  /* A lease ends within lease-ms: then every announcement is final. */
  settle_post(s->stl, sale->announce_post, s->lease_ms + 1000, on_announce_settled, so);
}

/* ---- CreateSale ---- */

typedef struct creating {
  sched *s;
  qf_rpc_call *call;
  Qunfa__CreateSaleRequest *req; /* an owned copy */
  Qunfa__Sale sale;
  char *audience;
  int64_t remind[REMIND_MAX]; /* offsets still ahead */
  uint64_t reminder_posts[REMIND_MAX];
  size_t nremind;
  uint8_t soldout_cid[32];
} creating;

static void creating_free(creating *c) {
  if (c->req)
    qunfa__create_sale_request__free_unpacked(c->req, NULL);
  free(c->audience);
  free(c);
}

static void post_noop(int status, void *arg) {
  (void)status;
  (void)arg;
}

static void on_sale_committed(int status, void *arg) {
  creating *c = arg;
  if (status != 0) {
    qf_rpc_reply_error(c->call, status, "sale not stored: %s", qf_strerror(status));
  } else {
    Qunfa__SaleReply reply = QUNFA__SALE_REPLY__INIT;
    reply.sale = &c->sale;
    qf_rpc_reply(c->call, &reply.base);
    qf_log_info("sale_created", "sale=%llu announce_post=%llu reminders=%zu",
                (unsigned long long)c->sale.id,
                (unsigned long long)c->sale.announce_post, c->nremind);
  }
  creating_free(c);
}

/* Writes the posts and the sale record into this turn's client batch. */
static int write_sale(creating *c, const uint8_t (*ids)[32], char *why, size_t len) {
  sched *s = c->s;
  sales *sl = s->sal;
  int64_t now = qf_clock_now_ms();
  posts_new pn = {.audience = c->audience,
                  .content_id = ids[0],
                  .due_ms = c->sale.start_ms > now ? c->sale.start_ms : now,
                  .priority = QUNFA__PRIORITY__PRIORITY_URGENT,
                  .expires_ms = c->sale.end_ms};
  int rc =
      posts_create_stored(s, &pn, post_noop, NULL, &c->sale.announce_post, why, len);
  if (rc != 0)
    return rc; /* nothing written */
  for (size_t i = 0; i < c->nremind; i++) {
    posts_new rp = {.audience = c->audience,
                    .content_id = ids[2 + i],
                    .due_ms = c->sale.start_ms - c->remind[i],
                    .priority = QUNFA__PRIORITY__PRIORITY_NORMAL,
                    .expires_ms = c->sale.start_ms};
    /* Same audience in the same turn: it expands as the announcement's did. */
    if (posts_create_stored(s, &rp, post_noop, NULL, &c->reminder_posts[i], why, len) !=
        0)
      qf_log_warn("sale_reminder_failed", "why=\"%s\"", why);
  }
  memcpy(c->soldout_cid, ids[1], 32);
  c->sale.soldout_content_id.data = c->soldout_cid;
  c->sale.soldout_content_id.len = 32;
  c->sale.reminder_posts = c->reminder_posts;
  c->sale.n_reminder_posts = c->nremind;
  c->sale.id = sl->next_id++;
  c->sale.created_ms = now;
  put_next_id(commit_batch(s->client), sl->next_id);
  put_sale(commit_batch(s->client), &c->sale);
  return 0;
}

static void on_texts_stored(int status, const char *err, const uint8_t (*ids)[32],
                            void *arg) {
  creating *c = arg;
  char why[400] = "";
  int rc;
  if (status != 0) {
    qf_rpc_reply_error(c->call, QF_EUNAVAIL, "content store: %s", err);
    creating_free(c);
    return;
  }
  if ((rc = write_sale(c, ids, why, sizeof why)) != 0) {
    qf_rpc_reply_error(c->call, rc, "%s", why);
    creating_free(c);
    return;
  }
  commit_defer(c->s->client, on_sale_committed, c);
}

/* The request's fields into c->sale (borrowed from c->req); a sentence on error. */
static int check_create(creating *c, char *why, size_t len) {
  const Qunfa__CreateSaleRequest *r = c->req;
  int64_t now = qf_clock_now_ms();
  size_t item = r->item ? strlen(r->item) : 0;
  if (item == 0 || item > ITEM_MAX)
    return snprintf(why, len, "item: must be 1 to %d bytes", ITEM_MAX), QF_EINVAL;
  if (!r->price || !sale_price_ok(r->price))
    return snprintf(why, len, "price: \"%s\" is not a price like 9.90",
                    r->price ? r->price : ""),
           QF_EINVAL;
  if (!r->orig_price || !sale_price_ok(r->orig_price))
    return snprintf(why, len, "orig_price: \"%s\" is not a price like 99",
                    r->orig_price ? r->orig_price : ""),
           QF_EINVAL;
  if (r->end_ms <= now || r->end_ms <= r->start_ms || r->start_ms <= 0)
    return snprintf(why, len, "end: must be after both now and the start"), QF_EINVAL;
  if (r->link && strlen(r->link) > LINK_MAX)
    return snprintf(why, len, "link: longer than %d bytes", LINK_MAX), QF_EINVAL;
  /* A card's button opens the link: every platform wants an http(s) url. */
  if (r->link && r->link[0] && strncmp(r->link, "https://", 8) != 0 &&
      strncmp(r->link, "http://", 7) != 0)
    return snprintf(why, len, "link: \"%.64s\" is not an http:// or https:// url",
                    r->link),
           QF_EINVAL;
  if (r->n_remind_ms > REMIND_MAX)
    return snprintf(why, len, "remind: at most %d reminders", REMIND_MAX), QF_EINVAL;
  for (size_t i = 0; i < r->n_remind_ms; i++) {
    if (r->remind_ms[i] <= 0 || r->remind_ms[i] > REMIND_MAX_MS)
      return snprintf(why, len, "remind: offset %zu must be after 0 and within 30 days",
                      i + 1),
             QF_EINVAL;
    if (r->start_ms - r->remind_ms[i] > now) /* a reminder already past is dropped */
      c->remind[c->nremind++] = r->remind_ms[i];
  }
  qunfa__sale__init(&c->sale);
  c->sale.item = r->item;
  c->sale.price = r->price;
  c->sale.orig_price = r->orig_price;
  c->sale.stock = r->stock;
  c->sale.start_ms = r->start_ms;
  c->sale.end_ms = r->end_ms;
  c->sale.link = r->link ? r->link : "";
  c->sale.remind_ms = r->remind_ms;
  c->sale.n_remind_ms = r->n_remind_ms;
  return 0;
}

static int check_audience(creating *c, char *why, size_t len) {
  qf_audience *a = NULL;
  int rc = qf_audience_parse(c->req->audience ? c->req->audience : "", &a, why, len);
  if (rc != 0)
    return rc;
  c->audience = qf_audience_format(a);
  c->sale.audience = c->audience;
  qf_audience_free(a);
  return 0;
}

/* Puts the announcement, sold-out and reminder messages, each as a card and
 * the same message as text; on_texts_stored goes on. */
static int put_texts(creating *c, char *why, size_t len) {
  Qunfa__Content items[2 + REMIND_MAX], *ptrs[2 + REMIND_MAX];
  Qunfa__SaleCard protos[2 + REMIND_MAX];
  size_t n = 2 + c->nremind;
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    qf_sale_card card =
        i == 0   ? card_of(&c->sale, QF_SALE_CARD_ANNOUNCE, 0)
        : i == 1 ? card_of(&c->sale, QF_SALE_CARD_SOLDOUT, 0)
                 : card_of(&c->sale, QF_SALE_CARD_REMINDER, c->remind[i - 2]);
    qunfa__content__init(&items[i]);
    items[i].kind = "post";
    items[i].text = qf_malloc(TEXT_LEN);
    qf_sale_card_text(&card, items[i].text, TEXT_LEN);
    qf_sale_card_to_proto(&card, &protos[i]);
    items[i].sale = &protos[i];
    ptrs[i] = &items[i];
    /* Valid per-group variables in the item or link are rendered per group. */
    if (rc == 0 && qf_template_check(items[i].text, why, len) != 0)
      rc = QF_EINVAL;
  }
  if (rc == 0 && contents_put_items(c->s, ptrs, n, on_texts_stored, c) != 0) {
    snprintf(why, len, "content store: unavailable");
    rc = QF_EUNAVAIL;
  }
  for (size_t i = 0; i < n; i++)
    free(items[i].text);
  return rc;
}

static Qunfa__CreateSaleRequest *copy_request(const ProtobufCMessage *msg) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = qf_malloc(n ? n : 1);
  protobuf_c_message_pack(msg, buf);
  Qunfa__CreateSaleRequest *r = qunfa__create_sale_request__unpack(NULL, n, buf);
  free(buf);
  return r;
}

void sale_on_create(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  creating *c;
  char why[400] = "";
  int rc;
  if (s->stopping || s->store == NULL) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  c = qf_calloc(1, sizeof(*c));
  c->s = s;
  c->call = call;
  if ((c->req = copy_request(msg)) == NULL) {
    qf_rpc_reply_error(call, QF_EPROTO, "request could not be copied");
    creating_free(c);
    return;
  }
  if ((rc = check_create(c, why, sizeof why)) != 0 ||
      (rc = check_audience(c, why, sizeof why)) != 0 ||
      (rc = put_texts(c, why, sizeof why)) != 0) {
    qf_rpc_reply_error(call, rc, "%s", why);
    creating_free(c);
  }
}

/* ---- SaleStock, GetSale ---- */

typedef struct stocking {
  sched *s;
  qf_rpc_call *call;
  Qunfa__Sale *sale;
  bool sold_out_now;
} stocking;

static void on_stock_committed(int status, void *arg) {
  stocking *st = arg;
  if (status != 0) {
    qf_rpc_reply_error(st->call, status, "stock not stored: %s", qf_strerror(status));
  } else {
    Qunfa__SaleReply reply = QUNFA__SALE_REPLY__INIT;
    reply.sale = st->sale;
    qf_rpc_reply(st->call, &reply.base);
    if (st->sold_out_now)
      sold_out(st->s->sal, st->sale);
  }
  qunfa__sale__free_unpacked(st->sale, NULL);
  free(st);
}

static bool sale_found(qf_rpc_call *call, int rc, uint64_t id) {
  if (rc == QF_ENOTFOUND)
    qf_rpc_reply_error(call, rc, "sale %llu not found", (unsigned long long)id);
  else if (rc != 0)
    qf_rpc_reply_error(call, rc, "sale %llu could not be read: %s",
                       (unsigned long long)id, qf_strerror(rc));
  return rc == 0;
}

void sale_on_stock(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__SaleStockRequest *req = (const Qunfa__SaleStockRequest *)msg;
  Qunfa__Sale *sale = NULL;
  stocking *st;
  if (!sale_found(call, get_sale(s, req->sale_id, &sale), req->sale_id))
    return;
  if (sale->sold_out && req->stock > 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "sale %llu is sold out: its stock stays 0",
                       (unsigned long long)req->sale_id);
    qunfa__sale__free_unpacked(sale, NULL);
    return;
  }
  st = qf_calloc(1, sizeof(*st));
  st->s = s;
  st->call = call;
  st->sale = sale;
  st->sold_out_now = req->stock == 0 && !sale->sold_out;
  sale->stock = req->stock;
  if (st->sold_out_now) {
    sale->sold_out = true;
    /* A sale that has ended gets no follow-up: nothing of it may go out. */
    sale->soldout_settled = qf_clock_now_ms() >= sale->end_ms;
    st->sold_out_now = !sale->soldout_settled;
  }
  put_sale(commit_batch(s->client), sale);
  commit_defer(s->client, on_stock_committed, st);
}

void sale_on_get(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__SaleRef *req = (const Qunfa__SaleRef *)msg;
  Qunfa__Sale *sale = NULL;
  Qunfa__SaleReply reply = QUNFA__SALE_REPLY__INIT;
  if (!sale_found(call, get_sale(s, req->sale_id, &sale), req->sale_id))
    return;
  reply.sale = sale;
  qf_rpc_reply(call, &reply.base);
  qunfa__sale__free_unpacked(sale, NULL);
}

/* ---- lifecycle ---- */

static int resume_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  sales *sl = arg;
  Qunfa__Sale *sale = qunfa__sale__unpack(NULL, val->len, val->data);
  (void)key;
  if (sale == NULL)
    return 0;
  if (sale->sold_out && !sale->soldout_settled)
    sold_out(sl, sale);
  qunfa__sale__free_unpacked(sale, NULL);
  return 0;
}

int sales_resume(sales *sl) {
  qf_kv_txn *txn = NULL;
  int rc = qf_kv_read_begin(sl->s->kv, &txn);
  if (rc != 0)
    return rc;
  rc = qf_kv_scan(txn, DB_SALES, NULL, 0, NULL, 0, resume_one, sl);
  qf_kv_read_end(txn);
  return rc < 0 ? rc : 0;
}

int sales_new(sched *s, sales **out) {
  qf_kv_txn *txn = NULL;
  qf_kv_val v;
  sales *sl;
  int rc = qf_kv_read_begin(s->kv, &txn);
  if (rc != 0)
    return rc;
  sl = qf_calloc(1, sizeof(*sl));
  sl->s = s;
  sl->next_id = 1;
  rc = qf_kv_get(txn, DB_META, next_sale_key, strlen(next_sale_key), &v);
  if (rc == 0 && v.len == 8)
    sl->next_id = qf_kv_get_be64((const uint8_t *)v.data);
  qf_kv_read_end(txn);
  if (rc != 0 && rc != QF_ENOTFOUND) {
    free(sl);
    return rc;
  }
  *out = sl;
  return 0;
}

void sales_free(sales *sl) {
  free(sl);
}
