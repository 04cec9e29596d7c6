#include <criterion/criterion.h>
#include <string.h>

#include "apost.h"
#include "limiter.h"
#include "metrics.h"
#include "qf/clock.h"
#include "qf/stats.h"
#include "ready.h"

/* The ready queues with the limiter and no LMDB: groups are set up front. */
static uv_loop_t loop;
static ready *r;
static limits *lim;
static qf_stats *st;
static int ends;

static void on_wake(void *arg) {
  (void)arg;
}

static void on_end(void *arg, apost *p, uint32_t seq, int state, const char *reason) {
  (void)arg;
  (void)reason;
  apost_set_state(p, seq, state);
  ends++;
}

static void setup(void) {
  limits_opts o = {.margin_ms = 0};
  st = qf_stats_new("test");
  metrics_init(st);
  uv_loop_init(&loop);
  lim = limits_new(&o);
  r = ready_new(&loop, lim, &(ready_hooks){on_wake, NULL, on_end, NULL});
  ends = 0;
}

static void teardown(void) {
  ready_close(r);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0, "the loop closes with nothing open");
  qf_stats_free(st);
}

static void group(const char *id, const char *rate) {
  Qunfa__Group g = QUNFA__GROUP__INIT;
  g.id = (char *)id;
  g.dialect = "generic";
  g.url = "http://h/";
  g.rate = (char *)rate;
  limits_group_set(lim, &g);
}

/* A post of priority to groups (unknown ones are made unlimited) ids[0..n), every
 * delivery queued. */
static apost *post(uint64_t id, int priority, const char *const *ids, uint32_t n) {
  Qunfa__Post rec = QUNFA__POST__INIT;
  rec.id = id;
  rec.total = n;
  rec.priority = priority;
  apost *p = apost_new(&rec);
  for (uint32_t i = 0; i < n; i++) {
    Qunfa__Delivery d = QUNFA__DELIVERY__INIT;
    d.group_id = (char *)ids[i];
    if (limits_group(lim, NULL, ids[i]) == NULL)
      group(ids[i], ""); /* unlimited unless set up before */
    apost_load(p, i, &d);
    ready_push(r, p, i);
  }
  return p;
}

/* The next leased delivery as "post:group", or "" when none may go. */
static const char *pop(void) {
  static char buf[64];
  apost *p;
  uint32_t seq;
  unsigned budget = 100;
  if (!ready_pop(r, NULL, &p, &seq, &budget))
    return "";
  apost_set_state(p, seq, QUNFA__DELIVERY_STATE__LEASED);
  snprintf(buf, sizeof buf, "%llu:%s", (unsigned long long)p->id, apost_group(p, seq));
  apost_unref(p);
  return buf;
}

/* Ends the lease of delivery seq of p as sent, as a result would. */
static void lease_end(apost *p, uint32_t seq) {
  ginfo *g = limits_group(lim, NULL, apost_group(p, seq));
  apost_set_state(p, seq, QUNFA__DELIVERY_STATE__DELIVERED);
  if (p->d[seq].flags & ADLV_INFLIGHT) {
    p->d[seq].flags &= (uint8_t)~ADLV_INFLIGHT;
    limits_done(g, qf_clock_mono_us(), true);
    ready_key_freed(r, &g->key);
  }
}

/* Runs the loop until a delivery may be leased, for at most ms. */
static const char *pop_within(int64_t ms) {
  int64_t end = qf_clock_mono_ms() + ms;
  const char *got;
  while ((got = pop())[0] == '\0' && qf_clock_mono_ms() < end)
    uv_run(&loop, UV_RUN_ONCE);
  return got;
}

TestSuite(ready, .init = setup, .fini = teardown);

Test(ready, higher_priority_always_first) {
  static const char *const a[] = {"a1", "a2"}, *const b[] = {"b1", "b2"},
                           *const c[] = {"c1"};
  apost *bulk = post(1, QUNFA__PRIORITY__PRIORITY_BULK, a, 2);
  apost *normal = post(2, QUNFA__PRIORITY__PRIORITY_NORMAL, c, 1);
  apost *urgent = post(3, QUNFA__PRIORITY__PRIORITY_URGENT, b, 2);
  cr_assert_str_eq(pop(), "3:b1");
  cr_assert_str_eq(pop(), "3:b2");
  cr_assert_str_eq(pop(), "2:c1");
  cr_assert_str_eq(pop(), "1:a1");
  cr_assert_str_eq(pop(), "1:a2");
  cr_assert_str_eq(pop(), "");
  apost_unref(bulk);
  apost_unref(normal);
  apost_unref(urgent);
}

Test(ready, posts_of_one_class_share_round_robin) {
  static const char *const big[] = {"g1", "g2", "g3", "g4"}, *const small[] = {"h1",
                                                                               "h2"};
  apost *p1 = post(1, QUNFA__PRIORITY__PRIORITY_BULK, big, 4);
  apost *p2 = post(2, QUNFA__PRIORITY__PRIORITY_BULK, small, 2);
  cr_assert_str_eq(pop(), "1:g1");
  cr_assert_str_eq(pop(), "2:h1");
  cr_assert_str_eq(pop(), "1:g2");
  cr_assert_str_eq(pop(), "2:h2");
  cr_assert_str_eq(pop(), "1:g3");
  cr_assert_str_eq(pop(), "1:g4");
  apost_unref(p1);
  apost_unref(p2);
}

Test(ready, a_throttled_group_is_parked_and_never_blocks_others) {
  static const char *const ids[] = {"slow", "fast"};
  group("slow", "1/h");
  apost *p1 = post(1, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 2);
  apost *p2 = post(2, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 2);
  cr_assert_str_eq(pop(), "1:slow");
  /* 2:slow waits behind the lease of 1:slow, parked: the others go on. */
  cr_assert_str_eq(pop(), "1:fast");
  cr_assert_str_eq(pop(), "2:fast");
  cr_assert_str_eq(pop(), "");
  cr_assert_eq(ready_parked(r), 1);
  /* The lease ends: at 1/h the group conforms again only in an hour. */
  lease_end(p1, 0);
  cr_assert_str_eq(pop(), "");
  cr_assert_eq(ready_parked(r), 1);
  apost_unref(p1);
  apost_unref(p2);
}

Test(ready, a_limited_group_has_up_to_n_leases_out) {
  static const char *const ids[] = {"g"};
  group("g", "3/s");
  apost *p[4];
  for (int i = 0; i < 4; i++)
    p[i] = post((uint64_t)i + 1, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 1);
  cr_assert_str_eq(pop(), "1:g");
  cr_assert_str_eq(pop(), "2:g");
  cr_assert_str_eq(pop(), "3:g");
  cr_assert_str_eq(pop(), "", "a fourth waits: three are out");
  cr_assert_eq(ready_parked(r), 1);
  for (int i = 0; i < 4; i++)
    apost_unref(p[i]);
}

Test(ready, a_parked_delivery_goes_when_its_key_conforms_again) {
  static const char *const ids[] = {"g"};
  group("g", "2/s");
  apost *p1 = post(1, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 1);
  apost *p2 = post(2, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 1);
  apost *p3 = post(3, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 1);
  cr_assert_str_eq(pop(), "1:g");
  cr_assert_str_eq(pop(), "2:g");
  cr_assert_str_eq(pop(), "");
  lease_end(p1, 0);
  int64_t t0 = qf_clock_mono_ms();
  /* 2:g is still out: 1:g's end opens the window again only a second later. */
  cr_assert_str_eq(pop_within(3000), "3:g");
  cr_assert_geq(qf_clock_mono_ms() - t0, 999, "not before the window");
  cr_assert_eq(ready_parked(r), 0);
  apost_unref(p1);
  apost_unref(p2);
  apost_unref(p3);
}

Test(ready, deliveries_of_one_group_go_in_post_order) {
  static const char *const ids[] = {"g"};
  group("g", "100/s");
  apost *p[4];
  for (int i = 0; i < 4; i++)
    p[i] = post((uint64_t)i + 1, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 1);
  for (int i = 0; i < 4; i++) {
    char want[16];
    snprintf(want, sizeof want, "%d:g", i + 1);
    cr_assert_str_eq(pop_within(2000), want);
    lease_end(p[i], 0);
  }
  for (int i = 0; i < 4; i++)
    apost_unref(p[i]);
}

Test(ready, a_higher_class_overtakes_deliveries_parked_on_its_group) {
  static const char *const ids[] = {"g"};
  group("g", "1/s");
  apost *b1 = post(1, QUNFA__PRIORITY__PRIORITY_BULK, ids, 1);
  apost *b2 = post(2, QUNFA__PRIORITY__PRIORITY_BULK, ids, 1);
  cr_assert_str_eq(pop(), "1:g");
  cr_assert_str_eq(pop(), ""); /* 2:g parked */
  apost *u = post(3, QUNFA__PRIORITY__PRIORITY_URGENT, ids, 1);
  cr_assert_str_eq(pop(), ""); /* parked too: the group's one lease is out */
  lease_end(b1, 0);
  cr_assert_str_eq(pop_within(3000), "3:g");
  lease_end(u, 0);
  cr_assert_str_eq(pop_within(3000), "2:g");
  apost_unref(b1);
  apost_unref(b2);
  apost_unref(u);
}

Test(ready, an_expired_post_ends_instead_of_being_leased) {
  static const char *const ids[] = {"a", "b"};
  apost *p = post(1, QUNFA__PRIORITY__PRIORITY_NORMAL, ids, 2);
  p->expires_ms = qf_clock_now_ms() - 1;
  cr_assert_str_eq(pop(), "");
  cr_assert_eq(ends, 2);
  cr_assert_eq(p->counts[QUNFA__DELIVERY_STATE__EXPIRED], 2);
  apost_unref(p);
}

Test(ready, the_global_limit_holds_everything_and_releases_in_priority_order) {
  static const char *const ids[] = {"a", "b", "c"};
  ready_close(r);
  uv_run(&loop, UV_RUN_DEFAULT);
  limits_opts o = {.global = {1, 50}}; /* one per 50 ms */
  lim = limits_new(&o);
  r = ready_new(&loop, lim, &(ready_hooks){on_wake, NULL, on_end, NULL});
  apost *bulk = post(1, QUNFA__PRIORITY__PRIORITY_BULK, ids, 3);
  cr_assert_str_eq(pop(), "1:a");
  cr_assert_str_eq(pop(), "");
  apost *urgent = post(2, QUNFA__PRIORITY__PRIORITY_URGENT, ids, 1);
  cr_assert_str_eq(pop_within(2000), "2:a");
  cr_assert_str_eq(pop_within(2000), "1:b");
  apost_unref(bulk);
  apost_unref(urgent);
}
