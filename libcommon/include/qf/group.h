/* Groups: the validation rules shared by the CLI (before sending a file) and the
 * scheduler (before storing), so both reject the same input with the same words. */
#ifndef QF_GROUP_H
#define QF_GROUP_H
#include <stddef.h>
#include <stdint.h>

#include "model.pb-c.h"

#define QF_GROUP_ID_MAX 128
#define QF_GROUP_NAME_MAX 256
#define QF_GROUP_TAGS_MAX 64
#define QF_GROUP_URL_MAX 2048
#define QF_GROUP_ACCOUNT_MAX 128
#define QF_GROUP_DAILY_CAP_MAX 10000

/* A rate "N/s", "N/min" or "N/h": count messages per period_ms. */
typedef struct qf_rate {
  uint32_t count;
  int64_t period_ms;
} qf_rate;

/* Parses "20/min" etc. (N from 1 to 1,000,000). QF_EINVAL otherwise. */
int qf_rate_parse(const char *s, qf_rate *out);

/* Quiet hours "HH:MM-HH:MM" (24-hour local times, start != end): minutes after
 * local midnight; the window is [start, end), wrapping past midnight when
 * end < start ("23:00-07:00"). */
typedef struct qf_quiet {
  uint16_t start_min, end_min;
} qf_quiet;

/* Parses "23:00-07:00" (two digits each, 00-23 and 00-59). QF_EINVAL otherwise,
 * and for an empty window (start == end). */
int qf_quiet_parse(const char *s, qf_quiet *out);

/* Checks a group: id (1..128 chars of [A-Za-z0-9._:@-]), name (<= 256 bytes),
 * tags (<= 64, each like an id), dialect (a known one: "generic"), url (http:// or
 * https://, <= 2048 bytes), tz (empty or a zone name known to the system's tzdata),
 * rate (empty or qf_rate_parse-able), account (empty or like an id), quiet (empty
 * or qf_quiet_parse-able), daily_cap (0 = none, at most 10,000). On QF_EINVAL, why
 * holds a sentence naming the field, e.g. "field \"url\": must start with http:// or
 * https://". */
int qf_group_validate(const Qunfa__Group *g, char *why, size_t len);

#endif
