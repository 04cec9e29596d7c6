#include "contents.h"

#include <stdlib.h>
#include <string.h>

#include "posts.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"
#include "store.pb-c.h"

typedef struct putting {
  sched *s;
  size_t n;
  contents_fn cb;
  void *arg;
} putting;

static void on_put(int status, const char *err, ProtobufCMessage *msg, void *arg) {
  putting *pt = arg;
  Qunfa__PutReply *reply = (Qunfa__PutReply *)msg;
  uint8_t(*ids)[32] = NULL;
  pt->s->store_calls--;
  if (status != 0) {
    qf_log_warn("store_put_failed", "err=%s", qf_errname(status));
    pt->cb(QF_EUNAVAIL, err ? err : qf_strerror(status), NULL, pt->arg);
    goto out;
  }
  ids = qf_calloc(pt->n, sizeof(*ids));
  for (size_t i = 0; i < pt->n; i++) {
    if (reply->n_ids != pt->n || reply->ids[i].len != 32) {
      pt->cb(QF_EPROTO, "the content store answered without a 32-byte id per item",
             NULL, pt->arg);
      goto out;
    }
    memcpy(ids[i], reply->ids[i].data, 32);
  }
  pt->cb(0, "", (const uint8_t(*)[32])ids, pt->arg);
out:
  free(ids);
  if (msg != NULL)
    protobuf_c_message_free_unpacked(msg, NULL);
  free(pt);
}

int contents_put_items(sched *s, Qunfa__Content *const *items, size_t n, contents_fn cb,
                       void *arg) {
  Qunfa__PutRequest req = QUNFA__PUT_REQUEST__INIT;
  putting *pt = qf_calloc(1, sizeof(*pt));
  int rc = QF_EUNAVAIL;
  *pt = (putting){s, n, cb, arg};
  req.items = (Qunfa__Content **)items;
  req.n_items = n;
  if (s->store != NULL && !s->stopping)
    rc = qf_rpc_call_async(s->store, &qunfa__store__descriptor, 0, &req.base,
                           POSTS_STORE_TIMEOUT_MS, on_put, pt);
  if (rc == 0)
    s->store_calls++;
  else
    free(pt);
  return rc;
}

int contents_put(sched *s, const char *kind, const char *const *texts, size_t n,
                 contents_fn cb, void *arg) {
  Qunfa__Content *items = qf_calloc(n, sizeof(*items));
  Qunfa__Content **ptrs = qf_calloc(n, sizeof(*ptrs));
  for (size_t i = 0; i < n; i++) {
    qunfa__content__init(&items[i]);
    items[i].kind = (char *)kind;
    items[i].text = (char *)texts[i];
    ptrs[i] = &items[i];
  }
  int rc = contents_put_items(s, ptrs, n, cb, arg);
  free(items);
  free(ptrs);
  return rc;
}
