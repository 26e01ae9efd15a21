/*
 * csv_map.c - the csv: section of a rule file (lq_csvmap.h).
 */
#define _GNU_SOURCE		/* strptime, strcasecmp */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lq_csvmap.h"
#include "lq_json.h"
#include "lq_route.h"
#include "lq_time.h"
#include "lq_yaml.h"
#include "lq_mem.h"

enum ctype { T_AUTO, T_STRING, T_NUMBER, T_INTEGER, T_BOOLEAN, T_DATE };

static const char *const type_names[] = {
	"auto", "string", "number", "integer", "boolean", "date", NULL
};

struct words {
	char **v;
	size_t n;
};

struct mcol {
	char *header;		/* the export's column name */
	char *name;		/* the lead field; NULL: dropped */
	enum ctype type;
	struct words nulls;	/* besides the mapping's */
	struct words yes, no;	/* boolean words */
	struct words formats;	/* date formats (strptime); none: ISO 8601 */
	char *tz;		/* date zone; NULL: UTC */
	int required;
	int dated;		/* a format has a time of day */
	int thousands;		/* digit group separator, or 0 */
};

struct lq_csvmap {
	struct mcol *c;
	size_t n;
	struct words nulls;
	int delim;
	enum lq_csv_empty empty;
	int invalid_null;	/* invalid: null */
	int others_drop;	/* others: drop */
	int thousands;		/* digit group separator, or 0 */
};

struct plan_col {
	const struct mcol *m;	/* NULL: unmapped, auto */
	int drop;
};

struct lq_csvmap_plan {
	const struct lq_csvmap *map;
	size_t ncol;
	struct plan_col *pc;
	char **outnames;
	int *nest;
	const char **missing;	/* mapped columns not in the header */
	size_t nmissing;
	struct lq_buf text;	/* converted cells */
	size_t *off;		/* cell i at text.buf + off[i] */
};

static const char *const yes_default[] = {
	"true", "yes", "y", "1", "t", NULL
};
static const char *const no_default[] = {
	"false", "no", "n", "0", "f", NULL
};

static void
words_add(struct words *w, const char *s)
{
	if (!(w->v = realloc(w->v, (w->n + 1) * sizeof(*w->v))))
		abort();
	w->v[w->n++] = lq_xstrdup(s);
}

static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

/* a scalar or a list of scalars into w */
static int
words_load(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, struct words *w, struct lq_err *err)
{
	const char *s;
	size_t i;

	if (lq_ynull(node) && node->style == LQ_Y_PLAIN)
		return 0;
	if (node->kind == LQ_Y_SCALAR) {
		if (lq_ystr(d, node, what, &s, err) < 0)
			return -1;
		words_add(w, s);
		return 0;
	}
	if (lq_yexpect(d, node, LQ_Y_SEQ, what, err) < 0)
		return -1;
	for (i = 0; i < node->n; i++) {
		if (node->items[i]->kind != LQ_Y_SCALAR)
			return lq_yerr(d, node->items[i], err, "%s: expected "
			    "a word, not a %s", what, node->items[i]->kind ==
			    LQ_Y_SEQ ? "list" : "mapping");
		words_add(w, node->items[i]->str);
	}
	return 0;
}

/* s[0..n) without blanks around it */
static void
trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* is s[0..n) (blanks around it ignored) one of w, ASCII case ignored */
static int
words_has(const struct words *w, const char *s, size_t n)
{
	size_t i;

	trim(&s, &n);
	for (i = 0; i < w->n; i++)
		if (strlen(w->v[i]) == n && !strncasecmp(w->v[i], s, n))
			return 1;
	return 0;
}

static int
is_time_format(const char *f)
{
	for (; *f; f++)
		if (*f == '%' && f[1]) {
			f++;
			if (strchr("HIMSTRrlkcsp", *f))
				return 1;
		}
	return 0;
}

/* a digit group separator: one character, not a digit, '.', '-' or '+' */
static int
sep_load(const struct lq_ydoc *d, const struct lq_ynode *n, int *out,
    struct lq_err *err)
{
	const char *s;

	if (lq_ystr(d, n, "thousands", &s, err) < 0)
		return -1;
	if (strlen(s) != 1 || strchr("0123456789.+-eE", *s))
		return lq_yerr(d, n, err, "thousands: one character such as "
		    "',' or ' ', not '%s'", s);
	*out = (unsigned char)*s;
	return 0;
}

static int
col_load(const struct lq_ydoc *d, const struct lq_ynode *key,
    const struct lq_ynode *v, struct mcol *c, struct lq_err *err)
{
	static const char *const keys[] = {
		"name", "type", "null", "true", "false", "format", "tz",
		"required", "drop", "thousands", NULL
	};
	const struct lq_ynode *n;
	const char *s;
	size_t i;
	int drop = 0;

	c->header = lq_xstrdup(key->str);
	if (lq_ynull(v) && v->style == LQ_Y_PLAIN)
		return 0;	/* Notes: ~ drops the column */
	if (v->kind == LQ_Y_SCALAR) {
		if (!v->len)
			return lq_yerr(d, v, err, "column '%s': empty field "
			    "name (write ~ to drop the column)", c->header);
		c->name = lq_xstrdup(v->str);
		return 0;
	}
	if (lq_yexpect(d, v, LQ_Y_MAP, "csv column", err) < 0 ||
	    lq_ymap_check(d, v, "csv column", keys, err) < 0)
		return -1;
	if ((n = lq_ymap_get(v, "drop")) && lq_ybool(d, n, "drop", &drop,
	    err) < 0)
		return -1;
	if (drop)
		return 0;
	if ((n = lq_ymap_get(v, "name"))) {
		if (lq_ystr(d, n, "name", &s, err) < 0)
			return -1;
		if (!*s)
			return lq_yerr(d, n, err, "column '%s': empty field "
			    "name", c->header);
		c->name = lq_xstrdup(s);
	} else
		c->name = lq_xstrdup(c->header);
	if ((n = lq_ymap_get(v, "type"))) {
		if (lq_ystr(d, n, "type", &s, err) < 0)
			return -1;
		for (i = 0; type_names[i] && strcmp(type_names[i], s); i++)
			;
		if (!type_names[i])
			return lq_yerr(d, n, err, "column '%s': unknown type "
			    "'%s' (string, number, integer, boolean, date)",
			    c->header, s);
		c->type = (enum ctype)i;
	}
	if ((n = lq_ymap_get(v, "null")) &&
	    words_load(d, n, "null", &c->nulls, err) < 0)
		return -1;
	if ((n = lq_ymap_get(v, "true")) || lq_ymap_get(v, "false")) {
		if (c->type != T_BOOLEAN)
			return lq_yerr(d, n ? n : lq_ymap_get(v, "false"), err,
			    "column '%s': true/false words need type: boolean",
			    c->header);
		if (n && words_load(d, n, "true", &c->yes, err) < 0)
			return -1;
		if ((n = lq_ymap_get(v, "false")) &&
		    words_load(d, n, "false", &c->no, err) < 0)
			return -1;
	}
	if ((n = lq_ymap_get(v, "format"))) {
		if (c->type != T_DATE)
			return lq_yerr(d, n, err, "column '%s': format needs "
			    "type: date", c->header);
		if (words_load(d, n, "format", &c->formats, err) < 0)
			return -1;
		for (i = 0; i < c->formats.n; i++) {
			if (!strchr(c->formats.v[i], '%'))
				return lq_yerr(d, n, err, "column '%s': format "
				    "'%s' has no %% conversion (strptime(3))",
				    c->header, c->formats.v[i]);
			if (is_time_format(c->formats.v[i]))
				c->dated = 1;
		}
	}
	if ((n = lq_ymap_get(v, "tz"))) {
		if (c->type != T_DATE)
			return lq_yerr(d, n, err, "column '%s': tz needs "
			    "type: date", c->header);
		if (lq_ystr(d, n, "tz", &s, err) < 0)
			return -1;
		if (!lq_tz_valid(s))
			return lq_yerr(d, n, err, "column '%s': unknown time "
			    "zone '%s'", c->header, s);
		c->tz = lq_xstrdup(s);
	}
	if ((n = lq_ymap_get(v, "required")) &&
	    lq_ybool(d, n, "required", &c->required, err) < 0)
		return -1;
	if ((n = lq_ymap_get(v, "thousands"))) {
		if (c->type != T_NUMBER && c->type != T_INTEGER)
			return lq_yerr(d, n, err, "column '%s': thousands "
			    "needs type: number or integer", c->header);
		if (sep_load(d, n, &c->thousands, err) < 0)
			return -1;
	}
	if (c->type == T_BOOLEAN) {
		if (!c->yes.n)
			for (i = 0; yes_default[i]; i++)
				words_add(&c->yes, yes_default[i]);
		if (!c->no.n)
			for (i = 0; no_default[i]; i++)
				words_add(&c->no, no_default[i]);
		for (i = 0; i < c->yes.n; i++)
			if (words_has(&c->no, c->yes.v[i],
			    strlen(c->yes.v[i])))
				return lq_yerr(d, v, err, "column '%s': '%s' "
				    "is both a true and a false word",
				    c->header, c->yes.v[i]);
	}
	return 0;
}

static int
map_load(struct lq_csvmap *m, const struct lq_ydoc *d,
    const struct lq_ynode *sec, struct lq_err *err)
{
	static const char *const keys[] = {
		"delimiter", "null", "empty", "invalid", "others", "columns",
		"drop", "thousands", NULL
	};
	const struct lq_ynode *n;
	const char *s;
	size_t i, j;

	if (lq_yexpect(d, sec, LQ_Y_MAP, "csv section", err) < 0 ||
	    lq_ymap_check(d, sec, "csv section", keys, err) < 0)
		return -1;
	if ((n = lq_ymap_get(sec, "delimiter"))) {
		if (lq_ystr(d, n, "delimiter", &s, err) < 0)
			return -1;
		if (!strcmp(s, "tab"))
			m->delim = '\t';
		else if (strlen(s) == 1 && *s != '"' && *s != '\n' &&
		    *s != '\r')
			m->delim = (unsigned char)*s;
		else
			return lq_yerr(d, n, err, "delimiter: a character or "
			    "'tab', not '%s'", s);
	}
	if ((n = lq_ymap_get(sec, "null")) &&
	    words_load(d, n, "null", &m->nulls, err) < 0)
		return -1;
	if ((n = lq_ymap_get(sec, "thousands")) &&
	    sep_load(d, n, &m->thousands, err) < 0)
		return -1;
	if ((n = lq_ymap_get(sec, "empty"))) {
		if (lq_ynull(n))
			m->empty = LQ_CSV_E_NULL;
		else if (lq_ystr(d, n, "empty", &s, err) < 0)
			return -1;
		else if (!strcmp(s, "omit"))
			m->empty = LQ_CSV_E_OMIT;
		else if (!strcmp(s, "string"))
			m->empty = LQ_CSV_E_STRING;
		else if (!strcmp(s, "null"))
			m->empty = LQ_CSV_E_NULL;
		else
			return lq_yerr(d, n, err, "empty: null, omit or "
			    "string, not '%s'", s);
	}
	if ((n = lq_ymap_get(sec, "invalid"))) {
		if (lq_ystr(d, n, "invalid", &s, err) < 0)
			return -1;
		if (!strcmp(s, "null"))
			m->invalid_null = 1;
		else if (strcmp(s, "reject"))
			return lq_yerr(d, n, err, "invalid: reject or null, "
			    "not '%s'", s);
	}
	if ((n = lq_ymap_get(sec, "others"))) {
		if (lq_ystr(d, n, "others", &s, err) < 0)
			return -1;
		if (!strcmp(s, "drop"))
			m->others_drop = 1;
		else if (strcmp(s, "keep"))
			return lq_yerr(d, n, err, "others: keep or drop, not "
			    "'%s'", s);
	}
	if ((n = lq_ymap_get(sec, "columns")) && !lq_ynull(n)) {
		if (lq_yexpect(d, n, LQ_Y_MAP, "columns", err) < 0)
			return -1;
		if (!(m->c = calloc(n->n + 1, sizeof(*m->c))))
			abort();
		for (i = 0; i < n->n; i++, m->n++)
			if (col_load(d, n->keys[i], n->items[i], &m->c[i],
			    err) < 0) {
				m->n++;
				return -1;
			}
	}
	if ((n = lq_ymap_get(sec, "drop")) && !lq_ynull(n)) {
		struct words w = { 0 };
		if (words_load(d, n, "drop", &w, err) < 0)
			return -1;
		for (i = 0; i < w.n; i++) {
			for (j = 0; j < m->n && strcmp(m->c[j].header,
			    w.v[i]); j++)
				;
			if (j < m->n) {
				words_free(&w);
				return lq_yerr(d, n, err, "drop: '%s' is under "
				    "columns: too", m->c[j].header);
			}
			if (!(m->c = realloc(m->c, (m->n + 1) *
			    sizeof(*m->c))))
				abort();
			memset(&m->c[m->n], 0, sizeof(*m->c));
			m->c[m->n++].header = lq_xstrdup(w.v[i]);
		}
		words_free(&w);
	}
	/* two columns may not write one field */
	for (i = 0; i < m->n; i++)
		for (j = 0; j < i; j++)
			if (m->c[i].name && m->c[j].name &&
			    !strcmp(m->c[i].name, m->c[j].name))
				return lq_yerr(d, sec, err, "columns '%s' and "
				    "'%s' both map to '%s'", m->c[j].header,
				    m->c[i].header, m->c[i].name);
	return 0;
}

static int
load(struct lq_csvmap **mp, const char *path, const char *text, size_t len,
    struct lq_err *err)
{
	struct lq_ydoc doc;
	struct lq_ynode *sec;
	struct lq_csvmap *m;
	int rc;

	*mp = NULL;
	rc = text ? lq_config_section_mem(&doc, path, text, len, "csv", &sec,
	    err) : lq_config_section(&doc, path, "csv", &sec, err);
	if (rc < 0)
		return -1;
	if (!(m = calloc(1, sizeof(*m))))
		abort();
	if (map_load(m, &doc, sec, err) < 0) {
		lq_csvmap_free(m);
		lq_yaml_release(&doc);
		return -1;
	}
	lq_yaml_release(&doc);
	*mp = m;
	return 0;
}

int
lq_csvmap_load(struct lq_csvmap **mp, const char *path, struct lq_err *err)
{
	return load(mp, path, NULL, 0, err);
}

void
lq_csvmap_free(struct lq_csvmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		struct mcol *c = &m->c[i];
		free(c->header);
		free(c->name);
		free(c->tz);
		words_free(&c->nulls);
		words_free(&c->yes);
		words_free(&c->no);
		words_free(&c->formats);
	}
	free(m->c);
	words_free(&m->nulls);
	free(m);
}

int
lq_csvmap_delim(const struct lq_csvmap *m)
{
	return m->delim;
}

enum lq_csv_empty
lq_csvmap_empty(const struct lq_csvmap *m)
{
	return m->empty;
}

/* the mapping's column for an export header: exact, else case ignored */
static const struct mcol *
find_header(const struct lq_csvmap *m, const char *h)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->c[i].header, h))
			return &m->c[i];
	for (i = 0; i < m->n; i++)
		if (!strcasecmp(m->c[i].header, h))
			return &m->c[i];
	return NULL;
}

struct lq_csvmap_plan *
lq_csvmap_plan_new(const struct lq_csvmap *m, char *const *names,
    size_t ncol, char ***outnames, int **nest, struct lq_err *err)
{
	struct lq_csvmap_plan *p;
	size_t i, j;

	if (!(p = calloc(1, sizeof(*p))) ||
	    !(p->pc = calloc(ncol + 1, sizeof(*p->pc))) ||
	    !(p->outnames = calloc(ncol + 1, sizeof(*p->outnames))) ||
	    !(p->nest = calloc(ncol + 1, sizeof(*p->nest))) ||
	    !(p->off = calloc(ncol + 1, sizeof(*p->off))) ||
	    !(p->missing = calloc(m->n + 1, sizeof(*p->missing))))
		abort();
	p->map = m;
	p->ncol = ncol;
	for (i = 0; i < ncol; i++) {
		const struct mcol *c = find_header(m, names[i]);
		p->pc[i].m = c;
		if (c ? !c->name : m->others_drop) {
			p->pc[i].drop = 1;
			continue;
		}
		p->outnames[i] = lq_xstrdup(c ? c->name : names[i]);
		p->nest[i] = c && strchr(c->name, '.') != NULL;
	}
	/* a field written by two columns: the mapped one wins */
	for (i = 0; i < ncol; i++)
		for (j = 0; j < ncol && p->outnames[i]; j++)
			if (j != i && p->outnames[j] && !p->pc[i].m &&
			    p->pc[j].m && !strcmp(p->outnames[i],
			    p->outnames[j])) {
				size_t k = strlen(names[i]);
				free(p->outnames[i]);
				if (!(p->outnames[i] = malloc(k + 8)))
					abort();
				snprintf(p->outnames[i], k + 8, "%s_2",
				    names[i]);
			}
	for (i = 0; i < m->n; i++) {
		for (j = 0; j < ncol && p->pc[j].m != &m->c[i]; j++)
			;
		if (j < ncol)
			continue;
		if (m->c[i].required) {
			lq_err_set(err, LQ_EXIT_RECORDS, "column '%s' is "
			    "required by the csv mapping and not in the "
			    "header", m->c[i].header);
			lq_csvmap_plan_free(p);
			return NULL;
		}
		if (m->c[i].name)
			p->missing[p->nmissing++] = m->c[i].header;
	}
	/* columns a mapping names but an export lacks are normal (a report
	   has the columns its owner chose): say so only when none is there */
	for (i = 0; i < ncol && !p->pc[i].m; i++)
		;
	if (i < ncol || !m->n)
		p->nmissing = 0;
	*outnames = p->outnames;
	*nest = p->nest;
	return p;
}

const char *
lq_csvmap_plan_missing(const struct lq_csvmap_plan *p, size_t i)
{
	return i < p->nmissing ? p->missing[i] : NULL;
}

void
lq_csvmap_plan_free(struct lq_csvmap_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->ncol; i++)
		free(p->outnames[i]);
	free(p->outnames);
	free(p->nest);
	free(p->pc);
	free(p->off);
	free(p->missing);
	lq_buf_release(&p->text);
	free(p);
}

/* ---- cells ---- */

/*
 * A number as written in exports (blanks, a '+', leading zeros, ".5",
 * "5.") into JSON number text; integer: whole numbers only (a ".0"
 * fraction is allowed).  Returns 0, or -1 when it is no finite number.
 */
static int
number_text(const char *s, size_t n, int integer, int sep, struct lq_buf *out)
{
	size_t i = 0, ds, de, fs = 0, fe = 0, es = 0;
	int neg = 0;
	char tmp[64], grouped[64];

	trim(&s, &n);
	if (sep && memchr(s, sep, n)) {
		/* 1,234,567.5: groups of three after the first */
		size_t k = 0, run = 0, j;
		int seen = 0, lead = 0;
		for (j = 0; j < n && k < sizeof(grouped); j++) {
			if ((unsigned char)s[j] == sep) {
				if (!lead || (seen && run != 3) || run > 3 ||
				    run == 0)
					return -1;
				seen = 1;
				run = 0;
				continue;
			}
			if (isdigit((unsigned char)s[j])) {
				lead = 1;
				run++;
			} else if (s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				if (seen && run != 3)
					return -1;
				memcpy(grouped + k, s + j, n - j < sizeof(grouped)
				    - k ? n - j : sizeof(grouped) - k);
				k += n - j;
				break;
			}
			grouped[k++] = s[j];
		}
		if (j == n && seen && run != 3)
			return -1;
		if (k >= sizeof(grouped))
			return -1;
		s = grouped;
		n = k;
	}
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	ds = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	de = i;
	if (i < n && s[i] == '.') {
		fs = ++i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		fe = i;
	}
	if (de == ds && fe == fs)
		return -1;	/* no digits */
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		es = i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return -1;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i != n)
		return -1;
	if (integer) {
		if (es)
			return -1;
		for (i = fs; i < fe; i++)
			if (s[i] != '0')
				return -1;
		fe = fs;
	}
	/* the value must be finite (1e999 is not) */
	if (n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = 0;
		if (!isfinite(strtod(tmp, NULL)))
			return -1;
	} else if (es)
		return -1;
	while (ds + 1 < de && s[ds] == '0')
		ds++;
	if (neg && !(de - ds == 1 && s[ds] == '0' && fe == fs))
		lq_buf_addc(out, '-');
	if (de == ds)
		lq_buf_addc(out, '0');
	else
		lq_buf_add(out, s + ds, de - ds);
	if (fe > fs)
		lq_buf_add(out, s + fs - 1, fe - fs + 1);
	if (es && !integer)
		lq_buf_add(out, s + es, n - es);
	return 0;
}

/* a date cell into RFC 3339 text (no quotes); -1 when it is no date */
static int
date_text(const struct mcol *c, const char *s, size_t n, struct lq_buf *out)
{
	char buf[128], res[40];
	struct tm tm;
	size_t i;
	double t;

	trim(&s, &n);
	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!c->formats.n) {
		if (lq_time_parse(buf, n, &t) < 0 || (n >= 5 && buf[4] != '-'))
			return -1;	/* ISO 8601 only, not epoch numbers */
		if (n == 10) {
			lq_buf_add(out, buf, n);
			return 0;
		}
		if (c->tz && !memchr(buf + 10, 'Z', n - 10) &&
		    !memchr(buf + 10, '+', n - 10) &&
		    !memchr(buf + 11, '-', n - 11)) {
			/* local time in the export's zone */
			memset(&tm, 0, sizeof(tm));
			time_t u = (time_t)floor(t);
			gmtime_r(&u, &tm);
			tm.tm_isdst = -1;
			t = (double)lq_tz_mktime(c->tz, &tm);
		}
		lq_time_format(res, sizeof(res), floor(t));
		lq_buf_adds(out, res);
		return 0;
	}
	for (i = 0; i < c->formats.n; i++) {
		const char *end;
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
		end = strptime(buf, c->formats.v[i], &tm);
		while (end && (*end == ' ' || *end == '\t'))
			end++;
		if (!end || *end)
			continue;
		/* strptime takes 2026-02-30: check the day is real */
		struct tm chk = tm;
		time_t u = timegm(&chk);
		if (chk.tm_mday != tm.tm_mday || chk.tm_mon != tm.tm_mon ||
		    chk.tm_year != tm.tm_year)
			continue;
		if (!is_time_format(c->formats.v[i])) {
			snprintf(res, sizeof(res), "%04d-%02d-%02d",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
			lq_buf_adds(out, res);
			return 0;
		}
		if (c->tz) {
			tm.tm_isdst = -1;
			u = lq_tz_mktime(c->tz, &tm);
		}
		lq_time_format(res, sizeof(res), (double)u);
		lq_buf_adds(out, res);
		return 0;
	}
	return -1;
}

static void
show(char *msg, size_t msgsz, const struct mcol *c, const char *p,
    size_t n, const char *what)
{
	snprintf(msg, msgsz, "column '%s': \"%.*s\" is not %s", c->header,
	    n > 60 ? 60 : (int)n, p, what);
}

int
lq_csvmap_row(struct lq_csvmap_plan *p, const struct lq_csv *c,
    int strings, enum lq_csv_empty empty, struct lq_csvmap_cell *cells,
    char *msg, size_t msgsz, int *warned)
{
	const struct lq_csvmap *m = p->map;
	struct lq_buf *t = &p->text;
	size_t i, len[p->ncol ? p->ncol : 1];
	int bad = 0;

	*warned = 0;
	lq_buf_reset(t);
	if (empty == LQ_CSV_E_DEFAULT)
		empty = strings ? LQ_CSV_E_STRING : LQ_CSV_E_NULL;
	for (i = 0; i < p->ncol; i++) {
		const struct mcol *mc = p->pc[i].m;
		size_t n, at = t->len;
		const char *s = lq_csv_field(c, i, &n);
		int isnull;

		p->off[i] = at;
		len[i] = (size_t)-1;	/* omitted */
		if (p->pc[i].drop)
			continue;
		isnull = n == 0 || words_has(&m->nulls, s, n) ||
		    (mc && words_has(&mc->nulls, s, n));
		if (isnull) {
			if (empty == LQ_CSV_E_OMIT)
				continue;
			if (empty == LQ_CSV_E_STRING && (!mc ||
			    mc->type <= T_STRING))
				lq_buf_adds(t, "\"\"");
			else
				lq_buf_adds(t, "null");
			len[i] = t->len - at;
			continue;
		}
		switch (mc ? mc->type : T_AUTO) {
		case T_AUTO:
			if (!strings && (lq_csv_type(s, n) == LQ_CSV_NUMBER ||
			    lq_csv_type(s, n) == LQ_CSV_TRUE ||
			    lq_csv_type(s, n) == LQ_CSV_FALSE)) {
				lq_buf_add(t, s, n);
				break;
			}
			/* fall through */
		case T_STRING:
			lq_buf_json_str(t, s, n);
			break;
		case T_NUMBER:
		case T_INTEGER:
			if (lq_csv_type(s, n) == LQ_CSV_NUMBER &&
			    !memchr(s, 'e', n) && !memchr(s, 'E', n) &&
			    (mc->type == T_NUMBER || !memchr(s, '.', n))) {
				lq_buf_add(t, s, n);	/* as written */
				break;
			}
			if (number_text(s, n, mc->type == T_INTEGER,
			    mc->thousands ? mc->thousands : m->thousands,
			    t) == 0)
				break;
			t->len = at;
			show(msg, msgsz, mc, s, n, mc->type == T_INTEGER ?
			    "a whole number" : "a number");
			bad = 1;
			break;
		case T_BOOLEAN:
			if (words_has(&mc->yes, s, n))
				lq_buf_adds(t, "true");
			else if (words_has(&mc->no, s, n))
				lq_buf_adds(t, "false");
			else {
				show(msg, msgsz, mc, s, n, "a true or false "
				    "word");
				bad = 1;
			}
			break;
		case T_DATE:
			lq_buf_addc(t, '"');
			if (date_text(mc, s, n, t) == 0) {
				lq_buf_addc(t, '"');
				break;
			}
			t->len = at;
			show(msg, msgsz, mc, s, n, mc->formats.n ? "a date in "
			    "the column's format" : "an ISO 8601 date");
			if (mc->formats.n) {
				size_t k = strlen(msg);
				snprintf(msg + k, msgsz - k, " (%s)",
				    mc->formats.v[0]);
			}
			bad = 1;
			break;
		}
		if (bad) {
			if (!m->invalid_null)
				return -1;
			*warned = 1;
			bad = 0;
			t->len = at;
			lq_buf_adds(t, "null");
		}
		len[i] = t->len - at;
	}
	for (i = 0; i < p->ncol; i++) {
		cells[i].p = len[i] == (size_t)-1 ? NULL : t->buf + p->off[i];
		cells[i].n = len[i] == (size_t)-1 ? 0 : len[i];
	}
	return 0;
}

/* ---- back to CSV ---- */

static const struct mcol *
find_name(const struct lq_csvmap *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->c[i].name && !strcmp(m->c[i].name, path))
			return &m->c[i];
	return NULL;
}

const char *
lq_csvmap_header(const struct lq_csvmap *m, const char *path)
{
	const struct mcol *c = find_name(m, path);

	return c ? c->header : NULL;
}

int
lq_csvmap_cell(const struct lq_csvmap *m, const char *path,
    enum lq_jkind kind, const char *v, size_t n, struct lq_buf *out)
{
	const struct mcol *c = find_name(m, path);
	char buf[64], res[128];
	struct tm tm;
	double t;

	if (!c)
		return 0;
	if (c->type == T_BOOLEAN && (kind == LQ_J_TRUE || kind == LQ_J_FALSE)) {
		const struct words *w = kind == LQ_J_TRUE ? &c->yes : &c->no;
		lq_buf_adds(out, w->v[0]);
		return 1;
	}
	if (c->type != T_DATE || !c->formats.n || kind != LQ_J_STRING ||
	    n < 12 || n - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, v + 1, n - 2);
	buf[n - 2] = 0;
	if (lq_time_parse(buf, n - 2, &t) < 0)
		return 0;
	time_t u = (time_t)floor(t);
	if (c->tz && c->dated)
		lq_tz_local(c->tz, u, &tm);
	else
		gmtime_r(&u, &tm);
	if (!strftime(res, sizeof(res), c->formats.v[0], &tm))
		return 0;
	lq_buf_adds(out, res);
	return 1;
}
