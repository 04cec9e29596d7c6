/* Output of the qunfa tool: aligned tables for people, one JSON document per
 * command for programs (--json). Text that is not valid UTF-8 is shown with
 * U+FFFD in its place, so the JSON printed is always valid. */
#ifndef QUNFA_OUTPUT_H
#define QUNFA_OUTPUT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A table: a header row and rows of cells, printed with aligned columns. */
typedef struct out_table out_table;

/* A table of ncols columns titled by headers (borrowed, constant strings). */
out_table *out_table_new(size_t ncols, const char *const *headers);
/* Appends a row of ncols cells (copied; NULL prints as "-"). */
void out_table_add(out_table *t, const char *const *cells);
/* Prints the table to stdout. */
void out_table_print(const out_table *t);
/* NULL is a no-op. */
void out_table_free(out_table *t);

/* What a listing command prints, filled page by page as pages arrive: rows
 * of a table, or one JSON array with --json. Nothing is printed until
 * out_list_print, so a listing that fails part way prints nothing. */
typedef struct out_list out_list;

out_list *out_list_new(bool json, size_t ncols, const char *const *headers);
bool out_list_is_json(const out_list *l);
/* Appends an item: a JSON value (taken over) in JSON mode, else a table row. */
void out_list_add_json(out_list *l, json_t *item);
void out_list_add_row(out_list *l, const char *const *cells);
void out_list_print(const out_list *l);
/* NULL is a no-op. */
void out_list_free(out_list *l);

/* A JSON string of s (NULL = ""), repaired to valid UTF-8 if need be. */
json_t *out_json_string(const char *s);
/* Prints v as compact JSON and a newline to stdout, and releases v. */
void out_json_print(json_t *v);

#endif
