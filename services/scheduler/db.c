/* Encoding of the scheduler's records into LMDB keys and values. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"

static const char *const db_names[DB_COUNT] = {"meta",      "groups",     "posts",
                                               "timeline",  "deliveries", "tags",
                                               "schedules", "sales",      "lives"};
static const char next_post_key[] = "next_post_id";
static const char next_schedule_key[] = "next_schedule_id";

int db_open(qf_kv **out, const char *dir, size_t map_bytes) {
  qf_kv_opts opts = {map_bytes, 0};
  return qf_kv_open(out, dir, db_names, DB_COUNT, &opts);
}

void db_delivery_key(uint8_t k[DB_DELIVERY_KEY], uint64_t post, uint32_t seq) {
  qf_kv_put_be64(k, post);
  qf_kv_put_be32(k + 8, seq);
}

void db_timeline_key(uint8_t k[DB_TIMELINE_KEY], int64_t due_ms, uint64_t post) {
  qf_kv_put_be64(k, (uint64_t)(due_ms < 0 ? 0 : due_ms));
  qf_kv_put_be64(k + 8, post);
}

/* Packs msg and puts it under key; small messages never touch the heap. */
static void put_packed(qf_kv_batch *b, unsigned db, const void *key, size_t klen,
                       const ProtobufCMessage *msg) {
  uint8_t stack[512];
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = n <= sizeof stack ? stack : qf_malloc(n);
  protobuf_c_message_pack(msg, buf);
  qf_kv_batch_put(b, db, key, klen, buf, n);
  if (buf != stack)
    free(buf);
}

void db_put_by_id(qf_kv_batch *b, unsigned db, uint64_t id,
                  const ProtobufCMessage *msg) {
  uint8_t k[8];
  qf_kv_put_be64(k, id);
  put_packed(b, db, k, sizeof k, msg);
}

void db_put_group(qf_kv_batch *b, const Qunfa__Group *g) {
  put_packed(b, DB_GROUPS, g->id, strlen(g->id), &g->base);
}

void db_put_post(qf_kv_batch *b, const Qunfa__Post *p) {
  uint8_t k[DB_POST_KEY];
  qf_kv_put_be64(k, p->id);
  put_packed(b, DB_POSTS, k, sizeof k, &p->base);
}

void db_put_delivery(qf_kv_batch *b, uint64_t post, uint32_t seq,
                     const Qunfa__Delivery *d) {
  uint8_t k[DB_DELIVERY_KEY];
  db_delivery_key(k, post, seq);
  put_packed(b, DB_DELIVERIES, k, sizeof k, &d->base);
}

void db_put_timeline(qf_kv_batch *b, int64_t due_ms, uint64_t post) {
  uint8_t k[DB_TIMELINE_KEY];
  db_timeline_key(k, due_ms, post);
  qf_kv_batch_put(b, DB_TIMELINE, k, sizeof k, "", 0);
}

void db_del_timeline(qf_kv_batch *b, int64_t due_ms, uint64_t post) {
  uint8_t k[DB_TIMELINE_KEY];
  db_timeline_key(k, due_ms, post);
  qf_kv_batch_del(b, DB_TIMELINE, k, sizeof k);
}

static void put_meta_u64(qf_kv_batch *b, const char *key, uint64_t v64) {
  uint8_t v[8];
  qf_kv_put_be64(v, v64);
  qf_kv_batch_put(b, DB_META, key, strlen(key), v, sizeof v);
}

void db_put_next_post_id(qf_kv_batch *b, uint64_t next) {
  put_meta_u64(b, next_post_key, next);
}

/* Idempotency keys live in meta under a prefix no other meta key has. */
static size_t post_key(char *k, size_t len, const char *key) {
  int n = snprintf(k, len, "post_key:%s", key);
  return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

void db_put_post_key(qf_kv_batch *b, const char *key, uint64_t id) {
  char k[DB_POST_KEY_MAX + 16];
  uint8_t v[8];
  qf_kv_put_be64(v, id);
  qf_kv_batch_put(b, DB_META, k, post_key(k, sizeof k, key), v, sizeof v);
}

int db_get_post_key(qf_kv_txn *txn, const char *key, uint64_t *id) {
  char k[DB_POST_KEY_MAX + 16];
  qf_kv_val v;
  int rc = qf_kv_get(txn, DB_META, k, post_key(k, sizeof k, key), &v);
  if (rc == 0 && v.len != 8)
    rc = QF_EPROTO;
  if (rc == 0)
    *id = qf_kv_get_be64(v.data);
  return rc;
}

void db_put_next_schedule_id(qf_kv_batch *b, uint64_t next) {
  put_meta_u64(b, next_schedule_key, next);
}

void db_put_schedule(qf_kv_batch *b, const Qunfa__Schedule *sc) {
  uint8_t k[8];
  qf_kv_put_be64(k, sc->id);
  put_packed(b, DB_SCHEDULES, k, sizeof k, &sc->base);
}

void db_del_schedule(qf_kv_batch *b, uint64_t id) {
  uint8_t k[8];
  qf_kv_put_be64(k, id);
  qf_kv_batch_del(b, DB_SCHEDULES, k, sizeof k);
}

static int get_unpacked(qf_kv_txn *txn, unsigned db, const void *key, size_t klen,
                        const ProtobufCMessageDescriptor *desc,
                        ProtobufCMessage **out) {
  qf_kv_val v;
  int rc = qf_kv_get(txn, db, key, klen, &v);
  *out = NULL;
  if (rc != 0)
    return rc;
  *out = protobuf_c_message_unpack(desc, NULL, v.len, v.data);
  if (*out == NULL) {
    qf_log_error("db_corrupt", "call=protobuf_c_message_unpack db=%s len=%zu",
                 db_names[db], v.len);
    return QF_EPROTO;
  }
  return 0;
}

int db_get_post(qf_kv_txn *txn, uint64_t id, Qunfa__Post **out) {
  uint8_t k[DB_POST_KEY];
  qf_kv_put_be64(k, id);
  return get_unpacked(txn, DB_POSTS, k, sizeof k, &qunfa__post__descriptor,
                      (ProtobufCMessage **)out);
}

int db_get_group(qf_kv_txn *txn, const char *id, Qunfa__Group **out) {
  return get_unpacked(txn, DB_GROUPS, id, strlen(id), &qunfa__group__descriptor,
                      (ProtobufCMessage **)out);
}

int db_read_by_id(qf_kv *kv, unsigned db, uint64_t id,
                  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out) {
  qf_kv_txn *txn = NULL;
  uint8_t k[8];
  *out = NULL;
  int rc = qf_kv_read_begin(kv, &txn);
  if (rc != 0)
    return rc;
  qf_kv_put_be64(k, id);
  rc = get_unpacked(txn, db, k, sizeof k, desc, out);
  qf_kv_read_end(txn);
  return rc;
}

static int get_meta_id(qf_kv *kv, const char *key, uint64_t *out) {
  qf_kv_txn *txn = NULL;
  qf_kv_val v;
  int rc = qf_kv_read_begin(kv, &txn);
  if (rc != 0)
    return rc;
  *out = 1;
  rc = qf_kv_get(txn, DB_META, key, strlen(key), &v);
  if (rc == 0 && v.len == 8)
    *out = qf_kv_get_be64(v.data);
  else if (rc == QF_ENOTFOUND)
    rc = 0;
  qf_kv_read_end(txn);
  return rc;
}

int db_get_next_post_id(qf_kv *kv, uint64_t *out) {
  return get_meta_id(kv, next_post_key, out);
}

int db_get_next_schedule_id(qf_kv *kv, uint64_t *out) {
  return get_meta_id(kv, next_schedule_key, out);
}
