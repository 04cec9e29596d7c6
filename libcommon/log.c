#include "qf/log.h"

#include "qf/clock.h"
#include "qf/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A line longer than this is cut and ends in "..." so one event stays one write. */
#define LINE_MAX_BYTES 4096

static char proc_name[64] = "qunfa";
static atomic_int min_level = QF_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void qf_log_init(const char *proc) {
  snprintf(proc_name, sizeof proc_name, "%s", proc ? proc : "qunfa");
}

void qf_log_set_level(qf_log_level level) {
  atomic_store(&min_level, (int)level);
}

int qf_log_level_parse(const char *s, qf_log_level *out) {
  if (!s)
    return QF_EINVAL;
  for (int i = QF_LOG_DEBUG; i <= QF_LOG_ERROR; i++) {
    if (strcmp(s, level_names[i]) == 0) {
      *out = (qf_log_level)i;
      return 0;
    }
  }
  return QF_EINVAL;
}

/* Writes all of line, retrying on EINTR and short writes; a log line that cannot
 * be written is dropped, there is nowhere else to report it. */
static void write_line(const char *line, size_t len) {
  while (len > 0) {
    ssize_t n = write(2, line, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    line += n;
    len -= (size_t)n;
  }
}

void qf_log(qf_log_level level, const char *event, const char *fmt, ...) {
  if ((int)level < atomic_load(&min_level))
    return;
  if ((int)level < QF_LOG_DEBUG || (int)level > QF_LOG_ERROR)
    level = QF_LOG_ERROR;
  int saved_errno = errno; /* logging must not disturb the caller's errno */
  char line[LINE_MAX_BYTES];
  char ts[32];
  qf_time_format_rfc3339(qf_clock_now_ms(), ts, sizeof ts);
  int n = snprintf(line, sizeof line, "ts=%s level=%s proc=%s event=%s", ts,
                   level_names[level], proc_name, event ? event : "-");
  size_t pos = n < 0 ? 0 : (size_t)n;
  if (fmt && *fmt && pos + 1 < sizeof line) {
    line[pos++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(line + pos, sizeof line - pos, fmt, ap);
    va_end(ap);
    if (n > 0)
      pos += (size_t)n;
    else
      pos--; /* nothing formatted: no trailing space */
  }
  /* Room for the newline: cut an overlong line and mark the cut. */
  if (pos > sizeof line - 1) {
    pos = sizeof line - 1;
    memcpy(line + pos - 3, "...", 3);
  }
  line[pos++] = '\n';
  write_line(line, pos);
  errno = saved_errno;
}

/* An appender into a fixed buffer that always keeps room for the NUL. */
typedef struct outbuf {
  char *buf;
  size_t len, pos;
} outbuf;

static void out_mem(outbuf *o, const char *s, size_t n) {
  size_t room = o->len - 1 - o->pos;
  if (n > room)
    n = room;
  memcpy(o->buf + o->pos, s, n);
  o->pos += n;
  o->buf[o->pos] = '\0';
}

static void out_str(outbuf *o, const char *s) {
  out_mem(o, s, strlen(s));
}

/* Telegram bot paths carry the token as "bot<id>:<secret>" (and some gateways drop
 * the "bot" prefix): digits, a colon, then the secret. */
static bool is_bot_token(const char *s, size_t n) {
  size_t i = 0;
  if (n >= 3 && strncmp(s, "bot", 3) == 0)
    i = 3;
  size_t digits = 0;
  while (i < n && isdigit((unsigned char)s[i])) {
    i++;
    digits++;
  }
  return digits >= 3 && i < n && s[i] == ':' && n - i > 1;
}

/* A path segment that looks like a secret: long and mixing letters and digits
 * (webhook keys, UUIDs, Slack's B0123/XXXX tokens), or a bot token. Plain words
 * such as "send" or "webhook" and short ids such as "g1" stay readable. */
static bool looks_like_token(const char *s, size_t n) {
  if (is_bot_token(s, n))
    return true;
  if (n < 16)
    return false;
  bool alpha = false, digit = false;
  for (size_t i = 0; i < n; i++) {
    alpha |= isalpha((unsigned char)s[i]) != 0;
    digit |= isdigit((unsigned char)s[i]) != 0;
  }
  return alpha && digit;
}

static void redact_path(outbuf *o, const char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (p[i] == '/') {
      out_mem(o, "/", 1);
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && p[j] != '/')
      j++;
    if (looks_like_token(p + i, j - i))
      out_str(o, "***");
    else
      out_mem(o, p + i, j - i);
    i = j;
  }
}

/* Keeps each query key and replaces every value; a bare parameter with no '='
 * may itself be a secret and is replaced whole. */
static void redact_query(outbuf *o, const char *q, size_t n) {
  size_t i = 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && q[j] != '&')
      j++;
    const char *eq = memchr(q + i, '=', j - i);
    if (eq) {
      out_mem(o, q + i, (size_t)(eq - (q + i)) + 1);
      out_str(o, "***");
    } else if (j > i) {
      out_str(o, "***");
    }
    if (j < n)
      out_mem(o, "&", 1);
    i = j + 1;
  }
}

char *qf_log_redact_url(const char *url, char *buf, size_t len) {
  if (!buf || len == 0)
    return buf;
  outbuf o = {buf, len, 0};
  buf[0] = '\0';
  if (!url)
    return buf;
  const char *p = url;
  const char *scheme_end = strstr(url, "://");
  if (scheme_end) {
    out_mem(&o, url, (size_t)(scheme_end - url) + 3);
    p = scheme_end + 3;
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
      if (p[i] == '@')
        at = p + i; /* the last '@' ends the userinfo */
    if (at) {
      out_str(&o, "***@");
      out_mem(&o, at + 1, (size_t)(p + alen - at - 1));
    } else {
      out_mem(&o, p, alen);
    }
    p += alen;
  }
  size_t plen = strcspn(p, "?#");
  redact_path(&o, p, plen);
  p += plen;
  if (*p == '?') {
    size_t qlen = strcspn(p + 1, "#");
    out_mem(&o, "?", 1);
    redact_query(&o, p + 1, qlen);
    p += 1 + qlen;
  }
  if (*p == '#')
    out_str(&o, p[1] ? "#***" : "#");
  return buf;
}

static bool needs_quotes(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= ' ' || c == '"' || c == '=' || c == 0x7f)
      return true;
  }
  return false;
}

char *qf_log_quote(const char *s, char *buf, size_t len) {
  if (!buf || len == 0)
    return buf;
  outbuf o = {buf, len, 0};
  buf[0] = '\0';
  if (!s)
    return buf;
  if (!needs_quotes(s)) {
    out_str(&o, s);
    return buf;
  }
  if (len < 3)
    return buf;    /* no room for even "" */
  o.len = len - 1; /* keep room for the closing quote */
  out_mem(&o, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    size_t before = o.pos;
    if (c == '"' || c == '\\')
      snprintf(esc, sizeof esc, "\\%c", c);
    else if (c == '\n')
      snprintf(esc, sizeof esc, "\\n");
    else if (c == '\r')
      snprintf(esc, sizeof esc, "\\r");
    else if (c == '\t')
      snprintf(esc, sizeof esc, "\\t");
    else if (c < ' ' || c == 0x7f)
      snprintf(esc, sizeof esc, "\\x%02x", c);
    else
      esc[0] = (char)c, esc[1] = '\0';
    out_str(&o, esc);
    if (o.pos - before < strlen(esc)) { /* cut mid-escape: drop the partial one */
      o.pos = before;
      break;
    }
  }
  buf[o.pos++] = '"';
  buf[o.pos] = '\0';
  return buf;
}
