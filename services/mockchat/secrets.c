#include "secrets.h"

#include "qf/alloc.h"
#include "qf/err.h"

#include <stdio.h>
#include <stdlib.h>

struct secrets {
  json_t *doc; /* validated: dialect -> address -> {"secret"?, "keywords"?} */
};

/* Brings one robot's entry to the object form; NULL when it is neither. */
static json_t *robot_entry(json_t *v) {
  if (json_is_string(v))
    return json_pack("{s:O}", "secret", v);
  if (!json_is_object(v))
    return NULL;
  json_t *s = json_object_get(v, "secret"), *k = json_object_get(v, "keywords");
  if ((s && !json_is_string(s)) || (k && !json_is_array(k)))
    return NULL;
  size_t i;
  json_t *w;
  json_array_foreach(k, i, w) {
    if (!json_is_string(w))
      return NULL;
  }
  return json_incref(v);
}

static int normalise(json_t *doc, char *why, size_t wlen) {
  const char *dialect, *addr;
  json_t *robots, *v;
  json_object_foreach(doc, dialect, robots) {
    if (!json_is_object(robots)) {
      snprintf(why, wlen, "\"%.32s\": not an object of robots", dialect);
      return QF_EINVAL;
    }
    json_object_foreach(robots, addr, v) {
      json_t *e = robot_entry(v);
      if (!e) {
        snprintf(why, wlen,
                 "\"%.32s\".\"%.64s\": not a secret string nor {\"secret\": string, "
                 "\"keywords\": [strings]}",
                 dialect, addr);
        return QF_EINVAL;
      }
      json_object_set_new(robots, addr, e);
    }
  }
  return 0;
}

int secrets_load(secrets **out, const char *path, char *why, size_t wlen) {
  secrets *s = qf_calloc(1, sizeof *s);
  *out = NULL;
  if (!path) {
    s->doc = json_object();
    *out = s;
    return 0;
  }
  json_error_t err;
  s->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
  if (!s->doc || !json_is_object(s->doc)) {
    if (s->doc)
      snprintf(why, wlen, "%s: not a JSON object", path);
    else
      snprintf(why, wlen, "%s: %s (line %d column %d)", path, err.text, err.line,
               err.column);
    secrets_free(s);
    return QF_EINVAL;
  }
  char what[200];
  if (normalise(s->doc, what, sizeof what) != 0) {
    snprintf(why, wlen, "%s: %s", path, what);
    secrets_free(s);
    return QF_EINVAL;
  }
  *out = s;
  return 0;
}

void secrets_free(secrets *s) {
  if (!s)
    return;
  json_decref(s->doc);
  free(s);
}

static const json_t *robot(const secrets *s, const char *dialect, const char *address) {
  return json_object_get(json_object_get(s->doc, dialect), address);
}

const char *secrets_get(const secrets *s, const char *dialect, const char *address) {
  const char *v =
      json_string_value(json_object_get(robot(s, dialect, address), "secret"));
  return v && *v ? v : NULL;
}

const json_t *secrets_keywords(const secrets *s, const char *dialect,
                               const char *address) {
  const json_t *k = json_object_get(robot(s, dialect, address), "keywords");
  return json_array_size(k) > 0 ? k : NULL;
}
