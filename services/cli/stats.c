/* `qunfa stats`: reads every process's stats socket and prints one table. */
#include "stats.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#define DOC_MAX (1 << 22)

static const char *stats_url;

static qf_flag stats_flags[] = {
    {"stats-url", QF_FLAG_STR, &stats_url, NULL,
     "stats addresses (comma-separated); the scheduler's names its relays", true, 0, 0},
};

static const cli_command stats_cmd = {
    .prog = "qunfa stats",
    .usage = "--stats-url URL[,URL...] [--json]",
    .summary =
        "Reads the stats document of every process (its --stats address) and prints "
        "one table of\nPROCESS, SOURCE, KIND, NAME, VALUE. The scheduler's document "
        "names the stats addresses it\nrelays (--relay-stats), which are read too. "
        "--json: an array of {\"url\":U,\"stats\":DOC}\nor {\"url\":U,\"error\":E}; "
        "DOC is described in docs/stats.md.",
    .flags = stats_flags,
    .nflags = 1,
};

/* One request, one answer; an error sentence in err on failure. */
static json_t *fetch(const char *url, int64_t timeout_ms, char *err, size_t len) {
  nng_socket s;
  char *text = NULL;
  size_t n = 0;
  int rv = nng_req0_open(&s);
  if (rv != 0) {
    snprintf(err, len, "nng_req0_open: %s", nng_strerror(rv));
    return NULL;
  }
  nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)timeout_ms);
  nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, (nng_duration)timeout_ms);
  nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, DOC_MAX);
  if ((rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) == 0 &&
      (rv = nng_send(s, "stats", 5, 0)) == 0)
    rv = nng_recv(s, &text, &n, NNG_FLAG_ALLOC);
  nng_close(s);
  if (rv != 0) {
    snprintf(err, len, "no answer: %s", nng_strerror(rv));
    return NULL;
  }
  json_error_t je;
  json_t *doc = json_loadb(text, n, 0, &je);
  nng_free(text, n);
  if (!doc)
    snprintf(err, len, "not JSON: %s", je.text);
  return doc;
}

static int seen(const json_t *arr, const char *url) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    if (strcmp(json_string_value(json_object_get(v, "url")), url) == 0)
      return 1;
  }
  return 0;
}

/* Appends each url of the comma-separated list that is not there yet. */
static void add_urls(json_t *urls, const char *list) {
  for (const char *p = list; p && *p;) {
    size_t len = strcspn(p, ",");
    json_t *u = json_stringn(p, len);
    if (len > 0 && !seen(urls, json_string_value(u)))
      json_array_append_new(urls, json_pack("{s:o}", "url", u));
    else
      json_decref(u);
    p += len + (p[len] == ',');
  }
}

json_t *cli_stats_gather(const char *list, int64_t timeout_ms) {
  json_t *out = json_array();
  add_urls(out, list);
  for (size_t i = 0; i < json_array_size(out); i++) {
    json_t *entry = json_array_get(out, i);
    char err[256];
    json_t *doc = fetch(json_string_value(json_object_get(entry, "url")), timeout_ms,
                        err, sizeof err);
    if (!doc) {
      json_object_set_new(entry, "error", json_string(err));
      continue;
    }
    add_urls(out, json_string_value(
                      json_object_get(json_object_get(doc, "info"), "relay_stats")));
    json_object_set_new(entry, "stats", doc);
  }
  return out;
}

double cli_stats_num(const json_t *doc, const char *section, const char *name) {
  return json_number_value(json_object_get(json_object_get(doc, section), name));
}

static void add_rows(out_table *t, const char *proc, const char *url, const char *kind,
                     const json_t *obj) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    char val[64];
    if (json_is_integer(v))
      snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
    else
      snprintf(val, sizeof val, "%.2f", json_number_value(v));
    const char *row[5] = {proc, url, kind, key, val};
    out_table_add(t, row);
  }
}

static void print_table(const json_t *all) {
  static const char *const head[] = {"PROCESS", "SOURCE", "KIND", "NAME", "VALUE"};
  out_table *t = out_table_new(5, head);
  size_t i;
  json_t *e;
  json_array_foreach(all, i, e) {
    const char *url = json_string_value(json_object_get(e, "url"));
    const json_t *doc = json_object_get(e, "stats");
    if (!doc) {
      const char *row[5] = {"?", url, "error", "-",
                            json_string_value(json_object_get(e, "error"))};
      out_table_add(t, row);
      continue;
    }
    const char *proc = json_string_value(json_object_get(doc, "process"));
    json_t *up = json_pack("{s:O}", "uptime_ms", json_object_get(doc, "uptime_ms"));
    add_rows(t, proc, url, "process", up);
    json_decref(up);
    add_rows(t, proc, url, "counter", json_object_get(doc, "counters"));
    add_rows(t, proc, url, "gauge", json_object_get(doc, "gauges"));
    add_rows(t, proc, url, "rate", json_object_get(doc, "rates"));
  }
  out_table_print(t);
  out_table_free(t);
}

int cli_stats(int argc, char **argv) {
  cli_global g = {0};
  size_t npos;
  int rc = cli_parse(&stats_cmd, argc, argv, &g, NULL, &npos);
  if (rc >= 0)
    return rc;
  json_t *all = cli_stats_gather(stats_url, g.timeout_ms);
  size_t failed = 0, i;
  json_t *e;
  json_array_foreach(all, i, e) failed += json_object_get(e, "stats") == NULL;
  size_t n = json_array_size(all);
  if (g.json)
    out_json_print(json_incref(all));
  else
    print_table(all);
  json_decref(all);
  if (failed == n)
    return cli_fail("no stats socket answered (%s)", stats_url);
  return CLI_EXIT_OK;
}
