/* libFuzzer target: the bytes a server receives as one RPC request, decoded the
 * way libcommon/rpc_server.c does it (decode_call): the RequestEnvelope, the
 * method looked up in each service of proto/scheduler.proto and proto/store.proto,
 * the payload unpacked as that method's request type, and, for bytes that do not
 * decode, the request id recovered by rpc_scan_request_id. The same bytes are also
 * unpacked as every request type directly, so a payload's decoder is reached
 * without a well-formed envelope around it. Fields the servers hand to libcommon
 * (groups, audiences) go through the same checks the handlers apply.
 *
 * Properties: nothing crashes or leaks; what decodes packs back into bytes that
 * decode again and pack identically; the request id the scanner finds in bytes
 * that decode is the one the decoder found. */
#include "fuzz.h"

#include <stdbool.h>

#include "qf/audience.h"
#include "qf/group.h"
#include "rpc.pb-c.h"
#include "rpc_envelope.h"
#include "scheduler.pb-c.h"
#include "store.pb-c.h"

/* Larger inputs only repeat what small ones reach; the servers' own limit is
 * QF_RPC_MAX_MSG_DEFAULT. */
#define FUZZ_MAX_INPUT (64u << 10)

static const ProtobufCServiceDescriptor *const services[] = {
    &qunfa__scheduler__descriptor, &qunfa__work__descriptor, &qunfa__store__descriptor};
#define N_SERVICES (sizeof services / sizeof services[0])

/* Whether m or a message inside it kept fields its type does not declare. */
static bool has_unknown_fields(const ProtobufCMessage *m) {
  if (m->n_unknown_fields > 0)
    return true;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    const char *base = (const char *)m;
    ProtobufCMessage *const *subs = (ProtobufCMessage *const *)(base + f->offset);
    size_t n = 1;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      n = *(const size_t *)(base + f->quantifier_offset);
      subs = *(ProtobufCMessage *const *const *)(base + f->offset);
    }
    for (size_t k = 0; k < n; k++)
      if (subs[k] && has_unknown_fields(subs[k]))
        return true;
  }
  return false;
}

/* Packs m, checks the bytes decode again as the same type and pack identically. */
static void check_round_trip(const ProtobufCMessage *m) {
  /* protobuf-c 1.4 keeps unknown fields as they came, even a field number 0 in an
   * overlong key (80 00), and then packs that in a form it refuses itself. The
   * servers never pack a request again, so only declared fields must round-trip. */
  if (has_unknown_fields(m))
    return;
  uint8_t *a = NULL, *b = NULL;
  size_t alen = 0, blen = 0;
  FUZZ_CHECK(rpc_pack(m, &a, &alen) == 0, "pack of %s", m->descriptor->name);
  FUZZ_CHECK(alen == protobuf_c_message_get_packed_size(m), "%s: size",
             m->descriptor->name);
  ProtobufCMessage *again = protobuf_c_message_unpack(m->descriptor, NULL, alen, a);
  FUZZ_CHECK(again != NULL, "%s does not decode its own packing", m->descriptor->name);
  FUZZ_CHECK(rpc_pack(again, &b, &blen) == 0, "repack of %s", m->descriptor->name);
  FUZZ_CHECK(alen == blen && memcmp(a, b, alen) == 0, "%s packs differently twice",
             m->descriptor->name);
  protobuf_c_message_free_unpacked(again, NULL);
  free(a);
  free(b);
}

/* What the handlers give to libcommon before anything else. */
static void use_request(const ProtobufCMessage *m) {
  char why[256];
  if (m->descriptor == &qunfa__upsert_groups_request__descriptor) {
    const Qunfa__UpsertGroupsRequest *r = (const Qunfa__UpsertGroupsRequest *)m;
    for (size_t i = 0; i < r->n_groups; i++)
      (void)qf_group_validate(r->groups[i], why, sizeof why);
  } else if (m->descriptor == &qunfa__create_post_request__descriptor) {
    const Qunfa__CreatePostRequest *r = (const Qunfa__CreatePostRequest *)m;
    qf_audience *a = NULL;
    if (qf_audience_parse(r->audience, &a, why, sizeof why) == 0)
      qf_audience_free(a);
  }
}

/* Unpacks len bytes as type in; on success checks and uses the message. */
static void unpack_as(const ProtobufCMessageDescriptor *in, const uint8_t *buf,
                      size_t len) {
  ProtobufCMessage *m = protobuf_c_message_unpack(in, NULL, len, buf);
  if (!m)
    return;
  check_round_trip(m);
  use_request(m);
  protobuf_c_message_free_unpacked(m, NULL);
}

/* The server's decode_call, for every service at once. */
static void decode_envelope(const uint8_t *data, size_t size) {
  char why[512];
  uint64_t id = 0;
  Qunfa__RequestEnvelope *env = qunfa__request_envelope__unpack(NULL, size, data);
  if (!env) {
    (void)rpc_scan_request_id(data, size, &id);
    snprintf(why, sizeof why, "request envelope of %zu bytes does not decode", size);
    return;
  }
  if (env->request_id != 0) {
    FUZZ_CHECK(rpc_scan_request_id(data, size, &id) && id == env->request_id,
               "scanner found %llu, decoder %llu", (unsigned long long)id,
               (unsigned long long)env->request_id);
  }
  check_round_trip(&env->base);
  for (size_t s = 0; s < N_SERVICES; s++) {
    int m = rpc_method_find(services[s], env->method);
    if (m < 0) {
      snprintf(why, sizeof why, "%s has no method \"%.*s\"", services[s]->name,
               RPC_METHOD_MAX, env->method);
      continue;
    }
    FUZZ_CHECK((unsigned)m < services[s]->n_methods, "method index %d", m);
    char name[RPC_METHOD_MAX];
    FUZZ_CHECK(rpc_method_name(services[s], (unsigned)m, name, sizeof name) == 0 &&
                   strcmp(name, env->method) == 0,
               "method \"%s\" found as \"%s\"", env->method, name);
    unpack_as(services[s]->methods[m].input, env->payload.data, env->payload.len);
  }
  qunfa__request_envelope__free_unpacked(env, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return 0;
  decode_envelope(data, size);
  for (size_t s = 0; s < N_SERVICES; s++)
    for (unsigned m = 0; m < services[s]->n_methods; m++)
      unpack_as(services[s]->methods[m].input, data, size);
  return 0;
}
