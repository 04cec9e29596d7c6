/* DingTalk (钉钉) custom robot: POST {"msgtype":"text","text":{"content":T}} (or
 * {"msgtype":"markdown","markdown":{"title":..,"text":T}}) to
 * https://oapi.dingtalk.com/robot/send?access_token=TOKEN. A robot with "加签"
 * has its secret (SEC...) in the group's url as a "secret" query parameter; it
 * is taken out, and the url gets timestamp=<ms> and sign =
 * urlencode(base64(HMAC-SHA256(key = secret, message = timestamp + "\n" +
 * secret))). Answers: HTTP 200 with {"errcode":N,"errmsg":"..."}. */
#include "dialect_util.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DINGTALK_SECRET_MAX 256
#define DINGTALK_BUSY (-1)
#define DINGTALK_TOO_FAST 130101 /* over 20 a minute: silenced for 10 minutes */
#define DINGTALK_SILENCE_MS 600000
#define DINGTALK_TITLE_MAX 64

/* A markdown message's title (shown in the chat list): the first non-empty
 * line without its heading marks, cut on a UTF-8 boundary. */
static void markdown_title(const char *text, char *out, size_t len) {
  while (*text == '\n' || *text == '\r' || *text == ' ')
    text++;
  while (*text == '#' || *text == ' ')
    text++;
  size_t n = strcspn(text, "\r\n");
  if (n >= len)
    n = len - 1;
  while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
    n--; /* do not end inside a character */
  memcpy(out, text, n);
  out[n] = '\0';
  if (n == 0)
    snprintf(out, len, "%s", "message");
}

#define DINGTALK_CARD_MD_MAX 8192

/* A sale's card: an actionCard (markdown body, one button opening the link)
 * when there is a link, else the same body as a markdown message. */
static json_t *dingtalk_card(const qf_sale_card *c) {
  char md[DINGTALK_CARD_MD_MAX], title[DINGTALK_TITLE_MAX + 1];
  const char *link = qf_sale_card_link(c);
  int n = qf_sale_card_markdown(c, false, md, sizeof md);
  if (n < 0 || (size_t)n >= sizeof md)
    return NULL;
  markdown_title(md, title, sizeof title);
  if (!link)
    return json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown", "markdown", "title",
                     title, "text", md);
  return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "msgtype", "actionCard",
                   "actionCard", "title", title, "text", md, "btnOrientation", "0",
                   "singleTitle", qf_sale_card_button(c), "singleURL", link);
}

static json_t *dingtalk_json(const qf_dialect_msg *msg) {
  const char *text = msg->text ? msg->text : "";
  if (msg->card)
    return dingtalk_card(msg->card);
  if (!qf_dialect_util_is_markdown(msg))
    return json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
  char title[DINGTALK_TITLE_MAX + 1];
  markdown_title(text, title, sizeof title);
  return json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown", "markdown", "title",
                   title, "text", text);
}

/* Puts timestamp and sign on req's url. */
static int dingtalk_sign(const qf_dialect_msg *msg, const char *secret,
                         qf_dialect_request *req) {
  int64_t now_ms = msg->now_ms ? msg->now_ms : qf_clock_now_ms();
  char tosign[24 + DINGTALK_SECRET_MAX], sign[QF_DIALECT_SIGN_LEN], enc[3 * 45];
  int n = snprintf(tosign, sizeof tosign, "%" PRId64 "\n%s", now_ms, secret);
  if (qf_dialect_util_sign(secret, strlen(secret), tosign, (size_t)n, sign) != 0 ||
      qf_dialect_util_urlencode(sign, enc, sizeof enc) != 0)
    return qf_dialect_request_refuse(req, "cannot sign the request");
  qf_dialect_util_url_append(req, "timestamp=%" PRId64 "&sign=%s", now_ms, enc);
  return 0;
}

static int dingtalk_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_dingtalk, msg, req);
  if (rc != 0)
    return rc;
  char secret[DINGTALK_SECRET_MAX];
  rc = qf_dialect_util_url_take(msg->url, "secret", secret, sizeof secret, req);
  if (rc < 0)
    return qf_dialect_request_refuse(req, "dingtalk url: secret longer than %d bytes",
                                     DINGTALK_SECRET_MAX - 1);
  /* An empty secret= is no secret: the robot is not a signing one. */
  if (rc == 1 && secret[0] && (rc = dingtalk_sign(msg, secret, req)) != 0)
    return rc;
  return qf_dialect_util_finish(dingtalk_json(msg), "text is not valid UTF-8", msg,
                                req);
}

/* The robot stays silenced for 10 minutes; sooner only fails again. */
static const qf_dialect_retry_code dingtalk_retry[] = {
    {DINGTALK_TOO_FAST, DINGTALK_SILENCE_MS, true},
    {DINGTALK_BUSY, 0, false},
};

static void dingtalk_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  qf_dialect_util_classify_errcode(ans, "dingtalk", dingtalk_retry,
                                   sizeof dingtalk_retry / sizeof *dingtalk_retry, res);
}

const qf_dialect qf_dialect_dingtalk = {
    .name = "dingtalk",
    .render = dingtalk_render,
    .classify = dingtalk_classify,
    /* One robot per group: the robot's limit is the group's. */
    .group_rates = {{20, 60000}},
    .max_text = 20000,
    .max_markdown = 20000,
    .text_unit = QF_DIALECT_UNIT_BYTES,
};
