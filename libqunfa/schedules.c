/* Recurring posts: create, list, pause, resume, delete. */
#include "client.h"

/* Detaches the schedule of a reply (handed over) and frees the rest. */
static Qunfa__Schedule *detach(ProtobufCMessage *reply, Qunfa__Schedule **field) {
  Qunfa__Schedule *s = *field;
  *field = NULL;
  protobuf_c_message_free_unpacked(reply, NULL);
  return s;
}

int qunfa_schedule_create(qunfa_client *c, const char *cron, const char *tz,
                          const char *audience, const char *text,
                          Qunfa__Schedule **out) {
  Qunfa__CreateScheduleRequest req = QUNFA__CREATE_SCHEDULE_REQUEST__INIT;
  ProtobufCMessage *reply;
  Qunfa__CreateScheduleReply *r;
  int rc;

  if (out)
    *out = NULL;
  if (!cron || !*cron)
    return qunfa_client_fail(c, QF_EINVAL, "the cron expression is empty");
  if (!audience || !*audience)
    return qunfa_client_fail(c, QF_EINVAL, "the audience is empty");
  if (!text || !*text)
    return qunfa_client_fail(c, QF_EINVAL, "the text is empty");
  req.cron = (char *)cron;
  req.tz = (char *)(tz ? tz : "");
  req.audience = (char *)audience;
  req.text = (char *)text;
  if ((rc = qunfa_client_call(c, "CreateSchedule", &req.base, &reply)) != 0)
    return rc;
  r = (Qunfa__CreateScheduleReply *)reply;
  if (!r->schedule) {
    protobuf_c_message_free_unpacked(reply, NULL);
    return qunfa_client_fail(c, QF_EPROTO, "the scheduler answered without a schedule");
  }
  Qunfa__Schedule *s = detach(reply, &r->schedule);
  if (out)
    *out = s;
  else
    qunfa_schedule_free(s);
  return 0;
}

int qunfa_schedules_list(qunfa_client *c, uint64_t after, uint32_t limit,
                         Qunfa__ListSchedulesReply **page) {
  Qunfa__ListSchedulesRequest req = QUNFA__LIST_SCHEDULES_REQUEST__INIT;
  ProtobufCMessage *reply;
  int rc;

  *page = NULL;
  req.after = after;
  req.limit = limit;
  if ((rc = qunfa_client_call(c, "ListSchedules", &req.base, &reply)) != 0)
    return rc;
  *page = (Qunfa__ListSchedulesReply *)reply;
  return 0;
}

void qunfa_schedules_page_free(Qunfa__ListSchedulesReply *page) {
  if (page)
    protobuf_c_message_free_unpacked(&page->base, NULL);
}

static int change(qunfa_client *c, const char *method, uint64_t id,
                  Qunfa__Schedule **out) {
  Qunfa__ScheduleRef req = QUNFA__SCHEDULE_REF__INIT;
  ProtobufCMessage *reply;
  Qunfa__ScheduleReply *r;
  int rc;

  if (out)
    *out = NULL;
  req.schedule_id = id;
  if ((rc = qunfa_client_call(c, method, &req.base, &reply)) != 0)
    return rc;
  r = (Qunfa__ScheduleReply *)reply;
  if (!r->schedule) {
    protobuf_c_message_free_unpacked(reply, NULL);
    return qunfa_client_fail(c, QF_EPROTO, "the scheduler answered without a schedule");
  }
  Qunfa__Schedule *s = detach(reply, &r->schedule);
  if (out)
    *out = s;
  else
    qunfa_schedule_free(s);
  return 0;
}

int qunfa_schedule_pause(qunfa_client *c, uint64_t id, Qunfa__Schedule **out) {
  return change(c, "PauseSchedule", id, out);
}

int qunfa_schedule_resume(qunfa_client *c, uint64_t id, Qunfa__Schedule **out) {
  return change(c, "ResumeSchedule", id, out);
}

int qunfa_schedule_delete(qunfa_client *c, uint64_t id, Qunfa__Schedule **out) {
  return change(c, "DeleteSchedule", id, out);
}

void qunfa_schedule_free(Qunfa__Schedule *s) {
  if (s)
    protobuf_c_message_free_unpacked(&s->base, NULL);
}
