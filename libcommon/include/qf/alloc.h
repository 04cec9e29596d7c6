/* Allocation for the services: out of memory aborts the process with a log line
 * (Redis's zmalloc policy), so callers carry no NULL checks. libqunfa, which runs
 * inside other people's programs, does not use these: it returns QF_ENOMEM. */
#ifndef QF_ALLOC_H
#define QF_ALLOC_H
#include <stddef.h>

void *qf_malloc(size_t n);
void *qf_calloc(size_t count, size_t size);
void *qf_realloc(void *p, size_t n);
char *qf_strdup(const char *s);
char *qf_strndup(const char *s, size_t n);
/* printf into a new string. */
char *qf_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
