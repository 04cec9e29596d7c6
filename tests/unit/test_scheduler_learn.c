#include <criterion/criterion.h>
#include <stdlib.h>

#include "learn.h"
#include "limiter.h"
#include "metrics.h"
#include "qf/stats.h"

#define SEC 1000000LL
#define T0 (1000 * SEC) /* an arbitrary monotonic instant */

/* ---- the rule (learn.h) ---- */

Test(learn, a_throttle_cuts_towards_what_the_platform_accepted) {
  learn s = {0};
  for (int i = 0; i < 7; i++)
    learn_accepted(&s, SEC, T0 + i * 1000);
  cr_assert(learn_throttled(&s, 20, SEC, T0 + 10000));
  cr_assert_eq(learn_count(&s, 20), 7, "seven accepted in the window: 7 per window");
}

Test(learn, one_throttle_keeps_at_least_a_quarter) {
  learn s = {0};
  learn_accepted(&s, SEC, T0);
  cr_assert(learn_throttled(&s, 20, SEC, T0 + 1000));
  cr_assert_eq(learn_count(&s, 20), 20 / LEARN_CUT_MAX);
}

Test(learn, a_throttle_with_more_accepted_halves) {
  learn s = {0};
  for (int i = 0; i < 15; i++)
    learn_accepted(&s, SEC, T0 + i * 1000);
  cr_assert(learn_throttled(&s, 20, SEC, T0 + 20000));
  cr_assert_eq(learn_count(&s, 20), 10, "at most half of the count in force");
}

Test(learn, throttles_a_window_apart_reach_the_floor_and_no_further) {
  learn s = {0};
  cr_assert(learn_throttled(&s, 20, SEC, T0));
  cr_assert_eq(learn_count(&s, 20), 5);
  cr_assert(learn_throttled(&s, 20, SEC, T0 + SEC));
  cr_assert_eq(learn_count(&s, 20), LEARN_FLOOR);
  cr_assert_not(learn_throttled(&s, 20, SEC, T0 + 5 * SEC), "nothing below the floor");
  cr_assert_eq(learn_count(&s, 20), LEARN_FLOOR);
}

Test(learn, throttles_within_a_window_of_a_cut_are_one_episode) {
  learn s = {0};
  for (int i = 0; i < 16; i++)
    learn_accepted(&s, SEC, T0 + i * 1000);
  cr_assert(learn_throttled(&s, 16, SEC, T0 + 20000));
  cr_assert_eq(learn_count(&s, 16), 8);
  /* The other answers to the same burst: sent at the old rate. */
  cr_assert_not(learn_throttled(&s, 16, SEC, T0 + 30000));
  cr_assert_not(learn_throttled(&s, 16, SEC, T0 + 20000 + SEC - 1));
  cr_assert_eq(learn_count(&s, 16), 8);
  /* A window later the rate in force tripped the platform again. */
  cr_assert(learn_throttled(&s, 16, SEC, T0 + 20000 + SEC));
  cr_assert_eq(learn_count(&s, 16), 4);
}

Test(learn, the_accepted_count_slides_with_the_window) {
  learn s = {0};
  for (int i = 0; i < 10; i++)
    learn_accepted(&s, SEC, T0 + i * 1000);
  cr_assert_eq(learn_recent(&s, SEC, T0 + SEC / 2), 10);
  /* Half of the previous window still counts. */
  cr_assert_eq(learn_recent(&s, SEC, T0 + SEC + SEC / 2), 5);
  cr_assert_eq(learn_recent(&s, SEC, T0 + 2 * SEC), 0);
  cr_assert_eq(learn_recent(&s, SEC, T0 + 10 * SEC), 0);
}

Test(learn, recovery_waits_for_the_quiet_period_and_steps_up_slowly) {
  learn s = {0};
  int64_t q = learn_quiet_us(SEC);
  cr_assert_eq(q, LEARN_QUIET_MIN_MS * 1000LL, "a 1 s window waits the minimum");
  cr_assert_eq(learn_quiet_us(60 * SEC), LEARN_QUIET_WINDOWS * 60 * SEC);
  cr_assert(learn_throttled(&s, 20, SEC, T0));
  cr_assert_eq(learn_count(&s, 20), 5);
  cr_assert_not(learn_recover(&s, 20, SEC, T0 + q - 1), "not before the quiet period");
  cr_assert_eq(learn_count(&s, 20), 5);
  cr_assert(learn_recover(&s, 20, SEC, T0 + q));
  cr_assert_eq(learn_count(&s, 20), 5 + 20 / LEARN_STEP_DIV, "one step");
  cr_assert_not(learn_recover(&s, 20, SEC, T0 + q + SEC), "the next step waits again");
  /* A throttled answer starts the quiet period over. */
  learn_throttled(&s, 20, SEC, T0 + q + 2 * SEC);
  cr_assert_not(learn_recover(&s, 20, SEC, T0 + 2 * q + SEC));
}

Test(learn, a_long_quiet_forgets_and_never_exceeds_the_configured_count) {
  learn s = {0};
  learn_throttled(&s, 20, SEC, T0);
  cr_assert(learn_recover(&s, 20, SEC, T0 + 100 * learn_quiet_us(SEC)));
  cr_assert_eq(s.limit, 0, "back at the configured limit: nothing learned");
  cr_assert_eq(learn_count(&s, 20), 20);
}

/* Any sequence of answers keeps the count in force within [floor, n]. */
Test(learn, the_count_in_force_stays_between_the_floor_and_the_configured_count) {
  learn s = {0};
  uint32_t n = 37;
  int64_t now = T0;
  srand(7);
  for (int i = 0; i < 100000; i++) {
    now += rand() % (2 * SEC);
    if (rand() % 4 == 0)
      learn_throttled(&s, n, SEC, now);
    else
      learn_recover(&s, n, SEC, now);
    uint32_t c = learn_count(&s, n);
    cr_assert(c >= LEARN_FLOOR && c <= n, "count %u", c);
    cr_assert(s.limit < n, "a learned limit is below the configured one");
  }
}

/* ---- the limiter (limiter.h) ---- */

static limits *lim;
static qf_stats *st;

static void setup(void) {
  limits_opts o = {.margin_ms = 0};
  st = qf_stats_new("test");
  metrics_init(st);
  lim = limits_new(&o);
}

static void teardown(void) {
  limits_free(lim);
  qf_stats_free(st);
}

static ginfo *group(const char *id, const char *dialect, const char *rate) {
  Qunfa__Group g = QUNFA__GROUP__INIT;
  g.id = (char *)id;
  g.dialect = (char *)dialect;
  g.url = "http://h/services/T/B/X";
  g.rate = (char *)rate;
  return limits_group_set(lim, &g);
}

/* One lease of g at now_us, answered at once; true when it was allowed. */
static bool lease_one(ginfo *g, int64_t now_us) {
  lkey *blocker;
  bool inflight;
  if (limits_take(lim, g, now_us, &blocker, &inflight) != 0)
    return false;
  limits_done(g, now_us, true);
  return true;
}

TestSuite(limits_learn, .init = setup, .fini = teardown);

Test(limits_learn, a_learned_limit_paces_the_group_below_its_configured_one) {
  ginfo *g = group("g1", "slack", "4/s");
  int64_t w;
  cr_assert(lease_one(g, T0));
  limits_accepted(lim, g, T0);
  cr_assert(lease_one(g, T0 + 1), "4/s configured: a second message may go");
  limits_throttled(lim, g, T0 + 2);
  cr_assert_eq(limits_learned(g, &w), 1, "learned: 1 per second");
  cr_assert_eq(w, SEC);
  cr_assert_eq(qf_gauge_get(mx.learned_keys), 1);
  cr_assert_not(lease_one(g, T0 + 3), "the learned limit holds the group");
  cr_assert_not(lease_one(g, T0 + SEC), "1 per second after the last message ended");
  cr_assert(lease_one(g, T0 + 1 + SEC));
  cr_assert_not(lease_one(g, T0 + 2 + SEC));
}

Test(limits_learn, without_learning_the_configured_limit_applies) {
  limits_free(lim);
  lim = limits_new(&(limits_opts){.no_learn = true});
  ginfo *g = group("g1", "slack", "4/s");
  int64_t w;
  cr_assert(lease_one(g, T0));
  limits_accepted(lim, g, T0);
  limits_throttled(lim, g, T0 + 2);
  cr_assert_eq(limits_learned(g, &w), 4);
  cr_assert(lease_one(g, T0 + 3));
}

Test(limits_learn, learns_on_the_shortest_window) {
  ginfo *g = group("f1", "feishu", "");
  int64_t w;
  cr_assert_eq(limits_learned(g, &w), 5, "feishu: 5/s and 100/min");
  cr_assert_eq(w, SEC);
  limits_throttled(lim, g, T0);
  cr_assert_eq(limits_learned(g, &w), 1);
  cr_assert_eq(w, SEC);
}

Test(limits_learn, a_group_without_a_limit_learns_nothing) {
  ginfo *g = group("u1", "generic", "");
  int64_t w;
  limits_throttled(lim, g, T0);
  cr_assert_eq(limits_learned(g, &w), 0);
  cr_assert(lease_one(g, T0 + 1));
}

Test(limits_learn, a_changed_configured_limit_forgets_what_was_learned) {
  ginfo *g = group("g1", "slack", "4/s");
  int64_t w;
  limits_throttled(lim, g, T0);
  cr_assert_eq(limits_learned(g, &w), 1);
  group("g1", "slack", "4/s"); /* the same limits: kept */
  cr_assert_eq(limits_learned(g, &w), 1);
  group("g1", "slack", "8/s");
  cr_assert_eq(limits_learned(g, &w), 8);
  cr_assert_eq(qf_gauge_get(mx.learned_keys), 0);
}

Test(limits_learn, recovery_returns_to_the_configured_limit_and_no_further) {
  ginfo *g = group("g1", "slack", "4/s");
  int64_t w, now = T0;
  limits_throttled(lim, g, now);
  for (int i = 0; i < 10; i++) {
    now += learn_quiet_us(SEC);
    limits_accepted(lim, g, now);
    cr_assert_leq(limits_learned(g, &w), 4);
  }
  cr_assert_eq(limits_learned(g, &w), 4);
  cr_assert_eq(qf_gauge_get(mx.learned_keys), 0);
}
