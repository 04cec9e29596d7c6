/* Logging: one line per event to stderr, key=value:
 *   ts=2026-11-23T12:00:00.000Z level=info proc=scheduler event=ready listen=ipc://x
 * Log once, at the failure site, naming the failed call and its foreign code.
 * Secrets never reach a log: pass URLs through qf_log_redact_url first. */
#ifndef QF_LOG_H
#define QF_LOG_H
#include <stddef.h>

typedef enum qf_log_level {
  QF_LOG_DEBUG,
  QF_LOG_INFO,
  QF_LOG_WARN,
  QF_LOG_ERROR
} qf_log_level;

/* Sets the process name printed as proc=; call once at start-up. */
void qf_log_init(const char *proc);
void qf_log_set_level(qf_log_level level);
/* "debug", "info", "warn", "error" -> level; QF_EINVAL otherwise. */
int qf_log_level_parse(const char *s, qf_log_level *out);

/* Writes one line: the prefix, event=EVENT, then fmt's output (key=value pairs).
 * The line is written with a single write(2) so lines of threads never mix. */
void qf_log(qf_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define qf_log_debug(ev, ...) qf_log(QF_LOG_DEBUG, ev, __VA_ARGS__)
#define qf_log_info(ev, ...) qf_log(QF_LOG_INFO, ev, __VA_ARGS__)
#define qf_log_warn(ev, ...) qf_log(QF_LOG_WARN, ev, __VA_ARGS__)
#define qf_log_error(ev, ...) qf_log(QF_LOG_ERROR, ev, __VA_ARGS__)

/* Copies url into buf with secrets removed: userinfo, every query value and any
 * path segment that looks like a token (long, high-entropy) become "***".
 * "https://x/cgi-bin/webhook/send?key=abc" -> "https://x/cgi-bin/webhook/send?key=***".
 * Always NUL-terminates; returns buf. */
char *qf_log_redact_url(const char *url, char *buf, size_t len);

/* Copies s into buf as a log value: unchanged if it has no space, quote, '=' or
 * control character, else in double quotes with \" \\ \n escapes. Returns buf. */
char *qf_log_quote(const char *s, char *buf, size_t len);

#endif
