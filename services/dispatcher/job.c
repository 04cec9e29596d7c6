#include "job.h"

#include "recall.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/template.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct batch batch;

typedef struct job {
  content_waiter w; /* first: a waiter is its job */
  batch *b;
  const Qunfa__Lease *lease;
  const qf_dialect *dialect;
} job;

/* One Lease reply and its jobs. */
struct batch {
  jobs *js;
  Qunfa__LeaseReply *reply;
  size_t refs; /* jobs not yet ended, plus one while starting them */
  job job[];
};

/* Posts the scheduler said were cancelled (Lease replies list those of the last
 * lease period), newest last: a lease of one is not started. */
#define CANCELLED_MAX 256

struct jobs {
  jobs_opts o;
  const metrics *m;
  unsigned active, waiting;
  bool draining;
  uint64_t cancelled[CANCELLED_MAX];
  size_t ncancelled;
};

static bool is_cancelled(const jobs *js, uint64_t post) {
  for (size_t i = js->ncancelled; i-- > 0;)
    if (js->cancelled[i] == post)
      return true;
  return false;
}

static void note_cancelled(jobs *js, const Qunfa__LeaseReply *reply) {
  for (size_t i = 0; i < reply->n_cancelled_posts; i++) {
    uint64_t post = reply->cancelled_posts[i];
    if (is_cancelled(js, post))
      continue;
    if (js->ncancelled == CANCELLED_MAX) {
      memmove(js->cancelled, js->cancelled + 1,
              (CANCELLED_MAX - 1) * sizeof js->cancelled[0]);
      js->ncancelled--;
    }
    js->cancelled[js->ncancelled++] = post;
  }
}

static void batch_unref(batch *b) {
  if (--b->refs > 0)
    return;
  protobuf_c_message_free_unpacked(&b->reply->base, NULL);
  free(b);
}

/* Ends jb with a result. */
static void job_end(job *jb, const qf_dialect_result *res) {
  jobs *js = jb->b->js;
  const Qunfa__Lease *l = jb->lease;
  report_result r = {
      .lease_id = l->lease_id,
      .attempt = l->attempt,
      .post_id = l->post_id,
      .seq = l->seq,
      .outcome = res->outcome,
      .retry_after_ms = res->retry_after_ms,
      .throttled = res->throttled,
      .done_ms = qf_clock_now_ms(),
  };
  snprintf(r.error, sizeof r.error, "%s", res->error);
  snprintf(r.platform_msg_id, sizeof r.platform_msg_id, "%s", res->platform_msg_id);
  reporter_add(js->o.reporter, &r);
  qf_counter_add(js->m->outcomes[res->outcome], 1);
  qf_log_debug("result",
               "post=%" PRIu64 " seq=%" PRIu32 " lease=%" PRIu64
               " outcome=%d error=\"%s\"",
               l->post_id, l->seq, l->lease_id, (int)res->outcome, res->error);
  js->active--;
  batch_unref(jb->b);
  js->o.on_free(js->o.arg);
}

static void job_end_with(job *jb, qf_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void job_end_with(job *jb, qf_outcome o, const char *fmt, ...) {
  qf_dialect_result res = {.outcome = o};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res.error, sizeof res.error, fmt, ap);
  va_end(ap);
  job_end(jb, &res);
}

static void on_sent(const qf_dialect_result *res, void *arg) {
  job_end(arg, res);
}

/* Time left for a send, or <= 0 when the lease must not be started. */
static int64_t time_left_ms(const Qunfa__Lease *l) {
  return l->deadline_ms - qf_clock_now_ms() - JOB_DEADLINE_MARGIN_MS;
}

/* text rendered for the lease's group into *out (caller frees), or *out NULL
 * when the text has no template. A text that does not render was refused when
 * it was posted; this only guards against an older scheduler. */
static int render_text(const Qunfa__Lease *l, const char *text, char **out,
                       char why[QF_DIALECT_ERROR_LEN]) {
  *out = NULL;
  if (text == NULL || !qf_template_has_vars(text))
    return 0;
  qf_template_vars vars = {
      .group_id = l->group->id,
      .group_name = l->group->name,
      .post_id = l->post_id,
      .tags = l->group->tags,
      .ntags = l->group->n_tags,
  };
  size_t len;
  return qf_template_render(text, &vars, out, &len, why, QF_DIALECT_ERROR_LEN);
}

/* The content rendered for one group: the text and, for a sale's card, the
 * fields an operator wrote (item, link), which may hold per-group variables
 * as the text does. */
typedef struct rendered {
  char *text, *item, *link; /* owned; NULL: as in the content */
  qf_sale_card card;
} rendered;

static int render_content(const Qunfa__Lease *l, const content_view *v, rendered *r,
                          char why[QF_DIALECT_ERROR_LEN]) {
  memset(r, 0, sizeof *r);
  int rc = render_text(l, v->text, &r->text, why);
  if (rc != 0 || v->card == NULL)
    return rc;
  r->card = *v->card;
  if ((rc = render_text(l, v->card->item, &r->item, why)) != 0 ||
      (rc = render_text(l, v->card->link, &r->link, why)) != 0)
    return rc;
  r->card.item = r->item ? r->item : r->card.item;
  r->card.link = r->link ? r->link : r->card.link;
  return 0;
}

static void rendered_free(rendered *r) {
  free(r->text);
  free(r->item);
  free(r->link);
}

/* Sends msg rendered by d (jb's dialect, or its recall) within left ms. */
static void job_transmit(job *jb, const qf_dialect *d, const qf_dialect_msg *msg,
                         int64_t left) {
  char why[QF_DIALECT_ERROR_LEN] = "";
  int64_t timeout = left < JOB_SEND_TIMEOUT_MS ? left : JOB_SEND_TIMEOUT_MS;
  /* The sender copies what it needs before it returns. */
  const transport *t = transports_pick(jb->b->js->o.transports, jb->dialect);
  int rc = t->send(t->impl, d, msg, timeout, on_sent, jb, why);
  if (rc == QF_EINVAL && why[0])
    job_end_with(jb, QF_OUTCOME_FAILED, "%s", why);
  else if (rc == QF_EINVAL)
    job_end_with(jb, QF_OUTCOME_FAILED, "content cannot be sent in dialect %s",
                 jb->dialect->name);
  else if (rc != 0)
    job_end_with(jb, QF_OUTCOME_RETRY, "dispatcher: %s", qf_strerror(rc));
}

/* A recall: deletes the group's message named by the lease. */
static void job_recall(job *jb, int64_t left) {
  const Qunfa__Lease *l = jb->lease;
  const qf_dialect *d = recall_dialect(jb->dialect);
  if (d == NULL) {
    job_end_with(jb, QF_OUTCOME_FAILED, "dialect %s cannot delete a message",
                 jb->dialect->name);
    return;
  }
  qf_dialect_msg msg = {
      .post_id = l->post_id,
      .group_id = l->group->id,
      .url = l->group->url,
      .kind = RECALL_KIND,
      .text = l->platform_msg_id ? l->platform_msg_id : "",
      .now_ms = qf_clock_now_ms(),
  };
  job_transmit(jb, d, &msg, left);
}

static void job_send(job *jb, const content_view *v) {
  const Qunfa__Lease *l = jb->lease;
  int64_t left = time_left_ms(l);
  if (left <= 0) {
    job_end_with(jb, QF_OUTCOME_RELEASED, "lease deadline too close to send");
    return;
  }
  if (v->kind != NULL && strcmp(v->kind, RECALL_KIND) == 0) {
    job_recall(jb, left);
    return;
  }
  char why[QF_DIALECT_ERROR_LEN] = "";
  rendered r;
  if (render_content(l, v, &r, why) != 0) {
    job_end_with(jb, QF_OUTCOME_FAILED, "template: %s", why);
    rendered_free(&r);
    return;
  }
  qf_dialect_msg msg = {
      .post_id = l->post_id,
      .group_id = l->group->id,
      .url = l->group->url,
      .kind = v->kind,
      .text = r.text ? r.text : v->text,
      .now_ms = qf_clock_now_ms(),
      .card = v->card ? &r.card : NULL,
  };
  job_transmit(jb, jb->dialect, &msg, left);
  rendered_free(&r);
}

static void on_content(content_waiter *w, int status, const content_view *v) {
  job *jb = (job *)w;
  jb->b->js->waiting--;
  qf_gauge_add(jb->b->js->m->leases_waiting_content, -1);
  switch (status) {
  case 0:
    if (is_cancelled(jb->b->js, jb->lease->post_id))
      job_end_with(jb, QF_OUTCOME_RELEASED, "post cancelled");
    else
      job_send(jb, v);
    break;
  case QF_ENOTFOUND:
    job_end_with(jb, QF_OUTCOME_FAILED, "content not found in the store");
    break;
  case QF_ETIMEDOUT:
    job_end_with(jb, QF_OUTCOME_RELEASED, "content not fetched before the deadline");
    break;
  default:
    job_end_with(jb, QF_OUTCOME_RELEASED, "dispatcher draining");
    break;
  }
}

/* Checks what the scheduler sent before acting on it. */
static const char *lease_problem(const Qunfa__Lease *l) {
  if (!l->group || !l->group->id || !l->group->url)
    return "lease without a group";
  if (l->content_id.len != QF_SHA256_LEN)
    return "lease with a content id that is not 32 bytes";
  return NULL;
}

static void job_start(job *jb) {
  jobs *js = jb->b->js;
  const Qunfa__Lease *l = jb->lease;
  const char *why = lease_problem(l);
  if (why) {
    job_end_with(jb, QF_OUTCOME_FAILED, "%s", why);
    return;
  }
  if (js->draining) {
    job_end_with(jb, QF_OUTCOME_RELEASED, "dispatcher draining");
    return;
  }
  if (is_cancelled(js, l->post_id)) {
    job_end_with(jb, QF_OUTCOME_RELEASED, "post cancelled");
    return;
  }
  jb->dialect = qf_dialect_find(l->group->dialect);
  if (!jb->dialect) {
    job_end_with(jb, QF_OUTCOME_FAILED, "unknown dialect \"%.40s\"", l->group->dialect);
    return;
  }
  if (time_left_ms(l) <= 0) {
    job_end_with(jb, QF_OUTCOME_RELEASED, "lease deadline too close to send");
    return;
  }
  if (l->text != NULL && l->text[0] != '\0') {
    /* A live session's segments coalesced by the scheduler: sent as they are. */
    content_view lv = {.kind = "post", .text = l->text};
    job_send(jb, &lv);
    return;
  }
  jb->w.ready = on_content;
  jb->w.deadline_ms = l->deadline_ms - JOB_DEADLINE_MARGIN_MS;
  content_view v;
  if (content_get(js->o.content, l->content_id.data, &jb->w, &v)) {
    job_send(jb, &v);
    return;
  }
  js->waiting++;
  qf_gauge_add(js->m->leases_waiting_content, 1);
}

void jobs_take(jobs *js, Qunfa__LeaseReply *reply) {
  size_t n = reply->n_leases;
  note_cancelled(js, reply);
  if (n == 0) {
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return;
  }
  batch *b = qf_calloc(1, sizeof *b + n * sizeof(job));
  b->js = js;
  b->reply = reply;
  b->refs = n + 1;
  js->active += (unsigned)n;
  for (size_t i = 0; i < n; i++) {
    b->job[i].b = b;
    b->job[i].lease = reply->leases[i];
    job_start(&b->job[i]);
  }
  content_flush(js->o.content);
  batch_unref(b);
}

unsigned jobs_credit(const jobs *js) {
  return js->active >= js->o.concurrency ? 0 : js->o.concurrency - js->active;
}

unsigned jobs_active(const jobs *js) {
  return js->active;
}

void jobs_drain(jobs *js) {
  js->draining = true;
  content_cancel_all(js->o.content);
}

int jobs_new(jobs **out, const jobs_opts *opts, const metrics *m) {
  jobs *js = qf_calloc(1, sizeof *js);
  js->o = *opts;
  js->m = m;
  *out = js;
  return 0;
}

void jobs_free(jobs *js) {
  free(js);
}
