/* Operator guards as pure time arithmetic: quiet hours in a group's local time
 * and the local day a daily cap counts in. No state, no I/O.
 *
 * Quiet hours [start, end) are local wall-clock minutes; a window with end <
 * start wraps past midnight ("23:00-07:00"). A delivery due inside the window
 * waits until the first instant the group's clock shows the end time (in a DST
 * gap: the first instant after it, qf_tz_from_local's rule). In a fall-back
 * overlap the window is judged by the clock shown: if the end time was already
 * reached in the first pass, the window is over. */
#ifndef SCHED_GUARDS_H
#define SCHED_GUARDS_H
#include <stdint.h>

#include "qf/group.h"
#include "qf/tz.h"

#define GUARDS_DAY_MS 86400000

/* The UTC ms at which the quiet window q holding utc_ms ends, or 0 when utc_ms
 * is not inside the window. tz is borrowed (NULL = UTC). The result is > utc_ms. */
int64_t guards_quiet_until(const qf_tz *tz, qf_quiet q, int64_t utc_ms);

/* The local day (days since 1970-01-01 on the zone's calendar) of utc_ms. */
int64_t guards_local_day(const qf_tz *tz, int64_t utc_ms);

#endif
