/*
 * lq_csvmap.h - the csv: section of a rule file: how a CRM export's
 * columns become lead fields, and back (lq-csv -r).
 *
 *   csv:
 *     null: [Select, N/A, "-", (blank), 0000-00-00]   # cells that mean empty
 *     columns:
 *       Company: company                      # a rename
 *       Lead Source: {name: source}
 *       Mailing Country: {name: address.country}    # a dotted name nests
 *       Converted: {name: converted, type: boolean, true: ["1"], false: ["0"]}
 *       Created Date: {type: date, format: "%m/%d/%Y %I:%M %p", tz: America/New_York}
 *       Notes: ~                              # dropped
 *     drop: [Prospect ID]
 *
 * A mapping is loaded once (lq_csvmap_load), then planned against each
 * file's header (lq_csvmap_plan_new): the plan knows, per input column,
 * its output name, whether it nests, its type and its null values.
 * lq_csvmap_row() converts one row's cells to JSON text; a cell that is
 * not of its column's type is an error for the row (or null, with
 * invalid: null).  For NDJSON back to CSV, lq_csvmap_header() and
 * lq_csvmap_cell() give the export's header name and value for a column.
 */
#ifndef LQ_CSVMAP_H
#define LQ_CSVMAP_H
#include <stddef.h>

#include "lq_buf.h"
#include "lq_csv.h"
#include "lq_err.h"

struct lq_csvmap;
struct lq_csvmap_plan;

/* a converted cell: JSON text p[0..n), or p NULL for "omit the member" */
struct lq_csvmap_cell {
	const char *p;
	size_t n;
};

/*
 * Load the csv: section of the rule file path into *mp (owned; free with
 * lq_csvmap_free).  Returns 0, or -1 with err ("file:line:col: ...",
 * code LQ_EXIT_USAGE).
 */
int lq_csvmap_load(struct lq_csvmap **mp, const char *path,
    struct lq_err *err);

/* Free a mapping (NULL is fine). */
void lq_csvmap_free(struct lq_csvmap *m);

/* The separator the mapping sets (delimiter:), or 0. */
int lq_csvmap_delim(const struct lq_csvmap *m);

/* What empty cells become (empty:), or LQ_CSV_E_DEFAULT. */
enum lq_csv_empty lq_csvmap_empty(const struct lq_csvmap *m);

/*
 * Plan the mapping m (borrowed; must outlive the plan) for a file whose
 * header names are names[0..ncol).  *outnames (owned by the plan) gets
 * each column's lead field name, NULL for a dropped column; *nest (owned
 * by the plan) flags names that nest at their dots.  Returns the plan, or
 * NULL with err set when a column the mapping marks required: is not in
 * the header.
 */
struct lq_csvmap_plan *lq_csvmap_plan_new(const struct lq_csvmap *m,
    char *const *names, size_t ncol, char ***outnames, int **nest,
    struct lq_err *err);

/*
 * When no column of the header is one the mapping names (the wrong
 * mapping, most likely): the i-th column of the mapping (its export
 * header name), or NULL past the last.  NULL when any matched: a
 * mapping may name more columns than one export has.
 */
const char *lq_csvmap_plan_missing(const struct lq_csvmap_plan *p, size_t i);

/* Free a plan. */
void lq_csvmap_plan_free(struct lq_csvmap_plan *p);

/*
 * Convert the cells of the current row of c (p's ncol fields, valid
 * UTF-8) into cells[0..ncol): typed JSON text, null for a null value,
 * by empty mode (strings: every untyped cell a string).  The text lives
 * in the plan until the next call.  Returns 0; or -1 when a cell is not
 * of its column's type, with msg ("column 'TotalVisits': \"lots\" is not
 * a number"); with invalid: null in the mapping such a cell is null and
 * the message is still set (*warned is set to 1), the return 0.
 */
int lq_csvmap_row(struct lq_csvmap_plan *p, const struct lq_csv *c,
    int strings, enum lq_csv_empty empty, struct lq_csvmap_cell *cells,
    char *msg, size_t msgsz, int *warned);

/*
 * NDJSON to CSV: the export header for the lead field path (dotted), or
 * NULL when the mapping does not rename it (borrowed).
 */
const char *lq_csvmap_header(const struct lq_csvmap *m, const char *path);

/*
 * NDJSON to CSV: the export's text for a value of the lead field path:
 * a boolean as the column's first true/false word, a date as its format
 * in its zone.  Appends to out and returns 1, or returns 0 when the value
 * is written as it is.  kind and v[0..n) are the JSON value.
 */
int lq_csvmap_cell(const struct lq_csvmap *m, const char *path,
    enum lq_jkind kind, const char *v, size_t n, struct lq_buf *out);

#endif
