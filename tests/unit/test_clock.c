#include "qf/clock.h"
#include "qf/err.h"

#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

static int64_t parse(const char *s) {
  int64_t ms = -12345;
  int rc = qf_time_parse_rfc3339(s, &ms);
  cr_assert_eq(rc, 0, "parse(%s) = %d", s, rc);
  return ms;
}

Test(clock, parses_utc_with_z) {
  cr_assert_eq(parse("1970-01-01T00:00:00Z"), 0);
  cr_assert_eq(parse("2026-11-23T12:00:00Z"), 1795435200000LL);
  cr_assert_eq(parse("2026-11-23t12:00:00z"), 1795435200000LL);
}

Test(clock, applies_positive_and_negative_offsets) {
  cr_assert_eq(parse("2026-11-23T20:00:00+08:00"), 1795435200000LL);
  cr_assert_eq(parse("2026-11-23T06:30:00-05:30"), 1795435200000LL);
  cr_assert_eq(parse("2026-11-23T12:00:00+00:00"), 1795435200000LL);
  cr_assert_eq(parse("2026-11-23T12:00:00-00:00"), 1795435200000LL);
}

Test(clock, keeps_fractional_seconds_to_the_millisecond) {
  cr_assert_eq(parse("1970-01-01T00:00:00.5Z"), 500);
  cr_assert_eq(parse("1970-01-01T00:00:01.123Z"), 1123);
  cr_assert_eq(parse("1970-01-01T00:00:01.123999999Z"), 1123);
  cr_assert_eq(parse("1970-01-01T08:00:00.250+08:00"), 250);
}

Test(clock, accepts_leap_day_and_times_before_1970) {
  cr_assert_eq(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
  cr_assert_eq(parse("1969-12-31T23:59:59Z"), -1000);
}

Test(clock, rejects_anything_that_is_not_rfc3339) {
  static const char *const bad[] = {
      "",
      "abc",
      "2026-11-23",
      "2026-11-23T20:00:00",
      "2026-11-23T20:00Z",
      "2026-11-23T20:00:00+0800",
      "2026-11-23T20:00:00+08",
      "2026-11-23T20:00:00Zjunk",
      "2026-11-23T20:00:00.Z",
      " 2026-11-23T20:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2026-11-00T00:00:00Z",
      "2026-11-23T24:00:00Z",
      "2026-11-23T23:60:00Z",
      "2026-11-23T23:00:61Z",
      "2026-11-23T20:00:00+24:00",
      "2026-11-23T20:00:00+08:60",
      "2026/11/23T20:00:00Z",
      "26-11-23T20:00:00Z",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ms = 77;
    cr_expect_eq(qf_time_parse_rfc3339(bad[i], &ms), QF_EINVAL, "accepted \"%s\"",
                 bad[i]);
    cr_expect_eq(ms, 77, "wrote a result for \"%s\"", bad[i]);
  }
  int64_t ms;
  cr_expect_eq(qf_time_parse_rfc3339(NULL, &ms), QF_EINVAL);
}

Test(clock, formats_utc_with_milliseconds) {
  char buf[32];
  cr_assert_str_eq(qf_time_format_rfc3339(0, buf, sizeof buf),
                   "1970-01-01T00:00:00.000Z");
  cr_assert_str_eq(qf_time_format_rfc3339(1795435200007LL, buf, sizeof buf),
                   "2026-11-23T12:00:00.007Z");
  cr_assert_str_eq(qf_time_format_rfc3339(-1, buf, sizeof buf),
                   "1969-12-31T23:59:59.999Z");
}

Test(clock, format_then_parse_round_trips) {
  static const int64_t samples[] = {0,
                                    1,
                                    999,
                                    -1,
                                    -86400001,
                                    951782400123LL,  /* 2000-02-29 */
                                    1795435200000LL, /* 2026-11-23 */
                                    2147483648000LL, /* past 2038 */
                                    253402300799999LL /* 9999-12-31 */};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    char buf[32];
    qf_time_format_rfc3339(samples[i], buf, sizeof buf);
    int64_t back;
    cr_assert_eq(qf_time_parse_rfc3339(buf, &back), 0, "%s", buf);
    cr_assert_eq(back, samples[i], "%s -> %lld", buf, (long long)back);
  }
}

Test(clock, format_truncates_into_a_small_buffer) {
  char buf[8];
  qf_time_format_rfc3339(0, buf, sizeof buf);
  cr_assert_str_eq(buf, "1970-01");
}

Test(clock, wall_clock_is_epoch_milliseconds) {
  int64_t now = qf_clock_now_ms();
  int64_t t = (int64_t)time(NULL) * 1000;
  cr_assert(now > t - 2000 && now < t + 2000);
}

Test(clock, monotonic_clock_never_goes_backwards) {
  int64_t prev_ms = qf_clock_mono_ms(), prev_us = qf_clock_mono_us();
  for (int i = 0; i < 100000; i++) {
    int64_t ms = qf_clock_mono_ms(), us = qf_clock_mono_us();
    cr_assert_geq(ms, prev_ms);
    cr_assert_geq(us, prev_us);
    prev_ms = ms;
    prev_us = us;
  }
  cr_assert_leq(qf_clock_mono_ms() - qf_clock_mono_us() / 1000, 1);
}
