/* Audience evaluation: each node becomes a sorted set of group ids, combined by
 * merging (intersection, union, difference: linear in the sizes). The source is
 * asked for tags; the universe of all groups is read only where the expression
 * cannot do without it (see qf/audience.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience_node.h"
#include "qf/alloc.h"
#include "qf/err.h"

/* A sorted set of ids, each owned. */
typedef struct idset {
  char **v;
  size_t n, cap;
  int sorted; /* appends so far arrived in ascending order */
} idset;

static void set_free(idset *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  *s = (idset){0};
}

/* Appends id, taking it over. */
static void set_take(idset *s, char *id) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->v = qf_realloc(s->v, s->cap * sizeof(*s->v));
  }
  if (s->n > 0 && strcmp(s->v[s->n - 1], id) >= 0)
    s->sorted = 0;
  s->v[s->n++] = id;
}

static int cmp_ids(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and drops repeats, should a source have broken its promise. */
static void set_normalize(idset *s) {
  size_t w = 0;
  if (s->sorted)
    return;
  qsort(s->v, s->n, sizeof(*s->v), cmp_ids);
  for (size_t r = 0; r < s->n; r++) {
    if (w > 0 && strcmp(s->v[w - 1], s->v[r]) == 0) {
      free(s->v[r]);
      continue;
    }
    s->v[w++] = s->v[r];
  }
  s->n = w;
  s->sorted = 1;
}

static int collect(const char *id, void *arg) {
  set_take(arg, qf_strdup(id));
  return 0;
}

typedef enum { OP_AND, OP_OR, OP_MINUS } set_op;

/* *a = *a op b; b is emptied (its ids moved or freed). */
static void combine(idset *a, idset *b, set_op op) {
  idset r = {.sorted = 1};
  size_t i = 0, j = 0;
  while (i < a->n || j < b->n) {
    int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
    char *keep = NULL;
    if (c < 0) {
      keep = op != OP_AND ? a->v[i] : NULL;
      if (!keep)
        free(a->v[i]);
      i++;
    } else if (c > 0) {
      keep = op == OP_OR ? b->v[j] : NULL;
      if (!keep)
        free(b->v[j]);
      j++;
    } else {
      keep = op != OP_MINUS ? a->v[i] : NULL;
      if (!keep)
        free(a->v[i]);
      free(b->v[j]);
      i++, j++;
    }
    if (keep)
      set_take(&r, keep);
  }
  free(a->v);
  free(b->v);
  *a = r;
  *b = (idset){0};
}

typedef struct evaluator {
  const qf_audience_source *src;
  char *why;
  size_t len;
} evaluator;

static int eval(evaluator *e, const qf_audience *a, idset *out);

static int universe(evaluator *e, idset *out) {
  int rc;
  *out = (idset){.sorted = 1};
  rc = e->src->each_group(e->src->src, collect, out);
  set_normalize(out);
  return rc;
}

static int eval_leaf(evaluator *e, const qf_audience *a, idset *out) {
  int rc = 0;
  *out = (idset){.sorted = 1};
  switch (a->kind) {
  case AUD_ALL:
    return universe(e, out);
  case AUD_GROUPS: /* known to exist: checked before evaluating */
    for (size_t i = 0; i < a->nids; i++)
      set_take(out, qf_strdup(a->ids[i]));
    break;
  case AUD_TAG:
    if (e->src->each_tagged != NULL)
      rc = e->src->each_tagged(e->src->src, a->ids[0], collect, out);
    break;
  default:
    return QF_EINTERNAL;
  }
  set_normalize(out);
  return rc;
}

/* An AND: the intersection of its positive terms minus the union of its negated
 * ones, so `a & !b` never reads the universe. `all` beside a positive term is
 * the identity and is not read either. */
static int eval_and(evaluator *e, const qf_audience *a, idset *out) {
  idset acc = {.sorted = 1}, t;
  int have = 0, rc = 0;
  for (size_t i = 0; i < a->nkids && rc == 0; i++) {
    const qf_audience *k = a->kids[i];
    if (k->kind == AUD_NOT || k->kind == AUD_ALL)
      continue;
    if ((rc = eval(e, k, &t)) != 0)
      break;
    if (have)
      combine(&acc, &t, OP_AND);
    else
      acc = t;
    have = 1;
  }
  if (rc == 0 && !have)
    rc = universe(e, &acc);
  for (size_t i = 0; i < a->nkids && rc == 0; i++) {
    if (a->kids[i]->kind != AUD_NOT)
      continue;
    if ((rc = eval(e, a->kids[i]->kids[0], &t)) == 0)
      combine(&acc, &t, OP_MINUS);
  }
  if (rc != 0)
    set_free(&acc);
  *out = acc;
  return rc;
}

static int eval_or(evaluator *e, const qf_audience *a, idset *out) {
  idset acc = {.sorted = 1}, t;
  int rc = 0;
  for (size_t i = 0; i < a->nkids && rc == 0; i++)
    if ((rc = eval(e, a->kids[i], &t)) == 0)
      combine(&acc, &t, OP_OR);
  if (rc != 0)
    set_free(&acc);
  *out = acc;
  return rc;
}

static int eval(evaluator *e, const qf_audience *a, idset *out) {
  idset t;
  int rc;
  switch (a->kind) {
  case AUD_AND:
    return eval_and(e, a, out);
  case AUD_OR:
    return eval_or(e, a, out);
  case AUD_NOT:
    if ((rc = universe(e, out)) != 0 || (rc = eval(e, a->kids[0], &t)) != 0) {
      set_free(out);
      return rc;
    }
    combine(out, &t, OP_MINUS);
    return 0;
  default:
    rc = eval_leaf(e, a, out);
    if (rc != 0)
      set_free(out);
    return rc;
  }
}

/* Every group an expression names must exist, checked before anything is
 * emitted: all or nothing. */
static int check_groups(evaluator *e, const qf_audience *a) {
  int rc;
  for (size_t i = 0; a->kind == AUD_GROUPS && i < a->nids; i++) {
    rc = e->src->has_group(e->src->src, a->ids[i]);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      if (e->why != NULL && e->len > 0)
        snprintf(e->why, e->len, "audience: unknown group \"%s\"", a->ids[i]);
      return QF_EINVAL;
    }
  }
  for (size_t i = 0; i < a->nkids; i++)
    if ((rc = check_groups(e, a->kids[i])) != 0)
      return rc;
  return 0;
}

int qf_audience_eval(const qf_audience *a, const qf_audience_source *src,
                     qf_audience_id_fn emit, void *arg, char *why, size_t len) {
  evaluator e = {src, why, len};
  idset s;
  int rc;
  if ((rc = check_groups(&e, a)) != 0)
    return rc;
  /* The common single terms stream straight from the source. */
  if (a->kind == AUD_ALL)
    return src->each_group(src->src, emit, arg);
  if (a->kind == AUD_TAG)
    return src->each_tagged ? src->each_tagged(src->src, a->ids[0], emit, arg) : 0;
  if ((rc = eval(&e, a, &s)) != 0)
    return rc;
  for (size_t i = 0; i < s.n && rc == 0; i++)
    rc = emit(s.v[i], arg);
  set_free(&s);
  return rc;
}
