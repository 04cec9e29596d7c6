/* Scripted answers: how a test makes a group's webhook misbehave, written in the
 * query string of the group's url (which every request to it carries):
 *
 *   ?answers=500,500      the group's first two requests get 500, later ones 200
 *   ?answers=429&retry_after=2   ... with "Retry-After: 2" on the 429
 *   ?always=404           every request gets 404
 *   ?delays=2000,0        the first request is answered after 2 s, later ones at
 *                         once (a slow platform; the message is recorded when
 *                         answered, even if the sender has gone by then)
 *
 * Only a 2xx answer is a delivery (recorded). Other query parameters are ignored:
 * real platforms' urls carry keys and tokens there. */
#ifndef MOCKCHAT_SCRIPT_H
#define MOCKCHAT_SCRIPT_H
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_MAX_ANSWERS 64
#define SCRIPT_MAX_DELAY_MS 60000

typedef struct script {
  uint16_t answers[SCRIPT_MAX_ANSWERS];
  size_t nanswers;
  uint32_t delays_ms[SCRIPT_MAX_ANSWERS];
  size_t ndelays;
  uint16_t always;     /* 0 = not set */
  int64_t retry_after; /* seconds; -1 = no Retry-After header */
} script;

/* Parses query (the part after '?', percent-encoded; NULL or "" = no script).
 * Statuses must be 100..599. QF_EINVAL with a sentence naming the parameter in
 * why. */
int script_parse(const char *query, script *out, char *why, size_t len);
/* The status to answer to the group's request number n (0-based): 200 unless
 * scripted otherwise. */
uint16_t script_status(const script *s, uint64_t n);
/* How long to hold the group's request number n before answering: 0 unless
 * scripted. */
uint32_t script_delay_ms(const script *s, uint64_t n);

#endif
