/* Content items as the store keeps them: checked, reduced to their canonical
 * bytes, and named by the SHA-256 of those bytes.
 *
 * Canonical bytes are the item packed by protobuf-c with every unknown field
 * dropped: protobuf-c packs known fields in field-number order and omits proto3
 * defaults, so equal items always give equal bytes and the same id. */
#ifndef STORE_CONTENT_H
#define STORE_CONTENT_H
#include <stddef.h>
#include <stdint.h>

#include "model.pb-c.h"
#include "qf/hash.h"

#define CONTENT_MAX_BYTES (1u << 20) /* packed size limit of one item */

/* Checks item number index of a request: kind non-empty, packed size at most
 * CONTENT_MAX_BYTES. QF_EINVAL with a sentence naming the item in why. */
int content_check(const Qunfa__Content *c, size_t index, char *why, size_t len);
/* Packs c canonically into a new buffer (*out, caller frees) and computes its id. */
void content_pack(const Qunfa__Content *c, uint8_t **out, size_t *len,
                  uint8_t id[QF_SHA256_LEN]);

#endif
