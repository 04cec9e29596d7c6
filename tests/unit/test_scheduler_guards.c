#include <criterion/criterion.h>

#include "guards.h"
#include "limiter.h"
#include "qf/clock.h"
#include "qf/tz.h"

static int64_t at(const char *rfc3339) {
  int64_t ms;
  cr_assert_eq(qf_time_parse_rfc3339(rfc3339, &ms), 0, "%s", rfc3339);
  return ms;
}

static const qf_tz *zone(const char *name) {
  const qf_tz *z;
  char why[128];
  cr_assert_eq(qf_tz_load(name, &z, why, sizeof why), 0, "%s", why);
  return z;
}

static qf_quiet quiet(const char *s) {
  qf_quiet q;
  cr_assert_eq(qf_quiet_parse(s, &q), 0);
  return q;
}

Test(guards, quiet_window_wrapping_midnight_ends_next_morning) {
  const qf_tz *sh = zone("Asia/Shanghai");
  qf_quiet q = quiet("23:00-07:00");
  cr_assert_eq(guards_quiet_until(sh, q, at("2026-01-10T23:30:00+08:00")),
               at("2026-01-11T07:00:00+08:00"));
  cr_assert_eq(guards_quiet_until(sh, q, at("2026-01-11T06:59:59+08:00")),
               at("2026-01-11T07:00:00+08:00"));
  cr_assert_eq(guards_quiet_until(sh, q, at("2026-01-10T23:00:00+08:00")),
               at("2026-01-11T07:00:00+08:00"));
  /* The end is not inside: [start, end). */
  cr_assert_eq(guards_quiet_until(sh, q, at("2026-01-11T07:00:00+08:00")), 0);
  cr_assert_eq(guards_quiet_until(sh, q, at("2026-01-10T12:00:00+08:00")), 0);
  cr_assert_eq(guards_quiet_until(sh, q, at("2026-01-10T22:59:59+08:00")), 0);
}

Test(guards, quiet_window_within_one_day) {
  qf_quiet q = quiet("12:00-13:30");
  cr_assert_eq(guards_quiet_until(NULL, q, at("2026-05-01T12:15:00Z")),
               at("2026-05-01T13:30:00Z"));
  cr_assert_eq(guards_quiet_until(NULL, q, at("2026-05-01T11:59:59Z")), 0);
  cr_assert_eq(guards_quiet_until(NULL, q, at("2026-05-01T13:30:00Z")), 0);
}

Test(guards, quiet_end_in_a_dst_gap_is_the_first_instant_after_it) {
  /* Berlin springs forward on 2026-03-29 at 02:00 CET to 03:00 CEST: 02:30
   * does not exist, so a window ending then ends at the transition. */
  const qf_tz *be = zone("Europe/Berlin");
  qf_quiet q = quiet("01:30-02:30");
  cr_assert_eq(guards_quiet_until(be, q, at("2026-03-29T01:45:00+01:00")),
               at("2026-03-29T01:00:00Z"));
  /* After the gap the clock shows 03:00 or later: not quiet. */
  cr_assert_eq(guards_quiet_until(be, q, at("2026-03-29T03:10:00+02:00")), 0);
}

Test(guards, quiet_window_follows_the_zone_not_utc) {
  const qf_tz *ny = zone("America/New_York");
  qf_quiet q = quiet("22:00-06:00");
  /* 03:00 UTC is 22:00 in New York (EST, -5): quiet until 06:00 local. */
  cr_assert_eq(guards_quiet_until(ny, q, at("2026-01-10T03:00:00Z")),
               at("2026-01-10T06:00:00-05:00"));
  cr_assert_eq(guards_quiet_until(NULL, q, at("2026-01-10T03:00:00Z")),
               at("2026-01-10T06:00:00Z"));
}

Test(guards, local_day_turns_at_local_midnight) {
  const qf_tz *sh = zone("Asia/Shanghai");
  int64_t d = guards_local_day(sh, at("2026-01-10T23:59:59.999+08:00"));
  cr_assert_eq(guards_local_day(sh, at("2026-01-11T00:00:00+08:00")), d + 1);
  cr_assert_eq(guards_local_day(sh, at("2026-01-10T00:00:00+08:00")), d);
  /* The same instant is still the 10th in UTC. */
  cr_assert_eq(guards_local_day(NULL, at("2026-01-10T16:30:00Z")),
               guards_local_day(sh, at("2026-01-10T12:00:00+08:00")));
  cr_assert_eq(guards_local_day(NULL, at("1969-12-31T23:00:00Z")), -1);
}

Test(guards, daily_cap_counts_per_local_day) {
  limits_opts o = {.margin_ms = 0};
  limits *l = limits_new(&o);
  Qunfa__Group rec = QUNFA__GROUP__INIT;
  rec.id = "g1";
  rec.dialect = "generic";
  rec.url = "http://h/";
  rec.tz = "Asia/Shanghai";
  rec.daily_cap = 2;
  ginfo *g = limits_group_set(l, &rec);
  int64_t morning = at("2026-01-10T08:00:00+08:00");
  cr_assert_not(limits_cap_reached(l, g, morning));
  limits_cap_count(l, g, morning);
  limits_cap_count(l, g, at("2026-01-10T23:59:00+08:00"));
  cr_assert(limits_cap_reached(l, g, at("2026-01-10T23:59:59+08:00")));
  /* Local midnight in Shanghai is 16:00 UTC: a new day, a new count. */
  cr_assert_not(limits_cap_reached(l, g, at("2026-01-10T16:00:00Z")));
  rec.daily_cap = 0; /* no cap */
  g = limits_group_set(l, &rec);
  cr_assert_not(limits_cap_reached(l, g, morning));
  limits_free(l);
}
