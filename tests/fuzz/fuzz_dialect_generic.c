/* libFuzzer target: the generic dialect's answer classifier (qf/dialect.h), which
 * judges what a webhook sent back, and its Retry-After reader; also its renderer,
 * which puts group ids and texts into JSON.
 *
 * Input: one byte for the transfer result, two for the HTTP status (a table of
 * interesting ones, or any 16-bit value), six for the wall clock, then the
 * Retry-After value, a newline, and the body (or, for rendering, the text).
 *
 * Properties: every answer maps to delivered, retry or failed with a terminated
 * reason; a delay is only asked for a retry and always lies in
 * [0, QF_DIALECT_RETRY_MAX_MS]; delta-seconds mean what they say; a rendered body is
 * JSON holding exactly the message. */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>

#include "qf/dialect.h"

static const long statuses[] = {200, 201, 204, 299, 300, 301, 400, 401, 403, 404,
                                408, 409, 413, 429, 499, 500, 502, 503, 504, 599};

static long pick_status(uint16_t v) {
  if (v < 0x8000)
    return statuses[v % (sizeof statuses / sizeof statuses[0])];
  return (long)(int16_t)v; /* anything, including negative and 0 */
}

/* Digits only (at most 7) or '-' and digits: the delay Retry-After asks for. */
static bool delta_expected(const char *v, int64_t *ms) {
  while (*v == ' ' || *v == '\t')
    v++;
  size_t n = strlen(v);
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  size_t digits = strspn(v, "0123456789");
  if (n == 0 || digits != n || n > 7)
    return false;
  int64_t s = strtoll(v, NULL, 10);
  *ms = s * 1000 > QF_DIALECT_RETRY_MAX_MS ? QF_DIALECT_RETRY_MAX_MS : s * 1000;
  return true;
}

static void check_classify(qf_xfer xfer, long status, int64_t now_ms, const char *ra,
                           const char *body, size_t body_len) {
  qf_dialect_answer ans = {.xfer = xfer,
                           .status = status,
                           .retry_after = ra,
                           .body = body,
                           .body_len = body_len,
                           .now_ms = now_ms};
  qf_dialect_result res;
  memset(&res, 0x5a, sizeof res); /* every field must be set */
  qf_dialect_generic.classify(&ans, &res);
  FUZZ_CHECK(res.outcome == QF_OUTCOME_DELIVERED || res.outcome == QF_OUTCOME_RETRY ||
                 res.outcome == QF_OUTCOME_FAILED,
             "outcome %d", (int)res.outcome);
  FUZZ_CHECK(memchr(res.error, '\0', sizeof res.error) != NULL, "reason unterminated");
  FUZZ_CHECK(memchr(res.platform_msg_id, '\0', sizeof res.platform_msg_id) != NULL,
             "message id unterminated");
  FUZZ_CHECK(res.retry_after_ms >= 0 && res.retry_after_ms <= QF_DIALECT_RETRY_MAX_MS,
             "delay %lld", (long long)res.retry_after_ms);
  FUZZ_CHECK(res.retry_after_ms == 0 || res.outcome == QF_OUTCOME_RETRY,
             "delay on a final outcome");
  if (res.outcome == QF_OUTCOME_DELIVERED)
    FUZZ_CHECK(xfer == QF_XFER_OK && res.error[0] == '\0', "delivered without answer");
  else
    FUZZ_CHECK(res.error[0] != '\0', "no reason");
}

static void check_retry_after(const char *ra, int64_t now_ms) {
  int64_t ms = qf_dialect_retry_after_ms(ra, now_ms), want;
  FUZZ_CHECK(ms >= 0 && ms <= QF_DIALECT_RETRY_MAX_MS, "delay %lld", (long long)ms);
  if (delta_expected(ra, &want))
    FUZZ_CHECK(ms == want, "\"%s\" gave %lld, not %lld", ra, (long long)ms,
               (long long)want);
}

static void check_render(const char *group, const char *text, uint64_t post) {
  qf_dialect_msg msg = {.post_id = post,
                        .group_id = group,
                        .url = "http://127.0.0.1/hook",
                        .kind = "post",
                        .text = text};
  qf_dialect_request req;
  qf_dialect_request_init(&req);
  for (int i = 0; i < 2; i++) { /* the second render reuses the buffers */
    if (qf_dialect_generic.render(&msg, &req) != 0)
      break;
    FUZZ_CHECK(strlen(req.body) == req.body_len, "body length");
    json_error_t err;
    json_t *j = json_loadb(req.body, req.body_len, 0, &err);
    FUZZ_CHECK(j != NULL, "body is not JSON: %s", err.text);
    FUZZ_CHECK(strcmp(json_string_value(json_object_get(j, "group")), group) == 0 &&
                   strcmp(json_string_value(json_object_get(j, "text")), text) == 0,
               "body does not hold the message");
    json_decref(j);
  }
  qf_dialect_request_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  qf_xfer xfer = (qf_xfer)(fuzz_take(&data, &size, 1) % (QF_XFER_OTHER + 1));
  long status = pick_status((uint16_t)fuzz_take(&data, &size, 2));
  /* A wall clock: any instant up to the year 3000 or so. */
  int64_t now_ms = (int64_t)(fuzz_take(&data, &size, 6) & ((UINT64_C(1) << 45) - 1));
  char *text = fuzz_strndup(data, size);
  char *nl = strchr(text, '\n');
  const char *ra = text, *body = nl ? nl + 1 : "";
  if (nl)
    *nl = '\0';
  size_t body_len = nl ? size - (size_t)(nl + 1 - text) : 0;

  check_classify(xfer, status, now_ms, ra, body, body_len);
  check_classify(xfer, status, now_ms, NULL, NULL, 0);
  check_retry_after(ra, now_ms);
  check_render(ra, body, (uint64_t)now_ms);
  free(text);
  return 0;
}
