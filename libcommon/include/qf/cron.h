/* Cron schedules: 5-field expressions evaluated on the wall clock of an IANA time
 * zone (the daily SOP post at 08:00 local, DST or not).
 *
 * Syntax: "minute hour day-of-month month day-of-week", fields separated by blanks.
 * Each field is a list "a,b,c" of items: "*" (all values), a value "a" or a range
 * "a-b", each optionally followed by "/n" to keep every n-th of those values; "a/n"
 * runs from a to the field's end. Ranges must not run backwards; n is 1 up to the
 * number of values of the field. Months take JAN-DEC and
 * weekdays SUN-SAT (any case) besides numbers; weekday 0 and 7 are both Sunday.
 * Macros: @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
 *
 * Days (the Vixie rule): when both day-of-month and day-of-week are restricted, a
 * day matches if EITHER matches ("0 8 1 * MON": the 1st and every Monday); when
 * one of them selects all its values it is ignored. "Restricted" means selecting
 * fewer than all values, so "*" with "/2" in day-of-month is restricted (Vixie's
 * code treats any field that begins with "*" as unrestricted; we go by meaning),
 * and "1-31" is not.
 * An expression that can never fire (day-of-month 30 or 31 only, February only,
 * any weekday) is refused at parse time.
 *
 * Time zones and DST (the rule, fixed): the schedule names local wall-clock
 * minutes. Each such local time L fires at the first instant the zone's clock
 * reaches L, and only then:
 * - a local time that exists once fires at that instant;
 * - one that does not exist (spring-forward gap, e.g. 02:30 on a day the clocks
 *   jump 02:00 -> 03:00) fires at the first instant after the gap (03:00 local),
 *   once; several gap times ("0,15,30,45 2 * * *") and a 03:00 entry all fire together
 *   as one occurrence;
 * - one that exists twice (fall-back overlap, e.g. 01:30 on a day the clocks go
 *   back 02:00 -> 01:00) fires once, at its first occurrence; the repeated hour is
 *   not fired again, so "0 * * * *" has one UTC hour without a post that day.
 * Occurrences are therefore strictly increasing and each local time fires at most
 * once per calendar day it matches. */
#ifndef QF_CRON_H
#define QF_CRON_H
#include <stddef.h>
#include <stdint.h>

#include "qf/tz.h"

typedef struct qf_cron qf_cron;

/* Parses expr. On success *out is a new schedule the caller frees with
 * qf_cron_free. On bad input returns QF_EINVAL with a sentence in why naming the
 * field and, for syntax errors, the character position (1-based in expr), e.g.
 * "cron: field 2 (hour): 25 is out of range 0-23". QF_ENOMEM when out of memory.
 * expr is borrowed. */
int qf_cron_parse(const char *expr, qf_cron **out, char *why, size_t len);

/* Frees a schedule; NULL is a no-op. */
void qf_cron_free(qf_cron *cron);

/* The first occurrence strictly after after_ms (UTC ms) on the wall clock of zone
 * tz ("Europe/Berlin"; NULL or "" mean UTC), in *next_ms (UTC ms, a whole minute of
 * local time or the end of a DST gap). Errors: the codes of qf_tz_load for the
 * zone (QF_ENOTFOUND: no such zone; call qf_tz_load for the sentence), QF_ENOTFOUND
 * if no occurrence exists within the next twelve years (cannot happen for a parsed
 * expression), QF_EINVAL if after_ms is outside the years 1 to 9999. Thread-safe. */
int qf_cron_next(const qf_cron *cron, const char *tz, int64_t after_ms,
                 int64_t *next_ms);

/* The same with a zone already loaded (borrowed). */
int qf_cron_next_in(const qf_cron *cron, const qf_tz *tz, int64_t after_ms,
                    int64_t *next_ms);

#endif
