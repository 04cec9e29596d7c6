/* The schedule calls of the client API: CreateSchedule (validated; its text put
 * into the content store first), ListSchedules (paged by id), PauseSchedule,
 * ResumeSchedule, DeleteSchedule. Each answers after the commit holding it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audiences.h"
#include "commit.h"
#include "db.h"
#include "groups.h"
#include "posts.h"
#include "qf/alloc.h"
#include "qf/audience.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "schedules.h"
#include "schedules_int.h"
#include "store.pb-c.h"

#define TEXT_MAX (64 * 1024)
#define LIST_DEFAULT 100
#define LIST_MAX 1000

static void reply_schedule(qf_rpc_call *call, const entry *e) {
  Qunfa__ScheduleReply reply = QUNFA__SCHEDULE_REPLY__INIT;
  Qunfa__Schedule d = sch_display(e, qf_clock_now_ms());
  reply.schedule = &d;
  qf_rpc_reply(call, &reply.base);
}

/* ---- CreateSchedule ---- */

typedef struct creating {
  schedules *m;
  qf_rpc_call *call;
  Qunfa__Schedule rec; /* strings owned below */
  char *audience, *cron, *tz;
  uint8_t content_id[32];
} creating;

static void creating_free(creating *c) {
  free(c->audience);
  free(c->cron);
  free(c->tz);
  free(c);
}

static int no_emit(const char *id, void *arg) {
  (void)id;
  (void)arg;
  return 0;
}

/* The audience parses and names no unknown group (it may match none yet: groups
 * and tags can come before its first occurrence). */
static int check_audience(sched *s, const char *text, char **canon, char *why,
                          size_t len) {
  return audiences_eval(s, text, no_emit, NULL, canon, why, len);
}

/* Checks the request into c; a sentence in why otherwise. */
static int check_create(creating *c, const Qunfa__CreateScheduleRequest *req, char *why,
                        size_t len) {
  qf_cron *cron = NULL;
  const qf_tz *tz = NULL;
  size_t n = req->text ? strlen(req->text) : 0;
  int64_t now = qf_clock_now_ms();
  int rc;
  if (n == 0 || n > TEXT_MAX) {
    snprintf(why, len, "text: %zu bytes; 1 to %d", n, TEXT_MAX);
    return n ? QF_ETOOBIG : QF_EINVAL;
  }
  if ((rc = qf_cron_parse(req->cron, &cron, why, len)) != 0)
    return rc;
  c->tz = qf_strdup(req->tz && req->tz[0] ? req->tz : "UTC");
  if ((rc = qf_tz_load(c->tz, &tz, why, len)) == 0 &&
      (rc = check_audience(c->m->s, req->audience, &c->audience, why, len)) == 0 &&
      (rc = qf_cron_next_in(cron, tz, now, &c->rec.next_at_ms)) != 0)
    snprintf(why, len, "cron: no occurrence ahead");
  qf_cron_free(cron);
  c->cron = qf_strdup(req->cron);
  return rc;
}

static void on_created(int status, void *arg) {
  creating *c = arg;
  entry *e;
  if (status != 0) {
    qf_rpc_reply_error(c->call, status, "schedule not stored: %s", qf_strerror(status));
    creating_free(c);
    return;
  }
  e = sch_add(c->m, sch_rec_copy(&c->rec));
  qf_log_info("schedule_created", "schedule=%llu cron=\"%s\" tz=%s next_at_ms=%lld",
              (unsigned long long)c->rec.id, c->cron, c->tz,
              (long long)c->rec.next_at_ms);
  Qunfa__CreateScheduleReply reply = QUNFA__CREATE_SCHEDULE_REPLY__INIT;
  Qunfa__Schedule d = sch_display(e, qf_clock_now_ms());
  reply.schedule = &d;
  qf_rpc_reply(c->call, &reply.base);
  sch_arm(c->m, e);
  creating_free(c);
}

static void write_schedule(creating *c) {
  schedules *m = c->m;
  qf_kv_batch *b = commit_batch(m->s->client);
  c->rec.id = m->next_id++;
  c->rec.cron = c->cron;
  c->rec.tz = c->tz;
  c->rec.audience = c->audience;
  c->rec.content_id.data = c->content_id;
  c->rec.content_id.len = sizeof c->content_id;
  c->rec.created_ms = qf_clock_now_ms();
  db_put_next_schedule_id(b, m->next_id);
  db_put_schedule(b, &c->rec);
  commit_defer(m->s->client, on_created, c);
}

static void on_stored(int status, const char *err, ProtobufCMessage *msg, void *arg) {
  creating *c = arg;
  Qunfa__PutReply *reply = (Qunfa__PutReply *)msg;
  c->m->s->store_calls--;
  if (status != 0) {
    qf_rpc_reply_error(c->call, QF_EUNAVAIL, "content store: %s",
                       err ? err : qf_strerror(status));
    creating_free(c);
    return;
  }
  if (reply->n_ids != 1 || reply->ids[0].len != sizeof c->content_id) {
    qf_rpc_reply_error(c->call, QF_EPROTO, "content store answered without an id");
    creating_free(c);
  } else {
    memcpy(c->content_id, reply->ids[0].data, sizeof c->content_id);
    write_schedule(c);
  }
  protobuf_c_message_free_unpacked(msg, NULL);
}

void schedules_on_create(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__CreateScheduleRequest *req = (const Qunfa__CreateScheduleRequest *)msg;
  Qunfa__Content item = QUNFA__CONTENT__INIT;
  Qunfa__Content *items[1] = {&item};
  Qunfa__PutRequest put = QUNFA__PUT_REQUEST__INIT;
  creating *c;
  char why[400] = "";
  int rc;
  if (s->stopping || s->store == NULL) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  c = qf_calloc(1, sizeof(*c));
  c->m = s->sch;
  c->call = call;
  qunfa__schedule__init(&c->rec);
  if ((rc = check_create(c, req, why, sizeof why)) != 0) {
    qf_rpc_reply_error(call, rc, "%s", why);
    creating_free(c);
    return;
  }
  item.kind = "post";
  item.text = req->text;
  put.items = items;
  put.n_items = 1;
  rc = qf_rpc_call_async(s->store, &qunfa__store__descriptor, 0, &put.base,
                         POSTS_STORE_TIMEOUT_MS, on_stored, c);
  if (rc != 0) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "content store: %s", qf_strerror(rc));
    creating_free(c);
    return;
  }
  s->store_calls++;
}

/* ---- ListSchedules ---- */

void schedules_on_list(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  schedules *m = s->sch;
  const Qunfa__ListSchedulesRequest *req = (const Qunfa__ListSchedulesRequest *)msg;
  Qunfa__ListSchedulesReply reply = QUNFA__LIST_SCHEDULES_REPLY__INIT;
  size_t from = sch_index_after(m, req->after), limit, n;
  int64_t now = qf_clock_now_ms();
  Qunfa__Schedule *v, **ptrs;
  limit = req->limit == 0         ? LIST_DEFAULT
          : req->limit > LIST_MAX ? LIST_MAX
                                  : req->limit;
  n = m->n - from < limit ? m->n - from : limit;
  v = qf_malloc((n + 1) * sizeof(*v));
  ptrs = qf_malloc((n + 1) * sizeof(*ptrs));
  for (size_t i = 0; i < n; i++) {
    v[i] = sch_display(m->v[from + i], now);
    ptrs[i] = &v[i];
  }
  reply.schedules = ptrs;
  reply.n_schedules = n;
  reply.more = from + n < m->n;
  qf_rpc_reply(call, &reply.base);
  free(v);
  free(ptrs);
}

/* ---- Pause, Resume, Delete ---- */

static void on_changed(int status, entry *e, void *arg) {
  qf_rpc_call *call = arg;
  if (status != 0)
    qf_rpc_reply_error(call, status, "schedule %llu not changed: %s",
                       (unsigned long long)e->rec->id, qf_strerror(status));
  else
    reply_schedule(call, e);
}

static void run_pause(schedules *m, entry *e, qf_rpc_call *call) {
  Qunfa__Schedule next = *e->rec;
  if (e->rec->paused) {
    reply_schedule(call, e);
    return;
  }
  next.paused = true;
  sch_cancel_pending(m, &next, qf_clock_now_ms());
  qf_log_info("schedule_paused", "schedule=%llu", (unsigned long long)next.id);
  sch_write(m, e, &next, on_changed, call);
}

static void run_resume(schedules *m, entry *e, qf_rpc_call *call) {
  Qunfa__Schedule next = *e->rec;
  if (!e->rec->paused) {
    reply_schedule(call, e);
    return;
  }
  next.paused = false;
  if (e->tz == NULL ||
      qf_cron_next_in(e->cron, e->tz, qf_clock_now_ms(), &next.next_at_ms) != 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "schedule %llu: its zone \"%s\" is unknown",
                       (unsigned long long)next.id, next.tz);
    return;
  }
  qf_log_info("schedule_resumed", "schedule=%llu next_at_ms=%lld",
              (unsigned long long)next.id, (long long)next.next_at_ms);
  sch_write(m, e, &next, on_changed, call);
}

static void run_delete(schedules *m, entry *e, qf_rpc_call *call) {
  Qunfa__Schedule next = *e->rec;
  sch_cancel_pending(m, &next, qf_clock_now_ms());
  qf_log_info("schedule_deleted", "schedule=%llu", (unsigned long long)next.id);
  /* The reply shows the schedule as it was. */
  sch_write(m, e, NULL, on_changed, call);
}

static void on_ref(qf_rpc_call *call, const ProtobufCMessage *msg, sched *s,
                   void (*run)(schedules *m, entry *e, qf_rpc_call *call)) {
  const Qunfa__ScheduleRef *req = (const Qunfa__ScheduleRef *)msg;
  entry *e = sch_find(s->sch, req->schedule_id);
  sch_op *op;
  if (e == NULL || e->deleted) {
    qf_rpc_reply_error(call, QF_ENOTFOUND, "schedule %llu not found",
                       (unsigned long long)req->schedule_id);
    return;
  }
  if (s->stopping) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  if (!e->busy) {
    run(s->sch, e, call);
    return;
  }
  op = qf_calloc(1, sizeof(*op));
  op->id = req->schedule_id;
  op->call = call;
  op->run = run;
  sch_op **pp = &e->waiting;
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = op;
}

void schedules_on_pause(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  on_ref(call, msg, arg, run_pause);
}

void schedules_on_resume(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  on_ref(call, msg, arg, run_resume);
}

void schedules_on_delete(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  on_ref(call, msg, arg, run_delete);
}
