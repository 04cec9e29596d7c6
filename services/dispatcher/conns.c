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

typedef struct host {
  char key[HOST_KEY_LEN];
  unsigned open;
  struct host *next;
} host;

struct conns {
  const metrics *m;
  host *hosts;   /* hosts with a socket open; few (one per platform) */
  host **by_fd;  /* the host of each counted socket, indexed by fd */
  size_t nby_fd; /* entries of by_fd */
  unsigned peak; /* host_connections_peak */
};

conns *conns_new(const metrics *m) {
  conns *c = qf_calloc(1, sizeof *c);
  c->m = m;
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
  h->next = c->hosts;
  c->hosts = h;
  return h;
}

static void host_drop(conns *c, host *h) {
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
    if (--h->open == 0)
      host_drop(c, h);
  }
  if (close(fd) != 0) {
    qf_log_warn("close_failed", "call=close fd=%d err=\"%s\"", (int)fd,
                strerror(errno));
    return 1;
  }
  return 0;
}

unsigned conns_host_open(const conns *c, const char *url) {
  char key[HOST_KEY_LEN];
  host_key(url, key);
  const host *h = host_find(c, key);
  return h ? h->open : 0;
}
