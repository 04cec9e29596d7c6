#include "prom.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/alloc.h"

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

typedef struct family {
  char *name, *type, *help;
  buf lines;
} family;

struct prom {
  family *f;
  size_t n, cap;
};

/* JSON names whose last word is a state: rendered as one family with a label. */
typedef struct rename {
  const char *process, *prefix, *family, *label;
} relabel;

static const relabel renames[] = {
    {"scheduler", "deliveries_", "deliveries_active", "state"},
    {"dispatcher", "outcomes_", "outcomes", "outcome"},
};

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)n + 1 > b->cap) {
    b->cap = (b->len + (size_t)n + 1) * 2;
    b->p = qf_realloc(b->p, b->cap);
  }
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

prom *prom_new(void) {
  return qf_calloc(1, sizeof(prom));
}

void prom_free(prom *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->f[i].name);
    free(p->f[i].type);
    free(p->f[i].help);
    free(p->f[i].lines.p);
  }
  free(p->f);
  free(p);
}

static family *family_get(prom *p, const char *name, const char *type,
                          const char *help) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->f[i].name, name) == 0)
      return &p->f[i];
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 32;
    p->f = qf_realloc(p->f, p->cap * sizeof *p->f);
  }
  family *f = &p->f[p->n++];
  *f = (family){qf_strdup(name), qf_strdup(type), qf_strdup(help), {0}};
  return f;
}

/* Keeps [a-zA-Z0-9_] and turns anything else into '_'. */
static void sanitize(char *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_'))
      *s = '_';
}

/* A parsed JSON name: its family and its labels rendered as k="v",k="v". */
typedef struct mname {
  char fam[128];
  char labels[384];
  bool seconds; /* the name ended in _ms: the value is rendered in seconds */
} mname;

static void add_label(mname *m, const char *k, size_t klen, const char *v,
                      size_t vlen) {
  size_t at = strlen(m->labels);
  snprintf(m->labels + at, sizeof m->labels - at, "%s%.*s=\"%.*s\"", at ? "," : "",
           (int)klen, k, (int)vlen, v);
}

/* Splits "fam{k=v,k=v}" and applies the renames of process proc. */
static void parse_name(const char *proc, const char *name, mname *m) {
  const char *brace = strchr(name, '{');
  size_t flen = brace ? (size_t)(brace - name) : strlen(name);
  m->labels[0] = '\0';
  snprintf(m->fam, sizeof m->fam, "%.*s", (int)flen, name);
  for (const char *q = brace ? brace + 1 : NULL; q && *q && *q != '}';) {
    const char *eq = strchr(q, '='), *end = q + strcspn(q, ",}");
    if (!eq || eq > end)
      break;
    add_label(m, q, (size_t)(eq - q), eq + 1, (size_t)(end - eq - 1));
    q = *end == ',' ? end + 1 : end;
  }
  for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++) {
    size_t pl = strlen(renames[i].prefix);
    if (strcmp(proc, renames[i].process) == 0 &&
        strncmp(m->fam, renames[i].prefix, pl) == 0 && !brace) {
      char state[64];
      snprintf(state, sizeof state, "%s", m->fam + pl);
      add_label(m, renames[i].label, strlen(renames[i].label), state, strlen(state));
      snprintf(m->fam, sizeof m->fam, "%s", renames[i].family);
    }
  }
  size_t n = strlen(m->fam);
  m->seconds = n > 3 && strcmp(m->fam + n - 3, "_ms") == 0;
  if (m->seconds)
    snprintf(m->fam + n - 3, sizeof m->fam - (n - 3), "_seconds");
  sanitize(m->fam);
}

static void sample(family *f, const char *suffix, const mname *m, const char *source,
                   const char *extra, double v) {
  bool any = m->labels[0] || source || extra;
  bprintf(&f->lines, "%s%s", f->name, suffix);
  if (any) {
    bprintf(&f->lines, "{%s", m->labels);
    if (source)
      bprintf(&f->lines, "%ssource=\"%s\"", m->labels[0] ? "," : "", source);
    if (extra)
      bprintf(&f->lines, "%s%s", m->labels[0] || source ? "," : "", extra);
    bprintf(&f->lines, "}");
  }
  bprintf(&f->lines, " %.17g\n", v);
}

static void add_number(prom *p, const char *proc, const char *key, const json_t *val,
                       const char *source, bool counter) {
  mname m;
  char name[200], help[256];
  parse_name(proc, key, &m);
  snprintf(name, sizeof name, "qunfa_%s_%s%s", proc, m.fam,
           counter && !strstr(m.fam, "_total") ? "_total" : "");
  sanitize(name);
  snprintf(help, sizeof help, "qunfa-%s %s \"%.*s\" (docs/stats.md).", proc,
           counter ? "counter" : "gauge", (int)strcspn(key, "{"), key);
  family *f = family_get(p, name, counter ? "counter" : "gauge", help);
  double v = json_number_value(val);
  sample(f, "", &m, source, NULL, m.seconds ? v / 1000.0 : v);
}

static void add_histogram(prom *p, const char *proc, const char *key, const json_t *h,
                          const char *source) {
  mname m;
  char name[200], help[256], le[48];
  const json_t *bounds = json_object_get(h, "le"),
               *counts = json_object_get(h, "counts");
  parse_name(proc, key, &m);
  snprintf(name, sizeof name, "qunfa_%s_%s", proc, m.fam);
  sanitize(name);
  snprintf(help, sizeof help, "qunfa-%s histogram \"%s\" (docs/stats.md).", proc, key);
  family *f = family_get(p, name, "histogram", help);
  double div = m.seconds ? 1000.0 : 1.0;
  for (size_t i = 0; i < json_array_size(counts); i++) {
    const json_t *b = json_array_get(bounds, i);
    if (b)
      snprintf(le, sizeof le, "le=\"%.17g\"", json_number_value(b) / div);
    else
      snprintf(le, sizeof le, "le=\"+Inf\"");
    sample(f, "_bucket", &m, source, le, json_number_value(json_array_get(counts, i)));
  }
  sample(f, "_sum", &m, source, NULL,
         json_number_value(json_object_get(h, "sum")) / div);
  sample(f, "_count", &m, source, NULL, json_number_value(json_object_get(h, "count")));
}

void prom_add_doc(prom *p, const json_t *doc, const char *source) {
  const char *proc = json_string_value(json_object_get(doc, "process")), *key;
  json_t *val;
  if (!proc)
    return;
  json_object_foreach((json_t *)json_object_get(doc, "counters"), key, val)
      add_number(p, proc, key, val, source, true);
  json_object_foreach((json_t *)json_object_get(doc, "gauges"), key, val)
      add_number(p, proc, key, val, source, false);
  json_object_foreach((json_t *)json_object_get(doc, "histograms"), key, val)
      add_histogram(p, proc, key, val, source);
  const json_t *up = json_object_get(doc, "uptime_ms");
  if (up)
    add_number(p, proc, "uptime_ms", up, source, false);
}

void prom_add_up(prom *p, const char *source, const char *process, int up) {
  family *f = family_get(p, "qunfa_relay_up", "gauge",
                         "1 when the relayed stats socket answered at the last poll.");
  bprintf(&f->lines, "qunfa_relay_up{source=\"%s\",process=\"%s\"} %d\n", source,
          process ? process : "", up);
}

char *prom_render(const prom *p, size_t *len) {
  buf b = {0};
  for (size_t i = 0; i < p->n; i++) {
    const family *f = &p->f[i];
    bprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
    if (f->lines.len)
      bprintf(&b, "%s", f->lines.p);
  }
  if (!b.p)
    bprintf(&b, "%s", "");
  *len = b.len;
  return b.p;
}
