/* Tables and JSON on stdout. Group names are often Chinese, so column widths
 * count East Asian wide characters as two cells. */
#include "output.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/alloc.h"

#define COL_GAP 2

struct out_table {
  size_t ncols;
  const char *const *headers;
  char **cells; /* rows * ncols, row-major */
  size_t rows, cap;
};

/* Decodes one UTF-8 sequence at p (n bytes left): its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp) {
  static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
  size_t len = p[0] < 0x80                    ? 1
               : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
  uint32_t v;

  if (len == 0 || len > n)
    return 0;
  v = len == 1 ? p[0] : p[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return len;
}

static bool wide(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) ||
         (c >= 0x20000 && c <= 0x3FFFD);
}

/* Terminal cells s takes. */
static size_t display_width(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), w = 0;

  while (n > 0) {
    uint32_t cp = 0xFFFD;
    size_t len = utf8_decode(p, n, &cp);
    if (len == 0)
      len = 1;
    w += wide(cp) ? 2 : 1;
    p += len;
    n -= len;
  }
  return w;
}

/* A copy of s with each invalid byte replaced by U+FFFD. */
static char *utf8_repair(const char *s) {
  size_t n = strlen(s), o = 0;
  char *out = qf_malloc(n * 3 + 1);
  const unsigned char *p = (const unsigned char *)s;

  while (n > 0) {
    uint32_t cp;
    size_t len = utf8_decode(p, n, &cp);
    if (len == 0) {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      len = 1;
    } else {
      memcpy(out + o, p, len);
      o += len;
    }
    p += len;
    n -= len;
  }
  out[o] = '\0';
  return out;
}

json_t *out_json_string(const char *s) {
  json_t *v;
  char *fixed;

  if (!s)
    s = "";
  if ((v = json_string(s)) != NULL)
    return v;
  fixed = utf8_repair(s);
  v = json_string(fixed);
  free(fixed);
  if (!v)
    abort(); /* out of memory: the tool's policy (qf/alloc.h) */
  return v;
}

void out_json_print(json_t *v) {
  if (!v || json_dumpf(v, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
    abort(); /* only an allocation can fail here */
  fputc('\n', stdout);
  json_decref(v);
}

out_table *out_table_new(size_t ncols, const char *const *headers) {
  out_table *t = qf_calloc(1, sizeof *t);
  t->ncols = ncols;
  t->headers = headers;
  return t;
}

/* Cells are shown on one line: control characters become spaces. */
static char *cell_copy(const char *s) {
  char *c = utf8_repair(s ? s : "-");
  for (char *p = c; *p; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7F)
      *p = ' ';
  }
  return c;
}

void out_table_add(out_table *t, const char *const *cells) {
  if (t->rows == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    t->cells = qf_realloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
  }
  for (size_t i = 0; i < t->ncols; i++)
    t->cells[t->rows * t->ncols + i] = cell_copy(cells[i]);
  t->rows++;
}

static void print_row(const out_table *t, const char *const *row, const size_t *w) {
  for (size_t i = 0; i < t->ncols; i++) {
    bool last = i + 1 == t->ncols;
    fputs(row[i], stdout);
    if (!last)
      printf("%*s", (int)(w[i] - display_width(row[i]) + COL_GAP), "");
  }
  fputc('\n', stdout);
}

void out_table_print(const out_table *t) {
  size_t *w = qf_calloc(t->ncols, sizeof *w);

  for (size_t i = 0; i < t->ncols; i++)
    w[i] = display_width(t->headers[i]);
  for (size_t r = 0; r < t->rows; r++) {
    for (size_t i = 0; i < t->ncols; i++) {
      size_t cw = display_width(t->cells[r * t->ncols + i]);
      if (cw > w[i])
        w[i] = cw;
    }
  }
  print_row(t, t->headers, w);
  for (size_t r = 0; r < t->rows; r++)
    print_row(t, (const char *const *)&t->cells[r * t->ncols], w);
  free(w);
}

void out_table_free(out_table *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->rows * t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  free(t);
}

struct out_list {
  json_t *arr; /* JSON mode */
  out_table *t;
};

out_list *out_list_new(bool json, size_t ncols, const char *const *headers) {
  out_list *l = qf_calloc(1, sizeof *l);
  if (json)
    l->arr = json_array();
  else
    l->t = out_table_new(ncols, headers);
  return l;
}

bool out_list_is_json(const out_list *l) {
  return l->arr != NULL;
}

void out_list_add_json(out_list *l, json_t *item) {
  json_array_append_new(l->arr, item);
}

void out_list_add_row(out_list *l, const char *const *cells) {
  out_table_add(l->t, cells);
}

void out_list_print(const out_list *l) {
  if (l->arr)
    out_json_print(json_incref(l->arr));
  else
    out_table_print(l->t);
}

void out_list_free(out_list *l) {
  if (!l)
    return;
  json_decref(l->arr);
  out_table_free(l->t);
  free(l);
}
