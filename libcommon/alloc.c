#include "qf/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Out of memory is not recoverable in a service: say so and stop, without
 * allocating (the log module may need memory). */
static void oom(size_t n) {
  char line[96];
  int len =
      snprintf(line, sizeof line, "level=error event=out_of_memory bytes=%zu\n", n);
  if (len > 0)
    (void)!write(2, line, (size_t)len);
  abort();
}

void *qf_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom(n);
  return p;
}

void *qf_calloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p)
    oom(count * size);
  return p;
}

void *qf_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    oom(n);
  return q;
}

char *qf_strndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *d = qf_malloc(len + 1);
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

char *qf_strdup(const char *s) {
  return qf_strndup(s, strlen(s));
}

char *qf_asprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0)
    oom(0);
  return s;
}
