/* Audiences: preview what an expression matches. */
#include "client.h"

int qunfa_audience_preview(qunfa_client *c, const char *audience, uint32_t sample,
                           Qunfa__PreviewAudienceReply **out) {
  Qunfa__PreviewAudienceRequest req = QUNFA__PREVIEW_AUDIENCE_REQUEST__INIT;
  ProtobufCMessage *reply;
  int rc;

  *out = NULL;
  if (!audience || !*audience)
    return qunfa_client_fail(c, QF_EINVAL, "the audience is empty");
  req.audience = (char *)audience;
  req.sample = sample;
  if ((rc = qunfa_client_call(c, "PreviewAudience", &req.base, &reply)) != 0)
    return rc;
  *out = (Qunfa__PreviewAudienceReply *)reply;
  return 0;
}

void qunfa_audience_preview_free(Qunfa__PreviewAudienceReply *p) {
  if (p)
    protobuf_c_message_free_unpacked(&p->base, NULL);
}
