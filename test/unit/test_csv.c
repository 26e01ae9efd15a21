/*
 * test_csv.c - the cell type rules, the reader, header names, CSV cells;
 * and why lq-csv does not use libcsv (see lib/lq_csv.h).
 */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_csv.h"
#include "tap.h"

static const char *
tname(enum lq_csv_type t)
{
	static const char *n[] = { "empty", "string", "number", "true",
	    "false" };
	return n[t];
}

static void
type_is(const char *cell, const char *want)
{
	is_str(tname(lq_csv_type(cell, strlen(cell))), want, "type of '%s'",
	    cell);
}

/* read all rows of text; return them as "f1|f2;..." lines with @line */
static char *
rows(const char *text, int delim, int trim, int comment)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	struct lq_csv c;
	struct lq_err err;
	struct lq_buf b = LQ_BUF_INIT;
	int fd = mkstemp(path);
	size_t i, n;

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	lq_csv_open(&c, path, &err);
	c.delim = delim;
	c.trim = trim;
	c.comment = comment;
	while (lq_csv_next(&c, &err) > 0) {
		lq_buf_addf(&b, "@%ld%s:", c.line, c.bad ? "!" : "");
		for (i = 0; i < c.nf; i++) {
			const char *p = lq_csv_field(&c, i, &n);
			lq_buf_addf(&b, "%s%.*s", i ? "|" : "", (int)n, p);
		}
		lq_buf_addc(&b, ';');
	}
	lq_csv_close(&c);
	unlink(path);
	lq_buf_addc(&b, '\0');
	return b.buf;
}

static void
rows_is(const char *text, int delim, const char *want, const char *what)
{
	char *got = rows(text, delim, 0, 0);
	is_str(got, want, "%s", what);
	free(got);
}

/* each row of text as "@line-last:bad:qline+qlines,fN,cqclose;" */
static void
quote_is(const char *text, long max_lines, const char *want,
    const char *what)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	struct lq_csv c;
	struct lq_err err;
	struct lq_buf b = LQ_BUF_INIT;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	lq_csv_open(&c, path, &err);
	c.delim = ',';
	if (max_lines >= 0)
		c.max_lines = max_lines;
	while (lq_csv_next(&c, &err) > 0)
		lq_buf_addf(&b, "@%ld-%ld:%d:%ld+%ld,f%zu,c%ld;", c.line,
		    c.last, (int)c.bad, c.qline, c.qlines, c.qfield, c.qclose);
	lq_csv_close(&c);
	unlink(path);
	lq_buf_addc(&b, '\0');
	is_str(b.buf, want, "%s", what);
	lq_buf_release(&b);
}

/* the bytes handed to the spill callback */
static struct lq_buf spilled;
static void
spill(void *arg, const char *p, size_t n)
{
	(void)arg;
	lq_buf_add(&spilled, p, n);
}

static void
cell_is(const char *in, int safe, const char *want)
{
	struct lq_buf b = LQ_BUF_INIT;

	lq_csv_cell(&b, in, strlen(in), ',', safe);
	lq_buf_addc(&b, '\0');
	is_str(b.buf, want, "cell '%s'%s", in, safe ? " (safe)" : "");
	lq_buf_release(&b);
}

/* libcsv, for comparison: the fields of one row joined with | */
static struct lq_buf lc;
static void lc_field(void *s, size_t n, void *d)
{
	(void)d;
	if (lc.len)
		lq_buf_addc(&lc, '|');
	lq_buf_add(&lc, s ? s : "", n);
}
static int no_space(unsigned char c) { (void)c; return 0; }
static int space(unsigned char c) { return c == ' ' || c == '\t'; }

static void
libcsv_demo(void)
{
	const char *row = "a, \" j \" ,\" l \" \nnext,row\n";
	struct csv_parser p;
	int (*fn[2])(unsigned char) = { no_space, space };
	int i;

	for (i = 0; i < 2; i++) {
		lq_buf_reset(&lc);
		csv_init(&p, CSV_APPEND_NULL);
		csv_set_space_func(&p, fn[i]);
		csv_parse(&p, row, strlen(row), lc_field, NULL, NULL);
		csv_fini(&p, lc_field, NULL, NULL);
		csv_free(&p);
		lq_buf_addc(&lc, '\0');
		printf("# libcsv, is_space %s: '%s'\n", i ? "blank" : "never",
		    lc.buf);
	}
	lq_buf_release(&lc);
	rows_is(row, ',', "@1:a| \" j \" | l ;@2:next|row;",
	    "lq_csv reads both as RFC 4180 and Commons CSV do");
}

int
main(void)
{
	char **names;
	int *renamed;
	struct lq_csv c;
	struct lq_err err;
	char *got;

	/* numbers: exactly JSON's grammar */
	type_is("0", "number");
	type_is("-0", "number");
	type_is("42", "number");
	type_is("-3.25", "number");
	type_is("1e5", "number");
	type_is("6.02E+23", "number");
	type_is("1000000000000011631", "number");
	type_is("123456789012345678901234567890", "number");
	type_is("08123", "string");
	type_is("007", "string");
	type_is("+1", "string");
	type_is("1.", "string");
	type_is(".5", "string");
	type_is("1e", "string");
	type_is("- 1", "string");
	type_is(" 1", "string");
	type_is("1 ", "string");
	type_is("0x10", "string");
	type_is("NaN", "string");
	type_is("Infinity", "string");
	type_is("1,5", "string");
	type_is("+1 415 555 0100", "string");
	type_is("4155550100", "number");
	type_is("true", "true");
	type_is("false", "false");
	type_is("True", "string");
	type_is("FALSE", "string");
	type_is("null", "string");
	type_is("", "empty");
	type_is(" ", "string");

	/* UTF-8 */
	ok(lq_csv_utf8_valid("Zo\xc3\xab \xe7\x8e\x8b Nguy\xe1\xbb\x85n", 17),
	    "valid UTF-8");
	ok(!lq_csv_utf8_valid("a\xff", 2), "0xff is not UTF-8");
	ok(!lq_csv_utf8_valid("\xc0\xaf", 2), "overlong is not UTF-8");
	ok(!lq_csv_utf8_valid("\xed\xa0\x80", 3), "a surrogate is not UTF-8");
	ok(!lq_csv_utf8_valid("abcdefgh\xc3", 9), "truncated at the end");

	/* separator */
	ok(lq_csv_sniff("a,b;c,d\n", 8) == ',', "sniff ,");
	ok(lq_csv_sniff("\"a,b\";c;d\n", 10) == ';', "sniff ; (quoted , ignored)");
	ok(lq_csv_sniff("a\tb\tc\n1,2,3,4,5\n", 16) == '\t', "sniff tab, first line only");
	ok(lq_csv_sniff("name\n", 5) == ',', "sniff: one column");

	/* the reader */
	rows_is("a,b\n1,2\n", ',', "@1:a|b;@2:1|2;", "simple");
	rows_is("a,b\r\n1,2\r\n", ',', "@1:a|b;@2:1|2;", "CRLF");
	rows_is("a,b\r1,2\r", ',', "@1:a|b;@2:1|2;", "CR");
	rows_is("a,b\n1,2", ',', "@1:a|b;@2:1|2;", "no final newline");
	rows_is("\xef\xbb\xbf" "a\n1\n", ',', "@1:a;@2:1;", "BOM skipped");
	rows_is("a,b\n\n\n1,2\n", ',', "@1:a|b;@4:1|2;", "blank lines skipped, lines counted");
	rows_is("a\n\"x\ny\",\"q\"\"q\"\nz\n", ',', "@1:a;@2:x\ny|q\"q;@4:z;",
	    "quoted newline and quote; the next row is on line 4");
	rows_is("a\n\"x\r\ny\"\r\nz\r\n", ',', "@1:a;@2:x\r\ny;@4:z;",
	    "CRLF kept inside a quoted field");
	rows_is("a,b,\n", ',', "@1:a|b|;", "trailing separator: empty last field");
	rows_is("\"\"\n", ',', "@1:;", "one empty quoted field is a row");
	rows_is(" a , b \n", ',', "@1: a | b ;", "blanks kept");
	rows_is("\" a \" ,b\n", ',', "@1: a |b;", "blanks after a closing quote dropped");
	rows_is("37.8\"N,x\n", ',', "@1:37.8\"N|x;", "bare quote in an unquoted field");
	rows_is("\"ab\"cd,e\n", ',', "@1:abcd|e;", "text after a closing quote kept");
	rows_is("a,\"open\nb,c\n", ',', "@1!:a|open\nb,c\n;", "unterminated quote");
	rows_is("a;\"b;c\";d\n", ';', "@1:a|b;c|d;", "; separated");
	rows_is("a\t b\n", '\t', "@1:a| b;", "tab separated");
	got = rows(" a , \" b \" \n", ',', 1, 0);
	is_str(got, "@1:a| b ;", "--trim");
	free(got);
	got = rows("# note\na\n#x\n1\n", ',', 0, '#');
	is_str(got, "@2:a;@4:1;", "--comment");
	free(got);
	got = rows("x;y\n", 0, 0, 0);
	is_str(got, "@1:x|y;", "separator detected");
	free(got);
	got = rows("sep=|\r\na|b,c\r\n", 0, 0, 0);
	is_str(got, "@2:a|b,c;", "Excel's sep= line sets the separator");
	free(got);
	got = rows("sep=|\na;b\n", ';', 0, 0);
	is_str(got, "@2:a|b;", "-d wins over sep=");
	free(got);
	got = rows("\xff\xfe" "a\0", 0, 0, 0);
	is_str(got, "", "UTF-16 input is refused");
	free(got);

	/* where quoted fields open and close; what is wrong with them */
	quote_is("a,b\n1,2\n", -1, "@1-1:0:0+0,f0,c0;@2-2:0:0+0,f0,c0;",
	    "no quotes");
	quote_is("a,\"b\"\n\"1\",\"x\ny\nz\"\n3,4\n", -1,
	    "@1-1:0:1+1,f2,c1;@2-4:0:2+3,f2,c4;@5-5:0:0+0,f0,c0;",
	    "the longest quoted field of each row");
	quote_is("a,b\n3,\"x\n4,5\n6,7\n", -1,
	    "@1-1:0:0+0,f0,c0;@2-4:1:2+3,f2,c0;",
	    "unterminated: opened on line 2, runs to line 4 (final LF)");
	quote_is("a,b\n3,\"x\n4,5\n6,7", -1,
	    "@1-1:0:0+0,f0,c0;@2-4:1:2+3,f2,c0;",
	    "unterminated, no final line break");
	quote_is("a\n\"x\"\"\ny\"z\n", -1,
	    "@1-1:0:0+0,f0,c0;@2-3:3:2+2,f1,c3;",
	    "text after a quote closed on a later line");
	quote_is("\"ab\"cd,e\n", -1, "@1-1:0:1+1,f1,c1;",
	    "text after a quote on the same line is fine");
	quote_is("a,b\n3,\"x\n4,\"5,\"\n6,7\n", -1,
	    "@1-1:0:0+0,f0,c0;@2-4:1:2+3,f2,c0;",
	    "a stray quote, then the input ends in a quote: the first one");
	quote_is("a,\"b\n\n\nc\"\n", 3, "@1-4:4:1+4,f2,c4;",
	    "more lines than max_lines");
	quote_is("a,\"b\n\n\nc\"\n", 4, "@1-4:0:1+4,f2,c4;",
	    "max_lines lines");
	quote_is("a,\"b\n\n\nc\"\n", 0, "@1-4:0:1+4,f2,c4;",
	    "max_lines 0: no limit");

	/* a row longer than max_row goes to spill whole, in order */
	{
		char path[] = "/tmp/test_csv.XXXXXX";
		const char *t = "a,b\n1,\"0123456789\n0123456789\n01234"
		    "56789\n0123456789\n";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, t, strlen(t)) < 0)
			abort();
		close(fd);
		lq_csv_open(&c, path, &err);
		c.max_row = 16;
		c.spill = spill;
		lq_csv_next(&c, &err);
		ok(c.bad == LQ_CSV_OK && spilled.len == 0, "short row kept");
		lq_csv_next(&c, &err);
		ok(c.bad == LQ_CSV_UNTERMINATED && c.qline == 2 &&
		    c.qlines == 4, "long unterminated row: the quote's line");
		lq_buf_addc(&spilled, '\0');
		is_str(spilled.buf ? spilled.buf : "", t + 4,
		    "every byte of the long row spilled");
		ok(c.raw.len == 0, "and none kept in raw");
		ok(lq_csv_next(&c, &err) == 0, "then the end");
		lq_csv_close(&c);
		lq_buf_release(&spilled);
		unlink(path);
	}

	/* header names */
	{
		char path[] = "/tmp/test_csv.XXXXXX";
		const char *h = "id,name,,name,name_2,\n";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, h, strlen(h)) < 0)
			abort();
		close(fd);
		lq_csv_open(&c, path, &err);
		c.delim = ',';
		lq_csv_next(&c, &err);
		ok(lq_csv_header_names(&c, &names, &renamed) == 3,
		    "three names renamed");
		is_str(names[2], "column_3", "empty name");
		is_str(names[3], "name_3", "duplicate name (name_2 is taken)");
		is_str(names[4], "name_2", "a real name is kept");
		is_str(names[5], "column_6", "empty last name");
		ok(renamed && renamed[2] && renamed[3] && !renamed[4],
		    "renamed flags");
		lq_csv_names_free(names, c.nf);
		free(renamed);
		lq_csv_close(&c);
		unlink(path);
	}

	/* cells */
	cell_is("plain", 1, "plain");
	cell_is("a,b", 1, "\"a,b\"");
	cell_is("say \"hi\"", 1, "\"say \"\"hi\"\"\"");
	cell_is("two\nlines", 1, "\"two\nlines\"");
	cell_is("=1+2", 1, "'=1+2");
	cell_is("=1+2", 0, "=1+2");
	cell_is("+44 20 7946 0958", 1, "'+44 20 7946 0958");
	cell_is("-3.5", 1, "-3.5");
	cell_is("-", 1, "'-");
	cell_is("@SUM(A1)", 1, "'@SUM(A1)");
	cell_is("\tx", 1, "'\tx");
	cell_is("\rx", 1, "\"'\rx\"");
	cell_is("=HYPERLINK(\"x\")", 1, "\"'=HYPERLINK(\"\"x\"\")\"");
	cell_is("", 1, "");

	/* columns learnt from records with an empty key (UBSan: memcmp NULL) */
	{
		const char *recs[] = { "{\"\":1}", "{\"\":2,\"a\":{\"\":3}}",
		    "{\"a\":{\"\":4},\"\":5}" };
		struct lq_csv_cols cols = { 0 };
		struct lq_scan sc = LQ_SCAN_INIT;
		size_t i;

		for (i = 0; i < 3; i++) {
			if (lq_json_scan(&sc, recs[i], strlen(recs[i]), &err))
				abort();
			lq_csv_cols_learn(&cols, recs[i], &sc);
		}
		ok(cols.n == 2, "empty keys: two columns, not %zu", cols.n);
		is_str(cols.n > 0 ? cols.v[0].name : "?", "", "the empty key");
		is_str(cols.n > 1 ? cols.v[1].name : "?", "a.", "a.\"\"");
		lq_csv_cols_release(&cols);
		lq_scan_release(&sc);
	}

	libcsv_demo();
	return tap_done();
}
