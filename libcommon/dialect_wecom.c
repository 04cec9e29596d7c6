/* WeCom (企业微信) group robot webhook: POST {"msgtype":"text","text":{"content":T}}
 * (or "markdown") to the group's url as given
 * (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY). The answer is HTTP
 * 200 with {"errcode":N,"errmsg":"..."} whether it worked or not. */
#include "dialect_util.h"
#include "qf/err.h"

#define WECOM_BUSY (-1)          /* system busy: try again */
#define WECOM_FREQ_LIMIT 45009   /* over 20 messages a minute for this robot */
#define WECOM_FREQ_WAIT_MS 60000 /* one whole window: see classify */

static int wecom_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_wecom, msg, req);
  if (rc != 0)
    return rc;
  const char *type = qf_dialect_util_is_markdown(msg) ? "markdown" : "text";
  json_t *j = json_pack("{s:s, s:{s:s}}", "msgtype", type, type, "content",
                        msg->text ? msg->text : "");
  if (!j)
    return qf_dialect_request_refuse(req, "text is not valid UTF-8");
  rc = qf_dialect_util_body(j, req);
  json_decref(j);
  if (rc != 0)
    return qf_dialect_request_refuse(req, "cannot encode the message as JSON");
  req->url = msg->url;
  return qf_dialect_util_headers(msg, req);
}

static void wecom_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  json_t *j = qf_dialect_util_answer_json(ans);
  long long code;
  if (!j || !qf_dialect_util_int(j, "errcode", &code)) {
    json_decref(j);
    qf_dialect_util_no_code(ans, "wecom", res);
    return;
  }
  const char *msg = json_string_value(json_object_get(j, "errmsg"));
  if (code == 0) {
    qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
  } else if (code == WECOM_FREQ_LIMIT || code == WECOM_BUSY) {
    qf_dialect_util_reason(res, QF_OUTCOME_RETRY, "wecom errcode", code, msg);
    /* WeCom does not say when its window ends, nor whether it is a calendar
     * minute or a sliding one; a whole minute is enough for either. */
    if (code == WECOM_FREQ_LIMIT)
      res->retry_after_ms = WECOM_FREQ_WAIT_MS;
  } else {
    qf_dialect_util_reason(res, QF_OUTCOME_FAILED, "wecom errcode", code, msg);
  }
  json_decref(j);
}

const qf_dialect qf_dialect_wecom = {
    .name = "wecom",
    .render = wecom_render,
    .classify = wecom_classify,
    /* One robot per group: the robot's limit is the group's. */
    .group_rates = {{20, 60000}},
    .max_text = 2048,
    .max_markdown = 4096,
    .text_unit = QF_DIALECT_UNIT_BYTES,
};
