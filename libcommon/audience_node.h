/* Inside libcommon: the tree an audience expression parses into, shared by the
 * parser (audience.c) and the evaluator (audience_eval.c). Not installed. */
#ifndef QF_AUDIENCE_NODE_H
#define QF_AUDIENCE_NODE_H
#include <stddef.h>

#include "qf/audience.h"

typedef enum { AUD_ALL, AUD_GROUPS, AUD_TAG, AUD_NOT, AUD_AND, AUD_OR } aud_kind;

/* A node of the tree; the whole tree is a qf_audience (its root).
 * AUD_GROUPS: ids sorted and unique. AUD_TAG: ids[0] is the tag.
 * AUD_NOT: one kid. AUD_AND, AUD_OR: two or more kids, none of the same kind
 * (nested ones are flattened while parsing). */
struct qf_audience {
  aud_kind kind;
  char **ids;
  size_t nids;
  struct qf_audience **kids;
  size_t nkids;
};

#endif
