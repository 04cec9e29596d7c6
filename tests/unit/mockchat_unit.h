/* qunfa-mockchat's platforms for unit tests: signing secrets loaded from a JSON
 * text the way `--secrets FILE` loads them (through a temporary file), and a
 * request decoded by the platform its path routes to. */
#ifndef QF_TEST_MOCKCHAT_UNIT_H
#define QF_TEST_MOCKCHAT_UNIT_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

static inline secrets *mockchat_secrets(const char *doc) {
  char path[] = "/tmp/qf-mc-secrets-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
  close(fd);
  secrets *sec = NULL;
  char why[256] = "";
  cr_assert_eq(secrets_load(&sec, path, why, sizeof why), 0, "%s", why);
  unlink(path);
  return sec;
}

/* Decodes body sent to uri (a path with an optional ?query) as the platform
 * the path routes to does; rq carries the rest (key, time, secrets). Returns
 * the platform's decode result. */
static inline int mockchat_decode(const char *uri, const char *body, mc_request rq,
                                  mc_message *m, mc_reply *rej) {
  char path[1024];
  const char *q = strchr(uri, '?');
  size_t n = q ? (size_t)(q - uri) : strlen(uri);
  cr_assert_lt(n, sizeof path);
  memcpy(path, uri, n);
  path[n] = '\0';
  const mc_platform *pl = mc_platform_route(path);
  cr_assert_not_null(pl, "no platform for %s", path);
  rq.path = path;
  rq.query = q ? q + 1 : NULL;
  rq.body = body;
  rq.len = strlen(body);
  return pl->decode(&rq, m, rej);
}

#endif
