/* libqunfa: the C client library of qunfa. Typed calls to the scheduler's client
 * API (service qunfa.Scheduler in proto/scheduler.proto) over the project's RPC
 * layer (NNG REQ/REP). The `qunfa` command-line tool is built on it.
 *
 * Types. The messages generated from proto/ (Qunfa__Group, Qunfa__DeliveryInfo,
 * Qunfa__ListGroupsReply, ...) are part of this interface: groups are passed in
 * and pages are handed out as those structs, so a caller includes nothing else
 * and nothing is copied twice. Build a Qunfa__Group with QUNFA__GROUP__INIT and
 * borrowed strings.
 *
 * Errors. Every function that can fail returns 0 or a negative qf code
 * (qf/err.h: QF_EINVAL for a request the scheduler rejected, QF_ETIMEDOUT when no
 * answer came within the client's timeout, e.g. because no scheduler listens,
 * QF_ENOMEM, ...). After a failure qunfa_last_error() holds one sentence for a
 * person: the scheduler's own words when it answered, else a local one.
 *
 * Memory. The library never aborts on allocation failure: it returns QF_ENOMEM.
 * Whatever it hands out is freed with the matching *_free function.
 *
 * Threads. A client is used by one thread at a time (its last error is per
 * client); open one client per thread for parallel calls. Each call waits for its
 * answer (at most the client's timeout). Every call may be retried: the scheduler
 * answers a repeated request as the first one, and upserting groups is idempotent;
 * qunfa_post_create retried after a timeout may create a second post. */
#ifndef QUNFA_H
#define QUNFA_H
#include <stddef.h>
#include <stdint.h>

#include "model.pb-c.h"
#include "qf/err.h"
#include "scheduler.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The scheduler's client address when none is given (qunfa-scheduler --listen). */
#define QUNFA_DEFAULT_SERVER "ipc:///tmp/qunfa-scheduler.sock"
/* The wait for each answer when none is given. */
#define QUNFA_DEFAULT_TIMEOUT_MS 10000
/* qunfa_groups_upsert sends at most this many groups per request. */
#define QUNFA_UPSERT_CHUNK 2000
/* The page size a list call uses when the caller passes limit 0. */
#define QUNFA_PAGE_DEFAULT 1000

/* A connection to one scheduler. Opaque. */
typedef struct qunfa_client qunfa_client;

/* A post, named by the scheduler at creation. */
typedef struct qunfa_post_id {
  uint64_t n;
} qunfa_post_id;

typedef struct qunfa_opts {
  int64_t timeout_ms;     /* wait for each answer; 0 = QUNFA_DEFAULT_TIMEOUT_MS */
  const char *auth_token; /* sent with every call (copied); NULL = none */
} qunfa_opts;

/* Counts of a post's deliveries by state. */
typedef struct qunfa_status {
  qunfa_post_id post;
  uint32_t total;
  uint32_t pending, leased, delivered, failed, expired, cancelled;
  int64_t due_ms; /* when the post is (or was) due, UTC ms */
} qunfa_status;

/* Opens a client of the scheduler at server_url (an NNG URL: ipc://, tcp://,
 * tls+tcp://; NULL = QUNFA_DEFAULT_SERVER). It dials in the background and
 * reconnects by itself, so an absent scheduler shows up as QF_ETIMEDOUT on the
 * first call, not here. opts may be NULL for the defaults. On 0, *out is the new
 * client, freed with qunfa_close. Errors: QF_EADDR (malformed url), QF_EINVAL
 * (negative timeout), QF_ENOMEM. On error *out is NULL and there is no client to
 * ask for a sentence: qf_strerror() names the code. */
int qunfa_open(qunfa_client **out, const char *server_url, const qunfa_opts *opts);

/* Closes the connection and frees the client. NULL is a no-op. */
void qunfa_close(qunfa_client *c);

/* The sentence of the last failed call on c: the scheduler's words ("audience:
 * unknown group g9") or a local one ("no answer from ipc:///x within 10000 ms").
 * "" before any failure. Borrowed: valid until the next call on c. */
const char *qunfa_last_error(const qunfa_client *c);

/* The address the client dials (as given, or the default). Borrowed. */
const char *qunfa_server_url(const qunfa_client *c);

/* Creates or replaces groups (by id) in requests of at most QUNFA_UPSERT_CHUNK.
 * groups is borrowed. The scheduler validates each group (qf_group_validate) and
 * rejects a whole request for one bad group. On 0, *applied (may be NULL) is n.
 * On error, *applied is how many groups of the leading chunks were stored before
 * the failing request: a failure part way leaves those in place, and sending the
 * same groups again is harmless (an upsert is idempotent). */
int qunfa_groups_upsert(qunfa_client *c, Qunfa__Group *const *groups, size_t n,
                        size_t *applied);

/* Fetches one page of groups in id order: those with id > after ("" or NULL =
 * from the start), at most limit (0 = QUNFA_PAGE_DEFAULT; the scheduler may cap
 * it). On 0, *page is handed over (free with qunfa_groups_page_free); its
 * `groups`/`n_groups` are the groups and `more` says whether another page
 * follows: pass the last id seen as the next `after`. */
int qunfa_groups_list(qunfa_client *c, const char *after, uint32_t limit,
                      Qunfa__ListGroupsReply **page);
/* Frees a page from qunfa_groups_list. NULL is a no-op. */
void qunfa_groups_page_free(Qunfa__ListGroupsReply *page);

/* Schedules a post of text (borrowed) to audience (borrowed: an expression as
 * in qf/audience.h: "all", "group:g1,g2", "tag:moms & !tag:vip") at at_ms (UTC ms; 0 =
 * now). On 0, *id is the new post's id and *total (may be NULL) the number of
 * deliveries it was expanded into. QF_EINVAL for an empty audience or text or one the
 * scheduler rejects. */
int qunfa_post_create(qunfa_client *c, const char *audience, const char *text,
                      int64_t at_ms, qunfa_post_id *id, uint32_t *total);

/* Priority classes of a post: a higher class is always sent first. */
typedef enum qunfa_priority {
  QUNFA_PRIORITY_NORMAL = 0,
  QUNFA_PRIORITY_URGENT = 1,
  QUNFA_PRIORITY_LIVE = 2,
  QUNFA_PRIORITY_BULK = 3,
} qunfa_priority;

/* What qunfa_post_create_with adds to a post; zero-initialise for the defaults. */
typedef struct qunfa_post_opts {
  int64_t at_ms;           /* UTC ms; 0 = now */
  qunfa_priority priority; /* default normal */
  int64_t expires_ms;      /* UTC ms after which nothing unsent goes out; 0 = never */
  int ignore_quiet;        /* urgent or live only: send during quiet hours */
  /* At most 128 bytes naming this post: creating again with the same key
   * answers the post made first (a script may retry safely). NULL = a fresh
   * random key, which still makes this one call's resends safe. */
  const char *idempotency_key;
} qunfa_post_opts;

/* Parses "urgent", "live", "normal" or "bulk" into *out. QF_EINVAL otherwise. */
int qunfa_priority_parse(const char *s, qunfa_priority *out);

/* qunfa_post_create with options (o may be NULL for the defaults). The
 * scheduler rejects (QF_EINVAL) an expiry not after now and the post's time,
 * and ignore_quiet on a normal or bulk post. */
int qunfa_post_create_with(qunfa_client *c, const char *audience, const char *text,
                           const qunfa_post_opts *o, qunfa_post_id *id,
                           uint32_t *total);

/* Fills *st with the counts of post's deliveries by state. QF_ENOTFOUND for an
 * unknown post. */
int qunfa_post_status(qunfa_client *c, qunfa_post_id post, qunfa_status *st);

/* What qunfa_post_cancel did. */
typedef struct qunfa_cancel {
  uint32_t cancelled; /* deliveries that will not be sent */
  uint32_t leased;    /* held by dispatchers at the cancel: these may still arrive */
  int was_done;       /* every delivery was final already: nothing changed */
} qunfa_cancel;

/* Cancels post: every delivery not yet leased becomes cancelled at once
 * (durably, before the answer); leased ones are not sent if their dispatcher has
 * not started them. Cancelling again is harmless. *out (may be NULL) says what
 * was done. QF_ENOTFOUND for an unknown post. */
int qunfa_post_cancel(qunfa_client *c, qunfa_post_id post, qunfa_cancel *out);

/* Fetches one page of post's deliveries in the order of its audience, at most
 * limit (0 = QUNFA_PAGE_DEFAULT): after_seq is 0 for the first page, then the
 * previous page's `next_seq`. On 0, *page is handed over (free with
 * qunfa_deliveries_page_free); its `more` says whether another page follows.
 * QF_ENOTFOUND for an unknown post. */
int qunfa_deliveries_list(qunfa_client *c, qunfa_post_id post, uint32_t after_seq,
                          uint32_t limit, Qunfa__ListDeliveriesReply **page);
/* Frees a page from qunfa_deliveries_list. NULL is a no-op. */
void qunfa_deliveries_page_free(Qunfa__ListDeliveriesReply *page);

/* Evaluates audience (borrowed) now without creating anything. On 0, *out is
 * handed over (free with qunfa_audience_preview_free): `count` groups match,
 * `sample` holds the first up to sample of them (0 = 10) in id order, `audience`
 * is the canonical text. QF_EINVAL for a bad expression (the sentence names the
 * position) or an unknown group. */
int qunfa_audience_preview(qunfa_client *c, const char *audience, uint32_t sample,
                           Qunfa__PreviewAudienceReply **out);
/* NULL is a no-op. */
void qunfa_audience_preview_free(Qunfa__PreviewAudienceReply *p);

/* Recurring posts. A schedule (Qunfa__Schedule) posts text to an audience at
 * every occurrence of a 5-field cron expression on the wall clock of an IANA
 * zone (qf/cron.h has the syntax and the DST rule); the audience is evaluated at
 * each occurrence. In what these calls hand out, `next_at_ms` is the next
 * occurrence that has not fired (UTC ms). */

/* Creates a schedule: cron (e.g. "0 8 * * *"), tz ("Asia/Shanghai"; NULL or ""
 * = UTC), audience and text, all borrowed. On 0, *out (may be NULL) is the new
 * schedule, handed over (free with qunfa_schedule_free). QF_EINVAL for a bad
 * expression, zone or audience (the sentence says which and where). */
int qunfa_schedule_create(qunfa_client *c, const char *cron, const char *tz,
                          const char *audience, const char *text,
                          Qunfa__Schedule **out);
/* One page of schedules in id order: ids above after (0 = from the start), at
 * most limit (0 = 100). *page is handed over (qunfa_schedules_page_free); pass
 * the last id seen as the next after while `more`. */
int qunfa_schedules_list(qunfa_client *c, uint64_t after, uint32_t limit,
                         Qunfa__ListSchedulesReply **page);
void qunfa_schedules_page_free(Qunfa__ListSchedulesReply *page);
/* Pause (the post of an occurrence not yet due is cancelled; no occurrence fires
 * while paused), resume (from the first occurrence after now) and delete
 * schedule id. Pausing a paused or resuming a running schedule changes nothing.
 * *out (may be NULL) is the schedule after the change (for delete: as it was).
 * QF_ENOTFOUND for an unknown id. */
int qunfa_schedule_pause(qunfa_client *c, uint64_t id, Qunfa__Schedule **out);
int qunfa_schedule_resume(qunfa_client *c, uint64_t id, Qunfa__Schedule **out);
int qunfa_schedule_delete(qunfa_client *c, uint64_t id, Qunfa__Schedule **out);
/* NULL is a no-op. */
void qunfa_schedule_free(Qunfa__Schedule *s);

/* Flash sales (docs/live-and-sales.md): reminders before the start, the
 * announcement at the start (urgent), nothing unsent after the end, a sold-out
 * follow-up to the groups that received the announcement when the stock
 * reaches 0. Zero-initialise the options; strings are borrowed. */
typedef struct qunfa_sale_opts {
  const char *item;
  const char *price;      /* as shown: "9.90" (digits, at most two decimals) */
  const char *orig_price; /* "99" */
  uint32_t stock;
  int64_t start_ms, end_ms; /* UTC ms; the end after now and the start */
  const char *audience;
  const char *link;         /* NULL = none */
  const int64_t *remind_ms; /* offsets before the start; a past one is dropped */
  size_t nremind;
} qunfa_sale_opts;

/* Creates a sale. On 0, *out (may be NULL) is the sale with its post ids,
 * handed over (free with qunfa_sale_free). QF_EINVAL for bad fields (the
 * sentence names which). */
int qunfa_sale_create(qunfa_client *c, const qunfa_sale_opts *o, Qunfa__Sale **out);
/* Sets the stock of sale; 0 sells it out (once: a sold-out sale's stock stays
 * 0). *out (may be NULL) as above. QF_ENOTFOUND for an unknown sale. */
int qunfa_sale_stock(qunfa_client *c, uint64_t sale, uint32_t stock, Qunfa__Sale **out);
/* Reads a sale. *out handed over. QF_ENOTFOUND for an unknown sale. */
int qunfa_sale_get(qunfa_client *c, uint64_t sale, Qunfa__Sale **out);
/* NULL is a no-op. */
void qunfa_sale_free(Qunfa__Sale *s);

/* Recalls post: nothing more of it is sent, and the messages sent are deleted
 * where the platform can (Telegram). On 0, *out is handed over (free with
 * qunfa_recall_free): `recall_post_id` is the post whose deliveries delete
 * (follow it with qunfa_post_status and qunfa_deliveries_list: a failed one
 * says why), `skipped` the delivered messages that cannot be deleted and why.
 * QF_ENOTFOUND for an unknown post. */
int qunfa_post_recall(qunfa_client *c, qunfa_post_id post, Qunfa__RecallReply **out);
/* NULL is a no-op. */
void qunfa_recall_free(Qunfa__RecallReply *r);

/* Live-share sessions (docs/live-and-sales.md): an opening message at at_ms,
 * segments appended live and relayed in order to every group, a closing
 * message. Zero-initialise the options; strings are borrowed. */
typedef struct qunfa_live_opts {
  const char *title, *guest, *audience;
  const char *open_text; /* NULL = made of title and guest */
  int64_t at_ms;         /* UTC ms; 0 = now */
  const int64_t *remind_ms;
  size_t nremind;
} qunfa_live_opts;

/* Opens a session; on 0 *id is its id. QF_EINVAL for bad fields. */
int qunfa_live_open(qunfa_client *c, const qunfa_live_opts *o, uint64_t *id);
/* Appends a segment (text borrowed); on 0 *segment (may be NULL) is its number
 * (the opening is 0). QF_ENOTFOUND for an unknown session, QF_EINVAL for a
 * closed one. */
int qunfa_live_say(qunfa_client *c, uint64_t id, const char *text, uint32_t *segment);
/* Appends the closing message (text NULL or "" = a default one) and closes. */
int qunfa_live_close(qunfa_client *c, uint64_t id, const char *text, uint32_t *segment);
/* The session's progress; *out handed over (qunfa_live_status_free). */
int qunfa_live_status(qunfa_client *c, uint64_t id, Qunfa__LiveStatusReply **out);
/* NULL is a no-op. */
void qunfa_live_status_free(Qunfa__LiveStatusReply *s);
/* Cancels session id as a whole: every delivery of it not yet sent (reminders,
 * opening, segments, closing) becomes cancelled, durably before the answer, and
 * nothing more can be appended (qunfa_live_say answers QF_EINVAL). Messages
 * already sent stay (recall them with qunfa_recall). *out (may be NULL) says
 * what was done; cancelling again is harmless (was_done set). QF_ENOTFOUND for
 * an unknown session. */
int qunfa_live_cancel(qunfa_client *c, uint64_t id, qunfa_cancel *out);

/* The lower-case name of a delivery state: "pending", "leased", "delivered",
 * "failed", "expired", "cancelled"; "unknown" for other values. Constant. */
const char *qunfa_delivery_state_name(Qunfa__DeliveryState state);

#ifdef __cplusplus
}
#endif
#endif
