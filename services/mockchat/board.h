/* What the simulator tells about itself: per group, how many messages it
 * accepted, refused as malformed, answered with a rate-limit error, how many of
 * those were violations of the platform's limit (the sender sent too fast), how
 * many failures it injected and how many messages were recalled; and the
 * messages themselves by platform message id, so a recall can find them.
 *
 * A group is the qunfa group the Idempotency-Key names, or the platform's own
 * address (robot key, chat) when the request has no key. Message ids count from
 * 1 per target (a robot, a chat), as Telegram's do per chat. Thread-safe. */
#ifndef MOCKCHAT_BOARD_H
#define MOCKCHAT_BOARD_H
#include <stddef.h>
#include <stdint.h>

typedef enum board_what {
  BOARD_ACCEPTED,
  BOARD_REJECTED,   /* malformed, bad signature, unknown robot */
  BOARD_THROTTLED,  /* answered with the platform's rate-limit error */
  BOARD_VIOLATIONS, /* of those, the sender had exceeded the platform's limit */
  BOARD_FAILED,     /* injected or scripted failures */
  BOARD_RECALLED,
  BOARD_NWHAT
} board_what;

/* At most this many messages are kept for recall; later ones still get ids. */
#define BOARD_MESSAGES_MAX 1000000

typedef struct board board;

board *board_new(void);
/* NULL is a no-op. */
void board_free(board *b);
/* Counts one event for group (strings borrowed). */
void board_count(board *b, const char *group, const char *dialect, board_what what);
/* Counts an accepted message of post to group through target and returns its
 * message id (1, 2, ... per target). */
uint64_t board_accept(board *b, const char *group, const char *dialect,
                      const char *target, const char *post);

/* What a recall found. */
typedef struct board_msg {
  char group[256];
  char post[64];
  char dialect[16];
} board_msg;

/* Marks message id of target recalled and fills *out. QF_ENOTFOUND when no such
 * message is known, QF_EEXIST when it was recalled already. */
int board_recall(board *b, const char *target, uint64_t id, board_msg *out);
/* The same, naming the message by the group it went to (the target it was last
 * sent through). */
int board_recall_group(board *b, const char *group, uint64_t id, board_msg *out);
/* {"totals":{...},"groups":{"g1":{"dialect":..,"accepted":..,...}}} as a new
 * string (caller frees). */
char *board_json(board *b);

#endif
