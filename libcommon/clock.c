#include "qf/clock.h"

#include "qf/err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

static int64_t read_clock(clockid_t id, int64_t div_ns) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * (1000000000 / div_ns) + ts.tv_nsec / div_ns;
}

int64_t qf_clock_now_ms(void) {
  return read_clock(CLOCK_REALTIME, 1000000);
}

int64_t qf_clock_mono_ms(void) {
  return read_clock(CLOCK_MONOTONIC, 1000000);
}

int64_t qf_clock_mono_us(void) {
  return read_clock(CLOCK_MONOTONIC, 1000);
}

/* Reads exactly n decimal digits at *p and advances past them. */
static bool digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return true;
}

static bool expect(const char **p, char c) {
  if (**p != c)
    return false;
  (*p)++;
  return true;
}

static bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Optional ".fff...": any number of digits, kept to the millisecond (truncated). */
static bool fraction_ms(const char **p, int *ms) {
  *ms = 0;
  if (**p != '.')
    return true;
  (*p)++;
  if (!isdigit((unsigned char)**p))
    return false;
  int scale = 100;
  for (; isdigit((unsigned char)**p); (*p)++) {
    *ms += (**p - '0') * scale;
    scale /= 10;
  }
  return true;
}

/* "Z" or "+hh:mm"/"-hh:mm" as seconds east of UTC. */
static bool offset_s(const char **p, int *off) {
  if (**p == 'Z' || **p == 'z') {
    (*p)++;
    *off = 0;
    return true;
  }
  int sign = **p == '+' ? 1 : **p == '-' ? -1 : 0;
  if (!sign)
    return false;
  (*p)++;
  int hh, mm;
  if (!digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm))
    return false;
  if (hh > 23 || mm > 59)
    return false;
  *off = sign * (hh * 3600 + mm * 60);
  return true;
}

int qf_time_parse_rfc3339(const char *s, int64_t *out_ms) {
  if (!s || !out_ms)
    return QF_EINVAL;
  const char *p = s;
  int y, mo, d, h, mi, sec, ms, off;
  if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
      !expect(&p, '-') || !digits(&p, 2, &d))
    return QF_EINVAL;
  if (*p != 'T' && *p != 't' && *p != ' ') /* RFC 3339 5.6 allows a space */
    return QF_EINVAL;
  p++;
  if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) ||
      !expect(&p, ':') || !digits(&p, 2, &sec) || !fraction_ms(&p, &ms) ||
      !offset_s(&p, &off) || *p != '\0')
    return QF_EINVAL;
  /* Second 60 is a leap second: it is read as the first second of the next
   * minute, which is what timegm makes of it. */
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
      sec > 60)
    return QF_EINVAL;
  struct tm tm = {.tm_year = y - 1900,
                  .tm_mon = mo - 1,
                  .tm_mday = d,
                  .tm_hour = h,
                  .tm_min = mi,
                  .tm_sec = sec};
  time_t t = timegm(&tm);
  *out_ms = ((int64_t)t - off) * 1000 + ms;
  return 0;
}

char *qf_time_format_rfc3339(int64_t ms, char *buf, size_t len) {
  if (!buf || len == 0)
    return buf;
  /* Floor division so times before 1970 keep a positive millisecond part. */
  int64_t secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  time_t t = (time_t)secs;
  struct tm tm;
  if (!gmtime_r(&t, &tm)) {
    snprintf(buf, len, "invalid-time");
    return buf;
  }
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
  return buf;
}
