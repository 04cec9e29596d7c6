#include "content.h"

#include "qf/alloc.h"
#include "qf/err.h"

#include <stdio.h>

/* A shallow copy without unknown fields: a newer client's extra fields must not
 * change the id of what this store understands. Content has no nested messages;
 * one that gains some must drop their unknown fields too. */
static Qunfa__Content canonical(const Qunfa__Content *c) {
  Qunfa__Content k = *c;
  k.base.n_unknown_fields = 0;
  k.base.unknown_fields = NULL;
  return k;
}

int content_check(const Qunfa__Content *c, size_t index, char *why, size_t len) {
  if (!c->kind || !*c->kind) {
    snprintf(why, len, "item %zu: kind is empty", index);
    return QF_EINVAL;
  }
  Qunfa__Content k = canonical(c);
  size_t n = qunfa__content__get_packed_size(&k);
  if (n > CONTENT_MAX_BYTES) {
    snprintf(why, len, "item %zu: %zu bytes packed, more than the limit of %u", index,
             n, CONTENT_MAX_BYTES);
    return QF_EINVAL;
  }
  return 0;
}

void content_pack(const Qunfa__Content *c, uint8_t **out, size_t *len,
                  uint8_t id[QF_SHA256_LEN]) {
  Qunfa__Content k = canonical(c);
  size_t n = qunfa__content__get_packed_size(&k);
  uint8_t *buf = qf_malloc(n ? n : 1);
  qunfa__content__pack(&k, buf);
  qf_sha256(buf, n, id);
  *out = buf;
  *len = n;
}
