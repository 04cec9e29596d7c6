/* A raw peer on NNG's ipc:// transport, for tests that must misbehave as one.
 *
 * It speaks the SP handshake and then announces a message of a chosen size
 * without sending it: the peer that "reserves 1 GiB" of DESIGN.md's known traps.
 * A plain Unix socket is used rather than an NNG socket because NNG 1.5.2's
 * nng_close can hang on a REQ socket whose oversized send was cut off by the
 * server. */
#ifndef QF_TEST_SP_IPC_RAW_H
#define QF_TEST_SP_IPC_RAW_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define SP_PROTO_REQ0 0x30

static inline bool sp_write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* A Unix socket connected to `url` (ipc://PATH), receiving with a 5 s timeout. */
static inline int sp_ipc_connect(const char *url) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  cr_assert(strncmp(url, "ipc://", 6) == 0);
  cr_assert_lt(strlen(url + 6), sizeof sa.sun_path);
  strcpy(sa.sun_path, url + 6);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  struct timeval tv = {.tv_sec = 5};
  cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect %s", url);
  return fd;
}

/* Connects to `url` and leaves before the SP handshake, as a health check doing
 * connect() and close() does: what stops an NNG 1.5.2 ipc listener for good
 * (nanomsg/nng#1518). The trigger is the listener's send of its half failing
 * (EPIPE); shutting our reading side first makes it fail however the threads
 * interleave, where a bare close loses the race when the listener sends first. */
static inline void sp_ipc_leave_mid_handshake(const char *url) {
  int fd = sp_ipc_connect(url);
  cr_assert_eq(shutdown(fd, SHUT_RD), 0);
  close(fd);
}

/* Connects to `url` (ipc://PATH) as protocol `proto`, announces a message of
 * `size` bytes and reports whether the peer then closed the connection (within
 * 5 s) instead of waiting for the body. */
static inline bool sp_ipc_announce_is_dropped(const char *url, uint16_t proto,
                                              uint64_t size) {
  int fd = sp_ipc_connect(url);
  const uint8_t hello[8] = {0, 'S', 'P', 0, (uint8_t)(proto >> 8), (uint8_t)proto,
                            0, 0};
  cr_assert(sp_write_all(fd, hello, sizeof hello));
  uint8_t peer[8];
  cr_assert_eq(recv(fd, peer, sizeof peer, MSG_WAITALL), (ssize_t)sizeof peer,
               "no SP handshake from the peer");
  cr_assert(peer[1] == 'S' && peer[2] == 'P', "not an SP peer");
  uint8_t head[9] = {1};
  for (int i = 0; i < 8; i++)
    head[1 + i] = (uint8_t)(size >> (56 - 8 * i));
  cr_assert(sp_write_all(fd, head, sizeof head));
  uint8_t b;
  ssize_t r = recv(fd, &b, 1, 0);
  close(fd);
  return r == 0 || (r < 0 && errno == ECONNRESET);
}

#endif
