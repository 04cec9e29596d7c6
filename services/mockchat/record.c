#include "record.h"

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct record {
  pthread_mutex_t mu;
  int fd; /* -1 once closed */
  char *path;
};

int record_open(record **out, const char *path) {
  *out = NULL;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    char q[512];
    qf_log_error("record_open_failed", "call=open path=%s err=\"%s\"",
                 qf_log_quote(path, q, sizeof q), strerror(errno));
    return QF_EIO;
  }
  record *r = qf_calloc(1, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  r->fd = fd;
  r->path = qf_strdup(path);
  *out = r;
  return 0;
}

static char *finish_line(json_t *o, size_t *len);

/* One line, newline included, as a new string (caller frees). Field order is
 * fixed so that lines compare byte for byte. */
static char *format_line(const chat_msg *m, int64_t ts_ms, size_t *len) {
  json_t *o = json_object();
  json_object_set_new(o, "ts_ms", json_integer(ts_ms));
  json_object_set_new(o, "group", json_string(m->group));
  json_object_set_new(o, "post", json_string(m->post));
  json_object_set_new(o, "kind", json_string(m->kind));
  json_object_set_new(o, "text", json_string(m->text));
  json_object_set_new(o, "idempotency_key", json_string(m->idempotency_key));
  if (m->dialect)
    json_object_set_new(o, "dialect", json_string(m->dialect));
  if (m->platform_msg_id)
    json_object_set_new(o, "platform_msg_id", json_string(m->platform_msg_id));
  if (m->card)
    json_object_set_new(o, "card", json_deep_copy(m->card));
  return finish_line(o, len);
}

/* The object as one line, newline included, as a new string (caller frees);
 * takes o over. */
static char *finish_line(json_t *o, size_t *len) {
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!s)
    abort(); /* only on out of memory: the services' policy */
  size_t n = strlen(s);
  char *line = qf_malloc(n + 2);
  memcpy(line, s, n);
  line[n] = '\n';
  line[n + 1] = '\0';
  free(s);
  *len = n + 1;
  return line;
}

/* A short write to a regular file means the disk is full or the file too big:
 * the line is cut back off so the file stays a sequence of whole lines. */
static int write_whole(record *r, const char *line, size_t len) {
  ssize_t n;
  do {
    n = write(r->fd, line, len);
  } while (n < 0 && errno == EINTR);
  if (n == (ssize_t)len)
    return 0;
  int err = n < 0 ? errno : ENOSPC;
  if (n > 0) {
    off_t end = lseek(r->fd, 0, SEEK_CUR); /* we are the only writer */
    if (end < 0 || ftruncate(r->fd, end - n) != 0)
      err = errno;
  }
  char q[512];
  qf_log_error("record_write_failed", "call=write path=%s err=\"%s\"",
               qf_log_quote(r->path, q, sizeof q), strerror(err));
  return QF_EIO;
}

static int append_line(record *r, char *line, size_t len) {
  int rc;
  pthread_mutex_lock(&r->mu);
  rc = r->fd < 0 ? QF_ECLOSED : write_whole(r, line, len);
  pthread_mutex_unlock(&r->mu);
  free(line);
  return rc;
}

int record_append(record *r, const chat_msg *m, int64_t ts_ms) {
  size_t len;
  char *line = format_line(m, ts_ms, &len);
  return append_line(r, line, len);
}

int record_append_recall(record *r, const chat_msg *m, int64_t ts_ms) {
  json_t *o = json_object();
  json_object_set_new(o, "ts_ms", json_integer(ts_ms));
  json_object_set_new(o, "event", json_string("recalled"));
  json_object_set_new(o, "group", json_string(m->group));
  json_object_set_new(o, "post", json_string(m->post));
  json_object_set_new(o, "dialect", json_string(m->dialect ? m->dialect : "generic"));
  json_object_set_new(o, "platform_msg_id", json_string(m->platform_msg_id));
  size_t len;
  char *line = finish_line(o, &len);
  return append_line(r, line, len);
}

void record_close(record *r) {
  if (!r)
    return;
  pthread_mutex_lock(&r->mu);
  if (r->fd >= 0)
    close(r->fd);
  r->fd = -1;
  pthread_mutex_unlock(&r->mu);
}

void record_free(record *r) {
  if (!r)
    return;
  record_close(r);
  pthread_mutex_destroy(&r->mu);
  free(r->path);
  free(r);
}
