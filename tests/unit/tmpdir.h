/* A fresh directory under /tmp for a test's files (LMDB environments), and
 * its removal with everything in it. nftw needs _XOPEN_SOURCE 700 defined
 * at the top of the test file, before any header. */
#ifndef QF_TEST_TMPDIR_H
#define QF_TEST_TMPDIR_H

#if !defined(_XOPEN_SOURCE) || _XOPEN_SOURCE < 700
#error "define _XOPEN_SOURCE 700 before any header"
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int tmpdir_rm_entry(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Makes /tmp/qf-NAME-XXXXXX into dir (at least 64 bytes). */
static void tmpdir_make(char *dir, size_t len, const char *name) {
  snprintf(dir, len, "/tmp/qf-%s-XXXXXX", name);
  cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
}

static void tmpdir_remove(const char *dir) {
  nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
