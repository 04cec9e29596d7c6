#define _XOPEN_SOURCE 700
#include "qf/err.h"
#include "qf/kv.h"
#include "tmpdir.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static const char *const dbs[] = {"timeline", "posts"};

static void setup(void) {
  tmpdir_make(dir, sizeof dir, "kv");
}

static void teardown(void) {
  tmpdir_remove(dir);
}

TestSuite(kv, .init = setup, .fini = teardown);

static qf_kv *open_kv(const char *path, size_t map, size_t max) {
  qf_kv_opts opts = {map, max};
  qf_kv *kv = NULL;
  int rc = qf_kv_open(&kv, path, dbs, 2, &opts);
  cr_assert_eq(rc, 0, "qf_kv_open: %s", qf_strerror(rc));
  return kv;
}

static void put_u64(qf_kv_batch *b, unsigned db, uint64_t k, const char *v) {
  uint8_t key[8];
  qf_kv_put_be64(key, k);
  qf_kv_batch_put(b, db, key, sizeof key, v, strlen(v));
}

/* Returns the value of key k as a string in buf, or NULL when absent. */
static const char *get_u64(qf_kv *kv, unsigned db, uint64_t k, char *buf, size_t len) {
  qf_kv_txn *txn;
  cr_assert_eq(qf_kv_read_begin(kv, &txn), 0);
  uint8_t key[8];
  qf_kv_put_be64(key, k);
  qf_kv_val v;
  int rc = qf_kv_get(txn, db, key, sizeof key, &v);
  const char *out = NULL;
  if (rc == 0) {
    snprintf(buf, len, "%.*s", (int)v.len, (const char *)v.data);
    out = buf;
  } else {
    cr_assert_eq(rc, QF_ENOTFOUND);
  }
  qf_kv_read_end(txn);
  return out;
}

Test(kv, puts_then_gets_and_reports_absent_keys) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  put_u64(b, 0, 1, "one");
  put_u64(b, 1, 1, "post one");
  cr_assert_eq(qf_kv_batch_count(b), 2);
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  cr_assert_eq(qf_kv_batch_count(b), 0, "a committed batch is emptied for reuse");
  char buf[64];
  cr_assert_str_eq(get_u64(kv, 0, 1, buf, sizeof buf), "one");
  cr_assert_str_eq(get_u64(kv, 1, 1, buf, sizeof buf), "post one");
  cr_assert_null(get_u64(kv, 0, 2, buf, sizeof buf));
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, later_ops_in_a_batch_win_and_deleting_absent_keys_is_fine) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  put_u64(b, 0, 1, "first");
  put_u64(b, 0, 1, "second");
  put_u64(b, 0, 2, "doomed");
  uint8_t key[8];
  qf_kv_put_be64(key, 2);
  qf_kv_batch_del(b, 0, key, sizeof key);
  qf_kv_put_be64(key, 99);
  qf_kv_batch_del(b, 0, key, sizeof key);
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  char buf[64];
  cr_assert_str_eq(get_u64(kv, 0, 1, buf, sizeof buf), "second");
  cr_assert_null(get_u64(kv, 0, 2, buf, sizeof buf));
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

typedef struct seen {
  uint64_t keys[2000];
  size_t n;
  size_t stop_after;
} seen;

static int collect(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  seen *s = arg;
  cr_assert_eq(key->len, 8);
  (void)val;
  s->keys[s->n++] = qf_kv_get_be64(key->data);
  return s->stop_after && s->n == s->stop_after ? 42 : 0;
}

static void scan(qf_kv *kv, const uint64_t *from, const uint64_t *to, seen *s,
                 int want) {
  uint8_t f[8], t[8];
  if (from)
    qf_kv_put_be64(f, *from);
  if (to)
    qf_kv_put_be64(t, *to);
  qf_kv_txn *txn;
  cr_assert_eq(qf_kv_read_begin(kv, &txn), 0);
  int rc = qf_kv_scan(txn, 0, from ? f : NULL, from ? 8 : 0, to ? t : NULL, to ? 8 : 0,
                      collect, s);
  qf_kv_read_end(txn);
  cr_assert_eq(rc, want);
}

Test(kv, scans_big_endian_keys_in_numeric_order_over_half_open_ranges) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  /* Insert 1..1000 (times 257, so every byte varies) in a scrambled order. */
  for (uint64_t i = 0; i < 1000; i++)
    put_u64(b, 0, ((i * 7919) % 1000 + 1) * 257, "v");
  put_u64(b, 1, 5, "other db");
  cr_assert_eq(qf_kv_commit(kv, b), 0);

  static seen s;
  memset(&s, 0, sizeof s);
  scan(kv, NULL, NULL, &s, 0);
  cr_assert_eq(s.n, 1000);
  for (size_t i = 0; i < s.n; i++)
    cr_assert_eq(s.keys[i], (i + 1) * 257);

  memset(&s, 0, sizeof s);
  uint64_t from = 100 * 257, to = 200 * 257;
  scan(kv, &from, &to, &s, 0);
  cr_assert_eq(s.n, 100, "from is included, to is not");
  cr_assert_eq(s.keys[0], 100 * 257);
  cr_assert_eq(s.keys[99], 199 * 257);

  memset(&s, 0, sizeof s);
  from = 100 * 257 + 1; /* between keys: starts at the next one */
  scan(kv, &from, NULL, &s, 0);
  cr_assert_eq(s.n, 900);
  cr_assert_eq(s.keys[0], 101 * 257);

  memset(&s, 0, sizeof s);
  from = 5000 * 257;
  scan(kv, &from, NULL, &s, 0);
  cr_assert_eq(s.n, 0);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, scan_stops_when_the_visitor_says_so) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  for (uint64_t i = 0; i < 50; i++)
    put_u64(b, 0, i, "v");
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  static seen s;
  memset(&s, 0, sizeof s);
  s.stop_after = 10;
  scan(kv, NULL, NULL, &s, 42);
  cr_assert_eq(s.n, 10);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, a_failing_batch_applies_nothing_and_is_left_as_it_was) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  put_u64(b, 0, 1, "kept");
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  put_u64(b, 0, 1, "overwritten?");
  put_u64(b, 0, 2, "new?");
  char huge_key[600]; /* beyond LMDB's key limit: the third op fails */
  memset(huge_key, 'k', sizeof huge_key);
  qf_kv_batch_put(b, 0, huge_key, sizeof huge_key, "v", 1);
  int rc = qf_kv_commit(kv, b);
  cr_assert_eq(rc, QF_EINVAL, "%s", qf_errname(rc));
  cr_assert_eq(qf_kv_batch_count(b), 3);
  char buf[64];
  cr_assert_str_eq(get_u64(kv, 0, 1, buf, sizeof buf), "kept");
  cr_assert_null(get_u64(kv, 0, 2, buf, sizeof buf));
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

/* Value i: a recognisable 1 KiB body, so a lost or torn write shows. */
static void value_of(uint64_t i, char *v, size_t len) {
  memset(v, 'a' + (int)(i % 26), len - 1);
  snprintf(v, len, "%llu:", (unsigned long long)i);
  v[strlen(v)] = '-';
  v[len - 1] = '\0';
}

Test(kv, grows_map_when_full_and_keeps_every_write) {
  qf_kv *kv = open_kv(dir, 64 << 10, 0);
  size_t map0;
  qf_kv_usage(kv, &map0, NULL);
  cr_assert_leq(map0, 64 << 10);
  qf_kv_batch *b = qf_kv_batch_new();
  char v[1024];
  const uint64_t n = 8000; /* ~8 MiB in 8 commits, then one 2 MiB commit */
  for (uint64_t i = 0; i < n; i++) {
    value_of(i, v, sizeof v);
    put_u64(b, 0, i, v);
    if (qf_kv_batch_count(b) == 1000)
      cr_assert_eq(qf_kv_commit(kv, b), 0);
  }
  for (uint64_t i = 0; i < 2000; i++) {
    value_of(n + i, v, sizeof v);
    put_u64(b, 1, n + i, v);
  }
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  size_t map1, used;
  qf_kv_usage(kv, &map1, &used);
  cr_assert_gt(map1, 8u << 20, "map grew to %zu", map1);
  cr_assert_leq(used, map1);
  qf_kv_close(kv);

  kv = open_kv(dir, 64 << 10, 0); /* reopening keeps the grown map */
  char got[1100];
  for (uint64_t i = 0; i < n + 2000; i++) {
    value_of(i, v, sizeof v);
    const char *g = get_u64(kv, i < n ? 0 : 1, i, got, sizeof got);
    cr_assert_not_null(g, "key %llu lost", (unsigned long long)i);
    cr_assert_str_eq(g, v);
  }
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, full_map_at_its_maximum_is_qf_efull_with_nothing_applied) {
  qf_kv *kv = open_kv(dir, 64 << 10, 256 << 10);
  qf_kv_batch *b = qf_kv_batch_new();
  put_u64(b, 0, 0, "before");
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  char v[1024];
  for (uint64_t i = 1; i <= 1000; i++) {
    value_of(i, v, sizeof v);
    put_u64(b, 0, i, v);
  }
  cr_assert_eq(qf_kv_commit(kv, b), QF_EFULL);
  cr_assert_eq(qf_kv_batch_count(b), 1000);
  char buf[64];
  cr_assert_str_eq(get_u64(kv, 0, 0, buf, sizeof buf), "before");
  cr_assert_null(get_u64(kv, 0, 1, buf, sizeof buf));
  cr_assert_null(get_u64(kv, 0, 1000, buf, sizeof buf));
  /* The store still works for a batch that fits. */
  qf_kv_batch_free(b);
  b = qf_kv_batch_new();
  put_u64(b, 0, 7, "after");
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  cr_assert_str_eq(get_u64(kv, 0, 7, buf, sizeof buf), "after");
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, refuses_to_grow_under_its_own_read_transaction_instead_of_hanging) {
  qf_kv *kv = open_kv(dir, 64 << 10, 0);
  qf_kv_txn *txn;
  cr_assert_eq(qf_kv_read_begin(kv, &txn), 0);
  qf_kv_batch *b = qf_kv_batch_new();
  char v[1024];
  for (uint64_t i = 0; i < 500; i++) {
    value_of(i, v, sizeof v);
    put_u64(b, 0, i, v);
  }
  cr_assert_eq(qf_kv_commit(kv, b), QF_EBUSY);
  qf_kv_read_end(txn);
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

typedef struct reader_arg {
  qf_kv *kv;
  volatile int stop;
  long reads;
} reader_arg;

static void *reader(void *p) {
  reader_arg *a = p;
  while (!a->stop) {
    qf_kv_txn *txn;
    cr_assert_eq(qf_kv_read_begin(a->kv, &txn), 0);
    uint8_t key[8];
    qf_kv_put_be64(key, 0);
    qf_kv_val v;
    int rc = qf_kv_get(txn, 0, key, 8, &v);
    cr_assert(rc == 0 || rc == QF_ENOTFOUND);
    qf_kv_read_end(txn);
    a->reads++;
  }
  return NULL;
}

Test(kv, grows_map_while_other_threads_read) {
  qf_kv *kv = open_kv(dir, 64 << 10, 0);
  reader_arg a = {kv, 0, 0};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, reader, &a);
  qf_kv_batch *b = qf_kv_batch_new();
  char v[1024];
  for (uint64_t i = 0; i < 4000; i++) {
    value_of(i, v, sizeof v);
    put_u64(b, 0, i, v);
    if (qf_kv_batch_count(b) == 200)
      cr_assert_eq(qf_kv_commit(kv, b), 0);
  }
  a.stop = 1;
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  char got[1100];
  value_of(3999, v, sizeof v);
  cr_assert_str_eq(get_u64(kv, 0, 3999, got, sizeof got), v);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

/* Commits b from another thread, as a writer thread does. */
static void *commit_elsewhere(void *p) {
  void **a = p;
  bool full;
  intptr_t rc = qf_kv_commit_once(a[0], a[1], &full);
  return (void *)rc;
}

Test(kv, a_pinned_thread_sees_other_threads_commits_only_after_refresh) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  char got[32];
  void *args[2] = {kv, b}, *rc;
  pthread_t t;
  cr_assert_eq(qf_kv_pin(kv), 0);
  cr_assert_eq(qf_kv_pin(kv), QF_EBUSY, "a second pin on one thread");
  put_u64(b, 0, 1, "one");
  pthread_create(&t, NULL, commit_elsewhere, args);
  pthread_join(t, &rc);
  cr_assert_eq((intptr_t)rc, 0);
  cr_expect_null(get_u64(kv, 0, 1, got, sizeof got), "seen before the refresh");
  qf_kv_txn *txn;
  cr_assert_eq(qf_kv_read_begin(kv, &txn), 0);
  cr_expect_eq(qf_kv_pin_refresh(kv), QF_EBUSY, "refreshed under an open handle");
  qf_kv_read_end(txn);
  cr_assert_eq(qf_kv_pin_refresh(kv), 0);
  cr_expect_str_eq(get_u64(kv, 0, 1, got, sizeof got), "one");
  /* Its own commits it sees at once. */
  put_u64(b, 0, 2, "two");
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  cr_expect_str_eq(get_u64(kv, 0, 2, got, sizeof got), "two");
  qf_kv_unpin(kv);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, the_pinning_thread_grows_the_map_past_its_own_pin) {
  qf_kv *kv = open_kv(dir, 64 << 10, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  char v[1024], got[1100];
  bool full = false;
  cr_assert_eq(qf_kv_pin(kv), 0);
  for (uint64_t i = 0; i < 500; i++) {
    value_of(i, v, sizeof v);
    put_u64(b, 0, i, v);
  }
  cr_assert_eq(qf_kv_commit_once(kv, b, &full), QF_EFULL);
  cr_assert(full, "a full map is not told apart");
  cr_assert_eq(qf_kv_batch_count(b), 500, "the failed batch was changed");
  while (qf_kv_commit_once(kv, b, &full) != 0 && full)
    cr_assert_eq(qf_kv_grow(kv), 0);
  cr_assert_eq(qf_kv_batch_count(b), 0);
  cr_assert_eq(qf_kv_pin_refresh(kv), 0);
  value_of(499, v, sizeof v);
  cr_expect_str_eq(get_u64(kv, 0, 499, got, sizeof got), v);
  qf_kv_unpin(kv);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, an_appended_batch_applies_after_the_first_so_its_ops_win) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *a = qf_kv_batch_new(), *b = qf_kv_batch_new();
  char got[32];
  put_u64(a, 0, 1, "old");
  put_u64(a, 0, 2, "kept");
  put_u64(b, 0, 1, "new");
  qf_kv_batch_del(b, 1, (const uint8_t[]){1}, 1);
  qf_kv_batch_append(a, b);
  cr_expect_eq(qf_kv_batch_count(a), 4);
  cr_expect_eq(qf_kv_batch_count(b), 2, "the appended batch changed");
  cr_assert_eq(qf_kv_commit(kv, a), 0);
  cr_expect_str_eq(get_u64(kv, 0, 1, got, sizeof got), "new");
  cr_expect_str_eq(get_u64(kv, 0, 2, got, sizeof got), "kept");
  qf_kv_batch_free(a);
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, reopen_keeps_committed_data) {
  qf_kv *kv = open_kv(dir, 0, 0);
  qf_kv_batch *b = qf_kv_batch_new();
  put_u64(b, 1, 123, "durable");
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  qf_kv_close(kv);
  kv = open_kv(dir, 0, 0);
  char buf[64];
  cr_assert_str_eq(get_u64(kv, 1, 123, buf, sizeof buf), "durable");
  qf_kv_batch_free(b);
  qf_kv_close(kv);
}

Test(kv, creates_missing_parent_directories) {
  char path[128];
  snprintf(path, sizeof path, "%s/a/b/c", dir);
  qf_kv *kv = open_kv(path, 0, 0);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert(S_ISDIR(st.st_mode));
  qf_kv_close(kv);
}

Test(kv, a_file_in_the_way_is_qf_eio) {
  char path[128];
  snprintf(path, sizeof path, "%s/file", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fclose(f);
  qf_kv *kv = (qf_kv *)1;
  cr_assert_eq(qf_kv_open(&kv, path, dbs, 2, NULL), QF_EIO);
  cr_assert_null(kv);
  char below[160];
  snprintf(below, sizeof below, "%s/file/sub", dir);
  cr_assert_eq(qf_kv_open(&kv, below, dbs, 2, NULL), QF_EIO);
}

Test(kv, an_unwritable_directory_is_qf_eio) {
  if (geteuid() == 0) {
    teardown(); /* a skipped test does not run the suite's fini */
    cr_skip_test("permissions do not bind root");
  }
  char path[128];
  snprintf(path, sizeof path, "%s/ro", dir);
  cr_assert_eq(mkdir(path, 0500), 0);
  qf_kv *kv;
  cr_assert_eq(qf_kv_open(&kv, path, dbs, 2, NULL), QF_EIO);
  chmod(path, 0700);
}

Test(kv, close_and_free_of_null_are_no_ops) {
  qf_kv_close(NULL);
  qf_kv_batch_free(NULL);
  qf_kv_read_end(NULL);
}
