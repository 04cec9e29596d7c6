/* Helpers shared by the libFuzzer targets: a NUL-terminated copy of the input
 * (exactly sized, so AddressSanitizer sees any read past its end) and a check that
 * names the broken property before aborting, which libFuzzer records as a crash. */
#ifndef QF_FUZZ_H
#define QF_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                          \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "fuzz property broken at %s:%d: %s: ", __FILE__, __LINE__,       \
              #cond);                                                                  \
      fprintf(stderr, __VA_ARGS__);                                                    \
      fputc('\n', stderr);                                                             \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

/* A new NUL-terminated copy of n bytes of p (free it with free()). Bytes after an
 * embedded NUL are kept but invisible to string functions, as in a real C string. */
static inline char *fuzz_strndup(const void *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s)
    abort();
  if (n)
    memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* Takes the first n bytes of the input as a little-endian integer (0 when fewer
 * are left) and advances past them. */
static inline uint64_t fuzz_take(const uint8_t **data, size_t *size, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i<n && * size> 0; i++) {
    v |= (uint64_t) * *data << (8 * i);
    (*data)++;
    (*size)--;
  }
  return v;
}

#endif
