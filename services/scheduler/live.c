#include "live.h"
#include "live_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "cancel.h"
#include "commit.h"
#include "contents.h"
#include "db.h"
#include "groups.h"
#include "metrics.h"
#include "posts.h"
#include "qf/alloc.h"
#include "qf/audience.h"
#include "qf/clock.h"
#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/template.h"
#include "ready.h"
#include "scheduler.pb-c.h"

#define FIELD_MAX 512
#define SEGMENT_MAX (16 * 1024)
#define COALESCE_MAX (16 * 1024) /* a dialect without a published maximum */
#define BODY_SLACK 512           /* JSON around the text, for QF_DIALECT_UNIT_BODY */
#define TEXT_LEN 2048

static const char next_live_key[] = "next_live_id";

/* ---- the post map ---- */

static size_t hash(uint64_t id, size_t cap) {
  return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

static void map_put(lives *lv, uint64_t post, lsess *ls, uint32_t k);

static void map_grow(lives *lv) {
  slot *old = lv->map;
  size_t ocap = lv->cap;
  lv->cap = ocap ? ocap * 2 : 256;
  lv->map = qf_calloc(lv->cap, sizeof(*lv->map));
  lv->nmap = 0;
  for (size_t i = 0; i < ocap; i++)
    if (old[i].post != 0 && old[i].ls != NULL) /* tombstones go */
      map_put(lv, old[i].post, old[i].ls, old[i].k);
  free(old);
}

static void map_put(lives *lv, uint64_t post, lsess *ls, uint32_t k) {
  if ((lv->nmap + 1) * 2 > lv->cap)
    map_grow(lv);
  size_t i = hash(post, lv->cap);
  while (lv->map[i].post != 0 && lv->map[i].post != post)
    i = (i + 1) & (lv->cap - 1);
  if (lv->map[i].post == 0)
    lv->nmap++;
  lv->map[i] = (slot){post, ls, k};
}

static const slot *map_get(const lives *lv, uint64_t post) {
  if (lv == NULL || lv->cap == 0)
    return NULL;
  for (size_t i = hash(post, lv->cap); lv->map[i].post != 0;
       i = (i + 1) & (lv->cap - 1))
    if (lv->map[i].post == post)
      return lv->map[i].ls ? &lv->map[i] : NULL;
  return NULL;
}

/* ---- sessions in memory ---- */

lsess *live_find(lives *lv, uint64_t id) {
  for (lsess *ls = lv->head; ls; ls = ls->next_sess)
    if (ls->id == id)
      return ls;
  return NULL;
}

void live_sess_free(lsess *ls) {
  for (uint32_t i = 0; i < ls->ngroups; i++) {
    free(ls->groups[i]);
    free(ls->ctext[i]);
  }
  for (uint32_t k = 0; k < ls->nseg; k++)
    free(ls->texts[k]);
  free(ls->groups);
  free(ls->next);
  free(ls->covered);
  free(ls->ctext);
  free(ls->posts);
  free(ls->at);
  free(ls->texts);
  free(ls->title);
  free(ls->guest);
  free(ls->audience);
  free(ls);
}

static void sess_add_segment(lives *lv, lsess *ls, uint64_t post, int64_t at,
                             const char *text) {
  if (ls->nseg == ls->cap) {
    ls->cap = ls->cap ? ls->cap * 2 : 16;
    ls->posts = qf_realloc(ls->posts, ls->cap * sizeof(*ls->posts));
    ls->at = qf_realloc(ls->at, ls->cap * sizeof(*ls->at));
    ls->texts = qf_realloc(ls->texts, ls->cap * sizeof(*ls->texts));
  }
  ls->posts[ls->nseg] = post;
  ls->at[ls->nseg] = at;
  ls->texts[ls->nseg] = text ? qf_strdup(text) : NULL;
  if (post != 0)
    map_put(lv, post, ls, ls->nseg);
  ls->nseg++;
}

static void sess_set_groups(lsess *ls, char **groups, uint32_t n) {
  ls->groups = groups;
  ls->ngroups = n;
  ls->next = qf_calloc(n ? n : 1, sizeof(*ls->next));
  ls->covered = qf_calloc(n ? n : 1, sizeof(*ls->covered));
  ls->ctext = qf_calloc(n ? n : 1, sizeof(*ls->ctext));
}

void live_fill_record(const lsess *ls, Qunfa__LiveSession *r, bool lists) {
  qunfa__live_session__init(r);
  r->id = ls->id;
  r->title = ls->title;
  r->guest = ls->guest;
  r->audience = ls->audience;
  r->at_ms = ls->at_ms;
  r->created_ms = ls->created_ms;
  r->remind_ms = (int64_t *)ls->remind;
  r->n_remind_ms = ls->nremind;
  r->reminder_posts = (uint64_t *)ls->reminder_posts;
  r->n_reminder_posts = ls->nremind;
  r->closed = ls->closed;
  r->cancelled = ls->cancelled;
  if (!lists)
    return;
  r->segment_posts = ls->posts;
  r->n_segment_posts = ls->nseg;
  r->segment_at_ms = ls->at;
  r->n_segment_at_ms = ls->nseg;
}

void live_put(sched *s, const Qunfa__LiveSession *r) {
  db_put_by_id(commit_batch(s->client), DB_LIVES, r->id, &r->base);
}

void live_put_record(sched *s, const lsess *ls) {
  Qunfa__LiveSession r;
  live_fill_record(ls, &r, true);
  live_put(s, &r);
}

/* ---- order and coalescing ---- */

bool live_hold(lives *lv, apost *p, uint32_t seq) {
  const slot *sl = map_get(lv, p->id);
  if (sl == NULL || seq >= sl->ls->ngroups)
    return false;
  return sl->ls->next[seq] != sl->k;
}

/* The stored state of group g's delivery of a post that left memory (it is
 * done: every delivery final), or -1 when the post is not stored as done (it
 * is being created or loaded: live_hold lets the delivery go at load). */
static int stored_final(sched *s, uint64_t post, uint32_t g) {
  uint8_t k[DB_DELIVERY_KEY];
  qf_kv_txn *txn = NULL;
  Qunfa__Post *rec = NULL;
  qf_kv_val v;
  int state = -1;
  if (qf_kv_read_begin(s->kv, &txn) != 0)
    return -1;
  if (db_get_post(txn, post, &rec) == 0 && rec->done) {
    Qunfa__Delivery *d = NULL;
    db_delivery_key(k, post, g);
    if (qf_kv_get(txn, DB_DELIVERIES, k, sizeof k, &v) == 0 &&
        (d = qunfa__delivery__unpack(NULL, v.len, v.data)) != NULL)
      state = d->state;
    qunfa__delivery__free_unpacked(d, NULL);
    if (state < QUNFA__DELIVERY_STATE__DELIVERED || state >= APOST_STATES)
      state = QUNFA__DELIVERY_STATE__CANCELLED;
  }
  if (rec != NULL)
    qunfa__post__free_unpacked(rec, NULL);
  qf_kv_read_end(txn);
  return state;
}

bool live_carried(lives *lv, const apost *p, uint32_t seq) {
  const slot *sl = map_get(lv, p->id);
  const lsess *ls;
  const apost *lead;
  if (sl == NULL || seq >= sl->ls->ngroups)
    return false;
  ls = sl->ls;
  if (sl->k <= ls->next[seq] || sl->k > ls->covered[seq])
    return false;
  lead = active_find(lv->s->act, ls->posts[ls->next[seq]]);
  return lead != NULL && seq < lead->loaded &&
         lead->d[seq].state == QUNFA__DELIVERY_STATE__LEASED;
}

/* Queues group g's delivery of the segment whose turn it is, if it is loaded,
 * pending and held; one that ended while held (its post was cancelled) is
 * passed over, and one its post's cancel left to a carrying lease that then
 * did not deliver (live_carried) is cancelled now. */
static void release(lives *lv, lsess *ls, uint32_t g) {
  for (uint32_t k = ls->next[g]; k < ls->nseg; k = ls->next[g]) {
    apost *p = active_find(lv->s->act, ls->posts[k]);
    int state;
    if (p != NULL && g >= p->loaded)
      return; /* not loaded yet: live_hold lets it go at load */
    if (p != NULL && p->cancelled && p->d[g].state == QUNFA__DELIVERY_STATE__PENDING) {
      cancel_mark(lv->s, p, g);
      active_check_done(lv->s->act, p); /* may retire p: not used after */
      ls->ended[QUNFA__DELIVERY_STATE__CANCELLED]++;
      ls->next[g] = k + 1;
      continue;
    }
    state = p != NULL ? p->d[g].state : stored_final(lv->s, ls->posts[k], g);
    if (state == QUNFA__DELIVERY_STATE__PENDING && p->d[g].where == WHERE_NONE)
      ready_push(lv->s->rdy, p, g);
    if (state < QUNFA__DELIVERY_STATE__DELIVERED)
      return;
    ls->ended[state]++;
    ls->next[g] = k + 1;
  }
}

/* Segments k0..k1 of group g went out in the lease of segment k0 - 1. */
static void deliver_covered(lives *lv, lsess *ls, uint32_t g, uint32_t k0, uint32_t k1,
                            int64_t at_ms) {
  sched *s = lv->s;
  for (uint32_t k = k0; k <= k1 && k < ls->nseg; k++) {
    apost *p = active_find(s->act, ls->posts[k]);
    if (p == NULL || g >= p->loaded || p->d[g].state != QUNFA__DELIVERY_STATE__PENDING)
      return;
    p->d[g].delivered_at_ms = at_ms;
    apost_set_error(p, g, NULL);
    apost_set_state(p, g, QUNFA__DELIVERY_STATE__DELIVERED);
    apost_write(p, g, commit_batch(s->work));
    ls->ended[QUNFA__DELIVERY_STATE__DELIVERED]++;
    ls->next[g] = k + 1;
    active_check_done(s->act, p);
  }
}

void live_final(lives *lv, apost *p, uint32_t seq) {
  const slot *sl = map_get(lv, p->id);
  lsess *ls;
  uint32_t k, cov;
  if (sl == NULL || seq >= sl->ls->ngroups || sl->ls->next[seq] != sl->k)
    return;
  ls = sl->ls;
  k = sl->k;
  cov = ls->covered[seq];
  ls->covered[seq] = 0;
  free(ls->ctext[seq]);
  ls->ctext[seq] = NULL;
  ls->next[seq] = k + 1;
  ls->ended[p->d[seq].state]++;
  if (p->d[seq].state == QUNFA__DELIVERY_STATE__DELIVERED && cov > k)
    deliver_covered(lv, ls, seq, k + 1, cov, p->d[seq].delivered_at_ms);
  release(lv, ls, seq);
  if (ls->closed && ls->next[seq] >= ls->nseg) {
    ls->finished++;
    live_settle(lv, ls);
  }
}

size_t live_join(const char *const *texts, size_t n, size_t max, char *out) {
  size_t len = 0, taken = 0;
  for (; taken < n && texts[taken] != NULL; taken++) {
    size_t t = strlen(texts[taken]);
    if (taken > 0 && len + 1 + t > max)
      break;
    if (taken > 0)
      out[len++] = '\n';
    memcpy(out + len, texts[taken], t);
    len += t;
  }
  out[len] = '\0';
  return taken;
}

static size_t max_bytes(const char *dialect) {
  const qf_dialect *d = qf_dialect_find(dialect && dialect[0] ? dialect : "generic");
  if (d == NULL || d->max_text == 0 || d->text_unit == QF_DIALECT_UNIT_NONE)
    return COALESCE_MAX;
  if (d->text_unit == QF_DIALECT_UNIT_BODY)
    return d->max_text > BODY_SLACK ? d->max_text - BODY_SLACK : d->max_text;
  /* Bytes are never fewer than UTF-16 units or code points. */
  return d->max_text;
}

void live_lease(lives *lv, apost *p, uint32_t seq, Qunfa__Lease *l) {
  const slot *sl = map_get(lv, p->id);
  lsess *ls;
  uint32_t k, last;
  if (sl == NULL || seq >= sl->ls->ngroups)
    return;
  ls = sl->ls;
  k = sl->k;
  /* Segments after k held for this group, loaded and pending, with texts. */
  for (last = k; last + 1 < ls->nseg; last++) {
    apost *q = active_find(lv->s->act, ls->posts[last + 1]);
    if (q == NULL || seq >= q->loaded ||
        q->d[seq].state != QUNFA__DELIVERY_STATE__PENDING || !ls->texts[last + 1])
      break;
  }
  free(ls->ctext[seq]);
  ls->ctext[seq] = NULL;
  ls->covered[seq] = 0;
  if (last == k || ls->texts[k] == NULL)
    return;
  size_t max = max_bytes(l->group ? l->group->dialect : NULL);
  char *out = qf_malloc(max + SEGMENT_MAX + 1);
  size_t n = live_join((const char *const *)&ls->texts[k], last - k + 1, max, out);
  if (n < 2) {
    free(out);
    return;
  }
  ls->ctext[seq] = out;
  ls->covered[seq] = k + (uint32_t)n - 1;
  l->text = out;
}

/* ---- loading ---- */

typedef struct scan {
  lsess *ls;
  uint32_t k;
  char **groups;
  uint32_t n, cap;
} scan;

static int scan_groups(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  scan *sc = arg;
  Qunfa__Delivery *d = qunfa__delivery__unpack(NULL, val->len, val->data);
  (void)key;
  if (d == NULL)
    return 0;
  if (sc->n == sc->cap) {
    sc->cap = sc->cap ? sc->cap * 2 : 64;
    sc->groups = qf_realloc(sc->groups, sc->cap * sizeof(*sc->groups));
  }
  sc->groups[sc->n++] = qf_strdup(d->group_id ? d->group_id : "");
  qunfa__delivery__free_unpacked(d, NULL);
  return 0;
}

/* Advances next[] over segment k's stored final outcomes. */
static int scan_states(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  scan *sc = arg;
  uint32_t g = qf_kv_get_be32((const uint8_t *)key->data + 8);
  Qunfa__Delivery *d;
  if (g >= sc->ls->ngroups || sc->ls->next[g] != sc->k)
    return 0;
  if ((d = qunfa__delivery__unpack(NULL, val->len, val->data)) == NULL)
    return 0;
  if (adlv_final(d->state) && d->state != QUNFA__DELIVERY_STATE__LEASED) {
    sc->ls->next[g] = sc->k + 1;
    sc->ls->ended[d->state]++;
  }
  qunfa__delivery__free_unpacked(d, NULL);
  return 0;
}

static int scan_post(qf_kv_txn *txn, uint64_t post, qf_kv_visit_fn fn, scan *sc) {
  uint8_t from[DB_DELIVERY_KEY], to[DB_DELIVERY_KEY];
  db_delivery_key(from, post, 0);
  db_delivery_key(to, post + 1, 0);
  return qf_kv_scan(txn, DB_DELIVERIES, from, sizeof from, to, sizeof to, fn, sc);
}

static lsess *sess_from(const Qunfa__LiveSession *r) {
  lsess *ls = qf_calloc(1, sizeof(*ls));
  ls->id = r->id;
  ls->title = qf_strdup(r->title ? r->title : "");
  ls->guest = qf_strdup(r->guest ? r->guest : "");
  ls->audience = qf_strdup(r->audience ? r->audience : "");
  ls->at_ms = r->at_ms;
  ls->created_ms = r->created_ms;
  ls->closed = r->closed;
  ls->cancelled = r->cancelled;
  for (size_t i = 0; i < r->n_reminder_posts && i < REMIND_MAX; i++) {
    ls->reminder_posts[i] = r->reminder_posts[i];
    ls->remind[i] = i < r->n_remind_ms ? r->remind_ms[i] : 0;
    ls->nremind++;
  }
  return ls;
}

static int load_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  void **a = arg;
  lives *lv = a[0];
  qf_kv_txn *txn = a[1];
  Qunfa__LiveSession *r = qunfa__live_session__unpack(NULL, val->len, val->data);
  scan sc = {0};
  (void)key;
  if (r == NULL)
    return 0;
  if (r->settled) { /* answered from its record: not kept in memory */
    qunfa__live_session__free_unpacked(r, NULL);
    return 0;
  }
  lsess *ls = sess_from(r);
  if (r->n_segment_posts > 0)
    scan_post(txn, r->segment_posts[0], scan_groups, &sc);
  sess_set_groups(ls, sc.groups, sc.n);
  for (size_t k = 0; k < r->n_segment_posts; k++)
    sess_add_segment(lv, ls, r->segment_posts[k],
                     k < r->n_segment_at_ms ? r->segment_at_ms[k] : 0, NULL);
  sc.ls = ls;
  for (sc.k = 0; sc.k < ls->nseg; sc.k++)
    scan_post(txn, ls->posts[sc.k], scan_states, &sc);
  ls->next_sess = lv->head;
  lv->head = ls;
  lv->nsess++;
  qunfa__live_session__free_unpacked(r, NULL);
  return 0;
}

/* Sessions closed and settled before a restart but not yet recorded so. */
static void settle_loaded(lives *lv) {
  lsess *next;
  for (lsess *ls = lv->head; ls; ls = next) {
    next = ls->next_sess;
    if (!ls->closed)
      continue;
    for (uint32_t g = 0; g < ls->ngroups; g++)
      ls->finished += ls->next[g] >= ls->nseg;
    live_settle(lv, ls);
  }
}

int lives_new(sched *s, lives **out) {
  qf_kv_txn *txn = NULL;
  qf_kv_val v;
  lives *lv;
  int rc = qf_kv_read_begin(s->kv, &txn);
  if (rc != 0)
    return rc;
  lv = qf_calloc(1, sizeof(*lv));
  lv->s = s;
  lv->next_id = 1;
  if (qf_kv_get(txn, DB_META, next_live_key, strlen(next_live_key), &v) == 0 &&
      v.len == 8)
    lv->next_id = qf_kv_get_be64((const uint8_t *)v.data);
  void *a[2] = {lv, txn};
  rc = qf_kv_scan(txn, DB_LIVES, NULL, 0, NULL, 0, load_one, a);
  qf_kv_read_end(txn);
  if (rc < 0) {
    lives_free(lv);
    return rc;
  }
  settle_loaded(lv);
  qf_gauge_set(mx.live_sessions, (int64_t)lv->nsess);
  *out = lv;
  return 0;
}

void lives_free(lives *lv) {
  if (lv == NULL)
    return;
  while (lv->head) {
    lsess *ls = lv->head;
    lv->head = ls->next_sess;
    live_sess_free(ls);
  }
  free(lv->map);
  free(lv);
}

/* ---- LiveOpen ---- */

typedef struct opening {
  sched *s;
  qf_rpc_call *call;
  lsess *ls; /* not in the list until stored */
  char *open_text;
  int64_t remind[REMIND_MAX];
  size_t nremind;
} opening;

static void post_noop(int status, void *arg) {
  (void)status;
  (void)arg;
}

static int collect(const char *id, void *arg) {
  scan *sc = arg;
  if (sc->n == sc->cap) {
    sc->cap = sc->cap ? sc->cap * 2 : 64;
    sc->groups = qf_realloc(sc->groups, sc->cap * sizeof(*sc->groups));
  }
  sc->groups[sc->n++] = qf_strdup(id);
  return 0;
}

/* The audience's groups into ls (sorted ids); a sentence on error. */
static int expand(sched *s, lsess *ls, const char *text, char *why, size_t len) {
  qf_audience *a = NULL;
  qf_kv_txn *txn = NULL;
  scan sc = {0};
  int rc = qf_audience_parse(text, &a, why, len);
  if (rc != 0)
    return rc;
  ls->audience = qf_audience_format(a);
  if ((rc = qf_kv_read_begin(s->kv, &txn)) == 0) {
    qf_audience_source src = groups_source(txn);
    rc = qf_audience_eval(a, &src, collect, &sc, why, len);
    qf_kv_read_end(txn);
  } else {
    snprintf(why, len, "groups could not be read: %s", qf_strerror(rc));
  }
  qf_audience_free(a);
  if (rc == 0 && sc.n == 0) {
    snprintf(why, len, "audience \"%s\" matches no group", ls->audience);
    rc = QF_EINVAL;
  }
  sess_set_groups(ls, sc.groups, sc.n);
  return rc;
}

static uint64_t make_post(sched *s, lsess *ls, const uint8_t *cid, int64_t due,
                          int priority, int64_t expires) {
  char aud[64], why[256];
  uint64_t id = 0;
  snprintf(aud, sizeof aud, "live:%llu", (unsigned long long)ls->id);
  posts_new pn = {.audience = aud,
                  .content_id = cid,
                  .due_ms = due,
                  .priority = priority,
                  .expires_ms = expires,
                  .groups = (const char *const *)ls->groups,
                  .ngroups = ls->ngroups};
  if (posts_create_stored(s, &pn, post_noop, NULL, &id, why, sizeof why) != 0)
    qf_log_error("live_post_failed", "live=%llu why=\"%s\"", (unsigned long long)ls->id,
                 why);
  return id;
}

static void reply_session(qf_rpc_call *call, const lsess *ls, uint32_t segment,
                          bool lists) {
  Qunfa__LiveReply reply = QUNFA__LIVE_REPLY__INIT;
  Qunfa__LiveSession r;
  live_fill_record(ls, &r, lists);
  reply.session = &r;
  reply.segment = segment;
  qf_rpc_reply(call, &reply.base);
}

static void opening_free(opening *o) {
  if (o->ls)
    live_sess_free(o->ls);
  free(o->open_text);
  free(o);
}

static void on_opened(int status, void *arg) {
  opening *o = arg;
  if (status != 0) {
    /* The list and the post map point at it: it stays, closed, with nothing. */
    qf_rpc_reply_error(o->call, status, "session not stored: %s", qf_strerror(status));
    o->ls->closed = true;
    o->ls = NULL;
    opening_free(o);
    return;
  }
  reply_session(o->call, o->ls, 0, true);
  qf_log_info("live_opened", "live=%llu groups=%u open_post=%llu",
              (unsigned long long)o->ls->id, o->ls->ngroups,
              (unsigned long long)o->ls->posts[0]);
  o->ls = NULL; /* the list's now */
  opening_free(o);
}

static void on_open_stored(int status, const char *err, const uint8_t (*ids)[32],
                           void *arg) {
  opening *o = arg;
  sched *s = o->s;
  lives *lv = s->lv;
  lsess *ls = o->ls;
  int64_t now = qf_clock_now_ms();
  if (status != 0) {
    qf_rpc_reply_error(o->call, QF_EUNAVAIL, "content store: %s", err);
    opening_free(o);
    return;
  }
  ls->id = lv->next_id++;
  ls->created_ms = now;
  for (size_t i = 0; i < o->nremind; i++) {
    ls->remind[ls->nremind] = o->remind[i];
    ls->reminder_posts[ls->nremind++] =
        make_post(s, ls, ids[1 + i], ls->at_ms - o->remind[i],
                  QUNFA__PRIORITY__PRIORITY_NORMAL, ls->at_ms);
  }
  /* In memory before the commit, so the opening's deliveries are held right. */
  uint64_t open = make_post(s, ls, ids[0], ls->at_ms > now ? ls->at_ms : now,
                            QUNFA__PRIORITY__PRIORITY_LIVE, 0);
  sess_add_segment(lv, ls, open, now, o->open_text);
  ls->next_sess = lv->head;
  lv->head = ls;
  qf_gauge_set(mx.live_sessions, (int64_t)++lv->nsess);
  uint8_t v[8];
  qf_kv_put_be64(v, lv->next_id);
  qf_kv_batch_put(commit_batch(s->client), DB_META, next_live_key,
                  strlen(next_live_key), v, sizeof v);
  live_put_record(s, ls);
  /* The list holds ls now; o->ls stays set only for the reply. */
  commit_defer(s->client, on_opened, o);
}

static int check_text(const char *what, const char *t, size_t max, char *why,
                      size_t len) {
  size_t n = t ? strlen(t) : 0;
  if (n == 0 || n > max)
    return snprintf(why, len, "%s: must be 1 to %zu bytes", what, max), QF_EINVAL;
  if (qf_template_check(t, why, len) != 0)
    return QF_EINVAL;
  return 0;
}

static int check_open(opening *o, const Qunfa__LiveOpenRequest *r, char *why,
                      size_t len) {
  int64_t now = qf_clock_now_ms();
  int rc;
  if ((rc = check_text("title", r->title, FIELD_MAX, why, len)) != 0 ||
      (rc = check_text("guest", r->guest, FIELD_MAX, why, len)) != 0)
    return rc;
  if (r->open_text && r->open_text[0] &&
      (rc = check_text("open_text", r->open_text, SEGMENT_MAX, why, len)) != 0)
    return rc;
  if (r->at_ms < 0)
    return snprintf(why, len, "at: before 1970"), QF_EINVAL;
  if (r->n_remind_ms > REMIND_MAX)
    return snprintf(why, len, "remind: at most %d reminders", REMIND_MAX), QF_EINVAL;
  o->ls->at_ms = r->at_ms > now ? r->at_ms : now;
  for (size_t i = 0; i < r->n_remind_ms; i++) {
    if (r->remind_ms[i] <= 0)
      return snprintf(why, len, "remind: offset %zu must be after 0", i + 1), QF_EINVAL;
    if (o->ls->at_ms - r->remind_ms[i] > now)
      o->remind[o->nremind++] = r->remind_ms[i];
  }
  return 0;
}

static int put_open_texts(opening *o, const Qunfa__LiveOpenRequest *r) {
  char *texts[1 + REMIND_MAX];
  size_t n = 1 + o->nremind;
  int rc;
  if (r->open_text && r->open_text[0]) {
    o->open_text = qf_strdup(r->open_text);
  } else {
    o->open_text = qf_malloc(TEXT_LEN);
    snprintf(o->open_text, TEXT_LEN, "Live now: %s, with %s. The talk follows here.",
             r->title, r->guest);
  }
  texts[0] = o->open_text;
  for (size_t i = 0; i < o->nremind; i++) {
    texts[1 + i] = qf_malloc(TEXT_LEN);
    int64_t m = (o->remind[i] + 59999) / 60000;
    snprintf(texts[1 + i], TEXT_LEN, "Live in %lld min: %s, with %s.", (long long)m,
             r->title, r->guest);
  }
  rc = contents_put(o->s, "post", (const char *const *)texts, n, on_open_stored, o);
  for (size_t i = 0; i < o->nremind; i++)
    free(texts[1 + i]);
  return rc;
}

void live_on_open(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__LiveOpenRequest *r = (const Qunfa__LiveOpenRequest *)msg;
  opening *o;
  char why[400] = "";
  int rc;
  if (s->stopping || s->store == NULL) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  o = qf_calloc(1, sizeof(*o));
  o->s = s;
  o->call = call;
  o->ls = qf_calloc(1, sizeof(*o->ls));
  if ((rc = check_open(o, r, why, sizeof why)) != 0 ||
      (rc = expand(s, o->ls, r->audience ? r->audience : "", why, sizeof why)) != 0) {
    qf_rpc_reply_error(call, rc, "%s", why);
    opening_free(o);
    return;
  }
  o->ls->title = qf_strdup(r->title);
  o->ls->guest = qf_strdup(r->guest);
  if (put_open_texts(o, r) != 0) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "content store: unavailable");
    opening_free(o);
  }
}

/* ---- LiveSay, LiveClose ---- */

typedef struct saying {
  sched *s;
  qf_rpc_call *call;
  uint64_t live_id;
  char *text;
  bool closing;
  uint32_t segment;
} saying;

static void saying_free(saying *sy) {
  free(sy->text);
  free(sy);
}

static void on_said(int status, void *arg) {
  saying *sy = arg;
  lsess *ls = live_find(sy->s->lv, sy->live_id);
  if (status != 0 && ls != NULL && sy->segment + 1 == ls->nseg) {
    /* Its post was not stored either: forget it, so no group waits for it. */
    ls->nseg--;
    free(ls->texts[ls->nseg]);
    ls->closed = ls->closed && !sy->closing;
    ls->finished = 0;
  }
  if (status != 0)
    qf_rpc_reply_error(sy->call, status, "segment not stored: %s", qf_strerror(status));
  else if (ls != NULL)
    reply_session(sy->call, ls, sy->segment, false);
  else
    qf_rpc_reply_error(sy->call, QF_EINTERNAL, "session %llu vanished",
                       (unsigned long long)sy->live_id);
  if (ls != NULL) {
    ls->busy--;
    live_settle(sy->s->lv, ls);
  }
  saying_free(sy);
}

static void on_say_stored(int status, const char *err, const uint8_t (*ids)[32],
                          void *arg) {
  saying *sy = arg;
  sched *s = sy->s;
  lsess *ls = live_find(s->lv, sy->live_id);
  if (status != 0 || ls == NULL || ls->closed) {
    qf_rpc_reply_error(sy->call, status ? QF_EUNAVAIL : QF_EINVAL, "%s",
                       status                ? err
                       : ls && ls->cancelled ? "the session was cancelled"
                                             : "the session is closed");
    if (ls != NULL) {
      ls->busy--;
      live_settle(s->lv, ls);
    }
    saying_free(sy);
    return;
  }
  uint64_t post =
      make_post(s, ls, ids[0], qf_clock_now_ms(), QUNFA__PRIORITY__PRIORITY_LIVE, 0);
  sy->segment = ls->nseg;
  sess_add_segment(s->lv, ls, post, qf_clock_now_ms(), sy->text);
  if (sy->closing)
    ls->closed = true;
  live_put_record(s, ls);
  commit_defer(s->client, on_said, sy);
}

static void say(qf_rpc_call *call, sched *s, uint64_t id, const char *text,
                bool closing) {
  lsess *ls = live_find(s->lv, id);
  saying *sy;
  char why[300];
  const char *t = text;
  if (s->stopping || s->store == NULL) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  bool cancelled = false;
  if (ls == NULL && live_settled(s, id, &cancelled)) {
    qf_rpc_reply_error(call, QF_EINVAL, "live session %llu %s", (unsigned long long)id,
                       cancelled ? "was cancelled: nothing more can be said"
                                 : "is closed");
    return;
  }
  if (ls == NULL) {
    qf_rpc_reply_error(call, QF_ENOTFOUND, "live session %llu not found",
                       (unsigned long long)id);
    return;
  }
  if (ls->cancelled) {
    qf_rpc_reply_error(call, QF_EINVAL,
                       "live session %llu was cancelled: nothing more can be said",
                       (unsigned long long)id);
    return;
  }
  if (ls->closed) {
    qf_rpc_reply_error(call, QF_EINVAL, "live session %llu is closed",
                       (unsigned long long)id);
    return;
  }
  sy = qf_calloc(1, sizeof(*sy));
  if (closing && (!t || !t[0])) {
    sy->text = qf_malloc(TEXT_LEN);
    snprintf(sy->text, TEXT_LEN, "The session \"%s\" with %s has ended. Thank you!",
             ls->title, ls->guest);
    t = sy->text;
  }
  if (check_text("text", t, SEGMENT_MAX, why, sizeof why) != 0) {
    qf_rpc_reply_error(call, QF_EINVAL, "%s", why);
    saying_free(sy);
    return;
  }
  if (sy->text == NULL)
    sy->text = qf_strdup(t);
  *sy = (saying){s, call, id, sy->text, closing, 0};
  const char *texts[1] = {sy->text};
  if (contents_put(s, "post", texts, 1, on_say_stored, sy) != 0) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "content store: unavailable");
    saying_free(sy);
    return;
  }
  ls->busy++; /* not retired before on_said */
}

void live_on_say(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  const Qunfa__LiveSayRequest *r = (const Qunfa__LiveSayRequest *)msg;
  say(call, arg, r->live_id, r->text, false);
}

void live_on_close(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  const Qunfa__LiveCloseRequest *r = (const Qunfa__LiveCloseRequest *)msg;
  say(call, arg, r->live_id, r->text, true);
}
