/* The dispatcher's content cache against a real Store server on the same libuv
 * loop (ipc:// in a temporary directory). The server answers an id by its first
 * byte: 0xFF is unknown; otherwise the text is id[1] * 100 bytes of id[0]'s
 * letter. Nothing sleeps: the loop runs until a condition holds or a deadline
 * passes, and each test ends by checking the loop closes with nothing open. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "content.h"
#include "metrics.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/rpc.h"
#include "store.pb-c.h"

#define WAIT_MS 5000

static struct env {
  uv_loop_t loop;
  uv_timer_t tick;
  char dir[64], url[128];
  qf_rpc_server *srv;
  qf_rpc_client *cli;
  qf_stats *stats;
  metrics m;
  content *c;
  int gets;
  size_t last_ids;
  int fail_gets; /* answer this many Gets with an error first */
} E;

typedef struct waiter {
  content_waiter w; /* first */
  int called, status;
  char text[4096];
} waiter;

static void on_ready(content_waiter *w, int status, const content_view *v) {
  waiter *x = (waiter *)w;
  x->called++;
  x->status = status;
  if (v)
    snprintf(x->text, sizeof x->text, "%s", v->text);
}

static void get_handler(qf_rpc_call *call, const ProtobufCMessage *m, void *arg) {
  (void)arg;
  const Qunfa__GetRequest *r = (const Qunfa__GetRequest *)m;
  E.gets++;
  E.last_ids = r->n_ids;
  if (E.fail_gets > 0) {
    E.fail_gets--;
    qf_rpc_reply_error(call, QF_EUNAVAIL, "store busy");
    return;
  }
  Qunfa__Content items[16];
  Qunfa__Content *ptrs[16];
  protobuf_c_boolean found[16];
  char texts[16][2048];
  cr_assert_leq(r->n_ids, 16);
  for (size_t i = 0; i < r->n_ids; i++) {
    const uint8_t *id = r->ids[i].data;
    qunfa__content__init(&items[i]);
    ptrs[i] = &items[i];
    found[i] = id[0] != 0xFF;
    size_t len = (size_t)id[1] * 100;
    memset(texts[i], 'a' + id[0] % 26, len);
    texts[i][len] = '\0';
    items[i].kind = "post";
    items[i].text = texts[i];
  }
  Qunfa__GetReply rep = QUNFA__GET_REPLY__INIT;
  rep.items = ptrs;
  rep.n_items = r->n_ids;
  rep.found = found;
  rep.n_found = r->n_ids;
  qf_rpc_reply(call, &rep.base);
}

static void on_tick(uv_timer_t *t) {
  (void)t;
}

static void setup(size_t max_bytes) {
  memset(&E, 0, sizeof E);
  cr_assert_eq(uv_loop_init(&E.loop), 0);
  uv_timer_init(&E.loop, &E.tick);
  uv_timer_start(&E.tick, on_tick, 5, 5);
  snprintf(E.dir, sizeof E.dir, "/tmp/qf-test-content-XXXXXX");
  cr_assert_not_null(mkdtemp(E.dir));
  snprintf(E.url, sizeof E.url, "ipc://%s/store.ipc", E.dir);
  qf_rpc_handler_fn h[] = {NULL, get_handler}; /* Put, Get */
  cr_assert_eq(qf_rpc_server_start(&E.srv, &E.loop, E.url, &qunfa__store__descriptor, h,
                                   NULL, NULL),
               0);
  cr_assert_eq(qf_rpc_client_open(&E.cli, E.url, NULL), 0);
  cr_assert_eq(qf_rpc_client_attach(E.cli, &E.loop), 0);
  E.stats = qf_stats_new("test");
  metrics_init(&E.m, E.stats);
  cr_assert_eq(content_new(&E.c, &E.loop, E.cli, max_bytes, &E.m), 0);
}

static void teardown(void) {
  content_stop(E.c);
  qf_rpc_client_close(E.cli);
  qf_rpc_server_stop(E.srv);
  uv_close((uv_handle_t *)&E.tick, NULL);
  uv_run(&E.loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&E.loop), 0, "the loop closes with nothing open");
  content_free(E.c);
  qf_stats_free(E.stats);
  char path[160];
  snprintf(path, sizeof path, "%s/store.ipc", E.dir);
  unlink(path);
  rmdir(E.dir);
}

static void run_until(const int *flag, int want) {
  int64_t end = qf_clock_mono_ms() + WAIT_MS;
  while (*flag < want && qf_clock_mono_ms() < end)
    uv_run(&E.loop, UV_RUN_ONCE);
  cr_assert_geq(*flag, want, "condition not met within %d ms", WAIT_MS);
}

static void make_id(uint8_t id[QF_SHA256_LEN], uint8_t tag, uint8_t size100) {
  memset(id, 0, QF_SHA256_LEN);
  id[0] = tag;
  id[1] = size100;
  id[31] = 0x5A;
}

static int ask(const uint8_t id[QF_SHA256_LEN], waiter *w) {
  memset(w, 0, sizeof *w);
  w->w.ready = on_ready;
  w->w.deadline_ms = qf_clock_now_ms() + WAIT_MS;
  content_view v;
  int hit = content_get(E.c, id, &w->w, &v);
  if (hit) {
    w->called = 1;
    snprintf(w->text, sizeof w->text, "%s", v.text);
  }
  return hit;
}

Test(dispatcher_content, misses_of_a_flush_share_one_get_and_then_hit) {
  setup(1 << 20);
  uint8_t a[32], b[32];
  make_id(a, 1, 1);
  make_id(b, 2, 2);
  waiter w1, w2, w3, w4;
  cr_assert_eq(ask(a, &w1), 0);
  cr_assert_eq(ask(a, &w2), 0);
  cr_assert_eq(ask(b, &w3), 0);
  content_flush(E.c);
  run_until(&w3.called, 1);
  run_until(&w2.called, 1);
  run_until(&w1.called, 1);
  cr_assert_eq(E.gets, 1, "one Get for the whole batch");
  cr_assert_eq(E.last_ids, 2, "a shared id is asked for once");
  cr_assert_eq(w1.status, 0);
  cr_assert_eq(strlen(w1.text), 100);
  cr_assert_eq(w1.text[0], 'b');
  cr_assert_str_eq(w1.text, w2.text);
  cr_assert_eq(strlen(w3.text), 200);
  cr_assert_eq(ask(a, &w4), 1, "a fetched id is a hit");
  cr_assert_str_eq(w4.text, w1.text);
  content_flush(E.c);
  cr_assert_eq(E.gets, 1);
  teardown();
}

Test(dispatcher_content, an_unknown_id_is_not_found_and_not_cached) {
  setup(1 << 20);
  uint8_t x[32];
  make_id(x, 0xFF, 1);
  waiter w1, w2;
  cr_assert_eq(ask(x, &w1), 0);
  content_flush(E.c);
  run_until(&w1.called, 1);
  cr_assert_eq(w1.status, QF_ENOTFOUND);
  cr_assert_eq(ask(x, &w2), 0, "not found is asked again next time");
  content_flush(E.c);
  run_until(&w2.called, 1);
  cr_assert_eq(E.gets, 2);
  teardown();
}

static void fetch_one(const uint8_t id[32]) {
  waiter w;
  if (ask(id, &w))
    return;
  content_flush(E.c);
  run_until(&w.called, 1);
  cr_assert_eq(w.status, 0);
}

Test(dispatcher_content, evicts_least_recently_used_within_the_byte_bound) {
  setup(2600); /* room for two items of ~1,000 bytes, not three */
  uint8_t a[32], b[32], c[32];
  make_id(a, 1, 10);
  make_id(b, 2, 10);
  make_id(c, 3, 10);
  fetch_one(a);
  fetch_one(b);
  waiter w;
  cr_assert_eq(ask(a, &w), 1, "a is still cached; now it is the most recent");
  fetch_one(c);
  cr_assert_eq(E.gets, 3);
  cr_assert_eq(ask(a, &w), 1, "a was used more recently than b");
  cr_assert_eq(ask(c, &w), 1);
  cr_assert_leq(qf_gauge_get(E.m.cache_bytes), 2600);
  cr_assert_eq(qf_counter_get(E.m.cache_evictions), 1);
  cr_assert_eq(ask(b, &w), 0, "b was evicted");
  content_flush(E.c);
  run_until(&w.called, 1);
  teardown();
}

Test(dispatcher_content, a_failed_get_is_retried_for_those_still_waiting) {
  setup(1 << 20);
  E.fail_gets = 2;
  uint8_t a[32];
  make_id(a, 4, 1);
  waiter w;
  cr_assert_eq(ask(a, &w), 0);
  content_flush(E.c);
  run_until(&w.called, 1);
  cr_assert_eq(w.status, 0);
  cr_assert_eq(E.gets, 3);
  cr_assert_eq(qf_counter_get(E.m.store_errors), 2);
  teardown();
}

Test(dispatcher_content, a_waiter_gives_up_at_its_deadline_while_the_store_fails) {
  setup(1 << 20);
  E.fail_gets = 1000;
  uint8_t a[32];
  make_id(a, 5, 1);
  waiter w;
  cr_assert_eq(ask(a, &w), 0);
  w.w.deadline_ms = qf_clock_now_ms() + 150;
  content_flush(E.c);
  run_until(&w.called, 1);
  cr_assert_eq(w.status, QF_ETIMEDOUT);
  teardown();
}

Test(dispatcher_content, cancel_all_answers_every_waiter_at_once) {
  setup(1 << 20);
  E.fail_gets = 1000;
  uint8_t a[32];
  make_id(a, 6, 1);
  waiter w1, w2;
  cr_assert_eq(ask(a, &w1), 0);
  cr_assert_eq(ask(a, &w2), 0);
  content_flush(E.c);
  content_cancel_all(E.c);
  cr_assert_eq(w1.called, 1);
  cr_assert_eq(w2.called, 1);
  cr_assert_eq(w1.status, QF_ECANCELED);
  teardown();
}
