#include "commit.h"

#include <stdlib.h>

#include "metrics.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"

#define RETRY_PAUSE_MS 200

typedef struct waiter {
  commit_done_fn fn;
  void *arg;
} waiter;

struct commit {
  qf_kv *kv;
  const char *name;
  bool keep_on_error;
  bool paused; /* a kept batch failed: wait for the timer before retrying */
  qf_kv_batch *batch;
  waiter *w;
  size_t nw, capw;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_timer_t pause;
  int open_handles;
};

static void run_waiters(waiter *w, size_t n, int status) {
  for (size_t i = 0; i < n; i++)
    w[i].fn(status, w[i].arg);
}

static void on_pause_over(uv_timer_t *t) {
  commit *c = t->data;
  c->paused = false;
}

int commit_flush(commit *c) {
  waiter *w = c->w;
  size_t n = c->nw, count = qf_kv_batch_count(c->batch);
  int rc = 0;
  if (count == 0 && n == 0)
    return 0;
  /* Waiters added by the callbacks belong to the next commit. */
  c->w = NULL;
  c->nw = c->capw = 0;
  if (count > 0) {
    rc = qf_kv_commit(c->kv, c->batch);
    qf_counter_add(mx.commits, 1);
  }
  if (rc != 0) {
    qf_counter_add(mx.commit_errors, 1);
    qf_log_error("commit_failed", "stream=%s writes=%zu waiting=%zu err=%s", c->name,
                 count, n, qf_errname(rc));
    if (c->keep_on_error) {
      c->paused = true;
      uv_timer_start(&c->pause, on_pause_over, RETRY_PAUSE_MS, 0);
    } else {
      qf_kv_batch_free(c->batch);
      c->batch = qf_kv_batch_new();
    }
  }
  run_waiters(w, n, rc);
  free(w);
  return rc;
}

static void on_turn(commit *c) {
  if (!c->paused)
    commit_flush(c);
}

static void on_prepare(uv_prepare_t *h) {
  on_turn(h->data);
}

static void on_check(uv_check_t *h) {
  on_turn(h->data);
}

commit *commit_new(uv_loop_t *loop, qf_kv *kv, const char *name, bool keep_on_error) {
  commit *c = qf_calloc(1, sizeof(*c));
  c->kv = kv;
  c->name = name;
  c->keep_on_error = keep_on_error;
  c->batch = qf_kv_batch_new();
  uv_prepare_init(loop, &c->prepare);
  uv_check_init(loop, &c->check);
  uv_timer_init(loop, &c->pause);
  c->prepare.data = c->check.data = c->pause.data = c;
  uv_prepare_start(&c->prepare, on_prepare);
  uv_check_start(&c->check, on_check);
  /* Neither keeps the loop alive: only real work does. */
  uv_unref((uv_handle_t *)&c->prepare);
  uv_unref((uv_handle_t *)&c->check);
  return c;
}

qf_kv_batch *commit_batch(commit *c) {
  return c->batch;
}

void commit_defer(commit *c, commit_done_fn fn, void *arg) {
  if (c->nw == c->capw) {
    c->capw = c->capw ? c->capw * 2 : 16;
    c->w = qf_realloc(c->w, c->capw * sizeof(*c->w));
  }
  c->w[c->nw++] = (waiter){fn, arg};
}

static void on_closed(uv_handle_t *h) {
  commit *c = h->data;
  if (--c->open_handles > 0)
    return;
  qf_kv_batch_free(c->batch);
  free(c->w);
  free(c);
}

void commit_close(commit *c) {
  if (c == NULL)
    return;
  run_waiters(c->w, c->nw, QF_ECLOSED);
  c->nw = 0;
  c->open_handles = 3;
  uv_close((uv_handle_t *)&c->prepare, on_closed);
  uv_close((uv_handle_t *)&c->check, on_closed);
  uv_close((uv_handle_t *)&c->pause, on_closed);
}
