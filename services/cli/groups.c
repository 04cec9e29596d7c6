/* `qunfa groups import FILE` and `qunfa groups list`.
 *
 * Import reads and validates the whole file before it sends anything, so a bad
 * line applies nothing. It then sends the groups in requests of at most
 * QUNFA_UPSERT_CHUNK; should the scheduler fail part way, the chunks before the
 * failure stay applied (the message says how many groups) and importing the file
 * again is safe: an import is an upsert by id. Within one file the last line with
 * a given id wins, and the count printed is of distinct groups. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "qf/alloc.h"
#include "qf/group_import.h"

#define READ_CHUNK 65536

static const cli_command import_cmd = {
    .prog = "qunfa groups import",
    .usage = "FILE [--json]",
    .summary =
        "Creates or updates the groups listed in FILE (\"-\" reads stdin): JSON Lines, "
        "one object per line\n"
        "  {\"id\":\"g1\",\"name\":\"Shanghai moms "
        "1\",\"tags\":[\"moms\",\"shanghai\"],"
        "\"dialect\":\"generic\",\"url\":\"http://127.0.0.1:9000/hook/g1\","
        "\"tz\":\"Asia/Shanghai\",\"rate\":\"20/min\"}\n"
        "(tz, rate, name and tags optional; also account (a bot shared by groups), "
        "quiet\n(quiet hours \"23:00-07:00\" in tz) and daily_cap (posts per local "
        "day, a number)),\nor CSV with the header "
        "id,name,tags,dialect,url,tz,rate,account,quiet,daily_cap\n"
        "(tags separated by ';', fields with commas or quotes quoted as in RFC 4180). "
        "The format\ncomes from the extension (.csv, .jsonl, .json) or else the first "
        "character ('{' = JSON Lines).\nThe whole file is checked first: a bad line is "
        "reported with its line number and nothing\nis applied. When an id appears "
        "twice, the last line wins. Prints \"imported N groups\"\n(--json: "
        "{\"imported\":N}).",
    .min_pos = 1,
    .max_pos = 1,
};

static const cli_command list_cmd = {
    .prog = "qunfa groups list",
    .usage = "[--json]",
    .summary = "Lists every group in id order (--json: an array of objects with id, "
               "name, tags,\ndialect, url, tz, rate, account, quiet, daily_cap).",
};

/* Reads all of f into *out (NUL-terminated). */
static int read_all(FILE *f, char **out, size_t *len) {
  size_t n = 0, cap = READ_CHUNK;
  char *buf = qf_malloc(cap + 1);

  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
    if (n == cap) {
      cap *= 2;
      buf = qf_realloc(buf, cap + 1);
    }
  }
  if (ferror(f)) {
    free(buf);
    return -1;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

static int read_file(const char *path, char **data, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  int rc, err;

  if (!f)
    return cli_fail("%s: %s", path, strerror(errno));
  rc = read_all(f, data, len);
  err = errno;
  if (f != stdin)
    fclose(f);
  if (rc != 0)
    return cli_fail("%s: %s", path, strerror(err));
  return 0;
}

static int parse_file(const char *path, qf_group_set **set) {
  char *data = NULL, why[512];
  size_t len = 0, line = 0;
  int rc;

  if ((rc = read_file(path, &data, &len)) != 0)
    return rc;
  rc = qf_group_import_parse(data, len, qf_group_import_detect(path, data, len), set,
                             &line, why, sizeof why);
  free(data);
  if (rc == 0)
    return 0;
  if (line > 0)
    return cli_fail("%s:%zu: %s", path, line, why);
  return cli_fail("%s: %s", path, why);
}

static int send_groups(const cli_global *g, const qf_group_set *set) {
  qunfa_client *c = NULL;
  size_t n = qf_group_set_count(set), applied = 0;
  int rc;

  if ((rc = cli_connect(g, &c)) != 0)
    return rc;
  rc = qunfa_groups_upsert(c, qf_group_set_groups(set), n, &applied);
  if (rc != 0 && applied > 0)
    rc = cli_fail("%s (%zu of %zu groups were applied before the failure; importing "
                  "the file again is safe)",
                  qunfa_last_error(c), applied, n);
  else if (rc != 0)
    rc = cli_call_failed(c, rc);
  qunfa_close(c);
  return rc;
}

int cli_groups_import(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  size_t npos;
  qf_group_set *set = NULL;
  int rc;

  if ((rc = cli_parse(&import_cmd, argc, argv, &g, pos, &npos)) >= 0)
    return rc;
  if ((rc = parse_file(pos[0], &set)) != 0)
    return rc;
  if ((rc = send_groups(&g, set)) != 0)
    goto out;
  if (g.json) {
    out_json_print(json_pack("{s:I}", "imported", (json_int_t)qf_group_set_count(set)));
  } else {
    /* Always "groups": scripts match this line. */
    printf("imported %zu groups\n", qf_group_set_count(set));
  }
out:
  qf_group_set_free(set);
  return rc;
}

/* ---- list ---- */

static json_t *group_json(const Qunfa__Group *gr) {
  json_t *tags = json_array();

  for (size_t i = 0; i < gr->n_tags; i++)
    json_array_append_new(tags, out_json_string(gr->tags[i]));
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "id",
                   out_json_string(gr->id), "name", out_json_string(gr->name), "tags",
                   tags, "dialect", out_json_string(gr->dialect), "url",
                   out_json_string(gr->url), "tz", out_json_string(gr->tz), "rate",
                   out_json_string(gr->rate), "account", out_json_string(gr->account),
                   "quiet", out_json_string(gr->quiet), "daily_cap",
                   (json_int_t)gr->daily_cap);
}

static void tags_text(const Qunfa__Group *gr, char *buf, size_t len) {
  size_t o = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < gr->n_tags && o < len; i++) {
    int n = snprintf(buf + o, len - o, "%s%s", i ? ";" : "", gr->tags[i]);
    if (n < 0)
      break;
    o += (size_t)n;
  }
}

static void add_group(out_list *l, const Qunfa__Group *gr) {
  char tags[4096], cap[16] = "-";

  if (out_list_is_json(l)) {
    out_list_add_json(l, group_json(gr));
    return;
  }
  tags_text(gr, tags, sizeof tags);
  if (gr->daily_cap > 0)
    snprintf(cap, sizeof cap, "%u", gr->daily_cap);
  const char *row[] = {gr->id,
                       gr->name,
                       tags,
                       gr->dialect,
                       *gr->tz ? gr->tz : "UTC",
                       *gr->rate ? gr->rate : "default",
                       *gr->account ? gr->account : "-",
                       *gr->quiet ? gr->quiet : "-",
                       cap,
                       gr->url};
  out_list_add_row(l, row);
}

static int list_all(qunfa_client *c, out_list *l) {
  char *after = qf_strdup("");
  int rc = 0;

  for (;;) {
    Qunfa__ListGroupsReply *page;
    if ((rc = qunfa_groups_list(c, after, 0, &page)) != 0) {
      rc = cli_call_failed(c, rc);
      break;
    }
    for (size_t i = 0; i < page->n_groups; i++)
      add_group(l, page->groups[i]);
    const char *last = page->n_groups ? page->groups[page->n_groups - 1]->id : "";
    /* A page that claims more but does not advance would loop for ever. */
    if (page->more && strcmp(last, after) <= 0)
      rc = cli_fail("the scheduler's group list does not advance past \"%s\"", after);
    bool more = page->more && rc == 0;
    free(after);
    after = qf_strdup(last);
    qunfa_groups_page_free(page);
    if (!more)
      break;
  }
  free(after);
  return rc;
}

int cli_groups_list(int argc, char **argv) {
  cli_global g = {0};
  size_t npos;
  static const char *const head[] = {"ID",   "NAME",    "TAGS",  "DIALECT", "TZ",
                                     "RATE", "ACCOUNT", "QUIET", "CAP",     "URL"};
  qunfa_client *c = NULL;
  int rc;

  if ((rc = cli_parse(&list_cmd, argc, argv, &g, NULL, &npos)) >= 0)
    return rc;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  out_list *l = out_list_new(g.json, 10, head);
  if ((rc = list_all(c, l)) == 0)
    out_list_print(l);
  out_list_free(l);
  qunfa_close(c);
  return rc;
}
