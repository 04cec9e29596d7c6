/* The HTTP connections a dispatcher holds per host ("host:port" of a url), and
 * the admission of sends to each host.
 *
 * Counting: sockets are counted from curl's open- and close-socket callbacks
 * under the host of the url whose transfer opened them, for the gauges
 * connections_open (all hosts, now) and host_connections_peak (the most open at
 * once to any one host since start). A socket counts from its creation, so a
 * connect still in progress counts.
 *
 * Admission (the ramp): each host has a budget of sends in flight at once. It
 * starts at one step; a send past it waits in the host's FIFO; a finished send
 * admits the next waiting one (which reuses the freed connection). Every tick
 * (the caller's timer), a host whose budget is all used while sends wait gets
 * one step more, up to the max, and as many waiting sends are admitted: a host
 * sees at most a step of new connections at once, so a listener's accept queue
 * drains between steps. A host with nothing in flight and no socket open is
 * forgotten, so its next burst starts again at one step. Loop thread only. */
#ifndef DISPATCHER_CONNS_H
#define DISPATCHER_CONNS_H
#include <curl/curl.h>
#include <stdint.h>

#include "metrics.h"

typedef struct conns conns;
typedef struct conns_host conns_host;

/* A send's place at its host, kept in the sender's own record. conns owns the
 * fields between conns_admit and conns_done; next also links the lists that
 * conns_done and conns_tick hand out. */
typedef struct conns_ticket {
  int64_t deadline_ms; /* monotonic; set by the caller before conns_admit */
  conns_host *host;    /* NULL when it holds nothing at a host */
  struct conns_ticket *next;
  int state; /* conns.c's */
} conns_ticket;

/* What one tick hands back: tickets admitted (now in flight; start them) and
 * tickets that waited past their deadline (no longer anywhere; end them). */
typedef struct conns_batch {
  conns_ticket *start, *expired;
} conns_batch;

/* Budgets start at step and grow by step up to max (both at least 1; step is
 * clamped to max). */
conns *conns_new(const metrics *m, unsigned step, unsigned max);
/* Frees c; sockets still counted are forgotten (not closed), tickets still held
 * are dropped. NULL is a no-op. */
void conns_free(conns *c);

/* Creates the socket curl asks for (an CURLOPT_OPENSOCKETFUNCTION's work) for a
 * transfer to url (borrowed) and counts it under url's host. The socket, or
 * CURL_SOCKET_BAD (errno set) when socket(2) fails. */
curl_socket_t conns_open(conns *c, const char *url, const struct curl_sockaddr *a);

/* Closes fd (a CURLOPT_CLOSESOCKETFUNCTION's work) and uncounts it. 0, or 1 when
 * close(2) failed. */
int conns_close(conns *c, curl_socket_t fd);

/* Sockets open to the host of url now (0 for a host never seen). */
unsigned conns_host_open(const conns *c, const char *url);

/* Asks for a send to url (borrowed) with ticket t (borrowed until conns_done).
 * 1: admitted, in flight at its host now; 0: waiting in the host's FIFO (counted
 * in the gauge host_waiting) until conns_done or conns_tick hands it out. */
int conns_admit(conns *c, const char *url, conns_ticket *t);

/* t no longer needs its host (finished, or never started): gives back what it
 * held. Returns the host's next waiting ticket, now admitted (next NULL), or
 * NULL. */
conns_ticket *conns_done(conns *c, conns_ticket *t);

/* One ramp step at now_ms: expires waiting tickets past their deadline, raises
 * the budget of each host whose budget is used while tickets wait, and admits
 * waiting tickets up to the budgets. */
conns_batch conns_tick(conns *c, int64_t now_ms);

/* Tickets waiting at all hosts. */
unsigned conns_waiting(const conns *c);

/* The budget of url's host now (0 for a host not held). */
unsigned conns_host_budget(const conns *c, const char *url);

#endif
