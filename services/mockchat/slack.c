/* Slack incoming webhook, as hooks.slack.com answers it:
 *   POST /services/T.../B.../X...   {"text":T}
 * Answers are plain text: 200 "ok", 400 "invalid_payload" or "no_text", 404
 * "no_service" for a url that names no hook. Text past 40,000 characters is
 * cut (Slack truncates rather than refuses). Limit: one message per second per
 * webhook, else 429 with Retry-After (seconds). */
#include "platform.h"

#include "qf/err.h"

#include <stdio.h>
#include <string.h>

#define SLACK_PREFIX "/services/"
#define SLACK_TEXT_MAX 40000

static bool slack_match(const char *path) {
  return strncmp(path, SLACK_PREFIX, strlen(SLACK_PREFIX)) == 0;
}

static int slack_error(mc_reply *r, uint16_t status, const char *word) {
  mc_reply_text(r, status, word);
  return QF_EINVAL;
}

/* Three non-empty segments T/B/X and nothing else. */
static bool hook_path(const char *p) {
  int segs = 0;
  for (const char *s = p; *s;) {
    size_t n = strcspn(s, "/");
    if (n == 0)
      return false;
    segs++;
    s += n;
    if (*s == '/' && !*++s)
      return false;
  }
  return segs == 3;
}

/* Cuts text past SLACK_TEXT_MAX code points, as Slack does, in the body. */
static const char *cut_text(json_t *doc, const char *text) {
  if (mc_chars(text) <= SLACK_TEXT_MAX)
    return text;
  size_t n = 0, i = 0;
  for (; text[i]; i++) {
    if (((unsigned char)text[i] & 0xC0) != 0x80 && n++ == SLACK_TEXT_MAX)
      break;
  }
  json_object_set_new(doc, "text", json_stringn(text, i));
  return mc_str(doc, "text");
}

static int slack_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  const char *p = rq->path + strlen(SLACK_PREFIX);
  char why[MC_WHY_MAX];
  if (!hook_path(p))
    return slack_error(rej, 404, "no_service");
  snprintf(m->target, sizeof m->target, "slack:%s", p);
  if (!mc_body_object(rq, &m->doc, why, sizeof why))
    return slack_error(rej, 400, "invalid_payload");
  const char *text = mc_str(m->doc, "text");
  bool rich = json_array_size(json_object_get(m->doc, "blocks")) > 0 ||
              json_array_size(json_object_get(m->doc, "attachments")) > 0;
  if ((!text || !*text) && !rich)
    return slack_error(rej, 400, "no_text");
  if (json_object_get(m->doc, "text") && !text)
    return slack_error(rej, 400, "invalid_payload");
  mc_identify(m, rq, "slack", "text", text ? cut_text(m->doc, text) : "");
  return 0;
}

static void slack_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                           mc_reply *out) {
  (void)m, (void)id, (void)now_ms;
  mc_reply_text(out, 200, "ok");
}

static void slack_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m;
  mc_reply_text(out, 429, "rate_limited");
  mc_reply_retry_after(out, "Retry-After", wait_ms);
}

const mc_platform mc_slack = {
    .name = "slack",
    .match = slack_match,
    .decode = slack_decode,
    .accepted = slack_accepted,
    .throttled = slack_throttled,
    .target_rates = {{1, 1000}},
};
