/* Telegram Bot API, as api.telegram.org answers it:
 *   POST /bot<TOKEN>/sendMessage    {"chat_id":C,"text":T}
 *   POST /bot<TOKEN>/deleteMessage  {"chat_id":C,"message_id":N}
 * Parameters may also come in the query string. Answers: {"ok":true,
 * "result":...} or HTTP E with {"ok":false,"error_code":E,"description":D}.
 * Message ids count from 1 per chat. Limits: 20 messages per minute per chat
 * and 30 per second per bot, else 429 with parameters.retry_after (seconds). */
#include "platform.h"

#include "qf/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TG_TOKEN_MAX 128
#define TG_CHAT_MAX 128
#define TG_TEXT_MAX 4096

static bool telegram_match(const char *path) {
  return strncmp(path, "/bot", 4) == 0 && strchr(path + 4, '/') != NULL;
}

static int tg_error(mc_reply *r, int code, const char *desc) {
  mc_reply_json(
      r, (uint16_t)code,
      json_pack("{s:b,s:i,s:s}", "ok", 0, "error_code", code, "description", desc));
  return QF_EINVAL;
}

/* "<digits>:<letters, digits, - and _>", as BotFather issues them. */
static bool token_ok(const char *t) {
  size_t d = strspn(t, "0123456789");
  if (d == 0 || t[d] != ':' || !t[d + 1])
    return false;
  for (const char *p = t + d + 1; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
      return false;
  return true;
}

/* Parameter name from the JSON body, else from the query string (as a JSON
 * string, added to the body so it lives as long as the message). */
static json_t *param(const mc_request *rq, json_t *doc, const char *name) {
  json_t *v = json_object_get(doc, name);
  char buf[TG_TEXT_MAX * 4 + 1];
  if (v || !mc_query_get(rq->query, name, buf, sizeof buf))
    return v;
  json_object_set_new(doc, name, json_string(buf));
  return json_object_get(doc, name);
}

/* The chat as text: an integer, or a string (an @username or digits). */
static bool chat_text(const json_t *v, char *out, size_t len) {
  if (json_is_integer(v))
    snprintf(out, len, "%lld", (long long)json_integer_value(v));
  else if (json_is_string(v) && json_string_length(v) > 0 &&
           json_string_length(v) < len)
    snprintf(out, len, "%s", json_string_value(v));
  else
    return false;
  return true;
}

#define TG_HTML_DEPTH 16

/* The tags parse_mode HTML takes (Bot API, "HTML style"). */
static bool tag_known(const char *name, size_t n) {
  static const char *const tags[] = {
      "b",   "strong", "i",          "em", "u",    "ins", "s",          "strike",
      "del", "span",   "tg-spoiler", "a",  "code", "pre", "blockquote", "tg-emoji"};
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
    if (strlen(tags[i]) == n && strncmp(tags[i], name, n) == 0)
      return true;
  return false;
}

/* Bytes of the character entity at s (&lt; &gt; &amp; &quot; &#N;), or 0. */
static size_t entity_len(const char *s) {
  static const char *const named[] = {"&lt;", "&gt;", "&amp;", "&quot;"};
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (strncmp(s, named[i], strlen(named[i])) == 0)
      return strlen(named[i]);
  size_t d = s[1] == '#' ? strspn(s + 2, "0123456789") : 0;
  return d > 0 && s[2 + d] == ';' ? d + 3 : 0;
}

/* Checks text as parse_mode HTML the way Telegram does: known tags, each
 * closed in order; *units is the UTF-16 length of what shows (tags removed,
 * an entity one unit). false with Telegram's description in why. */
static bool html_ok(const char *t, size_t *units, char *why, size_t wlen) {
  const char *open[TG_HTML_DEPTH];
  size_t olen[TG_HTML_DEPTH], depth = 0;
  *units = 0;
  for (size_t i = 0; t[i];) {
    if (t[i] == '<') {
      const char *end = strchr(t + i, '>');
      bool close = t[i + 1] == '/';
      const char *name = t + i + 1 + close;
      size_t n = strcspn(name, " \t\n>");
      if (!end) {
        snprintf(
            why, wlen,
            "Bad Request: can't parse entities: Unclosed start tag at byte offset %zu",
            i);
        return false;
      }
      if (!close && (!tag_known(name, n) || depth == TG_HTML_DEPTH)) {
        snprintf(why, wlen,
                 "Bad Request: can't parse entities: Unsupported start tag \"%.*s\" at "
                 "byte offset %zu",
                 (int)n, name, i);
        return false;
      }
      if (close && (depth == 0 || olen[depth - 1] != n ||
                    strncmp(open[depth - 1], name, n) != 0)) {
        snprintf(
            why, wlen,
            "Bad Request: can't parse entities: Unmatched end tag at byte offset %zu",
            i);
        return false;
      }
      if (close)
        depth--;
      else
        open[depth] = name, olen[depth++] = n;
      i = (size_t)(end - t) + 1;
      continue;
    }
    size_t e = t[i] == '&' ? entity_len(t + i) : 0;
    unsigned char c = (unsigned char)t[i];
    *units += e ? 1 : (c & 0xC0) == 0x80 ? 0 : c >= 0xF0 ? 2 : 1;
    i += e ? e : 1;
  }
  if (depth > 0) {
    snprintf(why, wlen,
             "Bad Request: can't parse entities: Can't find end tag corresponding to "
             "start tag \"%.*s\"",
             (int)olen[depth - 1], open[depth - 1]);
    return false;
  }
  return true;
}

/* A url button opens http(s) or tg: links only. */
static bool button_url_ok(const char *u) {
  return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0 ||
         strncmp(u, "tg://", 5) == 0;
}

/* One inline keyboard button: text and exactly one action. */
static int tg_button(const json_t *b, mc_reply *rej) {
  static const char *const actions[] = {
      "url", "callback_data", "switch_inline_query", "login_url", "pay", "web_app"};
  const char *url = mc_str(b, "url");
  size_t n = 0;
  if (!mc_str(b, "text") || !*mc_str(b, "text"))
    return tg_error(
        rej, 400,
        "Bad Request: can't parse inline keyboard button: Text must be non-empty");
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    n += json_object_get(b, actions[i]) != NULL;
  if (n == 0)
    return tg_error(rej, 400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard");
  if (json_object_get(b, "url") && (!url || !button_url_ok(url)))
    return tg_error(rej, 400, "Bad Request: BUTTON_URL_INVALID");
  return 0;
}

/* reply_markup, when given, as an InlineKeyboardMarkup: rows of buttons. */
static int tg_markup(const mc_request *rq, mc_message *m, mc_reply *rej) {
  json_t *rm = param(rq, m->doc, "reply_markup");
  size_t i, j;
  json_t *row, *b;
  int rc;
  if (!rm)
    return 0;
  if (json_is_string(rm)) { /* a JSON-serialised object, as in a query string */
    json_object_set_new(m->doc, "reply_markup",
                        json_loads(json_string_value(rm), 0, NULL));
    rm = json_object_get(m->doc, "reply_markup");
  }
  json_t *kb = json_object_get(rm, "inline_keyboard");
  if (!json_is_array(kb))
    return tg_error(rej, 400,
                    "Bad Request: can't parse reply keyboard markup JSON object");
  json_array_foreach(kb, i, row) {
    if (!json_is_array(row))
      return tg_error(rej, 400,
                      "Bad Request: field \"inline_keyboard\" of the "
                      "InlineKeyboardMarkup should be an Array of Arrays");
    json_array_foreach(row, j, b) {
      if ((rc = tg_button(b, rej)) != 0)
        return rc;
    }
  }
  m->m.card = rm;
  return 0;
}

/* The text's length as Telegram counts it: what shows, after parse_mode. */
static int tg_text_units(const mc_request *rq, mc_message *m, const char *text,
                         size_t *units, mc_reply *rej) {
  const char *mode = json_string_value(param(rq, m->doc, "parse_mode"));
  char why[MC_WHY_MAX];
  if (!mode || !*mode) {
    *units = mc_utf16_len(text);
    return 0;
  }
  if (strcasecmp(mode, "MarkdownV2") == 0 || strcasecmp(mode, "Markdown") == 0) {
    *units = mc_utf16_len(text); /* not checked here: qunfa sends HTML */
    return 0;
  }
  if (strcasecmp(mode, "HTML") != 0)
    return tg_error(rej, 400, "Bad Request: unsupported parse_mode");
  return html_ok(text, units, why, sizeof why) ? 0 : tg_error(rej, 400, why);
}

static int tg_send(const mc_request *rq, mc_message *m, mc_reply *rej) {
  json_t *t = param(rq, m->doc, "text");
  const char *text = json_string_value(t);
  size_t units;
  int rc;
  if (!text || !*text)
    return tg_error(rej, 400, "Bad Request: message text is empty");
  if ((rc = tg_text_units(rq, m, text, &units, rej)) != 0 ||
      (rc = tg_markup(rq, m, rej)) != 0)
    return rc;
  if (units > TG_TEXT_MAX)
    return tg_error(rej, 400, "Bad Request: message is too long");
  mc_identify(m, rq, "telegram", "text", text);
  return 0;
}

static int tg_delete(const mc_request *rq, mc_message *m, mc_reply *rej) {
  json_t *v = param(rq, m->doc, "message_id");
  long long id = json_is_integer(v)  ? json_integer_value(v)
                 : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                                     : 0;
  if (id <= 0)
    return tg_error(rej, 400, "Bad Request: message identifier is not specified");
  m->op = MC_OP_RECALL;
  m->recall_id = (uint64_t)id;
  mc_identify(m, rq, "telegram", "delete", "");
  return 0;
}

static int telegram_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  const char *p = rq->path + 4, *slash = strchr(p, '/');
  char token[TG_TOKEN_MAX], chat[TG_CHAT_MAX], why[MC_WHY_MAX];
  if (!mc_path_segment(p, (size_t)(slash - p), token, sizeof token) || !token_ok(token))
    return tg_error(rej, 401, "Unauthorized");
  const char *method = slash + 1;
  bool send = strcasecmp(method, "sendMessage") == 0;
  if (!send && strcasecmp(method, "deleteMessage") != 0)
    return tg_error(rej, 404, "Not Found");
  if (rq->len > 0 && !mc_body_object(rq, &m->doc, why, sizeof why))
    return tg_error(rej, 400, "Bad Request: can't parse JSON object");
  if (!m->doc)
    m->doc = json_object();
  m->chat_id = param(rq, m->doc, "chat_id");
  if (!chat_text(m->chat_id, chat, sizeof chat))
    return tg_error(rej, 400, "Bad Request: chat_id is empty");
  snprintf(m->target, sizeof m->target, "telegram:%s/%s", token, chat);
  snprintf(m->bot, sizeof m->bot, "telegram-bot:%s", token);
  return send ? tg_send(rq, m, rej) : tg_delete(rq, m, rej);
}

static const char *chat_type(const json_t *chat) {
  if (json_is_string(chat) && json_string_value(chat)[0] == '@')
    return "channel";
  long long id = json_is_integer(chat) ? json_integer_value(chat)
                                       : strtoll(json_string_value(chat), NULL, 10);
  if (id <= -1000000000000LL)
    return "supergroup";
  return id < 0 ? "group" : "private";
}

static void telegram_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                              mc_reply *out) {
  json_t *result =
      json_pack("{s:I,s:I,s:{s:O,s:s},s:s}", "message_id", (json_int_t)id, "date",
                (json_int_t)(now_ms / 1000), "chat", "id", m->chat_id, "type",
                chat_type(m->chat_id), "text", m->m.text);
  mc_reply_json(out, 200, json_pack("{s:b,s:o}", "ok", 1, "result", result));
}

static void telegram_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m;
  long long s = (long long)mc_wait_seconds(wait_ms);
  char desc[64];
  snprintf(desc, sizeof desc, "Too Many Requests: retry after %lld", s);
  mc_reply_json(out, 429,
                json_pack("{s:b,s:i,s:s,s:{s:I}}", "ok", 0, "error_code", 429,
                          "description", desc, "parameters", "retry_after",
                          (json_int_t)s));
}

static void telegram_recalled(const mc_message *m, int rc, mc_reply *out) {
  (void)m;
  if (rc == 0)
    mc_reply_json(out, 200, json_pack("{s:b,s:b}", "ok", 1, "result", 1));
  else
    tg_error(out, 400, "Bad Request: message to delete not found");
}

const mc_platform mc_telegram = {
    .name = "telegram",
    .match = telegram_match,
    .decode = telegram_decode,
    .accepted = telegram_accepted,
    .throttled = telegram_throttled,
    .recalled = telegram_recalled,
    .target_rates = {{20, 60000}},
    .bot_rates = {{30, 1000}},
};
