/*
 * yaml.c - libyaml event API to a positioned node tree; strict accessors.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "lq_buf.h"
#include "lq_yaml.h"
#include "lq_time.h"

struct anchor {
	char *name;
	struct lq_ynode *node;
	struct anchor *next;
};

struct frame {
	struct lq_ynode *node;
	struct lq_ynode *key;	/* pending key in a map, or NULL */
	char *anchor;
};

static struct lq_ynode *
new_node(struct lq_ydoc *doc, enum lq_ykind kind, yaml_mark_t m)
{
	struct lq_ynode *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->kind = kind;
	n->line = (int)m.line + 1;
	n->col = (int)m.column + 1;
	n->size = 1;
	n->next_alloc = doc->arena;
	doc->arena = n;
	return n;
}

static void
append(struct lq_ynode *c, struct lq_ynode *key, struct lq_ynode *val)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->items = realloc(c->items, c->cap * sizeof(*c->items));
		if (c->kind == LQ_Y_MAP)
			c->keys = realloc(c->keys, c->cap * sizeof(*c->keys));
		if (!c->items || (c->kind == LQ_Y_MAP && !c->keys))
			abort();
	}
	if (c->kind == LQ_Y_MAP)
		c->keys[c->n] = key;
	c->items[c->n++] = val;
}

void
lq_yaml_release(struct lq_ydoc *doc)
{
	struct lq_ynode *n = doc->arena, *next;

	for (; n; n = next) {
		next = n->next_alloc;
		free(n->str);
		free(n->items);
		free(n->keys);
		free(n);
	}
	free(doc->file);
	free(doc->text);
	memset(doc, 0, sizeof(*doc));
}

static int
perr(struct lq_ydoc *doc, yaml_parser_t *p, const char *text, size_t len,
    struct lq_err *err)
{
	if (p->error == YAML_READER_ERROR) {
		/* reader errors carry no mark: count lines up to the offset */
		size_t i, off = p->problem_offset;
		int line = 1, col = 1;
		for (i = 0; i < off && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		return lq_err_at(err, doc->file, line, col, "%s",
		    p->problem ? p->problem : "cannot read");
	}
	if (p->context)
		return lq_err_at(err, doc->file, (int)p->problem_mark.line + 1,
		    (int)p->problem_mark.column + 1, "%s %s (line %d)",
		    p->problem, p->context, (int)p->context_mark.line + 1);
	return lq_err_at(err, doc->file, (int)p->problem_mark.line + 1,
	    (int)p->problem_mark.column + 1, "%s",
	    p->problem ? p->problem : "yaml error");
}

/* the node of a scalar event; NULL with err set for an explicit tag */
static struct lq_ynode *
scalar_node(struct lq_ydoc *doc, yaml_event_t *ev, struct lq_err *err)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	struct lq_ynode *node;

	if (tag && strcmp(tag, "!") && strcmp(tag, YAML_STR_TAG)) {
		lq_err_at(err, doc->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "explicit tag %s is not supported", tag);
		return NULL;
	}
	node = new_node(doc, LQ_Y_SCALAR, ev->start_mark);
	node->len = ev->data.scalar.length;
	node->str = malloc(node->len + 1);
	if (!node->str)
		abort();
	memcpy(node->str, ev->data.scalar.value, node->len);
	node->str[node->len] = 0;
	switch (ev->data.scalar.style) {
	case YAML_PLAIN_SCALAR_STYLE:
		node->style = tag ? LQ_Y_QUOTED : LQ_Y_PLAIN;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		node->style = LQ_Y_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		node->style = LQ_Y_FOLDED;
		break;
	default:
		node->style = LQ_Y_QUOTED;
	}
	node->done = 1;
	return node;
}

/* a sequence or mapping starts: a new frame on the stack */
static int
open_collection(struct lq_ydoc *doc, yaml_event_t *ev, struct frame *stack,
    int *depth, struct lq_err *err)
{
	int isseq = ev->type == YAML_SEQUENCE_START_EVENT;
	const char *an = (const char *)(isseq ?
	    ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
	const char *tag = (const char *)(isseq ?
	    ev->data.sequence_start.tag : ev->data.mapping_start.tag);

	if (*depth >= LQ_YAML_MAX_DEPTH)
		return lq_err_at(err, doc->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "nesting deeper than %d levels", LQ_YAML_MAX_DEPTH);
	if (tag)
		return lq_err_at(err, doc->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "explicit tag %s is not supported", tag);
	stack[*depth].node = new_node(doc, isseq ? LQ_Y_SEQ : LQ_Y_MAP,
	    ev->start_mark);
	stack[*depth].key = NULL;
	stack[*depth].anchor = an ? strdup(an) : NULL;
	(*depth)++;
	return 0;
}

/* a finished node: the document's root, an item of the sequence on top,
 * or the key or the value of the mapping on top */
static int
attach(struct lq_ydoc *doc, struct frame *stack, int depth,
    struct lq_ynode *node, int is_alias, struct lq_err *err)
{
	struct frame *f;

	if (depth == 0) {
		doc->root = node;
		return 0;
	}
	f = &stack[depth - 1];
	f->node->size += node->size;
	if (f->node->kind == LQ_Y_SEQ) {
		append(f->node, NULL, node);
	} else if (!f->key) {
		if (node->kind != LQ_Y_SCALAR || is_alias)
			return lq_yerr(doc, node, err,
			    "mapping keys must be plain strings");
		if (node->style == LQ_Y_PLAIN && !strcmp(node->str, "<<"))
			return lq_yerr(doc, node, err,
			    "merge keys (<<) are not supported");
		if (lq_ymap_get(f->node, node->str))
			return lq_yerr(doc, node, err, "duplicate key '%s'",
			    node->str);
		f->key = node;
	} else {
		append(f->node, f->key, node);
		f->key = NULL;
	}
	return 0;
}

int
lq_yaml_load_mem(struct lq_ydoc *doc, const char *name, const char *text,
    size_t len, struct lq_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct frame stack[LQ_YAML_MAX_DEPTH + 1];
	struct anchor *anchors = NULL, *a;
	int depth = 0, ndocs = 0, rc = -1, done = 0;
	size_t aliased = 0, alias_limit = LQ_YAML_ALIAS_NODES;
	const char *lim = getenv("LQ_YAML_ALIAS_NODES");

	if (lim && *lim) {
		char *end;
		unsigned long long v = strtoull(lim, &end, 10);
		if (!*end && v > 0)
			alias_limit = (size_t)v;
	}

	memset(doc, 0, sizeof(*doc));
	doc->file = strdup(name);
	doc->text = malloc(len + 1);
	if (!doc->text)
		abort();
	memcpy(doc->text, text, len);
	doc->text[len] = 0;
	doc->textlen = len;
	if (!yaml_parser_initialize(&p))
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: yaml init failed",
		    name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		struct lq_ynode *node = NULL;
		const char *anchor = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			perr(doc, &p, text, len, err);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				lq_err_at(err, name, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "only one YAML document allowed");
				goto evout;
			}
			break;
		case YAML_ALIAS_EVENT:
			for (a = anchors; a; a = a->next)
				if (!strcmp(a->name,
				    (char *)ev.data.alias.anchor))
					break;
			if (!a || !a->node->done) {
				lq_err_at(err, name, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "alias to an unfinished (recursive) or "
				    "unknown anchor '%s'",
				    (char *)ev.data.alias.anchor);
				goto evout;
			}
			node = a->node;
			break;
		case YAML_SCALAR_EVENT:
			if (!(node = scalar_node(doc, &ev, err)))
				goto evout;
			anchor = (const char *)ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (open_collection(doc, &ev, stack, &depth, err) < 0)
				goto evout;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			node = stack[depth].node;
			node->done = 1;
			anchor = stack[depth].anchor;
			break;
		default:
			break;
		}
		if (node) {
			/* nodes written out are bounded by the text; those
			 * aliases repeat are not (billion laughs) */
			if (ev.type == YAML_ALIAS_EVENT &&
			    (aliased += node->size) > alias_limit) {
				lq_err_at(err, name, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "aliases repeat more than %zu nodes (the "
				    "limit against alias bombs; to raise it, set "
				    "LQ_YAML_ALIAS_NODES in the environment)",
				    alias_limit);
				goto evout;
			}
			if (anchor) {
				a = calloc(1, sizeof(*a));
				if (!a)
					abort();
				a->name = strdup(anchor);
				a->node = node;
				a->next = anchors;
				anchors = a;
			}
			if (ev.type == YAML_SEQUENCE_END_EVENT ||
			    ev.type == YAML_MAPPING_END_EVENT)
				free(stack[depth].anchor);
			if (attach(doc, stack, depth, node,
			    ev.type == YAML_ALIAS_EVENT, err) < 0)
				goto evout;
		}
		yaml_event_delete(&ev);
		continue;
evout:
		yaml_event_delete(&ev);
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		while (depth > 0)
			free(stack[--depth].anchor);
	}
	while (anchors) {
		a = anchors->next;
		free(anchors->name);
		free(anchors);
		anchors = a;
	}
	yaml_parser_delete(&p);
	return rc;
}

int
lq_yaml_load(struct lq_ydoc *doc, const char *path, struct lq_err *err)
{
	FILE *f = fopen(path, "rb");
	struct lq_buf b = LQ_BUF_INIT;
	char chunk[65536];
	size_t n;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if (!f)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: %s", path,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lq_buf_add(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		lq_buf_release(&b);
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: read error", path);
	}
	fclose(f);
	rc = lq_yaml_load_mem(doc, path, b.buf ? b.buf : "", b.len, err);
	lq_buf_release(&b);
	return rc;
}

struct lq_ynode *
lq_ymap_get(const struct lq_ynode *map, const char *key)
{
	size_t i;

	if (!map || map->kind != LQ_Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->str, key))
			return map->items[i];
	return NULL;
}

int
lq_yerr(const struct lq_ydoc *d, const struct lq_ynode *node,
    struct lq_err *err, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lq_err_at(err, d->file, node ? node->line : 1,
	    node ? node->col : 1, "%s", msg);
}

static const char *
kind_name(enum lq_ykind k)
{
	return k == LQ_Y_MAP ? "a mapping" : k == LQ_Y_SEQ ? "a list" :
	    "a scalar";
}

int
lq_yexpect(const struct lq_ydoc *d, const struct lq_ynode *node,
    enum lq_ykind kind, const char *what, struct lq_err *err)
{
	if (node->kind == kind)
		return 0;
	return lq_yerr(d, node, err, "%s must be %s, not %s", what,
	    kind_name(kind), kind_name(node->kind));
}

/* Levenshtein distance, for "did you mean" */
static int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int row[64], prev, tmp;

	if (lb >= 63 || la >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			int c = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < c)
				c = row[j] + 1;
			if (row[j - 1] + 1 < c)
				c = row[j - 1] + 1;
			row[j] = c;
			prev = tmp;
		}
	}
	return row[lb];
}

int
lq_ymap_check(const struct lq_ydoc *d, const struct lq_ynode *map,
    const char *what, const char *const *allowed, struct lq_err *err)
{
	size_t i, k;

	if (lq_yexpect(d, map, LQ_Y_MAP, what, err))
		return -1;
	for (i = 0; i < map->n; i++) {
		const char *key = map->keys[i]->str;
		const char *best = NULL;
		int bestd = 3;
		for (k = 0; allowed[k]; k++) {
			if (!strcmp(key, allowed[k]))
				break;
			int dist = edit_distance(key, allowed[k]);
			if (dist < bestd) {
				bestd = dist;
				best = allowed[k];
			}
		}
		if (allowed[k])
			continue;
		struct lq_buf list = LQ_BUF_INIT;
		for (k = 0; allowed[k]; k++) {
			if (k)
				lq_buf_adds(&list, ", ");
			lq_buf_adds(&list, allowed[k]);
		}
		if (best)
			lq_yerr(d, map->keys[i], err,
			    "unknown key '%s' in %s (did you mean '%s'?)", key,
			    what, best);
		else
			lq_yerr(d, map->keys[i], err,
			    "unknown key '%s' in %s (expected one of: %s)", key,
			    what, list.buf);
		lq_buf_release(&list);
		return -1;
	}
	return 0;
}

/*
 * Scalar shape tests, by hand: libonig (linked by libjq) exports its own
 * regcomp/regexec, so POSIX regex is not safe to call here.
 */
static int
one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return 1;
	return 0;
}

static int
all_in(const char *s, const char *set)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr(set, *s))
			return 0;
	return 1;
}

static const char *
skip_sign(const char *s)
{
	return *s == '-' || *s == '+' ? s + 1 : s;
}

/* [-+]?[0-9]+ */
static int
is_int(const char *s)
{
	return all_in(skip_sign(s), "0123456789");
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
is_float(const char *s)
{
	const char *p = skip_sign(s);
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		p = skip_sign(p);
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == 0;
}

/* YAML 1.1 forms that 1.2 reads differently: 0777, 1_000, 12:30,
 * 2024-01-02, 0b101 */
static int
is_ambiguous_number(const char *s)
{
	const char *p = skip_sign(s);

	if (p[0] == '0' && p[1] && all_in(p + 1, "0123456789"))
		return 1;
	if (isdigit((unsigned char)*p) && strchr(p, '_') &&
	    all_in(p, "0123456789_"))
		return 1;
	if (isdigit((unsigned char)*p) && strchr(p, ':') &&
	    all_in(p, "0123456789:."))
		return 1;
	if (strlen(s) >= 8 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]) && s[4] == '-' &&
	    isdigit((unsigned char)s[5]))
		return 1;
	if (s[0] == '0' && s[1] == 'b' && all_in(s + 2, "01_"))
		return 1;
	return 0;
}

static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
static const char *const trues[] = { "true", "True", "TRUE", NULL };
static const char *const falses[] = { "false", "False", "FALSE", NULL };
static const char *const yaml11[] = { "y", "Y", "yes", "Yes", "YES", "n", "N",
	"no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", NULL };
static const char *const nonfinite[] = { ".inf", ".Inf", ".INF", "+.inf",
	"+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
	NULL };

int
lq_ynull(const struct lq_ynode *node)
{
	return node->kind == LQ_Y_SCALAR && node->style == LQ_Y_PLAIN &&
	    (node->len == 0 || one_of(node->str, nulls));
}

/* Resolve a plain scalar: 0 string, 1 number (in *num), 2 bool, 3 null,
 * -1 ambiguous or not representable (message in *why). */
static int
resolve(const struct lq_ynode *node, double *num, int *b, const char **why)
{
	const char *v = node->str;

	if (node->style != LQ_Y_PLAIN)
		return 0;
	if (lq_ynull(node))
		return 3;
	if (one_of(v, trues)) {
		*b = 1;
		return 2;
	}
	if (one_of(v, falses)) {
		*b = 0;
		return 2;
	}
	if (one_of(v, yaml11)) {
		*why = "ambiguous YAML 1.1 boolean; quote it or use true/false";
		return -1;
	}
	if (is_ambiguous_number(v)) {
		*why = "ambiguous YAML 1.1 number or date; quote it";
		return -1;
	}
	if (is_int(v)) {
		errno = 0;
		long long x = strtoll(v, NULL, 10);
		if (errno || x > 9007199254740992LL || x < -9007199254740992LL) {
			*why = "integer beyond 2^53 would lose precision; "
			    "quote it";
			return -1;
		}
		*num = (double)x;
		return 1;
	}
	if ((v[0] == '0' && v[1] == 'x' && all_in(v + 2, "0123456789abcdefABCDEF")) ||
	    (v[0] == '0' && v[1] == 'o' && all_in(v + 2, "01234567"))) {
		/* as decimals: strtoll() would clamp 0xfff...f to 2^63 - 1 */
		errno = 0;
		unsigned long long x = strtoull(v + 2, NULL, v[1] == 'x' ?
		    16 : 8);
		if (errno || x > 9007199254740992ULL) {
			*why = "integer beyond 2^53 would lose precision; "
			    "quote it";
			return -1;
		}
		*num = (double)x;
		return 1;
	}
	if (is_float(v)) {
		*num = strtod(v, NULL);
		if (!isfinite(*num)) {
			/* 1e999: strtod gives inf, which JSON cannot hold and
			 * arithmetic turns into null or nan */
			*why = "number out of range (beyond ±1.8e308)";
			return -1;
		}
		return 1;
	}
	if (one_of(v, nonfinite)) {
		*why = ".inf and .nan cannot be represented in JSON";
		return -1;
	}
	return 0;
}

int
lq_ynum(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double *out, struct lq_err *err)
{
	const char *why = NULL;
	int b;

	if (node->kind != LQ_Y_SCALAR)
		return lq_yerr(d, node, err, "%s must be a number", what);
	int r = resolve(node, out, &b, &why);
	if (r == 1)
		return 0;
	if (r < 0)
		return lq_yerr(d, node, err, "%s: %s", what, why);
	return lq_yerr(d, node, err, "%s must be a number, not '%s'", what,
	    node->str);
}

/* "x" or "x.5" without trailing zeros, for messages */
static void
fmt_num(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.15g", v);
}

int
lq_ynum_in(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double lo, double hi, double *out, struct lq_err *err)
{
	char a[40], b[40];

	if (lq_ynum(d, node, what, out, err))
		return -1;
	if (*out >= lo && *out <= hi)
		return 0;
	fmt_num(a, sizeof(a), lo);
	fmt_num(b, sizeof(b), hi);
	if (hi == INFINITY)
		return lq_yerr(d, node, err, "%s must be >= %s, not %s", what,
		    a, node->str);
	if (lo == -INFINITY)
		return lq_yerr(d, node, err, "%s must be <= %s, not %s", what,
		    b, node->str);
	return lq_yerr(d, node, err, "%s must be between %s and %s, not %s",
	    what, a, b, node->str);
}

int
lq_yint_in(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, long lo, long hi, long *out, struct lq_err *err)
{
	double v;

	if (lq_ynum_in(d, node, what, (double)lo, (double)hi, &v, err))
		return -1;
	if (v != floor(v))
		return lq_yerr(d, node, err, "%s must be a whole number, not "
		    "%s", what, node->str);
	*out = (long)v;
	return 0;
}

int
lq_ybool(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, int *out, struct lq_err *err)
{
	const char *why = NULL;
	double num;

	if (node->kind != LQ_Y_SCALAR)
		return lq_yerr(d, node, err, "%s must be true or false", what);
	int r = resolve(node, &num, out, &why);
	if (r == 2)
		return 0;
	if (r < 0)
		return lq_yerr(d, node, err, "%s: %s", what, why);
	return lq_yerr(d, node, err, "%s must be true or false, not '%s'",
	    what, node->str);
}

int
lq_ystr(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, const char **out, struct lq_err *err)
{
	if (node->kind != LQ_Y_SCALAR)
		return lq_yerr(d, node, err, "%s must be a string, not %s",
		    what, kind_name(node->kind));
	*out = node->str;
	return 0;
}

int
lq_ydur(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double *seconds, struct lq_err *err)
{
	char *end;
	double v, mult = LQ_DAY;

	if (node->kind != LQ_Y_SCALAR || !node->len)
		return lq_yerr(d, node, err, "%s must be a duration such as "
		    "14d, 36h or 90m", what);
	errno = 0;
	v = strtod(node->str, &end);
	if (end == node->str || errno || v < 0 || !isfinite(v))
		return lq_yerr(d, node, err, "%s must be a duration such as "
		    "14d, 36h or 90m, not '%s'", what, node->str);
	if (*end) {
		if (end[1])
			return lq_yerr(d, node, err, "%s: bad duration unit in "
			    "'%s' (use s, m, h, d or w)", what, node->str);
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = LQ_DAY; break;
		case 'w': mult = LQ_WEEK; break;
		default:
			return lq_yerr(d, node, err, "%s: bad duration unit in "
			    "'%s' (use s, m, h, d or w)", what, node->str);
		}
	}
	*seconds = v * mult;
	if (!isfinite(*seconds))
		return lq_yerr(d, node, err, "%s: duration '%s' out of range",
		    what, node->str);
	return 0;
}

/* "90s", "1.5h": a number of seconds as the shortest unit says it */
static void
fmt_dur(char *buf, size_t n, double s)
{
	if (s >= LQ_DAY && fmod(s, LQ_DAY) == 0)
		snprintf(buf, n, "%gd", s / LQ_DAY);
	else if (s >= 3600 && fmod(s, 3600) == 0)
		snprintf(buf, n, "%gh", s / 3600);
	else if (s >= 60 && fmod(s, 60) == 0)
		snprintf(buf, n, "%gm", s / 60);
	else
		snprintf(buf, n, "%gs", s);
}

int
lq_ydur_in(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double lo, double hi, double *seconds,
    struct lq_err *err)
{
	char a[40], b[40];

	if (lq_ydur(d, node, what, seconds, err))
		return -1;
	if (*seconds >= lo && *seconds <= hi)
		return 0;
	fmt_dur(a, sizeof(a), lo);
	fmt_dur(b, sizeof(b), hi);
	return lq_yerr(d, node, err, "%s must be between %s and %s, not '%s'",
	    what, a, b, node->str);
}

jv
lq_ynode_to_jv(const struct lq_ydoc *d, const struct lq_ynode *node,
    struct lq_err *err)
{
	size_t i;

	if (node->kind == LQ_Y_SCALAR) {
		const char *why = NULL;
		double num;
		int b;
		switch (resolve(node, &num, &b, &why)) {
		case 1: return jv_number(num);
		case 2: return jv_bool(b);
		case 3: return jv_null();
		case 0: return jv_string_sized(node->str, (int)node->len);
		default:
			lq_yerr(d, node, err, "%s", why);
			return jv_invalid();
		}
	}
	if (node->kind == LQ_Y_SEQ) {
		jv a = jv_array();
		for (i = 0; i < node->n; i++) {
			jv v = lq_ynode_to_jv(d, node->items[i], err);
			if (!jv_is_valid(v)) {
				jv_free(a);
				return v;
			}
			a = jv_array_append(a, v);
		}
		return a;
	}
	jv o = jv_object();
	for (i = 0; i < node->n; i++) {
		jv v = lq_ynode_to_jv(d, node->items[i], err);
		if (!jv_is_valid(v)) {
			jv_free(o);
			return v;
		}
		o = jv_object_set(o, jv_string(node->keys[i]->str), v);
	}
	return o;
}

void
lq_ynode_text_pos(const struct lq_ydoc *d, const struct lq_ynode *node,
    int *line, int *col)
{
	const char *p = d->text;
	int l = 1;

	*line = node->line;
	*col = node->col;
	if (node->style == LQ_Y_QUOTED)
		(*col)++;
	if (node->style != LQ_Y_LITERAL && node->style != LQ_Y_FOLDED)
		return;
	/* first line after the indicator: find its indentation */
	while (*p && l < node->line + 1) {
		if (*p++ == '\n')
			l++;
	}
	*line = node->line + 1;
	*col = 1;
	while (*p == ' ') {
		p++;
		(*col)++;
	}
}

static const char *const sections[] = {
	"version", "enrich", "score", "route", "train", "report", "csv", "limits",
	NULL
};

/* the section name of a loaded rule file */
static int
find_section(struct lq_ydoc *doc, const char *path, const char *name,
    struct lq_ynode **section, struct lq_err *err)
{
	if (!doc->root)
		return lq_err_at(err, path, 1, 1, "empty rule file (expected a "
		    "'%s:' section)", name);
	if (lq_ymap_check(doc, doc->root, "the top level of a rule file",
	    sections, err) < 0)
		return -1;
	*section = lq_ymap_get(doc->root, name);
	if (!*section)
		return lq_err_at(err, path, 1, 1, "no '%s:' section", name);
	return 0;
}

int
lq_config_section(struct lq_ydoc *doc, const char *path, const char *name,
    struct lq_ynode **section, struct lq_err *err)
{
	if (lq_yaml_load(doc, path, err) < 0)
		return -1;
	return find_section(doc, path, name, section, err);
}

int
lq_config_section_mem(struct lq_ydoc *doc, const char *path,
    const char *text, size_t len, const char *name,
    struct lq_ynode **section, struct lq_err *err)
{
	if (lq_yaml_load_mem(doc, path, text, len, err) < 0)
		return -1;
	return find_section(doc, path, name, section, err);
}
