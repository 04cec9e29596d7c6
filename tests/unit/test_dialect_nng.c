/* The nng dialect: a GatewaySend packed from the delivery, a GatewayReply
 * judged as the result. */
#include "gateway.pb-c.h"
#include "qf/dialect.h"
#include "qf/err.h"

#include <criterion/criterion.h>
#include <string.h>

Test(dialect_nng, render_packs_a_gateway_send) {
  qf_dialect_request req;
  qf_dialect_request_init(&req);
  qf_dialect_msg msg = {.post_id = 42,
                        .group_id = "g1",
                        .url = "ipc:///tmp/gw",
                        .kind = "post",
                        .text = "hi"};
  cr_assert_eq(qf_dialect_nng.render(&msg, &req), 0, "%s", req.error);
  cr_assert_str_eq(req.url, "ipc:///tmp/gw");
  Qunfa__GatewaySend *s =
      qunfa__gateway_send__unpack(NULL, req.body_len, (const uint8_t *)req.body);
  cr_assert_not_null(s);
  cr_assert_eq(s->post_id, 42);
  cr_assert_str_eq(s->group_id, "g1");
  cr_assert_str_eq(s->text, "hi");
  cr_assert_str_eq(s->idempotency_key, "42:g1");
  cr_assert_str_eq(s->format, "text");
  qunfa__gateway_send__free_unpacked(s, NULL);
  msg.url = "http://example.com/";
  cr_assert_eq(qf_dialect_nng.render(&msg, &req), QF_EINVAL);
  cr_assert(strstr(req.error, "ipc://"), "%s", req.error);
  qf_dialect_request_free(&req);
}

static qf_dialect_result judge_reply(const Qunfa__GatewayReply *r) {
  uint8_t buf[256];
  size_t n = qunfa__gateway_reply__pack(r, buf);
  qf_dialect_answer ans = {
      .xfer = QF_XFER_OK, .status = 200, .body = (char *)buf, .body_len = n};
  qf_dialect_result res;
  qf_dialect_nng.classify(&ans, &res);
  return res;
}

static qf_dialect_result judge(Qunfa__Outcome o, int64_t retry_ms, const char *err,
                               const char *id) {
  Qunfa__GatewayReply r = QUNFA__GATEWAY_REPLY__INIT;
  r.outcome = o;
  r.retry_after_ms = retry_ms;
  r.error = (char *)err;
  r.platform_msg_id = (char *)id;
  return judge_reply(&r);
}

Test(dialect_nng, the_reply_is_the_result) {
  qf_dialect_result r = judge(QUNFA__OUTCOME__OUTCOME_DELIVERED, 0, "", "m-7");
  cr_assert_eq(r.outcome, QF_OUTCOME_DELIVERED);
  cr_assert_str_eq(r.platform_msg_id, "m-7");
  r = judge(QUNFA__OUTCOME__OUTCOME_RETRY, 2500, "busy", "");
  cr_assert_eq(r.outcome, QF_OUTCOME_RETRY);
  cr_assert_eq(r.retry_after_ms, 2500);
  cr_assert_str_eq(r.error, "nng gateway: busy");
  r = judge(QUNFA__OUTCOME__OUTCOME_RETRY, -5, "", "");
  cr_assert_eq(r.retry_after_ms, 0);
  r = judge(QUNFA__OUTCOME__OUTCOME_FAILED, 0, "account banned", "");
  cr_assert_eq(r.outcome, QF_OUTCOME_FAILED);
  cr_assert_str_eq(r.error, "nng gateway: account banned");
}

Test(dialect_nng, a_throttled_retry_is_a_rate_limit_answer) {
  Qunfa__GatewayReply r = QUNFA__GATEWAY_REPLY__INIT;
  r.outcome = QUNFA__OUTCOME__OUTCOME_RETRY;
  r.retry_after_ms = 1000;
  r.error = "slow down";
  r.throttled = true;
  qf_dialect_result res = judge_reply(&r);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert(res.throttled);
  cr_assert_eq(res.retry_after_ms, 1000);
  r.throttled = false; /* a retry for any other reason teaches nothing */
  cr_assert_not(judge_reply(&r).throttled);
  cr_assert_not(judge(QUNFA__OUTCOME__OUTCOME_DELIVERED, 0, "", "m").throttled);
}

Test(dialect_nng, no_or_unreadable_reply_retries) {
  qf_dialect_answer ans = {
      .xfer = QF_XFER_OK, .status = 200, .body = "\xff\xff\xff", .body_len = 3};
  qf_dialect_result res;
  qf_dialect_nng.classify(&ans, &res);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  ans = (qf_dialect_answer){.xfer = QF_XFER_TIMEOUT};
  qf_dialect_nng.classify(&ans, &res);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert_str_eq(res.error, "timeout");
}
