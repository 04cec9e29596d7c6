/* libFuzzer target: every platform dialect's answer classifier (qf/dialect.h), which
 * reads what a chat platform sent back (status, Retry-After, a JSON body with the
 * platform's error codes), and each dialect's account key, read from a webhook url.
 *
 * Input: one byte choosing the dialect, one for the transfer result, two for the
 * HTTP status (a table of interesting ones, or any 16-bit value), six for the wall
 * clock, then the Retry-After value, a newline, and the body; the same text is
 * also read as a webhook url.
 *
 * Properties: every answer maps to delivered, retry or failed with terminated
 * strings; delivered only with an HTTP answer and without a reason; a delay is only
 * asked for a retry and lies in [0, QF_DIALECT_RETRY_MAX_MS]; an account key is
 * terminated inside its buffer. */
#include "fuzz.h"

#include "qf/dialect.h"

static const char *const names[] = {"generic",  "wecom",    "feishu",
                                    "dingtalk", "telegram", "slack"};
#define N_NAMES (sizeof names / sizeof names[0])

static const long statuses[] = {200, 201, 204, 400, 401, 403, 404,
                                413, 429, 500, 502, 503, 504};

static long pick_status(uint16_t v) {
  if (v < 0x8000)
    return statuses[v % (sizeof statuses / sizeof statuses[0])];
  return (long)(int16_t)v;
}

static void check_classify(const qf_dialect *d, const qf_dialect_answer *ans) {
  qf_dialect_result res;
  memset(&res, 0x5a, sizeof res); /* every field must be set */
  d->classify(ans, &res);
  FUZZ_CHECK(res.outcome == QF_OUTCOME_DELIVERED || res.outcome == QF_OUTCOME_RETRY ||
                 res.outcome == QF_OUTCOME_FAILED,
             "%s: outcome %d", d->name, (int)res.outcome);
  FUZZ_CHECK(memchr(res.error, '\0', sizeof res.error) != NULL, "%s: reason", d->name);
  FUZZ_CHECK(memchr(res.platform_msg_id, '\0', sizeof res.platform_msg_id) != NULL,
             "%s: message id unterminated", d->name);
  FUZZ_CHECK(res.retry_after_ms >= 0 && res.retry_after_ms <= QF_DIALECT_RETRY_MAX_MS,
             "%s: delay %lld", d->name, (long long)res.retry_after_ms);
  FUZZ_CHECK(res.retry_after_ms == 0 || res.outcome == QF_OUTCOME_RETRY,
             "%s: delay on a final outcome", d->name);
  if (res.outcome == QF_OUTCOME_DELIVERED)
    FUZZ_CHECK(ans->xfer == QF_XFER_OK && res.error[0] == '\0',
               "%s: delivered without an answer or with a reason", d->name);
  else
    FUZZ_CHECK(res.error[0] != '\0', "%s: no reason", d->name);
}

static void check_account(const qf_dialect *d, const char *url) {
  if (!d->account)
    return;
  char key[64];
  memset(key, 'X', sizeof key);
  if (d->account(url, key, sizeof key) == 0)
    FUZZ_CHECK(memchr(key, '\0', sizeof key) != NULL, "%s: account key", d->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192)
    return 0;
  const qf_dialect *d = qf_dialect_find(names[fuzz_take(&data, &size, 1) % N_NAMES]);
  if (!d)
    return 0; /* a dialect this build does not have */
  qf_dialect_answer ans = {0};
  ans.xfer = (qf_xfer)(fuzz_take(&data, &size, 1) % (QF_XFER_OTHER + 1));
  ans.status = pick_status((uint16_t)fuzz_take(&data, &size, 2));
  ans.now_ms = (int64_t)(fuzz_take(&data, &size, 6) & ((UINT64_C(1) << 45) - 1));
  char *text = fuzz_strndup(data, size);
  char *nl = strchr(text, '\n');
  if (nl)
    *nl = '\0';
  ans.retry_after = text;
  /* The body is bytes, not a string: exactly sized, no terminator to lean on. */
  size_t body_len = nl ? size - (size_t)(nl + 1 - text) : 0;
  char *body = malloc(body_len ? body_len : 1);
  FUZZ_CHECK(body != NULL, "malloc");
  if (body_len)
    memcpy(body, nl + 1, body_len);
  ans.body = body;
  ans.body_len = body_len;

  check_classify(d, &ans);
  ans.retry_after = NULL;
  ans.body = NULL;
  ans.body_len = 0;
  check_classify(d, &ans);
  check_account(d, text);
  free(body);
  free(text);
  return 0;
}
