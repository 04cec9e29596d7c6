#include "qf/kv.h"

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define KV_DEFAULT_MAP ((size_t)64 << 20)
#define KV_DEFAULT_MAX ((size_t)1 << 40)

struct qf_kv {
  MDB_env *env;
  MDB_dbi *dbi;
  unsigned ndbs;
  size_t map_bytes, max_map_bytes;
  char *dir;
  /* Growing the map remaps it, which LMDB allows only with no transaction open
   * in the process: read transactions hold this shared, growth holds it
   * exclusively. Writer-preferring so a stream of readers cannot starve growth. */
  pthread_rwlock_t map_lock;
};

struct qf_kv_txn {
  qf_kv *kv;
  MDB_txn *txn;
  bool shared; /* the thread's pinned snapshot: not ended with the handle */
};

/* The snapshot one thread pinned (qf_kv_pin). Its read transaction holds
 * map_lock shared for as long as it exists; txn is NULL while it is dropped
 * (for growth, or after a failed refresh: reads then take their own). */
typedef struct kv_pin {
  qf_kv *kv;
  MDB_txn *txn;
  int users; /* handles open on the snapshot */
} kv_pin;

typedef enum op_kind { OP_PUT, OP_DEL } op_kind;

/* Keys and values live in one arena; ops refer to them by offset, so the arena
 * may move when it grows. */
typedef struct kv_op {
  op_kind kind;
  unsigned db;
  size_t koff, klen, voff, vlen;
} kv_op;

struct qf_kv_batch {
  kv_op *ops;
  size_t nops, capops;
  char *arena;
  size_t used, cap;
};

/* Read transactions this thread holds: growing the map while one is open here
 * would wait for ourselves forever. A read transaction is ended by the thread
 * that began it (the lock it holds is that thread's). */
static _Thread_local int reads_held;
/* The environment snapshot this thread pinned, or NULL. */
static _Thread_local kv_pin *pinned;

/* Maps an LMDB (or errno) code to ours and logs it once, here at the boundary. */
static int kv_fail(const char *call, int rc) {
  qf_log_error("kv_failed", "call=%s code=%d err=\"%s\"", call, rc, mdb_strerror(rc));
  switch (rc) {
  case MDB_MAP_FULL:
  case MDB_TXN_FULL:
  case ENOSPC:
  case EDQUOT:
    return QF_EFULL;
  case ENOMEM:
    return QF_ENOMEM;
  case EINVAL:
  case MDB_BAD_VALSIZE:
    return QF_EINVAL;
  case MDB_READERS_FULL:
    return QF_EBUSY;
  default:
    return QF_EIO;
  }
}

/* mkdir -p: creates dir and its parents; an existing directory is fine. */
static int make_dirs(const char *dir) {
  char *path = qf_strdup(dir);
  int rc = 0;
  for (char *p = path + 1; *p && rc == 0; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
      rc = errno;
    *p = '/';
  }
  if (rc == 0 && mkdir(path, 0700) != 0 && errno != EEXIST)
    rc = errno;
  struct stat st;
  if (rc == 0 && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
    rc = ENOTDIR;
  free(path);
  return rc;
}

static int open_dbs(qf_kv *kv, const char *const *dbs) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(kv->env, NULL, 0, &txn);
  if (rc != 0)
    return kv_fail("mdb_txn_begin", rc);
  for (unsigned i = 0; i < kv->ndbs; i++) {
    rc = mdb_dbi_open(txn, dbs[i], MDB_CREATE, &kv->dbi[i]);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return kv_fail("mdb_dbi_open", rc);
    }
  }
  rc = mdb_txn_commit(txn);
  return rc == 0 ? 0 : kv_fail("mdb_txn_commit", rc);
}

/* Opens the environment itself; a directory that cannot hold it is QF_EIO. */
static int open_env(qf_kv *kv) {
  int rc = mdb_env_create(&kv->env);
  if (rc != 0)
    return kv_fail("mdb_env_create", rc);
  if ((rc = mdb_env_set_maxdbs(kv->env, kv->ndbs ? kv->ndbs : 1)) != 0 ||
      (rc = mdb_env_set_mapsize(kv->env, kv->map_bytes)) != 0)
    return kv_fail("mdb_env_set_mapsize", rc);
  /* MDB_NOTLS: read transactions are not tied to the thread that began them.
   * Durable by default: no NOSYNC, WRITEMAP or MAPASYNC. */
  rc = mdb_env_open(kv->env, kv->dir, MDB_NOTLS, 0600);
  if (rc != 0) {
    char red[512];
    qf_log_error("kv_open_failed", "call=mdb_env_open dir=%s err=\"%s\"",
                 qf_log_quote(kv->dir, red, sizeof red), mdb_strerror(rc));
    return QF_EIO;
  }
  int dead = 0;
  if ((rc = mdb_reader_check(kv->env, &dead)) != 0)
    return kv_fail("mdb_reader_check", rc);
  if (dead > 0)
    qf_log_info("kv_stale_readers_cleared", "count=%d", dead);
  /* An existing environment keeps its larger map: read back what is in use. */
  MDB_envinfo info;
  mdb_env_info(kv->env, &info);
  kv->map_bytes = info.me_mapsize;
  return 0;
}

int qf_kv_open(qf_kv **out, const char *dir, const char *const *dbs, unsigned ndbs,
               const qf_kv_opts *opts) {
  *out = NULL;
  if (!dir || !*dir)
    return QF_EINVAL;
  char qdir[512];
  int err = make_dirs(dir);
  if (err != 0) {
    qf_log_error("kv_open_failed", "call=mkdir dir=%s err=\"%s\"",
                 qf_log_quote(dir, qdir, sizeof qdir), strerror(err));
    return QF_EIO;
  }
  qf_kv *kv = qf_calloc(1, sizeof *kv);
  kv->dir = qf_strdup(dir);
  kv->ndbs = ndbs;
  kv->dbi = qf_calloc(ndbs ? ndbs : 1, sizeof *kv->dbi);
  kv->map_bytes = opts && opts->map_bytes ? opts->map_bytes : KV_DEFAULT_MAP;
  kv->max_map_bytes =
      opts && opts->max_map_bytes ? opts->max_map_bytes : KV_DEFAULT_MAX;
  if (kv->map_bytes > kv->max_map_bytes)
    kv->map_bytes = kv->max_map_bytes;
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&kv->map_lock, &attr);
  pthread_rwlockattr_destroy(&attr);
  int rc = open_env(kv);
  if (rc == 0)
    rc = open_dbs(kv, dbs);
  if (rc != 0) {
    qf_kv_close(kv);
    return rc;
  }
  *out = kv;
  return 0;
}

void qf_kv_close(qf_kv *kv) {
  if (!kv)
    return;
  if (kv->env)
    mdb_env_close(kv->env);
  pthread_rwlock_destroy(&kv->map_lock);
  free(kv->dbi);
  free(kv->dir);
  free(kv);
}

/* A handle on this thread's pinned snapshot of kv, or NULL when there is none. */
static qf_kv_txn *pin_share(qf_kv *kv) {
  if (pinned == NULL || pinned->kv != kv || pinned->txn == NULL)
    return NULL;
  qf_kv_txn *t = qf_malloc(sizeof *t);
  *t = (qf_kv_txn){kv, pinned->txn, true};
  pinned->users++;
  return t;
}

int qf_kv_read_begin(qf_kv *kv, qf_kv_txn **out) {
  if ((*out = pin_share(kv)) != NULL)
    return 0;
  pthread_rwlock_rdlock(&kv->map_lock);
  MDB_txn *txn;
  int rc = mdb_txn_begin(kv->env, NULL, MDB_RDONLY, &txn);
  if (rc == MDB_MAP_RESIZED) {
    /* Another process grew the map: adopt its size and try once more. */
    pthread_rwlock_unlock(&kv->map_lock);
    pthread_rwlock_wrlock(&kv->map_lock);
    mdb_env_set_mapsize(kv->env, 0);
    pthread_rwlock_unlock(&kv->map_lock);
    pthread_rwlock_rdlock(&kv->map_lock);
    rc = mdb_txn_begin(kv->env, NULL, MDB_RDONLY, &txn);
  }
  if (rc != 0) {
    pthread_rwlock_unlock(&kv->map_lock);
    return kv_fail("mdb_txn_begin", rc);
  }
  qf_kv_txn *t = qf_malloc(sizeof *t);
  *t = (qf_kv_txn){kv, txn, false};
  reads_held++;
  *out = t;
  return 0;
}

void qf_kv_read_end(qf_kv_txn *txn) {
  if (!txn)
    return;
  if (txn->shared) {
    pinned->users--;
    free(txn);
    return;
  }
  mdb_txn_abort(txn->txn);
  pthread_rwlock_unlock(&txn->kv->map_lock);
  reads_held--;
  free(txn);
}

int qf_kv_get(qf_kv_txn *txn, unsigned db, const void *key, size_t klen,
              qf_kv_val *out) {
  if (db >= txn->kv->ndbs || klen == 0)
    return QF_EINVAL;
  MDB_val k = {klen, (void *)key}, v;
  int rc = mdb_get(txn->txn, txn->kv->dbi[db], &k, &v);
  if (rc == MDB_NOTFOUND)
    return QF_ENOTFOUND;
  if (rc != 0)
    return kv_fail("mdb_get", rc);
  out->data = v.mv_data;
  out->len = v.mv_size;
  return 0;
}

/* Positions cur at the first key >= from (or the first key at all). */
static int scan_first(MDB_cursor *cur, const void *from, size_t flen, MDB_val *k,
                      MDB_val *v) {
  if (!from || flen == 0)
    return mdb_cursor_get(cur, k, v, MDB_FIRST);
  k->mv_data = (void *)from;
  k->mv_size = flen;
  return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

int qf_kv_scan(qf_kv_txn *txn, unsigned db, const void *from, size_t flen,
               const void *to, size_t tlen, qf_kv_visit_fn visit, void *arg) {
  if (db >= txn->kv->ndbs)
    return QF_EINVAL;
  MDB_dbi dbi = txn->kv->dbi[db];
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->txn, dbi, &cur);
  if (rc != 0)
    return kv_fail("mdb_cursor_open", rc);
  MDB_val k, v, end = {tlen, (void *)to};
  int ret = 0;
  for (rc = scan_first(cur, from, flen, &k, &v); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (to && mdb_cmp(txn->txn, dbi, &k, &end) >= 0)
      break;
    qf_kv_val key = {k.mv_data, k.mv_size}, val = {v.mv_data, v.mv_size};
    if ((ret = visit(&key, &val, arg)) != 0)
      break;
  }
  mdb_cursor_close(cur);
  if (ret != 0)
    return ret;
  if (rc != 0 && rc != MDB_NOTFOUND)
    return kv_fail("mdb_cursor_get", rc);
  return 0;
}

qf_kv_batch *qf_kv_batch_new(void) {
  return qf_calloc(1, sizeof(qf_kv_batch));
}

void qf_kv_batch_free(qf_kv_batch *b) {
  if (!b)
    return;
  free(b->ops);
  free(b->arena);
  free(b);
}

static size_t arena_copy(qf_kv_batch *b, const void *p, size_t n) {
  if (b->used + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->used + n)
      cap *= 2;
    b->arena = qf_realloc(b->arena, cap);
    b->cap = cap;
  }
  size_t off = b->used;
  if (n)
    memcpy(b->arena + off, p, n);
  b->used += n;
  return off;
}

static void add_op(qf_kv_batch *b, op_kind kind, unsigned db, const void *key,
                   size_t klen, const void *val, size_t vlen) {
  if (b->nops == b->capops) {
    b->capops = b->capops ? 2 * b->capops : 64;
    b->ops = qf_realloc(b->ops, b->capops * sizeof *b->ops);
  }
  kv_op *op = &b->ops[b->nops++];
  op->kind = kind;
  op->db = db;
  op->klen = klen;
  op->koff = arena_copy(b, key, klen);
  op->vlen = vlen;
  op->voff = arena_copy(b, val, vlen);
}

void qf_kv_batch_put(qf_kv_batch *b, unsigned db, const void *key, size_t klen,
                     const void *val, size_t vlen) {
  add_op(b, OP_PUT, db, key, klen, val, vlen);
}

void qf_kv_batch_del(qf_kv_batch *b, unsigned db, const void *key, size_t klen) {
  add_op(b, OP_DEL, db, key, klen, NULL, 0);
}

void qf_kv_batch_append(qf_kv_batch *into, const qf_kv_batch *from) {
  for (size_t i = 0; i < from->nops; i++) {
    const kv_op *op = &from->ops[i];
    const char *a = from->arena ? from->arena : ""; /* NULL when all are empty */
    add_op(into, op->kind, op->db, a + op->koff, op->klen, a + op->voff, op->vlen);
  }
}

size_t qf_kv_batch_count(const qf_kv_batch *b) {
  return b->nops;
}

/* Applies every op in one write transaction. Returns the raw LMDB code and the
 * call that failed; on failure the transaction is gone and nothing is applied. */
static int apply_batch(qf_kv *kv, const qf_kv_batch *b, const char **call) {
  MDB_txn *txn;
  *call = "mdb_txn_begin";
  int rc = mdb_txn_begin(kv->env, NULL, 0, &txn);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < b->nops; i++) {
    const kv_op *op = &b->ops[i];
    MDB_val k = {op->klen, b->arena + op->koff};
    if (op->kind == OP_PUT) {
      MDB_val v = {op->vlen, b->arena + op->voff};
      *call = "mdb_put";
      rc = mdb_put(txn, kv->dbi[op->db], &k, &v, 0);
    } else {
      *call = "mdb_del";
      rc = mdb_del(txn, kv->dbi[op->db], &k, NULL);
      if (rc == MDB_NOTFOUND)
        rc = 0;
    }
    if (rc != 0) {
      mdb_txn_abort(txn);
      return rc;
    }
  }
  *call = "mdb_txn_commit";
  return mdb_txn_commit(txn);
}

/* ---- pinned snapshots ---- */

static int pin_take(kv_pin *p) {
  pthread_rwlock_rdlock(&p->kv->map_lock);
  int rc = mdb_txn_begin(p->kv->env, NULL, MDB_RDONLY, &p->txn);
  if (rc != 0) {
    p->txn = NULL;
    pthread_rwlock_unlock(&p->kv->map_lock);
    return kv_fail("mdb_txn_begin", rc);
  }
  return 0;
}

static void pin_drop(kv_pin *p) {
  if (p->txn == NULL)
    return;
  mdb_txn_abort(p->txn);
  p->txn = NULL;
  pthread_rwlock_unlock(&p->kv->map_lock);
}

/* This thread's pin of kv, or NULL. */
static kv_pin *pin_of(qf_kv *kv) {
  return pinned != NULL && pinned->kv == kv ? pinned : NULL;
}

int qf_kv_pin(qf_kv *kv) {
  if (pinned != NULL)
    return QF_EBUSY;
  kv_pin *p = qf_calloc(1, sizeof *p);
  p->kv = kv;
  int rc = pin_take(p);
  if (rc != 0) {
    free(p);
    return rc;
  }
  pinned = p;
  return 0;
}

int qf_kv_pin_refresh(qf_kv *kv) {
  kv_pin *p = pin_of(kv);
  if (p == NULL)
    return 0;
  if (p->users > 0)
    return QF_EBUSY;
  if (p->txn == NULL)
    return pin_take(p);
  mdb_txn_reset(p->txn);
  int rc = mdb_txn_renew(p->txn);
  if (rc != 0) {
    mdb_txn_abort(p->txn);
    p->txn = NULL;
    pthread_rwlock_unlock(&kv->map_lock);
    return kv_fail("mdb_txn_renew", rc);
  }
  return 0;
}

void qf_kv_unpin(qf_kv *kv) {
  kv_pin *p = pin_of(kv);
  if (p == NULL)
    return;
  pin_drop(p);
  free(p);
  pinned = NULL;
}

/* ---- growth and commits ---- */

int qf_kv_grow(qf_kv *kv) {
  if (kv->map_bytes >= kv->max_map_bytes) {
    qf_log_error("kv_full", "reason=map_at_maximum map_bytes=%zu", kv->map_bytes);
    return QF_EFULL;
  }
  kv_pin *p = pin_of(kv);
  if (reads_held > 0 || (p != NULL && p->users > 0)) {
    qf_log_error("kv_grow_refused",
                 "reason=read_transaction_open_in_committing_thread");
    return QF_EBUSY;
  }
  size_t next = kv->map_bytes * 2;
  if (next < kv->map_bytes || next > kv->max_map_bytes)
    next = kv->max_map_bytes;
  /* The pin is this thread's own read transaction: drop it, or the exclusive
   * lock below would wait for ourselves. */
  if (p != NULL)
    pin_drop(p);
  pthread_rwlock_wrlock(&kv->map_lock);
  int rc = mdb_env_set_mapsize(kv->env, next);
  pthread_rwlock_unlock(&kv->map_lock);
  if (p != NULL)
    pin_take(p); /* on failure reads take their own transactions; logged */
  if (rc != 0)
    return kv_fail("mdb_env_set_mapsize", rc);
  qf_log_info("kv_map_grown", "from=%zu to=%zu", kv->map_bytes, next);
  kv->map_bytes = next;
  return 0;
}

/* LMDB reports a short write of its pages as EIO: when the file system under
 * dir has less room left than the batch could need (with a margin for the
 * pages a commit rewrites), the disk is full. */
static bool out_of_space(const qf_kv *kv, const qf_kv_batch *b, int rc) {
  struct statvfs st;
  if (rc == ENOSPC || rc == EDQUOT)
    return true;
  if (rc != EIO || statvfs(kv->dir, &st) != 0)
    return false;
  unsigned long long avail = (unsigned long long)st.f_bavail * st.f_frsize;
  return avail < 2ull * b->used + (1ull << 20);
}

int qf_kv_commit_once(qf_kv *kv, qf_kv_batch *b, bool *map_full) {
  *map_full = false;
  if (b->nops == 0)
    return 0;
  for (size_t i = 0; i < b->nops; i++)
    if (b->ops[i].db >= kv->ndbs || b->ops[i].klen == 0)
      return QF_EINVAL;
  const char *call;
  int rc = apply_batch(kv, b, &call);
  if (rc == MDB_MAP_FULL) {
    *map_full = true; /* routine: the caller grows the map and replays */
    return QF_EFULL;
  }
  if (rc != 0 && out_of_space(kv, b, rc)) {
    qf_log_error("kv_failed", "call=%s code=%d err=\"%s\" reason=disk_full", call, rc,
                 mdb_strerror(rc));
    return QF_EFULL;
  }
  if (rc != 0)
    return kv_fail(call, rc);
  b->nops = 0;
  b->used = 0;
  return 0;
}

int qf_kv_commit(qf_kv *kv, qf_kv_batch *b) {
  bool map_full;
  int rc;
  /* A transaction that died with MDB_MAP_FULL applied nothing: grow, replay. */
  while ((rc = qf_kv_commit_once(kv, b, &map_full)) != 0 && map_full)
    if ((rc = qf_kv_grow(kv)) != 0)
      return rc;
  if (rc == 0 && pin_of(kv) != NULL)
    qf_kv_pin_refresh(kv); /* this thread sees its own commit */
  return rc;
}

void qf_kv_usage(qf_kv *kv, size_t *map_bytes, size_t *used_bytes) {
  MDB_envinfo info;
  MDB_stat st;
  mdb_env_info(kv->env, &info);
  mdb_env_stat(kv->env, &st);
  if (map_bytes)
    *map_bytes = info.me_mapsize;
  if (used_bytes)
    *used_bytes = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
}
