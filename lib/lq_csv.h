/*
 * lq_csv.h - CSV in and out of NDJSON, exactly (lq-csv).
 *
 * Reading: a streaming RFC 4180 reader that also accepts what real exports
 * do (CRLF or LF or CR, a UTF-8 byte order mark, ';' or tab separators, a
 * bare quote inside an unquoted field, blanks after a closing quote, text
 * after the closing quote of a field on one line).  It
 * hands out one row at a time with the physical line where the row starts
 * and the row's raw bytes, so a bad row can be reported and kept verbatim.
 * Memory is bounded by the longest row (and max_row), never by the file.
 *
 * Why not libcsv: libcsv 3.0.3 decides "blank after a closing quote" and
 * "blank at the start of an unquoted field" with the same is_space()
 * callback, which cannot see the parser state (csv_parse keeps it in a
 * local).  RFC 4180 and the Apache Commons CSV control file test_rfc4180
 * need both ` " j " ` kept as it is and `" l " ` read as ` l `: with
 * is_space() false libcsv reads the second as an open quoted field that
 * swallows the rest of the file, with it true it trims the first.  It also
 * reports no position, so the line where a row starts is unknown.
 * test/unit/test_csv.c shows both.
 *
 * Typing (lq_csv_type): a cell that is exactly a JSON number (so no
 * leading zeros, no '+', no blanks) is a number and its text is kept as
 * it is; "true" and "false" are booleans; an empty cell is empty; anything
 * else is a string.
 *
 * Writing: lq_csv_cell() quotes per RFC 4180 and, when safe is set,
 * neutralises spreadsheet formulas (OWASP "CSV injection").
 */
#ifndef LQ_CSV_H
#define LQ_CSV_H

#include <stddef.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_json.h"

/*
 * What is wrong with a row (lq_csv.bad).  The quote problems say where
 * the quoted field opened (qline, qfield) and how many lines it spans
 * (qlines): every line after its opening quote is inside it as far as
 * CSV goes, so the whole row is one bad record, never split into guessed
 * rows.
 */
enum lq_csv_bad {
	LQ_CSV_OK = 0,
	LQ_CSV_UNTERMINATED,	/* end of input inside a quoted field */
	LQ_CSV_TOOLONG,		/* row longer than max_row bytes */
	LQ_CSV_QUOTE_TEXT,	/* text after the closing quote of a quoted
				   field that spans lines: a stray quote */
	LQ_CSV_QUOTE_LINES	/* a quoted field spans more than max_lines */
};

#define LQ_CSV_MAX_LINES 100	/* default max_lines */

struct lq_csv_field {
	size_t off, len;	/* bytes data.buf[off..off+len) */
};

struct lq_csv {
	/* options: set after lq_csv_open, before the first lq_csv_next */
	int delim;		/* separator; 0: detect from the first line */
	int quote;		/* quote character (default '"') */
	int comment;		/* skip lines starting with it; 0: none */
	int trim;		/* ignore blanks around fields */
	size_t max_row;		/* longest row kept (default 64 MiB) */
	long max_lines;		/* most lines a quoted field may span
				   (default LQ_CSV_MAX_LINES; 0: no limit) */
	int (*idle)(void *);	/* called before a read that would block */
	void *idle_arg;
	/*
	 * Called, when set, with the raw bytes of a row longer than max_row,
	 * in order, piece by piece, as they are read: they are not kept in
	 * raw, so the row can be kept whole without holding it in memory.
	 */
	void (*spill)(void *, const char *, size_t);
	void *spill_arg;

	/* the row last returned by lq_csv_next */
	struct lq_buf data;	/* the fields' bytes, unquoted */
	struct lq_csv_field *f;	/* the fields */
	size_t nf;
	struct lq_buf raw;	/* the row's bytes as read, terminator included */
	long line;		/* physical line (1-based) where the row starts */
	long last;		/* physical line where it ends */
	enum lq_csv_bad bad;
	long qline;		/* the quoted field that spans the most lines
				   (or the one bad says is wrong): the line
				   where it opens, 0 when none */
	long qlines;		/* the lines it spans (to the end of input
				   when unterminated) */
	long qclose;		/* the line where it closes, 0 if it does not */
	size_t qfield;		/* its field number, 1-based */
	long blank;		/* blank and comment lines skipped so far */

	/* internal */
	int fd;
	const char *name;
	char *buf;
	size_t cap, pos, end;
	int eof, started, skip_lf, over;
	size_t fcap;
	long curline;
	long qopen;		/* line of the quote being read */
};

/*
 * Open path ("-" or NULL: standard input) for reading; name kept by
 * reference.  Returns 0, or -1 with err set (code LQ_EXIT_RECORDS).
 */
int lq_csv_open(struct lq_csv *c, const char *path, struct lq_err *err);

/*
 * Read the next row into c->f/c->nf/c->data, c->raw, c->line, c->last,
 * c->bad and c->q*.  Blank lines (and comment lines) are skipped.  Returns
 * 1 for a row, 0 at end of input, -1 on a read error (err set).  The first
 * call detects the separator when c->delim is 0 and skips a UTF-8 byte
 * order mark.  A bad row still has its fields (as read) and its raw bytes.
 */
int lq_csv_next(struct lq_csv *c, struct lq_err *err);

/*
 * What is wrong with the current row, expecting ncol fields (0: any
 * number) named names (NULL: no names): its quotes, its length, its
 * number of fields (not its UTF-8).  The message goes to msg, as in
 * "expected 14 fields, found 13" or "unterminated quoted field: the quote
 * opened here in field 2 (Company) runs to the end of the input and
 * swallows the 24 lines after it"; *at gets the line it is about (where
 * the row starts, or where the quote that went wrong opens).  Returns msg,
 * or NULL when the row is fine.
 */
const char *lq_csv_problem(const struct lq_csv *c, size_t ncol,
    char *const *names, char *msg, size_t msgsz, long *at);

/* Field i of the current row (a pointer into c->data, not NUL-terminated). */
static inline const char *
lq_csv_field(const struct lq_csv *c, size_t i, size_t *len)
{
	*len = c->f[i].len;
	return c->data.buf ? c->data.buf + c->f[i].off : "";
}

/* Close the input (not standard input) and free everything. */
void lq_csv_close(struct lq_csv *c);

/*
 * Guess the separator from the first line of p[0..n): the most frequent
 * of ',', ';' and tab outside quotes (ties in that order; none: ',').
 */
int lq_csv_sniff(const char *p, size_t n);

/* Return 1 when p[0..n) is valid UTF-8. */
int lq_csv_utf8_valid(const char *p, size_t n);

enum lq_csv_type {
	LQ_CSV_EMPTY, LQ_CSV_STRING, LQ_CSV_NUMBER, LQ_CSV_TRUE, LQ_CSV_FALSE
};

/* Type of a cell by the rules above. */
enum lq_csv_type lq_csv_type(const char *p, size_t n);

/* Return 1 when p[0..n) is exactly a JSON number (RFC 8259 grammar). */
int lq_csv_is_number(const char *p, size_t n);

/*
 * Header: make column names unique and non-empty.  An empty name becomes
 * "column_N" (N its 1-based position); a repeated name becomes "NAME_2",
 * "NAME_3", ... (skipping names already taken).  names[i] are malloc'd,
 * NUL-terminated; *renamed (malloc'd array, may be NULL when none) flags
 * the columns whose name was changed.  Returns the number renamed.
 */
size_t lq_csv_header_names(const struct lq_csv *c, char ***names,
    int **renamed);

/* Free an array of n names from lq_csv_header_names. */
void lq_csv_names_free(char **names, size_t n);

/* How a row becomes a JSON object (struct lq_csv_shape). */
enum lq_csv_empty { LQ_CSV_E_DEFAULT, LQ_CSV_E_NULL, LQ_CSV_E_OMIT,
    LQ_CSV_E_STRING };

struct lq_csv_node;

struct lq_csv_shape {
	size_t ncol;
	struct lq_csv_node *root;	/* top-level members, in order */
	int strings;		/* every cell a string */
	enum lq_csv_empty empty;
	size_t bound;		/* bytes of a row's JSON besides its cells */
};

/*
 * Build the shape for ncol column names.  With nest, a dotted name
 * ("form.timeline") becomes a member of a nested object; a name that
 * cannot nest (an empty segment, or a clash such as both "a" and "a.b")
 * stays a flat key and is reported: *clash (malloc'd, NULL when none)
 * flags such columns.  Returns 0.
 */
int lq_csv_shape_init(struct lq_csv_shape *s, char **names, size_t ncol,
    int nest, int **clash);

/*
 * lq_csv_shape_init() where nestcol (NULL: none) flags, besides nest, the
 * columns whose dotted names nest, and a NULL name drops its column.
 */
int lq_csv_shape_init_cols(struct lq_csv_shape *s, char **names,
    size_t ncol, int nest, const int *nestcol, int **clash);

/* Free the shape. */
void lq_csv_shape_release(struct lq_csv_shape *s);

/*
 * Append the current row of c (exactly s->ncol fields, valid UTF-8) to
 * out as one JSON object, without a newline.
 */
void lq_csv_row_json(struct lq_buf *out, const struct lq_csv_shape *s,
    const struct lq_csv *c);

struct lq_csvmap_cell;

/*
 * lq_csv_row_json() with each cell's JSON text given by cells[0..ncol)
 * (lq_csvmap_row(): a NULL cell omits its member).
 */
void lq_csv_row_json_cells(struct lq_buf *out, const struct lq_csv_shape *s,
    const struct lq_csv *c, const struct lq_csvmap_cell *cells);

/*
 * Append the current row as a JSON array (strings, or typed cells unless
 * strings is set), for headerless input.
 */
void lq_csv_row_array(struct lq_buf *out, const struct lq_csv *c,
    int strings, enum lq_csv_empty empty);

/* ---- NDJSON to CSV ---- */

/* a column: a path of object keys; name is the header (keys joined by .) */
enum lq_csv_colkind {
	LQ_CSV_COL_VALUE,	/* the value at the path, as a cell */
	LQ_CSV_COL_SCALAR,	/* the same, but an object is empty (the
				   columns of its members write it) */
	LQ_CSV_COL_SUMMARY	/* the score object at the path without its
				   last key, as a line of text */
};

struct lq_csv_col {
	char *name;
	char **seg;
	size_t *seglen;
	size_t nseg;
	enum lq_csv_colkind kind;
};

struct lq_csvmap;

struct lq_csv_cols {
	struct lq_csv_col *v;
	size_t n, cap;
	const struct lq_csvmap *map;	/* -r: headers and cells back to
					   the export's (borrowed), or NULL */
	struct lq_buf *scratch;	/* internal */
};

/*
 * Add the columns of a field list such as "email,score.tier,.route.owner"
 * (a leading '.' is optional; a key with dots or commas is written as a
 * JSON string: '."Lead Number"' or 'a."b.c"').  Returns 0, or -1 with err
 * (code LQ_EXIT_USAGE).
 */
int lq_csv_cols_parse(struct lq_csv_cols *cols, const char *spec,
    struct lq_err *err);

/*
 * Add the columns of one record (scanned into s) that are not there yet:
 * each leaf, with nested objects flattened to dotted names (an empty
 * object and an array are leaves).
 */
void lq_csv_cols_learn(struct lq_csv_cols *cols, const char *line,
    const struct lq_scan *s);

/*
 * Call fn(arg, path) for each value of the record (scanned into s) that no
 * column writes: a leaf (or a nested object deeper than columns go) whose
 * path is no column and has no column as a prefix (such a column writes
 * it as part of its JSON text).  path is the dotted name, valid during
 * the call.  Nulls are not reported: the empty cell says as much.
 */
void lq_csv_cols_unwritten(struct lq_csv_cols *cols, const char *line,
    const struct lq_scan *s, void (*fn)(void *, const char *), void *arg);

/* Free the columns. */
void lq_csv_cols_release(struct lq_csv_cols *cols);

/*
 * The columns of a whole input: lq_csv_tree_learn() each record, then
 * lq_csv_tree_cols() lists them in a stable order: the input's own keys
 * first, in the order first seen, then the tools' keys (enrich, score,
 * route, in pipeline order); within an object its members in the order
 * first seen, so a member first seen late still sits beside its
 * siblings.  A key that is an object in some records and null in others
 * gives the columns of its members only; one that is also a string or
 * number somewhere keeps its own column too (LQ_CSV_COL_SCALAR).  A
 * score object gets a summary column (LQ_CSV_COL_SUMMARY) first.
 */
struct lq_csv_tree;

/* A new, empty tree (free with lq_csv_tree_free). */
struct lq_csv_tree *lq_csv_tree_new(void);

/* Learn the keys of one record (scanned into s). */
void lq_csv_tree_learn(struct lq_csv_tree *t, const char *line,
    const struct lq_scan *s);

/*
 * Append the tree's columns to cols (skipping ones there already); with
 * input_only, only the input's own keys (not enrich, score, route).
 */
void lq_csv_tree_cols(const struct lq_csv_tree *t, struct lq_csv_cols *cols,
    int input_only);

/* Has the tree seen the member key.member (a record with both)? */
int lq_csv_tree_has(const struct lq_csv_tree *t, const char *key,
    const char *member);

/* Free a tree (NULL is fine). */
void lq_csv_tree_free(struct lq_csv_tree *t);

/*
 * Find the value at col in the record: returns its kind and the span of
 * its bytes [*vs, *ve) in line, or LQ_J_NONE when absent.
 */
enum lq_jkind lq_csv_lookup(const char *line, const struct lq_scan *s,
    const struct lq_csv_col *col, size_t *vs, size_t *ve);

/*
 * Append one CSV cell to out: quoted when it holds delim, a quote, CR or
 * LF; with safe, a cell starting with = + - @ tab or CR gets a leading
 * single quote unless it is a plain number (-12.5).
 */
void lq_csv_cell(struct lq_buf *out, const char *p, size_t n, int delim,
    int safe);

/*
 * Append the header row of cols (no line end): cells as lq_csv_cell()
 * writes them, and the first one quoted when a reader would take the row
 * for something else: a name starting with U+FEFF (a byte order mark) or
 * "sep=" (Excel's separator line), or a lone empty name (a blank line).
 */
void lq_csv_header_row(struct lq_buf *out, const struct lq_csv_cols *cols,
    int delim, int safe);

/*
 * Append the row of the record line (scanned into s) for cols (no line
 * end); a row that would be an empty line (one column, empty) is "".
 */
void lq_csv_record_row(struct lq_buf *out, const char *line,
    const struct lq_scan *s, const struct lq_csv_cols *cols, int delim,
    int safe, struct lq_buf *tmp);

/*
 * Append the CSV cell of a JSON value (kind, raw bytes v[0..n)): strings
 * decoded, numbers and booleans as written, null and absent empty,
 * objects and arrays as their JSON text.  tmp is scratch space.
 */
void lq_csv_value_cell(struct lq_buf *out, enum lq_jkind kind,
    const char *v, size_t n, int delim, int safe, struct lq_buf *tmp);

#endif
