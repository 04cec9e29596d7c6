/* Slack incoming webhook: POST {"text":T} to the group's url as given
 * (https://hooks.slack.com/services/T.../B.../...). Slack formats text as
 * mrkdwn anyway, so markdown goes the same way. The answer is plain text:
 * 200 "ok", or an error word (invalid_payload, channel_not_found, ...) with
 * 400, 403, 404 or 410; 429 carries Retry-After. */
#include "dialect_util.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <stdio.h>

#define SLACK_CARD_MAX 4096 /* a section's text: at most 3,000 characters */

/* A mrkdwn text object with fmt applied to the escaped s. */
static json_t *mrkdwn(const char *fmt, const char *a, const char *b) {
  char ea[SLACK_CARD_MAX], eb[SLACK_CARD_MAX], out[2 * SLACK_CARD_MAX];
  if (!qf_dialect_util_escape_html(a, ea, sizeof ea) ||
      !qf_dialect_util_escape_html(b, eb, sizeof eb))
    return NULL;
  snprintf(out, sizeof out, fmt, ea, eb);
  return json_pack("{s:s, s:s}", "type", "mrkdwn", "text", out);
}

/* A sale's card: one section block with the title (and note) as its text, the
 * fields, and a button opening the link as its accessory; the plain text stays
 * as "text", the notification's fallback. */
static json_t *slack_card(const qf_dialect_msg *msg) {
  const qf_sale_card *c = msg->card;
  char title[1024];
  qf_sale_card_field f[QF_SALE_CARD_FIELDS_MAX];
  size_t nf = qf_sale_card_fields(c, f);
  const char *link = qf_sale_card_link(c), *note = qf_sale_card_note(c);
  qf_sale_card_title(c, title, sizeof title);
  json_t *sec =
      json_pack("{s:s, s:o?}", "type", "section", "text",
                mrkdwn(note ? "*%s*\n%s" : "*%s*%s", title, note ? note : ""));
  json_t *fields = json_array();
  for (size_t i = 0; i < nf; i++)
    json_array_append_new(fields, mrkdwn("*%s*\n%s", f[i].label, f[i].value));
  if (nf > 0)
    json_object_set_new(sec, "fields", fields);
  else
    json_decref(fields);
  if (link)
    json_object_set_new(sec, "accessory",
                        json_pack("{s:s, s:{s:s, s:s}, s:s}", "type", "button", "text",
                                  "type", "plain_text", "text", qf_sale_card_button(c),
                                  "url", link));
  return json_pack("{s:s, s:[o]}", "text", msg->text ? msg->text : "", "blocks", sec);
}

static int slack_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_slack, msg, req);
  if (rc != 0)
    return rc;
  json_t *j = msg->card ? slack_card(msg)
                        : json_pack("{s:s}", "text", msg->text ? msg->text : "");
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
