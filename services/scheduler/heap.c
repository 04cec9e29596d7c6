#include "heap.h"

#include <stdlib.h>

#include "qf/alloc.h"

static void swap(heap_item *a, heap_item *b) {
  heap_item t = *a;
  *a = *b;
  *b = t;
}

void heap_push(heap *h, heap_item it) {
  size_t i;
  if (h->n == h->cap) {
    h->cap = h->cap ? h->cap * 2 : 64;
    h->v = qf_realloc(h->v, h->cap * sizeof(*h->v));
  }
  i = h->n++;
  h->v[i] = it;
  while (i > 0 && h->v[(i - 1) / 2].at_ms > h->v[i].at_ms) {
    swap(&h->v[(i - 1) / 2], &h->v[i]);
    i = (i - 1) / 2;
  }
}

bool heap_peek(const heap *h, heap_item *out) {
  if (h->n == 0)
    return false;
  *out = h->v[0];
  return true;
}

static void sift_down(heap *h) {
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->v[l].at_ms < h->v[m].at_ms)
      m = l;
    if (r < h->n && h->v[r].at_ms < h->v[m].at_ms)
      m = r;
    if (m == i)
      return;
    swap(&h->v[i], &h->v[m]);
    i = m;
  }
}

bool heap_pop(heap *h, heap_item *out) {
  if (h->n == 0)
    return false;
  *out = h->v[0];
  h->v[0] = h->v[--h->n];
  sift_down(h);
  return true;
}

void heap_free(heap *h) {
  free(h->v);
  h->v = NULL;
  h->n = h->cap = 0;
}
