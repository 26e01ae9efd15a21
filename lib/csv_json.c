/*
 * csv_json.c - CSV rows as JSON objects, and NDJSON records as CSV rows
 * (lq_csv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lq_csv.h"
#include "lq_csvmap.h"

#define LEARN_DEPTH 64	/* deepest object flattened into columns */

struct lq_csv_node {
	char *name;		/* the key (one segment) */
	struct lq_buf key;	/* "key": as JSON */
	long col;		/* a leaf's column, or -1 for an object */
	struct lq_csv_node *kids;
	size_t nkids, cap;
};

static size_t row_bound(const struct lq_csv_node *);

static struct lq_csv_node *
node_add(struct lq_csv_node *parent, const char *name, size_t n, long col)
{
	struct lq_csv_node *k;

	if (parent->nkids == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = realloc(parent->kids,
		    parent->cap * sizeof(*parent->kids));
		if (!parent->kids)
			abort();
	}
	k = &parent->kids[parent->nkids++];
	memset(k, 0, sizeof(*k));
	if (!(k->name = strndup(name, n)))
		abort();
	lq_buf_json_str(&k->key, name, n);
	lq_buf_addc(&k->key, ':');
	k->col = col;
	return k;
}

static struct lq_csv_node *
node_find(struct lq_csv_node *parent, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < parent->nkids; i++)
		if (parent->kids[i].col < 0 &&
		    !strncmp(parent->kids[i].name, name, n) &&
		    !parent->kids[i].name[n])
			return &parent->kids[i];
	return NULL;
}

static void
node_release(struct lq_csv_node *k)
{
	size_t i;

	for (i = 0; i < k->nkids; i++)
		node_release(&k->kids[i]);
	free(k->kids);
	free(k->name);
	lq_buf_release(&k->key);
}

/* can names[i] nest: dotted, no empty segment, no prefix is a column */
static int
can_nest(char **names, size_t ncol, size_t i)
{
	const char *s = names[i], *d;
	size_t j;

	if (!strchr(s, '.') || *s == '.' || s[strlen(s) - 1] == '.' ||
	    strstr(s, ".."))
		return 0;
	for (d = strchr(s, '.'); d; d = strchr(d + 1, '.'))
		for (j = 0; j < ncol; j++)
			if (j != i && names[j] &&
			    !strncmp(names[j], s, (size_t)(d - s)) &&
			    names[j][d - s] == '\0')
				return 0;
	return 1;
}

int
lq_csv_shape_init(struct lq_csv_shape *s, char **names, size_t ncol,
    int nest, int **clashp)
{
	return lq_csv_shape_init_cols(s, names, ncol, nest, NULL, clashp);
}

int
lq_csv_shape_init_cols(struct lq_csv_shape *s, char **names, size_t ncol,
    int nest, const int *nestcol, int **clashp)
{
	int *clash = NULL;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->ncol = ncol;
	if (!(s->root = calloc(1, sizeof(*s->root))))
		abort();
	s->root->col = -1;
	for (i = 0; i < ncol; i++) {
		struct lq_csv_node *at = s->root;
		const char *p = names[i], *d;

		if (!p)
			continue;	/* a dropped column */
		if (!(nest || (nestcol && nestcol[i])) || !strchr(p, '.')) {
			node_add(s->root, p, strlen(p), (long)i);
			continue;
		}
		if (!can_nest(names, ncol, i)) {
			if (!clash && !(clash = calloc(ncol, sizeof(*clash))))
				abort();
			clash[i] = 1;
			node_add(s->root, p, strlen(p), (long)i);
			continue;
		}
		while ((d = strchr(p, '.'))) {
			struct lq_csv_node *k = node_find(at, p, (size_t)(d - p));
			at = k ? k : node_add(at, p, (size_t)(d - p), -1);
			p = d + 1;
		}
		node_add(at, p, strlen(p), (long)i);
	}
	s->bound = row_bound(s->root);
	*clashp = clash;
	return 0;
}

void
lq_csv_shape_release(struct lq_csv_shape *s)
{
	if (s->root) {
		node_release(s->root);
		free(s->root);
	}
	s->root = NULL;
}

static enum lq_csv_empty
empty_mode(int strings, enum lq_csv_empty empty)
{
	if (empty != LQ_CSV_E_DEFAULT)
		return empty;
	return strings ? LQ_CSV_E_STRING : LQ_CSV_E_NULL;
}

/*
 * Rows are written straight into out's bytes: the caller reserves the
 * worst case first (row_bound), so no write checks for room.
 */
static char *
put_str(char *w, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	*w++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		memcpy(w, p + run, i - run);
		w += i - run;
		run = i + 1;
		*w++ = '\\';
		switch (c) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '\n': *w++ = 'n'; break;
		case '\r': *w++ = 'r'; break;
		case '\t': *w++ = 't'; break;
		case '\b': *w++ = 'b'; break;
		case '\f': *w++ = 'f'; break;
		default:
			memcpy(w, "u00", 3);
			w[3] = hex[c >> 4];
			w[4] = hex[c & 15];
			w += 5;
		}
	}
	memcpy(w, p + run, n - run);
	w += n - run;
	*w++ = '"';
	return w;
}

/* the JSON value of a cell; NULL when the member is to be omitted */
static char *
put_cell(char *w, const char *p, size_t n, int strings,
    enum lq_csv_empty empty)
{
	if (n == 0) {
		switch (empty) {
		case LQ_CSV_E_OMIT:
			return NULL;
		case LQ_CSV_E_STRING:
			memcpy(w, "\"\"", 2);
			return w + 2;
		default:
			memcpy(w, "null", 4);
			return w + 4;
		}
	}
	if (!strings)
		switch (lq_csv_type(p, n)) {
		case LQ_CSV_NUMBER:
		case LQ_CSV_TRUE:
		case LQ_CSV_FALSE:
			memcpy(w, p, n);
			return w + n;
		default:
			break;
		}
	return put_str(w, p, n);
}

static char *
emit(char *w, const struct lq_csv_node *obj, const struct lq_csv *c,
    int strings, enum lq_csv_empty empty, const struct lq_csvmap_cell *cells)
{
	char *open = w;
	size_t i;

	*w++ = '{';
	for (i = 0; i < obj->nkids; i++) {
		const struct lq_csv_node *k = &obj->kids[i];
		char *back = w, *v;

		if (w != open + 1)
			*w++ = ',';
		memcpy(w, k->key.buf, k->key.len);
		w += k->key.len;
		if (k->col >= 0) {
			size_t n;
			const char *p;
			if (cells) {
				p = cells[k->col].p;
				v = p ? w + cells[k->col].n : NULL;
				if (p)
					memcpy(w, p, cells[k->col].n);
			} else {
				p = lq_csv_field(c, (size_t)k->col, &n);
				v = put_cell(w, p, n, strings, empty);
			}
		} else {
			v = emit(w, k, c, strings, empty, cells);
			/* every member omitted: omit the object too */
			if (empty == LQ_CSV_E_OMIT && v == w + 2)
				v = NULL;
		}
		w = v ? v : back;
	}
	*w++ = '}';
	return w;
}

/* the most bytes a row can take as JSON */
static size_t
row_bound(const struct lq_csv_node *obj)
{
	size_t i, n = 2;

	for (i = 0; i < obj->nkids; i++)
		n += 1 + obj->kids[i].key.len + (obj->kids[i].col < 0 ?
		    row_bound(&obj->kids[i]) : 6);
	return n;
}

void
lq_csv_row_json(struct lq_buf *out, const struct lq_csv_shape *s,
    const struct lq_csv *c)
{
	enum lq_csv_empty empty = empty_mode(s->strings, s->empty);
	char *w;

	/* cells: 6 bytes per byte at worst (\u00XX), quotes in the bound */
	lq_buf_grow(out, s->bound + 6 * c->data.len);
	w = emit(out->buf + out->len, s->root, c, s->strings, empty, NULL);
	out->len = (size_t)(w - out->buf);
	out->buf[out->len] = '\0';
}

void
lq_csv_row_json_cells(struct lq_buf *out, const struct lq_csv_shape *s,
    const struct lq_csv *c, const struct lq_csvmap_cell *cells)
{
	size_t i, n = 0;
	char *w;

	for (i = 0; i < s->ncol; i++)
		n += cells[i].n;
	lq_buf_grow(out, s->bound + n);
	w = emit(out->buf + out->len, s->root, c, s->strings,
	    LQ_CSV_E_OMIT, cells);
	out->len = (size_t)(w - out->buf);
	out->buf[out->len] = '\0';
}

void
lq_csv_row_array(struct lq_buf *out, const struct lq_csv *c, int strings,
    enum lq_csv_empty empty)
{
	char *w;
	size_t i;

	empty = empty_mode(strings, empty);
	if (empty == LQ_CSV_E_OMIT)
		empty = LQ_CSV_E_NULL;	/* an array keeps its positions */
	lq_buf_grow(out, 2 + 7 * c->nf + 6 * c->data.len);
	w = out->buf + out->len;
	*w++ = '[';
	for (i = 0; i < c->nf; i++) {
		size_t n;
		const char *p = lq_csv_field(c, i, &n);
		if (i)
			*w++ = ',';
		w = put_cell(w, p, n, strings, empty);
	}
	*w++ = ']';
	out->len = (size_t)(w - out->buf);
	out->buf[out->len] = '\0';
}

/* ---- NDJSON to CSV ---- */

static const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at an opening quote of a valid string: return the byte after it */
static const char *
skip_str(const char *p, const char *e)
{
	for (p++; p < e && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < e ? p + 1 : e;
}

static const char *
skip_val(const char *p, const char *e)
{
	int depth = 0;

	if (*p == '"')
		return skip_str(p, e);
	if (*p != '{' && *p != '[') {
		while (p < e && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		return p;
	}
	while (p < e) {
		if (*p == '"') {
			p = skip_str(p, e);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return e;
}

static enum lq_jkind
kind_of(char ch)
{
	switch (ch) {
	case '{': return LQ_J_OBJECT;
	case '[': return LQ_J_ARRAY;
	case '"': return LQ_J_STRING;
	case 't': return LQ_J_TRUE;
	case 'f': return LQ_J_FALSE;
	case 'n': return LQ_J_NULL;
	default: return LQ_J_NUMBER;
	}
}

/* one member of an object: [ks, ke) raw key, [vs, ve) value */
struct mem {
	const char *ks, *ke, *vs, *ve;
};

/* iterate: *pp at '{' first, then where the last call left; 1 per member */
static int
next_mem(const char **pp, const char *e, struct mem *m)
{
	const char *p = *pp;

	if (*p == '{' || *p == ',')
		p++;
	p = skip_ws(p, e);
	if (p >= e || *p != '"')
		return 0;
	m->ks = p;
	m->ke = p = skip_str(p, e);
	p = skip_ws(p, e);
	p = skip_ws(p + 1, e);	/* the colon */
	m->vs = p;
	m->ve = p = skip_val(p, e);
	*pp = skip_ws(p, e);
	return 1;
}

static void
col_free(struct lq_csv_col *c)
{
	size_t i;

	for (i = 0; i < c->nseg; i++)
		free(c->seg[i]);
	free(c->seg);
	free(c->seglen);
	free(c->name);
}

void
lq_csv_cols_release(struct lq_csv_cols *cols)
{
	size_t i;

	for (i = 0; i < cols->n; i++)
		col_free(&cols->v[i]);
	free(cols->v);
	if (cols->scratch)
		for (i = 0; i < LEARN_DEPTH; i++)
			lq_buf_release(&cols->scratch[i]);
	free(cols->scratch);
	memset(cols, 0, sizeof(*cols));
}

/* add a column from n decoded segments */
static void
col_add(struct lq_csv_cols *cols, struct lq_buf *segs, size_t n)
{
	struct lq_csv_col *c;
	struct lq_buf name = LQ_BUF_INIT;
	size_t i;

	if (cols->n == cols->cap) {
		cols->cap = cols->cap ? cols->cap * 2 : 32;
		cols->v = realloc(cols->v, cols->cap * sizeof(*cols->v));
		if (!cols->v)
			abort();
	}
	c = &cols->v[cols->n++];
	c->kind = LQ_CSV_COL_VALUE;
	c->nseg = n;
	c->seg = calloc(n, sizeof(*c->seg));
	c->seglen = calloc(n, sizeof(*c->seglen));
	if (!c->seg || !c->seglen)
		abort();
	for (i = 0; i < n; i++) {
		c->seg[i] = malloc(segs[i].len + 1);
		if (!c->seg[i])
			abort();
		memcpy(c->seg[i], segs[i].buf ? segs[i].buf : "", segs[i].len);
		c->seg[i][segs[i].len] = '\0';
		c->seglen[i] = segs[i].len;
		if (i)
			lq_buf_addc(&name, '.');
		lq_buf_add(&name, c->seg[i], c->seglen[i]);
	}
	lq_buf_addc(&name, '\0');
	c->name = name.buf;
}

int
lq_csv_cols_parse(struct lq_csv_cols *cols, const char *spec,
    struct lq_err *err)
{
	struct lq_buf segs[64];
	struct lq_scan sc = LQ_SCAN_INIT;
	const char *p = spec;
	size_t n = 0, i;
	int ret = 0;

	for (i = 0; i < 64; i++)
		lq_buf_init(&segs[i]);
	for (;;) {
		const char *s;

		if (*p == '.' && n == 0)
			p++;
		if (n == 64) {
			ret = lq_err_set(err, LQ_EXIT_USAGE,
			    "field '%s': too deep", spec);
			break;
		}
		lq_buf_reset(&segs[n]);
		if (*p == '"') {
			s = skip_str(p, p + strlen(p));
			if (s[-1] != '"' || s == p + 1 ||
			    lq_json_scan(&sc, p, (size_t)(s - p), err) < 0) {
				ret = lq_err_set(err, LQ_EXIT_USAGE,
				    "field list '%s': bad quoted key", spec);
				break;
			}
			lq_json_unescape(&segs[n], p, (size_t)(s - p));
		} else {
			for (s = p; *s && *s != '.' && *s != ','; s++)
				;
			if (s == p) {
				ret = lq_err_set(err, LQ_EXIT_USAGE,
				    "field list '%s': empty field name", spec);
				break;
			}
			lq_buf_add(&segs[n], p, (size_t)(s - p));
		}
		n++;
		p = s;
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p != ',' && *p != '\0') {
			ret = lq_err_set(err, LQ_EXIT_USAGE,
			    "field list '%s': expected ',' or '.' at '%s'",
			    spec, p);
			break;
		}
		col_add(cols, segs, n);
		n = 0;
		if (*p == '\0')
			break;
		p++;
	}
	for (i = 0; i < 64; i++)
		lq_buf_release(&segs[i]);
	lq_scan_release(&sc);
	return ret;
}

static int
col_eq(const struct lq_csv_col *c, struct lq_buf *segs, size_t n)
{
	size_t i;

	if (c->nseg != n)
		return 0;
	for (i = n; i-- > 0;)
		if (c->seglen[i] != segs[i].len || (segs[i].len &&
		    memcmp(c->seg[i], segs[i].buf, segs[i].len)))
			return 0;
	return 1;
}

struct learn {
	struct lq_csv_cols *cols;
	struct lq_buf *segs;	/* LEARN_DEPTH decoded keys */
	size_t hint;
};



static void
learn_leaf(struct learn *l, size_t n)
{
	size_t i, k = l->cols->n;

	/* records mostly repeat the order of the last one */
	if (l->hint < k && col_eq(&l->cols->v[l->hint], l->segs, n)) {
		l->hint++;
		return;
	}
	for (i = 0; i < k; i++)
		if (col_eq(&l->cols->v[i], l->segs, n)) {
			l->hint = i + 1;
			return;
		}
	col_add(l->cols, l->segs, n);
	l->hint = l->cols->n;
}

static void
learn_obj(struct learn *l, const char *p, const char *e, size_t depth)
{
	struct mem m;

	while (next_mem(&p, e, &m)) {
		lq_buf_reset(&l->segs[depth]);
		lq_json_unescape(&l->segs[depth], m.ks, (size_t)(m.ke - m.ks));
		if (*m.vs == '{' && depth + 1 < LEARN_DEPTH &&
		    *skip_ws(m.vs + 1, m.ve) != '}')
			learn_obj(l, m.vs, m.ve, depth + 1);
		else
			learn_leaf(l, depth + 1);
	}
}

void
lq_csv_cols_learn(struct lq_csv_cols *cols, const char *line,
    const struct lq_scan *s)
{
	struct learn l;

	if (!cols->scratch &&
	    !(cols->scratch = calloc(LEARN_DEPTH, sizeof(struct lq_buf))))
		abort();
	l.cols = cols;
	l.segs = cols->scratch;
	l.hint = 0;
	learn_obj(&l, line + s->open, line + s->close + 1, 0);
}

struct unwritten {
	const struct lq_csv_cols *cols;
	const char *ks[LEARN_DEPTH];	/* the raw keys of the path so far */
	size_t kn[LEARN_DEPTH];
	size_t hint;
	void (*fn)(void *, const char *);
	void *arg;
	struct lq_buf *path;
};

/* is c exactly the path u->ks[0..n) */
static int
col_is(const struct lq_csv_col *c, const struct unwritten *u, size_t n)
{
	size_t i;

	if (c->nseg != n)
		return 0;
	for (i = n; i-- > 0;)
		if (!lq_json_key_eq(u->ks[i], u->kn[i], c->seg[i], c->seglen[i]))
			return 0;
	return 1;
}

static int
path_is_col(struct unwritten *u, size_t n)
{
	size_t i, k = u->cols->n;

	/* records mostly repeat the order of the columns */
	if (u->hint < k && col_is(&u->cols->v[u->hint], u, n)) {
		u->hint++;
		return 1;
	}
	for (i = 0; i < k; i++)
		if (col_is(&u->cols->v[i], u, n)) {
			u->hint = i + 1;
			return 1;
		}
	return 0;
}

static void unwritten_obj(struct unwritten *, const char *, const char *,
    size_t);

/* the member at depth, raw key [ks, ke), value [vs, ve) */
static void
unwritten_mem(struct unwritten *u, size_t depth, const char *ks,
    const char *ke, const char *vs, const char *ve)
{
	size_t i;

	u->ks[depth] = ks;
	u->kn[depth] = (size_t)(ke - ks);
	if (path_is_col(u, depth + 1))
		return;		/* written whole: a leaf or JSON text */
	if (*vs == '{' && depth + 1 < LEARN_DEPTH &&
	    *skip_ws(vs + 1, ve) != '}') {
		unwritten_obj(u, vs, ve, depth + 1);
		return;
	}
	if (*vs == 'n')
		return;		/* null: an empty cell says as much */
	lq_buf_reset(u->path);
	for (i = 0; i <= depth; i++) {
		if (i)
			lq_buf_addc(u->path, '.');
		lq_json_unescape(u->path, u->ks[i], u->kn[i]);
	}
	lq_buf_addc(u->path, '\0');
	u->fn(u->arg, u->path->buf);
}

static void
unwritten_obj(struct unwritten *u, const char *p, const char *e,
    size_t depth)
{
	struct mem m;

	while (next_mem(&p, e, &m))
		unwritten_mem(u, depth, m.ks, m.ke, m.vs, m.ve);
}

void
lq_csv_cols_unwritten(struct lq_csv_cols *cols, const char *line,
    const struct lq_scan *s, void (*fn)(void *, const char *), void *arg)
{
	struct unwritten u;
	size_t i;

	if (!cols->scratch &&
	    !(cols->scratch = calloc(LEARN_DEPTH, sizeof(struct lq_buf))))
		abort();
	u.cols = cols;
	u.hint = 0;
	u.fn = fn;
	u.arg = arg;
	u.path = &cols->scratch[0];
	/* the top level as scanned, without reading it again */
	for (i = 0; i < s->n; i++) {
		const struct lq_member *m = &s->m[i];
		unwritten_mem(&u, 0, line + m->kstart, line + m->kstart +
		    m->klen, line + m->vstart, line + m->vend);
	}
}

enum lq_jkind
lq_csv_lookup(const char *line, const struct lq_scan *s,
    const struct lq_csv_col *col, size_t *vs, size_t *ve)
{
	const char *p, *e;
	size_t i;
	long k = lq_scan_find(s, line, col->seg[0], col->seglen[0]);

	if (k < 0)
		return LQ_J_NONE;
	p = line + s->m[k].vstart;
	e = line + s->m[k].vend;
	for (i = 1; i < col->nseg; i++) {
		const char *q = p, *fs = NULL, *fe = NULL;
		struct mem m;

		if (*p != '{')
			return LQ_J_NONE;
		while (next_mem(&q, e, &m))
			if (lq_json_key_eq(m.ks, (size_t)(m.ke - m.ks),
			    col->seg[i], col->seglen[i])) {
				fs = m.vs;
				fe = m.ve;
			}
		if (!fs)
			return LQ_J_NONE;
		p = fs;
		e = fe;
	}
	*vs = (size_t)(p - line);
	*ve = (size_t)(e - line);
	return kind_of(*p);
}

static void cell(struct lq_buf *out, const char *p, size_t n, int delim,
    int safe, int force);
static void summary_text(struct lq_buf *, const char *, const char *);
static void reasons_text(struct lq_buf *, const char *, const char *);

void
lq_csv_cell(struct lq_buf *out, const char *p, size_t n, int delim,
    int safe)
{
	cell(out, p, n, delim, safe, 0);
}

void
lq_csv_header_row(struct lq_buf *out, const struct lq_csv_cols *cols,
    int delim, int safe)
{
	for (size_t i = 0; i < cols->n; i++) {
		const char *p = cols->v[i].name, *h;
		size_t n;

		if (cols->map && (h = lq_csvmap_header(cols->map, p)))
			p = h;
		n = strlen(p);
		/* what a reader would take for something else */
		int force = i == 0 && ((n >= 3 && !memcmp(p, "\xef\xbb\xbf",
		    3)) || (n >= 4 && !memcmp(p, "sep=", 4)) || (cols->n == 1 &&
		    !n));
		if (i)
			lq_buf_addc(out, delim);
		cell(out, p, n, delim, safe, force);
	}
}

void
lq_csv_record_row(struct lq_buf *out, const char *line,
    const struct lq_scan *s, const struct lq_csv_cols *cols, int delim,
    int safe, struct lq_buf *tmp)
{
	size_t start = out->len, vs = 0, ve = 0;

	for (size_t i = 0; i < cols->n; i++) {
		const struct lq_csv_col *c = &cols->v[i];
		enum lq_jkind k;

		if (i)
			lq_buf_addc(out, delim);
		if (c->kind == LQ_CSV_COL_SUMMARY) {
			struct lq_csv_col up = *c;
			up.nseg--;
			if (lq_csv_lookup(line, s, &up, &vs, &ve) ==
			    LQ_J_OBJECT) {
				lq_buf_reset(tmp);
				summary_text(tmp, line + vs, line + ve);
				lq_csv_cell(out, tmp->buf ? tmp->buf : "",
				    tmp->len, delim, safe);
			}
			continue;
		}
		k = lq_csv_lookup(line, s, c, &vs, &ve);
		if (k == LQ_J_OBJECT && c->kind == LQ_CSV_COL_SCALAR &&
		    *skip_ws(line + vs + 1, line + ve) != '}')
			continue;	/* its members' columns write it */
		if (k == LQ_J_ARRAY && !strcmp(c->seg[c->nseg - 1],
		    "reasons")) {
			lq_buf_reset(tmp);
			reasons_text(tmp, line + vs, line + ve);
			lq_csv_cell(out, tmp->buf ? tmp->buf : "", tmp->len,
			    delim, safe);
			continue;
		}
		if (cols->map && k != LQ_J_NONE && k != LQ_J_NULL) {
			lq_buf_reset(tmp);
			if (lq_csvmap_cell(cols->map, c->name, k, line + vs,
			    ve - vs, tmp)) {
				lq_csv_cell(out, tmp->buf, tmp->len, delim,
				    safe);
				continue;
			}
		}
		lq_csv_value_cell(out, k, line + vs, ve - vs, delim, safe, tmp);
	}
	/* one empty cell: "" (an empty line is a blank line to a reader) */
	if (cols->n == 1 && out->len == start)
		lq_buf_add(out, "\"\"", 2);
}

static void
cell(struct lq_buf *out, const char *p, size_t n, int delim, int safe,
    int force)
{
	size_t i;
	int quote = force, prefix = 0;

	for (i = 0; i < n && !quote; i++)
		quote = p[i] == delim || p[i] == '"' || p[i] == '\n' ||
		    p[i] == '\r';
	if (safe && n && p[0] && strchr("=+-@\t\r", p[0]) && !lq_csv_is_number(p, n))
		prefix = 1;
	if (!quote) {
		if (prefix)
			lq_buf_addc(out, '\'');
		lq_buf_add(out, p, n);
		return;
	}
	lq_buf_grow(out, n + 4);
	lq_buf_addc(out, '"');
	if (prefix)
		lq_buf_addc(out, '\'');
	for (;;) {
		const char *q = memchr(p, '"', n);
		if (!q) {
			lq_buf_add(out, p, n);
			break;
		}
		lq_buf_add(out, p, (size_t)(q - p) + 1);
		lq_buf_addc(out, '"');
		n -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	lq_buf_addc(out, '"');
}

void
lq_csv_value_cell(struct lq_buf *out, enum lq_jkind kind, const char *v,
    size_t n, int delim, int safe, struct lq_buf *tmp)
{
	switch (kind) {
	case LQ_J_NONE:
	case LQ_J_NULL:
		return;
	case LQ_J_STRING:
		lq_buf_reset(tmp);
		lq_json_unescape(tmp, v, n);
		lq_csv_cell(out, tmp->buf ? tmp->buf : "", tmp->len, delim,
		    safe);
		return;
	default:
		lq_csv_cell(out, v, n, delim, safe);
	}
}

/* ---- the columns of a whole input, in a stable order ---- */

struct tnode {
	char *key;		/* decoded key */
	size_t klen;
	struct tnode **kid;
	size_t n, cap, hint;
	unsigned scalar : 1;	/* seen with a value that is no object */
	unsigned object : 1;	/* seen as an object with members */
};

struct lq_csv_tree {
	struct tnode root;
	struct lq_buf key;	/* scratch: a decoded key */
};

/* the keys tools write, in pipeline order: after the input's own keys */
static const char *const tool_keys[] = { "enrich", "score", "route", NULL };

struct lq_csv_tree *
lq_csv_tree_new(void)
{
	struct lq_csv_tree *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	return t;
}

static void
tnode_release(struct tnode *nd)
{
	size_t i;

	for (i = 0; i < nd->n; i++) {
		tnode_release(nd->kid[i]);
		free(nd->kid[i]);
	}
	free(nd->kid);
	free(nd->key);
}

void
lq_csv_tree_free(struct lq_csv_tree *t)
{
	if (!t)
		return;
	tnode_release(&t->root);
	lq_buf_release(&t->key);
	free(t);
}

static struct tnode *
tnode_get(struct tnode *nd, const char *k, size_t kn)
{
	struct tnode *c;
	size_t i;

	/* records mostly repeat the order of the last one */
	if (nd->hint < nd->n && nd->kid[nd->hint]->klen == kn &&
	    !memcmp(nd->kid[nd->hint]->key, k, kn))
		return nd->kid[nd->hint++];
	for (i = 0; i < nd->n; i++)
		if (nd->kid[i]->klen == kn && !memcmp(nd->kid[i]->key, k, kn)) {
			nd->hint = i + 1;
			return nd->kid[i];
		}
	if (nd->n == nd->cap) {
		nd->cap = nd->cap ? nd->cap * 2 : 8;
		if (!(nd->kid = realloc(nd->kid, nd->cap * sizeof(*nd->kid))))
			abort();
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->key = malloc(kn + 1)))
		abort();
	memcpy(c->key, k, kn);
	c->key[kn] = '\0';
	c->klen = kn;
	nd->kid[nd->n++] = c;
	nd->hint = nd->n;
	return c;
}

static void
tree_mem(struct lq_csv_tree *t, struct tnode *nd, const char *ks,
    const char *ke, const char *vs, const char *ve, size_t depth)
{
	struct tnode *c;
	const char *p;
	struct mem m;

	lq_buf_reset(&t->key);
	lq_json_unescape(&t->key, ks, (size_t)(ke - ks));
	c = tnode_get(nd, t->key.buf ? t->key.buf : "", t->key.len);
	if (*vs == 'n')
		return;		/* null: a column, empty here */
	if (*vs != '{' || depth + 1 >= LEARN_DEPTH ||
	    *skip_ws(vs + 1, ve) == '}') {
		c->scalar = 1;
		return;
	}
	c->object = 1;
	p = vs;
	while (next_mem(&p, ve, &m))
		tree_mem(t, c, m.ks, m.ke, m.vs, m.ve, depth + 1);
}

void
lq_csv_tree_learn(struct lq_csv_tree *t, const char *line,
    const struct lq_scan *s)
{
	size_t i;

	t->root.hint = 0;
	for (i = 0; i < s->n; i++) {
		const struct lq_member *m = &s->m[i];
		tree_mem(t, &t->root, line + m->kstart, line + m->kstart +
		    m->klen, line + m->vstart, line + m->vend, 0);
	}
}

int
lq_csv_tree_has(const struct lq_csv_tree *t, const char *key,
    const char *member)
{
	size_t i, j;

	for (i = 0; i < t->root.n; i++)
		if (!strcmp(t->root.kid[i]->key, key))
			for (j = 0; j < t->root.kid[i]->n; j++)
				if (!strcmp(t->root.kid[i]->kid[j]->key, member))
					return 1;
	return 0;
}

static int
is_tool_key(const struct tnode *nd)
{
	size_t i;

	for (i = 0; tool_keys[i]; i++)
		if (!strcmp(nd->key, tool_keys[i]))
			return (int)i + 1;
	return 0;
}

static int
has_col(const struct lq_csv_cols *cols, struct lq_buf *segs, size_t n)
{
	size_t i;

	for (i = 0; i < cols->n; i++)
		if (col_eq(&cols->v[i], segs, n))
			return 1;
	return 0;
}

static void
tree_cols(const struct tnode *nd, struct lq_csv_cols *cols,
    struct lq_buf *segs, size_t depth)
{
	size_t i;

	for (i = 0; i < nd->n; i++) {
		const struct tnode *c = nd->kid[i];

		lq_buf_reset(&segs[depth]);
		lq_buf_add(&segs[depth], c->key, c->klen);
		if ((c->scalar || !c->object) && !has_col(cols, segs,
		    depth + 1)) {
			col_add(cols, segs, depth + 1);
			/* an object here is written by the columns below */
			cols->v[cols->n - 1].kind = c->object ?
			    LQ_CSV_COL_SCALAR : LQ_CSV_COL_VALUE;
		}
		if (!c->object)
			continue;
		/* a score: its summary for a person first */
		if (depth == 0 && !strcmp(c->key, "score")) {
			size_t j;
			int tier = 0, summary = 0;
			for (j = 0; j < c->n; j++) {
				tier |= !strcmp(c->kid[j]->key, "tier");
				summary |= !strcmp(c->kid[j]->key, "summary");
			}
			lq_buf_reset(&segs[1]);
			lq_buf_adds(&segs[1], "summary");
			if (tier && !summary && !has_col(cols, segs, 2)) {
				col_add(cols, segs, 2);
				cols->v[cols->n - 1].kind = LQ_CSV_COL_SUMMARY;
			}
		}
		if (depth + 1 < LEARN_DEPTH)
			tree_cols(c, cols, segs, depth + 1);
	}
}

void
lq_csv_tree_cols(const struct lq_csv_tree *t, struct lq_csv_cols *cols,
    int input_only)
{
	struct lq_buf *segs;
	struct tnode top = { 0 };
	size_t i, k;

	if (!(segs = calloc(LEARN_DEPTH, sizeof(*segs))) ||
	    !(top.kid = calloc(t->root.n + 1, sizeof(*top.kid))))
		abort();
	/* the input's own keys in their order, then the tools' */
	for (i = 0; i < t->root.n; i++)
		if (!is_tool_key(t->root.kid[i]))
			top.kid[top.n++] = t->root.kid[i];
	for (k = 1; !input_only && tool_keys[k - 1]; k++)
		for (i = 0; i < t->root.n; i++)
			if (is_tool_key(t->root.kid[i]) == (int)k)
				top.kid[top.n++] = t->root.kid[i];
	tree_cols(&top, cols, segs, 0);
	free(top.kid);
	for (i = 0; i < LEARN_DEPTH; i++)
		lq_buf_release(&segs[i]);
	free(segs);
}

/* ---- a score as text for a person ---- */

/* iterate the elements of an array: *pp at '[' first; 1 per element */
static int
next_elem(const char **pp, const char *e, const char **vs, const char **ve)
{
	const char *p = *pp;

	if (*p == '[' || *p == ',')
		p++;
	p = skip_ws(p, e);
	if (p >= e || *p == ']')
		return 0;
	*vs = p;
	*ve = p = skip_val(p, e);
	*pp = skip_ws(p, e);
	return 1;
}

/* the member key of object [p, e), or NULL */
static const char *
member(const char *p, const char *e, const char *key, const char **ve)
{
	struct mem m;

	if (*p != '{')
		return NULL;
	while (next_mem(&p, e, &m))
		if (lq_json_key_eq(m.ks, (size_t)(m.ke - m.ks), key,
		    strlen(key))) {
			*ve = m.ve;
			return m.vs;
		}
	return NULL;
}

/* a JSON scalar as text: strings decoded, others as written */
static void
add_text(struct lq_buf *out, const char *vs, const char *ve)
{
	if (*vs == '"')
		lq_json_unescape(out, vs, (size_t)(ve - vs));
	else
		lq_buf_add(out, vs, (size_t)(ve - vs));
}

struct reason {
	double pts;
	const char *vs, *ve;	/* the element */
};

/*
 * One reason as text: "crm_we_integrate +8", "budget ? (missing .x)",
 * "Lead Source = Reference +1.3": the words first, so a cell never
 * starts with a sign a spreadsheet takes for a formula.
 */
static void
reason_text(struct lq_buf *out, const char *vs, const char *ve, double *pts)
{
	const char *v, *e, *p;

	*pts = 0;
	if (*vs == '[') {
		/* [feature, value, contribution] */
		const char *xs[3], *xe[3];
		size_t n = 0;
		p = vs;
		while (n < 3 && next_elem(&p, ve, &xs[n], &xe[n]))
			n++;
		if (n == 3 && kind_of(*xs[2]) == LQ_J_NUMBER) {
			*pts = strtod(xs[2], NULL);
			add_text(out, xs[0], xe[0]);
			lq_buf_adds(out, " = ");
			add_text(out, xs[1], xe[1]);
			lq_buf_addf(out, " %+.2g", *pts);
		} else
			lq_buf_add(out, vs, (size_t)(ve - vs));
		return;
	}
	if (*vs != '{') {
		add_text(out, vs, ve);
		return;
	}
	if ((p = member(vs, ve, "disqualifier", &e)) ||
	    (p = member(vs, ve, "override", &e))) {
		lq_buf_adds(out, member(vs, ve, "disqualifier", &v) ?
		    "disqualified by " : "overridden by ");
		add_text(out, p, e);
		if ((v = member(vs, ve, "reason", &e)) && *v == '"') {
			lq_buf_adds(out, " (");
			add_text(out, v, e);
			lq_buf_adds(out, ")");
		}
		return;
	}
	if (((v = member(vs, ve, "points", &e)) ||
	    (v = member(vs, ve, "contribution", &e))) &&
	    kind_of(*v) == LQ_J_NUMBER)
		*pts = strtod(v, NULL);
	if ((v = member(vs, ve, "text", &e)) && *v == '"')
		add_text(out, v, e);
	else if ((p = member(vs, ve, "signal", &e)) ||
	    (p = member(vs, ve, "feature", &e)) ||
	    (p = member(vs, ve, "rule", &e)))
		add_text(out, p, e);
	else {
		lq_buf_add(out, vs, (size_t)(ve - vs));
		return;
	}
	if ((v = member(vs, ve, "unknown", &e)) && *v == '"') {
		lq_buf_adds(out, " ? (");
		add_text(out, v, e);
		lq_buf_adds(out, ")");
	} else if (*pts)
		lq_buf_addf(out, " %+g", *pts);
}

/* every reason of an array, as text separated by "; " */
static void
reasons_text(struct lq_buf *out, const char *vs, const char *ve)
{
	const char *p = vs, *es, *ee;
	double pts;
	int first = 1;

	while (next_elem(&p, ve, &es, &ee)) {
		if (!first)
			lq_buf_adds(out, "; ");
		first = 0;
		reason_text(out, es, ee, &pts);
	}
}

static int
by_points(const void *a, const void *b)
{
	double x = ((const struct reason *)a)->pts;
	double y = ((const struct reason *)b)->pts;

	return (y > x) - (y < x);
}

/*
 * A score object as one line for a spreadsheet cell: "L2, 61 points,
 * confidence 0.8, route: +15 size_mid; +8 pricing_page; -10 no_budget;
 * 3 unknown".
 */
static void
summary_text(struct lq_buf *out, const char *vs, const char *ve)
{
	static const char *const nums[][2] = {
		{ "points", " points" }, { "probability", "" },
	};
	struct reason r[64];
	struct lq_buf tmp = LQ_BUF_INIT;
	const char *v, *e, *p, *es, *ee;
	size_t i, n = 0, up = 0, down = 0, unknown = 0;

	if ((v = member(vs, ve, "tier", &e)))
		add_text(out, v, e);
	for (i = 0; i < 2; i++)
		if ((v = member(vs, ve, nums[i][0], &e)) &&
		    kind_of(*v) == LQ_J_NUMBER) {
			lq_buf_adds(out, i ? ", p=" : ", ");
			lq_buf_add(out, v, (size_t)(e - v));
			lq_buf_adds(out, nums[i][1]);
		}
	if ((v = member(vs, ve, "confidence", &e)) &&
	    kind_of(*v) == LQ_J_NUMBER) {
		lq_buf_adds(out, ", confidence ");
		lq_buf_add(out, v, (size_t)(e - v));
	}
	if ((v = member(vs, ve, "action", &e)) && *v == '"') {
		lq_buf_adds(out, ", ");
		add_text(out, v, e);
	}
	if ((v = member(vs, ve, "reasons", &e)) && *v == '[') {
		p = v;
		while (next_elem(&p, e, &es, &ee)) {
			double pts;
			lq_buf_reset(&tmp);
			reason_text(&tmp, es, ee, &pts);
			if (*es == '{' && member(es, ee, "unknown", &v))
				unknown++;
			else if (*es == '{' && (member(es, ee, "disqualifier",
			    &v) || member(es, ee, "override", &v))) {
				lq_buf_adds(out, up + down ? "; " : ": ");
				lq_buf_add(out, tmp.buf, tmp.len);
				up++;	/* said first, whatever the points */
			}
			else if (pts != 0 && n < 64) {
				r[n].pts = pts;
				r[n].vs = es;
				r[n++].ve = ee;
			}
		}
		qsort(r, n, sizeof(*r), by_points);
		for (i = 0; i < n; i++) {
			double pts;
			int pos = r[i].pts > 0;
			if (pos ? up >= 3 : (n - i > 3))
				continue;	/* top 3 up, top 3 down */
			pos ? up++ : down++;
			lq_buf_adds(out, up + down == 1 ? ": " : "; ");
			reason_text(out, r[i].vs, r[i].ve, &pts);
		}
		if (unknown)
			lq_buf_addf(out, "%s%zu unknown", up + down ? "; " :
			    ": ", unknown);
	}
	lq_buf_release(&tmp);
}
