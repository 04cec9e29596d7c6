#include <criterion/criterion.h>
#include <string.h>

#include "qf/err.h"
#include "qf/group_import.h"

static qf_group_set *parse_ok(const char *text, qf_import_format fmt) {
  qf_group_set *set = NULL;
  size_t line = 99;
  char why[256] = "";
  int rc = qf_group_import_parse(text, strlen(text), fmt, &set, &line, why, sizeof why);
  cr_assert_eq(rc, 0, "rejected at line %zu: %s", line, why);
  cr_assert_eq(line, 0);
  cr_assert_not_null(set);
  return set;
}

/* Expects text to be rejected at want_line with a sentence containing want. */
static void parse_bad(const char *text, qf_import_format fmt, size_t want_line,
                      const char *want) {
  qf_group_set *set = (qf_group_set *)1;
  size_t line = 0;
  char why[256] = "";
  int rc = qf_group_import_parse(text, strlen(text), fmt, &set, &line, why, sizeof why);
  cr_assert_eq(rc, QF_EINVAL, "accepted: %s", text);
  cr_assert_null(set);
  cr_assert_eq(line, want_line, "line %zu, want %zu (%s)", line, want_line, why);
  cr_assert(strstr(why, want) != NULL, "sentence \"%s\" lacks \"%s\"", why, want);
}

#define G1                                                                             \
  "{\"id\":\"g1\",\"name\":\"Shanghai moms 1\",\"tags\":[\"moms\",\"shanghai\"],"      \
  "\"dialect\":\"generic\",\"url\":\"http://127.0.0.1:9000/hook/g1\","                 \
  "\"tz\":\"Asia/Shanghai\",\"rate\":\"20/min\"}"
#define G2 "{\"id\":\"g2\",\"dialect\":\"generic\",\"url\":\"https://h/x\"}"

Test(import_jsonl, parses_every_field) {
  qf_group_set *set = parse_ok(G1 "\n" G2 "\n", QF_IMPORT_JSONL);
  cr_assert_eq(qf_group_set_count(set), 2);
  Qunfa__Group *g = qf_group_set_groups(set)[0];
  cr_assert_str_eq(g->id, "g1");
  cr_assert_str_eq(g->name, "Shanghai moms 1");
  cr_assert_eq(g->n_tags, 2);
  cr_assert_str_eq(g->tags[0], "moms");
  cr_assert_str_eq(g->tags[1], "shanghai");
  cr_assert_str_eq(g->dialect, "generic");
  cr_assert_str_eq(g->url, "http://127.0.0.1:9000/hook/g1");
  cr_assert_str_eq(g->tz, "Asia/Shanghai");
  cr_assert_str_eq(g->rate, "20/min");
  g = qf_group_set_groups(set)[1];
  cr_assert_str_eq(g->tz, "");
  cr_assert_str_eq(g->rate, "");
  cr_assert_eq(g->n_tags, 0);
  cr_assert_eq(qf_group_set_lines(set)[1], 2);
  qf_group_set_free(set);
}

Test(import_jsonl, skips_blank_lines_bom_and_crlf) {
  qf_group_set *set =
      parse_ok("\xEF\xBB\xBF" G1 "\r\n\r\n   \n" G2 "\r\n", QF_IMPORT_AUTO);
  cr_assert_eq(qf_group_set_count(set), 2);
  cr_assert_eq(qf_group_set_lines(set)[1], 4);
  qf_group_set_free(set);
}

Test(import_jsonl, reports_the_line_of_a_bad_url) {
  const char *text =
      G2 "\n" G2 "\n" G2 "\n" G2 "\n" G2 "\n" G2 "\n"
         "{\"id\":\"g7\",\"dialect\":\"generic\",\"url\":\"ftp://x\"}\n" G2;
  parse_bad(text, QF_IMPORT_JSONL, 7,
            "field \"url\": must start with http:// or https://");
}

Test(import_jsonl, rejects_malformed_lines) {
  parse_bad(G1 "\n{\"id\":", QF_IMPORT_JSONL, 2, "not valid JSON");
  parse_bad("[1,2]", QF_IMPORT_JSONL, 1, "JSON array is not supported");
  parse_bad("\"x\"", QF_IMPORT_JSONL, 1, "expected a JSON object");
  parse_bad(
      "{\"id\":\"g1\",\"id\":\"g2\",\"dialect\":\"generic\",\"url\":\"http://h\"}",
      QF_IMPORT_JSONL, 1, "not valid JSON");
}

Test(import_jsonl, rejects_wrong_types_unknown_and_missing_fields) {
  parse_bad("{\"id\":1,\"dialect\":\"generic\",\"url\":\"http://h\"}", QF_IMPORT_JSONL,
            1, "field \"id\": must be a string");
  parse_bad(
      "{\"id\":\"a\",\"tags\":\"x\",\"dialect\":\"generic\",\"url\":\"http://h\"}",
      QF_IMPORT_JSONL, 1, "field \"tags\": must be an array of strings");
  parse_bad("{\"id\":\"a\",\"tags\":[1],\"dialect\":\"generic\",\"url\":\"http://h\"}",
            QF_IMPORT_JSONL, 1, "field \"tags\"");
  parse_bad("{\"id\":\"a\",\"dialet\":\"generic\",\"url\":\"http://h\"}",
            QF_IMPORT_JSONL, 1, "unknown field \"dialet\"");
  parse_bad("{\"id\":\"a\",\"dialect\":\"generic\"}", QF_IMPORT_JSONL, 1,
            "field \"url\": missing");
  parse_bad("{\"id\":\"a\",\"dialect\":\"generic\",\"url\":\"http://h\",\"tz\":\"No/"
            "Where\"}",
            QF_IMPORT_JSONL, 1, "field \"tz\"");
}

Test(import_jsonl, accepts_null_optional_fields) {
  qf_group_set *set =
      parse_ok("{\"id\":\"a\",\"name\":null,\"tags\":null,\"tz\":null,"
               "\"rate\":null,\"dialect\":\"generic\",\"url\":\"http://h\"}",
               QF_IMPORT_JSONL);
  cr_assert_eq(qf_group_set_count(set), 1);
  qf_group_set_free(set);
}

Test(import, last_duplicate_wins_in_file_order) {
  const char *text =
      "{\"id\":\"b\",\"name\":\"first\",\"dialect\":\"generic\",\"url\":"
      "\"http://h\"}\n" G1 "\n"
      "{\"id\":\"b\",\"name\":\"second\",\"dialect\":\"generic\",\"url\":"
      "\"http://h\"}\n";
  qf_group_set *set = parse_ok(text, QF_IMPORT_JSONL);
  cr_assert_eq(qf_group_set_count(set), 2);
  cr_assert_str_eq(qf_group_set_groups(set)[0]->id, "g1");
  cr_assert_str_eq(qf_group_set_groups(set)[1]->name, "second");
  cr_assert_eq(qf_group_set_lines(set)[1], 3);
  qf_group_set_free(set);
}

Test(import_csv, parses_header_and_tags) {
  const char *text = "id,name,tags,dialect,url,tz,rate\n"
                     "g1,Shanghai moms 1,moms; shanghai ;;,generic,http://h/g1,"
                     "Asia/Shanghai,20/min\n"
                     "g2,,,generic,http://h/g2,,\n";
  qf_group_set *set = parse_ok(text, QF_IMPORT_CSV);
  cr_assert_eq(qf_group_set_count(set), 2);
  Qunfa__Group *g = qf_group_set_groups(set)[0];
  cr_assert_str_eq(g->name, "Shanghai moms 1");
  cr_assert_eq(g->n_tags, 2);
  cr_assert_str_eq(g->tags[1], "shanghai");
  cr_assert_str_eq(g->tz, "Asia/Shanghai");
  cr_assert_eq(qf_group_set_groups(set)[1]->n_tags, 0);
  cr_assert_eq(qf_group_set_lines(set)[1], 3);
  qf_group_set_free(set);
}

Test(import_csv, columns_in_any_order_and_optional_ones_left_out) {
  const char *text = " URL , id,dialect\r\nhttp://h/1,a,generic\r\n";
  qf_group_set *set = parse_ok(text, QF_IMPORT_CSV);
  cr_assert_str_eq(qf_group_set_groups(set)[0]->url, "http://h/1");
  cr_assert_str_eq(qf_group_set_groups(set)[0]->id, "a");
  qf_group_set_free(set);
}

Test(import_csv, quoting_per_rfc4180) {
  const char *text = "id,name,dialect,url\n"
                     "a,\"Moms, \"\"Pudong\"\"\",generic,http://h/a\n"
                     "b,\"two\nlines\",generic,http://h/b\n"
                     "c,\"\",generic,\"http://h/c?x=1,2\"\n";
  qf_group_set *set = NULL;
  size_t line = 0;
  char why[256];
  /* a line break in a name is valid CSV but an invalid group name */
  cr_assert_eq(qf_group_import_parse(text, strlen(text), QF_IMPORT_CSV, &set, &line,
                                     why, sizeof why),
               QF_EINVAL);
  cr_assert_eq(line, 3);
  cr_assert(strstr(why, "field \"name\"") != NULL, "%s", why);

  text = "id,name,dialect,url\n"
         "a,\"Moms, \"\"Pudong\"\"\",generic,http://h/a\n"
         "c,\"\",generic,\"http://h/c?x=1,2\"\n"
         "d,x,generic,http://h/d\n";
  set = parse_ok(text, QF_IMPORT_CSV);
  cr_assert_eq(qf_group_set_count(set), 3);
  cr_assert_str_eq(qf_group_set_groups(set)[0]->name, "Moms, \"Pudong\"");
  cr_assert_str_eq(qf_group_set_groups(set)[1]->url, "http://h/c?x=1,2");
  qf_group_set_free(set);
}

Test(import_csv, quoted_field_spanning_lines_keeps_line_numbers_right) {
  const char *text = "id,name,tags,dialect,url\n"
                     "a,x,\"t1;\nt2\",generic,http://h/a\n"
                     "b,x,,generic,ftp://h/b\n";
  parse_bad(text, QF_IMPORT_CSV, 4, "field \"url\"");
}

Test(import_csv, rejects_broken_quoting) {
  parse_bad("id,dialect,url\na,\"generic,http://h\n", QF_IMPORT_CSV, 2, "never closed");
  parse_bad("id,dialect,url\na,\"generic\"x,http://h\n", QF_IMPORT_CSV, 2,
            "after a closing quote");
  parse_bad("id,dialect,url\na,gen\"eric,http://h\n", QF_IMPORT_CSV, 2,
            "quote inside an unquoted field");
}

Test(import_csv, rejects_wrong_field_counts) {
  parse_bad("id,dialect,url\na,generic\n", QF_IMPORT_CSV, 2,
            "2 fields, but the header has 3");
  parse_bad("id,dialect,url\na,generic,http://h,x\n", QF_IMPORT_CSV, 2,
            "more fields than the header");
}

Test(import_csv, rejects_bad_headers) {
  parse_bad("id,dialect,url,colour\n", QF_IMPORT_CSV, 1, "unknown column \"colour\"");
  parse_bad("id,dialect\n", QF_IMPORT_CSV, 1, "lacks the column \"url\"");
  parse_bad("id,id,dialect,url\n", QF_IMPORT_CSV, 1, "column \"id\" appears twice");
}

Test(import_csv, line_seven_is_named) {
  const char *text =
      "id,dialect,url\n"
      "a,generic,http://h/a\nb,generic,http://h/b\nc,generic,http://h/c\n"
      "d,generic,http://h/d\ne,generic,http://h/e\nf,generic,h/f\n";
  parse_bad(text, QF_IMPORT_CSV, 7, "field \"url\": must start with http://");
}

Test(import, empty_files_hold_no_groups) {
  qf_group_set *set = parse_ok("", QF_IMPORT_AUTO);
  cr_assert_eq(qf_group_set_count(set), 0);
  qf_group_set_free(set);
  set = parse_ok("id,dialect,url\n\n", QF_IMPORT_CSV);
  cr_assert_eq(qf_group_set_count(set), 0);
  qf_group_set_free(set);
}

Test(import, nul_byte_is_named_by_line) {
  const char text[] = "id,dialect,url\na,generic,http://h/a\nb\0,generic,http://h\n";
  qf_group_set *set = NULL;
  size_t line = 0;
  char why[128];
  cr_assert_eq(qf_group_import_parse(text, sizeof text - 1, QF_IMPORT_CSV, &set, &line,
                                     why, sizeof why),
               QF_EINVAL);
  cr_assert_eq(line, 3);
  cr_assert(strstr(why, "NUL") != NULL);
}

Test(import, detects_format_by_extension_then_content) {
  cr_assert_eq(qf_group_import_detect("groups.CSV", "{", 1), QF_IMPORT_CSV);
  cr_assert_eq(qf_group_import_detect("g.jsonl", "id,", 3), QF_IMPORT_JSONL);
  cr_assert_eq(qf_group_import_detect("g.json", "", 0), QF_IMPORT_JSONL);
  cr_assert_eq(qf_group_import_detect("g.txt", "  \n{", 4), QF_IMPORT_JSONL);
  cr_assert_eq(qf_group_import_detect("-", "id,url", 6), QF_IMPORT_CSV);
  cr_assert_eq(qf_group_import_detect(NULL, NULL, 0), QF_IMPORT_CSV);
}

Test(import, sentences_never_carry_a_url) {
  const char *text = "{\"id\":\"a\",\"dialect\":\"generic\",\"url\":\"http://h/x?key=SE"
                     "CRET SPACE\"}";
  qf_group_set *set = NULL;
  size_t line = 0;
  char why[256];
  cr_assert_eq(qf_group_import_parse(text, strlen(text), QF_IMPORT_JSONL, &set, &line,
                                     why, sizeof why),
               QF_EINVAL);
  cr_assert(strstr(why, "SECRET") == NULL, "%s", why);
}

Test(import_jsonl, reads_account_quiet_and_daily_cap) {
  qf_group_set *set = parse_ok(
      "{\"id\":\"g1\",\"dialect\":\"generic\",\"url\":\"http://h/1\","
      "\"account\":\"bot1\",\"quiet\":\"23:00-07:00\",\"daily_cap\":3}\n" G2 "\n",
      QF_IMPORT_JSONL);
  Qunfa__Group *g = qf_group_set_groups(set)[0];
  cr_assert_str_eq(g->account, "bot1");
  cr_assert_str_eq(g->quiet, "23:00-07:00");
  cr_assert_eq(g->daily_cap, 3);
  g = qf_group_set_groups(set)[1];
  cr_assert_str_eq(g->account, "");
  cr_assert_str_eq(g->quiet, "");
  cr_assert_eq(g->daily_cap, 0);
  qf_group_set_free(set);
}

Test(import_jsonl, rejects_bad_account_quiet_and_daily_cap) {
  parse_bad(G2 "\n{\"id\":\"g3\",\"dialect\":\"generic\",\"url\":\"http://h/\","
               "\"daily_cap\":\"3\"}\n",
            QF_IMPORT_JSONL, 2, "field \"daily_cap\": must be a whole number");
  parse_bad("{\"id\":\"g3\",\"dialect\":\"generic\",\"url\":\"http://h/\","
            "\"daily_cap\":-1}\n",
            QF_IMPORT_JSONL, 1, "field \"daily_cap\"");
  parse_bad("{\"id\":\"g3\",\"dialect\":\"generic\",\"url\":\"http://h/\","
            "\"daily_cap\":1.5}\n",
            QF_IMPORT_JSONL, 1, "field \"daily_cap\"");
  parse_bad("{\"id\":\"g3\",\"dialect\":\"generic\",\"url\":\"http://h/\","
            "\"quiet\":\"22:00-\"}\n",
            QF_IMPORT_JSONL, 1, "field \"quiet\": must be HH:MM-HH:MM");
  parse_bad("{\"id\":\"g3\",\"dialect\":\"generic\",\"url\":\"http://h/\","
            "\"account\":\"a b\"}\n",
            QF_IMPORT_JSONL, 1, "field \"account\"");
}

Test(import_csv, reads_account_quiet_and_daily_cap_columns) {
  qf_group_set *set = parse_ok("id,dialect,url,account,quiet,daily_cap\n"
                               "g1,generic,http://h/1,bot1,23:00-07:00,5\n"
                               "g2,generic,http://h/2,,,\n",
                               QF_IMPORT_CSV);
  Qunfa__Group *g = qf_group_set_groups(set)[0];
  cr_assert_str_eq(g->account, "bot1");
  cr_assert_str_eq(g->quiet, "23:00-07:00");
  cr_assert_eq(g->daily_cap, 5);
  cr_assert_eq(qf_group_set_groups(set)[1]->daily_cap, 0);
  qf_group_set_free(set);
  parse_bad("id,dialect,url,daily_cap\ng1,generic,http://h/1,lots\n", QF_IMPORT_CSV, 2,
            "field \"daily_cap\": must be a whole number");
  parse_bad("id,dialect,url,daily_cap\ng1,generic,http://h/1,10001\n", QF_IMPORT_CSV, 2,
            "field \"daily_cap\"");
}
