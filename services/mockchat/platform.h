/* A simulated chat platform: which request paths are its own, how it checks a
 * request (rejecting a malformed one the way the real platform does), and how
 * it words acceptance and "slow down". One module per platform (generic.c,
 * wecom.c, feishu.c, dingtalk.c, telegram.c, slack.c); hook.c routes a request
 * to the first platform whose match() takes its path and runs the shared
 * pipeline (scripts, faults, limits, record) around these functions.
 *
 * A request that passes decode names its target (the robot, hook or chat the
 * platform's limits are counted on, prefixed with the dialect) and the group it
 * is for: the qunfa group named by the Idempotency-Key header ("<post>:<group>",
 * which every qunfa dialect sends and platforms ignore), else the target. */
#ifndef MOCKCHAT_PLATFORM_H
#define MOCKCHAT_PLATFORM_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limiter.h"
#include "message.h"
#include "secrets.h"

#define MC_TARGET_MAX 320
#define MC_GROUP_MAX 320 /* holds a target */
#define MC_WHY_MAX 256

/* What arrived. Everything is borrowed for the call. */
typedef struct mc_request {
  const char *path;  /* percent-encoded, without the query */
  const char *query; /* the part after '?', or NULL */
  const char *body;
  size_t len;
  const char *idem_key; /* the Idempotency-Key header, or NULL */
  int64_t now_ms;       /* wall clock, for signature timestamps */
  const secrets *secrets;
} mc_request;

typedef enum mc_op {
  MC_OP_SEND = 0,
  MC_OP_RECALL, /* delete message recall_id of the target */
} mc_op;

/* A decoded request. Lives on the heap for as long as the request is served
 * (it may be answered later); its strings point into doc and the buffers. */
typedef struct mc_message {
  mc_op op;
  chat_msg m;                 /* what the record keeps */
  char target[MC_TARGET_MAX]; /* "<dialect>:<robot, hook or chat>" */
  char bot[MC_TARGET_MAX];    /* "<dialect>-bot:<token>" for per-bot limits, or "" */
  uint64_t recall_id;
  json_t *doc; /* the parsed body, or NULL */
  char group_buf[MC_GROUP_MAX];
  char post_buf[64];
  json_t *chat_id; /* Telegram: the chat as sent (borrowed from doc) */
} mc_message;

/* An answer: status, body (owned) and at most one extra header. */
typedef struct mc_reply {
  uint16_t status;
  char *body;
  const char *content_type; /* NULL = application/json */
  const char *hname;        /* NULL = none */
  char hvalue[64];
} mc_reply;

typedef struct mc_platform {
  const char *name;
  /* True when path (percent-encoded) is one of this platform's endpoints. */
  bool (*match)(const char *path);
  /* Checks the request. 0: *m is filled (op, m, target, ...). Otherwise the
   * platform's rejection is in *rej. */
  int (*decode)(const mc_request *rq, mc_message *m, mc_reply *rej);
  /* The answer to an accepted message, which got platform message id id. */
  void (*accepted)(const mc_message *m, uint64_t id, int64_t now_ms, mc_reply *out);
  /* The platform's rate-limit answer; wait_ms is how long until it would accept
   * (0 when unknown). */
  void (*throttled)(const mc_message *m, int64_t wait_ms, mc_reply *out);
  /* The answer to a recall (rc from board_recall); NULL: no recall API. */
  void (*recalled)(const mc_message *m, int rc, mc_reply *out);
  /* The platform's published limits per target and per bot (real time; the
   * limiter scales them) and the silence after a violation. */
  mc_rate target_rates[MC_RATES_MAX];
  mc_rate bot_rates[MC_RATES_MAX];
  int64_t silence_ms;
} mc_platform;

extern const mc_platform mc_generic, mc_wecom, mc_feishu, mc_dingtalk, mc_telegram,
    mc_slack;

/* The platform whose match() takes path, or NULL. */
const mc_platform *mc_platform_route(const char *path);

/* ---- helpers for platforms ---- */

/* Sets r to status with o (a reference taken over) as the compact JSON body. */
void mc_reply_json(mc_reply *r, uint16_t status, json_t *o);
/* Sets r to status with a plain-text body. */
void mc_reply_text(mc_reply *r, uint16_t status, const char *text);
/* Sets r's extra header to name: ceil(wait_ms / 1000) seconds, at least 1. */
void mc_reply_retry_after(mc_reply *r, const char *name, int64_t wait_ms);
/* Frees the body; r can be set again. */
void mc_reply_clear(mc_reply *r);
/* Seconds to announce for a wait: ceil(wait_ms / 1000), at least 1. */
int64_t mc_wait_seconds(int64_t wait_ms);

/* Parses the body as a JSON object (rejecting duplicate keys and invalid
 * UTF-8) into *out. false with a sentence in why otherwise. */
bool mc_body_object(const mc_request *rq, json_t **out, char *why, size_t wlen);
/* The string at o[name], or NULL when absent or not a string. */
const char *mc_str(const json_t *o, const char *name);
/* Copies the percent-decoded value of query parameter name into out ('+' is
 * taken literally, as the dialects encode). false when absent or too long. */
bool mc_query_get(const char *query, const char *name, char *out, size_t len);
/* Percent-decodes s[0..n) into out (at most len-1 bytes and the NUL); with
 * plus_is_space, '+' becomes ' ' (query strings). false when it does not fit. */
bool mc_pct_decode(const char *s, size_t n, char *out, size_t len, bool plus_is_space);
/* Copies the percent-decoded path segment s[0..n) into out. false when it
 * does not fit, is empty, or holds '/' or NUL once decoded. */
bool mc_path_segment(const char *s, size_t n, char *out, size_t len);

/* Fills m's group, post and idempotency key from rq's Idempotency-Key
 * ("<post>:<group>"), else names the group after the target. Sets
 * m->m.dialect to dialect and m->m.text/kind to text/kind (borrowed). */
void mc_identify(mc_message *m, const mc_request *rq, const char *dialect,
                 const char *kind, const char *text);

/* base64(HMAC-SHA256(key, msg)) into out (45 bytes). */
void mc_hmac_b64(const void *key, size_t klen, const void *msg, size_t mlen,
                 char out[45]);
/* Constant-time string comparison. */
bool mc_same(const char *a, const char *b);
/* The number of UTF-16 code units of UTF-8 text (invalid bytes count 1). */
size_t mc_utf16_len(const char *s);
/* The number of code points of UTF-8 text. */
size_t mc_chars(const char *s);

#endif
