/* A chat message as the simulator received it, whatever the platform dialect:
 * the fields the record keeps. All pointers are borrowed from the decoded
 * request and live as long as it does. */
#ifndef MOCKCHAT_MESSAGE_H
#define MOCKCHAT_MESSAGE_H

typedef struct chat_msg {
  const char *group;
  const char *post;
  const char *kind; /* generic: the content kind; platforms: their message type */
  const char *text;
  const char *idempotency_key;
  const char *dialect;         /* NULL = not recorded */
  const char *platform_msg_id; /* NULL = not recorded */
  /* A card as the platform received it (the template_card, card, actionCard,
   * reply_markup with blocks, sale fields...), or NULL. */
  const struct json_t *card;
} chat_msg;

#endif
