/* conns: sockets counted per host (host:port of the url), the peak of any one
 * host kept, and a socket closed by fd uncounted from the host that opened it. */
#include <criterion/criterion.h>
#include <sys/socket.h>

#include "conns.h"
#include "metrics.h"

static struct curl_sockaddr tcp(void) {
  struct curl_sockaddr a = {.family = AF_INET, .socktype = SOCK_STREAM};
  return a;
}

Test(conns, counts_per_host_and_keeps_the_peak) {
  qf_stats *s = qf_stats_new("test");
  metrics m;
  metrics_init(&m, s);
  conns *c = conns_new(&m);
  struct curl_sockaddr a = tcp();
  curl_socket_t w[3];
  for (int i = 0; i < 3; i++)
    w[i] = conns_open(c, "https://qyapi.example/cgi-bin/webhook/send?key=k", &a);
  curl_socket_t other = conns_open(c, "https://qyapi.example:8443/x", &a);
  cr_assert(w[0] >= 0 && w[1] >= 0 && w[2] >= 0 && other >= 0);
  cr_assert_eq(conns_host_open(c, "https://qyapi.example/other"), 3);
  cr_assert_eq(conns_host_open(c, "https://qyapi.example:443/"), 3, "default port");
  cr_assert_eq(conns_host_open(c, "https://qyapi.example:8443/"), 1);
  cr_assert_eq(qf_gauge_get(m.connections_open), 4);
  cr_assert_eq(qf_gauge_get(m.host_connections_peak), 3);

  cr_assert_eq(conns_close(c, w[1]), 0);
  cr_assert_eq(conns_close(c, other), 0);
  cr_assert_eq(conns_host_open(c, "https://qyapi.example/"), 2);
  cr_assert_eq(conns_host_open(c, "https://qyapi.example:8443/"), 0);
  cr_assert_eq(qf_gauge_get(m.connections_open), 2);
  cr_assert_eq(qf_gauge_get(m.host_connections_peak), 3, "the peak stays");

  /* The fd of a closed socket is reused by the next one, for another host. */
  curl_socket_t again = conns_open(c, "http://127.0.0.1:9/hook", &a);
  cr_assert_eq(conns_host_open(c, "http://127.0.0.1:9/"), 1);
  cr_assert_eq(conns_close(c, again), 0);
  cr_assert_eq(conns_close(c, w[0]), 0);
  cr_assert_eq(conns_close(c, w[2]), 0);
  cr_assert_eq(qf_gauge_get(m.connections_open), 0);
  conns_free(c);
  qf_stats_free(s);
}
