/* Group validation, shared by the CLI (before a file is sent) and the scheduler
 * (before it stores): both reject the same input with the same sentence. A sentence
 * names the field and the rule, never the value of a url (it may carry a secret). */
#include "qf/group.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/tz.h"

#define RATE_COUNT_MAX 1000000u
#define TZ_NAME_MAX 255

static int fail(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...) {
  if (why && len > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
  }
  return QF_EINVAL;
}

static int parse_period(const char *unit, int64_t *period_ms) {
  if (strcmp(unit, "s") == 0)
    *period_ms = 1000;
  else if (strcmp(unit, "min") == 0)
    *period_ms = 60 * 1000;
  else if (strcmp(unit, "h") == 0)
    *period_ms = 60 * 60 * 1000;
  else
    return QF_EINVAL;
  return 0;
}

int qf_rate_parse(const char *s, qf_rate *out) {
  uint32_t n = 0;
  size_t digits = 0;
  int64_t period_ms;

  if (!s)
    return QF_EINVAL;
  for (; s[digits] >= '0' && s[digits] <= '9'; digits++) {
    if (digits >= 7) /* more than RATE_COUNT_MAX can have */
      return QF_EINVAL;
    n = n * 10 + (uint32_t)(s[digits] - '0');
  }
  if (digits == 0 || s[digits] != '/' || n < 1 || n > RATE_COUNT_MAX)
    return QF_EINVAL;
  if (parse_period(s + digits + 1, &period_ms) != 0)
    return QF_EINVAL;
  if (out) {
    out->count = n;
    out->period_ms = period_ms;
  }
  return 0;
}

static int parse_hhmm(const char *s, int max_h, uint16_t *min) {
  for (int i = 0; i < 5; i++) {
    if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
      return QF_EINVAL;
  }
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > max_h || m > 59)
    return QF_EINVAL;
  *min = (uint16_t)(h * 60 + m);
  return 0;
}

int qf_quiet_parse(const char *s, qf_quiet *out) {
  qf_quiet q;
  if (!s || strlen(s) != 11 || s[5] != '-')
    return QF_EINVAL;
  if (parse_hhmm(s, 23, &q.start_min) != 0 || parse_hhmm(s + 6, 23, &q.end_min) != 0)
    return QF_EINVAL;
  if (q.start_min == q.end_min)
    return QF_EINVAL;
  if (out)
    *out = q;
  return 0;
}

static bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
}

/* NULL when s is a well-formed id, else the rule it breaks. */
static const char *id_problem(const char *s) {
  size_t n = s ? strlen(s) : 0;

  if (n == 0)
    return "must not be empty";
  if (n > QF_GROUP_ID_MAX)
    return "longer than 128 characters";
  for (size_t i = 0; i < n; i++) {
    if (!is_id_char(s[i]))
      return "may only hold letters, digits and . _ : @ -";
  }
  return NULL;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *p) {
  unsigned char c = p[0];

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
      return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    return 4;
  }
  return 0;
}

static bool utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;

  while (*p) {
    size_t n = utf8_seq_len(p);
    if (n == 0)
      return false;
    p += n;
  }
  return true;
}

static bool has_control(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7F)
      return true;
  }
  return false;
}

static int check_id(const Qunfa__Group *g, char *why, size_t len) {
  const char *p = id_problem(g->id);

  if (p)
    return fail(why, len, "field \"id\": %s", p);
  return 0;
}

static int check_name(const Qunfa__Group *g, char *why, size_t len) {
  const char *name = g->name ? g->name : "";

  if (strlen(name) > QF_GROUP_NAME_MAX)
    return fail(why, len, "field \"name\": longer than 256 bytes");
  if (!utf8_valid(name))
    return fail(why, len, "field \"name\": not valid UTF-8");
  if (has_control(name))
    return fail(why, len, "field \"name\": must not hold control characters");
  return 0;
}

static int check_tags(const Qunfa__Group *g, char *why, size_t len) {
  if (g->n_tags > QF_GROUP_TAGS_MAX)
    return fail(why, len, "field \"tags\": more than 64 tags");
  for (size_t i = 0; i < g->n_tags; i++) {
    const char *p = id_problem(g->tags[i]);
    if (p)
      return fail(why, len, "field \"tags\": tag %zu %s", i + 1, p);
  }
  return 0;
}

/* Only dialects the dispatcher can send are accepted, so a typo is rejected up
 * front rather than failing every delivery. */
static int check_dialect(const Qunfa__Group *g, char *why, size_t len) {
  const char *d = g->dialect ? g->dialect : "";

  if (qf_dialect_find(d))
    return 0;
  if (*d == '\0')
    return fail(why, len, "field \"dialect\": must not be empty (e.g. \"generic\")");
  if (id_problem(d)) /* do not echo bytes we cannot vouch for */
    return fail(why, len, "field \"dialect\": unknown dialect");
  return fail(why, len, "field \"dialect\": unknown dialect \"%s\"", d);
}

/* The nng dialect's url is the gateway's NNG address (an ipc:// path may
 * start with '/'); every other dialect's is a web url. */
static int check_nng_url(const char *u, char *why, size_t len) {
  size_t scheme = strncmp(u, "ipc://", 6) == 0        ? 6
                  : strncmp(u, "tcp://", 6) == 0      ? 6
                  : strncmp(u, "tls+tcp://", 10) == 0 ? 10
                                                      : 0;
  if (scheme == 0)
    return fail(why, len,
                "field \"url\": the nng dialect needs ipc://, tcp:// or tls+tcp://");
  bool ipc = u[0] == 'i';
  if (u[scheme] == '\0' || (!ipc && u[scheme] == '/'))
    return fail(why, len, "field \"url\": has no host");
  return 0;
}

static int check_url(const Qunfa__Group *g, char *why, size_t len) {
  const char *u = g->url ? g->url : "";
  size_t scheme = 0;
  bool nng = g->dialect && strcmp(g->dialect, "nng") == 0;

  if (nng && check_nng_url(u, why, len) != 0)
    return QF_EINVAL;
  if (nng)
    scheme = 0;
  else if (strncmp(u, "http://", 7) == 0)
    scheme = 7;
  else if (strncmp(u, "https://", 8) == 0)
    scheme = 8;
  else
    return fail(why, len, "field \"url\": must start with http:// or https://");
  if (strlen(u) > QF_GROUP_URL_MAX)
    return fail(why, len, "field \"url\": longer than 2048 bytes");
  if (!nng && (u[scheme] == '\0' || u[scheme] == '/'))
    return fail(why, len, "field \"url\": has no host");
  for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
    if (*p <= 0x20 || *p >= 0x7F)
      return fail(why, len,
                  "field \"url\": must not hold spaces, control or "
                  "non-ASCII characters (percent-encode them)");
  }
  return 0;
}

static bool tz_name_safe(const char *tz) {
  size_t n = strlen(tz);

  if (n > TZ_NAME_MAX || tz[0] == '/' || tz[n - 1] == '/' || strstr(tz, ".."))
    return false;
  for (const char *p = tz; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok)
      return false;
  }
  return true;
}

/* A zone is known when qf_tz_load can use it: the one reader every later
 * computation in the group's zone goes through (cron, quiet hours), so a group is
 * never stored with a zone that fails there. Merely finding a file under the zone
 * directory is not enough ("leapseconds" is text, "right/UTC" counts leap
 * seconds), and $TZDIR is honoured as qf_tz_load does. The name is checked first
 * so it cannot point outside the zone directory. */
static int check_tz(const Qunfa__Group *g, char *why, size_t len) {
  const char *tz = g->tz ? g->tz : "";
  const qf_tz *zone;
  int rc;

  if (*tz == '\0')
    return 0;
  if (!tz_name_safe(tz))
    return fail(why, len, "field \"tz\": not an IANA time zone name");
  rc = qf_tz_load(tz, &zone, NULL, 0);
  if (rc == 0)
    return 0;
  if (rc == QF_ENOTFOUND)
    return fail(why, len, "field \"tz\": unknown time zone \"%s\"", tz);
  if (rc == QF_EPROTO)
    return fail(why, len,
                "field \"tz\": unknown time zone \"%s\" (its tzdata file is not a "
                "usable zone)",
                tz);
  return fail(why, len, "field \"tz\": time zone \"%s\" cannot be read: %s", tz,
              qf_strerror(rc));
}

static int check_rate(const Qunfa__Group *g, char *why, size_t len) {
  const char *r = g->rate ? g->rate : "";

  if (*r == '\0' || qf_rate_parse(r, NULL) == 0)
    return 0;
  return fail(why, len,
              "field \"rate\": must be N/s, N/min or N/h with N from 1 to 1000000");
}

/* An account names a bot shared by groups: the same characters as an id, so it
 * can be shown and logged as it is. */
static int check_account(const Qunfa__Group *g, char *why, size_t len) {
  const char *a = g->account ? g->account : "";
  const char *p;

  if (*a == '\0')
    return 0;
  if ((p = id_problem(a)) != NULL)
    return fail(why, len, "field \"account\": %s", p);
  return 0;
}

static int check_quiet(const Qunfa__Group *g, char *why, size_t len) {
  const char *q = g->quiet ? g->quiet : "";

  if (*q == '\0' || qf_quiet_parse(q, NULL) == 0)
    return 0;
  return fail(why, len,
              "field \"quiet\": must be HH:MM-HH:MM (24-hour local times, e.g. "
              "\"23:00-07:00\") with different start and end");
}

static int check_daily_cap(const Qunfa__Group *g, char *why, size_t len) {
  if (g->daily_cap <= QF_GROUP_DAILY_CAP_MAX)
    return 0;
  return fail(why, len, "field \"daily_cap\": %u is more than %d", g->daily_cap,
              QF_GROUP_DAILY_CAP_MAX);
}

int qf_group_validate(const Qunfa__Group *g, char *why, size_t len) {
  typedef int (*check_fn)(const Qunfa__Group *, char *, size_t);
  static const check_fn checks[] = {
      check_id, check_name, check_tags,    check_dialect, check_url,
      check_tz, check_rate, check_account, check_quiet,   check_daily_cap};

  if (why && len > 0)
    why[0] = '\0';
  if (!g)
    return fail(why, len, "no group");
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    int rc = checks[i](g, why, len);
    if (rc != 0)
      return rc;
  }
  return 0;
}
