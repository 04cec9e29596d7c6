#include "audiences.h"

#include <stdio.h>
#include <stdlib.h>

#include "groups.h"
#include "qf/alloc.h"
#include "qf/audience.h"
#include "qf/err.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"

typedef struct preview {
  uint32_t count;
  char **sample;
  size_t n, max;
} preview;

static int count_one(const char *id, void *arg) {
  preview *p = arg;
  p->count++;
  if (p->n < p->max)
    p->sample[p->n++] = qf_strdup(id);
  return 0;
}

int audiences_eval(sched *s, const char *text, qf_audience_id_fn emit, void *arg,
                   char **canon, char *why, size_t len) {
  qf_audience *a = NULL;
  qf_kv_txn *txn = NULL;
  qf_audience_source src;
  int rc;
  if ((rc = qf_audience_parse(text, &a, why, len)) != 0)
    return rc;
  *canon = qf_audience_format(a);
  if ((rc = qf_kv_read_begin(s->kv, &txn)) == 0) {
    src = groups_source(txn);
    rc = qf_audience_eval(a, &src, emit, arg, why, len);
    qf_kv_read_end(txn);
  }
  if (rc < 0 && rc != QF_EINVAL)
    snprintf(why, len, "groups could not be read: %s", qf_strerror(rc));
  qf_audience_free(a);
  return rc;
}

void audiences_on_preview(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  const Qunfa__PreviewAudienceRequest *req = (const Qunfa__PreviewAudienceRequest *)msg;
  Qunfa__PreviewAudienceReply reply = QUNFA__PREVIEW_AUDIENCE_REPLY__INIT;
  preview p = {0};
  char why[400] = "", *canon = NULL;
  int rc;
  p.max = req->sample == 0                     ? AUDIENCES_SAMPLE_DEFAULT
          : req->sample > AUDIENCES_SAMPLE_MAX ? AUDIENCES_SAMPLE_MAX
                                               : req->sample;
  p.sample = qf_malloc(p.max * sizeof(*p.sample));
  rc = audiences_eval(arg, req->audience, count_one, &p, &canon, why, sizeof why);
  if (rc != 0) {
    qf_rpc_reply_error(call, rc, "%s", why);
  } else {
    reply.count = p.count;
    reply.sample = p.sample;
    reply.n_sample = p.n;
    reply.audience = canon;
    qf_rpc_reply(call, &reply.base);
  }
  for (size_t i = 0; i < p.n; i++)
    free(p.sample[i]);
  free(p.sample);
  free(canon);
}
