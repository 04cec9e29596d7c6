/* The LMDB environment of a stateful process: one directory, a fixed set of named
 * databases, read transactions, and durable batched writes.
 *
 * Writes go through a batch: puts and deletes are copied into it and applied in
 * one write transaction by qf_kv_commit (group commit: one fsync for many
 * changes). When the map is full the transaction is aborted, the map grown with no
 * transaction open, and the batch replayed, so a full map never loses a write; a
 * full disk is returned as QF_EFULL with the store unchanged. Never MDB_NOSYNC.
 *
 * One writer at a time: a write transaction begins and ends inside one
 * qf_kv_commit or qf_kv_commit_once call, on the calling thread; commits from
 * several threads must not overlap with growth (qf_kv_grow). Readers may run in
 * any thread (MDB_NOTLS); a read transaction ends on the thread that began it.
 * Growing the map waits for open read transactions to end, so a thread must not
 * hold one while it grows the map (QF_EBUSY, nothing applied, rather than
 * deadlock).
 *
 * A thread may pin a snapshot (qf_kv_pin): its read transactions then share one
 * LMDB read transaction that sees commits made by other threads only once the
 * thread calls qf_kv_pin_refresh. An event loop that hands its commits to a
 * writer thread uses it so that nothing on the loop sees a batch before the loop
 * has processed that batch's completion. Keys order bytewise: use big-endian
 * integers. */
#ifndef QF_KV_H
#define QF_KV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct qf_kv qf_kv;
typedef struct qf_kv_txn qf_kv_txn;
typedef struct qf_kv_batch qf_kv_batch;

/* A borrowed slice: valid until its read transaction ends; never crosses a
 * callback. */
typedef struct qf_kv_val {
  const void *data;
  size_t len;
} qf_kv_val;

typedef struct qf_kv_opts {
  size_t map_bytes;     /* initial map size; 0 = 64 MiB */
  size_t max_map_bytes; /* growth stops here (QF_EFULL); 0 = 1 TiB */
} qf_kv_opts;

/* Opens (creating if needed) the environment in dir (created if missing) with the
 * databases named in dbs (their index in dbs is the db argument of the other
 * calls). Runs mdb_reader_check. QF_EIO with a logged reason if dir is unusable. */
int qf_kv_open(qf_kv **out, const char *dir, const char *const *dbs, unsigned ndbs,
               const qf_kv_opts *opts);
/* NULL is a no-op. No transaction may be open. */
void qf_kv_close(qf_kv *kv);

/* Read transactions. On a thread that pinned kv, a handle on the pinned
 * snapshot. */
int qf_kv_read_begin(qf_kv *kv, qf_kv_txn **out);
void qf_kv_read_end(qf_kv_txn *txn);
/* QF_ENOTFOUND when absent. */
int qf_kv_get(qf_kv_txn *txn, unsigned db, const void *key, size_t klen,
              qf_kv_val *out);

/* Calls visit for each entry with from <= key < to in key order (to = NULL: to the
 * end; from = NULL: from the start). visit returns 0 to go on, non-zero to stop
 * (that value is returned by qf_kv_scan). */
typedef int (*qf_kv_visit_fn)(const qf_kv_val *key, const qf_kv_val *val, void *arg);
int qf_kv_scan(qf_kv_txn *txn, unsigned db, const void *from, size_t flen,
               const void *to, size_t tlen, qf_kv_visit_fn visit, void *arg);

/* Batches. Puts and deletes copy key and value. */
qf_kv_batch *qf_kv_batch_new(void);
void qf_kv_batch_free(qf_kv_batch *b);
void qf_kv_batch_put(qf_kv_batch *b, unsigned db, const void *key, size_t klen,
                     const void *val, size_t vlen);
void qf_kv_batch_del(qf_kv_batch *b, unsigned db, const void *key, size_t klen);
size_t qf_kv_batch_count(const qf_kv_batch *b);
/* Applies the batch in one durable write transaction (later ops win), growing the
 * map as needed. On success the batch is emptied for reuse. On error nothing of
 * it is applied and it is left as it was. Deleting an absent key is not an error. */
int qf_kv_commit(qf_kv *kv, qf_kv_batch *b);
/* One attempt of qf_kv_commit without growing the map: when the map is full,
 * *map_full is set and QF_EFULL returned (nothing applied; qf_kv_grow, then call
 * again). Any thread, provided no qf_kv_grow runs meanwhile. */
int qf_kv_commit_once(qf_kv *kv, qf_kv_batch *b, bool *map_full);
/* Doubles the map up to the maximum (QF_EFULL there). The calling thread must
 * hold no read transaction (QF_EBUSY) other than its pin, which is dropped and
 * taken again; no write transaction may be open in the process. Waits for other
 * threads' read transactions to end. */
int qf_kv_grow(qf_kv *kv);
/* Appends a copy of from's operations to into (from is unchanged). */
void qf_kv_batch_append(qf_kv_batch *into, const qf_kv_batch *from);

/* Pins a snapshot for the calling thread (one environment per thread:
 * QF_EBUSY if this thread already pinned one). Until qf_kv_unpin, this thread's
 * read transactions of kv share it; its own qf_kv_commit refreshes it. Other
 * threads cannot grow the map while it is pinned: only the pinning thread may
 * call qf_kv_grow. */
int qf_kv_pin(qf_kv *kv);
/* Moves the pinned snapshot to the latest commit. QF_EBUSY while a handle on it
 * is open (nothing changes). 0 when this thread has no pin. */
int qf_kv_pin_refresh(qf_kv *kv);
/* Ends this thread's pin of kv, if any; no handle on it may be open. */
void qf_kv_unpin(qf_kv *kv);

/* Size of the map and bytes in use, for stats. */
void qf_kv_usage(qf_kv *kv, size_t *map_bytes, size_t *used_bytes);

/* Big-endian integer keys. */
static inline void qf_kv_put_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}
static inline void qf_kv_put_be32(uint8_t *p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}
static inline uint64_t qf_kv_get_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}
static inline uint32_t qf_kv_get_be32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v = (v << 8) | p[i];
  return v;
}

#endif
