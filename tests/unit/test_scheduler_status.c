/* The counts of a post not in memory: a finished post's come from its record,
 * which keeps them, so a status does not read every delivery; a record written
 * before it kept them, or a post not finished, is counted from its deliveries. */
#define _XOPEN_SOURCE 700
#include "apost.h"
#include "db.h"
#include "metrics.h"
#include "qf/stats.h"
#include "status.h"
#include "tmpdir.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

static char dir[64];
static qf_kv *kv;
static qf_stats *st;

static void setup(void) {
  tmpdir_make(dir, sizeof dir, "status");
  st = qf_stats_new("test");
  metrics_init(st);
  cr_assert_eq(db_open(&kv, dir, 0), 0);
}

static void teardown(void) {
  qf_kv_close(kv);
  qf_stats_free(st);
  tmpdir_remove(dir);
}

TestSuite(status, .init = setup, .fini = teardown, .timeout = 30);

static void commit(qf_kv_batch *b) {
  cr_assert_eq(qf_kv_commit(kv, b), 0);
  qf_kv_batch_free(b);
}

/* Stores a delivery of post in state (LEASED as well: counted pending). */
static void put_delivery(qf_kv_batch *b, uint64_t post, uint32_t seq, int state) {
  Qunfa__Delivery d = QUNFA__DELIVERY__INIT;
  d.group_id = "g";
  d.state = state;
  db_put_delivery(b, post, seq, &d);
}

/* Stores post id's record (done or not, with final counts or none) and its
 * three deliveries in states[0..2]. */
static void put_post(uint64_t id, bool done, uint32_t *final, const int states[3]) {
  Qunfa__Post rec = QUNFA__POST__INIT;
  rec.id = id;
  rec.total = 3;
  rec.done = done;
  rec.n_final_counts = final ? APOST_STATES : 0;
  rec.final_counts = final;
  qf_kv_batch *b = qf_kv_batch_new();
  db_put_post(b, &rec);
  for (uint32_t i = 0; i < 3; i++)
    put_delivery(b, id, i, states[i]);
  commit(b);
}

/* The counts status_stored_counts gives for the stored post id. */
static void stored_counts(uint64_t id, uint32_t counts[APOST_STATES]) {
  qf_kv_txn *txn = NULL;
  Qunfa__Post *rec = NULL;
  cr_assert_eq(qf_kv_read_begin(kv, &txn), 0);
  cr_assert_eq(db_get_post(txn, id, &rec), 0);
  cr_assert_eq(status_stored_counts(txn, rec, counts), 0);
  qunfa__post__free_unpacked(rec, NULL);
  qf_kv_read_end(txn);
}

static void expect_counts(const uint32_t got[APOST_STATES],
                          const uint32_t want[APOST_STATES]) {
  for (int i = 0; i < APOST_STATES; i++)
    cr_expect_eq(got[i], want[i], "state %d: want %u, got %u", i, want[i], got[i]);
}

Test(status, finished_post_counted_from_its_record) {
  Qunfa__Post rec = QUNFA__POST__INIT;
  rec.id = 7;
  rec.total = 3;
  apost *p = apost_new(&rec);
  for (uint32_t i = 0; i < 3; i++) {
    Qunfa__Delivery d = QUNFA__DELIVERY__INIT;
    d.group_id = "g";
    apost_load(p, i, &d);
  }
  apost_set_state(p, 0, QUNFA__DELIVERY_STATE__DELIVERED);
  apost_set_state(p, 1, QUNFA__DELIVERY_STATE__FAILED);
  apost_set_state(p, 2, QUNFA__DELIVERY_STATE__CANCELLED);
  cr_assert(apost_complete(p));
  p->done = true;
  /* The record alone, no delivery: the counts can only come from it. */
  qf_kv_batch *b = qf_kv_batch_new();
  apost_write_record(p, b);
  commit(b);
  apost_forget_counts(p);
  apost_unref(p);
  uint32_t got[APOST_STATES];
  stored_counts(7, got);
  expect_counts(got, (uint32_t[APOST_STATES]){0, 0, 1, 1, 0, 1});
}

Test(status, record_without_counts_counted_from_deliveries) {
  put_post(8, true, NULL,
           (const int[3]){QUNFA__DELIVERY_STATE__DELIVERED,
                          QUNFA__DELIVERY_STATE__DELIVERED,
                          QUNFA__DELIVERY_STATE__EXPIRED});
  qf_kv_batch *b = qf_kv_batch_new();
  put_delivery(b, 9, 0, QUNFA__DELIVERY_STATE__FAILED); /* the next post's */
  commit(b);
  uint32_t got[APOST_STATES];
  stored_counts(8, got);
  expect_counts(got, (uint32_t[APOST_STATES]){0, 0, 2, 0, 1, 0});
}

Test(status, unfinished_post_counted_from_deliveries) {
  static uint32_t stale[APOST_STATES] = {0, 0, 9, 9, 9, 9};
  /* Counts in a record not done are not to be trusted. */
  put_post(10, false, stale,
           (const int[3]){QUNFA__DELIVERY_STATE__PENDING, QUNFA__DELIVERY_STATE__LEASED,
                          QUNFA__DELIVERY_STATE__DELIVERED});
  uint32_t got[APOST_STATES];
  stored_counts(10, got);
  expect_counts(got, (uint32_t[APOST_STATES]){2, 0, 1, 0, 0, 0});
}
