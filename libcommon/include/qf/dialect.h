/* Chat-platform dialects: how one delivery becomes an HTTP request, and how the
 * platform's answer becomes an outcome. Pure code, no I/O: the dispatcher does the
 * sending and hands the answer back here to be judged.
 *
 * A dialect is two functions, render and classify, in its own file
 * (dialect_<name>.c) and listed once in dialect.c. Rendering reuses the
 * request's buffers, so a request kept per connection slot allocates only while
 * its buffers grow. Classification never fails: every answer, including "no
 * answer at all", maps to delivered, retry (with an optional delay the platform
 * asked for, clamped to [0, QF_DIALECT_RETRY_MAX_MS]) or failed (with a reason). */
#ifndef QF_DIALECT_H
#define QF_DIALECT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The outcome of one delivery attempt. Same order as the wire's Outcome. */
typedef enum qf_outcome {
  QF_OUTCOME_DELIVERED = 0,
  QF_OUTCOME_RETRY = 1,    /* transient: try again later */
  QF_OUTCOME_FAILED = 2,   /* permanent */
  QF_OUTCOME_RELEASED = 3, /* not attempted */
} qf_outcome;

/* How a transfer ended: with an HTTP answer (QF_XFER_OK, whatever its status)
 * or without one, and why. */
typedef enum qf_xfer {
  QF_XFER_OK = 0,
  QF_XFER_TIMEOUT, /* connect or total timeout */
  QF_XFER_REFUSED, /* could not connect */
  QF_XFER_DNS,     /* host name did not resolve */
  QF_XFER_TLS,     /* handshake or certificate verification failed */
  QF_XFER_NETWORK, /* connection broke: send/receive error, empty reply */
  QF_XFER_BADURL,  /* the url cannot be used (malformed, not http/https) */
  QF_XFER_OTHER,   /* anything else */
} qf_xfer;

/* A short constant name of x ("timeout", "connection refused", ...). */
const char *qf_xfer_name(qf_xfer x);

struct qf_sale_card; /* qf/salecard.h */

/* One delivery to render. Every pointer is borrowed for the call. */
typedef struct qf_dialect_msg {
  uint64_t post_id;
  const char *group_id;
  const char *url;  /* the group's webhook */
  const char *kind; /* content kind, "post" */
  const char *text;
  /* "text" (NULL or "" too) or "markdown"; a dialect whose platform has no
   * markdown message sends markdown as text. */
  const char *format;
  /* Wall clock for signatures (Feishu, DingTalk); 0 = read the clock. */
  int64_t now_ms;
  /* A flash sale's message, or NULL: a dialect whose platform has cards
   * renders it as one (docs/dialects.md, "Cards"); text is the same message
   * as plain text, and the size rule still applies to it. */
  const struct qf_sale_card *card;
} qf_dialect_msg;

#define QF_DIALECT_HEADERS_MAX 8
#define QF_DIALECT_HEADER_LEN 256

#define QF_DIALECT_ERROR_LEN 128

/* A rendered request: POST body to url with headers ("Name: value" lines).
 * url is borrowed from the rendered msg, or points into url_buf when the dialect
 * rewrote it (a secret taken out, a signature put in). body and url_buf are
 * owned, NUL-terminated, and kept across renders. When render refuses a
 * message, error says why (never a secret); otherwise it is "". */
typedef struct qf_dialect_request {
  const char *url;
  char *body;
  size_t body_len, body_cap;
  char headers[QF_DIALECT_HEADERS_MAX][QF_DIALECT_HEADER_LEN];
  size_t nheaders;
  char *url_buf;
  size_t url_cap;
  char error[QF_DIALECT_ERROR_LEN];
} qf_dialect_request;

void qf_dialect_request_init(qf_dialect_request *r);
/* Frees the body buffer; the struct can be initialised again. */
void qf_dialect_request_free(qf_dialect_request *r);
/* Forgets the previous render, keeping the buffers. */
void qf_dialect_request_reset(qf_dialect_request *r);
/* Appends a header line. QF_ETOOBIG when it does not fit or there are too many. */
int qf_dialect_request_header(qf_dialect_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Makes room for a body of n bytes plus the NUL; returns the buffer. */
char *qf_dialect_request_body(qf_dialect_request *r, size_t n);
/* Makes room for a url of n bytes plus the NUL in url_buf; returns it. */
char *qf_dialect_request_url(qf_dialect_request *r, size_t n);
/* Records why render refuses the message and returns QF_EINVAL. */
int qf_dialect_request_refuse(qf_dialect_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The answer to judge. Strings are borrowed for the call. */
typedef struct qf_dialect_answer {
  qf_xfer xfer;
  long status;             /* HTTP status when xfer == QF_XFER_OK */
  const char *retry_after; /* the Retry-After header's value, or NULL */
  const char *body;        /* the start of the response body (may be cut) */
  size_t body_len;
  int64_t now_ms; /* wall clock when the answer came, for HTTP-date forms */
  /* The response's header lines ("Name: value\r\n"...) as received, possibly
   * cut, or NULL: for platforms that say "slow down" in other headers. */
  const char *headers;
  size_t headers_len;
} qf_dialect_answer;

#define QF_DIALECT_RETRY_MAX_MS 3600000 /* one hour */
#define QF_DIALECT_MSGID_LEN 128

typedef struct qf_dialect_result {
  qf_outcome outcome;
  int64_t retry_after_ms; /* QF_OUTCOME_RETRY: delay asked for; 0 = backoff */
  /* QF_OUTCOME_RETRY: the platform's rate-limit answer (429, a "too fast"
   * code), not an outage: the scheduler learns a lower rate from it. */
  bool throttled;
  char error[QF_DIALECT_ERROR_LEN];           /* reason, "" when delivered */
  char platform_msg_id[QF_DIALECT_MSGID_LEN]; /* "" when the platform gave none */
} qf_dialect_result;

/* A platform's published limit: at most count messages per per_ms. A zero
 * count is no limit. (A limiter must pace at per_ms / count without burst.) */
typedef struct qf_dialect_rate {
  uint32_t count;
  int64_t per_ms;
} qf_dialect_rate;

#define QF_DIALECT_RATES_MAX 2

/* What a dialect's max_text counts. */
typedef enum qf_dialect_unit {
  QF_DIALECT_UNIT_NONE = 0, /* no limit known */
  QF_DIALECT_UNIT_BYTES,    /* UTF-8 bytes of the text */
  QF_DIALECT_UNIT_UTF16,    /* UTF-16 code units (a character past U+FFFF is 2) */
  QF_DIALECT_UNIT_CHARS,    /* Unicode code points */
  QF_DIALECT_UNIT_BODY,     /* bytes of the whole rendered request body */
} qf_dialect_unit;

typedef struct qf_dialect {
  const char *name;
  /* Renders msg into req (reset first). QF_EINVAL when msg cannot be sent in
   * this dialect (text that is not UTF-8, too long, a url without what the
   * dialect needs), with the reason in req->error; nothing else fails. */
  int (*render)(const qf_dialect_msg *msg, qf_dialect_request *req);
  /* Judges ans into res (every field set). */
  void (*classify)(const qf_dialect_answer *ans, qf_dialect_result *res);

  /* ---- the platform's published defaults (zero: none known) ---- */

  /* Per group: each of these holds for one group's webhook. */
  qf_dialect_rate group_rates[QF_DIALECT_RATES_MAX];
  /* Per sending account (bot) shared by all its groups; see account. */
  qf_dialect_rate account_rates[QF_DIALECT_RATES_MAX];
  /* Text longer than this, counted in text_unit, is refused by render (the
   * rule is to refuse, never to split or cut: docs/dialects.md). max_markdown
   * is the same for format "markdown". */
  size_t max_text, max_markdown;
  qf_dialect_unit text_unit;
  /* Writes the key of the account that sends for the group at url into out
   * (NUL-terminated, never the secret itself: a digest of it), and returns 0;
   * QF_EINVAL when url names no account. NULL when account_rates is empty. */
  int (*account)(const char *url, char *out, size_t len);
} qf_dialect;

/* The generic webhook: POST {"group":G,"post":"P","kind":K,"text":T} as JSON with
 * Idempotency-Key: P:G. 2xx delivered; 429 retry honouring Retry-After; 5xx and
 * transport errors retry; other statuses failed with "http <status>". */
extern const qf_dialect qf_dialect_generic;

/* The platforms (docs/dialects.md): WeCom group robot, Feishu/Lark custom bot,
 * DingTalk custom robot, Telegram Bot API sendMessage, Slack incoming webhook. */
extern const qf_dialect qf_dialect_wecom;
extern const qf_dialect qf_dialect_feishu;
extern const qf_dialect qf_dialect_dingtalk;
extern const qf_dialect qf_dialect_telegram;
extern const qf_dialect qf_dialect_slack;

/* A custom gateway over NNG REQ/REP at the group's url (ipc://, tcp://):
 * the body is a packed GatewaySend and the answer body a packed GatewayReply
 * (proto/gateway.proto). Sent by the dispatcher's NNG transport, not HTTP. */
extern const qf_dialect qf_dialect_nng;

/* The dialect called name, or NULL. */
const qf_dialect *qf_dialect_find(const char *name);

/* ---- helpers for dialects ---- */

/* A Retry-After value (delta-seconds, or an HTTP-date judged against now_ms) as
 * a delay in ms clamped to [0, QF_DIALECT_RETRY_MAX_MS]. NULL, empty or garbage
 * is 0 (use the scheduler's backoff). */
int64_t qf_dialect_retry_after_ms(const char *value, int64_t now_ms);

/* Judges an answer without HTTP status (ans->xfer != QF_XFER_OK): a bad url is
 * failed, everything else retry after the scheduler's backoff. */
void qf_dialect_classify_xfer(const qf_dialect_answer *ans, qf_dialect_result *res);

/* Sets res to outcome with a formatted reason and no delay. */
void qf_dialect_result_set(qf_dialect_result *res, qf_outcome outcome, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));

#endif
