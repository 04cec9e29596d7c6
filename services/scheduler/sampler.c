#include "sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "db.h"
#include "limiter.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "ready.h"

#define SAMPLE_MS 1000
#define BUSY_TRACK 1024 /* active posts followed for the busiest list */
#define BUSY_SHOWN 5
/* Groups whose window logs a tick looks at: a pass over 100,000 groups takes
 * ~6 ticks and each costs the loop well under a millisecond. */
#define TRIM_GROUPS 16384

static const char *const tier_names[SAMPLER_TIERS] = {"group", "account", "dialect",
                                                      "global"};

typedef struct point {
  int64_t at_ms;
  int64_t saturation[SAMPLER_TIERS]; /* permille */
  int64_t delivered_per_s;
  int64_t leases;
  int64_t waiting_groups;
} point;

/* An active post's progress at a sample. */
typedef struct progress {
  uint64_t id;
  uint32_t total, finished, delivered, failed, per_s;
} progress;

struct sampler {
  sched *s;
  qf_stats *st;
  progress busy[BUSY_TRACK], prev[BUSY_TRACK];
  size_t nbusy, nprev;
  uv_timer_t timer;
  qf_gauge *posts_scheduled, *posts_active, *posts_done;
  qf_gauge *map_bytes, *used_bytes;
  uint64_t last_delivered;
  point hist[SAMPLER_HISTORY];
  size_t n, next;
};

/* The tier gauges are the hook's: one set per process. */
static qf_gauge *tier_keys[SAMPLER_TIERS], *tier_waiting[SAMPLER_TIERS],
    *tier_saturation[SAMPLER_TIERS];

static void tier_set(int tier, int64_t keys, int64_t waiting) {
  if (tier < 0 || tier >= SAMPLER_TIERS || !tier_keys[tier])
    return;
  qf_gauge_set(tier_keys[tier], keys);
  qf_gauge_set(tier_waiting[tier], waiting);
  qf_gauge_set(tier_saturation[tier], keys > 0 ? waiting * 1000 / keys : 0);
}

typedef struct scan {
  sampler *sm;
  int64_t open;
} scan;

static uint32_t prev_finished(const sampler *sm, uint64_t id, uint32_t now) {
  for (size_t i = 0; i < sm->nprev; i++)
    if (sm->prev[i].id == id)
      return sm->prev[i].finished;
  return now; /* first seen: no rate yet */
}

static int count_entry(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  scan *sc = arg;
  sampler *sm = sc->sm;
  (void)val;
  sc->open++;
  apost *p = active_find(sm->s->act, qf_kv_get_be64((const uint8_t *)key->data + 8));
  if (!p || sm->nbusy == BUSY_TRACK)
    return 0;
  progress *g = &sm->busy[sm->nbusy++];
  g->id = p->id;
  g->total = p->total;
  g->delivered = p->counts[QUNFA__DELIVERY_STATE__DELIVERED];
  g->failed = p->counts[QUNFA__DELIVERY_STATE__FAILED];
  g->finished = g->delivered + g->failed + p->counts[QUNFA__DELIVERY_STATE__EXPIRED] +
                p->counts[QUNFA__DELIVERY_STATE__CANCELLED];
  g->per_s = g->finished - prev_finished(sm, g->id, g->finished);
  return 0;
}

static int by_rate(const void *a, const void *b) {
  const progress *x = a, *y = b;
  if (x->per_s != y->per_s)
    return x->per_s < y->per_s ? 1 : -1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* details.busiest_posts: the active posts that finished most deliveries in
 * the last second. */
static void publish_busiest(sampler *sm) {
  memcpy(sm->prev, sm->busy, sm->nbusy * sizeof *sm->busy);
  sm->nprev = sm->nbusy;
  qsort(sm->busy, sm->nbusy, sizeof *sm->busy, by_rate);
  json_t *arr = json_array();
  for (size_t i = 0; i < sm->nbusy && i < BUSY_SHOWN; i++) {
    const progress *g = &sm->busy[i];
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)g->id);
    json_array_append_new(
        arr, json_pack("{s:s, s:I, s:I, s:I, s:I}", "post", id, "total",
                       (json_int_t)g->total, "delivered", (json_int_t)g->delivered,
                       "failed", (json_int_t)g->failed, "per_s", (json_int_t)g->per_s));
  }
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  qf_stats_detail(sm->st, "busiest_posts", text ? text : "[]");
  free(text);
}

/* Posts not done hold one timeline entry each (db.h); ids are handed out in
 * order, so every other post is done. */
static void sample_posts(sampler *sm) {
  qf_kv_txn *txn;
  scan sc = {sm, 0};
  if (qf_kv_read_begin(sm->s->kv, &txn) != 0)
    return;
  sm->nbusy = 0;
  qf_kv_scan(txn, DB_TIMELINE, NULL, 0, NULL, 0, count_entry, &sc);
  qf_kv_read_end(txn);
  publish_busiest(sm);
  int64_t open = sc.open;
  int64_t live = qf_gauge_get(mx.posts_active);
  int64_t all = (int64_t)sm->s->next_post_id - 1;
  qf_gauge_set(sm->posts_active, live);
  qf_gauge_set(sm->posts_scheduled, open > live ? open - live : 0);
  qf_gauge_set(sm->posts_done, all > open ? all - open : 0);
}

static void sample_history(sampler *sm) {
  point *pt = &sm->hist[sm->next];
  uint64_t delivered = qf_counter_get(mx.ended[QUNFA__DELIVERY_STATE__DELIVERED]);
  pt->at_ms = qf_clock_now_ms();
  for (int t = 0; t < SAMPLER_TIERS; t++)
    pt->saturation[t] = qf_gauge_get(tier_saturation[t]);
  pt->delivered_per_s = (int64_t)(delivered - sm->last_delivered);
  pt->leases = qf_gauge_get(mx.leases_outstanding);
  pt->waiting_groups = qf_gauge_get(tier_waiting[0]);
  sm->last_delivered = delivered;
  sm->next = (sm->next + 1) % SAMPLER_HISTORY;
  if (sm->n < SAMPLER_HISTORY)
    sm->n++;
}

static void sample_tiers(sampler *sm) {
  int64_t keys[SAMPLER_TIERS], waiting[SAMPLER_TIERS];
  if (sm->s->rdy == NULL)
    return;
  ready_tier_counts(sm->s->rdy, keys, waiting);
  for (int t = 0; t < SAMPLER_TIERS; t++)
    tier_set(t, keys[t], waiting[t]);
}

static void on_tick(uv_timer_t *t) {
  sampler *sm = t->data;
  size_t map = 0, used = 0;
  if (sm->s->kv == NULL)
    return;
  sample_posts(sm);
  sample_tiers(sm);
  if (sm->s->rdy != NULL)
    limits_trim(ready_limits(sm->s->rdy), qf_clock_mono_us(), TRIM_GROUPS);
  qf_kv_usage(sm->s->kv, &map, &used);
  qf_gauge_set(sm->map_bytes, (int64_t)map);
  qf_gauge_set(sm->used_bytes, (int64_t)used);
  sample_history(sm);
}

static void register_tiers(qf_stats *st) {
  char name[96];
  for (int t = 0; t < SAMPLER_TIERS; t++) {
    snprintf(name, sizeof name, "limiter_keys{tier=%s}", tier_names[t]);
    tier_keys[t] = qf_stats_gauge(st, name);
    snprintf(name, sizeof name, "limiter_keys_waiting{tier=%s}", tier_names[t]);
    tier_waiting[t] = qf_stats_gauge(st, name);
    snprintf(name, sizeof name, "limiter_saturation_permille{tier=%s}", tier_names[t]);
    tier_saturation[t] = qf_stats_gauge(st, name);
  }
}

sampler *sampler_new(sched *s, qf_stats *st) {
  sampler *sm = qf_calloc(1, sizeof *sm);
  sm->s = s;
  sm->st = st;
  sm->posts_scheduled = qf_stats_gauge(st, "posts{state=scheduled}");
  sm->posts_active = qf_stats_gauge(st, "posts{state=active}");
  sm->posts_done = qf_stats_gauge(st, "posts{state=done}");
  sm->map_bytes = qf_stats_gauge(st, "lmdb_map_bytes");
  sm->used_bytes = qf_stats_gauge(st, "lmdb_used_bytes");
  register_tiers(st);
  uv_timer_init(s->loop, &sm->timer);
  sm->timer.data = sm;
  uv_timer_start(&sm->timer, on_tick, 0, SAMPLE_MS);
  return sm;
}

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

void sampler_close(sampler *sm) {
  if (!sm)
    return;
  uv_close((uv_handle_t *)&sm->timer, on_closed);
}

json_t *sampler_history_json(const sampler *sm) {
  json_t *points = json_array(), *tiers = json_array();
  for (int t = 0; t < SAMPLER_TIERS; t++)
    json_array_append_new(tiers, json_string(tier_names[t]));
  size_t first = sm->n < SAMPLER_HISTORY ? 0 : sm->next;
  for (size_t i = 0; i < sm->n; i++) {
    const point *pt = &sm->hist[(first + i) % SAMPLER_HISTORY];
    json_t *sat = json_array();
    for (int t = 0; t < SAMPLER_TIERS; t++)
      json_array_append_new(sat, json_integer(pt->saturation[t]));
    json_array_append_new(points,
                          json_pack("{s:I, s:o, s:I, s:I, s:I}", "at_ms",
                                    (json_int_t)pt->at_ms, "saturation_permille", sat,
                                    "delivered_per_s", (json_int_t)pt->delivered_per_s,
                                    "leases_outstanding", (json_int_t)pt->leases,
                                    "waiting_groups", (json_int_t)pt->waiting_groups));
  }
  return json_pack("{s:i, s:o, s:o}", "interval_ms", SAMPLE_MS, "tiers", tiers,
                   "points", points);
}
