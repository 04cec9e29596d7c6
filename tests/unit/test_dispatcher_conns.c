/* conns: sockets counted per host (host:port of the url), the peak of any one
 * host kept, and a socket closed by fd uncounted from the host that opened it;
 * sends admitted per host within a budget that ramps by steps while they wait. */
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
  conns *c = conns_new(&m, 32, 256);
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

#define HOOK "https://qyapi.example/cgi-bin/webhook/send?key="
#define FAR 1000000 /* a deadline never reached here */

typedef struct fixture {
  qf_stats *s;
  metrics m;
  conns *c;
} fixture;

static void fixture_open(fixture *f, unsigned step, unsigned max) {
  f->s = qf_stats_new("test");
  metrics_init(&f->m, f->s);
  f->c = conns_new(&f->m, step, max);
}

static void fixture_close(fixture *f) {
  cr_assert_eq(conns_waiting(f->c), 0, "nothing left waiting");
  conns_free(f->c);
  qf_stats_free(f->s);
}

/* Admits n tickets to url; returns how many were admitted at once. */
static unsigned admit_n(conns *c, const char *url, conns_ticket *t, unsigned n) {
  unsigned now = 0;
  for (unsigned i = 0; i < n; i++) {
    t[i].deadline_ms = FAR;
    now += (unsigned)conns_admit(c, url, &t[i]);
  }
  return now;
}

/* Ends tickets t[0..n) in order (each successor admitted is among them). */
static void done_all(conns *c, conns_ticket *t, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    conns_done(c, &t[i]);
}

static unsigned list_len(const conns_ticket *t) {
  unsigned n = 0;
  for (; t; t = t->next)
    n++;
  return n;
}

Test(conns, admits_a_step_then_ramps_by_steps_up_to_the_max) {
  fixture f;
  fixture_open(&f, 4, 10);
  conns_ticket t[16] = {0};
  cr_assert_eq(admit_n(f.c, HOOK "a", t, 16), 4, "one step at once");
  cr_assert_eq(conns_waiting(f.c), 12);
  cr_assert_eq(qf_gauge_get(f.m.host_waiting), 12);

  conns_batch b = conns_tick(f.c, 0);
  cr_assert_eq(list_len(b.start), 4, "a step more per tick");
  cr_assert_eq(b.start, &t[4], "in the order they came");
  cr_assert_null(b.expired);
  cr_assert_eq(conns_host_budget(f.c, HOOK "x"), 8);
  b = conns_tick(f.c, 0);
  cr_assert_eq(list_len(b.start), 2, "the max is 10");
  cr_assert_eq(conns_host_budget(f.c, HOOK "x"), 10);
  cr_assert_null(conns_tick(f.c, 0).start, "never past the max");
  cr_assert_eq(qf_gauge_get(f.m.host_waiting), 6);

  /* A send that ends admits the next waiting one, in order. */
  cr_assert_eq(conns_done(f.c, &t[0]), &t[10]);
  cr_assert_null(t[10].next);
  for (int i = 1; i < 6; i++)
    cr_assert_eq(conns_done(f.c, &t[i]), &t[10 + i]);
  cr_assert_eq(conns_waiting(f.c), 0);
  for (int i = 6; i < 16; i++)
    cr_assert_null(conns_done(f.c, &t[i]));
  cr_assert_eq(conns_host_budget(f.c, HOOK "x"), 0,
               "a host holding nothing is forgotten");
  fixture_close(&f);
}

Test(conns, a_budget_grows_only_while_used_and_sends_wait) {
  fixture f;
  fixture_open(&f, 4, 100);
  conns_ticket t[6] = {0};
  cr_assert_eq(admit_n(f.c, HOOK "a", t, 3), 3);
  cr_assert_null(conns_tick(f.c, 0).start);
  cr_assert_eq(conns_host_budget(f.c, HOOK "a"), 4, "not all used: no step");
  cr_assert_eq(admit_n(f.c, HOOK "a", t + 3, 3), 1);
  cr_assert_eq(list_len(conns_tick(f.c, 0).start), 2);
  cr_assert_eq(conns_host_budget(f.c, HOOK "a"), 8);
  cr_assert_null(conns_tick(f.c, 0).start);
  cr_assert_eq(conns_host_budget(f.c, HOOK "a"), 8, "nothing waits: no step");
  done_all(f.c, t, 6);
  fixture_close(&f);
}

Test(conns, hosts_have_their_own_budgets) {
  fixture f;
  fixture_open(&f, 2, 8);
  conns_ticket a[3] = {0}, b[3] = {0};
  cr_assert_eq(admit_n(f.c, HOOK "a", a, 3), 2);
  cr_assert_eq(admit_n(f.c, "http://127.0.0.1:9/hook", b, 3), 2);
  cr_assert_eq(conns_done(f.c, &b[0]), &b[2]);
  cr_assert_eq(conns_waiting(f.c), 1, "a's third still waits");
  cr_assert_null(conns_done(f.c, &a[2]), "a waiting send withdrawn");
  done_all(f.c, a, 2);
  done_all(f.c, b + 1, 2);
  fixture_close(&f);
}

Test(conns, a_send_waiting_past_its_deadline_expires) {
  fixture f;
  fixture_open(&f, 1, 1);
  conns_ticket t[3] = {0};
  cr_assert_eq(admit_n(f.c, HOOK "a", t, 3), 1);
  t[1].deadline_ms = 100; /* set after admission: only the tick reads it */
  conns_batch b = conns_tick(f.c, 100);
  cr_assert_null(b.start);
  cr_assert_eq(b.expired, &t[1]);
  cr_assert_null(b.expired->next);
  cr_assert_null(conns_done(f.c, &t[1]), "an expired send holds nothing");
  cr_assert_eq(conns_done(f.c, &t[0]), &t[2]);
  cr_assert_null(conns_done(f.c, &t[2]));
  fixture_close(&f);
}

/* After a pause, a host keeps a budget of the connections it still holds (they
 * need no connect), but no more than a step opens at once. */
Test(conns, a_host_resumes_at_the_connections_it_holds_or_one_step) {
  fixture f;
  fixture_open(&f, 2, 8);
  conns_ticket t[8] = {0};
  struct curl_sockaddr a = tcp();
  cr_assert_eq(admit_n(f.c, HOOK "a", t, 8), 2);
  for (int i = 0; i < 3; i++)
    conns_tick(f.c, 0);
  cr_assert_eq(conns_host_budget(f.c, HOOK "a"), 8);
  curl_socket_t fd[5];
  for (int i = 0; i < 5; i++)
    fd[i] = conns_open(f.c, HOOK "a", &a);
  done_all(f.c, t, 8);
  cr_assert_eq(conns_host_budget(f.c, HOOK "a"), 8, "kept while sockets are open");
  cr_assert_eq(admit_n(f.c, HOOK "a", t, 8), 5, "the 5 kept connections");
  done_all(f.c, t, 8);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(conns_close(f.c, fd[i]), 0);
  cr_assert_eq(admit_n(f.c, HOOK "a", t, 8), 2, "1 kept connection: one step");
  done_all(f.c, t, 8);
  cr_assert_eq(conns_close(f.c, fd[4]), 0);
  cr_assert_eq(conns_host_budget(f.c, HOOK "a"), 0,
               "no socket, nothing held: forgotten");
  fixture_close(&f);
}
