/* A binary min-heap of timed items (the timeline, retries): O(log n) push and
 * pop. A plain value: embed it, zero-initialised. */
#ifndef SCHED_HEAP_H
#define SCHED_HEAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct heap_item {
  int64_t at_ms; /* the order */
  void *ptr;
  uint64_t u;
} heap_item;

typedef struct heap {
  heap_item *v;
  size_t n, cap;
} heap;

void heap_push(heap *h, heap_item it);
/* The earliest item, or false when empty. */
bool heap_peek(const heap *h, heap_item *out);
bool heap_pop(heap *h, heap_item *out);
void heap_free(heap *h);

#endif
