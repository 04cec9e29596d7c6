/* The HTTP connections a dispatcher holds, counted per host ("host:port" of the
 * url whose transfer opened them) from curl's open- and close-socket callbacks,
 * so the per-host cap (--host-connections) can be seen from outside: the gauges
 * connections_open (all hosts, now) and host_connections_peak (the most open at
 * once to any one host since start). A socket is counted from its creation, so
 * a connect still in progress counts, as it does against curl's cap. Loop
 * thread only. */
#ifndef DISPATCHER_CONNS_H
#define DISPATCHER_CONNS_H
#include <curl/curl.h>

#include "metrics.h"

typedef struct conns conns;

conns *conns_new(const metrics *m);
/* Frees c; sockets still counted are forgotten (not closed). NULL is a no-op. */
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

#endif
