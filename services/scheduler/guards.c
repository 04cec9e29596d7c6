#include "guards.h"

#define MIN_MS 60000

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t guards_local_day(const qf_tz *tz, int64_t utc_ms) {
  return floor_div(qf_tz_to_local(tz ? tz : qf_tz_utc(), utc_ms), GUARDS_DAY_MS);
}

int64_t guards_quiet_until(const qf_tz *tz, qf_quiet q, int64_t utc_ms) {
  const qf_tz *z = tz ? tz : qf_tz_utc();
  int64_t local = qf_tz_to_local(z, utc_ms);
  int64_t day = floor_div(local, GUARDS_DAY_MS) * GUARDS_DAY_MS;
  int64_t tod = local - day, start = q.start_min * (int64_t)MIN_MS,
          end = q.end_min * (int64_t)MIN_MS, end_local, end_utc;
  if (start < end) {
    if (tod < start || tod >= end)
      return 0;
    end_local = day + end;
  } else if (tod >= start) {
    end_local = day + GUARDS_DAY_MS + end; /* wraps: ends tomorrow */
  } else if (tod < end) {
    end_local = day + end;
  } else {
    return 0;
  }
  qf_tz_from_local(z, end_local, &end_utc);
  /* Only in a fall-back overlap: the clock already showed the end time. */
  return end_utc > utc_ms ? end_utc : 0;
}
