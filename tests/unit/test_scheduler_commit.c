/* The scheduler's group commit on its writer thread: order, durability before
 * the waiters, the loop's view of the store, map growth and the kept batch. */
#define _XOPEN_SOURCE 700
#include "commit.h"
#include "metrics.h"
#include "qf/err.h"
#include "qf/kv.h"
#include "qf/stats.h"
#include "tmpdir.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[64];
static const char *const dbs[] = {"d"};
static uv_loop_t loop;
static uv_idle_t alive; /* keeps the loop turning while a test waits */
static qf_stats *stats;

static void on_alive(uv_idle_t *h) {
  (void)h;
}

static void setup(void) {
  tmpdir_make(dir, sizeof dir, "commit");
  stats = qf_stats_new("test");
  metrics_init(stats);
  uv_loop_init(&loop);
  uv_idle_init(&loop, &alive);
  uv_idle_start(&alive, on_alive);
}

static void teardown(void) {
  uv_close((uv_handle_t *)&alive, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_expect_eq(uv_loop_close(&loop), 0, "a handle was left open");
  qf_stats_free(stats);
  tmpdir_remove(dir);
}

TestSuite(commit, .init = setup, .fini = teardown, .timeout = 30);

static qf_kv *open_kv(size_t map, size_t max) {
  qf_kv_opts opts = {map, max};
  qf_kv *kv = NULL;
  cr_assert_eq(qf_kv_open(&kv, dir, dbs, 1, &opts), 0);
  return kv;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turns the loop until *flag reaches want (10 s at most). */
static void run_until(const atomic_int *flag, int want) {
  int64_t end = now_ms() + 10000;
  while (atomic_load(flag) < want && now_ms() < end)
    uv_run(&loop, UV_RUN_NOWAIT);
  cr_assert_geq(atomic_load(flag), want, "waited 10 s for %d, got %d", want,
                atomic_load(flag));
}

static void put_u32(qf_kv_batch *b, uint32_t k, const char *v) {
  uint8_t key[4];
  qf_kv_put_be32(key, k);
  qf_kv_batch_put(b, 0, key, sizeof key, v, strlen(v) + 1);
}

/* What key k holds as seen from this thread (the loop's pinned snapshot). */
static int get_u32(qf_kv *kv, uint32_t k, char *out, size_t cap) {
  uint8_t key[4];
  qf_kv_txn *txn;
  qf_kv_val v;
  qf_kv_put_be32(key, k);
  cr_assert_eq(qf_kv_read_begin(kv, &txn), 0);
  int rc = qf_kv_get(txn, 0, key, sizeof key, &v);
  if (rc == 0)
    snprintf(out, cap, "%s", (const char *)v.data);
  qf_kv_read_end(txn);
  return rc;
}

typedef struct probe {
  qf_kv *kv;
  uint32_t key;
  atomic_int *done;
  int order[64];
  int status[64];
  bool visible[64];
} probe;

static probe pr;
static atomic_int ndone;

/* A waiter: records its turn, its status and whether its key is readable. */
static void on_done(int status, void *arg) {
  int i = (int)(intptr_t)arg, n = atomic_load(&ndone);
  char v[32];
  pr.order[n] = i;
  pr.status[i] = status;
  pr.visible[i] = get_u32(pr.kv, (uint32_t)i, v, sizeof v) == 0;
  atomic_fetch_add(&ndone, 1);
}

Test(commit, waiters_run_in_order_after_their_batch_is_readable) {
  qf_kv *kv = open_kv(0, 0);
  commit *c = commit_new(&loop, kv, "work", true);
  pr.kv = kv;
  atomic_store(&ndone, 0);
  for (int i = 0; i < 40; i++) {
    put_u32(commit_batch(c), (uint32_t)i, "v");
    commit_defer(c, on_done, (void *)(intptr_t)i);
    if (i % 7 == 0)
      uv_run(&loop, UV_RUN_NOWAIT); /* batches leave while others fill */
  }
  run_until(&ndone, 40);
  for (int i = 0; i < 40; i++) {
    cr_expect_eq(pr.order[i], i, "waiter %d ran in place %d", pr.order[i], i);
    cr_expect_eq(pr.status[i], 0);
    cr_expect(pr.visible[i], "key %d not readable in its waiter", i);
  }
  cr_expect_gt(qf_counter_get(mx.commits), 1, "everything went in one commit");
  commit_close(c);
  uv_run(&loop, UV_RUN_NOWAIT);
  qf_kv_close(kv);
}

/* Reads key 1 with a transaction of its own until it is committed. */
static void *watch_commit(void *arg) {
  qf_kv *kv = arg;
  uint8_t key[4];
  int64_t end = now_ms() + 10000;
  qf_kv_put_be32(key, 1);
  for (int rc = QF_ENOTFOUND; rc == QF_ENOTFOUND && now_ms() < end;) {
    qf_kv_txn *txn;
    qf_kv_val v;
    if (qf_kv_read_begin(kv, &txn) != 0)
      break;
    rc = qf_kv_get(txn, 0, key, sizeof key, &v);
    qf_kv_read_end(txn);
    if (rc == 0)
      return (void *)1;
  }
  return NULL;
}

Test(commit, the_loop_sees_a_batch_only_once_its_waiters_run) {
  qf_kv *kv = open_kv(0, 0);
  commit *c = commit_new(&loop, kv, "client", false);
  char v[32];
  pthread_t t;
  void *seen;
  pr.kv = kv;
  atomic_store(&ndone, 0);
  put_u32(commit_batch(c), 1, "v");
  commit_defer(c, on_done, (void *)(intptr_t)1);
  uv_run(&loop, UV_RUN_NOWAIT); /* hands the batch to the writer thread */
  pthread_create(&t, NULL, watch_commit, kv);
  pthread_join(t, &seen);
  cr_assert_not_null(seen, "the writer thread never committed");
  /* Durable, and readable by others, but its waiter has not run here yet. */
  cr_expect_eq(atomic_load(&ndone), 0);
  cr_expect_eq(get_u32(kv, 1, v, sizeof v), QF_ENOTFOUND,
               "the loop read a batch before its completion");
  run_until(&ndone, 1);
  cr_expect_eq(pr.status[1], 0);
  cr_expect(pr.visible[1]);
  cr_expect_eq(get_u32(kv, 1, v, sizeof v), 0);
  commit_close(c);
  uv_run(&loop, UV_RUN_NOWAIT);
  qf_kv_close(kv);
}

Test(commit, a_full_map_grows_between_rounds_and_nothing_is_lost) {
  qf_kv *kv = open_kv(64 << 10, 0);
  commit *work = commit_new(&loop, kv, "work", true);
  commit *client = commit_new(&loop, kv, "client", false);
  char big[600], v[sizeof big];
  size_t map0, map1;
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  qf_kv_usage(kv, &map0, NULL);
  pr.kv = kv;
  atomic_store(&ndone, 0);
  for (int i = 0; i < 60; i++) {
    commit *c = i % 2 ? client : work;
    for (int j = 0; j < 20; j++)
      put_u32(commit_batch(c), (uint32_t)(1000 + i * 20 + j), big);
    put_u32(commit_batch(c), (uint32_t)i, "marker");
    commit_defer(c, on_done, (void *)(intptr_t)i);
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  run_until(&ndone, 60);
  qf_kv_usage(kv, &map1, NULL);
  cr_expect_gt(map1, map0, "the map did not grow");
  for (int i = 0; i < 60; i++) {
    cr_expect_eq(pr.status[i], 0, "batch %d: %s", i, qf_strerror(pr.status[i]));
    cr_expect(pr.visible[i]);
  }
  for (uint32_t k = 1000; k < 1000 + 60 * 20; k++)
    cr_expect_eq(get_u32(kv, k, v, sizeof v), 0, "key %u lost", k);
  commit_close(work);
  commit_close(client);
  uv_run(&loop, UV_RUN_NOWAIT);
  qf_kv_close(kv);
}

/* Holds a read transaction (so LMDB cannot reuse the pages freed after it)
 * until told to let go. */
typedef struct holder {
  qf_kv *kv;
  atomic_int state; /* 0 starting, 1 holding, 2 let go */
} holder;

static void *hold_snapshot(void *arg) {
  holder *h = arg;
  qf_kv_txn *txn;
  cr_assert_eq(qf_kv_read_begin(h->kv, &txn), 0);
  atomic_store(&h->state, 1);
  while (atomic_load(&h->state) == 1)
    sched_yield();
  qf_kv_read_end(txn);
  return NULL;
}

Test(commit, a_kept_batch_that_failed_is_retried_until_it_commits) {
  /* A map at its maximum, a reader pinning old pages: rewriting the same keys
   * fills it; once the reader lets go the kept batch fits again. */
  qf_kv *kv = open_kv(512 << 10, 512 << 10);
  commit *c = commit_new(&loop, kv, "work", true);
  char val[1500], v[sizeof val];
  holder h = {kv, 0};
  pthread_t t;
  int i = 0, failed_at = -1;
  memset(val, 'a', sizeof val - 1);
  val[sizeof val - 1] = '\0';
  pr.kv = kv;
  atomic_store(&ndone, 0);
  pthread_create(&t, NULL, hold_snapshot, &h);
  while (atomic_load(&h.state) == 0)
    sched_yield();
  for (; i < 60 && failed_at < 0; i++) {
    val[0] = (char)('A' + i % 26);
    for (uint32_t k = 100; k < 110; k++)
      put_u32(commit_batch(c), k, val);
    commit_defer(c, on_done, (void *)(intptr_t)i);
    run_until(&ndone, i + 1);
    if (pr.status[i] != 0)
      failed_at = i;
  }
  cr_assert_geq(failed_at, 0, "the map never filled");
  cr_expect_eq(pr.status[failed_at], QF_EFULL);
  /* Written after the failure: commits together with the kept batch. */
  put_u32(commit_batch(c), 1, "after");
  commit_defer(c, on_done, (void *)(intptr_t)(i));
  atomic_store(&h.state, 2);
  pthread_join(t, NULL);
  run_until(&ndone, i + 1);
  cr_expect_eq(pr.status[i], 0, "retry: %s", qf_strerror(pr.status[i]));
  cr_expect_eq(get_u32(kv, 1, v, sizeof v), 0);
  cr_expect_eq(get_u32(kv, 100, v, sizeof v), 0);
  cr_expect_eq(v[0], 'A' + failed_at % 26, "the kept batch was not applied");
  cr_expect_gt(qf_counter_get(mx.commit_errors), 0);
  commit_close(c);
  uv_run(&loop, UV_RUN_NOWAIT);
  qf_kv_close(kv);
}

static void on_flushed(int status, void *arg) {
  (void)arg;
  pr.status[0] = status;
  atomic_fetch_add(&ndone, 1);
}

Test(commit, flush_waits_for_the_round_in_flight_then_commits_on_the_loop) {
  qf_kv *kv = open_kv(0, 0);
  commit *c = commit_new(&loop, kv, "work", true);
  char v[32];
  pr.kv = kv;
  atomic_store(&ndone, 0);
  put_u32(commit_batch(c), 1, "first");
  commit_defer(c, on_done, (void *)(intptr_t)1);
  uv_run(&loop, UV_RUN_NOWAIT); /* in flight */
  put_u32(commit_batch(c), 2, "second");
  commit_defer(c, on_flushed, NULL);
  cr_expect_eq(commit_flush(c), 0);
  cr_expect_eq(atomic_load(&ndone), 2, "flush left a waiter behind");
  cr_expect_eq(pr.order[0], 1, "the round in flight was answered after the flush");
  cr_expect_eq(get_u32(kv, 2, v, sizeof v), 0);
  cr_expect_str_eq(v, "second");
  commit_close(c);
  uv_run(&loop, UV_RUN_NOWAIT);
  qf_kv_close(kv);
}

static void on_closed_waiter(int status, void *arg) {
  (void)arg;
  pr.status[2] = status;
  atomic_fetch_add(&ndone, 1);
}

Test(commit, close_answers_the_round_in_flight_and_the_rest_with_eclosed) {
  qf_kv *kv = open_kv(0, 0);
  commit *c = commit_new(&loop, kv, "client", false);
  char v[32];
  pr.kv = kv;
  atomic_store(&ndone, 0);
  put_u32(commit_batch(c), 1, "sent");
  commit_defer(c, on_done, (void *)(intptr_t)1);
  uv_run(&loop, UV_RUN_NOWAIT); /* in flight */
  commit_defer(c, on_closed_waiter, NULL);
  commit_close(c);
  cr_expect_eq(atomic_load(&ndone), 2);
  cr_expect_eq(pr.status[1], 0);
  cr_expect_eq(pr.status[2], QF_ECLOSED);
  cr_expect_eq(get_u32(kv, 1, v, sizeof v), 0, "the batch handed over was lost");
  uv_run(&loop, UV_RUN_NOWAIT);
  qf_kv_close(kv);
}
