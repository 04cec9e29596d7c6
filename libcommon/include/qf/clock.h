/* Time. Wall time is int64 UTC epoch milliseconds (_ms); monotonic time comes from
 * here only and never goes backwards. Time zones exist only at the edges. */
#ifndef QF_CLOCK_H
#define QF_CLOCK_H
#include <stddef.h>
#include <stdint.h>

/* Wall clock, UTC epoch milliseconds. */
int64_t qf_clock_now_ms(void);
/* Monotonic milliseconds and microseconds since an arbitrary origin. */
int64_t qf_clock_mono_ms(void);
int64_t qf_clock_mono_us(void);

/* Parses RFC 3339 ("2026-11-23T20:00:00+08:00", "...Z", optional fraction) into
 * UTC ms. QF_EINVAL for anything else. */
int qf_time_parse_rfc3339(const char *s, int64_t *out_ms);
/* Formats ms as RFC 3339 UTC with milliseconds ("2026-11-23T12:00:00.000Z") into
 * buf (at least 32 bytes). Returns buf. */
char *qf_time_format_rfc3339(int64_t ms, char *buf, size_t len);

#endif
