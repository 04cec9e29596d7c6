/* Groups: upsert in bounded requests, list by pages. */
#include <string.h>

#include "client.h"

int qunfa_groups_upsert(qunfa_client *c, Qunfa__Group *const *groups, size_t n,
                        size_t *applied) {
  size_t done = 0;
  int rc = 0;

  while (done < n) {
    Qunfa__UpsertGroupsRequest req = QUNFA__UPSERT_GROUPS_REQUEST__INIT;
    ProtobufCMessage *reply;
    size_t chunk = n - done < QUNFA_UPSERT_CHUNK ? n - done : QUNFA_UPSERT_CHUNK;

    /* protobuf-c packs without writing to the groups: the cast only fits its
     * non-const field type. */
    req.groups = (Qunfa__Group **)(groups + done);
    req.n_groups = chunk;
    rc = qunfa_client_call(c, "UpsertGroups", &req.base, &reply);
    if (rc != 0)
      break;
    protobuf_c_message_free_unpacked(reply, NULL);
    done += chunk;
  }
  if (applied)
    *applied = done;
  return rc;
}

int qunfa_groups_list(qunfa_client *c, const char *after, uint32_t limit,
                      Qunfa__ListGroupsReply **page) {
  Qunfa__ListGroupsRequest req = QUNFA__LIST_GROUPS_REQUEST__INIT;
  ProtobufCMessage *reply;
  int rc;

  *page = NULL;
  req.after = (char *)(after ? after : "");
  req.limit = limit ? limit : QUNFA_PAGE_DEFAULT;
  if ((rc = qunfa_client_call(c, "ListGroups", &req.base, &reply)) != 0)
    return rc;
  *page = (Qunfa__ListGroupsReply *)reply;
  return 0;
}

void qunfa_groups_page_free(Qunfa__ListGroupsReply *page) {
  if (page)
    protobuf_c_message_free_unpacked(&page->base, NULL);
}
