#include "items.h"

#include "idset.h"

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/kv.h"
#include "qf/log.h"

#include <stdlib.h>

enum { DB_ITEMS };
static const char *const db_names[] = {"items"};

typedef struct waiter {
  items_done_fn fn;
  void *arg;
} waiter;

struct items {
  qf_kv *kv;
  qf_kv_batch *batch;
  idset staged; /* ids in batch */
  int64_t staged_bytes;
  waiter *w;
  size_t nw, capw;
  uv_prepare_t prepare;
  uv_check_t check;
  int open_handles;
  qf_gauge *count, *bytes;
  qf_counter *commits;
};

static int count_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  items *it = arg;
  (void)key;
  qf_gauge_add(it->count, 1);
  qf_gauge_add(it->bytes, (int64_t)val->len);
  return 0;
}

/* Sets the gauges from what the environment holds (a scan: reads are cheap). */
static int count_stored(items *it) {
  qf_kv_txn *txn;
  int rc = qf_kv_read_begin(it->kv, &txn);
  if (rc != 0)
    return rc;
  rc = qf_kv_scan(txn, DB_ITEMS, NULL, 0, NULL, 0, count_one, it);
  qf_kv_read_end(txn);
  return rc;
}

static void on_check(uv_check_t *h) {
  items_flush(h->data);
}

static void on_prepare(uv_prepare_t *h) {
  items_flush(h->data);
}

int items_open(items **out, uv_loop_t *loop, const char *dir, qf_stats *stats) {
  *out = NULL;
  qf_kv *kv;
  int rc = qf_kv_open(&kv, dir, db_names, 1, NULL);
  if (rc != 0)
    return rc;
  items *it = qf_calloc(1, sizeof *it);
  it->kv = kv;
  it->batch = qf_kv_batch_new();
  it->count = qf_stats_gauge(stats, "items");
  it->bytes = qf_stats_gauge(stats, "bytes");
  it->commits = qf_stats_counter(stats, "commits");
  if ((rc = count_stored(it)) != 0) {
    qf_kv_batch_free(it->batch);
    qf_kv_close(kv);
    free(it);
    return rc;
  }
  it->prepare.data = it->check.data = it;
  uv_prepare_init(loop, &it->prepare);
  uv_check_init(loop, &it->check);
  uv_prepare_start(&it->prepare, on_prepare);
  uv_check_start(&it->check, on_check);
  it->open_handles = 2;
  *out = it;
  return 0;
}

static void stage(items *it, const items_new_item *v) {
  if (!idset_add(&it->staged, v->id))
    return;
  qf_kv_batch_put(it->batch, DB_ITEMS, v->id, QF_SHA256_LEN, v->bytes, v->len);
  it->staged_bytes += (int64_t)v->len;
}

static void add_waiter(items *it, items_done_fn fn, void *arg) {
  if (it->nw == it->capw) {
    it->capw = it->capw ? it->capw * 2 : 16;
    it->w = qf_realloc(it->w, it->capw * sizeof *it->w);
  }
  it->w[it->nw++] = (waiter){fn, arg};
}

int items_put(items *it, const items_new_item *v, size_t n, items_done_fn done,
              void *arg) {
  qf_kv_txn *txn;
  int rc = qf_kv_read_begin(it->kv, &txn);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (idset_has(&it->staged, v[i].id))
      continue;
    qf_kv_val val;
    rc = qf_kv_get(txn, DB_ITEMS, v[i].id, QF_SHA256_LEN, &val);
    if (rc == QF_ENOTFOUND) {
      stage(it, &v[i]);
      rc = 0;
    }
  }
  qf_kv_read_end(txn);
  /* Items staged before a failed lookup stay staged: writing them is harmless
   * and they are content-addressed, so a retry finds them. */
  if (rc == 0)
    add_waiter(it, done, arg);
  return rc;
}

int items_get(items *it, const uint8_t *const *ids, size_t n, items_visit_fn visit,
              void *arg) {
  qf_kv_txn *txn;
  int rc = qf_kv_read_begin(it->kv, &txn);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < n && rc == 0; i++) {
    qf_kv_val val;
    rc = qf_kv_get(txn, DB_ITEMS, ids[i], QF_SHA256_LEN, &val);
    if (rc == 0)
      visit(i, val.data, val.len, arg);
    else if (rc == QF_ENOTFOUND)
      rc = 0, visit(i, NULL, 0, arg);
  }
  qf_kv_read_end(txn);
  return rc;
}

/* Commits the batch; on failure drops it (each waiter's caller is told and may
 * retry) so one bad batch does not block every later Put. */
static int commit_staged(items *it) {
  size_t count = qf_kv_batch_count(it->batch);
  if (count == 0)
    return 0;
  int rc = qf_kv_commit(it->kv, it->batch);
  qf_counter_add(it->commits, 1);
  if (rc == 0) {
    qf_gauge_add(it->count, (int64_t)count);
    qf_gauge_add(it->bytes, it->staged_bytes);
  } else {
    qf_log_error("commit_failed", "items=%zu err=%s", count, qf_errname(rc));
    qf_kv_batch_free(it->batch);
    it->batch = qf_kv_batch_new();
  }
  idset_clear(&it->staged);
  it->staged_bytes = 0;
  return rc;
}

int items_flush(items *it) {
  if (it->nw == 0 && qf_kv_batch_count(it->batch) == 0)
    return 0;
  int rc = commit_staged(it);
  /* Completions may put again: those wait for the next turn's commit. */
  waiter *w = it->w;
  size_t n = it->nw;
  it->w = NULL;
  it->nw = it->capw = 0;
  for (size_t i = 0; i < n; i++)
    w[i].fn(rc, w[i].arg);
  free(w);
  return rc;
}

static void on_closed(uv_handle_t *h) {
  items *it = h->data;
  if (--it->open_handles > 0)
    return;
  qf_kv_batch_free(it->batch);
  qf_kv_close(it->kv);
  idset_free(&it->staged);
  free(it->w);
  free(it);
}

void items_close(items *it) {
  if (!it)
    return;
  items_flush(it);
  uv_close((uv_handle_t *)&it->prepare, on_closed);
  uv_close((uv_handle_t *)&it->check, on_closed);
}
