/* The tag index: which groups carry a tag, so an audience's tag terms are range
 * scans instead of a walk over every group. The "tags" db holds one empty entry
 * per (tag, group) under the key tag | 0x00 | group id (tags and ids never hold a
 * NUL byte, so one tag's groups are one key range, in id order). UpsertGroups
 * keeps it in the same commit as the group records. */
#ifndef SCHED_TAGS_H
#define SCHED_TAGS_H
#include "model.pb-c.h"
#include "qf/audience.h"
#include "qf/kv.h"

/* Writes into b the index changes of storing g over old (NULL: a new group):
 * entries of old's tags that g no longer carries are deleted, g's are put. Both
 * borrowed. */
void tags_update(qf_kv_batch *b, const Qunfa__Group *old, const Qunfa__Group *g);

/* Calls fn for every group carrying tag, in id order; returns 0, fn's non-zero
 * value or a negative qf error. */
int tags_each(qf_kv_txn *txn, const char *tag, qf_audience_id_fn fn, void *arg);

/* Start-up: indexes every stored group once if the store predates the index
 * (marked by the meta key "tags_indexed"). One commit; run before any other
 * writer. */
int tags_build(qf_kv *kv);

#endif
