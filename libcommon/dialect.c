#include "qf/dialect.h"

#include "qf/alloc.h"
#include "qf/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every dialect, once. */
static const qf_dialect *const dialects[] = {
    &qf_dialect_generic,  &qf_dialect_wecom, &qf_dialect_feishu, &qf_dialect_dingtalk,
    &qf_dialect_telegram, &qf_dialect_slack, &qf_dialect_nng,
};

const qf_dialect *qf_dialect_find(const char *name) {
  if (!name)
    return NULL;
  for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++) {
    if (strcmp(dialects[i]->name, name) == 0)
      return dialects[i];
  }
  return NULL;
}

const char *qf_xfer_name(qf_xfer x) {
  switch (x) {
  case QF_XFER_OK:
    return "ok";
  case QF_XFER_TIMEOUT:
    return "timeout";
  case QF_XFER_REFUSED:
    return "connection refused";
  case QF_XFER_DNS:
    return "dns failure";
  case QF_XFER_TLS:
    return "tls failure";
  case QF_XFER_NETWORK:
    return "network error";
  case QF_XFER_BADURL:
    return "bad url";
  case QF_XFER_OTHER:
    break;
  }
  return "transfer error";
}

/* ---- requests ---- */

void qf_dialect_request_init(qf_dialect_request *r) {
  memset(r, 0, sizeof *r);
}

void qf_dialect_request_free(qf_dialect_request *r) {
  if (!r)
    return;
  free(r->body);
  free(r->url_buf);
  memset(r, 0, sizeof *r);
}

void qf_dialect_request_reset(qf_dialect_request *r) {
  r->url = NULL;
  r->body_len = 0;
  if (r->body)
    r->body[0] = '\0';
  r->nheaders = 0;
  r->error[0] = '\0';
}

int qf_dialect_request_header(qf_dialect_request *r, const char *fmt, ...) {
  if (r->nheaders >= QF_DIALECT_HEADERS_MAX)
    return QF_ETOOBIG;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->headers[r->nheaders], QF_DIALECT_HEADER_LEN, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= QF_DIALECT_HEADER_LEN)
    return QF_ETOOBIG;
  r->nheaders++;
  return 0;
}

char *qf_dialect_request_body(qf_dialect_request *r, size_t n) {
  if (n + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 512;
    while (cap < n + 1)
      cap *= 2;
    r->body = qf_realloc(r->body, cap);
    r->body_cap = cap;
  }
  return r->body;
}

char *qf_dialect_request_url(qf_dialect_request *r, size_t n) {
  if (n + 1 > r->url_cap) {
    size_t cap = r->url_cap ? r->url_cap : 256;
    while (cap < n + 1)
      cap *= 2;
    r->url_buf = qf_realloc(r->url_buf, cap);
    r->url_cap = cap;
  }
  return r->url_buf;
}

int qf_dialect_request_refuse(qf_dialect_request *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error, sizeof r->error, fmt, ap);
  va_end(ap);
  return QF_EINVAL;
}

/* ---- results ---- */

void qf_dialect_result_set(qf_dialect_result *res, qf_outcome outcome, const char *fmt,
                           ...) {
  res->outcome = outcome;
  res->retry_after_ms = 0;
  res->throttled = false;
  res->platform_msg_id[0] = '\0';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->error, sizeof res->error, fmt, ap);
  va_end(ap);
}

void qf_dialect_classify_xfer(const qf_dialect_answer *ans, qf_dialect_result *res) {
  qf_outcome o = ans->xfer == QF_XFER_BADURL ? QF_OUTCOME_FAILED : QF_OUTCOME_RETRY;
  qf_dialect_result_set(res, o, "%s", qf_xfer_name(ans->xfer));
}

/* ---- Retry-After ---- */

static int64_t clamp_ms(int64_t ms) {
  if (ms < 0)
    return 0;
  return ms > QF_DIALECT_RETRY_MAX_MS ? QF_DIALECT_RETRY_MAX_MS : ms;
}

/* delta-seconds: digits only (a leading '-' is tolerated and clamps to 0).
 * Returns 0 and sets *ms, or -1 when s is not a number. */
static int parse_delta(const char *s, size_t len, int64_t *ms) {
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == len)
    return -1;
  for (size_t j = i; j < len; j++) {
    if (!isdigit((unsigned char)s[j]))
      return -1;
  }
  if (i == 1) {
    *ms = 0;
    return 0;
  }
  /* Past an hour the exact value no longer matters; avoid overflow. */
  if (len > 7) {
    *ms = QF_DIALECT_RETRY_MAX_MS;
    return 0;
  }
  *ms = clamp_ms((int64_t)strtol(s, NULL, 10) * 1000);
  return 0;
}

static int month_index(const char *m) {
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; i++) {
    if (strcmp(m, months[i]) == 0)
      return i + 1;
  }
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no time zone or locale is involved. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

typedef struct http_date {
  char mon[4], tz[4];
  int day, year, hour, min, sec;
} http_date;

/* The three forms of RFC 9110 section 5.6.7: IMF-fixdate, RFC 850, asctime. */
static int scan_http_date(const char *s, size_t len, http_date *t) {
  char wd[16];
  int n = -1;
  if (sscanf(s, "%15[A-Za-z], %d %3s %d %d:%d:%d %3s%n", wd, &t->day, t->mon, &t->year,
             &t->hour, &t->min, &t->sec, t->tz, &n) == 8 &&
      (size_t)n == len)
    return 0;
  n = -1;
  if (sscanf(s, "%15[A-Za-z], %d-%3s-%d %d:%d:%d %3s%n", wd, &t->day, t->mon, &t->year,
             &t->hour, &t->min, &t->sec, t->tz, &n) == 8 &&
      (size_t)n == len) {
    if (t->year < 100)
      t->year += t->year < 70 ? 2000 : 1900;
    return 0;
  }
  n = -1;
  strcpy(t->tz, "GMT");
  if (sscanf(s, "%15[A-Za-z] %3s %d %d:%d:%d %d%n", wd, t->mon, &t->day, &t->hour,
             &t->min, &t->sec, &t->year, &n) == 7 &&
      (size_t)n == len)
    return 0;
  return -1;
}

/* An HTTP-date as UTC ms. Returns 0, or -1 when s is not one. */
static int parse_http_date(const char *s, size_t len, int64_t *out_ms) {
  http_date t;
  if (scan_http_date(s, len, &t) != 0 || strcmp(t.tz, "GMT") != 0)
    return -1;
  int mon = month_index(t.mon);
  if (mon == 0 || t.day < 1 || t.day > 31 || t.year < 1970 || t.year > 9999 ||
      t.hour > 23 || t.min > 59 || t.sec > 60 || t.hour < 0 || t.min < 0 || t.sec < 0)
    return -1;
  int64_t days = days_from_civil(t.year, mon, t.day);
  *out_ms = ((days * 24 + t.hour) * 60 + t.min) * 60000 + (int64_t)t.sec * 1000;
  return 0;
}

int64_t qf_dialect_retry_after_ms(const char *value, int64_t now_ms) {
  if (!value)
    return 0;
  char buf[64];
  while (isspace((unsigned char)*value))
    value++;
  size_t len = strlen(value);
  while (len > 0 && isspace((unsigned char)value[len - 1]))
    len--;
  if (len == 0 || len >= sizeof buf)
    return 0;
  memcpy(buf, value, len);
  buf[len] = '\0';
  int64_t ms;
  if (parse_delta(buf, len, &ms) == 0)
    return ms;
  int64_t at_ms;
  if (parse_http_date(buf, len, &at_ms) == 0)
    return clamp_ms(at_ms - now_ms);
  return 0;
}
