/* qunfa-bench: the benchmark driver, a client of the scheduler on libqunfa.
 *
 *   qunfa-bench groups    --count N --hook URL
 *       upserts groups g1..gN (generic dialect, url HOOK/hook/gI, no binding rate)
 *   qunfa-bench fanout    --audience all --lead-ms L
 *       one post due L ms from now; from its due time on, polls its status until
 *       nothing is pending or leased; prints one JSON line: post, due_ms,
 *       created_ms, done_ms, counts
 *   qunfa-bench precision --posts N --window-ms W --lead-ms L --out FILE
 *       N posts, post i to group gI, due at random moments in [T0, T0 + W] with
 *       T0 = now + L, created in due order by several clients in parallel; writes
 *       "post due_ms created_ms" lines to FILE and a JSON summary to stdout
 *
 * Every command takes --server URL (default $QUNFA_SERVER). Times are UTC ms. */
#include "qunfa.h"

#include "qf/clock.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GROUP_BATCH 2000
#define POLL_MS 5

typedef struct opts {
  const char *cmd;
  const char *server;
  const char *hook;
  const char *audience;
  const char *out;
  long count, posts, threads;
  int64_t lead_ms, window_ms, timeout_ms;
} opts;

static void usage(void) {
  fprintf(stderr, "usage: qunfa-bench groups --count N --hook URL\n"
                  "       qunfa-bench fanout [--audience all] [--lead-ms L]\n"
                  "       qunfa-bench precision --posts N --window-ms W --lead-ms L "
                  "--out FILE [--threads T]\n"
                  "  every command: [--server URL] [--timeout-ms T]\n");
}

static int parse_args(int argc, char **argv, opts *o) {
  *o = (opts){.server = getenv("QUNFA_SERVER"),
              .audience = "all",
              .threads = 4,
              .lead_ms = 3000,
              .window_ms = 20000,
              .timeout_ms = 600000};
  if (argc < 2)
    return -1;
  o->cmd = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--server"))
      o->server = v;
    else if (!strcmp(k, "--hook"))
      o->hook = v;
    else if (!strcmp(k, "--audience"))
      o->audience = v;
    else if (!strcmp(k, "--out"))
      o->out = v;
    else if (!strcmp(k, "--count"))
      o->count = atol(v);
    else if (!strcmp(k, "--posts"))
      o->posts = atol(v);
    else if (!strcmp(k, "--threads"))
      o->threads = atol(v);
    else if (!strcmp(k, "--lead-ms"))
      o->lead_ms = atoll(v);
    else if (!strcmp(k, "--window-ms"))
      o->window_ms = atoll(v);
    else if (!strcmp(k, "--timeout-ms"))
      o->timeout_ms = atoll(v);
    else
      return -1;
  }
  return argc % 2 == 0 ? 0 : -1; /* flags come in pairs */
}

static qunfa_client *connect_or_die(const opts *o) {
  qunfa_client *c;
  qunfa_opts co = {.timeout_ms = 60000};
  int rc = qunfa_open(&c, o->server, &co);
  if (rc != 0) {
    fprintf(stderr, "qunfa-bench: open %s: %s\n", o->server ? o->server : "(default)",
            qf_strerror(rc));
    exit(1);
  }
  return c;
}

/* ---- groups ---- */

static int upsert_range(qunfa_client *c, const opts *o, long from, long to) {
  static char ids[GROUP_BATCH][24], urls[GROUP_BATCH][256];
  static Qunfa__Group gs[GROUP_BATCH];
  static Qunfa__Group *ptrs[GROUP_BATCH];
  static char *tags[] = {"bench"};
  size_t n = 0;
  for (long i = from; i < to; i++, n++) {
    snprintf(ids[n], sizeof ids[n], "g%ld", i);
    snprintf(urls[n], sizeof urls[n], "%s/hook/g%ld", o->hook, i);
    gs[n] = (Qunfa__Group)QUNFA__GROUP__INIT;
    gs[n].id = gs[n].name = ids[n];
    gs[n].dialect = "generic";
    gs[n].url = urls[n];
    gs[n].rate = "1000000/s"; /* never the binding limit */
    gs[n].n_tags = 1;
    gs[n].tags = tags;
    ptrs[n] = &gs[n];
  }
  return qunfa_groups_upsert(c, ptrs, n, NULL);
}

static int cmd_groups(const opts *o) {
  if (!o->hook || o->count <= 0)
    return usage(), 2;
  qunfa_client *c = connect_or_die(o);
  int rc = 0;
  for (long i = 1; i <= o->count && rc == 0; i += GROUP_BATCH) {
    long to = i + GROUP_BATCH > o->count + 1 ? o->count + 1 : i + GROUP_BATCH;
    rc = upsert_range(c, o, i, to);
  }
  if (rc != 0)
    fprintf(stderr, "qunfa-bench: groups: %s\n", qunfa_last_error(c));
  qunfa_close(c);
  return rc ? 1 : 0;
}

/* ---- fanout ---- */

/* Polls from due_ms on: before it nothing can end, and a status call on a post
 * not yet running reads all its stored deliveries, which would only load the
 * scheduler (the peer counts completions without asking Redis). */
static int wait_done(qunfa_client *c, qunfa_post_id id, int64_t due_ms,
                     int64_t timeout_ms, qunfa_status *st) {
  int64_t end = qf_clock_mono_ms() + timeout_ms;
  struct timespec poll = {0, POLL_MS * 1000000L};
  int64_t ahead = due_ms - qf_clock_now_ms();
  if (ahead > 0) {
    struct timespec lead = {ahead / 1000, (ahead % 1000) * 1000000L};
    nanosleep(&lead, NULL);
  }
  while (qf_clock_mono_ms() < end) {
    int rc = qunfa_post_status(c, id, st);
    if (rc != 0)
      return rc;
    if (st->pending + st->leased == 0)
      return 0;
    nanosleep(&poll, NULL);
  }
  return QF_ETIMEDOUT;
}

static int cmd_fanout(const opts *o) {
  qunfa_client *c = connect_or_die(o);
  int64_t due = qf_clock_now_ms() + o->lead_ms;
  qunfa_post_id id;
  uint32_t total = 0;
  qunfa_status st = {0};
  int rc = qunfa_post_create(c, o->audience, "benchmark fan-out: good morning!", due,
                             &id, &total);
  int64_t created = qf_clock_now_ms();
  if (rc == 0)
    rc = wait_done(c, id, due, o->timeout_ms, &st);
  int64_t done = qf_clock_now_ms();
  if (rc != 0) {
    fprintf(stderr, "qunfa-bench: fanout: %s\n", qunfa_last_error(c));
    qunfa_close(c);
    return 1;
  }
  printf("{\"post\":\"%" PRIu64 "\",\"due_ms\":%" PRId64 ",\"created_ms\":%" PRId64
         ",\"done_ms\":%" PRId64 ",\"total\":%u,\"delivered\":%u,\"failed\":%u}\n",
         id.n, st.due_ms, created, done, st.total, st.delivered, st.failed);
  qunfa_close(c);
  return 0;
}

/* ---- precision ---- */

typedef struct plan {
  const opts *o;
  int64_t *due;     /* sorted */
  uint64_t *post;   /* filled by the workers */
  int64_t *created; /* when the create call returned */
  long next;        /* next index to create, under mu */
  pthread_mutex_t mu;
  int failed;
} plan;

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static long take_index(plan *p) {
  pthread_mutex_lock(&p->mu);
  long i = p->next < p->o->posts ? p->next++ : -1;
  pthread_mutex_unlock(&p->mu);
  return i;
}

/* Creates posts in due order, one index at a time, so that however many clients
 * run, the earliest due posts exist first. */
static void *create_worker(void *arg) {
  plan *p = arg;
  qunfa_client *c = connect_or_die(p->o);
  char audience[40];
  long i;
  while ((i = take_index(p)) >= 0) {
    qunfa_post_id id;
    snprintf(audience, sizeof audience, "group:g%ld", i + 1);
    int rc =
        qunfa_post_create(c, audience, "benchmark precision", p->due[i], &id, NULL);
    p->created[i] = qf_clock_now_ms();
    if (rc != 0) {
      fprintf(stderr, "qunfa-bench: precision: post %ld: %s\n", i, qunfa_last_error(c));
      p->failed = 1;
      break;
    }
    p->post[i] = id.n;
  }
  qunfa_close(c);
  return NULL;
}

static int write_plan(const plan *p, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f)
    return perror(path), -1;
  for (long i = 0; i < p->o->posts; i++)
    fprintf(f, "%" PRIu64 " %" PRId64 " %" PRId64 "\n", p->post[i], p->due[i],
            p->created[i]);
  return fclose(f);
}

static int cmd_precision(const opts *o) {
  if (o->posts <= 0 || !o->out || o->threads <= 0)
    return usage(), 2;
  plan p = {.o = o};
  pthread_mutex_init(&p.mu, NULL);
  p.due = calloc((size_t)o->posts, sizeof *p.due);
  p.post = calloc((size_t)o->posts, sizeof *p.post);
  p.created = calloc((size_t)o->posts, sizeof *p.created);
  int64_t start = qf_clock_now_ms(), t0 = start + o->lead_ms;
  srand48(start);
  for (long i = 0; i < o->posts; i++)
    p.due[i] = t0 + (int64_t)(drand48() * (double)o->window_ms);
  qsort(p.due, (size_t)o->posts, sizeof *p.due, cmp_i64);
  pthread_t th[64];
  long nth = o->threads > 64 ? 64 : o->threads;
  for (long t = 0; t < nth; t++)
    pthread_create(&th[t], NULL, create_worker, &p);
  for (long t = 0; t < nth; t++)
    pthread_join(th[t], NULL);
  long late = 0;
  for (long i = 0; i < o->posts; i++)
    late += p.created[i] > p.due[i];
  int rc = p.failed ? 1 : write_plan(&p, o->out) ? 1 : 0;
  printf("{\"posts\":%ld,\"t0_ms\":%" PRId64 ",\"create_ms\":%" PRId64
         ",\"created_after_due\":%ld}\n",
         o->posts, t0, qf_clock_now_ms() - start, late);
  free(p.due);
  free(p.post);
  free(p.created);
  return rc;
}

int main(int argc, char **argv) {
  opts o;
  if (parse_args(argc, argv, &o) != 0)
    return usage(), 2;
  if (!strcmp(o.cmd, "groups"))
    return cmd_groups(&o);
  if (!strcmp(o.cmd, "fanout"))
    return cmd_fanout(&o);
  if (!strcmp(o.cmd, "precision"))
    return cmd_precision(&o);
  usage();
  return 2;
}
