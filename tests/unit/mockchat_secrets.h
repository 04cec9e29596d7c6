/* qunfa-mockchat's signing secrets for unit tests, loaded from a JSON text
 * the way `--secrets FILE` loads them (through a temporary file). */
#ifndef QF_TEST_MOCKCHAT_SECRETS_H
#define QF_TEST_MOCKCHAT_SECRETS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

static secrets *mockchat_secrets(const char *doc) {
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

#endif
