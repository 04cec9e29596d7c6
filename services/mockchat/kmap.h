/* A string-keyed hash map of caller-owned values: the simulator's per-robot
 * and per-group state. Not thread-safe: its owner locks. */
#ifndef MOCKCHAT_KMAP_H
#define MOCKCHAT_KMAP_H
#include <stddef.h>

typedef struct kmap kmap;

kmap *kmap_new(void);
/* Frees the map, calling free_value on every value (NULL: values are kept). */
void kmap_free(kmap *m, void (*free_value)(void *));
/* The value under key, or NULL. */
void *kmap_get(const kmap *m, const char *key);
/* Stores value under key (copied), replacing nothing: key must be absent. */
void kmap_put(kmap *m, const char *key, void *value);
/* Calls fn for every entry, in no particular order. */
void kmap_each(const kmap *m, void (*fn)(const char *key, void *value, void *arg),
               void *arg);

#endif
