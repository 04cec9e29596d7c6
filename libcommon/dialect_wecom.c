/* WeCom (企业微信) group robot webhook: POST {"msgtype":"text","text":{"content":T}}
 * (or "markdown") to the group's url as given
 * (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY). The answer is HTTP
 * 200 with {"errcode":N,"errmsg":"..."} whether it worked or not. */
#include "dialect_util.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <string.h>

#define WECOM_BUSY (-1)          /* system busy: try again */
#define WECOM_FREQ_LIMIT 45009   /* over 20 messages a minute for this robot */
#define WECOM_FREQ_WAIT_MS 60000 /* one whole window: see classify */

#define WECOM_CARD_MD_MAX 8192

/* A text_notice template card: the title, the fields as the horizontal
 * content list (at most 6), the link as card_action (required for the type)
 * and as the jump list's one entry. */
static json_t *wecom_template_card(const qf_sale_card *c, const char *link) {
  char title[1024];
  qf_sale_card_field f[QF_SALE_CARD_FIELDS_MAX];
  size_t nf = qf_sale_card_fields(c, f);
  json_t *list = json_array();
  qf_sale_card_title(c, title, sizeof title);
  for (size_t i = 0; i < nf; i++)
    json_array_append_new(
        list, json_pack("{s:s, s:s}", "keyname", f[i].label, "value", f[i].value));
  return json_pack(
      "{s:s, s:{s:s, s:{s:s}, s:o, s:[{s:i, s:s, s:s}], s:{s:i, s:s}}}", "msgtype",
      "template_card", "template_card", "card_type", "text_notice", "main_title",
      "title", title, "horizontal_content_list", list, "jump_list", "type", 1, "url",
      link, "title", qf_sale_card_button(c), "card_action", "type", 1, "url", link);
}

/* A sale's card: a template card when there is a link (text_notice needs
 * card_action), else the same parts as a markdown message. */
static int wecom_card(const qf_dialect_msg *msg, qf_dialect_request *req) {
  const char *link = qf_sale_card_link(msg->card);
  req->url = msg->url;
  if (link)
    return qf_dialect_util_finish(wecom_template_card(msg->card, link),
                                  "card is not valid UTF-8", msg, req);
  char md[WECOM_CARD_MD_MAX];
  int n = qf_sale_card_markdown(msg->card, false, md, sizeof md);
  if (n < 0 || (size_t)n > qf_dialect_wecom.max_markdown)
    return qf_dialect_request_refuse(
        req,
        "card too long for wecom: %d bytes, at most %zu in "
        "a markdown message (not split)",
        n, qf_dialect_wecom.max_markdown);
  json_t *j =
      json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", md);
  return qf_dialect_util_finish(j, "card is not valid UTF-8", msg, req);
}

static int wecom_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_wecom, msg, req);
  if (rc != 0)
    return rc;
  if (msg->card)
    return wecom_card(msg, req);
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
