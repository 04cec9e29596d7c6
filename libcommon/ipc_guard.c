#include "qf/ipc_guard.h"

#include "qf/alloc.h"
#include "qf/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define IPC_SCHEME "ipc://"

struct qf_ipc_guard {
  nng_socket sock;
  nng_listener listener;
  char *url;
  const char *what;
  uint16_t peer_proto;
  int64_t probe_ms, answer_ms;
  struct sockaddr_un addr;

  pthread_t thread;
  pthread_mutex_t mu; /* guards stopping and pipes_added, for the timed waits */
  pthread_cond_t cond;
  bool stopping;
  uint64_t pipes_added; /* connections that reached the socket */
  atomic_uint_fast64_t restarts;
};

static void set_timeout(int fd, int opt, int64_t ms) {
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  (void)setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* The CLOCK_MONOTONIC time `ms` from now, for the timed waits. */
static struct timespec deadline_in(int64_t ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000;
  if (t.tv_nsec >= 1000000000) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000;
  }
  return t;
}

/* Runs on an NNG thread for every connection the socket takes in. */
static void on_pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg) {
  (void)p;
  (void)ev;
  qf_ipc_guard *g = arg;
  pthread_mutex_lock(&g->mu);
  g->pipes_added++;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->mu);
}

static uint64_t pipes_added(qf_ipc_guard *g) {
  pthread_mutex_lock(&g->mu);
  uint64_t n = g->pipes_added;
  pthread_mutex_unlock(&g->mu);
  return n;
}

/* Waits until a connection after the first `seen` reaches the socket, or
 * answer_ms, or a stop: false only on the timeout. */
static bool pipe_arrives(qf_ipc_guard *g, uint64_t seen) {
  struct timespec until = deadline_in(g->answer_ms);
  bool timed_out = false;
  pthread_mutex_lock(&g->mu);
  while (!g->stopping && g->pipes_added == seen && !timed_out)
    timed_out = pthread_cond_timedwait(&g->cond, &g->mu, &until) == ETIMEDOUT;
  bool ok = g->pipes_added != seen || g->stopping;
  pthread_mutex_unlock(&g->mu);
  return ok;
}

/* Connects as a peer, completes the SP handshake and waits for the connection
 * to reach the socket: true when it did in time. The handshake alone proves
 * little: a stopped listener's transport still answers it, and only the
 * connection never reaching the socket shows the defect. The connect and each
 * transfer are bounded (a Unix connect blocks while the backlog is full). */
static bool probe_answers(qf_ipc_guard *g) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return true; /* we cannot probe (no fds): assume the listener is well */
  set_timeout(fd, SO_SNDTIMEO, g->answer_ms);
  set_timeout(fd, SO_RCVTIMEO, g->answer_ms);
  uint64_t seen = pipes_added(g);
  bool ok = false;
  const uint8_t hello[8] = {
      0, 'S', 'P', 0, (uint8_t)(g->peer_proto >> 8), (uint8_t)g->peer_proto, 0, 0};
  uint8_t answer[8];
  if (connect(fd, (const struct sockaddr *)&g->addr, sizeof g->addr) == 0 &&
      write_all(fd, hello, sizeof hello)) {
    ssize_t r;
    do
      r = recv(fd, answer, sizeof answer, MSG_WAITALL);
    while (r < 0 && errno == EINTR);
    ok = r == (ssize_t)sizeof answer && answer[1] == 'S' && answer[2] == 'P' &&
         pipe_arrives(g, seen);
  }
  close(fd); /* after the handshake: a close before it is what stops NNG 1.5.2 */
  return ok;
}

static void relisten(qf_ipc_guard *g) {
  char red[256];
  nng_listener_close(g->listener);
  int rv = nng_listen(g->sock, g->url, &g->listener, 0);
  if (rv == NNG_ECLOSED) /* the owner closed the socket and is stopping us */
    return;
  atomic_fetch_add(&g->restarts, 1);
  if (rv == 0)
    qf_log_warn("ipc_listener_restarted", "socket=%s url=%s why=connection_not_taken",
                g->what, qf_log_redact_url(g->url, red, sizeof red));
  else /* tried again at the next probe */
    qf_log_error("ipc_listener_restart_failed",
                 "socket=%s call=nng_listen url=%s err=\"%s\"", g->what,
                 qf_log_redact_url(g->url, red, sizeof red), nng_strerror(rv));
}

/* Waits probe_ms or until stopped; true when stopped. */
static bool wait_or_stop(qf_ipc_guard *g) {
  struct timespec until = deadline_in(g->probe_ms);
  pthread_mutex_lock(&g->mu);
  while (!g->stopping && pthread_cond_timedwait(&g->cond, &g->mu, &until) != ETIMEDOUT)
    ;
  bool stopped = g->stopping;
  pthread_mutex_unlock(&g->mu);
  return stopped;
}

static void *guard_main(void *arg) {
  qf_ipc_guard *g = arg;
  while (!wait_or_stop(g))
    if (!probe_answers(g))
      relisten(g);
  return NULL;
}

static qf_ipc_guard *guard_new(nng_socket sock, const char *url, uint16_t peer_proto,
                               const char *what, const qf_ipc_guard_opts *opts) {
  qf_ipc_guard *g = qf_calloc(1, sizeof *g);
  g->addr.sun_family = AF_UNIX;
  strcpy(g->addr.sun_path, url + strlen(IPC_SCHEME));
  g->sock = sock;
  g->url = qf_strdup(url);
  g->what = what;
  g->peer_proto = peer_proto;
  g->probe_ms = opts && opts->probe_ms > 0 ? opts->probe_ms : QF_IPC_GUARD_PROBE_MS;
  g->answer_ms = opts && opts->answer_ms > 0 ? opts->answer_ms : QF_IPC_GUARD_ANSWER_MS;
  pthread_condattr_t ca;
  int rv = pthread_condattr_init(&ca);
  if (rv == 0) {
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rv = pthread_cond_init(&g->cond, &ca);
    pthread_condattr_destroy(&ca);
  }
  if (rv != 0) {
    qf_log_error("ipc_guard_failed", "socket=%s call=pthread_cond_init err=%d", what,
                 rv);
    free(g->url);
    free(g);
    return NULL;
  }
  pthread_mutex_init(&g->mu, NULL);
  return g;
}

static void guard_free(qf_ipc_guard *g) {
  pthread_cond_destroy(&g->cond);
  pthread_mutex_destroy(&g->mu);
  free(g->url);
  free(g);
}

static bool is_guardable(const char *url) {
  return strncmp(url, IPC_SCHEME, strlen(IPC_SCHEME)) == 0 &&
         strlen(url + strlen(IPC_SCHEME)) < sizeof(((struct sockaddr_un *)0)->sun_path);
}

int qf_ipc_guard_listen(qf_ipc_guard **out, nng_socket sock, const char *url,
                        uint16_t peer_proto, const char *what,
                        const qf_ipc_guard_opts *opts) {
  *out = NULL;
  if (!is_guardable(url)) /* other transports have no such defect */
    return nng_listen(sock, url, NULL, 0);
  qf_ipc_guard *g = guard_new(sock, url, peer_proto, what, opts);
  if (!g) /* serve unguarded rather than not at all */
    return nng_listen(sock, url, NULL, 0);
  int rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, on_pipe_added, g);
  if (rv == 0)
    rv = nng_listen(sock, url, &g->listener, 0);
  if (rv != 0) { /* no listener: no pipe event can be on its way to g */
    nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, NULL, NULL);
    guard_free(g);
    return rv;
  }
  if ((rv = pthread_create(&g->thread, NULL, guard_main, g)) != 0) {
    /* Serve unguarded; g stays allocated, as a pipe event may be reaching it. */
    qf_log_error("ipc_guard_failed", "socket=%s call=pthread_create err=%d", what, rv);
    return 0;
  }
  *out = g;
  return 0;
}

void qf_ipc_guard_stop(qf_ipc_guard *g) {
  if (!g)
    return;
  pthread_mutex_lock(&g->mu);
  g->stopping = true;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->mu);
  pthread_join(g->thread, NULL);
  guard_free(g);
}

uint64_t qf_ipc_guard_restarts(const qf_ipc_guard *g) {
  return g ? atomic_load(&g->restarts) : 0;
}
