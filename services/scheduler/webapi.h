/* The dashboard's JSON endpoints (docs/dashboard.md), answered on the loop
 * thread from the scheduler's memory and LMDB:
 *   /api/posts                   posts not done (active and scheduled)
 *   /api/posts/<id>              one post's counts by state
 *   /api/posts/<id>/deliveries   one post's deliveries: group ids and states
 *   /api/limits                  the limiter's saturation history
 * Everything else under /api is 404. */
#ifndef SCHED_WEBAPI_H
#define SCHED_WEBAPI_H
#include "sampler.h"
#include "scheduler.h"

/* Answers GET path (borrowed; the query string, if any, cut off): the JSON body,
 * newly allocated (caller frees), and the HTTP status in *status. */
char *webapi_get(sched *s, const sampler *sm, const char *path, int *status);

#endif
