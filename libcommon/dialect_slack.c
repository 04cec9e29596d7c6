/* Slack incoming webhook: POST {"text":T} to the group's url as given
 * (https://hooks.slack.com/services/T.../B.../...). Slack formats text as
 * mrkdwn anyway, so markdown goes the same way. The answer is plain text:
 * 200 "ok", or an error word (invalid_payload, channel_not_found, ...) with
 * 400, 403, 404 or 410; 429 carries Retry-After. */
#include "dialect_util.h"
#include "qf/err.h"

static int slack_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_slack, msg, req);
  if (rc != 0)
    return rc;
  json_t *j = json_pack("{s:s}", "text", msg->text ? msg->text : "");
  req->url = msg->url;
  return qf_dialect_util_finish(j, "text is not valid UTF-8", msg, req);
}

static void slack_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  qf_dialect_util_by_status(ans, "slack", res);
}

const qf_dialect qf_dialect_slack = {
    .name = "slack",
    .render = slack_render,
    .classify = slack_classify,
    .group_rates = {{1, 1000}},
    /* Slack cuts text past 40,000 characters; qunfa refuses it instead. */
    .max_text = 40000,
    .text_unit = QF_DIALECT_UNIT_CHARS,
};
