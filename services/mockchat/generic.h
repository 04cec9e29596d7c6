/* The generic webhook dialect as a receiver checks it: a JSON object
 *   {"group":G,"post":P,"kind":K,"text":T}
 * whose group equals the group in the request path, with post and kind
 * non-empty, and an Idempotency-Key header (the sender uses "P:G"). */
#ifndef MOCKCHAT_GENERIC_H
#define MOCKCHAT_GENERIC_H
#include <jansson.h>
#include <stddef.h>

#include "message.h"

/* Decodes body (len bytes) sent to path_group with header idem_key (NULL when
 * absent). On 0, *doc is the parsed document (caller json_decref's it) and the
 * fields of out are borrowed from it and from path_group and idem_key. On
 * QF_EINVAL, *doc is NULL and why holds a sentence naming what is wrong. */
int generic_decode(const void *body, size_t len, const char *path_group,
                   const char *idem_key, json_t **doc, chat_msg *out, char *why,
                   size_t wlen);

#endif
