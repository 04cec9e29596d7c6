#include "commit.h"

#include <pthread.h>
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

typedef struct waiters {
  waiter *w;
  size_t n, cap;
} waiters;

typedef struct writer writer;

/* What a stream handed to the writer thread. Written by that thread only
 * while the round is in flight; the loop reads it after the completion. */
typedef enum job_state { JOB_NONE, JOB_SENT, JOB_DONE, JOB_SKIPPED } job_state;

struct commit {
  writer *wr;
  commit *next; /* the writer's streams, in creation order */
  const char *name;
  bool keep_on_error;
  bool paused; /* a kept batch failed: wait for the timer before retrying */
  qf_kv_batch *batch;
  waiters wait;
  /* the batch in the round in flight and the calls waiting on it */
  qf_kv_batch *sent;
  waiters sent_wait;
  job_state job;
  int rc;
  bool map_full;
  uv_timer_t pause;
};

/* The writer thread and the loop handles shared by the streams of one (loop,
 * kv). */
struct writer {
  uv_loop_t *loop;
  qf_kv *kv;
  writer *next; /* registry */
  commit *streams;
  int nstreams;
  bool busy; /* loop side: a round is in flight */
  bool pinned;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_async_t done;
  int open_handles;
  uv_thread_t thread;
  uv_mutex_t lock;
  uv_cond_t wake, idle;
  /* under lock */
  bool submitted, finished, stop;
};

/* Writers by (loop, kv), so the streams of one environment share one thread
 * and their commits keep the order they had on the loop. */
static writer *registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static void waiters_add(waiters *ws, commit_done_fn fn, void *arg) {
  if (ws->n == ws->cap) {
    ws->cap = ws->cap ? ws->cap * 2 : 16;
    ws->w = qf_realloc(ws->w, ws->cap * sizeof(*ws->w));
  }
  ws->w[ws->n++] = (waiter){fn, arg};
}

/* Runs and empties ws; calls added meanwhile go to where the stream keeps them
 * now (never into ws). */
static void waiters_run(waiters *ws, int status) {
  waiters run = *ws;
  *ws = (waiters){0};
  for (size_t i = 0; i < run.n; i++)
    run.w[i].fn(status, run.w[i].arg);
  free(run.w);
}

/* Puts later after first: first = first ++ later; later is emptied. */
static void waiters_join(waiters *first, waiters *later) {
  for (size_t i = 0; i < later->n; i++)
    waiters_add(first, later->w[i].fn, later->w[i].arg);
  free(later->w);
  *later = (waiters){0};
}

/* ---- the writer thread ---- */

/* Commits the round's batches in stream order. After a full map it stops: the
 * loop grows the map (no transaction may be open) and replays the rest. */
static void run_round(writer *w) {
  bool stopped = false;
  for (commit *c = w->streams; c != NULL; c = c->next) {
    if (c->job != JOB_SENT)
      continue;
    if (stopped) {
      c->job = JOB_SKIPPED;
      continue;
    }
    c->rc = qf_kv_commit_once(w->kv, c->sent, &c->map_full);
    c->job = JOB_DONE;
    stopped = c->map_full;
  }
}

static void writer_main(void *arg) {
  writer *w = arg;
  uv_mutex_lock(&w->lock);
  for (;;) {
    while (!w->submitted && !w->stop)
      uv_cond_wait(&w->wake, &w->lock);
    if (!w->submitted)
      break;
    w->submitted = false;
    uv_mutex_unlock(&w->lock);
    run_round(w);
    uv_mutex_lock(&w->lock);
    w->finished = true;
    uv_cond_signal(&w->idle);
    uv_async_send(&w->done);
  }
  uv_mutex_unlock(&w->lock);
}

/* ---- completions, on the loop ---- */

/* Puts the stream's sent batch back in front of its current one. */
static void requeue_batch(commit *c) {
  qf_kv_batch_append(c->sent, c->batch);
  qf_kv_batch_free(c->batch);
  c->batch = c->sent;
  c->sent = NULL;
}

static void on_pause_over(uv_timer_t *t) {
  commit *c = t->data;
  c->paused = false;
}

/* A batch that failed: kept for a retry after a pause, or dropped. Its waiters
 * learn the error either way. */
static void job_failed(commit *c) {
  qf_counter_add(mx.commit_errors, 1);
  qf_log_error("commit_failed", "stream=%s writes=%zu waiting=%zu err=%s", c->name,
               qf_kv_batch_count(c->sent), c->sent_wait.n, qf_errname(c->rc));
  if (c->keep_on_error) {
    requeue_batch(c);
    c->paused = true;
    uv_timer_start(&c->pause, on_pause_over, RETRY_PAUSE_MS, 0);
  } else {
    qf_kv_batch_free(c->sent);
    c->sent = NULL;
  }
}

/* After a full map: grows it (the writer is idle and, with the pin dropped, no
 * transaction is open here). 0 when the round's unfinished batches may be
 * replayed. */
static int grow_for(writer *w) {
  for (commit *c = w->streams; c != NULL; c = c->next)
    if (c->job == JOB_DONE && c->map_full)
      return qf_kv_grow(w->kv);
  return 0;
}

/* Sorts out the finished round: replays what did not fit, settles failures,
 * moves the loop's snapshot forward, then answers the waiters in order. */
static void complete_round(writer *w) {
  int grow_rc = grow_for(w);
  bool any_ok = false;
  w->busy = false;
  uv_unref((uv_handle_t *)&w->done);
  for (commit *c = w->streams; c != NULL; c = c->next) {
    if (c->job == JOB_NONE)
      continue;
    if (c->job == JOB_SKIPPED || (c->map_full && grow_rc == 0)) {
      requeue_batch(c); /* replayed whole in the next round */
      waiters_join(&c->sent_wait, &c->wait);
      c->wait = c->sent_wait;
      c->sent_wait = (waiters){0};
      c->job = JOB_NONE;
      continue;
    }
    if (c->map_full)
      c->rc = grow_rc;
    if (c->rc == 0) {
      qf_kv_batch_free(c->sent);
      c->sent = NULL;
      qf_counter_add(mx.commits, 1);
      any_ok = true;
    } else {
      job_failed(c);
    }
  }
  if (any_ok && w->pinned)
    qf_kv_pin_refresh(w->kv);
  for (commit *c = w->streams; c != NULL; c = c->next) {
    if (c->job == JOB_NONE)
      continue;
    c->job = JOB_NONE;
    waiters_run(&c->sent_wait, c->rc);
  }
}

/* Waits (blocking the loop) for the round in flight and completes it. */
static void finish_round(writer *w) {
  if (!w->busy)
    return;
  uv_mutex_lock(&w->lock);
  while (!w->finished)
    uv_cond_wait(&w->idle, &w->lock);
  w->finished = false;
  uv_mutex_unlock(&w->lock);
  complete_round(w);
}

/* ---- submitting, on the loop ---- */

/* Hands every stream's batch to the writer thread if it is idle. Streams with
 * nothing to write answer their waiters at once: nothing of theirs is in
 * flight. */
static void submit(writer *w) {
  int n = 0;
  if (w->busy)
    return;
  for (commit *c = w->streams; c != NULL; c = c->next) {
    if (c->paused)
      continue;
    if (qf_kv_batch_count(c->batch) == 0) {
      waiters_run(&c->wait, 0);
      continue;
    }
    c->sent = c->batch;
    c->sent_wait = c->wait;
    c->batch = qf_kv_batch_new();
    c->wait = (waiters){0};
    c->job = JOB_SENT;
    c->map_full = false;
    n++;
  }
  if (n == 0)
    return;
  w->busy = true;
  uv_ref((uv_handle_t *)&w->done); /* the loop lives until the completion */
  uv_mutex_lock(&w->lock);
  w->submitted = true;
  uv_cond_signal(&w->wake);
  uv_mutex_unlock(&w->lock);
}

static void on_done(uv_async_t *h) {
  writer *w = h->data;
  uv_mutex_lock(&w->lock);
  bool finished = w->finished;
  w->finished = false;
  uv_mutex_unlock(&w->lock);
  if (!finished)
    return; /* already completed by a flush or close */
  complete_round(w);
  submit(w);
}

static void on_prepare(uv_prepare_t *h) {
  submit(h->data);
}

static void on_check(uv_check_t *h) {
  submit(h->data);
}

/* ---- writers ---- */

static writer *writer_new(uv_loop_t *loop, qf_kv *kv) {
  writer *w = qf_calloc(1, sizeof(*w));
  w->loop = loop;
  w->kv = kv;
  uv_mutex_init(&w->lock);
  uv_cond_init(&w->wake);
  uv_cond_init(&w->idle);
  uv_prepare_init(loop, &w->prepare);
  uv_check_init(loop, &w->check);
  uv_async_init(loop, &w->done, on_done);
  w->prepare.data = w->check.data = w->done.data = w;
  uv_prepare_start(&w->prepare, on_prepare);
  uv_check_start(&w->check, on_check);
  /* None keeps the loop alive: only real work (or a round in flight) does. */
  uv_unref((uv_handle_t *)&w->prepare);
  uv_unref((uv_handle_t *)&w->check);
  uv_unref((uv_handle_t *)&w->done);
  int rc = qf_kv_pin(kv);
  w->pinned = rc == 0;
  if (rc != 0)
    qf_log_warn("commit_unpinned", "err=%s", qf_errname(rc));
  if (uv_thread_create(&w->thread, writer_main, w) != 0) {
    qf_log_error("commit_thread_failed", "call=uv_thread_create");
    abort(); /* like an allocation failure: the scheduler cannot work without */
  }
  return w;
}

/* The registry lock is not held while a writer is made: its pin takes the
 * environment's map lock, which must never be waited for under the registry
 * lock. A (loop, kv) is only ever looked up from its loop's thread. */
static writer *writer_get(uv_loop_t *loop, qf_kv *kv) {
  pthread_mutex_lock(&registry_lock);
  writer *w = registry;
  while (w != NULL && (w->loop != loop || w->kv != kv))
    w = w->next;
  pthread_mutex_unlock(&registry_lock);
  if (w != NULL)
    return w;
  w = writer_new(loop, kv);
  pthread_mutex_lock(&registry_lock);
  w->next = registry;
  registry = w;
  pthread_mutex_unlock(&registry_lock);
  return w;
}

static void writer_closed(uv_handle_t *h) {
  writer *w = h->data;
  if (--w->open_handles > 0)
    return;
  uv_mutex_destroy(&w->lock);
  uv_cond_destroy(&w->wake);
  uv_cond_destroy(&w->idle);
  free(w);
}

/* The last stream is gone: stops and joins the thread, closes the handles. */
static void writer_close(writer *w) {
  pthread_mutex_lock(&registry_lock);
  writer **pw = &registry;
  while (*pw != w)
    pw = &(*pw)->next;
  *pw = w->next;
  pthread_mutex_unlock(&registry_lock);
  uv_mutex_lock(&w->lock);
  w->stop = true;
  uv_cond_signal(&w->wake);
  uv_mutex_unlock(&w->lock);
  uv_thread_join(&w->thread);
  if (w->pinned)
    qf_kv_unpin(w->kv);
  w->open_handles = 3;
  uv_close((uv_handle_t *)&w->prepare, writer_closed);
  uv_close((uv_handle_t *)&w->check, writer_closed);
  uv_close((uv_handle_t *)&w->done, writer_closed);
}

/* ---- streams ---- */

commit *commit_new(uv_loop_t *loop, qf_kv *kv, const char *name, bool keep_on_error) {
  commit *c = qf_calloc(1, sizeof(*c));
  writer *w = writer_get(loop, kv);
  commit **tail = &w->streams;
  c->wr = w;
  c->name = name;
  c->keep_on_error = keep_on_error;
  c->batch = qf_kv_batch_new();
  uv_timer_init(loop, &c->pause);
  c->pause.data = c;
  finish_round(w); /* the thread reads the list only while a round is out */
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = c;
  w->nstreams++;
  return c;
}

qf_kv_batch *commit_batch(commit *c) {
  return c->batch;
}

void commit_defer(commit *c, commit_done_fn fn, void *arg) {
  waiters_add(&c->wait, fn, arg);
}

int commit_flush(commit *c) {
  finish_round(c->wr);
  if (qf_kv_batch_count(c->batch) == 0 && c->wait.n == 0)
    return 0;
  c->sent_wait = c->wait; /* calls deferred by these belong to the next commit */
  c->wait = (waiters){0};
  c->rc = 0;
  if (qf_kv_batch_count(c->batch) > 0) {
    /* The writer is idle: this thread may take the write transaction. */
    c->sent = c->batch;
    c->batch = qf_kv_batch_new();
    c->rc = qf_kv_commit(c->wr->kv, c->sent);
    if (c->rc == 0) {
      qf_kv_batch_free(c->sent);
      c->sent = NULL;
      qf_counter_add(mx.commits, 1);
    } else {
      job_failed(c);
    }
  }
  int rc = c->rc;
  waiters_run(&c->sent_wait, rc);
  return rc;
}

static void on_closed(uv_handle_t *h) {
  commit *c = h->data;
  qf_kv_batch_free(c->batch);
  free(c->wait.w);
  free(c);
}

void commit_close(commit *c) {
  if (c == NULL)
    return;
  writer *w = c->wr;
  finish_round(w);
  commit **pc = &w->streams;
  while (*pc != c)
    pc = &(*pc)->next;
  *pc = c->next;
  waiters_run(&c->wait, QF_ECLOSED);
  if (--w->nstreams == 0)
    writer_close(w);
  uv_close((uv_handle_t *)&c->pause, on_closed);
}
