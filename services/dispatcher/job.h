/* Jobs: the leases this dispatcher holds, from arrival to result. A job waits
 * for its content, is sent through its group's dialect, and ends as exactly one
 * result handed to the reporter. A lease whose deadline is passed or within
 * JOB_DEADLINE_MARGIN_MS is never started: it is released at once, as is every
 * lease not yet sent once draining begins. The leases of one Lease reply live in
 * one allocation together with the reply, freed when the last of them ends.
 * A lease of a post that a Lease reply listed as cancelled is not started (nor
 * sent once its content arrives): it is released with "post cancelled". */
#ifndef DISPATCHER_JOB_H
#define DISPATCHER_JOB_H
#include <stdbool.h>

#include "content.h"
#include "metrics.h"
#include "reporter.h"
#include "scheduler.pb-c.h"
#include "transport.h"

#define JOB_DEADLINE_MARGIN_MS 500
#define JOB_SEND_TIMEOUT_MS 10000

typedef struct jobs jobs;

typedef struct jobs_opts {
  unsigned concurrency; /* jobs held at most */
  content *content;     /* borrowed, like transports and reporter */
  const transports *transports;
  reporter *reporter;
  void (*on_free)(void *arg); /* a job ended: credit is free */
  void *arg;
} jobs_opts;

int jobs_new(jobs **out, const jobs_opts *opts, const metrics *m);
/* Takes the leases of reply (handed over) and starts them. */
void jobs_take(jobs *j, Qunfa__LeaseReply *reply);
/* Leases that may be taken now: concurrency minus jobs held. */
unsigned jobs_credit(const jobs *j);
/* Jobs held: waiting for content or being sent. */
unsigned jobs_active(const jobs *j);
/* Releases every job not yet sent, and every lease taken from now on. */
void jobs_drain(jobs *j);
/* NULL is a no-op; every job must have ended. */
void jobs_free(jobs *j);

#endif
