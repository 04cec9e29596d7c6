/* Telegram Bot API sendMessage. A group's url is the method's url with the chat
 * in the query: https://api.telegram.org/bot<TOKEN>/sendMessage?chat_id=-100123
 * (or chat_id=@channel). chat_id is taken out of the url and sent in the JSON
 * body {"chat_id":..,"text":T}; other query parameters stay on the url. The
 * answer is {"ok":true,"result":{"message_id":N,...}} or {"ok":false,
 * "error_code":E,"description":"...","parameters":{"retry_after":S}}. */
#include "dialect_util.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TELEGRAM_CHAT_MAX 128

/* A chat id of digits (with a leading '-') is an integer; "@name" a string. */
static bool numeric_chat(const char *s) {
  size_t i = s[0] == '-' ? 1 : 0;
  size_t digits = strspn(s + i, "0123456789");
  return digits > 0 && digits <= 18 && s[i + digits] == '\0';
}

#define TELEGRAM_CARD_MAX 8192

/* Appends the escaped s to out at *n; false when it does not fit. */
static bool html_append(char *out, size_t len, size_t *n, const char *fmt,
                        const char *s) {
  char esc[TELEGRAM_CARD_MAX];
  if (!qf_dialect_util_escape_html(s, esc, sizeof esc))
    return false;
  int w = snprintf(out + *n, len - *n, fmt, esc);
  if (w < 0 || (size_t)w >= len - *n)
    return false;
  *n += (size_t)w;
  return true;
}

/* A sale's card: the title in bold and one line per field, as HTML (every
 * value escaped: parse_mode HTML refuses a stray '<' or '&'). */
static bool telegram_card_text(const qf_sale_card *c, char *out, size_t len) {
  char title[1024];
  qf_sale_card_field f[QF_SALE_CARD_FIELDS_MAX];
  size_t nf = qf_sale_card_fields(c, f), n = 0;
  const char *note = qf_sale_card_note(c);
  qf_sale_card_title(c, title, sizeof title);
  bool ok = html_append(out, len, &n, "<b>%s</b>", title);
  for (size_t i = 0; ok && i < nf; i++)
    ok = html_append(out, len, &n, "\n%s", f[i].label) &&
         html_append(out, len, &n, ": %s", f[i].value);
  if (ok && note)
    ok = html_append(out, len, &n, "\n%s", note);
  return ok;
}

/* The card as sendMessage parameters: HTML text and, when there is a link, an
 * inline keyboard with one url button. */
static json_t *telegram_card(json_t *chat, const qf_sale_card *c) {
  char text[TELEGRAM_CARD_MAX];
  const char *link = qf_sale_card_link(c);
  if (!telegram_card_text(c, text, sizeof text)) {
    json_decref(chat);
    return NULL;
  }
  json_t *j = json_pack("{s:o?, s:s, s:s}", "chat_id", chat, "text", text, "parse_mode",
                        "HTML");
  if (j && link)
    json_object_set_new(j, "reply_markup",
                        json_pack("{s:[[{s:s, s:s}]]}", "inline_keyboard", "text",
                                  qf_sale_card_button(c), "url", link));
  return j;
}

static int telegram_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_telegram, msg, req);
  if (rc != 0)
    return rc;
  char chat[TELEGRAM_CHAT_MAX];
  rc = qf_dialect_util_url_take(msg->url, "chat_id", chat, sizeof chat, req);
  if (rc != 1 || !chat[0])
    return qf_dialect_request_refuse(req, "telegram url needs ?chat_id=<chat>");
  json_t *id =
      numeric_chat(chat) ? json_integer(strtoll(chat, NULL, 10)) : json_string(chat);
  /* Markdown goes as plain text: MarkdownV2 would refuse unescaped text. */
  json_t *j = msg->card ? telegram_card(id, msg->card)
                        : json_pack("{s:o?, s:s}", "chat_id", id, "text",
                                    msg->text ? msg->text : "");
  return qf_dialect_util_finish(j, "text or chat_id is not valid UTF-8", msg, req);
}

static void telegram_delivered(const json_t *j, qf_dialect_result *res) {
  qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
  long long id;
  if (qf_dialect_util_int(json_object_get(j, "result"), "message_id", &id))
    snprintf(res->platform_msg_id, sizeof res->platform_msg_id, "%lld", id);
}

static void telegram_error(const json_t *j, const qf_dialect_answer *ans,
                           qf_dialect_result *res) {
  long long code = ans->status, after, chat;
  qf_dialect_util_int(j, "error_code", &code);
  const char *desc = json_string_value(json_object_get(j, "description"));
  const json_t *params = json_object_get(j, "parameters");
  bool retry = code == 429 || code >= 500;
  char text[QF_DIALECT_ERROR_LEN];
  if (qf_dialect_util_int(params, "migrate_to_chat_id", &chat)) {
    /* The group became a supergroup: the url must change; say to what. */
    snprintf(text, sizeof text, "%s (now chat_id=%lld)", desc ? desc : "migrated",
             chat);
    desc = text;
  }
  qf_dialect_util_reason(res, retry ? QF_OUTCOME_RETRY : QF_OUTCOME_FAILED, "telegram",
                         code, desc);
  if (!retry)
    return;
  res->throttled = code == 429;
  if (qf_dialect_util_int(params, "retry_after", &after))
    res->retry_after_ms = after <= 0 ? 0
                          : after > QF_DIALECT_RETRY_MAX_MS / 1000
                              ? QF_DIALECT_RETRY_MAX_MS
                              : after * 1000;
  else
    res->retry_after_ms = qf_dialect_retry_after_ms(ans->retry_after, ans->now_ms);
}

static void telegram_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  json_t *j = qf_dialect_util_answer_json(ans);
  const json_t *ok = json_object_get(j, "ok");
  if (json_is_true(ok) && ans->status >= 200 && ans->status < 300)
    telegram_delivered(j, res);
  else if (json_is_false(ok))
    telegram_error(j, ans, res);
  else
    qf_dialect_util_no_code(ans, "telegram", res);
  json_decref(j);
}

/* The bot token is the path segment after "bot" (/bot<id>:<secret>/...). */
static int telegram_account(const char *url, char *out, size_t len) {
  const char *p = strstr(url, "://");
  p = p ? strchr(p + 3, '/') : NULL;
  for (; p; p = strchr(p + 1, '/')) {
    if (strncmp(p, "/bot", 4) != 0)
      continue;
    size_t n = strcspn(p + 4, "/?#");
    if (n > 0 && memchr(p + 4, ':', n))
      return qf_dialect_util_account_key("telegram", p + 4, n, out, len);
  }
  return QF_EINVAL;
}

const qf_dialect qf_dialect_telegram = {
    .name = "telegram",
    .render = telegram_render,
    .classify = telegram_classify,
    .group_rates = {{20, 60000}},
    .account_rates = {{30, 1000}},
    .max_text = 4096,
    .text_unit = QF_DIALECT_UNIT_UTF16,
    .account = telegram_account,
};
