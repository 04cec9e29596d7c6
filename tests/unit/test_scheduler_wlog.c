#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
#include "qf/clock.h"
#include "wlog.h"

/* ---- a simulated group: leases issued whenever the log allows ---- */

typedef struct lease {
  int64_t arrive, done; /* arrive < 0: given back unsent */
} lease;

typedef struct sim {
  lease *out; /* leases not ended yet */
  size_t nout;
  int64_t *arr; /* arrivals at the receiver */
  size_t narr;
} sim;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1Dull;
}

static int64_t rnd_in(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Ends every lease due by now, oldest completion first. */
static void end_due(sim *s, wlog *w, int64_t now) {
  for (;;) {
    size_t best = s->nout;
    for (size_t i = 0; i < s->nout; i++)
      if (s->out[i].done <= now &&
          (best == s->nout || s->out[i].done < s->out[best].done))
        best = i;
    if (best == s->nout)
      return;
    if (s->out[best].arrive >= 0)
      wlog_done(w, s->out[best].done);
    s->out[best] = s->out[--s->nout];
  }
}

/* The tightest span of n + 1 consecutive arrivals (INT64_MAX if too few). */
static int64_t tightest(sim *s, uint32_t n) {
  int64_t best = INT64_MAX;
  qsort(s->arr, s->narr, sizeof s->arr[0], cmp64);
  for (size_t i = 0; i + n < s->narr; i++)
    if (s->arr[i + n] - s->arr[i] < best)
      best = s->arr[i + n] - s->arr[i];
  return best;
}

/* Sends `msgs` messages through a log of n per window with random send delays
 * (up to max_delay before arrival, as much again before the result); one
 * lease in ten is given back unsent. Returns the time taken. */
static int64_t run(sim *s, wlog *w, uint32_t n, size_t msgs, int64_t max_delay,
                   int64_t start) {
  int64_t now = start;
  memset(s, 0, sizeof(*s));
  s->out = calloc(n + 1, sizeof(*s->out));
  s->arr = calloc(msgs + n, sizeof(*s->arr));
  while (s->narr < msgs || s->nout > 0) {
    int64_t next = INT64_MAX, at;
    end_due(s, w, now);
    while (s->narr < msgs && (at = wlog_peek(w, (uint32_t)s->nout, now)) == 0) {
      lease *l = &s->out[s->nout++];
      cr_assert_leq(s->nout, n, "never more than N out");
      l->arrive = now + rnd_in(0, max_delay);
      l->done = l->arrive + rnd_in(0, max_delay);
      if (rnd() % 10 == 0)
        l->arrive = -1; /* given back unsent */
      else
        s->arr[s->narr++] = l->arrive;
    }
    at = s->narr < msgs ? wlog_peek(w, (uint32_t)s->nout, now) : INT64_MAX;
    if (at != INT64_MAX)
      next = at;
    for (size_t i = 0; i < s->nout; i++)
      if (s->out[i].done < next)
        next = s->out[i].done;
    if (next == INT64_MAX) {
      cr_assert(s->narr >= msgs && s->nout == 0, "something is always under way");
      break;
    }
    now = next > now ? next : now;
  }
  return now - start;
}

static void sim_free(sim *s) {
  free(s->out);
  free(s->arr);
}

Test(wlog, never_more_than_n_arrivals_in_any_window) {
  for (int round = 0; round < 300; round++) {
    uint32_t n = (uint32_t)rnd_in(1, 100); /* both modes */
    int64_t window = rnd_in(1, 5000) * n;
    int64_t delay = rnd_in(0, window / n * 3);
    wlog w;
    sim s;
    memset(&w, 0, sizeof w);
    wlog_init(&w, n, window, 0);
    run(&s, &w, n, (size_t)rnd_in(n, 6 * n), delay, 1000000);
    cr_assert_geq(tightest(&s, n), window, "round %d: N=%u W=%lld delay=%lld", round, n,
                  (long long)window, (long long)delay);
    sim_free(&s);
    wlog_free(&w);
  }
}

Test(wlog, pipelining_allows_n_in_flight) {
  wlog w;
  memset(&w, 0, sizeof w);
  wlog_init(&w, 5, 1000000, 0);
  for (uint32_t out = 0; out < 5; out++)
    cr_assert_eq(wlog_peek(&w, out, 10), 0, "lease %u of 5 goes at once", out + 1);
  cr_assert_eq(wlog_peek(&w, 5, 10), INT64_MAX, "the sixth waits for a lease to end");
  /* The first ends at 100: with four still out the window is full until 100 + W. */
  wlog_done(&w, 100);
  cr_assert_eq(wlog_peek(&w, 4, 200), 1000100);
  cr_assert_eq(wlog_peek(&w, 4, 1000100), 0);
  /* Ending another changes nothing: it was counted as in the window already. */
  wlog_done(&w, 150);
  cr_assert_eq(wlog_peek(&w, 3, 200), 1000100);
  wlog_free(&w);
}

Test(wlog, runs_close_to_the_limit_with_short_delays) {
  /* 2 per second, 20 messages, results 20-40 ms after the lease: 10 windows of
   * W + a round trip, not 20 of W/N + a round trip. */
  wlog w;
  sim s;
  memset(&w, 0, sizeof w);
  wlog_init(&w, 2, 1000000, 0);
  int64_t took = run(&s, &w, 2, 20, 20000, 1000000);
  cr_assert_geq(tightest(&s, 2), 1000000);
  cr_assert_lt(took, 9 * 1000000 + 10 * 80000 + 1, "took %lld us", (long long)took);
  sim_free(&s);
  wlog_free(&w);
}

Test(wlog, a_restored_log_counts_n_messages_at_the_restore_point) {
  /* N messages of an earlier run arrived just before the horizon H. */
  for (int round = 0; round < 100; round++) {
    uint32_t n = (uint32_t)rnd_in(1, 100);
    int64_t window = rnd_in(1, 3000) * n, h = 50000000;
    wlog w;
    sim s;
    memset(&w, 0, sizeof w);
    wlog_init(&w, n, window, h);
    cr_assert_neq(wlog_peek(&w, 0, h + window - 1), 0);
    cr_assert_eq(wlog_peek(&w, 0, h + window), 0);
    /* A run that starts before the horizon (a completion recorded "before" it
     * counts at it): with the earlier N at H no window breaks. */
    run(&s, &w, n, 3 * n, window / n, h - window);
    s.arr = realloc(s.arr, (s.narr + n) * sizeof(*s.arr));
    for (uint32_t i = 0; i < n; i++)
      s.arr[s.narr++] = h;
    cr_assert_geq(tightest(&s, n), window, "round %d", round);
    sim_free(&s);
    wlog_free(&w);
  }
}

Test(wlog, a_stale_log_is_freed) {
  wlog w;
  memset(&w, 0, sizeof w);
  wlog_init(&w, 100, 60000000, 0); /* bucket mode */
  for (int i = 0; i < 1000; i++)
    wlog_done(&w, 1000000 + i * 1000);
  cr_assert_not_null(w.t);
  /* The last completion counts at the end of its bucket (q = 1.875 s), so at
   * most 61.875 s after it. */
  wlog_trim(&w, 1000000 + 999000 + 60000000);
  cr_assert_not_null(w.t, "the last completion still counts");
  wlog_trim(&w, 1000000 + 999000 + 62000000);
  cr_assert_null(w.t);
  cr_assert_eq(wlog_peek(&w, 99, 70000000), 0);
  wlog_free(&w);
}

Test(wlog, completions_at_one_instant_need_no_ring) {
  /* A group that sent once in a fan-out: its log is the instant alone. */
  for (uint32_t n = 2; n <= 1000; n *= 10) { /* exact and bucket mode */
    int64_t window = 1000000;
    wlog w;
    memset(&w, 0, sizeof w);
    wlog_init(&w, n, window, 0);
    wlog_done(&w, window);
    cr_assert_null(w.t, "N=%u: one completion allocates nothing", n);
    cr_assert_eq(wlog_peek(&w, 0, window + 1), 0, "N=%u: one of N counted, not N", n);
    /* N - 1 leases out: the one completion fills the window until it ends. */
    cr_assert_eq(wlog_peek(&w, n - 1, window + 1), 2 * window);
    cr_assert_eq(wlog_peek(&w, n - 1, 2 * window), 0);
    /* A completion at a later instant needs the ring and keeps both. */
    wlog_done(&w, window * 3 / 2);
    cr_assert_not_null(w.t, "N=%u", n);
    cr_assert_eq(wlog_peek(&w, n - 2, window * 3 / 2), 2 * window, "N=%u: two counted",
                 n);
    cr_assert_eq(wlog_peek(&w, n - 1, 2 * window), window * 5 / 2);
    wlog_free(&w);
  }
}

/* ---- the limiter: a group's key and the global key ---- */

static ginfo *group(limits *l, const char *id, const char *rate) {
  Qunfa__Group g = QUNFA__GROUP__INIT;
  g.id = (char *)id;
  g.dialect = "generic";
  g.url = "http://h/";
  g.rate = (char *)rate;
  return limits_group_set(l, &g);
}

Test(limits, a_group_has_up_to_n_leases_out) {
  limits_opts o = {.margin_ms = 0};
  limits *l = limits_new(&o);
  ginfo *g = group(l, "g", "3/s");
  lkey *blocker;
  bool inflight;
  int64_t now = qf_clock_mono_us();
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(limits_take(l, g, now, &blocker, &inflight), 0);
    cr_assert(inflight);
  }
  cr_assert_eq(limits_take(l, g, now, &blocker, &inflight), INT64_MAX);
  cr_assert_eq(blocker, &g->key);
  limits_done(g, now + 10, true);
  cr_assert_eq(limits_peek(&g->key, now + 20), now + 10 + 1000000);
  limits_done(g, now + 20, false); /* given back unsent: its place is free */
  cr_assert_eq(limits_peek(&g->key, now + 30), 0);
  cr_assert_eq(limits_take(l, g, now + 30, &blocker, &inflight), 0);
  cr_assert_eq(limits_peek(&g->key, now + 40), now + 10 + 1000000);
  limits_free(l);
}

Test(limits, every_group_counts_as_used_at_the_restore_point) {
  limits_opts o = {.restore_at_ms = qf_clock_now_ms() + 2000};
  limits *l = limits_new(&o);
  ginfo *g = group(l, "g", "2/s");
  int64_t now = qf_clock_mono_us(), at = limits_peek(&g->key, now);
  /* N messages of the earlier run may arrive up to the horizon: the first new
   * one goes a whole window after it. */
  cr_assert_geq(at, now + 2000000 + 1000000 - 5000);
  cr_assert_leq(at, now + 2000000 + 1000000 + 5000);
  limits_free(l);
}

Test(limits, the_global_limit_allows_a_burst_and_n_per_w_in_the_long_run) {
  limits_opts o = {.global = {1000, 1000}}; /* 1000/s: burst 1 + 100 */
  limits *l = limits_new(&o);
  ginfo *g = group(l, "g", "");
  lkey *blocker;
  bool inflight;
  int64_t t0 = 1000000000, now = t0, *takes = calloc(5000, sizeof(*takes));
  size_t n = 0;
  while (n < 200 && limits_take(l, g, now, &blocker, &inflight) == 0)
    takes[n++] = now;
  cr_assert_eq(n, 101, "a burst of B = 101 at once");
  cr_assert_neq(limits_take(l, g, now, &blocker, &inflight), 0);
  /* Taken late, in batches (every 7 ms): nothing is lost. */
  while (n < 5000) {
    now += 7000;
    while (n < 5000 && limits_take(l, g, now, &blocker, &inflight) == 0)
      takes[n++] = now;
  }
  cr_assert_leq(now - t0, 4900000 + 7000, "5,000 in 4.9 s + one step");
  for (size_t i = 0; i + 1100 < n; i++)
    cr_assert_geq(takes[i + 1100] - takes[i], 1000000, "N + B takes span W");
  free(takes);
  limits_free(l);
}

Test(limits, a_ring_no_longer_counting_is_freed_without_a_lease) {
  limits_opts o = {.margin_ms = 0};
  limits *l = limits_new(&o);
  ginfo *g[3] = {group(l, "a", "5/s"), group(l, "b", "5/s"), group(l, "c", "5/s")};
  int64_t now = qf_clock_mono_us();
  lkey *blocker;
  bool inflight;
  for (int i = 0; i < 3; i++) { /* completions at two instants: a ring each */
    for (int k = 0; k < 2; k++)
      cr_assert_eq(limits_take(l, g[i], now, &blocker, &inflight), 0);
    limits_done(g[i], now + 10, true);
    limits_done(g[i], now + 20, true);
    cr_assert_not_null(g[i]->win[0].t);
  }
  cr_assert_eq(limits_trim(l, now + 1000000, 100), 0, "the last second still counts");
  size_t freed = 0, calls = 0;
  while (freed < 3 && calls++ < 10000) /* one group a call: all in one pass */
    freed += limits_trim(l, now + 20 + 1000000, 1);
  cr_assert_eq(freed, 3);
  for (int i = 0; i < 3; i++)
    cr_assert_null(g[i]->win[0].t);
  cr_assert_eq(limits_peek(&g[0]->key, now + 20 + 1000000), 0);
  limits_free(l);
}
