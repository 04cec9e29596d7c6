/* The schedules in memory (sorted by id), their events (a min-heap with one
 * timer: make the next occurrence's post, or count the last one as fired) and
 * every change to a record. The client calls are in schedules_rpc.c. */
#include "schedules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "commit.h"
#include "db.h"
#include "heap.h"
#include "posts.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "recur.h"
#include "schedules_int.h"

/* ---- records ---- */

Qunfa__Schedule *sch_rec_copy(const Qunfa__Schedule *r) {
  size_t n = protobuf_c_message_get_packed_size(&r->base);
  uint8_t *buf = qf_malloc(n ? n : 1);
  Qunfa__Schedule *c;
  protobuf_c_message_pack(&r->base, buf);
  c = qunfa__schedule__unpack(NULL, n, buf);
  free(buf);
  if (c == NULL)
    abort(); /* what we packed does not unpack: our own bug */
  return c;
}

Qunfa__Schedule sch_display(const entry *e, int64_t now) {
  Qunfa__Schedule d = *e->rec;
  if (d.pending_post_id != 0 && d.pending_at_ms > now)
    d.next_at_ms = d.pending_at_ms;
  return d;
}

/* ---- the table ---- */

entry *sch_find(schedules *m, uint64_t id) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (m->v[mid]->rec->id == id)
      return m->v[mid];
    if (m->v[mid]->rec->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

size_t sch_index_after(const schedules *m, uint64_t after) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (m->v[mid]->rec->id <= after)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

entry *sch_add(schedules *m, Qunfa__Schedule *rec) {
  entry *e = qf_calloc(1, sizeof(*e));
  char why[300];
  size_t at = sch_index_after(m, rec->id);
  e->rec = rec;
  if (qf_cron_parse(rec->cron, &e->cron, why, sizeof why) != 0 ||
      qf_tz_load(rec->tz[0] ? rec->tz : "UTC", &e->tz, why, sizeof why) != 0) {
    /* Checked at creation: only a changed tzdata gets here. */
    qf_log_error("schedule_unusable", "schedule=%llu why=\"%s\"",
                 (unsigned long long)rec->id, why);
    e->tz = NULL;
  }
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 16;
    m->v = qf_realloc(m->v, m->cap * sizeof(*m->v));
  }
  memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(*m->v));
  m->v[at] = e;
  m->n++;
  return e;
}

static void entry_free(entry *e) {
  qunfa__schedule__free_unpacked(e->rec, NULL);
  qf_cron_free(e->cron);
  free(e);
}

static void remove_entry(schedules *m, entry *e) {
  size_t at = sch_index_after(m, e->rec->id) - 1;
  memmove(m->v + at, m->v + at + 1, (m->n - at - 1) * sizeof(*m->v));
  m->n--;
  entry_free(e);
}

/* ---- events ---- */

static void on_timer(uv_timer_t *t);

static int64_t event_of(const entry *e) {
  if (e->rec->paused || e->tz == NULL || e->deleted)
    return 0;
  if (e->rec->pending_post_id != 0)
    return e->rec->pending_at_ms + SCHEDULES_CLEAR_MS;
  return e->rec->next_at_ms > 0 ? e->rec->next_at_ms - SCHEDULES_LEAD_MS : 0;
}

static void arm_timer(schedules *m) {
  heap_item it;
  if (!heap_peek(&m->events, &it) || m->closing)
    return;
  if (m->armed_ms != 0 && m->armed_ms <= it.at_ms)
    return;
  m->armed_ms = it.at_ms;
  sched_timer_at(&m->timer, on_timer, it.at_ms);
}

void sch_arm(schedules *m, entry *e) {
  e->event_ms = event_of(e);
  if (e->event_ms == 0)
    return;
  heap_push(&m->events, (heap_item){e->event_ms, NULL, e->rec->id});
  arm_timer(m);
}

/* ---- changes ---- */

typedef struct change {
  schedules *m;
  uint64_t id;
  Qunfa__Schedule *next; /* NULL: deleted */
  sch_done_fn done;
  void *arg;
} change;

static void run_waiting(schedules *m, entry *e, int status);

static void on_written(int status, void *arg) {
  change *c = arg;
  schedules *m = c->m;
  entry *e = sch_find(m, c->id);
  if (e == NULL) { /* cannot happen: one change at a time */
    if (c->next)
      qunfa__schedule__free_unpacked(c->next, NULL);
    free(c);
    return;
  }
  e->busy = false;
  if (status == 0 && c->next != NULL) {
    qunfa__schedule__free_unpacked(e->rec, NULL);
    e->rec = c->next;
  } else if (c->next != NULL) {
    qunfa__schedule__free_unpacked(c->next, NULL);
    qf_log_error("schedule_not_stored", "schedule=%llu err=%s",
                 (unsigned long long)c->id, qf_errname(status));
  }
  if (status == 0 && c->next == NULL)
    e->deleted = true;
  if (c->done)
    c->done(status, e, c->arg);
  free(c);
  if (e->deleted) {
    run_waiting(m, e, QF_ENOTFOUND);
    remove_entry(m, e);
    return;
  }
  if (status != 0 && !m->closing)
    e->retry_ms = qf_clock_now_ms() + 1000; /* the event is tried again */
  sch_arm(m, e);
  run_waiting(m, e, status);
}

void sch_write(schedules *m, entry *e, const Qunfa__Schedule *next, sch_done_fn done,
               void *arg) {
  change *c = qf_calloc(1, sizeof(*c));
  qf_kv_batch *b = commit_batch(m->s->client);
  c->m = m;
  c->id = e->rec->id;
  c->done = done;
  c->arg = arg;
  if (next != NULL) {
    c->next = sch_rec_copy(next);
    db_put_schedule(b, c->next);
  } else {
    db_del_schedule(b, c->id);
  }
  e->busy = true;
  e->event_ms = 0; /* re-armed after the commit */
  commit_defer(m->s->client, on_written, c);
}

/* Runs the calls that waited for e's change in flight, until one starts another
 * change. After a failed commit they fail alike. */
static void run_waiting(schedules *m, entry *e, int status) {
  while (e->waiting != NULL && !e->busy) {
    sch_op *op = e->waiting;
    e->waiting = op->next;
    if (status != 0 || m->closing)
      qf_rpc_reply_error(op->call, status ? status : QF_EUNAVAIL, "schedule %llu: %s",
                         (unsigned long long)op->id,
                         status == QF_ENOTFOUND ? "not found" : qf_strerror(status));
    else
      op->run(m, e, op->call);
    free(op);
  }
}

void sch_cancel_pending(schedules *m, Qunfa__Schedule *next, int64_t now) {
  cancel_result r;
  if (next->pending_post_id == 0 || next->pending_at_ms <= now)
    return;
  if (cancel_post(m->s, next->pending_post_id, &r) != 0)
    qf_log_warn("schedule_cancel_failed", "schedule=%llu post=%llu",
                (unsigned long long)next->id,
                (unsigned long long)next->pending_post_id);
  next->pending_post_id = 0;
  next->pending_at_ms = 0;
}

/* ---- occurrences ---- */

static void post_made(int status, void *arg) {
  (void)status; /* the schedule's own change, in the same commit, reports */
  (void)arg;
}

/* Makes a post of e at due_ms into the current batch. Returns its id, or 0 with
 * a sentence in why. */
static uint64_t make_post(schedules *m, entry *e, int64_t due_ms, char *why,
                          size_t len) {
  posts_new pn = {.audience = e->rec->audience,
                  .content_id = e->rec->content_id.data,
                  .due_ms = due_ms,
                  .schedule_id = e->rec->id};
  uint64_t post = 0;
  if (e->rec->content_id.len != 32) {
    snprintf(why, len, "schedule record without a content id");
    return 0;
  }
  if (posts_create_stored(m->s, &pn, post_made, NULL, &post, why, len) != 0)
    return 0;
  return post;
}

/* Lead time before the next occurrence: its post is made now. */
static void materialize(schedules *m, entry *e) {
  Qunfa__Schedule next = *e->rec;
  char why[400] = "";
  int64_t at = e->rec->next_at_ms;
  uint64_t post = make_post(m, e, at, why, sizeof why);
  if (post != 0) {
    next.pending_at_ms = at;
    next.pending_post_id = post;
    next.last_error = "";
    qf_log_info("schedule_post", "schedule=%llu post=%llu at_ms=%lld",
                (unsigned long long)e->rec->id, (unsigned long long)post,
                (long long)at);
  } else {
    next.last_error = why;
    qf_log_warn("schedule_occurrence_skipped", "schedule=%llu at_ms=%lld why=\"%s\"",
                (unsigned long long)e->rec->id, (long long)at, why);
  }
  if (qf_cron_next_in(e->cron, e->tz, at, &next.next_at_ms) != 0)
    next.next_at_ms = 0; /* never again (cannot happen for a parsed expression) */
  sch_write(m, e, &next, NULL, NULL);
}

/* The pending post's time has passed: it fired. */
static void clear_pending(schedules *m, entry *e) {
  Qunfa__Schedule next = *e->rec;
  next.last_at_ms = e->rec->pending_at_ms;
  next.last_post_id = e->rec->pending_post_id;
  next.pending_at_ms = 0;
  next.pending_post_id = 0;
  sch_write(m, e, &next, NULL, NULL);
}

static void on_event(schedules *m, entry *e) {
  if (m->s->stopping)
    return;
  if (e->rec->pending_post_id != 0)
    clear_pending(m, e);
  else
    materialize(m, e);
}

static void on_timer(uv_timer_t *t) {
  schedules *m = t->data;
  int64_t now = qf_clock_now_ms();
  heap_item it;
  m->armed_ms = 0;
  while (heap_peek(&m->events, &it) && it.at_ms <= now) {
    entry *e;
    heap_pop(&m->events, &it);
    e = sch_find(m, it.u);
    /* Stale: the schedule changed (or went) since this event was queued. */
    if (e == NULL || e->busy || e->event_ms != it.at_ms)
      continue;
    if (e->retry_ms > now) { /* its last change failed: wait a little */
      e->event_ms = e->retry_ms;
      heap_push(&m->events, (heap_item){e->event_ms, NULL, e->rec->id});
      continue;
    }
    on_event(m, e);
  }
  arm_timer(m);
}

/* ---- start-up ---- */

static void log_missed(const Qunfa__Schedule *r, const recur_plan *p) {
  qf_log_warn("schedule_missed",
              "schedule=%llu first_missed_ms=%lld skipped=%u%s fired_for_ms=%lld",
              (unsigned long long)r->id, (long long)p->missed_first, p->skipped,
              p->skipped >= RECUR_COUNT_MAX ? "+" : "",
              (long long)(p->fire           ? p->fire_for
                          : p->keep_pending ? r->pending_at_ms
                                            : 0));
}

/* Applies the catch-up rule to e after a downtime. */
static void catch_up(schedules *m, entry *e, int64_t now) {
  Qunfa__Schedule next = *e->rec;
  recur_plan p;
  char why[400] = "";
  uint64_t pending = e->rec->pending_post_id;
  int rc = recur_catch_up(e->cron, e->tz, pending ? e->rec->pending_at_ms : 0,
                          e->rec->next_at_ms, now, m->s->catch_up_ms, &p);
  if (rc != 0 || p.missed_first == 0)
    return;
  log_missed(e->rec, &p);
  if (p.cancel_pending) {
    cancel_result r;
    cancel_post(m->s, pending, &r);
    next.pending_at_ms = 0;
    next.pending_post_id = 0;
  }
  if (p.fire) {
    uint64_t post = make_post(m, e, now, why, sizeof why);
    next.pending_at_ms = post ? now : 0;
    next.pending_post_id = post;
    next.last_error = post ? "" : why;
  }
  next.next_at_ms = p.next_at;
  sch_write(m, e, &next, NULL, NULL);
}

typedef struct load_ctx {
  schedules *m;
  int err;
} load_ctx;

static int load_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  load_ctx *c = arg;
  Qunfa__Schedule *rec = qunfa__schedule__unpack(NULL, val->len, val->data);
  (void)key;
  if (rec == NULL) {
    c->err = QF_EPROTO;
    return 1;
  }
  sch_add(c->m, rec);
  return 0;
}

int schedules_load(schedules *m) {
  load_ctx c = {m, 0};
  qf_kv_txn *txn = NULL;
  int64_t now = qf_clock_now_ms();
  int rc;
  if ((rc = db_get_next_schedule_id(m->s->kv, &m->next_id)) != 0 ||
      (rc = qf_kv_read_begin(m->s->kv, &txn)) != 0)
    return rc;
  rc = qf_kv_scan(txn, DB_SCHEDULES, NULL, 0, NULL, 0, load_one, &c);
  qf_kv_read_end(txn);
  if (rc < 0 || (rc = c.err) != 0) {
    qf_log_error("start_failed", "what=schedules err=%s", qf_errname(rc));
    return rc;
  }
  for (size_t i = 0; i < m->n; i++) {
    entry *e = m->v[i];
    if (!e->rec->paused && e->tz != NULL)
      catch_up(m, e, now);
    if (!e->busy)
      sch_arm(m, e);
  }
  qf_log_info("schedules_loaded", "schedules=%zu", m->n);
  return 0;
}

/* ---- life ---- */

schedules *schedules_new(sched *s) {
  schedules *m = qf_calloc(1, sizeof(*m));
  m->s = s;
  m->next_id = 1;
  uv_timer_init(s->loop, &m->timer);
  m->timer.data = m;
  return m;
}

static void on_closed(uv_handle_t *h) {
  schedules *m = h->data;
  for (size_t i = 0; i < m->n; i++) {
    run_waiting(m, m->v[i], QF_EUNAVAIL);
    entry_free(m->v[i]);
  }
  free(m->v);
  heap_free(&m->events);
  free(m);
}

void schedules_close(schedules *m) {
  if (m == NULL)
    return;
  m->closing = true;
  uv_close((uv_handle_t *)&m->timer, on_closed);
}
