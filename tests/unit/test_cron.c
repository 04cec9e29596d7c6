#include <criterion/criterion.h>
#include <string.h>

#include "qf/clock.h"
#include "qf/cron.h"
#include "qf/err.h"

static int64_t T(const char *rfc3339) {
  int64_t ms = 0;
  cr_assert_eq(qf_time_parse_rfc3339(rfc3339, &ms), 0, "bad time %s", rfc3339);
  return ms;
}

static const char *fmt(int64_t ms, char buf[40]) {
  return qf_time_format_rfc3339(ms, buf, 40);
}

static qf_cron *parse(const char *expr) {
  char why[256] = "";
  qf_cron *c = NULL;
  int rc = qf_cron_parse(expr, &c, why, sizeof why);
  cr_assert_eq(rc, 0, "parse(\"%s\") = %d: %s", expr, rc, why);
  return c;
}

/* Expects the occurrences of expr in tz after `after` to be exactly want[0..n). */
static void expect_seq(const char *expr, const char *tz, const char *after,
                       const char *const want[], size_t n) {
  qf_cron *c = parse(expr);
  int64_t t = T(after), next;
  char a[40], b[40];

  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(qf_cron_next(c, tz, t, &next), 0);
    cr_assert_eq(next, T(want[i]), "\"%s\" in %s after %s: got %s, want %s", expr,
                 tz ? tz : "UTC", fmt(t, a), fmt(next, b), want[i]);
    t = next;
  }
  qf_cron_free(c);
}

#define SEQ(expr, tz, after, ...)                                                      \
  do {                                                                                 \
    static const char *const want_[] = {__VA_ARGS__};                                  \
    expect_seq(expr, tz, after, want_, sizeof want_ / sizeof want_[0]);                \
  } while (0)

static void expect_error(const char *expr, const char *want) {
  char why[256] = "";
  qf_cron *c = (qf_cron *)0x1;
  cr_assert_eq(qf_cron_parse(expr, &c, why, sizeof why), QF_EINVAL, "\"%s\" parsed",
               expr);
  cr_assert_eq(c, (qf_cron *)0x1, "out touched on error");
  cr_assert_str_eq(why, want, "\"%s\"", expr);
}

/* ---- parsing ---- */

Test(cron, parses_lists_ranges_and_steps) {
  SEQ("5,10-12,*/20 * * * *", NULL, "2026-05-01T10:00:00Z", "2026-05-01T10:05:00Z",
      "2026-05-01T10:10:00Z", "2026-05-01T10:11:00Z", "2026-05-01T10:12:00Z",
      "2026-05-01T10:20:00Z", "2026-05-01T10:40:00Z", "2026-05-01T11:00:00Z");
  SEQ("0-10/5 * * * *", NULL, "2026-05-01T10:00:00Z", "2026-05-01T10:05:00Z",
      "2026-05-01T10:10:00Z", "2026-05-01T11:00:00Z");
  SEQ("5/20 * * * *", NULL, "2026-05-01T10:00:00Z", "2026-05-01T10:05:00Z",
      "2026-05-01T10:25:00Z", "2026-05-01T10:45:00Z", "2026-05-01T11:05:00Z");
  SEQ("0 9-17/4 * * *", NULL, "2026-05-01T00:00:00Z", "2026-05-01T09:00:00Z",
      "2026-05-01T13:00:00Z", "2026-05-01T17:00:00Z", "2026-05-02T09:00:00Z");
  SEQ("0 0 1 */3 *", NULL, "2026-01-15T00:00:00Z", "2026-04-01T00:00:00Z",
      "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z");
  SEQ("  30  6\t1,15 * *  ", NULL, "2026-05-01T00:00:00Z", "2026-05-01T06:30:00Z",
      "2026-05-15T06:30:00Z", "2026-06-01T06:30:00Z");
}

Test(cron, parses_month_and_weekday_names) {
  /* 2026-05-01 is a Friday. */
  SEQ("0 8 * * MON-FRI", NULL, "2026-05-01T09:00:00Z", "2026-05-04T08:00:00Z",
      "2026-05-05T08:00:00Z");
  SEQ("0 8 * * sat,Sun", NULL, "2026-05-01T09:00:00Z", "2026-05-02T08:00:00Z",
      "2026-05-03T08:00:00Z", "2026-05-09T08:00:00Z");
  SEQ("0 0 1 jan-MAR,Dec *", NULL, "2026-03-02T00:00:00Z", "2026-12-01T00:00:00Z",
      "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
  SEQ("0 0 1 FEB/5 *", NULL, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z",
      "2026-07-01T00:00:00Z", "2026-12-01T00:00:00Z", "2027-02-01T00:00:00Z");
}

Test(cron, zero_and_seven_are_both_sunday) {
  static const char *const sundays[] = {"2026-05-03T12:00:00Z", "2026-05-10T12:00:00Z"};
  expect_seq("0 12 * * 0", NULL, "2026-05-01T00:00:00Z", sundays, 2);
  expect_seq("0 12 * * 7", NULL, "2026-05-01T00:00:00Z", sundays, 2);
  expect_seq("0 12 * * SUN", NULL, "2026-05-01T00:00:00Z", sundays, 2);
  SEQ("0 12 * * 5-7", NULL, "2026-05-01T13:00:00Z", "2026-05-02T12:00:00Z",
      "2026-05-03T12:00:00Z", "2026-05-08T12:00:00Z");
  SEQ("0 12 * * 0-7", NULL, "2026-05-01T13:00:00Z", "2026-05-02T12:00:00Z",
      "2026-05-03T12:00:00Z", "2026-05-04T12:00:00Z");
  /* "*" and a/n in weekdays stop at Saturday: 7 is not a second Sunday. */
  SEQ("0 12 * * 1/2", NULL, "2026-05-01T13:00:00Z", "2026-05-04T12:00:00Z",
      "2026-05-06T12:00:00Z", "2026-05-08T12:00:00Z", "2026-05-11T12:00:00Z");
}

Test(cron, seven_with_a_step_is_sunday_and_fires) {
  /* "7/n" once selected no weekday at all: parsed, but never fired. */
  static const char *const sundays[] = {"2026-05-03T03:00:00Z", "2026-05-10T03:00:00Z"};
  expect_seq("* 3 * * 7/3", NULL, "2026-05-01T00:00:00Z", sundays, 1);
  expect_seq("0 3 * * 7/1", NULL, "2026-05-01T00:00:00Z", sundays, 2);
  expect_seq("0 3 1 * 7/2", NULL, "2026-05-01T12:00:00Z", sundays, 2);
}

Test(cron, parses_macros) {
  SEQ("@daily", NULL, "2026-05-01T10:00:00Z", "2026-05-02T00:00:00Z");
  SEQ("@midnight", NULL, "2026-05-01T10:00:00Z", "2026-05-02T00:00:00Z");
  SEQ("@hourly", NULL, "2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z");
  SEQ("@weekly", NULL, "2026-05-01T10:00:00Z", "2026-05-03T00:00:00Z");
  SEQ("@monthly", NULL, "2026-05-01T10:00:00Z", "2026-06-01T00:00:00Z");
  SEQ(" @YEARLY ", NULL, "2026-05-01T10:00:00Z", "2027-01-01T00:00:00Z");
  SEQ("@annually", NULL, "2026-05-01T10:00:00Z", "2027-01-01T00:00:00Z");
}

Test(cron, reports_each_error_with_field_and_position) {
  expect_error("0 25 * * *", "cron: field 2 (hour): 25 is out of range 0-23");
  expect_error("60 * * * *", "cron: field 1 (minute): 60 is out of range 0-59");
  expect_error("* * 0 * *", "cron: field 3 (day-of-month): 0 is out of range 1-31");
  expect_error("* * 32 * *", "cron: field 3 (day-of-month): 32 is out of range 1-31");
  expect_error("* * * 13 *", "cron: field 4 (month): 13 is out of range 1-12");
  expect_error("* * * * 8", "cron: field 5 (day-of-week): 8 is out of range 0-7");
  expect_error("99999999999 * * * *",
               "cron: field 1 (minute): 99999999999 is out of range 0-59");
  expect_error("0 1-30 * * *", "cron: field 2 (hour): 30 is out of range 0-23");
  expect_error("30-10 * * * *", "cron: field 1 (minute): range 30-10 runs backwards");
  expect_error("* * * * FRI-MON",
               "cron: field 5 (day-of-week): range FRI-MON runs backwards");
  expect_error("*/0 * * * *", "cron: field 1 (minute): step 0 is out of range 1-60");
  expect_error("* */25 * * *", "cron: field 2 (hour): step 25 is out of range 1-24");
  expect_error("* * * * */8",
               "cron: field 5 (day-of-week): step 8 is out of range 1-7");
  expect_error("*/ * * * *",
               "cron: field 1 (minute): expected a step after \"/\" at character 3");
  expect_error("1- * * * *",
               "cron: field 1 (minute): expected a number at character 3");
  expect_error("0 8 * FOO *",
               "cron: field 4 (month): unknown name \"FOO\" at character 7");
  expect_error("0 8 * * MONDAY",
               "cron: field 5 (day-of-week): unknown name \"MONDAY\" at character 9");
  expect_error("0 MON * * *",
               "cron: field 2 (hour): \"MON\" at character 3 is not a number");
  expect_error("1,,2 * * * *",
               "cron: field 1 (minute): empty list item at character 3");
  expect_error("1, * * * *", "cron: field 1 (minute): empty list item at character 3");
  expect_error(",1 * * * *", "cron: field 1 (minute): empty list item at character 1");
  expect_error("0 8x * * *", "cron: field 2 (hour): unexpected \"x\" at character 4");
  expect_error("*-5 * * * *",
               "cron: field 1 (minute): unexpected \"-\" at character 2");
  expect_error("0 8 * * 1#2",
               "cron: field 5 (day-of-week): unexpected \"#\" at character 10");
  expect_error("0 8 ? * *",
               "cron: field 3 (day-of-month): expected a number at character 5");
  expect_error("0 8 * *", "cron: expected 5 fields (minute hour day-of-month month "
                          "day-of-week), found 4");
  expect_error("0 0 8 * * *", "cron: expected 5 fields (minute hour day-of-month month "
                              "day-of-week), found 6");
  expect_error("", "cron: empty expression; expected 5 fields (minute hour "
                   "day-of-month month day-of-week)");
  expect_error(" \t ", "cron: empty expression; expected 5 fields (minute hour "
                       "day-of-month month day-of-week)");
  expect_error("@reboot", "cron: unknown macro \"@reboot\" (known: @yearly @annually "
                          "@monthly @weekly @daily @midnight @hourly)");
  expect_error("@daily 5", "cron: @daily stands alone: unexpected text at character 8");
  expect_error("0 0 30 2 *", "cron: field 3 (day-of-month): none of these days occurs "
                             "in the months of field 4 (month)");
  expect_error("0 0 31 4,6,9,11 *", "cron: field 3 (day-of-month): none of these days "
                                    "occurs in the months of field 4 (month)");
}

Test(cron, null_expression_and_small_buffers_are_safe) {
  qf_cron *c = NULL;
  char tiny[8];
  cr_assert_eq(qf_cron_parse(NULL, &c, NULL, 0), QF_EINVAL);
  cr_assert_eq(qf_cron_parse("0 99 * * *", &c, tiny, sizeof tiny), QF_EINVAL);
  cr_assert_str_eq(tiny, "cron: f");
  qf_cron_free(NULL);
}

/* ---- next occurrence ---- */

Test(cron, every_minute_returns_minute_boundaries) {
  SEQ("* * * * *", NULL, "2026-05-01T12:34:56.789Z", "2026-05-01T12:35:00Z",
      "2026-05-01T12:36:00Z", "2026-05-01T12:37:00Z");
  SEQ("* * * * *", NULL, "2026-05-01T12:35:00Z", "2026-05-01T12:36:00Z");
  SEQ("* * * * *", NULL, "2026-05-01T12:35:00.001Z", "2026-05-01T12:36:00Z");
  SEQ("* * * * *", NULL, "2026-05-01T12:34:59.999Z", "2026-05-01T12:35:00Z");
  SEQ("* * * * *", "Asia/Kolkata", "2026-05-01T12:34:56Z", "2026-05-01T12:35:00Z");
  SEQ("* * * * *", "America/New_York", "2026-11-01T05:59:30Z", "2026-11-01T07:00:00Z");
  /* before 1970 too */
  SEQ("* * * * *", NULL, "1969-12-31T23:59:30Z", "1970-01-01T00:00:00Z");
}

Test(cron, crosses_month_and_year_ends) {
  SEQ("0 0 1 * *", NULL, "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z",
      "2027-02-01T00:00:00Z");
  SEQ("59 23 31 12 *", NULL, "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z");
  SEQ("0 12 31 * *", NULL, "2026-01-31T12:00:00Z", "2026-03-31T12:00:00Z",
      "2026-05-31T12:00:00Z", "2026-07-31T12:00:00Z", "2026-08-31T12:00:00Z");
  SEQ("0 0 30 * *", NULL, "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z");
  SEQ("0 8 * * *", "Asia/Shanghai", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z");
}

Test(cron, feb_29_only_in_leap_years) {
  SEQ("0 12 29 2 *", NULL, "2026-01-01T00:00:00Z", "2028-02-29T12:00:00Z",
      "2032-02-29T12:00:00Z");
  /* 2100 is not a leap year: eight years from 2096 to 2104. */
  SEQ("0 12 29 2 *", NULL, "2096-03-01T00:00:00Z", "2104-02-29T12:00:00Z");
  SEQ("0 0 29 * *", NULL, "2027-01-29T00:00:00Z", "2027-03-29T00:00:00Z");
  SEQ("0 0 29 * *", NULL, "2028-01-29T00:00:00Z", "2028-02-29T00:00:00Z");
}

Test(cron, day_of_month_or_day_of_week_when_both_restricted) {
  /* The 13th or any Friday. */
  SEQ("0 8 13 * FRI", NULL, "2026-03-01T00:00:00Z", "2026-03-06T08:00:00Z",
      "2026-03-13T08:00:00Z", "2026-03-20T08:00:00Z", "2026-03-27T08:00:00Z",
      "2026-04-03T08:00:00Z", "2026-04-10T08:00:00Z", "2026-04-13T08:00:00Z",
      "2026-04-17T08:00:00Z");
  /* Only one restricted: that one alone decides. */
  SEQ("0 8 13 * *", NULL, "2026-03-01T00:00:00Z", "2026-03-13T08:00:00Z",
      "2026-04-13T08:00:00Z");
  SEQ("0 8 * * FRI", NULL, "2026-03-07T00:00:00Z", "2026-03-13T08:00:00Z",
      "2026-03-20T08:00:00Z");
  /* Restricted means "not every value": a step is a restriction, 1-31 is not. */
  SEQ("0 8 */10 * MON", NULL, "2026-03-01T00:00:00Z", "2026-03-01T08:00:00Z",
      "2026-03-02T08:00:00Z", "2026-03-09T08:00:00Z", "2026-03-11T08:00:00Z",
      "2026-03-16T08:00:00Z", "2026-03-21T08:00:00Z");
  SEQ("0 8 1-31 * MON", NULL, "2026-03-01T00:00:00Z", "2026-03-02T08:00:00Z",
      "2026-03-09T08:00:00Z");
  /* Months still apply to both: 30 February never, Fridays of February yes. */
  SEQ("0 8 30 2 FRI", NULL, "2026-01-01T00:00:00Z", "2026-02-06T08:00:00Z",
      "2026-02-13T08:00:00Z", "2026-02-20T08:00:00Z", "2026-02-27T08:00:00Z",
      "2027-02-05T08:00:00Z");
}

Test(cron, shanghai_eight_am_is_midnight_utc) {
  SEQ("0 8 * * *", "Asia/Shanghai", "2026-02-28T23:59:59Z", "2026-03-01T00:00:00Z",
      "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z");
  /* Through the dates where Berlin and New York change clocks: nothing moves. */
  SEQ("0 8 * * *", "Asia/Shanghai", "2026-03-28T00:00:00Z", "2026-03-29T00:00:00Z",
      "2026-03-30T00:00:00Z");
  SEQ("0 8 * * *", "Asia/Shanghai", "2026-10-31T12:00:00Z", "2026-11-01T00:00:00Z",
      "2026-11-02T00:00:00Z");
}

Test(cron, berlin_spring_gap) {
  /* 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST. */
  SEQ("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", "2026-03-28T01:30:00Z",
      "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
  SEQ("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", "2026-03-29T00:00:00Z",
      "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
  SEQ("0 8 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-28T07:00:00Z",
      "2026-03-29T06:00:00Z", "2026-03-30T06:00:00Z");
  /* Several gap times and 03:00 are one occurrence. */
  SEQ("*/20 2,3 * * *", "Europe/Berlin", "2026-03-29T00:50:00Z", "2026-03-29T01:00:00Z",
      "2026-03-29T01:20:00Z", "2026-03-29T01:40:00Z", "2026-03-30T00:00:00Z");
}

Test(cron, berlin_autumn_overlap_fires_once) {
  /* 2026-10-25 01:00Z: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice. */
  SEQ("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", "2026-10-24T00:30:00Z",
      "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
  SEQ("0 * * * *", "Europe/Berlin", "2026-10-24T22:30:00Z", "2026-10-24T23:00:00Z",
      "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z");
  SEQ("0 8 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", "2026-10-24T06:00:00Z",
      "2026-10-25T07:00:00Z", "2026-10-26T07:00:00Z");
  /* Asked during the repeated hour: the repeat is not an occurrence. */
  SEQ("30 2 * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", "2026-10-26T01:30:00Z");
  SEQ("45 2 * * *", "Europe/Berlin", "2026-10-25T00:40:00Z", "2026-10-25T00:45:00Z",
      "2026-10-26T01:45:00Z");
}

Test(cron, new_york_spring_gap) {
  /* 2026-03-08 07:00Z: 02:00 EST becomes 03:00 EDT. */
  SEQ("30 2 * * *", "America/New_York", "2026-03-06T12:00:00Z", "2026-03-07T07:30:00Z",
      "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z");
  SEQ("0 * * * *", "America/New_York", "2026-03-08T05:30:00Z", "2026-03-08T06:00:00Z",
      "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z");
  SEQ("0 8 * * *", "America/New_York", "2026-03-07T00:00:00Z", "2026-03-07T13:00:00Z",
      "2026-03-08T12:00:00Z", "2026-03-09T12:00:00Z");
}

Test(cron, new_york_autumn_overlap_fires_once) {
  /* 2026-11-01 06:00Z: 02:00 EDT becomes 01:00 EST; 01:00-01:59 happens twice. */
  SEQ("30 1 * * *", "America/New_York", "2026-10-30T12:00:00Z", "2026-10-31T05:30:00Z",
      "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
  SEQ("0 * * * *", "America/New_York", "2026-11-01T03:30:00Z", "2026-11-01T04:00:00Z",
      "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z");
  SEQ("0 8 * * *", "America/New_York", "2026-10-31T00:00:00Z", "2026-10-31T12:00:00Z",
      "2026-11-01T13:00:00Z", "2026-11-02T13:00:00Z");
  /* Exactly at the first 01:30 and during the second one. */
  SEQ("30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
  SEQ("30 1 * * *", "America/New_York", "2026-11-01T06:29:59Z", "2026-11-02T06:30:00Z");
  SEQ("30 1 * * *", "America/New_York", "2026-11-01T05:29:59.999Z",
      "2026-11-01T05:30:00Z");
}

Test(cron, southern_hemisphere_and_far_future) {
  /* Sydney: DST ends 2026-04-05 03:00 AEDT -> 02:00 AEST, starts 2026-10-04. */
  SEQ("30 2 * * *", "Australia/Sydney", "2026-04-03T12:00:00Z", "2026-04-03T15:30:00Z",
      "2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z");
  SEQ("30 2 * * *", "Australia/Sydney", "2026-10-02T12:00:00Z", "2026-10-02T16:30:00Z",
      "2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z");
  /* Past the transition table: the zone's rule decides (New York, 2101). */
  SEQ("30 2 * * *", "America/New_York", "2101-03-12T12:00:00Z", "2101-03-13T07:00:00Z",
      "2101-03-14T06:30:00Z");
}

Test(cron, unknown_zone_is_a_clear_error) {
  qf_cron *c = parse("0 8 * * *");
  const qf_tz *tz = NULL;
  char why[256];
  int64_t next = 42;

  cr_assert_eq(qf_cron_next(c, "Mars/Olympus_Mons", 0, &next), QF_ENOTFOUND);
  cr_assert_eq(next, 42);
  cr_assert_eq(qf_tz_load("Mars/Olympus_Mons", &tz, why, sizeof why), QF_ENOTFOUND);
  cr_assert(strstr(why, "unknown time zone \"Mars/Olympus_Mons\"") != NULL, "%s", why);
  cr_assert_eq(qf_cron_next(c, "../../etc/passwd", 0, &next), QF_EINVAL);
  cr_assert_eq(qf_cron_next(c, "Europe", 0, &next), QF_ENOTFOUND);
  /* NULL and "" are UTC. */
  cr_assert_eq(qf_cron_next(c, "", T("2026-05-01T00:00:00Z"), &next), 0);
  cr_assert_eq(next, T("2026-05-01T08:00:00Z"));
  qf_cron_free(c);
}

Test(cron, refuses_instants_beyond_the_calendar) {
  qf_cron *c = parse("* * * * *");
  int64_t next = 7;

  cr_assert_eq(qf_cron_next(c, "Europe/Berlin", INT64_MAX, &next), QF_EINVAL);
  cr_assert_eq(qf_cron_next(c, NULL, INT64_MIN, &next), QF_EINVAL);
  cr_assert_eq(next, 7);
  cr_assert_eq(qf_cron_next(c, NULL, T("9999-12-31T23:58:00Z"), &next), 0);
  cr_assert_eq(next, T("9999-12-31T23:59:00Z"));
  qf_cron_free(c);
}

Test(cron, next_in_with_a_loaded_zone) {
  qf_cron *c = parse("0 8 * * *");
  const qf_tz *tz = NULL;
  int64_t next;

  cr_assert_eq(qf_tz_load("Asia/Shanghai", &tz, NULL, 0), 0);
  cr_assert_eq(qf_cron_next_in(c, tz, T("2026-05-01T00:00:00Z"), &next), 0);
  cr_assert_eq(next, T("2026-05-02T00:00:00Z"));
  qf_cron_free(c);
}

/* A brute-force cross-check: minute by minute through both 2026 transitions, the
 * occurrences of a schedule are the minutes whose first reaching matches. */
Test(cron, occurrences_strictly_increase_around_transitions) {
  static const char *const zones[] = {"Europe/Berlin", "America/New_York",
                                      "Australia/Lord_Howe", "Asia/Shanghai"};
  qf_cron *c = parse("*/15 * * * *");

  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    int64_t t = T("2026-01-01T00:00:00Z"), next;
    int n = 0;
    while (t < T("2027-01-01T00:00:00Z")) {
      cr_assert_eq(qf_cron_next(c, zones[z], t, &next), 0);
      cr_assert_gt(next, t);
      cr_assert_leq(next - t, 16 * 60000 + 60 * 60000, "%s: gap at %lld", zones[z],
                    (long long)t);
      t = next;
      n++;
    }
    /* 96 a day, minus those that fall into gaps or repeats: close to 365 * 96. */
    cr_assert(n > 365 * 96 - 10 && n <= 365 * 96, "%s: %d", zones[z], n);
  }
  qf_cron_free(c);
}
