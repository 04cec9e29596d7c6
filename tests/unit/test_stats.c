#include "qf/err.h"
#include "qf/stats.h"
#include "sp_ipc_raw.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *render(qf_stats *s) {
  char *text = qf_stats_render_json(s);
  cr_assert_not_null(text);
  json_error_t jerr;
  json_t *doc = json_loads(text, 0, &jerr);
  cr_assert_not_null(doc, "not JSON: %s (%s)", text, jerr.text);
  free(text);
  return doc;
}

static json_int_t member(json_t *doc, const char *obj, const char *name) {
  json_t *v = json_object_get(json_object_get(doc, obj), name);
  cr_assert(json_is_integer(v), "%s.%s missing", obj, name);
  return json_integer_value(v);
}

Test(stats, document_holds_process_version_and_uptime) {
  qf_stats *s = qf_stats_new("scheduler");
  json_t *doc = render(s);
  cr_assert_str_eq(json_string_value(json_object_get(doc, "process")), "scheduler");
  cr_assert_str_eq(json_string_value(json_object_get(doc, "version")), QF_VERSION);
  json_t *up = json_object_get(doc, "uptime_ms");
  cr_assert(json_is_integer(up) && json_integer_value(up) >= 0);
  cr_assert(json_is_object(json_object_get(doc, "counters")));
  cr_assert(json_is_object(json_object_get(doc, "gauges")));
  json_decref(doc);
  qf_stats_free(s);
}

Test(stats, counters_and_gauges_render_their_values) {
  qf_stats *s = qf_stats_new("dispatcher");
  qf_counter *sent = qf_stats_counter(s, "deliveries_sent");
  qf_counter *failed = qf_stats_counter(s, "deliveries_failed");
  qf_gauge *leases = qf_stats_gauge(s, "leases_held");
  qf_gauge *skew = qf_stats_gauge(s, "clock_skew_ms");
  qf_counter_add(sent, 40);
  qf_counter_add(sent, 2);
  qf_gauge_set(leases, 10);
  qf_gauge_add(leases, -3);
  qf_gauge_set(skew, -250);
  cr_assert_eq(qf_counter_get(sent), 42);
  cr_assert_eq(qf_gauge_get(leases), 7);
  json_t *doc = render(s);
  cr_assert_eq(member(doc, "counters", "deliveries_sent"), 42);
  cr_assert_eq(member(doc, "counters", "deliveries_failed"), 0);
  cr_assert_eq(member(doc, "gauges", "leases_held"), 7);
  cr_assert_eq(member(doc, "gauges", "clock_skew_ms"), -250);
  json_decref(doc);
  (void)failed;
  qf_stats_free(s);
}

Test(stats, registering_a_name_twice_returns_the_same_handle) {
  qf_stats *s = qf_stats_new("x");
  cr_assert_eq(qf_stats_counter(s, "a"), qf_stats_counter(s, "a"));
  cr_assert_eq(qf_stats_gauge(s, "a"), qf_stats_gauge(s, "a"));
  for (int i = 0; i < 100; i++) { /* grows the registry: handles must stay put */
    char name[16];
    snprintf(name, sizeof name, "c%d", i);
    qf_counter_add(qf_stats_counter(s, name), (uint64_t)i);
  }
  qf_counter *c50 = qf_stats_counter(s, "c50");
  cr_assert_eq(qf_counter_get(c50), 50);
  json_t *doc = render(s);
  cr_assert_eq(json_object_size(json_object_get(doc, "counters")), 101);
  json_decref(doc);
  qf_stats_free(s);
}

static void *add_many(void *arg) {
  for (int i = 0; i < 100000; i++) {
    qf_counter_add(((void **)arg)[0], 1);
    qf_gauge_add(((void **)arg)[1], 1);
  }
  return NULL;
}

Test(stats, updates_from_many_threads_are_not_lost) {
  qf_stats *s = qf_stats_new("x");
  void *handles[2] = {qf_stats_counter(s, "n"), qf_stats_gauge(s, "g")};
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, add_many, handles);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  cr_assert_eq(qf_counter_get(handles[0]), 400000);
  cr_assert_eq(qf_gauge_get(handles[1]), 400000);
  qf_stats_free(s);
}

Test(stats, free_of_null_is_a_no_op) {
  qf_stats_free(NULL);
}

/* A temporary ipc:// address, unique to this test process. */
static void ipc_url(char *url, size_t len, char *dir, size_t dlen) {
  snprintf(dir, dlen, "/tmp/qf-stats-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(url, len, "ipc://%s/stats.ipc", dir);
}

static nng_socket dial(const char *url) {
  nng_socket req;
  cr_assert_eq(nng_req0_open(&req), 0);
  cr_assert_eq(nng_socket_set_size(req, NNG_OPT_RECVMAXSZ, 1 << 20), 0);
  cr_assert_eq(nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 5000), 0);
  cr_assert_eq(nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 5000), 0);
  cr_assert_eq(nng_dial(req, url, NULL, 0), 0);
  return req;
}

static json_t *ask(nng_socket req, const void *body, size_t len) {
  nng_msg *m;
  cr_assert_eq(nng_msg_alloc(&m, 0), 0);
  cr_assert_eq(nng_msg_append(m, body, len), 0);
  int rv = nng_sendmsg(req, m, 0);
  if (rv != 0)
    nng_msg_free(m);
  cr_assert_eq(rv, 0, "%s", nng_strerror(rv));
  rv = nng_recvmsg(req, &m, 0);
  if (rv != 0)
    return NULL;
  json_t *doc = json_loadb(nng_msg_body(m), nng_msg_len(m), 0, NULL);
  nng_msg_free(m);
  cr_assert_not_null(doc);
  return doc;
}

Test(stats, serves_the_document_to_a_req_client) {
  char url[128], dir[64];
  ipc_url(url, sizeof url, dir, sizeof dir);
  qf_stats *s = qf_stats_new("store");
  qf_counter_add(qf_stats_counter(s, "items_put"), 5);
  qf_gauge_set(qf_stats_gauge(s, "items"), 3);
  cr_assert_eq(qf_stats_serve(s, url), 0);
  nng_socket req = dial(url);
  for (int i = 0; i < 20; i++) {
    json_t *doc = ask(req, "stats", 5);
    cr_assert_not_null(doc, "no reply");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "process")), "store");
    cr_assert_eq(member(doc, "counters", "items_put"), 5 + i);
    cr_assert_eq(member(doc, "gauges", "items"), 3);
    json_decref(doc);
    qf_counter_add(qf_stats_counter(s, "items_put"), 1);
  }
  nng_close(req);
  qf_stats_free(s);
  unlink(url + strlen("ipc://"));
  rmdir(dir);
}

Test(stats, drops_an_oversized_request_and_keeps_serving) {
  char url[128], dir[64];
  ipc_url(url, sizeof url, dir, sizeof dir);
  qf_stats *s = qf_stats_new("store");
  cr_assert_eq(qf_stats_serve(s, url), 0);
  cr_assert(sp_ipc_announce_is_dropped(url, SP_PROTO_REQ0, 1 << 20),
            "a peer announcing 1 MiB was not dropped");
  nng_socket req = dial(url);
  json_t *doc = ask(req, "x", 1);
  cr_assert_not_null(doc, "no reply after the oversized peer");
  json_decref(doc);
  nng_close(req);
  qf_stats_free(s);
  unlink(url + strlen("ipc://"));
  rmdir(dir);
}

/* NNG 1.5.2 checks whether an ipc address is in use by connecting to it and
 * closing, which stops the listener that has it (nanomsg/nng#1518): the
 * server's guard must listen again (qf/ipc_guard.h), within ~3 s. */
Test(stats, answers_again_after_another_server_tried_its_address) {
  char url[128], dir[64];
  ipc_url(url, sizeof url, dir, sizeof dir);
  qf_stats *a = qf_stats_new("a"), *b = qf_stats_new("b");
  cr_assert_eq(qf_stats_serve(a, url), 0);
  for (int round = 0; round < 2; round++) {
    cr_assert_eq(qf_stats_serve(b, url), QF_EADDR, "address in use");
    nng_socket req = dial(url);
    json_t *doc = ask(req, "x", 1);
    cr_assert_not_null(doc, "no answer after another server tried the address");
    json_decref(doc);
    nng_close(req);
  }
  qf_stats_free(a);
  qf_stats_free(b);
  unlink(url + strlen("ipc://"));
  rmdir(dir);
}

Test(stats, a_busy_or_bad_address_is_qf_eaddr) {
  char url[128], dir[64];
  ipc_url(url, sizeof url, dir, sizeof dir);
  qf_stats *a = qf_stats_new("a"), *b = qf_stats_new("b");
  cr_assert_eq(qf_stats_serve(a, url), 0);
  cr_assert_eq(qf_stats_serve(a, url), QF_EBUSY);
  cr_assert_eq(qf_stats_serve(b, url), QF_EADDR, "address in use");
  cr_assert_eq(qf_stats_serve(b, "nope://x"), QF_EADDR);
  cr_assert_eq(qf_stats_serve(b, ""), QF_EADDR);
  qf_stats_free(a);
  qf_stats_free(b);
  unlink(url + strlen("ipc://"));
  rmdir(dir);
}
