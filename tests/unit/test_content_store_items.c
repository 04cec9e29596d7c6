/* The content store's modules: canonical bytes and ids (content), the id set,
 * and the item set's group commit on a real libuv loop (items). */
#define _XOPEN_SOURCE 700
#include "content.h"
#include "idset.h"
#include "items.h"
#include "tmpdir.h"

#include "qf/err.h"
#include "qf/hash.h"
#include "qf/stats.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static char dir[64];

static void setup(void) {
  tmpdir_make(dir, sizeof dir, "items");
}

static void teardown(void) {
  tmpdir_remove(dir);
}

TestSuite(items, .init = setup, .fini = teardown);

static Qunfa__Content item(const char *kind, const char *text) {
  Qunfa__Content c = QUNFA__CONTENT__INIT;
  c.kind = (char *)kind;
  c.text = (char *)text;
  return c;
}

Test(content, id_is_sha256_of_the_packed_bytes) {
  Qunfa__Content c = item("post", "hello 0");
  uint8_t *bytes, id[QF_SHA256_LEN];
  size_t len;
  content_pack(&c, &bytes, &len, id);
  static const uint8_t want[] = {0x0a, 4,   'p', 'o', 's', 't', 0x12, 7,
                                 'h',  'e', 'l', 'l', 'o', ' ', '0'};
  cr_assert_eq(len, sizeof want);
  cr_assert_arr_eq(bytes, want, len);
  char hex[QF_SHA256_HEX_LEN];
  cr_assert_str_eq(qf_sha256_hex(id, hex),
                   "ef1fdd35c03b5ec8672c017b49338edcbc7a78c8ff3d2d7231129edbae5eee81");
  free(bytes);
}

Test(content, unknown_fields_do_not_change_the_id) {
  Qunfa__Content c = item("post", "x");
  uint8_t *b1, *b2, id1[QF_SHA256_LEN], id2[QF_SHA256_LEN];
  size_t l1, l2;
  content_pack(&c, &b1, &l1, id1);
  uint8_t extra[] = {0x1a, 1, 'z'}; /* field 3, a newer client's */
  ProtobufCMessageUnknownField uf = {3, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, 1,
                                     extra + 2};
  c.base.n_unknown_fields = 1;
  c.base.unknown_fields = &uf;
  content_pack(&c, &b2, &l2, id2);
  cr_assert_eq(l1, l2);
  cr_assert_arr_eq(id1, id2, QF_SHA256_LEN);
  free(b1);
  free(b2);
}

Test(content, rejects_empty_kind_and_oversized_items_naming_the_item) {
  char why[128];
  Qunfa__Content c = item("", "x");
  cr_assert_eq(content_check(&c, 7, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "item 7") && strstr(why, "kind"), "%s", why);
  char *big = malloc(CONTENT_MAX_BYTES + 1);
  memset(big, 'a', CONTENT_MAX_BYTES);
  big[CONTENT_MAX_BYTES] = '\0';
  c = item("post", big);
  cr_assert_eq(content_check(&c, 2, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "item 2"), "%s", why);
  big[CONTENT_MAX_BYTES - 16] = '\0'; /* with its tags, just under the limit */
  cr_assert_eq(content_check(&c, 2, why, sizeof why), 0, "%s", why);
  free(big);
}

Test(idset, adds_once_and_grows) {
  idset s = {0};
  uint8_t id[QF_SHA256_LEN] = {0};
  for (uint32_t i = 0; i < 5000; i++) {
    memcpy(id, &i, sizeof i);
    cr_assert(idset_add(&s, id));
  }
  for (uint32_t i = 0; i < 5000; i++) {
    memcpy(id, &i, sizeof i);
    cr_assert_not(idset_add(&s, id));
    cr_assert(idset_has(&s, id));
  }
  idset_clear(&s);
  cr_assert_not(idset_has(&s, id));
  cr_assert_eq(s.n, 0);
  idset_free(&s);
}

/* ---- items on a loop ---- */

typedef struct done_log {
  int calls, status;
  uint64_t commits_seen; /* the commit counter when done ran */
  qf_counter *commits;
} done_log;

static void on_done(int status, void *arg) {
  done_log *d = arg;
  d->calls++;
  d->status = status;
  d->commits_seen = qf_counter_get(d->commits);
}

typedef struct staged {
  uint8_t *bytes;
  size_t len;
  uint8_t id[QF_SHA256_LEN];
} staged;

static items_new_item stage_item(staged *s, const char *text) {
  Qunfa__Content c = item("post", text);
  content_pack(&c, &s->bytes, &s->len, s->id);
  return (items_new_item){s->id, s->bytes, s->len};
}

static void found_text(size_t i, const void *bytes, size_t len, void *arg) {
  char **out = arg;
  if (!bytes) {
    out[i] = NULL;
    return;
  }
  Qunfa__Content *c = qunfa__content__unpack(NULL, len, bytes);
  cr_assert_not_null(c);
  out[i] = strdup(c->text);
  qunfa__content__free_unpacked(c, NULL);
}

static void close_loop(uv_loop_t *loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(loop), 0, "handles left open");
}

Test(items, puts_of_one_turn_share_one_commit_and_complete_after_it) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  qf_stats *st = qf_stats_new("test");
  items *its;
  cr_assert_eq(items_open(&its, &loop, dir, st), 0);
  staged a, b;
  items_new_item va[2] = {stage_item(&a, "a"), stage_item(&b, "b")};
  done_log d1 = {.commits = qf_stats_counter(st, "commits")}, d2 = d1;
  cr_assert_eq(items_put(its, va, 2, on_done, &d1), 0);
  cr_assert_eq(items_put(its, va, 1, on_done, &d2), 0); /* same id again */
  cr_assert_eq(d1.calls, 0, "answered before the commit");
  uv_run(&loop, UV_RUN_NOWAIT); /* one turn: prepare/check commit */
  cr_assert_eq(d1.calls, 1);
  cr_assert_eq(d2.calls, 1);
  cr_assert_eq(d1.status, 0);
  cr_assert_eq(d1.commits_seen, 1, "done ran before its commit");
  cr_assert_eq(qf_counter_get(d1.commits), 1);
  cr_assert_eq(qf_gauge_get(qf_stats_gauge(st, "items")), 2);

  const uint8_t *ids[3] = {a.id, b.id, a.id};
  uint8_t unknown[QF_SHA256_LEN] = {1};
  ids[1] = unknown;
  char *texts[3];
  cr_assert_eq(items_get(its, ids, 3, found_text, texts), 0);
  cr_assert_str_eq(texts[0], "a");
  cr_assert_null(texts[1]);
  cr_assert_str_eq(texts[2], "a");
  free(texts[0]);
  free(texts[2]);

  /* Putting stored items again writes nothing but still completes. */
  done_log d3 = d1;
  d3.calls = 0;
  cr_assert_eq(items_put(its, va, 2, on_done, &d3), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  cr_assert_eq(d3.calls, 1);
  cr_assert_eq(qf_counter_get(d1.commits), 1);

  items_close(its);
  close_loop(&loop);
  free(a.bytes);
  free(b.bytes);
  qf_stats_free(st);
}

Test(items, close_commits_what_is_staged_and_a_reopen_counts_it) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  qf_stats *st = qf_stats_new("test");
  items *its;
  cr_assert_eq(items_open(&its, &loop, dir, st), 0);
  staged a;
  items_new_item v = stage_item(&a, "kept");
  done_log d = {.commits = qf_stats_counter(st, "commits")};
  cr_assert_eq(items_put(its, &v, 1, on_done, &d), 0);
  items_close(its); /* without a loop turn */
  cr_assert_eq(d.calls, 1);
  cr_assert_eq(d.status, 0);
  close_loop(&loop);
  qf_stats_free(st);

  uv_loop_init(&loop);
  st = qf_stats_new("test");
  cr_assert_eq(items_open(&its, &loop, dir, st), 0);
  cr_assert_eq(qf_gauge_get(qf_stats_gauge(st, "items")), 1);
  cr_assert_eq(qf_gauge_get(qf_stats_gauge(st, "bytes")), (int64_t)a.len);
  const uint8_t *ids[1] = {a.id};
  char *texts[1];
  cr_assert_eq(items_get(its, ids, 1, found_text, texts), 0);
  cr_assert_str_eq(texts[0], "kept");
  free(texts[0]);
  items_close(its);
  close_loop(&loop);
  qf_stats_free(st);
  free(a.bytes);
}
