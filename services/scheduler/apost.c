#include "apost.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "metrics.h"
#include "qf/alloc.h"

uint8_t apost_rank_of(int priority) {
  switch (priority) {
  case QUNFA__PRIORITY__PRIORITY_URGENT:
    return RANK_URGENT;
  case QUNFA__PRIORITY__PRIORITY_LIVE:
    return RANK_LIVE;
  case QUNFA__PRIORITY__PRIORITY_BULK:
    return RANK_BULK;
  default:
    return RANK_NORMAL;
  }
}

apost *apost_new(const Qunfa__Post *rec) {
  apost *p = qf_calloc(1, sizeof(*p));
  p->id = rec->id;
  if (rec->content_id.len == sizeof p->content_id)
    memcpy(p->content_id, rec->content_id.data, sizeof p->content_id);
  p->audience = qf_strdup(rec->audience ? rec->audience : "");
  p->due_ms = rec->due_ms;
  p->created_ms = rec->created_ms;
  p->total = rec->total;
  p->schedule_id = rec->schedule_id;
  p->cancelled = rec->cancelled;
  p->priority = (uint8_t)rec->priority;
  p->rank = apost_rank_of(rec->priority);
  p->ignore_quiet = rec->ignore_quiet;
  p->expires_ms = rec->expires_ms;
  p->d = qf_calloc(p->total ? p->total : 1, sizeof(*p->d));
  p->refs = 1;
  return p;
}

void apost_ref(apost *p) {
  p->refs++;
}

void apost_unref(apost *p) {
  if (p == NULL || --p->refs > 0)
    return;
  for (uint32_t i = 0; i < p->loaded; i++) {
    free(p->d[i].last_error);
    free(p->d[i].msg_id);
  }
  free(p->d);
  free(p->arena);
  free(p->rq);
  free(p->audience);
  free(p);
}

static uint32_t arena_add(apost *p, const char *s) {
  size_t n = strlen(s) + 1, off = p->arena_len;
  if (p->arena_len + n > p->arena_cap) {
    p->arena_cap = (p->arena_cap ? p->arena_cap * 2 : 1024) + n;
    p->arena = qf_realloc(p->arena, p->arena_cap);
  }
  memcpy(p->arena + off, s, n);
  p->arena_len += n;
  return (uint32_t)off;
}

static void count(apost *p, int state, int delta) {
  p->counts[state] = (uint32_t)((int64_t)p->counts[state] + delta);
  qf_gauge_add(mx.deliveries[state], delta);
  if (state == QUNFA__DELIVERY_STATE__LEASED)
    qf_gauge_add(mx.leases_outstanding, delta);
}

void apost_load(apost *p, uint32_t seq, const Qunfa__Delivery *rec) {
  adlv *d = &p->d[seq];
  int state = rec->state;
  if (state == QUNFA__DELIVERY_STATE__LEASED || state < 0 || state >= APOST_STATES)
    state = QUNFA__DELIVERY_STATE__PENDING;
  d->gid = arena_add(p, rec->group_id ? rec->group_id : "");
  d->state = (uint8_t)state;
  d->attempts = rec->attempts;
  d->next_attempt_ms = rec->next_attempt_ms;
  d->delivered_at_ms = rec->delivered_at_ms;
  if (rec->last_error && rec->last_error[0])
    d->last_error = qf_strdup(rec->last_error);
  if (rec->platform_msg_id && rec->platform_msg_id[0])
    d->msg_id = qf_strdup(rec->platform_msg_id);
  count(p, state, 1);
  p->loaded = seq + 1;
}

void apost_set_state(apost *p, uint32_t seq, int state) {
  adlv *d = &p->d[seq];
  if (p->cancelled && state == QUNFA__DELIVERY_STATE__PENDING)
    state = QUNFA__DELIVERY_STATE__CANCELLED;
  count(p, d->state, -1);
  count(p, state, 1);
  if (adlv_final(state) && !adlv_final(d->state))
    qf_counter_add(mx.ended[state], 1);
  d->state = (uint8_t)state;
}

void apost_set_msg_id(apost *p, uint32_t seq, const char *id) {
  adlv *d = &p->d[seq];
  if (id == NULL || id[0] == '\0')
    return;
  free(d->msg_id);
  d->msg_id = qf_strdup(id);
}

void apost_set_error(apost *p, uint32_t seq, const char *err) {
  adlv *d = &p->d[seq];
  free(d->last_error);
  d->last_error = err && err[0] ? qf_strdup(err) : NULL;
}

const char *apost_group(const apost *p, uint32_t seq) {
  return p->arena + p->d[seq].gid;
}

bool apost_complete(const apost *p) {
  uint32_t final = 0;
  if (p->loaded < p->total)
    return false;
  for (int s = QUNFA__DELIVERY_STATE__DELIVERED; s < APOST_STATES; s++)
    final += p->counts[s];
  return final == p->total;
}

void apost_forget_counts(apost *p) {
  for (int s = 0; s < APOST_STATES; s++)
    count(p, s, -(int)p->counts[s]);
}

void apost_write(const apost *p, uint32_t seq, qf_kv_batch *b) {
  const adlv *d = &p->d[seq];
  Qunfa__Delivery rec = QUNFA__DELIVERY__INIT;
  rec.group_id = (char *)apost_group(p, seq);
  /* A lease is never durable: on disk a leased delivery is pending. */
  rec.state = d->state == QUNFA__DELIVERY_STATE__LEASED ? QUNFA__DELIVERY_STATE__PENDING
                                                        : d->state;
  rec.attempts = d->attempts;
  rec.last_error = d->last_error ? d->last_error : "";
  rec.delivered_at_ms = d->delivered_at_ms;
  rec.next_attempt_ms = d->next_attempt_ms;
  rec.platform_msg_id = d->msg_id ? d->msg_id : "";
  db_put_delivery(b, p->id, seq, &rec);
}

void apost_write_record(const apost *p, qf_kv_batch *b) {
  Qunfa__Post rec = QUNFA__POST__INIT;
  rec.id = p->id;
  rec.audience = p->audience;
  rec.content_id.data = (uint8_t *)p->content_id;
  rec.content_id.len = sizeof p->content_id;
  rec.due_ms = p->due_ms;
  rec.created_ms = p->created_ms;
  rec.total = p->total;
  rec.done = p->done;
  if (p->done) {
    rec.n_final_counts = APOST_STATES;
    rec.final_counts = (uint32_t *)p->counts;
  }
  rec.cancelled = p->cancelled;
  rec.schedule_id = p->schedule_id;
  rec.priority = (Qunfa__Priority)p->priority;
  rec.expires_ms = p->expires_ms;
  rec.ignore_quiet = p->ignore_quiet;
  db_put_post(b, &rec);
}

void apost_info(const apost *p, uint32_t seq, Qunfa__DeliveryInfo *info) {
  const adlv *d = &p->d[seq];
  info->group_id = (char *)apost_group(p, seq);
  info->state = d->state;
  info->attempts = d->attempts;
  info->last_error = d->last_error ? d->last_error : "";
  info->delivered_at_ms = d->delivered_at_ms;
}
