/* What the platform dialects (dialect_<platform>.c) share: the JSON body and
 * headers every platform gets, the size rule, urls that carry a secret in a
 * query parameter, HMAC-SHA256 signatures (OpenSSL), reading a JSON answer and
 * wording a reason.
 *
 * Invariant: a reason built here comes from the platform's answer only (its
 * code and message), and words that look like tokens are masked, so a secret
 * the platform echoes back still never reaches a result or a log line. */
#ifndef QF_DIALECT_UTIL_H
#define QF_DIALECT_UTIL_H
#include "qf/dialect.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* base64 of a 32-byte digest: 44 characters and the NUL. */
#define QF_DIALECT_SIGN_LEN 45

/* Serialises j (borrowed) as the request body. QF_EINVAL when jansson cannot. */
int qf_dialect_util_body(const json_t *j, qf_dialect_request *req);

/* The end of every platform's render: j (handed over; NULL means the message
 * could not be built, refused with why_null) becomes the body, then the common
 * headers are added. 0 or QF_EINVAL (reason in req->error). */
int qf_dialect_util_finish(json_t *j, const char *why_null, const qf_dialect_msg *msg,
                           qf_dialect_request *req);

/* Adds the headers every platform request carries: JSON in UTF-8 and
 * Idempotency-Key: <post>:<group> (platforms ignore it; receivers that
 * dedupe, like the simulator, use it). */
int qf_dialect_util_headers(const qf_dialect_msg *msg, qf_dialect_request *req);

/* The length of text in unit, or -1 when text is not valid UTF-8.
 * QF_DIALECT_UNIT_NONE and QF_DIALECT_UNIT_BODY count bytes. */
long qf_dialect_util_count(const char *text, qf_dialect_unit unit);

/* The size rule (docs/dialects.md): text that is not UTF-8 or longer than d's
 * limit for msg's format is refused with a reason naming both sizes. 0 or
 * QF_EINVAL (reason in req->error). */
int qf_dialect_util_check_text(const qf_dialect *d, const qf_dialect_msg *msg,
                               qf_dialect_request *req);

/* True when msg asks for markdown. */
bool qf_dialect_util_is_markdown(const qf_dialect_msg *msg);

/* Copies url into req->url_buf without the query parameter name (every
 * occurrence) and points req->url at it. The parameter's value, percent-decoded,
 * goes to val (NUL-terminated). Returns 1 when it was there, 0 when not (val is
 * ""), QF_EINVAL when its value does not fit in vlen. */
int qf_dialect_util_url_take(const char *url, const char *name, char *val, size_t vlen,
                             qf_dialect_request *req);

/* Appends "?" or "&" and then the formatted text to req->url_buf. */
void qf_dialect_util_url_append(qf_dialect_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Percent-encodes s (RFC 3986 unreserved characters stay) into out. Returns
 * QF_EINVAL when it does not fit. */
int qf_dialect_util_urlencode(const char *s, char *out, size_t len);

/* base64(HMAC-SHA256(key, msg)) into out (QF_DIALECT_SIGN_LEN bytes). 0 or
 * QF_EINTERNAL when OpenSSL fails. */
int qf_dialect_util_sign(const void *key, size_t key_len, const void *msg,
                         size_t msg_len, char out[QF_DIALECT_SIGN_LEN]);

/* An account key for a secret: prefix, ':' and the first 16 hex digits of
 * SHA-256(secret), so limiter keys never hold the secret. 0 or QF_EINVAL when
 * out is too small. */
int qf_dialect_util_account_key(const char *prefix, const char *secret,
                                size_t secret_len, char *out, size_t len);

/* s with &, < and > written as &amp;, &lt; and &gt; (what Telegram's HTML and
 * Slack's mrkdwn need escaped) into out. false when it does not fit. */
bool qf_dialect_util_escape_html(const char *s, char *out, size_t len);

/* The answer body as a JSON object (new reference), or NULL. */
json_t *qf_dialect_util_answer_json(const qf_dialect_answer *ans);

/* Copies the value of the response header name (case-insensitive) into out
 * and returns true, or false when the answer has no such header. */
bool qf_dialect_util_header(const qf_dialect_answer *ans, const char *name, char *out,
                            size_t len);

/* An integer member of an object, as in {"errcode":45009}: true and *out when
 * key holds an integer. */
bool qf_dialect_util_int(const json_t *obj, const char *key, long long *out);

/* Sets res to outcome with the reason "<who> <code>: <message>" (": <message>"
 * left out when message is NULL or empty), cut on a UTF-8 boundary, with
 * token-like words masked. */
void qf_dialect_util_reason(qf_dialect_result *res, qf_outcome outcome, const char *who,
                            long long code, const char *message);

/* Judges an answer by its HTTP status alone: 2xx delivered; 429 and 503 retry
 * honouring Retry-After; other 5xx retry; anything else failed. The reason is
 * "<who> http <status>" plus the first line of a short plain-text body. */
void qf_dialect_util_by_status(const qf_dialect_answer *ans, const char *who,
                               qf_dialect_result *res);

/* For platforms whose every answer carries a result code, an answer without
 * one (a proxy's, a gateway's): judged by status, except that a 2xx is retry,
 * since the message may or may not have gone out and a retry is at worst a
 * duplicate. */
void qf_dialect_util_no_code(const qf_dialect_answer *ans, const char *who,
                             qf_dialect_result *res);

/* A platform code worth a retry, how long to wait (0: the scheduler's backoff)
 * and whether it means "slow down" (a rate limit) rather than "busy". */
typedef struct qf_dialect_retry_code {
  long long code;
  int64_t retry_after_ms;
  bool throttled;
} qf_dialect_retry_code;

/* Classifies the answer of a platform that reports in a JSON body field errcode
 * with errmsg (WeCom, DingTalk): 0 is delivered, a code in retry is a retry after
 * its delay, any other code failed; reasons read "<who> errcode N: errmsg". */
void qf_dialect_util_classify_errcode(const qf_dialect_answer *ans, const char *who,
                                      const qf_dialect_retry_code *retry, size_t nretry,
                                      qf_dialect_result *res);

#endif
