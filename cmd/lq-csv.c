/*
 * lq-csv - CSV exports into NDJSON leads, and NDJSON back into CSV.
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "lq_csv.h"
#include "lq_csvmap.h"
#include "lqcmd.h"

static const char usage[] =
    "[-ans] [-r RULES] [-d DELIM] [-e null|omit|string] [--max-lines N] [--rejects FILE]\n"
    "       [FILE ...]\n"
    "       lq-csv -t [-r RULES] [-f FIELDS] [-d DELIM] [--crlf] [--no-safe] [FILE ...]";

/* --help before the options */
static const char about[] =
"usage: lq-csv [options] [FILE ...]\n"
"       lq-csv --to-csv [options] [FILE ...]\n"
"Convert CSV (FILEs or standard input; the first row names the keys) to\n"
"NDJSON, one object per row; with --to-csv, NDJSON records to CSV.\n"
"\n";

enum {
	O_NOHEADER = LQCMD_OPT_TOOL, O_COMMENT, O_TRIM, O_SAMPLE, O_CRLF,
	O_SAFE, O_NOSAFE, O_MAXLINES
};

static const struct lqcmd_option opt[] = {
	{ 'r', "rules", "FILE",
	    "the csv: section of FILE maps the export's columns\n"
	    "(names, types, null values; with -t, back)" },
	{ 0, NULL, NULL, "CSV to NDJSON:" },
	{ 'd', "delimiter", "C",
	    "separator: a character, or 'tab' (default: the most\n"
	    "frequent of , ; and tab in the header line)" },
	{ 's', "strings", NULL,
	    "every cell a string (default: JSON numbers as\n"
	    "written, true, false typed)" },
	{ 'e', "empty", "MODE",
	    "empty cell: null (default), omit, or string\n"
	    "(default with --strings)" },
	{ 'n', "nest", NULL, "dotted header names become nested objects" },
	{ 'a', "arrays", NULL, "no header row: each row a JSON array" },
	{ O_NOHEADER, "no-header", NULL,
	    "no header row: keys column_1, column_2, ..." },
	{ O_COMMENT, "comment", "C", "skip lines that start with C" },
	{ O_TRIM, "trim", NULL, "ignore blanks around fields" },
	{ O_MAXLINES, "max-lines", "N",
	    "a quoted field may span N lines (default 100; 0: any)" },
	{ 0, NULL, NULL, "NDJSON to CSV:" },
	{ 't', "to-csv", NULL, "write CSV" },
	{ 'f', "fields", "LIST",
	    "columns: paths such as email,score.tier, streamed;\n"
	    "+LIST: the input's own columns and these (default:\n"
	    "every key of the whole input, flattened)" },
	{ O_SAMPLE, "sample", "N",
	    "default columns from the first N records, then\n"
	    "streamed (a record with another key is rejected)" },
	{ O_CRLF, "crlf", NULL, "end rows with CRLF" },
	{ O_NOSAFE, "no-safe", NULL,
	    "do not neutralise formulas (= + - @ tab CR)" },
	{ O_SAFE, "safe", NULL, "neutralise them (the default)" },
	{ O_NOHEADER, "no-header", NULL, "no header row" },
	{ 'd', "delimiter", "C", "separator (default ',')" },
	{ 0, NULL, NULL, "" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-csv(1).\n" };

struct opts {
	int delim, strings, nest, arrays, noheader, comment, trim;
	enum lq_csv_empty empty;
	int to_csv, crlf, safe;
	long sample;
	struct lq_csv_cols cols;
	int fixed;		/* -f LIST: these columns only */
	int plus;		/* -f +LIST: the input's columns and these */
	int fgiven;		/* -f */
	int sample_set;		/* --sample N */
	long max_lines;		/* --max-lines, or -1 */
	struct lqcmd_run run;	/* common options, counters, --rejects */
	int bad_header;		/* a file's header row was unusable */
	const char *rules;	/* -r FILE */
	/* run state */
	struct lq_buf *hdr;	/* the header row of the file being read */
	struct lq_csvmap *map;	/* -r: the csv: section */
	struct lq_csvmap_plan *plan;	/* the map for this file's header */
	struct lq_csvmap_cell *cells;
	long invalid;		/* cells made null (invalid: null) */
	int spilled;		/* last byte of a row spilled to rf, or 0 */
};

static int
idle_flush(void *arg)
{
	(void)arg;
	if (lq_writer_flush(&lqcmd_out) < 0)
		exit(lqcmd_finish(LQ_EXIT_IO));	/* reports, or SIGPIPE */
	return 0;
}

/* the --rejects file, opened on first use */
static FILE *
rejects(struct opts *o)
{
	return lqcmd_rejects_file(&o->run);
}

/* append a row or line to the --rejects file, ending it with a newline */
static void
keep(struct opts *o, const char *raw, size_t n)
{
	FILE *f = rejects(o);

	fwrite(raw, 1, n, f);
	if (n && raw[n - 1] != '\n')
		fputc('\n', f);
}

/* is the --rejects file still empty */
static int
rejects_empty(struct opts *o)
{
	struct stat st;
	FILE *f = rejects(o);

	fflush(f);
	return fstat(fileno(f), &st) == 0 && st.st_size == 0;
}

/* the bytes of a row too long to hold, straight to the rejects file */
static void
spill(void *arg, const char *p, size_t n)
{
	struct opts *o = arg;

	if (!n)
		return;
	if (o->hdr && o->hdr->len && rejects_empty(o))
		keep(o, o->hdr->buf, o->hdr->len);
	fwrite(p, 1, n, rejects(o));
	o->spilled = (unsigned char)p[n - 1];
}

/* a bad record: report, keep its bytes with --rejects */
static void
reject(struct opts *o, const char *file, long line, const char *raw,
    size_t n, const char *msg)
{
	lqcmd_warn("%s:%ld: %s", file, line, msg);
	o->run.rejected++;
	if (o->run.rejects)
		keep(o, raw, n);
}

/*
 * The reason a CSV row is bad, or NULL; *at gets the line to report (the
 * row's first line, or the line where a bad quoted field opens).
 */
static const char *
bad_row(const struct lq_csv *c, size_t ncol, const char **names, char *msg,
    size_t msgsz, long *at)
{
	size_t i, n, len;

	if (lq_csv_problem(c, ncol, (char *const *)names, msg, msgsz, at)) {
		len = strlen(msg);
		/* what the rejects file gets: the row, all its lines */
		if (c->bad != LQ_CSV_OK && c->bad != LQ_CSV_TOOLONG &&
		    c->last > c->line)
			snprintf(msg + len, msgsz - len, "%slines %ld-%ld "
			    "rejected as one row%s", len && msg[len - 1] == '?' ?
			    " " : "; ", c->line, c->last,
			    c->bad == LQ_CSV_QUOTE_LINES ? " (--max-lines "
			    "raises the limit)" : "");
		else if (c->bad == LQ_CSV_QUOTE_LINES)
			snprintf(msg + len, msgsz - len, " (--max-lines raises "
			    "the limit)");
		return msg;
	}
	for (i = 0; i < c->nf; i++) {
		const char *p = lq_csv_field(c, i, &n);
		if (!lq_csv_utf8_valid(p, n)) {
			snprintf(msg, msgsz, "invalid UTF-8 in field %zu%s%s%s",
			    i + 1, names ? " (" : "", names ? names[i] : "",
			    names ? ")" : "");
			return msg;
		}
	}
	return NULL;
}

/* read the header row and build the shape; 0, or -1 when unusable */
static int
header(struct opts *o, struct lq_csv *c, struct lq_csv_shape *sh,
    char ***namesp, size_t *ncol)
{
	char msg[512], **names;
	const char *why;
	int *renamed = NULL, *clash = NULL;
	size_t i;
	long at;

	if ((why = bad_row(c, 0, NULL, msg, sizeof(msg), &at))) {
		lqcmd_warn("%s:%ld: header: %s", c->name, at, why);
		return -1;
	}
	lq_csv_header_names(c, &names, &renamed);
	if (o->noheader) {
		for (i = 0; i < c->nf; i++) {
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "column_%zu", i + 1);
			free(names[i]);
			if (!(names[i] = strdup(tmp)))
				abort();
		}
		free(renamed);
		renamed = NULL;
	}
	for (i = 0; renamed && i < c->nf; i++)
		if (renamed[i] && !o->run.quiet) {
			size_t n;
			const char *p = lq_csv_field(c, i, &n);
			lqcmd_warn("%s:%ld: column %zu: %s header name%s%.*s%s, "
			    "named '%s'", c->name, c->line, i + 1, n ? "duplicate" :
			    "empty", n ? " '" : "", (int)n, p, n ? "'" : "",
			    names[i]);
		}
	if (o->map) {
		char **out;
		int *nest;
		struct lq_err err;
		const char *miss;

		lq_err_clear(&err);
		if (!(o->plan = lq_csvmap_plan_new(o->map, names, c->nf, &out,
		    &nest, &err))) {
			lqcmd_warn("%s:%ld: header: %s", c->name, c->line,
			    err.msg);
			lq_csv_names_free(names, c->nf);
			free(renamed);
			return -1;
		}
		if ((miss = lq_csvmap_plan_missing(o->plan, 0)))
			lqcmd_warn("%s:%ld: header: none of the columns of "
			    "the csv mapping %s is here (such as '%s'): is it "
			    "the mapping for this export?", c->name, c->line,
			    o->rules, miss);
		if (!(o->cells = calloc(c->nf + 1, sizeof(*o->cells))))
			abort();
		lq_csv_shape_init_cols(sh, out, c->nf, o->nest, nest, &clash);
	} else
		lq_csv_shape_init(sh, names, c->nf, o->nest, &clash);
	for (i = 0; clash && i < c->nf; i++)
		if (clash[i] && !o->run.quiet)
			lqcmd_warn("%s:%ld: column %zu: '%s' not nested: a "
			    "prefix of it is a column too", c->name, c->line,
			    i + 1, names[i]);
	sh->strings = o->strings;
	sh->empty = o->empty;
	free(renamed);
	free(clash);
	*namesp = names;
	*ncol = c->nf;
	return 0;
}

/* a row went to the rejects file as read: end it as a line */
static void
end_spilled(struct opts *o)
{
	if (o->spilled && o->spilled != '\n' && o->spilled != '\r')
		keep(o, "\n", 1);
	o->spilled = 0;
}

/*
 * The header row of c is unusable, so no row has keys: keep it and every
 * row after it in the rejects file, as read, and count those rows as
 * rejected.  Returns what lq_csv_next last returned.
 */
static int
skip_file(struct opts *o, struct lq_csv *c, struct lq_err *err)
{
	long n = 0;
	int got;

	end_spilled(o);
	if (o->run.rejects)
		keep(o, c->raw.buf, c->raw.len);
	while ((got = lq_csv_next(c, err)) > 0) {
		n++;
		end_spilled(o);
		if (o->run.rejects)
			keep(o, c->raw.buf, c->raw.len);
	}
	o->run.records += n;
	o->run.rejected += n;
	if (n)
		lqcmd_warn("%s: %ld row%s after the header not converted%s%s%s",
		    c->name, n, n == 1 ? "" : "s", o->run.rejects ? " (kept in " :
		    "", o->run.rejects ? o->run.rejects : "", o->run.rejects ? ")" : "");
	return got;
}

/* one CSV file to NDJSON; returns 0, or 1 after an input error */
static int
from_csv(struct opts *o, const char *file)
{
	struct lq_csv c;
	struct lq_csv_shape sh = { 0 };
	struct lq_err err;
	struct lq_buf hdr = LQ_BUF_INIT;	/* the header row, for --rejects */
	char msg[512], **names = NULL;
	const char *why;
	size_t ncol = 0;
	long at;
	int got, status = 0, first = 1;

	lq_err_clear(&err);
	if (lq_csv_open(&c, file, &err) < 0) {
		lqcmd_warn("%s", err.msg);
		o->run.failed = 1;
		return 1;
	}
	c.delim = o->delim;
	c.comment = o->comment;
	c.trim = o->trim;
	c.idle = idle_flush;
	if (o->max_lines >= 0)
		c.max_lines = o->max_lines;
	if (o->run.rejects) {
		/* a row longer than max_row goes there as it is read */
		c.spill = spill;
		c.spill_arg = o;
		o->hdr = &hdr;
	}
	while ((got = lq_csv_next(&c, &err)) > 0) {
		lqcmd_progress(&o->run, c.raw.len);
		if (first && !o->arrays) {
			first = 0;
			if (header(o, &c, &sh, &names, &ncol) < 0) {
				status = 1;
				o->bad_header = 1;
				got = skip_file(o, &c, &err);
				break;
			}
			if (!o->noheader) {
				lq_buf_add(&hdr, c.raw.buf, c.raw.len);
				continue;
			}
		}
		o->run.records++;
		if ((why = bad_row(&c, ncol, (const char **)names, msg,
		    sizeof(msg), &at))) {
			/* an empty rejects file gets the header: it is a CSV file */
			if (o->run.rejects && hdr.len && rejects_empty(o))
				keep(o, hdr.buf, hdr.len);
			lq_buf_release(&hdr);
			end_spilled(o);
			reject(o, c.name, at, c.raw.buf, c.raw.len, why);
			if (o->run.strict)
				break;
			continue;
		}
		if (o->plan) {
			int warned;
			if (lq_csvmap_row(o->plan, &c, o->strings, o->empty,
			    o->cells, msg, sizeof(msg), &warned) < 0) {
				if (o->run.rejects && hdr.len &&
				    rejects_empty(o))
					keep(o, hdr.buf, hdr.len);
				lq_buf_release(&hdr);
				reject(o, c.name, c.line, c.raw.buf, c.raw.len,
				    msg);
				if (o->run.strict)
					break;
				continue;
			}
			if (warned) {
				o->invalid++;
				if (!o->run.quiet)
					lqcmd_warn("%s:%ld: %s; made null",
					    c.name, c.line, msg);
			}
			lq_csv_row_json_cells(&lqcmd_out.out, &sh, &c,
			    o->cells);
		} else if (o->arrays)
			lq_csv_row_array(&lqcmd_out.out, &c, o->strings, o->empty);
		else
			lq_csv_row_json(&lqcmd_out.out, &sh, &c);
		lqcmd_write("\n", 1);
	}
	if (got < 0) {
		lqcmd_warn("%s", err.msg);
		o->run.failed = 1;
		status = 1;
	}
	end_spilled(o);
	lq_buf_release(&hdr);
	o->hdr = NULL;
	lq_csv_shape_release(&sh);
	lq_csv_names_free(names, ncol);
	lq_csvmap_plan_free(o->plan);
	o->plan = NULL;
	free(o->cells);
	o->cells = NULL;
	lq_csv_close(&c);
	return status;
}

/* ---- NDJSON to CSV ---- */

/*
 * Columns: with -f alone, the ones named, streaming.  Otherwise from the
 * whole input (every record is spooled to a temporary file while its keys
 * are learnt, then written), so no key is left out; -f +LIST adds columns
 * to the input's own.  With --sample N, from the first N records, then
 * streaming: a later record with a key no column writes is rejected.
 */
struct held {
	char *line;
	size_t len;
};

struct tocsv {
	struct opts *o;
	struct lq_scan scan;
	struct lq_buf tmp;
	struct lq_csv_tree *tree;
	FILE *spool;		/* whole-input mode */
	struct held *held;	/* --sample: records before the columns */
	size_t nheld;
	int ready;
	const char *unseen;	/* first key of this record no column writes */
	struct lq_buf unseen_buf;
};

static void
unseen_key(void *arg, const char *path)
{
	struct tocsv *t = arg;

	if (t->unseen)
		return;
	lq_buf_reset(&t->unseen_buf);
	lq_buf_adds(&t->unseen_buf, path);
	t->unseen = t->unseen_buf.buf;
}

static void
write_row(struct tocsv *t, const char *line, const struct lq_scan *scan)
{
	struct opts *o = t->o;

	lq_csv_record_row(&lqcmd_out.out, line, scan, &o->cols, o->delim,
	    o->safe, &t->tmp);
	lqcmd_write(o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
}

/* the columns are known: take them from the tree, write the header */
static void
columns(struct tocsv *t)
{
	struct opts *o = t->o;
	size_t i;

	t->ready = 1;
	if (!o->fixed) {
		struct lq_csv_cols extra = o->cols;
		memset(&o->cols, 0, sizeof(o->cols));
		lq_csv_tree_cols(t->tree, &o->cols, o->plus);
		/* -f +LIST: after the input's columns, unless there already */
		for (i = 0; i < extra.n; i++) {
			size_t j;
			for (j = 0; j < o->cols.n && strcmp(o->cols.v[j].name,
			    extra.v[i].name); j++)
				;
			if (j < o->cols.n)
				continue;
			if (o->cols.n == o->cols.cap) {
				o->cols.cap = o->cols.cap ? 2 * o->cols.cap : 8;
				o->cols.v = realloc(o->cols.v, o->cols.cap *
				    sizeof(*o->cols.v));
				if (!o->cols.v)
					abort();
			}
			o->cols.v[o->cols.n++] = extra.v[i];
			memset(&extra.v[i], 0, sizeof(extra.v[i]));
		}
		lq_csv_cols_release(&extra);
	}
	o->cols.map = o->map;
	/* -f score.summary: the summary, unless the records have one */
	for (i = 0; i < o->cols.n; i++)
		if (o->cols.v[i].kind == LQ_CSV_COL_VALUE &&
		    !strcmp(o->cols.v[i].name, "score.summary") &&
		    o->cols.v[i].nseg == 2 && !lq_csv_tree_has(t->tree,
		    "score", "summary"))
			o->cols.v[i].kind = LQ_CSV_COL_SUMMARY;
	if (o->cols.n == 0) {
		if (o->run.records > o->run.rejected)
			lqcmd_warn("no columns: the records have no keys");
	} else if (!o->noheader) {
		lq_csv_header_row(&lqcmd_out.out, &o->cols, o->delim, o->safe);
		lqcmd_write(o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
	}
}

/* --sample: the first records are in; write them */
static void
ready(struct tocsv *t)
{
	struct lq_err err;
	size_t i;

	columns(t);
	for (i = 0; i < t->nheld; i++) {
		if (t->o->cols.n && lq_json_scan(&t->scan, t->held[i].line,
		    t->held[i].len, &err) == 0)
			write_row(t, t->held[i].line, &t->scan);
		free(t->held[i].line);
	}
	free(t->held);
	t->held = NULL;
	t->nheld = 0;
}

static void
hold(struct tocsv *t, const char *line, size_t len)
{
	struct held *h;

	if (!(t->nheld & (t->nheld - 1)) || t->nheld == 0) {
		size_t cap = t->nheld ? t->nheld * 2 : 16;
		t->held = realloc(t->held, cap * sizeof(*t->held));
		if (!t->held)
			abort();
	}
	h = &t->held[t->nheld++];
	if (!(h->line = malloc(len + 1)))
		abort();
	memcpy(h->line, line, len);
	h->line[len] = '\0';
	h->len = len;
}

/* --to-csv: a record of the loop (lqcmd_run) */
static int
to_csv_one(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	struct tocsv *t = ctx;
	struct opts *o = t->o;

	(void)val;
	if (o->fixed) {		/* -f: streaming */
		if (!t->ready)
			columns(t);
		write_row(t, rec->line, rec->scan);
		return 0;
	}
	if (t->spool) {		/* whole input: learn, keep for later */
		lq_csv_tree_learn(t->tree, rec->line, rec->scan);
		if (fwrite(rec->line, 1, rec->len, t->spool) != rec->len ||
		    putc('\n', t->spool) == EOF)
			return lq_err_set(err, LQ_EXIT_IO, "temporary file: "
			    "%s", strerror(errno));
		return 0;
	}
	if (t->ready) {		/* --sample: columns known */
		t->unseen = NULL;
		lq_csv_cols_unwritten(&o->cols, rec->line, rec->scan,
		    unseen_key, t);
		if (t->unseen)
			return lq_err_set(err, LQ_EXIT_RECORDS, "key '%s' is "
			    "not a column: the columns came from the first "
			    "%ld records (--sample); name them with -f, or "
			    "leave out --sample", t->unseen, o->sample);
		write_row(t, rec->line, rec->scan);
		return 0;
	}
	lq_csv_tree_learn(t->tree, rec->line, rec->scan);
	hold(t, rec->line, rec->len);
	if ((long)t->nheld >= o->sample)
		ready(t);
	return 0;
}

/* whole input: write the spooled records under the learnt columns */
static void
unspool(struct tocsv *t)
{
	struct lq_err err;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fflush(t->spool) == EOF || fseek(t->spool, 0, SEEK_SET) < 0) {
		lqcmd_warn("temporary file: %s", strerror(errno));
		t->o->run.failed = 1;
		return;
	}
	columns(t);
	while ((n = getline(&line, &cap, t->spool)) > 0) {
		line[--n] = '\0';
		if (t->o->cols.n && lq_json_scan(&t->scan, line, (size_t)n,
		    &err) == 0)
			write_row(t, line, &t->scan);
	}
	if (ferror(t->spool)) {
		lqcmd_warn("temporary file: %s", strerror(errno));
		t->o->run.failed = 1;
	}
	free(line);
}

static int
run(struct opts *o, char **files, int nfiles)
{
	struct tocsv t = { .o = o };
	char *dash[] = { "-" };
	int i;

	if (nfiles == 0) {
		files = dash;
		nfiles = 1;
	}
	lq_scan_init(&t.scan);
	if (o->to_csv) {
		t.tree = lq_csv_tree_new();
		if (!o->fixed && !o->sample_set && !(t.spool = tmpfile()))
			lqcmd_die(LQ_EXIT_IO, "temporary file: %s",
			    strerror(errno));
		o->run.fn = to_csv_one;
		o->run.ctx = &t;
		lqcmd_run(&o->run, files, nfiles);
		if (t.spool)
			unspool(&t);
		else if (!t.ready)
			ready(&t);
		if (t.spool)
			fclose(t.spool);
		lq_csv_tree_free(t.tree);
	} else {
		lqcmd_start(&o->run, files, nfiles);
		for (i = 0; i < nfiles && !(o->run.strict &&
		    o->run.rejected); i++)
			from_csv(o, files[i]);
	}
	lq_scan_release(&t.scan);
	lq_buf_release(&t.tmp);
	lq_buf_release(&t.unseen_buf);
	int status = lqcmd_done(&o->run);
	return !status && o->bad_header ? LQ_EXIT_RECORDS : status;
}

static int
char_arg(const char *opt, const char *a)
{
	if (!strcmp(a, "tab") || !strcmp(a, "\\t"))
		return '\t';
	if (strlen(a) != 1 || *a == '"' || *a == '\n' || *a == '\r')
		lqcmd_die(LQ_EXIT_USAGE, "%s: not a separator: '%s'", opt, a);
	return (unsigned char)*a;
}

static void
options(struct opts *o, int argc, char **argv)
{
	struct lq_err err;
	char *end;
	int ch;

	while ((ch = lqcmd_getopt(&opts, &o->run, argc, argv)) != -1)
		switch (ch) {
		case 'd':
			o->delim = char_arg("-d", optarg);
			break;
		case 's':
			o->strings = 1;
			break;
		case 'e':
			if (!strcmp(optarg, "null"))
				o->empty = LQ_CSV_E_NULL;
			else if (!strcmp(optarg, "omit"))
				o->empty = LQ_CSV_E_OMIT;
			else if (!strcmp(optarg, "string"))
				o->empty = LQ_CSV_E_STRING;
			else
				lqcmd_die(LQ_EXIT_USAGE, "-e: expected null, "
				    "omit or string, not '%s'", optarg);
			break;
		case 'n':
			o->nest = 1;
			break;
		case 'a':
			o->arrays = 1;
			break;
		case O_NOHEADER:
			o->noheader = 1;
			break;
		case O_COMMENT:
			o->comment = char_arg("--comment", optarg);
			break;
		case O_TRIM:
			o->trim = 1;
			break;
		case 't':
			o->to_csv = 1;
			break;
		case 'r':
			o->rules = optarg;
			break;
		case 'f':
			lq_err_clear(&err);
			o->plus = *optarg == '+';
			if (lq_csv_cols_parse(&o->cols, optarg + o->plus,
			    &err) < 0)
				lqcmd_die(LQ_EXIT_USAGE, "-f: %s", err.msg);
			o->fixed = !o->plus;
			o->fgiven = 1;
			break;
		case O_SAMPLE:
			o->sample = strtol(optarg, &end, 10);
			if (*end || o->sample < 1)
				lqcmd_die(LQ_EXIT_USAGE, "--sample: not a "
				    "positive number: '%s'", optarg);
			o->sample_set = 1;
			break;
		case O_MAXLINES:
			o->max_lines = strtol(optarg, &end, 10);
			if (*end || !*optarg || o->max_lines < 0)
				lqcmd_die(LQ_EXIT_USAGE, "--max-lines: not a "
				    "number of lines: '%s'", optarg);
			break;
		case O_CRLF:
			o->crlf = 1;
			break;
		case O_SAFE:
			o->safe = 1;
			break;
		case O_NOSAFE:
			o->safe = 0;
			break;
		default:
			lqcmd_usage(usage);
		}
}

int
main(int argc, char **argv)
{
	struct opts o = { .safe = 1, .sample = 1000, .max_lines = -1,
	    .run = { .progress = -1 } };
	int status;

	lqcmd_init(argv, "lq-csv");
	options(&o, argc, argv);
	if (o.fgiven && !o.to_csv)
		lqcmd_die(LQ_EXIT_USAGE, "-f needs --to-csv");
	if (o.rules) {
		struct lq_err err;
		lq_err_clear(&err);
		if (lq_csvmap_load(&o.map, o.rules, &err) < 0)
			lqcmd_die(LQ_EXIT_USAGE, "%s", err.msg);
		if (!o.delim)
			o.delim = lq_csvmap_delim(o.map);
		if (o.arrays || o.noheader)
			lqcmd_die(LQ_EXIT_USAGE, "-r maps columns by their "
			    "header names: not with -a or --no-header");
		if (o.empty == LQ_CSV_E_DEFAULT)
			o.empty = lq_csvmap_empty(o.map);
	}
	if (o.to_csv && !o.delim)
		o.delim = ',';
	status = run(&o, argv + optind, argc - optind);
	lq_csv_cols_release(&o.cols);
	lq_csvmap_free(o.map);
	return lqcmd_finish(status);
}
