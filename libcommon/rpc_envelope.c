#include "rpc_envelope.h"

#include "qf/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rpc_method_name(const ProtobufCServiceDescriptor *svc, unsigned method, char *buf,
                    size_t len) {
  if (!svc || method >= svc->n_methods)
    return QF_EINVAL;
  int n = snprintf(buf, len, "%s/%s", svc->name, svc->methods[method].name);
  if (n < 0 || (size_t)n >= len)
    return QF_EINVAL;
  return 0;
}

int rpc_method_find(const ProtobufCServiceDescriptor *svc, const char *name) {
  size_t svc_len = strlen(svc->name);
  if (!name || strncmp(name, svc->name, svc_len) != 0 || name[svc_len] != '/')
    return -1;
  const ProtobufCMethodDescriptor *m =
      protobuf_c_service_descriptor_get_method_by_name(svc, name + svc_len + 1);
  return m ? (int)(m - svc->methods) : -1;
}

int rpc_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(n ? n : 1); /* malloc(0) may answer NULL */
  if (!buf)
    return QF_ENOMEM;
  *len = protobuf_c_message_pack(m, buf);
  *out = buf;
  return 0;
}

/* A protobuf-c output buffer that appends to an NNG message: the message is
 * built by appending only, and the first failed append is remembered. */
typedef struct msg_buffer {
  ProtobufCBuffer base;
  nng_msg *msg;
  int err;
} msg_buffer;

static void msg_buffer_append(ProtobufCBuffer *b, size_t len, const uint8_t *data) {
  msg_buffer *mb = (msg_buffer *)b;
  if (mb->err == 0 && nng_msg_append(mb->msg, data, len) != 0)
    mb->err = QF_ENOMEM;
}

int rpc_pack_msg(const ProtobufCMessage *m, nng_msg **out) {
  msg_buffer mb = {.base = {.append = msg_buffer_append}};
  if (nng_msg_alloc(&mb.msg, 0) != 0)
    return QF_ENOMEM;
  /* One allocation up front instead of one per field. */
  if (nng_msg_reserve(mb.msg, protobuf_c_message_get_packed_size(m)) != 0)
    mb.err = QF_ENOMEM;
  else
    protobuf_c_message_pack_to_buffer(m, &mb.base);
  if (mb.err) {
    nng_msg_free(mb.msg);
    return mb.err;
  }
  *out = mb.msg;
  return 0;
}

int rpc_msg_from_bytes(const void *buf, size_t len, nng_msg **out) {
  nng_msg *m;
  if (nng_msg_alloc(&m, 0) != 0)
    return QF_ENOMEM;
  if (nng_msg_append(m, buf, len) != 0) {
    nng_msg_free(m);
    return QF_ENOMEM;
  }
  *out = m;
  return 0;
}

/* Reads one base-128 varint at *p (before end) and advances past it. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

/* Skips the value of one field of wire type wt; false when the bytes end first or
 * the wire type is not one proto3 uses. */
static bool skip_value(const uint8_t **p, const uint8_t *end, unsigned wt) {
  uint64_t v;
  size_t left = (size_t)(end - *p);
  switch (wt) {
  case 0:
    return read_varint(p, end, &v);
  case 1:
    if (left < 8)
      return false;
    *p += 8;
    return true;
  case 2:
    if (!read_varint(p, end, &v) || v > (uint64_t)(end - *p))
      return false;
    *p += v;
    return true;
  case 5:
    if (left < 4)
      return false;
    *p += 4;
    return true;
  default:
    return false;
  }
}

bool rpc_scan_request_id(const uint8_t *buf, size_t len, uint64_t *id) {
  const uint8_t *p = buf, *end = buf + len;
  bool found = false;
  while (p < end) {
    uint64_t key, v;
    if (!read_varint(&p, end, &key))
      break;
    if (key == ((2u << 3) | 0u)) { /* field 2, varint: request_id */
      if (!read_varint(&p, end, &v))
        break;
      *id = v;
      found = true;
    } else if (!skip_value(&p, end, (unsigned)(key & 7))) {
      break;
    }
  }
  return found;
}

int rpc_err_from_nng(int rv) {
  switch (rv) {
  case 0:
    return 0;
  case NNG_ETIMEDOUT:
    return QF_ETIMEDOUT;
  case NNG_ECLOSED:
  case NNG_ECANCELED:
    return QF_ECANCELED;
  case NNG_ENOMEM:
    return QF_ENOMEM;
  default:
    return QF_EIO;
  }
}
