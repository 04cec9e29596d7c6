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

/* One delivery to render. Every pointer is borrowed for the call. */
typedef struct qf_dialect_msg {
  uint64_t post_id;
  const char *group_id;
  const char *url;  /* the group's webhook */
  const char *kind; /* content kind, "post" */
  const char *text;
} qf_dialect_msg;

#define QF_DIALECT_HEADERS_MAX 8
#define QF_DIALECT_HEADER_LEN 256

/* A rendered request: POST body to url with headers ("Name: value" lines).
 * url is borrowed from the rendered msg. body is owned, NUL-terminated, and
 * kept across renders. */
typedef struct qf_dialect_request {
  const char *url;
  char *body;
  size_t body_len, body_cap;
  char headers[QF_DIALECT_HEADERS_MAX][QF_DIALECT_HEADER_LEN];
  size_t nheaders;
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

/* The answer to judge. Strings are borrowed for the call. */
typedef struct qf_dialect_answer {
  qf_xfer xfer;
  long status;             /* HTTP status when xfer == QF_XFER_OK */
  const char *retry_after; /* the Retry-After header's value, or NULL */
  const char *body;        /* the start of the response body (may be cut) */
  size_t body_len;
  int64_t now_ms; /* wall clock when the answer came, for HTTP-date forms */
} qf_dialect_answer;

#define QF_DIALECT_RETRY_MAX_MS 3600000 /* one hour */
#define QF_DIALECT_ERROR_LEN 128
#define QF_DIALECT_MSGID_LEN 128

typedef struct qf_dialect_result {
  qf_outcome outcome;
  int64_t retry_after_ms;           /* QF_OUTCOME_RETRY: delay asked for; 0 = backoff */
  char error[QF_DIALECT_ERROR_LEN]; /* reason, "" when delivered */
  char platform_msg_id[QF_DIALECT_MSGID_LEN]; /* "" when the platform gave none */
} qf_dialect_result;

typedef struct qf_dialect {
  const char *name;
  /* Renders msg into req (reset first). QF_EINVAL when msg cannot be sent in
   * this dialect (e.g. text that is not UTF-8); nothing else fails. */
  int (*render)(const qf_dialect_msg *msg, qf_dialect_request *req);
  /* Judges ans into res (every field set). */
  void (*classify)(const qf_dialect_answer *ans, qf_dialect_result *res);
} qf_dialect;

/* The generic webhook: POST {"group":G,"post":"P","kind":K,"text":T} as JSON with
 * Idempotency-Key: P:G. 2xx delivered; 429 retry honouring Retry-After; 5xx and
 * transport errors retry; other statuses failed with "http <status>". */
extern const qf_dialect qf_dialect_generic;

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
