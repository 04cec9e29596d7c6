/* nng-ceiling: the NNG REQ/REP round-trip rate between two processes on one host,
 * the stack's own limit for anything that travels as one message per call.
 *
 *   nng-ceiling URL SECONDS INFLIGHT BYTES
 *
 * Forks a REP server (INFLIGHT contexts with aio callbacks, echoing each request)
 * before NNG is initialised, then drives it from a REQ socket with INFLIGHT
 * contexts, each sending its next request from its completion callback. Prints
 * one JSON line with the round trips per second. */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 256
#define RECV_MAX (1 << 20)

typedef struct slot {
  nng_ctx ctx;
  nng_aio *aio;
  int sending;
} slot;

static slot slots[MAX_INFLIGHT];
static size_t payload;
static atomic_long done;
static atomic_int stopping;

static void die(const char *call, int rv) {
  fprintf(stderr, "nng-ceiling: %s: %s\n", call, nng_strerror(rv));
  exit(1);
}

/* Server: receive, then send the same message back, forever. */
static void serve_cb(void *arg) {
  slot *s = arg;
  if (nng_aio_result(s->aio) != 0) {
    if (s->sending)
      nng_msg_free(nng_aio_get_msg(s->aio));
    s->sending = 0;
    nng_ctx_recv(s->ctx, s->aio);
    return;
  }
  if (s->sending) {
    s->sending = 0;
    nng_ctx_recv(s->ctx, s->aio);
    return;
  }
  s->sending = 1;
  nng_ctx_send(s->ctx, s->aio);
}

static void serve(const char *url, int n) {
  nng_socket sock;
  int rv;
  if ((rv = nng_rep0_open(&sock)) != 0)
    die("nng_rep0_open", rv);
  nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, RECV_MAX);
  if ((rv = nng_listen(sock, url, NULL, 0)) != 0)
    die("nng_listen", rv);
  for (int i = 0; i < n; i++) {
    nng_aio_alloc(&slots[i].aio, serve_cb, &slots[i]);
    nng_ctx_open(&slots[i].ctx, sock);
    nng_ctx_recv(slots[i].ctx, slots[i].aio);
  }
  for (;;)
    pause();
}

static void send_one(slot *s) {
  nng_msg *m;
  nng_msg_alloc(&m, 0);
  static const char zeros[4096]; /* the payload: built by appending only */
  nng_msg_append(m, zeros, payload);
  nng_aio_set_msg(s->aio, m);
  s->sending = 1;
  nng_ctx_send(s->ctx, s->aio);
}

/* Client: send, then receive the answer, then count and go again. */
static void call_cb(void *arg) {
  slot *s = arg;
  if (nng_aio_result(s->aio) != 0) {
    if (s->sending)
      nng_msg_free(nng_aio_get_msg(s->aio));
    if (!atomic_load(&stopping))
      send_one(s);
    return;
  }
  if (s->sending) {
    s->sending = 0;
    nng_ctx_recv(s->ctx, s->aio);
    return;
  }
  nng_msg_free(nng_aio_get_msg(s->aio));
  atomic_fetch_add(&done, 1);
  if (!atomic_load(&stopping))
    send_one(s);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: nng-ceiling URL SECONDS INFLIGHT BYTES\n");
    return 2;
  }
  const char *url = argv[1];
  double seconds = atof(argv[2]);
  int n = atoi(argv[3]);
  payload = (size_t)atol(argv[4]);
  if (n < 1 || n > MAX_INFLIGHT || payload > 4096)
    return 2;
  pid_t child = fork();
  if (child == 0)
    serve(url, n);
  nng_socket sock;
  int rv;
  if ((rv = nng_req0_open(&sock)) != 0)
    die("nng_req0_open", rv);
  nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, RECV_MAX);
  nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
  if ((rv = nng_dial(sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0)
    die("nng_dial", rv);
  usleep(200000); /* the server's listener comes up in the child */
  for (int i = 0; i < n; i++) {
    nng_aio_alloc(&slots[i].aio, call_cb, &slots[i]);
    nng_ctx_open(&slots[i].ctx, sock);
  }
  double t0 = now_s();
  for (int i = 0; i < n; i++)
    send_one(&slots[i]);
  usleep((useconds_t)(seconds * 1e6));
  long count = atomic_load(&done);
  double el = now_s() - t0;
  atomic_store(&stopping, 1);
  printf("{\"inflight\":%d,\"bytes\":%zu,\"round_trips\":%ld,\"seconds\":%.3f,"
         "\"per_s\":%.0f}\n",
         n, payload, count, el, (double)count / el);
  fflush(stdout);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  _exit(0); /* aio callbacks may still run: no orderly teardown needed here */
}
