#include "conns.h"

#include "qf/alloc.h"
#include "qf/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "host:port"; longer names share the entry of their first bytes, which only
 * makes the count coarser. */
#define HOST_KEY_LEN 280

/* A ticket's state (conns_ticket.state). */
enum { T_NONE, T_WAITING, T_ACTIVE };

struct conns_host {
  char key[HOST_KEY_LEN];
  unsigned open;   /* sockets */
  unsigned active; /* sends admitted and not done */
  unsigned budget; /* sends in flight at once allowed now */
  unsigned nwait;
  conns_ticket *head, *tail; /* the FIFO of waiting sends */
  conns_host *next;
};
typedef conns_host host;

struct conns {
  const metrics *m;
  host *hosts;   /* hosts with a socket open or a send held; few (one per
                    platform) */
  host **by_fd;  /* the host of each counted socket, indexed by fd */
  size_t nby_fd; /* entries of by_fd */
  unsigned peak; /* host_connections_peak */
  unsigned step, max, waiting;
};

conns *conns_new(const metrics *m, unsigned step, unsigned max) {
  conns *c = qf_calloc(1, sizeof *c);
  c->m = m;
  c->max = max ? max : 1;
  c->step = step && step < c->max ? step : c->max;
  return c;
}

void conns_free(conns *c) {
  if (!c)
    return;
  while (c->hosts) {
    host *next = c->hosts->next;
    free(c->hosts);
    c->hosts = next;
  }
  free(c->by_fd);
  free(c);
}

/* url's "host:port" (default port by scheme); "" when curl cannot parse it
 * (then curl will not connect either). */
static void host_key(const char *url, char key[HOST_KEY_LEN]) {
  key[0] = '\0';
  CURLU *u = curl_url();
  char *name = NULL, *port = NULL;
  if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &name, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
    snprintf(key, HOST_KEY_LEN, "%s:%s", name, port);
  curl_free(name);
  curl_free(port);
  curl_url_cleanup(u);
}

static host *host_find(const conns *c, const char *key) {
  for (host *h = c->hosts; h; h = h->next)
    if (strcmp(h->key, key) == 0)
      return h;
  return NULL;
}

static host *host_get(conns *c, const char *key) {
  host *h = host_find(c, key);
  if (h)
    return h;
  h = qf_calloc(1, sizeof *h);
  snprintf(h->key, sizeof h->key, "%s", key);
  h->budget = c->step;
  h->next = c->hosts;
  c->hosts = h;
  return h;
}

/* Forgets h once it holds nothing: its next send starts at the first step. */
static void host_release(conns *c, host *h) {
  if (h->open > 0 || h->active > 0 || h->nwait > 0)
    return;
  for (host **p = &c->hosts; *p; p = &(*p)->next) {
    if (*p == h) {
      *p = h->next;
      free(h);
      return;
    }
  }
}

static void remember(conns *c, curl_socket_t fd, host *h) {
  size_t i = (size_t)fd;
  if (i >= c->nby_fd) {
    size_t n = c->nby_fd ? c->nby_fd : 64;
    while (n <= i)
      n *= 2;
    c->by_fd = qf_realloc(c->by_fd, n * sizeof *c->by_fd);
    memset(c->by_fd + c->nby_fd, 0, (n - c->nby_fd) * sizeof *c->by_fd);
    c->nby_fd = n;
  }
  c->by_fd[i] = h;
}

curl_socket_t conns_open(conns *c, const char *url, const struct curl_sockaddr *a) {
  curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
  if (fd == CURL_SOCKET_BAD) {
    qf_log_warn("socket_failed", "call=socket err=\"%s\"", strerror(errno));
    return fd;
  }
  /* A send cut off at its deadline must not reach the platform later: the
   * scheduler counts its lease as ended by then (limits are counted at the
   * receiver). Closing with a zero linger resets the connection and drops what
   * the kernel still holds, instead of retransmitting it once a cut network
   * is back. */
  struct linger drop = {.l_onoff = 1, .l_linger = 0};
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &drop, sizeof drop) != 0)
    qf_log_warn("socket_failed", "call=setsockopt opt=SO_LINGER err=\"%s\"",
                strerror(errno));
  char key[HOST_KEY_LEN];
  host_key(url, key);
  host *h = host_get(c, key);
  h->open++;
  remember(c, fd, h);
  qf_gauge_add(c->m->connections_open, 1);
  if (h->open > c->peak) {
    c->peak = h->open;
    qf_gauge_set(c->m->host_connections_peak, c->peak);
  }
  return fd;
}

int conns_close(conns *c, curl_socket_t fd) {
  host *h = (size_t)fd < c->nby_fd ? c->by_fd[fd] : NULL;
  if (h) {
    c->by_fd[fd] = NULL;
    qf_gauge_add(c->m->connections_open, -1);
    h->open--;
    host_release(c, h);
  }
  if (close(fd) != 0) {
    qf_log_warn("close_failed", "call=close fd=%d err=\"%s\"", (int)fd,
                strerror(errno));
    return 1;
  }
  return 0;
}

static const host *host_of_url(const conns *c, const char *url) {
  char key[HOST_KEY_LEN];
  host_key(url, key);
  return host_find(c, key);
}

unsigned conns_host_open(const conns *c, const char *url) {
  const host *h = host_of_url(c, url);
  return h ? h->open : 0;
}

/* ---- admission ---- */

/* The budget of a host that had nothing in flight: the sockets it still holds
 * can be reused without a connect, so it may keep that many, but no more than a
 * step of new connections may open at once. */
static unsigned resume_budget(const conns *c, const host *h) {
  unsigned kept = h->open < h->budget ? h->open : h->budget;
  return kept > c->step ? kept : c->step;
}

static void enqueue(conns *c, host *h, conns_ticket *t) {
  t->state = T_WAITING;
  t->next = NULL;
  if (h->tail)
    h->tail->next = t;
  else
    h->head = t;
  h->tail = t;
  h->nwait++;
  c->waiting++;
  qf_gauge_add(c->m->host_waiting, 1);
}

/* Unlinks t (after prev, or the head when prev is NULL) from h's FIFO. */
static void unlink_waiting(conns *c, host *h, conns_ticket *prev, conns_ticket *t) {
  if (prev)
    prev->next = t->next;
  else
    h->head = t->next;
  if (h->tail == t)
    h->tail = prev;
  t->next = NULL;
  h->nwait--;
  c->waiting--;
  qf_gauge_add(c->m->host_waiting, -1);
}

/* Admits h's first waiting ticket. */
static conns_ticket *admit_next(conns *c, host *h) {
  conns_ticket *t = h->head;
  unlink_waiting(c, h, NULL, t);
  t->state = T_ACTIVE;
  h->active++;
  return t;
}

int conns_admit(conns *c, const char *url, conns_ticket *t) {
  char key[HOST_KEY_LEN];
  host_key(url, key);
  host *h = host_get(c, key);
  t->host = h;
  t->next = NULL;
  if (h->active == 0 && h->nwait == 0)
    h->budget = resume_budget(c, h);
  if (h->nwait == 0 && h->active < h->budget) {
    t->state = T_ACTIVE;
    h->active++;
    return 1;
  }
  enqueue(c, h, t);
  return 0;
}

static void ticket_clear(conns_ticket *t) {
  t->state = T_NONE;
  t->host = NULL;
}

conns_ticket *conns_done(conns *c, conns_ticket *t) {
  host *h = t->host;
  conns_ticket *next = NULL;
  if (!h)
    return NULL;
  if (t->state == T_ACTIVE) {
    h->active--;
    if (h->nwait > 0 && h->active < h->budget)
      next = admit_next(c, h);
  } else if (t->state == T_WAITING) {
    conns_ticket *prev = NULL;
    for (conns_ticket *w = h->head; w != t; w = w->next)
      prev = w;
    unlink_waiting(c, h, prev, t);
  }
  ticket_clear(t);
  host_release(c, h);
  return next;
}

/* Moves h's waiting tickets past their deadline onto *expired. */
static void expire(conns *c, host *h, int64_t now_ms, conns_ticket **expired) {
  conns_ticket *prev = NULL, *t = h->head;
  while (t) {
    conns_ticket *next = t->next;
    if (t->deadline_ms <= now_ms) {
      unlink_waiting(c, h, prev, t);
      ticket_clear(t);
      t->next = *expired;
      *expired = t;
    } else {
      prev = t;
    }
    t = next;
  }
}

conns_batch conns_tick(conns *c, int64_t now_ms) {
  conns_batch b = {NULL, NULL};
  conns_ticket **tail = &b.start;
  host *next;
  for (host *h = c->hosts; h; h = next) {
    next = h->next;
    expire(c, h, now_ms, &b.expired);
    /* Only a budget that is all used grows: a host whose sends finish faster
     * than they arrive needs no more connections. */
    if (h->nwait > 0 && h->active >= h->budget && h->budget < c->max)
      h->budget = c->max - h->budget > c->step ? h->budget + c->step : c->max;
    while (h->nwait > 0 && h->active < h->budget) {
      *tail = admit_next(c, h);
      tail = &(*tail)->next;
    }
    host_release(c, h);
  }
  return b;
}

unsigned conns_waiting(const conns *c) {
  return c->waiting;
}

unsigned conns_host_budget(const conns *c, const char *url) {
  const host *h = host_of_url(c, url);
  return h ? h->budget : 0;
}
