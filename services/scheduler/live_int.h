/* The inside of live.c shared with live_end.c (cancel, status, leaving
 * memory). Not for other modules: they use live.h. */
#ifndef SCHED_LIVE_INT_H
#define SCHED_LIVE_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "live.h"

#define REMIND_MAX 8

/* One session in memory. */
typedef struct lsess {
  uint64_t id;
  char *title, *guest, *audience;
  int64_t at_ms, created_ms;
  int64_t remind[REMIND_MAX];
  uint64_t reminder_posts[REMIND_MAX];
  size_t nremind;
  char **groups; /* in delivery order */
  uint32_t ngroups;
  uint32_t *next;    /* per group: the segment whose turn it is */
  uint32_t *covered; /* per group: the last segment its current lease carries */
  char **ctext;      /* per group: the coalesced text of its current lease */
  uint64_t *posts;   /* per segment */
  int64_t *at;       /* per segment: appended at */
  char **texts;      /* per segment; NULL when not known (appended before a restart) */
  uint32_t nseg, cap;
  uint32_t ended[APOST_STATES]; /* segment deliveries final, by state */
  bool closed;
  bool cancelled;    /* LiveCancel: closed, and nothing more of it is sent */
  uint32_t finished; /* once closed: groups that had every segment */
  uint32_t busy;     /* calls under way on it (say, cancel): not retired meanwhile */
  struct lsess *next_sess;
} lsess;

/* Post id -> (session, segment), open addressing. */
typedef struct slot {
  uint64_t post;
  lsess *ls;
  uint32_t k;
} slot;

struct lives {
  sched *s;
  uint64_t next_id;
  lsess *head;
  size_t nsess; /* sessions in memory */
  slot *map;    /* a retired session's slots stay with ls NULL (tombstones) */
  size_t nmap, cap;
};

/* The session in memory with id, or NULL. */
lsess *live_find(lives *lv, uint64_t id);
/* Writes r into this turn's client batch (db lives). */
void live_put(sched *s, const Qunfa__LiveSession *r);
/* Writes ls's record into this turn's client batch. */
void live_put_record(sched *s, const lsess *ls);
/* ls's record (borrowed from ls; with the segment lists when lists). */
void live_fill_record(const lsess *ls, Qunfa__LiveSession *r, bool lists);
/* Retires ls when it is closed, settled (every group had every segment) and
 * no call is under way on it: its record is written settled, with its counts,
 * and it leaves memory. */
void live_settle(lives *lv, lsess *ls);
/* Whether session id is settled (out of memory, every delivery final); then
 * *cancelled says whether it was cancelled. */
bool live_settled(sched *s, uint64_t id, bool *cancelled);
/* Frees ls (not in the list any more). */
void live_sess_free(lsess *ls);

#endif
