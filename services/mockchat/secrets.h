/* What the simulated platforms know that the sender keeps to itself: each
 * signing robot's secret, and the keywords a DingTalk robot insists on. The
 * sender strips the secret from the url before sending, so the simulator reads
 * its own copy from a file (--secrets FILE), a JSON object by dialect and robot:
 *
 *   {"feishu":   {"<hook id>": "<secret>"},
 *    "dingtalk": {"<access_token>": {"secret": "SEC...", "keywords": ["qunfa"]}}}
 *
 * A robot listed there must sign every request (or carry a keyword); a robot
 * not listed is an unsigned one. Immutable once loaded: thread-safe. */
#ifndef MOCKCHAT_SECRETS_H
#define MOCKCHAT_SECRETS_H
#include <jansson.h>
#include <stddef.h>

typedef struct secrets secrets;

/* Loads path (NULL: no robot signs). QF_EINVAL with a sentence naming what is
 * wrong (file, line, member) in why. */
int secrets_load(secrets **out, const char *path, char *why, size_t wlen);
/* NULL is a no-op. */
void secrets_free(secrets *s);
/* The secret of robot address of dialect, or NULL when it does not sign. */
const char *secrets_get(const secrets *s, const char *dialect, const char *address);
/* The robot's keywords (a JSON array of strings, borrowed), or NULL. */
const json_t *secrets_keywords(const secrets *s, const char *dialect,
                               const char *address);

#endif
