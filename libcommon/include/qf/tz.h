/* Time zones: conversions between UTC and the local civil time of an IANA zone,
 * read from the system's tzdata (TZif files, RFC 8536, under $TZDIR or
 * /usr/share/zoneinfo), and the proleptic Gregorian calendar they rest on.
 *
 * Why our own reader and not TZ=... + tzset() + localtime_r/mktime: the TZ
 * environment variable is process-global (switching it races with every other
 * thread's time calls), tzset() re-reads the file on each switch, an unknown name
 * silently becomes UTC, and mktime's choice inside a DST gap or overlap depends on
 * tm_isdst guesses. A TZif file is small and fully specified: the table of
 * transitions plus, for instants past its end, the POSIX TZ rule in its footer.
 * Each zone is parsed once per process and kept, immutable, in a cache behind a
 * mutex, so lookups are thread-safe and cost a binary search.
 *
 * Local civil time is expressed as "local ms": milliseconds since 1970-01-01T00:00
 * on the zone's wall clock, as if that clock were UTC. Offsets are whole seconds,
 * east of UTC positive. An updated tzdata package is seen after a restart. */
#ifndef QF_TZ_H
#define QF_TZ_H
#include <stddef.h>
#include <stdint.h>

typedef struct qf_tz qf_tz;

/* Finds the zone named name ("Europe/Berlin", "UTC", "Etc/GMT-8"), loading its
 * TZif file the first time. *out is borrowed and valid until the process exits.
 * Errors, with a sentence in why: QF_EINVAL for an empty or unsafe name (absolute,
 * "..", odd characters), QF_ENOTFOUND when tzdata has no such zone, QF_EPROTO for a
 * file that is not valid TZif (or uses leap seconds), QF_ENOMEM. Thread-safe. */
int qf_tz_load(const char *name, const qf_tz **out, char *why, size_t len);

/* The built-in UTC zone (needs no tzdata). */
const qf_tz *qf_tz_utc(void);

/* The zone's name as given to qf_tz_load ("UTC" for the built-in one). */
const char *qf_tz_name(const qf_tz *tz);

/* The UTC offset in seconds at utc_s. If next_s is not NULL, it receives an
 * instant > utc_s before which the offset stays the same (INT64_MAX if it never
 * changes again); the offset may also be unchanged at that instant. */
int32_t qf_tz_offset(const qf_tz *tz, int64_t utc_s, int64_t *next_s);

/* The local civil time shown at utc_ms. */
int64_t qf_tz_to_local(const qf_tz *tz, int64_t utc_ms);

/* The latest local time the clock has shown at or before utc_ms: qf_tz_to_local
 * except within an overlap after a fall-back, where it is the local time reached
 * just before the clocks went back (e.g. 01:59:59.999 during New York's second
 * 01:00-02:00). A local time L has been reached by utc_ms iff L <= this. */
int64_t qf_tz_local_reached(const qf_tz *tz, int64_t utc_ms);

/* The first instant at which the zone's clock reaches local_ms, in *utc_ms:
 * - a local time that exists once: that instant; returns 1;
 * - one that exists twice (fall-back overlap): the earlier instant; returns 2;
 * - one that does not exist (spring-forward gap): the first instant after the gap,
 *   i.e. the transition (02:30 on a 02:00->03:00 day gives 03:00 local); returns 0.
 * The result never decreases as local_ms grows. */
int qf_tz_from_local(const qf_tz *tz, int64_t local_ms, int64_t *utc_ms);

/* Proleptic Gregorian calendar: days since 1970-01-01 of y-m-d (m 1..12, d 1..31,
 * not checked), and back. Weekday of a day number: (days % 7 + 11) % 7, 0 = Sunday. */
int64_t qf_tz_days_from_civil(int64_t y, int m, int d);
void qf_tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
