#include "limiter.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "guards.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/log.h"

/* ---- platform defaults ---- */

typedef qf_dialect_rate drate;

/* The dialect tier: no platform publishes a limit for all of its traffic from
 * one sender yet, so this tier limits nothing unless a dialect gains one here. */
static const drate no_rates[LIMITS_CELLS];

/* Each platform's published limits come from its dialect (qf/dialect.h): per
 * group (webhook) and per sending account. A group's own `rate` replaces its
 * group limits. */
static const qf_dialect *defaults_of(const char *dialect) {
  return qf_dialect_find(dialect);
}

/* ---- the table ---- */

/* A shared key (account or dialect) by name. */
typedef struct skey {
  lkey key;
  struct skey *hnext;
  char name[];
} skey;

struct limits {
  limits_opts o;
  int64_t restore_us; /* o.restore_at_ms on the monotonic clock; 0 = none */
  lkey global;
  int64_t global_tol_us; /* the global key's tolerance, (B - 1) floor(T) */
  ginfo **gb;            /* groups by id */
  size_t ngb, ng;
  skey **sb; /* shared keys by name */
  size_t nsb, ns;
  size_t trim_next; /* the bucket of gb limits_trim goes on from */
};

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

void limits_platform(const limits *l, qf_gcra_limit *out, uint32_t count,
                     int64_t period_ms) {
  qf_gcra_limit_init(out, count, (period_ms + l->o.margin_ms) * 1000);
}

/* A group's key is a window log of when its leases ended (see the header): no
 * margin. */
static void key_limit(const limits *l, const lkey *k, qf_gcra_limit *out,
                      uint32_t count, int64_t period_ms) {
  if (k->tier == TIER_GROUP)
    qf_gcra_limit_init(out, count, period_ms * 1000);
  else
    limits_platform(l, out, count, period_ms);
}

/* A group's lkey is the first member of its ginfo. */
static ginfo *group_of(const lkey *k) {
  return (ginfo *)k;
}

static int64_t window_us(const qf_gcra_limit *lim) {
  return lim->step_us * lim->count + lim->step_rem;
}

/* Sets k's limits; true when they changed. A new key counts as used at the
 * restore point; a key whose limits change counts as used now (gcra.h, wlog.h). */
static bool key_limits(limits *l, lkey *k, const drate *r, size_t n, bool fresh) {
  qf_gcra_limit lim[LIMITS_CELLS];
  uint8_t m = 0;
  for (size_t i = 0; i < n && i < LIMITS_CELLS; i++)
    if (r[i].count > 0)
      key_limit(l, k, &lim[m++], r[i].count, r[i].per_ms);
  if (m == k->n && memcmp(lim, k->limit, m * sizeof lim[0]) == 0)
    return false;
  int64_t at = fresh ? l->restore_us : qf_clock_mono_us();
  k->n = m;
  for (uint8_t i = 0; i < LIMITS_CELLS && k->tier == TIER_GROUP; i++) {
    wlog *w = &group_of(k)->win[i];
    if (i < m)
      wlog_init(w, lim[i].count, window_us(&lim[i]), at);
    else
      wlog_free(w);
  }
  for (uint8_t i = 0; i < m; i++) {
    k->limit[i] = lim[i];
    k->cell[i] = (qf_gcra_cell)QF_GCRA_CELL_INIT;
    if (at > 0)
      qf_gcra_restore(&k->cell[i], &k->limit[i], at);
  }
  return true;
}

static lkey *shared_key(limits *l, int tier, const char *name, const drate *r) {
  size_t i;
  skey *k;
  if (l->nsb == 0) {
    l->nsb = 64;
    l->sb = qf_calloc(l->nsb, sizeof(*l->sb));
  }
  i = hash_str(name) & (l->nsb - 1);
  for (k = l->sb[i]; k != NULL; k = k->hnext)
    if (strcmp(k->name, name) == 0)
      return &k->key;
  if (l->ns >= l->nsb) {
    /* Few of these exist (accounts and dialects): a fixed table that grows
     * chains is enough; grow it anyway to keep chains short. */
    skey **ob = l->sb;
    size_t on = l->nsb;
    l->nsb *= 2;
    l->sb = qf_calloc(l->nsb, sizeof(*l->sb));
    for (size_t j = 0; j < on; j++)
      for (skey *p = ob[j], *next; p != NULL; p = next) {
        size_t h = hash_str(p->name) & (l->nsb - 1);
        next = p->hnext;
        p->hnext = l->sb[h];
        l->sb[h] = p;
      }
    free(ob);
    i = hash_str(name) & (l->nsb - 1);
  }
  k = qf_calloc(1, sizeof(*k) + strlen(name) + 1);
  strcpy(k->name, name);
  k->key.name = k->name;
  k->key.tier = (uint8_t)tier;
  (void)key_limits(l, &k->key, r, LIMITS_CELLS, true);
  k->hnext = l->sb[i];
  l->sb[i] = k;
  l->ns++;
  return &k->key;
}

limits *limits_new(const limits_opts *o) {
  limits *l = qf_calloc(1, sizeof(*l));
  l->o = *o;
  if (o->restore_at_ms > 0) {
    /* The restore point on the monotonic clock; in the past is fine. */
    int64_t ahead_ms = o->restore_at_ms - qf_clock_now_ms();
    l->restore_us = qf_clock_mono_us() + ahead_ms * 1000;
    if (l->restore_us <= 0)
      l->restore_us = 1;
  }
  l->global.name = "global";
  l->global.tier = TIER_GLOBAL;
  if (o->global.count > 0) {
    /* The operator's own limit: no receiver to allow for, so no margin. */
    qf_gcra_limit *g = &l->global.limit[0];
    int64_t extra;
    qf_gcra_limit_init(g, o->global.count, o->global.period_ms * 1000);
    l->global.n = 1;
    extra = (int64_t)o->global.count * LIMITS_GLOBAL_BURST_MS / o->global.period_ms;
    if (extra > (int64_t)o->global.count - 1)
      extra = (int64_t)o->global.count - 1;
    /* Whole microseconds: (B - 1) floor(T) keeps N + B takes W apart. Take i
     * happens at r_i with ceil(v_i) - tol <= r_i <= ceil(v_i) (v_i its virtual
     * time, gcra.h), and v_{i+k} >= v_i + kT, so N + B - 1 steps later
     * r - r_i >= ceil(v_i + W + (B - 1) T) - ceil(v_i) - tol >= W. */
    l->global_tol_us = extra * g->step_us;
  }
  return l;
}

void limits_each_key(limits *l, void (*fn)(lkey *k, void *arg), void *arg) {
  for (size_t i = 0; i < l->ngb; i++)
    for (ginfo *g = l->gb[i]; g != NULL; g = g->hnext)
      fn(&g->key, arg);
  for (size_t i = 0; i < l->nsb; i++)
    for (skey *k = l->sb[i]; k != NULL; k = k->hnext)
      fn(&k->key, arg);
  fn(&l->global, arg);
}

size_t limits_trim(limits *l, int64_t now_us, size_t budget) {
  size_t visited = 0, freed = 0;
  for (size_t b = 0; b < l->ngb && visited < budget; b++) {
    size_t i = l->trim_next;
    l->trim_next = (i + 1) % l->ngb;
    for (ginfo *g = l->gb[i]; g != NULL; g = g->hnext, visited++)
      for (size_t j = 0; j < g->key.n; j++) {
        bool had = g->win[j].t != NULL;
        wlog_trim(&g->win[j], now_us);
        freed += had && g->win[j].t == NULL;
      }
  }
  return freed;
}

void limits_free(limits *l) {
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->ngb; i++)
    for (ginfo *g = l->gb[i], *next; g != NULL; g = next) {
      next = g->hnext;
      for (int j = 0; j < LIMITS_CELLS; j++)
        wlog_free(&g->win[j]);
      free(g);
    }
  for (size_t i = 0; i < l->nsb; i++)
    for (skey *k = l->sb[i], *next; k != NULL; k = next) {
      next = k->hnext;
      free(k);
    }
  free(l->gb);
  free(l->sb);
  free(l);
}

/* ---- groups ---- */

static ginfo *group_find(const limits *l, const char *id) {
  if (l->ngb == 0)
    return NULL;
  for (ginfo *g = l->gb[hash_str(id) & (l->ngb - 1)]; g != NULL; g = g->hnext)
    if (strcmp(g->id, id) == 0)
      return g;
  return NULL;
}

static void group_table_add(limits *l, ginfo *g) {
  size_t i;
  if (l->ng >= l->ngb) {
    ginfo **ob = l->gb;
    size_t on = l->ngb;
    l->ngb = on ? on * 2 : 1024;
    l->gb = qf_calloc(l->ngb, sizeof(*l->gb));
    for (size_t j = 0; j < on; j++)
      for (ginfo *p = ob[j], *next; p != NULL; p = next) {
        size_t h = hash_str(p->id) & (l->ngb - 1);
        next = p->hnext;
        p->hnext = l->gb[h];
        l->gb[h] = p;
      }
    free(ob);
  }
  i = hash_str(g->id) & (l->ngb - 1);
  g->hnext = l->gb[i];
  l->gb[i] = g;
  l->ng++;
}

/* The group's own limits: its rate, else its dialect's per-group defaults.
 * True when they changed. */
static bool group_limits(limits *l, ginfo *g, const Qunfa__Group *rec,
                         const qf_dialect *dl, bool fresh) {
  qf_rate r;
  if (rec->rate && rec->rate[0] && qf_rate_parse(rec->rate, &r) == 0) {
    drate one = {r.count, r.period_ms};
    return key_limits(l, &g->key, &one, 1, fresh);
  }
  return key_limits(l, &g->key, dl ? dl->group_rates : no_rates, LIMITS_CELLS, fresh);
}

static void learn_changed(limits *l, ginfo *g, uint32_t was, const char *why,
                          uint32_t accepted);

/* What g learns on: its limit with the shortest window (Feishu: 5/s of 5/s and
 * 100/min), the one a burst trips first. Limits changed by the operator forget
 * what was learned on the old ones. */
static void group_learns(limits *l, ginfo *g, bool changed) {
  uint32_t was = g->lrn.limit;
  g->lcell = 0;
  for (uint8_t i = 1; i < g->key.n; i++)
    if (window_us(&g->key.limit[i]) < window_us(&g->key.limit[g->lcell]))
      g->lcell = i;
  if (changed && was > 0) {
    g->lrn.limit = 0;
    learn_changed(l, g, was, "limits_changed", 0);
  }
}

/* The account and dialect keys, when they carry limits. The account is the
 * one the group names, else the one its dialect reads from its url (a bot
 * token's digest, never the secret). */
static void group_tiers(limits *l, ginfo *g, const Qunfa__Group *rec,
                        const qf_dialect *dl) {
  const char *dialect = rec->dialect ? rec->dialect : "";
  char acct[QF_GROUP_ACCOUNT_MAX + 1] = "", name[QF_GROUP_ACCOUNT_MAX + 64];
  g->up[0] = g->up[1] = NULL;
  if (dl == NULL || dl->account_rates[0].count == 0)
    acct[0] = '\0';
  else if (rec->account && rec->account[0])
    snprintf(acct, sizeof acct, "%s", rec->account);
  else if (dl->account == NULL || dl->account(rec->url, acct, sizeof acct) != 0)
    acct[0] = '\0';
  if (acct[0] != '\0') {
    snprintf(name, sizeof name, "%.40s/%s", dialect, acct);
    g->up[0] = shared_key(l, TIER_ACCOUNT, name, dl->account_rates);
  }
  if (no_rates[0].count > 0)
    g->up[1] = shared_key(l, TIER_DIALECT, dialect, no_rates);
}

static void group_guards(ginfo *g, const Qunfa__Group *rec) {
  char why[128];
  g->tz = NULL;
  if (rec->tz && rec->tz[0] && qf_tz_load(rec->tz, &g->tz, why, sizeof why) != 0) {
    qf_log_warn("group_tz_unusable", "group=%s tz=%s why=\"%s\"", g->id, rec->tz, why);
    g->tz = NULL; /* validated at upsert; UTC rather than no guard at all */
  }
  g->has_quiet =
      rec->quiet && rec->quiet[0] && qf_quiet_parse(rec->quiet, &g->quiet) == 0;
  g->daily_cap = rec->daily_cap;
}

ginfo *limits_group_set(limits *l, const Qunfa__Group *rec) {
  ginfo *g = group_find(l, rec->id);
  const qf_dialect *dl = defaults_of(rec->dialect ? rec->dialect : "");
  bool fresh = g == NULL;
  if (fresh) {
    g = qf_calloc(1, sizeof(*g) + strlen(rec->id) + 1);
    strcpy(g->id, rec->id);
    g->key.name = g->id;
    g->key.tier = TIER_GROUP;
    group_table_add(l, g);
  }
  g->gen = l->o.groups_gen ? *l->o.groups_gen : 0;
  g->dialect = dl ? dl->name : "none";
  group_learns(l, g, group_limits(l, g, rec, dl, fresh) && !fresh);
  /* The url may name the account: look again on every change. */
  group_tiers(l, g, rec, dl);
  group_guards(g, rec);
  return g;
}

/* The daily count stored for g, read once when g is first loaded. */
static void cap_load(limits *l, qf_kv_txn *txn, ginfo *g) {
  char k[8 + QF_GROUP_ID_MAX];
  qf_kv_val v;
  int n = snprintf(k, sizeof k, "cap:%s", g->id);
  if (qf_kv_get(txn, DB_META, k, (size_t)n, &v) == 0 && v.len == 12) {
    g->cap_day = (int64_t)qf_kv_get_be64(v.data);
    g->cap_count = qf_kv_get_be32((const uint8_t *)v.data + 8);
  }
  (void)l;
}

/* ---- learned limits ---- */

#define LEARN_REC_LEN 28 /* limit, window us, cut and calm as wall ms (be) */

static int64_t mono_to_wall_ms(int64_t us) {
  return qf_clock_now_ms() - (qf_clock_mono_us() - us) / 1000;
}

static int64_t wall_to_mono_us(int64_t ms) {
  return qf_clock_mono_us() - (qf_clock_now_ms() - ms) * 1000;
}

/* Written with the work stream's next commit; forgotten: deleted. */
static void learn_write(limits *l, ginfo *g) {
  char k[8 + QF_GROUP_ID_MAX];
  uint8_t v[LEARN_REC_LEN];
  int n = snprintf(k, sizeof k, "learn:%s", g->id);
  qf_kv_batch *b;
  if (l->o.work == NULL)
    return;
  b = commit_batch(l->o.work);
  if (g->lrn.limit == 0) {
    qf_kv_batch_del(b, DB_META, k, (size_t)n);
    return;
  }
  qf_kv_put_be32(v, g->lrn.limit);
  qf_kv_put_be64(v + 4, (uint64_t)window_us(&g->key.limit[g->lcell]));
  qf_kv_put_be64(v + 12, (uint64_t)mono_to_wall_ms(g->lrn.cut_us));
  qf_kv_put_be64(v + 20, (uint64_t)mono_to_wall_ms(g->lrn.calm_us));
  qf_kv_batch_put(b, DB_META, k, (size_t)n, v, sizeof v);
}

/* One line per change, and the gauge of groups with a learned limit. */
static void learn_changed(limits *l, ginfo *g, uint32_t was, const char *why,
                          uint32_t accepted) {
  uint32_t n = g->key.n > 0 ? g->key.limit[g->lcell].count : 0;
  int64_t w = g->key.n > 0 ? window_us(&g->key.limit[g->lcell]) : 0;
  if ((was == 0) != (g->lrn.limit == 0) && mx.learned_keys != NULL)
    qf_gauge_add(mx.learned_keys, g->lrn.limit > 0 ? 1 : -1);
  qf_log_info("limit_learned",
              "group=%s dialect=%s limit=%u configured=%u window_ms=%lld why=%s "
              "accepted=%u",
              g->id, g->dialect, learn_count(&g->lrn, n), n, (long long)(w / 1000), why,
              accepted);
  learn_write(l, g);
}

/* The learned limit stored for g, read once when g is first loaded. One
 * learned on a window g no longer has is dropped. */
static void learn_load(limits *l, qf_kv_txn *txn, ginfo *g) {
  char k[8 + QF_GROUP_ID_MAX];
  qf_kv_val v;
  const uint8_t *d;
  int n = snprintf(k, sizeof k, "learn:%s", g->id);
  if (qf_kv_get(txn, DB_META, k, (size_t)n, &v) != 0 || v.len != LEARN_REC_LEN)
    return;
  d = v.data;
  if (g->key.n == 0 ||
      (int64_t)qf_kv_get_be64(d + 4) != window_us(&g->key.limit[g->lcell])) {
    learn_write(l, g); /* nothing learned: deleted */
    return;
  }
  g->lrn.limit = qf_kv_get_be32(d);
  if (g->lrn.limit >= g->key.limit[g->lcell].count)
    g->lrn.limit = 0;
  g->lrn.cut_us = wall_to_mono_us((int64_t)qf_kv_get_be64(d + 12));
  g->lrn.calm_us = wall_to_mono_us((int64_t)qf_kv_get_be64(d + 20));
  if (g->lrn.limit > 0)
    learn_changed(l, g, 0, "restored", 0);
}

void limits_throttled(limits *l, ginfo *g, int64_t now_us) {
  uint32_t was = g->lrn.limit, accepted;
  int64_t w;
  if (g->key.n == 0 || l->o.no_learn)
    return; /* no limit to lower */
  w = window_us(&g->key.limit[g->lcell]);
  accepted = learn_recent(&g->lrn, w, now_us);
  if (learn_throttled(&g->lrn, g->key.limit[g->lcell].count, w, now_us))
    learn_changed(l, g, was, "throttled", accepted);
}

void limits_accepted(limits *l, ginfo *g, int64_t now_us) {
  uint32_t was = g->lrn.limit;
  int64_t w;
  if (g->key.n == 0 || l->o.no_learn)
    return;
  w = window_us(&g->key.limit[g->lcell]);
  if (learn_recover(&g->lrn, g->key.limit[g->lcell].count, w, now_us))
    learn_changed(l, g, was, "recovered", learn_recent(&g->lrn, w, now_us));
}

uint32_t limits_learned(const ginfo *g, int64_t *window_us_out) {
  if (g->key.n == 0)
    return 0;
  *window_us_out = window_us(&g->key.limit[g->lcell]);
  return learn_count(&g->lrn, g->key.limit[g->lcell].count);
}

ginfo *limits_group(limits *l, qf_kv_txn *txn, const char *id) {
  ginfo *g = group_find(l, id);
  uint64_t gen = l->o.groups_gen ? *l->o.groups_gen : 0;
  Qunfa__Group *rec = NULL;
  bool fresh = g == NULL;
  if ((g != NULL && g->gen == gen) || txn == NULL)
    return g;
  if (db_get_group(txn, id, &rec) != 0)
    return g; /* missing or unreadable: keep what is known */
  g = limits_group_set(l, rec);
  qunfa__group__free_unpacked(rec, NULL);
  if (fresh) {
    cap_load(l, txn, g);
    learn_load(l, txn, g);
  }
  return g;
}

/* ---- cells ---- */

lkey *limits_global(limits *l) {
  return &l->global;
}

size_t limits_chain(ginfo *g, lkey *out[LIMITS_CHAIN]) {
  size_t n = 0;
  out[n++] = &g->key;
  for (size_t i = 0; i < LIMITS_CHAIN - 1; i++)
    if (g->up[i] != NULL)
      out[n++] = g->up[i];
  return n;
}

/* The global key with its tolerance: it conforms at now when it would at
 * now + tol without one. */
static int64_t global_peek(const limits *l, int64_t now_us) {
  const lkey *k = &l->global;
  int64_t at;
  if (k->n == 0)
    return 0;
  at = qf_gcra_peek(&k->cell[0], &k->limit[0], now_us + l->global_tol_us);
  return at == 0 ? 0 : at - l->global_tol_us;
}

/* A take within the tolerance happens at ceil(TAT), which keeps the chain of
 * virtual times exact (gcra.h), so the long-run rate stays N per W. */
static void global_take(limits *l, int64_t now_us) {
  lkey *k = &l->global;
  int64_t at;
  if (k->n == 0)
    return;
  at = qf_gcra_peek(&k->cell[0], &k->limit[0], now_us);
  qf_gcra_take(&k->cell[0], &k->limit[0], at == 0 ? now_us : at);
}

/* A learned limit L of N counts as N - L more leases out: the log's rule then
 * is exactly the rule for L per W (wlog.h), over the same completions. */
static int64_t group_peek(const lkey *k, int64_t now_us) {
  const ginfo *g = (const ginfo *)k;
  int64_t at = 0;
  for (uint8_t i = 0; i < k->n; i++) {
    uint32_t out = k->inflight;
    if (i == g->lcell)
      out += g->win[i].count - learn_count(&g->lrn, g->win[i].count);
    int64_t t = wlog_peek(&g->win[i], out, now_us);
    if (t > at)
      at = t;
  }
  return at;
}

int64_t limits_peek(const lkey *k, int64_t now_us) {
  int64_t at = now_us < k->hold_us ? k->hold_us : 0;
  if (k->tier == TIER_GLOBAL) {
    /* The global key is the limits' own member. */
    const limits *l = (const limits *)((const char *)k - offsetof(limits, global));
    int64_t t = global_peek(l, now_us);
    return t > at ? t : at;
  }
  if (k->tier == TIER_GROUP) {
    int64_t t = group_peek(k, now_us);
    return t > at ? t : at;
  }
  for (uint8_t i = 0; i < k->n; i++) {
    int64_t t = qf_gcra_peek(&k->cell[i], &k->limit[i], now_us);
    if (t > at)
      at = t;
  }
  return at;
}

int64_t limits_take(limits *l, ginfo *g, int64_t now_us, lkey **blocker,
                    bool *inflight) {
  lkey *chain[LIMITS_CHAIN + 1];
  qf_gcra_cell *cells[LIMITS_CHAIN * LIMITS_CELLS];
  const qf_gcra_limit *lims[LIMITS_CHAIN * LIMITS_CELLS];
  size_t nk = limits_chain(g, chain), nc = 0;
  chain[nk++] = &l->global;
  *blocker = NULL;
  *inflight = false;
  for (size_t i = 0; i < g->key.n; i++)
    wlog_trim(&g->win[i], now_us); /* nothing of it counts any more: free it */
  for (size_t i = 0; i < nk; i++) {
    int64_t at;
    if (chain[i]->hold_us > now_us) {
      *blocker = chain[i];
      return chain[i]->hold_us;
    }
    for (uint8_t j = 0; j < chain[i]->n && chain[i]->tier != TIER_GROUP &&
                        chain[i]->tier != TIER_GLOBAL;
         j++) {
      cells[nc] = &chain[i]->cell[j];
      lims[nc++] = &chain[i]->limit[j];
    }
    if ((at = limits_peek(chain[i], now_us)) != 0) {
      *blocker = chain[i];
      return at;
    }
  }
  /* Every key conformed at now_us: the takes succeed. */
  (void)qf_gcra_take_all(cells, lims, nc, now_us);
  global_take(l, now_us);
  if (g->key.n > 0) {
    g->key.inflight++;
    *inflight = true;
  }
  return 0;
}

void limits_done(ginfo *g, int64_t now_us, bool sent) {
  lkey *k = &g->key;
  if (k->inflight > 0)
    k->inflight--;
  for (uint8_t i = 0; sent && i < k->n; i++)
    wlog_done(&g->win[i], now_us);
}

void limits_hold(lkey *k, int64_t until_us) {
  if (until_us > k->hold_us)
    k->hold_us = until_us;
}

/* ---- daily cap ---- */

static void cap_roll(ginfo *g, int64_t day) {
  if (g->cap_day != day) {
    g->cap_day = day;
    g->cap_count = 0;
  }
}

bool limits_cap_reached(limits *l, ginfo *g, int64_t now_ms) {
  (void)l;
  if (g->daily_cap == 0)
    return false;
  cap_roll(g, guards_local_day(g->tz, now_ms));
  return g->cap_count >= g->daily_cap;
}

void limits_cap_count(limits *l, ginfo *g, int64_t now_ms) {
  if (g->daily_cap == 0)
    return;
  cap_roll(g, guards_local_day(g->tz, now_ms));
  g->cap_count++;
  if (l->o.work != NULL) {
    char k[8 + QF_GROUP_ID_MAX];
    uint8_t v[12];
    int n = snprintf(k, sizeof k, "cap:%s", g->id);
    qf_kv_put_be64(v, (uint64_t)g->cap_day);
    qf_kv_put_be32(v + 8, g->cap_count);
    qf_kv_batch_put(commit_batch(l->o.work), DB_META, k, (size_t)n, v, sizeof v);
  }
}
