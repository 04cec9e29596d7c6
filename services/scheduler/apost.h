/* An active post: a post that is due and not done, with the state of each of its
 * deliveries in memory. Leases exist only here. Its record on disk is kept in
 * step through the work commit stream (apost_write).
 *
 * Deliveries are loaded from LMDB in sequence order (a 100,000-group post loads
 * over several loop turns): only d[0..loaded) is meaningful. counts[] covers the
 * loaded ones. A post is reference-counted: the active table holds one reference,
 * and every ready-queue, retry and lease entry that points at it holds one. */
#ifndef SCHED_APOST_H
#define SCHED_APOST_H
#include <stdbool.h>
#include <stdint.h>

#include "qf/kv.h"
#include "scheduler.pb-c.h"

#define APOST_STATES 6

/* Where a pending delivery waits: queued to be leased, for a retry (or the end
 * of quiet hours), or parked behind a rate-limit key. */
enum adlv_where { WHERE_NONE, WHERE_READY, WHERE_RETRY, WHERE_PARKED };

/* Priority classes by rank: a lower rank is always leased first. */
enum apost_rank { RANK_URGENT, RANK_LIVE, RANK_NORMAL, RANK_BULK, RANKS };

#define ADLV_COUNTED 1  /* counted against its group's daily cap */
#define ADLV_INFLIGHT 2 /* leased and counted out on its group's key */

typedef struct adlv {
  uint32_t gid;  /* offset of the group id in the post's arena */
  uint8_t state; /* Qunfa__DeliveryState */
  uint8_t where; /* adlv_where */
  uint8_t flags; /* ADLV_* */
  uint32_t attempts;
  uint64_t lease_id; /* the current lease while LEASED */
  int64_t next_attempt_ms;
  int64_t delivered_at_ms;
  char *last_error; /* owned; NULL = none */
  char *msg_id;     /* owned: the platform's id of the message sent (or, in a
                       recall post, of the message to delete); NULL = none */
} adlv;

typedef struct apost {
  uint64_t id;
  uint8_t content_id[32];
  char *audience;
  int64_t due_ms, created_ms;
  uint32_t total, loaded;
  uint64_t schedule_id; /* the schedule this post is an occurrence of; 0 = none */
  bool cancelled;       /* CancelPost: no delivery is pending again */
  uint8_t priority;     /* Qunfa__Priority, as stored */
  uint8_t rank;         /* apost_rank */
  bool ignore_quiet;    /* urgent and live posts only */
  int64_t expires_ms;   /* 0 = never */
  uint32_t counts[APOST_STATES];
  adlv *d;
  char *arena; /* group ids, NUL-terminated */
  size_t arena_len, arena_cap;
  /* Ready queue: seqs waiting for a lease, FIFO ring; owned by ready.c. */
  uint32_t *rq;
  uint32_t rq_head, rq_len, rq_cap;
  struct apost *rnext, *rprev; /* ring of posts of its rank with ready deliveries */
  struct apost *hnext;         /* active table chain */
  struct apost *lnext;         /* posts still loading */
  unsigned refs;
  bool done;
} apost;

/* The rank of a wire priority. */
uint8_t apost_rank_of(int priority);

/* A post from its record, with one reference. */
apost *apost_new(const Qunfa__Post *rec);
void apost_ref(apost *p);
/* Frees on the last reference. */
void apost_unref(apost *p);

/* Loads delivery seq (== p->loaded) from its record. A state never stored
 * (LEASED) becomes PENDING: leases do not survive a restart. */
void apost_load(apost *p, uint32_t seq, const Qunfa__Delivery *rec);
/* Moves delivery seq to state, keeping counts and gauges. In a cancelled post
 * PENDING becomes CANCELLED: a retry, an expired or a released lease of it ends
 * there, and the queues skip what is not pending. */
void apost_set_state(apost *p, uint32_t seq, int state);
/* Replaces the platform's message id (copied; NULL or "" keeps the old one). */
void apost_set_msg_id(apost *p, uint32_t seq, const char *id);
/* Replaces the last error (copied; NULL clears). */
void apost_set_error(apost *p, uint32_t seq, const char *err);
const char *apost_group(const apost *p, uint32_t seq);
/* Every delivery is loaded and final. */
bool apost_complete(const apost *p);
/* Leaves the gauges as if p's deliveries were gone (p leaves memory). */
void apost_forget_counts(apost *p);

/* Writes delivery seq's durable state into b. */
void apost_write(const apost *p, uint32_t seq, qf_kv_batch *b);
/* Writes the post's record (with p->done) into b. */
void apost_write_record(const apost *p, qf_kv_batch *b);
/* Fills info with delivery seq (strings borrowed from p). */
void apost_info(const apost *p, uint32_t seq, Qunfa__DeliveryInfo *info);

static inline bool adlv_final(int state) {
  return state >= QUNFA__DELIVERY_STATE__DELIVERED;
}

#endif
