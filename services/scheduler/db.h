/* The scheduler's LMDB layout. Keys are big-endian so cursors walk in id and time
 * order:
 *   meta        "next_post_id" -> be64
 *   groups      group id -> packed Group
 *   posts       be64 post id -> packed Post
 *   timeline    be64 due_ms | be64 post id -> empty; one entry per post not done
 *   deliveries  be64 post id | be32 seq -> packed Delivery
 *   tags        tag | 0x00 | group id -> empty; one entry per tag of each group
 *   schedules   be64 schedule id -> packed Schedule
 *   sales       be64 sale id -> packed Sale
 *   lives       be64 session id -> packed LiveSession
 * A post's deliveries are adjacent and in sequence order, so a batch of outcomes
 * of one post lands on few pages. */
#ifndef SCHED_DB_H
#define SCHED_DB_H
#include <stdint.h>

#include "model.pb-c.h"
#include "qf/kv.h"

enum db_index {
  DB_META,
  DB_GROUPS,
  DB_POSTS,
  DB_TIMELINE,
  DB_DELIVERIES,
  DB_TAGS,
  DB_SCHEDULES,
  DB_SALES,
  DB_LIVES,
  DB_COUNT
};

#define DB_POST_KEY 8
#define DB_DELIVERY_KEY 12
#define DB_TIMELINE_KEY 16

/* Opens the environment under dir with an initial map of map_bytes (0: kv's
 * default; the map grows when full). QF_EIO (logged) when dir is unusable. */
int db_open(qf_kv **out, const char *dir, size_t map_bytes);

/* The longest idempotency key of a CreatePost. */
#define DB_POST_KEY_MAX 128

void db_delivery_key(uint8_t k[DB_DELIVERY_KEY], uint64_t post, uint32_t seq);
void db_timeline_key(uint8_t k[DB_TIMELINE_KEY], int64_t due_ms, uint64_t post);

/* Batch writes: the message is packed and copied (borrowed). */
void db_put_group(qf_kv_batch *b, const Qunfa__Group *g);
void db_put_post(qf_kv_batch *b, const Qunfa__Post *p);
void db_put_delivery(qf_kv_batch *b, uint64_t post, uint32_t seq,
                     const Qunfa__Delivery *d);
void db_put_timeline(qf_kv_batch *b, int64_t due_ms, uint64_t post);
void db_del_timeline(qf_kv_batch *b, int64_t due_ms, uint64_t post);
void db_put_next_post_id(qf_kv_batch *b, uint64_t next);
void db_put_schedule(qf_kv_batch *b, const Qunfa__Schedule *sc);
void db_del_schedule(qf_kv_batch *b, uint64_t id);
void db_put_next_schedule_id(qf_kv_batch *b, uint64_t next);
/* A record kept under a big-endian 64-bit id (sales, live sessions). */
void db_put_by_id(qf_kv_batch *b, unsigned db, uint64_t id,
                  const ProtobufCMessage *msg);
/* Remembers that the CreatePost with idempotency key key made post id. */
void db_put_post_key(qf_kv_batch *b, const char *key, uint64_t id);

/* Reads. On 0 *out is unpacked and handed over (free with
 * protobuf_c_message_free_unpacked). QF_ENOTFOUND when absent, QF_EPROTO (logged)
 * when the stored bytes do not unpack. */
int db_get_post(qf_kv_txn *txn, uint64_t id, Qunfa__Post **out);
int db_get_group(qf_kv_txn *txn, const char *id, Qunfa__Group **out);
/* The record id of db, read in a transaction of its own, unpacked as desc. */
int db_read_by_id(qf_kv *kv, unsigned db, uint64_t id,
                  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);
/* The post made under idempotency key key: QF_ENOTFOUND when none. */
int db_get_post_key(qf_kv_txn *txn, const char *key, uint64_t *id);
/* The next post id to hand out (1 on a new store). */
int db_get_next_post_id(qf_kv *kv, uint64_t *out);
/* The next schedule id to hand out (1 on a new store). */
int db_get_next_schedule_id(qf_kv *kv, uint64_t *out);

#endif
