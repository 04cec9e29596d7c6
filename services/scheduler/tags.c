#include "tags.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "qf/err.h"
#include "qf/group.h"
#include "qf/log.h"

#define KEY_MAX (2 * QF_GROUP_ID_MAX + 1)

static const char indexed_key[] = "tags_indexed";

/* tag | 0x00 | id into k; returns its length (0 if it cannot be a stored key). */
static size_t make_key(uint8_t k[KEY_MAX], const char *tag, const char *id) {
  size_t t = strlen(tag), n = strlen(id);
  if (t == 0 || t > QF_GROUP_ID_MAX || n > QF_GROUP_ID_MAX)
    return 0;
  memcpy(k, tag, t);
  k[t] = 0;
  memcpy(k + t + 1, id, n);
  return t + 1 + n;
}

static int carries(const Qunfa__Group *g, const char *tag) {
  for (size_t i = 0; i < g->n_tags; i++)
    if (strcmp(g->tags[i], tag) == 0)
      return 1;
  return 0;
}

void tags_update(qf_kv_batch *b, const Qunfa__Group *old, const Qunfa__Group *g) {
  uint8_t k[KEY_MAX];
  size_t n;
  for (size_t i = 0; old != NULL && i < old->n_tags; i++) {
    if (carries(g, old->tags[i]))
      continue;
    if ((n = make_key(k, old->tags[i], old->id)) > 0)
      qf_kv_batch_del(b, DB_TAGS, k, n);
  }
  for (size_t i = 0; i < g->n_tags; i++)
    if ((n = make_key(k, g->tags[i], g->id)) > 0)
      qf_kv_batch_put(b, DB_TAGS, k, n, "", 0);
}

typedef struct each_ctx {
  size_t skip; /* tag | 0x00 */
  qf_audience_id_fn fn;
  void *arg;
} each_ctx;

static int each_visit(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  each_ctx *c = arg;
  char id[QF_GROUP_ID_MAX + 1];
  size_t n = key->len - c->skip;
  (void)val;
  if (key->len <= c->skip || n > QF_GROUP_ID_MAX)
    return 0;
  memcpy(id, (const uint8_t *)key->data + c->skip, n);
  id[n] = '\0';
  return c->fn(id, c->arg);
}

int tags_each(qf_kv_txn *txn, const char *tag, qf_audience_id_fn fn, void *arg) {
  uint8_t from[QF_GROUP_ID_MAX + 1], to[QF_GROUP_ID_MAX + 1];
  size_t t = strlen(tag);
  each_ctx c = {t + 1, fn, arg};
  if (t == 0 || t > QF_GROUP_ID_MAX)
    return 0;
  memcpy(from, tag, t);
  memcpy(to, tag, t);
  from[t] = 0;
  to[t] = 1; /* just past every key of this tag */
  return qf_kv_scan(txn, DB_TAGS, from, t + 1, to, t + 1, each_visit, &c);
}

typedef struct build_ctx {
  qf_kv_batch *b;
  size_t groups;
  int err;
} build_ctx;

static int build_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  build_ctx *c = arg;
  Qunfa__Group *g = qunfa__group__unpack(NULL, val->len, val->data);
  (void)key;
  if (g == NULL) {
    c->err = QF_EPROTO;
    return 1;
  }
  tags_update(c->b, NULL, g);
  c->groups++;
  qunfa__group__free_unpacked(g, NULL);
  return 0;
}

int tags_build(qf_kv *kv) {
  build_ctx c = {qf_kv_batch_new(), 0, 0};
  qf_kv_txn *txn = NULL;
  qf_kv_val v;
  int rc;
  if ((rc = qf_kv_read_begin(kv, &txn)) != 0)
    goto out;
  rc = qf_kv_get(txn, DB_META, indexed_key, sizeof indexed_key - 1, &v);
  if (rc == 0) { /* built already */
    qf_kv_read_end(txn);
    goto out;
  }
  if (rc == QF_ENOTFOUND)
    rc = qf_kv_scan(txn, DB_GROUPS, NULL, 0, NULL, 0, build_one, &c);
  qf_kv_read_end(txn);
  if (rc < 0 || (rc = c.err) != 0)
    goto out;
  qf_kv_batch_put(c.b, DB_META, indexed_key, sizeof indexed_key - 1, "1", 1);
  if ((rc = qf_kv_commit(kv, c.b)) == 0)
    qf_log_info("tags_indexed", "groups=%zu", c.groups);
out:
  if (rc != 0)
    qf_log_error("tags_build_failed", "err=%s", qf_errname(rc));
  qf_kv_batch_free(c.b);
  return rc;
}
