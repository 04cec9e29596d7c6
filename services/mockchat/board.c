#include "board.h"

#include "kmap.h"

#include "qf/alloc.h"
#include "qf/err.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const what_names[BOARD_NWHAT] = {
    "accepted", "rejected", "throttled", "violations", "failed", "recalled",
};

typedef struct gstat {
  uint64_t n[BOARD_NWHAT];
  char dialect[16];
  char *target; /* the last target a message went through */
} gstat;

typedef struct tstat {
  uint64_t next_id;
} tstat;

typedef struct mstat {
  board_msg m;
  bool recalled;
} mstat;

struct board {
  pthread_mutex_t mu;
  kmap *groups, *targets, *messages;
  uint64_t totals[BOARD_NWHAT];
  size_t nmessages;
};

static void gstat_free(void *p) {
  gstat *g = p;
  free(g->target);
  free(g);
}

board *board_new(void) {
  board *b = qf_calloc(1, sizeof *b);
  pthread_mutex_init(&b->mu, NULL);
  b->groups = kmap_new();
  b->targets = kmap_new();
  b->messages = kmap_new();
  return b;
}

void board_free(board *b) {
  if (!b)
    return;
  kmap_free(b->groups, gstat_free);
  kmap_free(b->targets, free);
  kmap_free(b->messages, free);
  pthread_mutex_destroy(&b->mu);
  free(b);
}

static gstat *group_of(board *b, const char *group, const char *dialect) {
  gstat *g = kmap_get(b->groups, group);
  if (!g) {
    g = qf_calloc(1, sizeof *g);
    kmap_put(b->groups, group, g);
  }
  if (dialect)
    snprintf(g->dialect, sizeof g->dialect, "%s", dialect);
  return g;
}

void board_count(board *b, const char *group, const char *dialect, board_what what) {
  pthread_mutex_lock(&b->mu);
  group_of(b, group, dialect)->n[what]++;
  b->totals[what]++;
  pthread_mutex_unlock(&b->mu);
}

static void message_key(char *out, size_t len, const char *target, uint64_t id) {
  snprintf(out, len, "%s#%llu", target, (unsigned long long)id);
}

uint64_t board_accept(board *b, const char *group, const char *dialect,
                      const char *target, const char *post) {
  pthread_mutex_lock(&b->mu);
  gstat *g = group_of(b, group, dialect);
  g->n[BOARD_ACCEPTED]++;
  b->totals[BOARD_ACCEPTED]++;
  if (!g->target || strcmp(g->target, target) != 0) {
    free(g->target);
    g->target = qf_strdup(target);
  }
  tstat *t = kmap_get(b->targets, target);
  if (!t) {
    t = qf_calloc(1, sizeof *t);
    kmap_put(b->targets, target, t);
  }
  uint64_t id = ++t->next_id;
  if (b->nmessages < BOARD_MESSAGES_MAX) {
    mstat *m = qf_calloc(1, sizeof *m);
    snprintf(m->m.group, sizeof m->m.group, "%s", group);
    snprintf(m->m.post, sizeof m->m.post, "%s", post ? post : "");
    snprintf(m->m.dialect, sizeof m->m.dialect, "%s", dialect);
    char key[600];
    message_key(key, sizeof key, target, id);
    kmap_put(b->messages, key, m);
    b->nmessages++;
  }
  pthread_mutex_unlock(&b->mu);
  return id;
}

/* With b locked. */
static int recall_locked(board *b, const char *target, uint64_t id, board_msg *out) {
  char key[600];
  message_key(key, sizeof key, target, id);
  mstat *m = kmap_get(b->messages, key);
  if (!m)
    return QF_ENOTFOUND;
  if (m->recalled)
    return QF_EEXIST;
  m->recalled = true;
  *out = m->m;
  gstat *g = group_of(b, m->m.group, NULL);
  g->n[BOARD_RECALLED]++;
  b->totals[BOARD_RECALLED]++;
  return 0;
}

int board_recall(board *b, const char *target, uint64_t id, board_msg *out) {
  pthread_mutex_lock(&b->mu);
  int rc = recall_locked(b, target, id, out);
  pthread_mutex_unlock(&b->mu);
  return rc;
}

int board_recall_group(board *b, const char *group, uint64_t id, board_msg *out) {
  pthread_mutex_lock(&b->mu);
  gstat *g = kmap_get(b->groups, group);
  int rc = g && g->target ? recall_locked(b, g->target, id, out) : QF_ENOTFOUND;
  pthread_mutex_unlock(&b->mu);
  return rc;
}

static json_t *counts_json(const uint64_t *n) {
  json_t *o = json_object();
  for (int i = 0; i < BOARD_NWHAT; i++)
    json_object_set_new(o, what_names[i], json_integer((json_int_t)n[i]));
  return o;
}

static void add_group(const char *key, void *value, void *arg) {
  gstat *g = value;
  json_t *o = counts_json(g->n);
  json_object_set_new(o, "dialect", json_string(g->dialect));
  json_object_set_new(arg, key, o);
}

char *board_json(board *b) {
  json_t *doc = json_object(), *groups = json_object();
  pthread_mutex_lock(&b->mu);
  json_object_set_new(doc, "totals", counts_json(b->totals));
  kmap_each(b->groups, add_group, groups);
  pthread_mutex_unlock(&b->mu);
  json_object_set_new(doc, "groups", groups);
  char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(doc);
  if (!s)
    abort(); /* only on out of memory: the services' policy */
  return s;
}
