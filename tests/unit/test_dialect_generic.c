#include "qf/dialect.h"
#include "qf/err.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

/* 2026-11-23T12:00:00Z */
#define NOW_MS INT64_C(1795435200000)

static qf_dialect_result judge(long status, const char *retry_after) {
  qf_dialect_answer ans = {.xfer = QF_XFER_OK,
                           .status = status,
                           .retry_after = retry_after,
                           .now_ms = NOW_MS};
  qf_dialect_result res;
  memset(&res, 0x55, sizeof res);
  qf_dialect_generic.classify(&ans, &res);
  return res;
}

static qf_dialect_result judge_xfer(qf_xfer x) {
  qf_dialect_answer ans = {.xfer = x, .now_ms = NOW_MS};
  qf_dialect_result res;
  qf_dialect_generic.classify(&ans, &res);
  return res;
}

static int has_header(const qf_dialect_request *r, const char *line) {
  for (size_t i = 0; i < r->nheaders; i++) {
    if (strcmp(r->headers[i], line) == 0)
      return 1;
  }
  return 0;
}

Test(dialect_generic, is_found_by_name) {
  cr_assert_eq(qf_dialect_find("generic"), &qf_dialect_generic);
  cr_assert_null(qf_dialect_find("nope"));
  cr_assert_null(qf_dialect_find(NULL));
}

Test(dialect_generic, renders_body_and_headers) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = UINT64_C(18446744073709551615),
                      .group_id = "g1",
                      .url = "http://127.0.0.1:9000/hook/g1",
                      .kind = "post",
                      .text = "hello"};
  cr_assert_eq(qf_dialect_generic.render(&m, &r), 0);
  cr_assert_str_eq(r.url, m.url);
  cr_assert_str_eq(r.body, "{\"group\":\"g1\",\"post\":\"18446744073709551615\","
                           "\"kind\":\"post\",\"text\":\"hello\"}");
  cr_assert_eq(r.body_len, strlen(r.body));
  cr_assert_eq(r.nheaders, 2);
  cr_assert(has_header(&r, "Content-Type: application/json"));
  cr_assert(has_header(&r, "Idempotency-Key: 18446744073709551615:g1"));
  qf_dialect_request_free(&r);
}

Test(dialect_generic, escapes_text_as_json) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  const char *text = "say \"hi\"\\\n\t\x01 群发 </script>";
  qf_dialect_msg m = {.post_id = 7, .group_id = "g-2", .url = "u", .text = text};
  cr_assert_eq(qf_dialect_generic.render(&m, &r), 0);
  json_error_t err;
  json_t *j = json_loads(r.body, 0, &err);
  cr_assert_not_null(j, "body is not JSON: %s", err.text);
  cr_assert_str_eq(json_string_value(json_object_get(j, "text")), text);
  cr_assert_str_eq(json_string_value(json_object_get(j, "post")), "7");
  cr_assert_str_eq(json_string_value(json_object_get(j, "kind")), "post");
  cr_assert_str_eq(json_string_value(json_object_get(j, "group")), "g-2");
  json_decref(j);
  qf_dialect_request_free(&r);
}

Test(dialect_generic, reuses_the_body_buffer_and_grows_it) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  static char big[100000];
  memset(big, 'x', sizeof big - 1);
  qf_dialect_msg m = {.post_id = 1, .group_id = "g", .url = "u", .text = "short"};
  cr_assert_eq(qf_dialect_generic.render(&m, &r), 0);
  m.text = big;
  cr_assert_eq(qf_dialect_generic.render(&m, &r), 0);
  cr_assert_eq(r.body_len, strlen(r.body));
  cr_assert_gt(r.body_len, sizeof big);
  m.text = "again";
  cr_assert_eq(qf_dialect_generic.render(&m, &r), 0);
  cr_assert_str_eq(r.body, "{\"group\":\"g\",\"post\":\"1\",\"kind\":\"post\","
                           "\"text\":\"again\"}");
  cr_assert_eq(r.nheaders, 2, "headers must not pile up across renders");
  qf_dialect_request_free(&r);
}

Test(dialect_generic, refuses_text_that_is_not_utf8) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = 1, .group_id = "g", .url = "u", .text = "bad \xff"};
  cr_assert_eq(qf_dialect_generic.render(&m, &r), QF_EINVAL);
  qf_dialect_request_free(&r);
}

Test(dialect_generic, any_2xx_is_delivered) {
  long ok[] = {200, 201, 202, 204};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    qf_dialect_result res = judge(ok[i], NULL);
    cr_assert_eq(res.outcome, QF_OUTCOME_DELIVERED, "status %ld", ok[i]);
    cr_assert_str_eq(res.error, "");
    cr_assert_eq(res.retry_after_ms, 0);
    cr_assert_str_eq(res.platform_msg_id, "");
  }
}

Test(dialect_generic, status_429_honours_retry_after_seconds) {
  qf_dialect_result res = judge(429, "7");
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(res.retry_after_ms, 7000);
  cr_assert_str_eq(res.error, "http 429");
  cr_assert_eq(judge(429, " 12 ").retry_after_ms, 12000);
  cr_assert_eq(judge(429, NULL).retry_after_ms, 0);
  cr_assert_eq(judge(429, "0").retry_after_ms, 0);
}

Test(dialect_generic, retry_after_is_clamped_and_garbage_ignored) {
  cr_assert_eq(judge(429, "-5").retry_after_ms, 0);
  cr_assert_eq(judge(429, "-99999999999999999999").retry_after_ms, 0);
  cr_assert_eq(judge(429, "86400").retry_after_ms, QF_DIALECT_RETRY_MAX_MS);
  cr_assert_eq(judge(429, "99999999999999999999999").retry_after_ms,
               QF_DIALECT_RETRY_MAX_MS);
  cr_assert_eq(judge(429, "soon").retry_after_ms, 0);
  cr_assert_eq(judge(429, "1.5").retry_after_ms, 0);
  cr_assert_eq(judge(429, "").retry_after_ms, 0);
  cr_assert_eq(judge(429, "7s").retry_after_ms, 0);
  cr_assert_eq(judge(429, "Mon, 32 Nov 2026 12:00:00 GMT").retry_after_ms, 0);
  cr_assert_eq(judge(429, "Mon, 23 Nov 2026 12:00:30 PST").retry_after_ms, 0);
  cr_assert_eq(judge(429, "bad").outcome, QF_OUTCOME_RETRY);
}

Test(dialect_generic, retry_after_http_date_forms) {
  cr_assert_eq(judge(429, "Mon, 23 Nov 2026 12:00:30 GMT").retry_after_ms, 30000);
  cr_assert_eq(judge(429, "Monday, 23-Nov-26 12:01:00 GMT").retry_after_ms, 60000);
  cr_assert_eq(judge(429, "Mon Nov 23 12:00:05 2026").retry_after_ms, 5000);
  /* In the past: now. Far future: an hour. */
  cr_assert_eq(judge(429, "Sun, 06 Nov 1994 08:49:37 GMT").retry_after_ms, 0);
  cr_assert_eq(judge(429, "Fri, 01 Jan 2100 00:00:00 GMT").retry_after_ms,
               QF_DIALECT_RETRY_MAX_MS);
}

Test(dialect_generic, server_errors_retry_with_backoff) {
  qf_dialect_result res = judge(500, NULL);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(res.retry_after_ms, 0);
  cr_assert_str_eq(res.error, "http 500");
  res = judge(503, NULL);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert_str_eq(res.error, "http 503");
  cr_assert_eq(judge(503, "3").retry_after_ms, 3000);
  cr_assert_eq(judge(500, "3").retry_after_ms, 0);
  cr_assert_eq(judge(502, NULL).outcome, QF_OUTCOME_RETRY);
}

Test(dialect_generic, other_statuses_fail_with_the_status) {
  qf_dialect_result res = judge(404, "5");
  cr_assert_eq(res.outcome, QF_OUTCOME_FAILED);
  cr_assert_str_eq(res.error, "http 404");
  cr_assert_eq(res.retry_after_ms, 0);
  cr_assert_str_eq(judge(400, NULL).error, "http 400");
  cr_assert_eq(judge(400, NULL).outcome, QF_OUTCOME_FAILED);
  cr_assert_eq(judge(401, NULL).outcome, QF_OUTCOME_FAILED);
  cr_assert_eq(judge(301, NULL).outcome, QF_OUTCOME_FAILED);
}

Test(dialect_generic, transport_errors_retry_but_a_bad_url_fails) {
  qf_dialect_result res = judge_xfer(QF_XFER_TIMEOUT);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert_str_eq(res.error, "timeout");
  cr_assert_eq(res.retry_after_ms, 0);
  cr_assert_eq(judge_xfer(QF_XFER_REFUSED).outcome, QF_OUTCOME_RETRY);
  cr_assert_str_eq(judge_xfer(QF_XFER_REFUSED).error, "connection refused");
  cr_assert_eq(judge_xfer(QF_XFER_DNS).outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(judge_xfer(QF_XFER_NETWORK).outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(judge_xfer(QF_XFER_TLS).outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(judge_xfer(QF_XFER_OTHER).outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(judge_xfer(QF_XFER_BADURL).outcome, QF_OUTCOME_FAILED);
}
