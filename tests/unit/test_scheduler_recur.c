#include <criterion/criterion.h>

#include "qf/cron.h"
#include "qf/err.h"
#include "qf/tz.h"
#include "recur.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
/* 2026-03-01T00:00:00Z */
#define T0 1772323200000LL

static qf_cron *cron_of(const char *expr) {
  qf_cron *c = NULL;
  char why[200];
  cr_assert_eq(qf_cron_parse(expr, &c, why, sizeof why), 0, "%s", why);
  return c;
}

static recur_plan plan(const char *expr, int64_t pending_at, int64_t next_at,
                       int64_t now, int64_t catch_up) {
  qf_cron *c = cron_of(expr);
  recur_plan p;
  cr_assert_eq(recur_catch_up(c, qf_tz_utc(), pending_at, next_at, now, catch_up, &p),
               0);
  qf_cron_free(c);
  return p;
}

Test(recur, nothing_missed_changes_nothing) {
  recur_plan p = plan("* * * * *", 0, T0 + MIN, T0 + 30000, HOUR);
  cr_assert(!p.fire && !p.keep_pending && !p.cancel_pending);
  cr_assert_eq(p.next_at, T0 + MIN);
  cr_assert_eq(p.missed_first, 0);
  cr_assert_eq(p.skipped, 0);
}

Test(recur, a_pending_post_due_later_stands) {
  recur_plan p = plan("* * * * *", T0 + MIN, T0 + 2 * MIN, T0 + 58000, HOUR);
  cr_assert(p.keep_pending && !p.fire && !p.cancel_pending);
  cr_assert_eq(p.next_at, T0 + 2 * MIN);
}

Test(recur, many_missed_fire_once_for_the_latest) {
  /* Down from 00:00 to 00:10:30, every minute: ten missed, 00:10 fires. */
  recur_plan p = plan("* * * * *", 0, T0 + MIN, T0 + 10 * MIN + 30000, HOUR);
  cr_assert(p.fire);
  cr_assert_eq(p.fire_for, T0 + 10 * MIN);
  cr_assert_eq(p.missed_first, T0 + MIN);
  cr_assert_eq(p.skipped, 9);
  cr_assert_eq(p.next_at, T0 + 11 * MIN);
}

Test(recur, missed_older_than_catch_up_is_skipped) {
  /* The daily 08:00 missed; back at 09:30 with a 1 h catch-up: skipped. */
  recur_plan p = plan("0 8 * * *", 0, T0 + 8 * HOUR, T0 + 9 * HOUR + 30 * MIN, HOUR);
  cr_assert(!p.fire && !p.keep_pending && !p.cancel_pending);
  cr_assert_eq(p.missed_first, T0 + 8 * HOUR);
  cr_assert_eq(p.skipped, 1);
  cr_assert_eq(p.next_at, T0 + 32 * HOUR);
  /* Back at 08:59:59.999: fires. */
  p = plan("0 8 * * *", 0, T0 + 8 * HOUR, T0 + 9 * HOUR - 1, HOUR);
  cr_assert(p.fire);
  cr_assert_eq(p.fire_for, T0 + 8 * HOUR);
  cr_assert_eq(p.skipped, 0);
  /* Exactly catch-up old is not less than it: skipped. */
  p = plan("0 8 * * *", 0, T0 + 8 * HOUR, T0 + 9 * HOUR, HOUR);
  cr_assert(!p.fire);
}

Test(recur, only_the_latest_within_catch_up_counts) {
  /* Hourly, down 00:00 -> 05:30, catch-up 1 h: 01..05 missed, 05:00 fires. */
  recur_plan p = plan("0 * * * *", 0, T0 + HOUR, T0 + 5 * HOUR + 30 * MIN, HOUR);
  cr_assert(p.fire);
  cr_assert_eq(p.fire_for, T0 + 5 * HOUR);
  cr_assert_eq(p.skipped, 4);
  cr_assert_eq(p.next_at, T0 + 6 * HOUR);
}

Test(recur, a_pending_post_whose_time_passed_is_the_catch_up) {
  /* Its post was made at 00:00:55 for 00:01; down until 00:01:20. */
  recur_plan p = plan("* * * * *", T0 + MIN, T0 + 2 * MIN, T0 + MIN + 20000, HOUR);
  cr_assert(p.keep_pending && !p.fire && !p.cancel_pending);
  cr_assert_eq(p.skipped, 0);
  cr_assert_eq(p.next_at, T0 + 2 * MIN);
}

Test(recur, a_pending_post_superseded_by_a_later_miss_is_cancelled) {
  recur_plan p = plan("* * * * *", T0 + MIN, T0 + 2 * MIN, T0 + 5 * MIN + 1, HOUR);
  cr_assert(p.cancel_pending && p.fire && !p.keep_pending);
  cr_assert_eq(p.fire_for, T0 + 5 * MIN);
  cr_assert_eq(p.missed_first, T0 + MIN);
  cr_assert_eq(p.skipped, 4); /* 01 (its post), 02, 03, 04 */
}

Test(recur, a_pending_post_too_old_is_cancelled) {
  recur_plan p = plan("0 8 * * *", T0 + 8 * HOUR, T0 + 32 * HOUR, T0 + 10 * HOUR, HOUR);
  cr_assert(p.cancel_pending && !p.fire && !p.keep_pending);
  cr_assert_eq(p.skipped, 1);
  cr_assert_eq(p.next_at, T0 + 32 * HOUR);
}

Test(recur, long_downtime_counts_without_end) {
  /* A year down, every minute, no catch-up: skipped is bounded, one call. */
  recur_plan p = plan("* * * * *", 0, T0 + MIN, T0 + 365 * 24 * HOUR, 0);
  cr_assert(!p.fire);
  cr_assert_eq(p.skipped, RECUR_COUNT_MAX);
  cr_assert_eq(p.next_at, T0 + 365 * 24 * HOUR + MIN);
}

Test(recur, catch_up_follows_local_time) {
  /* 08:00 in Shanghai is 00:00 UTC. */
  const qf_tz *sh = NULL;
  qf_cron *c = cron_of("0 8 * * *");
  recur_plan p;
  char why[200];
  cr_assert_eq(qf_tz_load("Asia/Shanghai", &sh, why, sizeof why), 0, "%s", why);
  cr_assert_eq(recur_catch_up(c, sh, 0, T0, T0 + 30 * MIN, HOUR, &p), 0);
  cr_assert(p.fire);
  cr_assert_eq(p.fire_for, T0);
  cr_assert_eq(p.next_at, T0 + 24 * HOUR);
  qf_cron_free(c);
}

Test(recur, durations_parse) {
  int64_t ms;
  cr_assert_eq(recur_parse_duration("1h", &ms), 0);
  cr_assert_eq(ms, HOUR);
  cr_assert_eq(recur_parse_duration("90s", &ms), 0);
  cr_assert_eq(ms, 90000);
  cr_assert_eq(recur_parse_duration("15m", &ms), 0);
  cr_assert_eq(ms, 15 * MIN);
  cr_assert_eq(recur_parse_duration("250ms", &ms), 0);
  cr_assert_eq(ms, 250);
  cr_assert_eq(recur_parse_duration("0", &ms), 0);
  cr_assert_eq(ms, 0);
  cr_assert_eq(recur_parse_duration("-1h", &ms), QF_EINVAL);
  cr_assert_eq(recur_parse_duration("1d", &ms), QF_EINVAL);
  cr_assert_eq(recur_parse_duration("h", &ms), QF_EINVAL);
  cr_assert_eq(recur_parse_duration("9999h", &ms), QF_EINVAL);
}
