#include "relay.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qf/alloc.h"
#include "qf/log.h"

#define POLL_MS 1000
#define ANSWER_MS 800
#define DOC_MAX (1 << 20)

typedef struct source {
  char *url;
  nng_socket sock;
  bool open;
  json_t *doc; /* NULL: no answer at the last poll */
} source;

struct relay {
  source *src;
  size_t n;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool running, stop;
};

static void source_open(source *s) {
  if (nng_req0_open(&s->sock) != 0)
    return;
  nng_socket_set_ms(s->sock, NNG_OPT_RECVTIMEO, ANSWER_MS);
  nng_socket_set_ms(s->sock, NNG_OPT_SENDTIMEO, ANSWER_MS);
  nng_socket_set_ms(s->sock, NNG_OPT_REQ_RESENDTIME, ANSWER_MS);
  nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, DOC_MAX);
  /* Non-blocking dial: a process that starts later is found when it does. */
  if (nng_dial(s->sock, s->url, NULL, NNG_FLAG_NONBLOCK) != 0) {
    char red[256];
    qf_log_warn("relay_dial_failed", "url=%s",
                qf_log_redact_url(s->url, red, sizeof red));
    nng_close(s->sock);
    return;
  }
  s->open = true;
}

/* One request and its answer; NULL when there is none in time. */
static json_t *source_read(source *s) {
  char *text = NULL;
  size_t len = 0;
  if (!s->open)
    source_open(s);
  if (!s->open || nng_send(s->sock, "stats", 5, 0) != 0 ||
      nng_recv(s->sock, &text, &len, NNG_FLAG_ALLOC) != 0)
    return NULL;
  json_t *doc = json_loadb(text, len, 0, NULL);
  nng_free(text, len);
  return doc;
}

static void *poll_main(void *arg) {
  relay *r = arg;
  pthread_mutex_lock(&r->lock);
  while (!r->stop) {
    for (size_t i = 0; i < r->n && !r->stop; i++) {
      pthread_mutex_unlock(&r->lock);
      json_t *doc = source_read(&r->src[i]); /* without the lock: it may wait */
      pthread_mutex_lock(&r->lock);
      json_decref(r->src[i].doc);
      r->src[i].doc = doc;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += POLL_MS / 1000;
    while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
      ; /* only a stop wakes it early */
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

static void add_source(relay *r, const char *url, size_t len) {
  if (len == 0)
    return;
  r->src = qf_realloc(r->src, (r->n + 1) * sizeof *r->src);
  source *s = &r->src[r->n++];
  *s = (source){0};
  s->url = qf_malloc(len + 1);
  memcpy(s->url, url, len);
  s->url[len] = '\0';
}

relay *relay_start(const char *list) {
  relay *r = qf_calloc(1, sizeof *r);
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->wake, NULL);
  for (const char *p = list; p && *p;) {
    size_t len = strcspn(p, ",");
    add_source(r, p, len);
    p += len + (p[len] == ',');
  }
  if (r->n > 0 && pthread_create(&r->thread, NULL, poll_main, r) == 0)
    r->running = true;
  return r;
}

void relay_stop(relay *r) {
  if (!r)
    return;
  if (r->running) {
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
  }
  for (size_t i = 0; i < r->n; i++) {
    if (r->src[i].open)
      nng_close(r->src[i].sock);
    json_decref(r->src[i].doc);
    free(r->src[i].url);
  }
  free(r->src);
  pthread_cond_destroy(&r->wake);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

size_t relay_count(const relay *r) {
  return r ? r->n : 0;
}

const char *relay_url(const relay *r, size_t i) {
  return r->src[i].url;
}

json_t *relay_doc(relay *r, size_t i) {
  pthread_mutex_lock(&r->lock);
  json_t *doc = json_incref(r->src[i].doc);
  pthread_mutex_unlock(&r->lock);
  return doc;
}
