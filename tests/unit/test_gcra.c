#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "qf/err.h"
#include "qf/gcra.h"
#include "qf/group.h"

#define SEC INT64_C(1000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

static qf_gcra_limit limit_of(uint32_t n, int64_t w_us) {
  qf_gcra_limit l;
  cr_assert_eq(qf_gcra_limit_init(&l, n, w_us), 0);
  return l;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void) { /* xorshift64: deterministic, seedable */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* The most takes in any half-open window [t, t + w): sliding two pointers over the
 * sorted take times (a window with the most takes can always start at a take). */
static size_t max_in_window(const int64_t *t, size_t n, int64_t w) {
  size_t best = 0, lo = 0;

  for (size_t hi = 0; hi < n; hi++) {
    while (t[hi] - t[lo] >= w)
      lo++;
    if (hi - lo + 1 > best)
      best = hi - lo + 1;
  }
  return best;
}

/* The same by brute force, for cross-checking the checker on short sequences. */
static size_t max_in_window_brute(const int64_t *t, size_t n, int64_t w) {
  size_t best = 0;

  for (size_t i = 0; i < n; i++) {
    size_t c = 0;
    for (size_t j = 0; j < n; j++)
      c += t[j] >= t[i] && t[j] < t[i] + w;
    if (c > best)
      best = c;
  }
  return best;
}

/* Random arrivals from start for span: mostly small gaps, sometimes bursts at the
 * same µs, sometimes long idle gaps, sometimes exactly at the earliest instant. */
static size_t random_run(qf_gcra_cell *cell, const qf_gcra_limit *l, int64_t start,
                         int64_t span, int64_t mean_gap, int64_t *out, size_t cap) {
  int64_t now = start, hint = 0;
  size_t n = 0;

  while (now < start + span && n < cap) {
    int64_t at = qf_gcra_take(cell, l, now);
    if (at == 0)
      out[n++] = now;
    else
      hint = at;
    switch (rnd() % 8) {
    case 0:
      break; /* burst: same instant again */
    case 1:
      now += (int64_t)(rnd() % (uint64_t)(20 * mean_gap + 1));
      break;
    case 2:
    case 3:
    case 4:
      if (hint > now)
        now = hint;
      else
        now += 1;
      break;
    default:
      now += (int64_t)(rnd() % (uint64_t)(2 * mean_gap + 1));
    }
  }
  return n;
}

Test(gcra, window_checker_agrees_with_brute_force) {
  int64_t t[400];
  for (int round = 0; round < 50; round++) {
    int64_t now = 0;
    for (size_t i = 0; i < 400; i++) {
      now += (int64_t)(rnd() % 5);
      t[i] = now;
    }
    for (int64_t w = 1; w < 30; w += 7)
      cr_assert_eq(max_in_window(t, 400, w), max_in_window_brute(t, 400, w));
  }
}

Test(gcra, never_exceeds_limit_in_any_window) {
  static const struct {
    uint32_t n;
    int64_t w;
  } cases[] = {{20, MIN}, {30, SEC}, {1, HOUR},  {7, SEC},   {3, 10},
               {2, SEC},  {5, 7},    {100, MIN}, {999, SEC}, {1, 1}};
  size_t cap = 200000;
  int64_t *t = malloc(cap * sizeof *t);

  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    qf_gcra_limit l = limit_of(cases[k].n, cases[k].w);
    int64_t gap = cases[k].w / cases[k].n / 2 + 1;
    qf_gcra_cell cell = QF_GCRA_CELL_INIT;
    size_t n = random_run(&cell, &l, 1000, 50 * cases[k].w, gap, t, cap);

    cr_assert_gt(n, 10 * (size_t)cases[k].n, "case %zu: only %zu takes", k, n);
    cr_assert_leq(max_in_window(t, n, cases[k].w), cases[k].n,
                  "case %zu: %u per %lld exceeded", k, cases[k].n,
                  (long long)cases[k].w);
  }
  free(t);
}

/* From a fresh cell, takes at the earliest instants land at ceil(k*W/N): exactly N
 * per W in the long run, whatever the rounding of W/N. */
static void expect_back_to_back(uint32_t n, int64_t w, int64_t count) {
  qf_gcra_limit l = limit_of(n, w);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;
  int64_t now = 0;
  int64_t *t = malloc((size_t)count * sizeof *t);

  for (int64_t k = 0; k < count; k++) {
    int64_t want = (k * w + n - 1) / n;
    cr_assert_eq(now, want, "%u per %lld: take %lld at %lld, want %lld", n,
                 (long long)w, (long long)k, (long long)now, (long long)want);
    cr_assert_eq(qf_gcra_take(&cell, &l, now), 0);
    t[k] = now;
    int64_t next = qf_gcra_take(&cell, &l, now);
    cr_assert_gt(next, now);
    now = next;
  }
  /* Full windows and never more: the limit is exact, not stricter than asked. */
  cr_assert_eq(max_in_window(t, (size_t)count, w), n);
  free(t);
}

Test(gcra, steady_state_spacing_is_exactly_w_over_n) {
  expect_back_to_back(20, MIN, 200);  /* 3 s apart */
  expect_back_to_back(30, SEC, 3000); /* 33333.3 µs */
  expect_back_to_back(1, HOUR, 50);   /* an hour apart */
  expect_back_to_back(7, SEC, 700);   /* 142857.14 µs */
  expect_back_to_back(999999, SEC, 3000000);
  expect_back_to_back(1000000, SEC, 3000000);
}

Test(gcra, twenty_per_minute_is_three_seconds_apart) {
  qf_gcra_limit l = limit_of(20, MIN);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;
  int64_t now = 5 * HOUR;

  for (int i = 0; i < 20; i++) {
    cr_assert_eq(qf_gcra_take(&cell, &l, now), 0);
    cr_assert_eq(qf_gcra_take(&cell, &l, now + 3 * SEC - 1), now + 3 * SEC);
    now += 3 * SEC;
  }
}

Test(gcra, first_cell_is_immediate) {
  qf_gcra_limit l = limit_of(1, HOUR);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;

  cr_assert_eq(qf_gcra_peek(&cell, &l, 0), 0);
  cr_assert_eq(qf_gcra_take(&cell, &l, 1234567890123), 0);
  cr_assert_eq(qf_gcra_take(&cell, &l, 1234567890123), 1234567890123 + HOUR);
}

Test(gcra, earliest_conform_time_is_exact) {
  qf_gcra_limit l = limit_of(30, SEC);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;
  int64_t t0 = 10 * SEC;

  cr_assert_eq(qf_gcra_take(&cell, &l, t0), 0);
  /* T = 33333.3 µs: conforming from 33334 µs on, not a µs earlier. */
  cr_assert_eq(qf_gcra_peek(&cell, &l, t0), t0 + 33334);
  cr_assert_eq(qf_gcra_peek(&cell, &l, t0 + 33333), t0 + 33334);
  cr_assert_eq(qf_gcra_take(&cell, &l, t0 + 33333), t0 + 33334);
  cr_assert_eq(qf_gcra_peek(&cell, &l, t0 + 33334), 0);
  /* Arriving late restarts the chain at the late arrival. */
  cr_assert_eq(qf_gcra_take(&cell, &l, t0 + 50000), 0);
  cr_assert_eq(qf_gcra_peek(&cell, &l, t0 + 50000), t0 + 50000 + 33334);
}

Test(gcra, peek_and_refused_take_change_nothing) {
  qf_gcra_limit l = limit_of(20, MIN);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT, before;

  cr_assert_eq(qf_gcra_take(&cell, &l, MIN), 0);
  before = cell;
  for (int64_t t = 0; t < MIN + 3 * SEC; t += 7 * 1000 * 1000 / 13) {
    cr_assert_neq(qf_gcra_peek(&cell, &l, t), 0);
    cr_assert_neq(qf_gcra_take(&cell, &l, t), 0);
    cr_assert(memcmp(&cell, &before, sizeof cell) == 0);
  }
}

Test(gcra, clock_going_backwards_grants_nothing_extra) {
  qf_gcra_limit l = limit_of(2, SEC);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;

  cr_assert_eq(qf_gcra_take(&cell, &l, 100 * SEC), 0);
  cr_assert_eq(qf_gcra_take(&cell, &l, 100 * SEC + SEC / 2), 0);
  /* The clock jumps back 95 s: nothing until the state's own next instant. */
  for (int64_t t = 5 * SEC; t < 101 * SEC; t += SEC / 10)
    cr_assert_eq(qf_gcra_take(&cell, &l, t), 101 * SEC, "granted at %lld",
                 (long long)t);
  cr_assert_eq(qf_gcra_take(&cell, &l, 101 * SEC), 0);
}

/* A clock that wanders back and forth, judged by the instants it reported: the
 * takes, taken in report order, never beat the limit in any window of that clock. */
Test(gcra, jittery_clock_never_exceeds_in_its_own_time) {
  qf_gcra_limit l = limit_of(5, SEC);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;
  static int64_t t[20000];
  size_t n = 0;
  int64_t now = 50 * SEC, last = 0;

  for (int i = 0; i < 200000 && n < 20000; i++) {
    now += (int64_t)(rnd() % 100000) - 30000; /* drifts forward, often back */
    if (qf_gcra_take(&cell, &l, now) == 0) {
      cr_assert_geq(now, last, "a take at %lld after one at %lld", (long long)now,
                    (long long)last);
      t[n++] = last = now;
    }
  }
  cr_assert_gt(n, 100);
  cr_assert_leq(max_in_window(t, n, SEC), 5);
}

Test(gcra, restore_counts_as_just_used) {
  qf_gcra_limit l = limit_of(20, MIN);
  qf_gcra_cell cell;

  memset(&cell, 0xA5, sizeof cell); /* whatever was there is forgotten */
  qf_gcra_restore(&cell, &l, 7 * HOUR);
  cr_assert_eq(qf_gcra_take(&cell, &l, 7 * HOUR), 7 * HOUR + 3 * SEC);
  cr_assert_eq(qf_gcra_take(&cell, &l, 7 * HOUR + 3 * SEC), 0);
}

/* A run, a crash at a random instant, a restore at that instant or later, another
 * run: the two together never exceed the limit in any window. */
Test(gcra, restore_keeps_the_window_across_a_restart) {
  static const uint32_t ns[] = {20, 3, 30, 1, 7};
  static const int64_t ws[] = {MIN, 10, SEC, HOUR, SEC};
  size_t cap = 100000;
  int64_t *t = malloc(cap * sizeof *t);

  for (int round = 0; round < 200; round++) {
    size_t k = (size_t)round % 5;
    qf_gcra_limit l = limit_of(ns[k], ws[k]);
    qf_gcra_cell cell = QF_GCRA_CELL_INIT;
    int64_t gap = ws[k] / ns[k] / 2 + 1;
    int64_t span = (int64_t)(rnd() % (uint64_t)(5 * ws[k])) + 1;
    size_t n = random_run(&cell, &l, 0, span, gap, t, cap);
    int64_t crash = n ? t[n - 1] + (int64_t)(rnd() % (uint64_t)gap) : 0;
    qf_gcra_cell fresh;

    qf_gcra_restore(&fresh, &l, crash);
    n += random_run(&fresh, &l, crash, 5 * ws[k], gap, t + n, cap - n);
    cr_assert_leq(max_in_window(t, n, ws[k]), ns[k], "round %d", round);
  }
  free(t);
}

Test(gcra, one_per_hour) {
  qf_gcra_limit l = limit_of(1, HOUR);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;

  cr_assert_eq(qf_gcra_take(&cell, &l, HOUR), 0);
  cr_assert_eq(qf_gcra_take(&cell, &l, 2 * HOUR - 1), 2 * HOUR);
  cr_assert_eq(qf_gcra_take(&cell, &l, 2 * HOUR), 0);
  cr_assert_eq(qf_gcra_take(&cell, &l, 3 * HOUR + 17), 0);
  cr_assert_eq(qf_gcra_peek(&cell, &l, 3 * HOUR + 18), 4 * HOUR + 17);
}

Test(gcra, a_million_per_second_edge) {
  qf_gcra_limit l = limit_of(1000000, SEC);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;

  cr_assert_eq(l.step_us, 1);
  cr_assert_eq(l.step_rem, 0);
  for (int64_t t = SEC; t < 2 * SEC; t++) {
    cr_assert_eq(qf_gcra_take(&cell, &l, t), 0);
    cr_assert_eq(qf_gcra_take(&cell, &l, t), t + 1);
  }
  /* A one-second idle gap grants no burst: still one per µs. */
  cr_assert_eq(qf_gcra_take(&cell, &l, 3 * SEC), 0);
  cr_assert_eq(qf_gcra_take(&cell, &l, 3 * SEC), 3 * SEC + 1);
}

Test(gcra, tiers_take_all_or_none) {
  qf_gcra_limit per_group = limit_of(20, MIN), per_bot = limit_of(30, SEC);
  qf_gcra_cell g1 = QF_GCRA_CELL_INIT, g2 = QF_GCRA_CELL_INIT, bot = QF_GCRA_CELL_INIT;
  qf_gcra_cell *c1[] = {&g1, &bot}, *c2[] = {&g2, &bot};
  const qf_gcra_limit *ls[] = {&per_group, &per_bot};

  cr_assert_eq(qf_gcra_take_all(c1, ls, 2, SEC), 0);
  /* g2 is free but the bot is not: nothing is taken from g2. */
  cr_assert_eq(qf_gcra_take_all(c2, ls, 2, SEC), SEC + 33334);
  cr_assert_eq(qf_gcra_peek(&g2, &per_group, SEC), 0);
  cr_assert_eq(qf_gcra_take_all(c2, ls, 2, SEC + 33334), 0);
  /* g1 waits for its own slot, which is later than the bot's. */
  cr_assert_eq(qf_gcra_take_all(c1, ls, 2, SEC + 40000), 4 * SEC);
}

Test(gcra, limit_from_rate) {
  qf_rate r;
  qf_gcra_limit l;

  cr_assert_eq(qf_rate_parse("20/min", &r), 0);
  cr_assert_eq(qf_gcra_limit_from_rate(&l, &r), 0);
  cr_assert_eq(l.step_us, 3 * SEC);
  cr_assert_eq(l.step_rem, 0);
  cr_assert_eq(qf_rate_parse("30/s", &r), 0);
  cr_assert_eq(qf_gcra_limit_from_rate(&l, &r), 0);
  cr_assert_eq(l.step_us, 33333);
  cr_assert_eq(l.step_rem, 10);
  cr_assert_eq(qf_rate_parse("1/h", &r), 0);
  cr_assert_eq(qf_gcra_limit_from_rate(&l, &r), 0);
  cr_assert_eq(l.step_us, HOUR);
  cr_assert_eq(qf_gcra_limit_from_rate(&l, NULL), QF_EINVAL);
  r.count = 0;
  cr_assert_eq(qf_gcra_limit_from_rate(&l, &r), QF_EINVAL);
  cr_assert_eq(qf_gcra_limit_init(&l, 1, 0), QF_EINVAL);
  cr_assert_eq(qf_gcra_limit_init(&l, 1, INT64_C(1) << 40), QF_EINVAL);
}

Test(gcra, switching_limits_never_grants_early) {
  qf_gcra_limit fast = limit_of(30, SEC), slow = limit_of(1, MIN);
  qf_gcra_cell cell = QF_GCRA_CELL_INIT;

  cr_assert_eq(qf_gcra_take(&cell, &fast, SEC), 0); /* TAT = SEC + 33333 + 10/30 */
  /* A remainder in 1/30 µs read against N = 1 rounds up, never down. */
  cr_assert_eq(qf_gcra_peek(&cell, &slow, SEC), SEC + 33334);
  qf_gcra_restore(&cell, &slow, SEC);
  cr_assert_eq(qf_gcra_peek(&cell, &slow, SEC + 33334), SEC + MIN);
}
