#include "recur.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qf/err.h"

#define YEAR_MS (366LL * 24 * 3600 * 1000)

/* Counts the occurrences in [from, to) (from an occurrence or 0), at most
 * RECUR_COUNT_MAX. */
static int count_between(const qf_cron *cron, const qf_tz *tz, int64_t from, int64_t to,
                         uint32_t *n) {
  int64_t t = from;
  int rc = 0;
  *n = 0;
  while (t != 0 && t < to && *n < RECUR_COUNT_MAX) {
    (*n)++;
    if ((rc = qf_cron_next_in(cron, tz, t, &t)) != 0)
      break;
  }
  return rc;
}

/* The latest occurrence in (after, now] (0: none) and how many there are. */
static int latest_in(const qf_cron *cron, const qf_tz *tz, int64_t after, int64_t now,
                     int64_t *latest, uint32_t *n) {
  int64_t t;
  int rc;
  *latest = 0;
  *n = 0;
  if ((rc = qf_cron_next_in(cron, tz, after, &t)) != 0)
    return rc;
  while (t <= now) {
    *latest = t;
    (*n)++;
    if ((rc = qf_cron_next_in(cron, tz, t, &t)) != 0)
      return rc;
  }
  return 0;
}

int recur_catch_up(const qf_cron *cron, const qf_tz *tz, int64_t pending_at,
                   int64_t next_at, int64_t now, int64_t catch_up_ms, recur_plan *out) {
  int64_t oldest_ok = now - catch_up_ms; /* an occurrence must be after this */
  int64_t latest = 0, from;
  uint32_t old = 0, recent = 0;
  int rc;
  *out = (recur_plan){.next_at = next_at};
  if (pending_at > now || (pending_at == 0 && next_at > now)) {
    out->keep_pending = pending_at != 0;
    return 0; /* nothing missed */
  }
  /* Missed cron occurrences: [next_at, now]; the old ones only counted. */
  if (next_at <= now) {
    rc = count_between(cron, tz, next_at, oldest_ok + 1, &old);
    from = next_at - 1 > oldest_ok ? next_at - 1 : oldest_ok;
    if (rc == 0)
      rc = latest_in(cron, tz, from, now, &latest, &recent);
    if (rc != 0)
      return rc;
    out->missed_first = next_at;
  }
  if (pending_at != 0) {
    out->missed_first = pending_at; /* it precedes next_at */
    if (pending_at > oldest_ok && pending_at > latest)
      latest = pending_at;
  }
  out->skipped = old + recent + (pending_at != 0 ? 1 : 0) - (latest != 0 ? 1 : 0);
  if (latest != 0 && latest == pending_at) {
    out->keep_pending = true;
  } else {
    out->cancel_pending = pending_at != 0;
    out->fire = latest != 0;
    out->fire_for = latest;
  }
  return qf_cron_next_in(cron, tz, now, &out->next_at);
}

int recur_parse_duration(const char *s, int64_t *ms) {
  char *end;
  long long v;
  int64_t unit;
  if (s == NULL || *s < '0' || *s > '9')
    return QF_EINVAL;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0)
    return QF_EINVAL;
  if (*end == '\0' || strcmp(end, "ms") == 0)
    unit = 1;
  else if (strcmp(end, "s") == 0)
    unit = 1000;
  else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
    unit = 60 * 1000;
  else if (strcmp(end, "h") == 0)
    unit = 3600 * 1000;
  else
    return QF_EINVAL;
  if (v > YEAR_MS / unit)
    return QF_EINVAL;
  *ms = (int64_t)v * unit;
  return 0;
}
