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
  req->url = msg->url;
  return qf_dialect_util_finish(j, "text is not valid UTF-8", msg, req);
}

/* WeCom does not say when its window ends, nor whether it is a calendar minute or
 * a sliding one; a whole minute is enough for either. */
static const qf_dialect_retry_code wecom_retry[] = {
    {WECOM_FREQ_LIMIT, WECOM_FREQ_WAIT_MS, true},
    {WECOM_BUSY, 0, false},
};

static void wecom_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  qf_dialect_util_classify_errcode(ans, "wecom", wecom_retry,
                                   sizeof wecom_retry / sizeof *wecom_retry, res);
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
