/*
 * enrich_load.c - loading the enrich: section: lists, fields, tables and
 * their indexes, live sources and the cache, set: expressions; and freeing it.
 */
#include "enrich_int.h"

static const char *const field_names[NFIELDS + 1] = { "email", "title",
	"company", "country", "region", "phone", "city", NULL };
static const char *const list_keys[NLISTS] = { "free", "disposable", "role",
	"typo", "titles", "countries" };
static const char *const list_files[NLISTS] = { "free-mail.txt",
	"disposable.txt", "role-prefixes.txt", "typo-targets.txt",
	"titles.yaml", "countries.tsv" };
const char *const enrich_own_field[OWN_N] = { "email", "title", "country",
	"company_key", "errors", "provenance" };

/* ---- loading ---------------------------------------------------------- */

static char *
join(const char *dir, const char *p)
{
	struct lq_buf b = LQ_BUF_INIT;

	if (p[0] != '/' && dir && *dir) {
		lq_buf_adds(&b, dir);
		lq_buf_addc(&b, '/');
	}
	lq_buf_adds(&b, p);
	return b.buf;
}

/* err (from a file named at node) gets node's position in front. */
static int
at_node(struct lq_enrich *e, const struct lq_ynode *node, struct lq_err *err)
{
	char msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	if (!node)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s (data directory %s; "
		    "set data: in the enrich section or LQ_DATADIR)", msg,
		    e->datadir);
	return lq_yerr(&e->doc, node, err, "%s", msg);
}

static int
load_lists(struct lq_enrich *e, struct lq_ynode *root, struct lq_err *err)
{
	struct lq_ynode *data = root ? lq_ymap_get(root, "data") : NULL;

	for (int i = 0; i < NLISTS; i++) {
		struct lq_ynode *c = root ? lq_ymap_get(root, list_keys[i]) :
		    NULL;
		const char *s;
		char *p;
		int rc = 0;
		if (c) {
			if (lq_ystr(&e->doc, c, list_keys[i], &s, err))
				return -1;
			p = join(e->dir, s);
		} else {
			p = join(e->datadir, list_files[i]);
		}
		switch (i) {
		case L_FREE:
			rc = lq_smap_load_list(&e->lists.free, p, err) < 0;
			break;
		case L_DISPOSABLE:
			rc = lq_smap_load_list(&e->lists.disposable, p, err) < 0;
			break;
		case L_ROLE:
			rc = lq_smap_load_list(&e->lists.role, p, err) < 0;
			break;
		case L_TYPO: {
			struct lq_smap m;
			lq_smap_init(&m);
			if ((rc = lq_smap_load_list(&m, p, err) < 0))
				break;
			e->lists.typo = calloc(m.n + 1, sizeof(char *));
			for (size_t k = 0; k < m.cap; k++)
				if (m.k[k]) {
					e->lists.typo[e->lists.ntypo++] = m.k[k];
					m.k[k] = NULL;
				}
			lq_smap_release(&m);
			break;
		}
		case L_TITLES:
			rc = !(e->titles = lq_titles_load(p, err));
			break;
		case L_COUNTRIES:
			rc = !(e->countries = lq_countries_load(p, err));
			break;
		}
		free(p);
		if (rc)
			return at_node(e, c ? c : data, err);
	}
	return 0;
}

static int
load_fields(struct lq_enrich *e, struct lq_ynode *c, struct lq_err *err)
{
	for (int i = 0; i < NFIELDS; i++)
		e->field[i] = field_names[i];
	if (!c)
		return 0;
	if (lq_ymap_check(&e->doc, c, "fields", field_names, err))
		return -1;
	for (int i = 0; i < NFIELDS; i++) {
		struct lq_ynode *v = lq_ymap_get(c, field_names[i]);
		if (v && lq_ystr(&e->doc, v, field_names[i], &e->field[i], err))
			return -1;
	}
	return 0;
}

/*
 * Who already writes the member name of "enrich": "lq-enrich itself",
 * "table 'x'", "source 'x'", "set:", or NULL when nobody does.  what is
 * scratch space for the answer.
 */
static const char *
written_by(const struct lq_enrich *e, const char *name, char *what, size_t n)
{
	for (int k = 0; k < OWN_N; k++)
		if (!strcmp(name, enrich_own_field[k]))
			return "lq-enrich itself";
	for (int k = 0; k < e->ntab; k++)
		if (!strcmp(name, e->tab[k].as)) {
			snprintf(what, n, "table '%s'", e->tab[k].name);
			return what;
		}
	for (int k = 0; k < e->nsrc; k++)
		if (!strcmp(name, e->src[k].as)) {
			snprintf(what, n, "source '%s'", e->src[k].name);
			return what;
		}
	for (int k = 0; k < e->nset; k++)
		if (!strcmp(name, e->setname[k]))
			return "set:";
	return NULL;
}

static int
load_table(struct lq_enrich *e, struct lq_ynode *n, struct lq_buf *warn,
    struct lq_err *err)
{
	static const char *const keys[] = { "name", "path", "as", "key",
		"name_column", "split", "index", "cache", "duplicates", "match",
		"fuzzy_threshold", "country_column", "city_column",
		"phone_column", "description", NULL };
	struct lq_ydoc *d = &e->doc;
	struct table *t = &e->tab[e->ntab];
	struct lq_etable_opts o;
	struct lq_ynode *c;
	const char *s, *by;
	char what[160];

	(void)warn;
	memset(&o, 0, sizeof(o));
	if (lq_ymap_check(d, n, "a table", keys, err))
		return -1;
	if (!(c = lq_ymap_get(n, "name")) || lq_ystr(d, c, "name", &t->name,
	    err))
		return c ? -1 : lq_yerr(d, n, err, "table without a name");
	for (int i = 0; i < e->ntab; i++)
		if (!strcmp(e->tab[i].name, t->name))
			return lq_yerr(d, c, err, "duplicate table name '%s'",
			    t->name);
	if (!(c = lq_ymap_get(n, "path")))
		return lq_yerr(d, n, err, "table '%s' has no path", t->name);
	if (lq_ystr(d, c, "path", &s, err))
		return -1;
	t->pathnode = c;
	t->path = join(e->dir, s);
	t->as = t->name;
	if ((c = lq_ymap_get(n, "as")) && lq_ystr(d, c, "as", &t->as, err))
		return -1;
	if ((by = written_by(e, t->as, what, sizeof(what))))
		return lq_yerr(d, c ? c : n, err, "table '%s': '%s' is "
		    "written by %s (set as:)", t->name, t->as, by);
	o.key = "domain";
	if ((c = lq_ymap_get(n, "key")) && lq_ystr(d, c, "key", &o.key, err))
		return -1;
	if ((c = lq_ymap_get(n, "name_column")) && lq_ystr(d, c,
	    "name_column", &o.namecol, err))
		return -1;
	if ((c = lq_ymap_get(n, "split"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "split", err))
			return -1;
		t->split = calloc(c->n + 1, sizeof(char *));
		for (size_t i = 0; i < c->n; i++)
			if (lq_ystr(d, c->items[i], "split", &t->split[i], err))
				return -1;
		o.split = t->split;
		o.nsplit = (int)c->n;
	}
	if ((c = lq_ymap_get(n, "index"))) {
		if (lq_ystr(d, c, "index", &s, err))
			return -1;
		if (!strcmp(s, "auto"))
			o.index = LQ_INDEX_AUTO;
		else if (!strcmp(s, "memory"))
			o.index = LQ_INDEX_MEMORY;
		else if (!strcmp(s, "sqlite"))
			o.index = LQ_INDEX_SQLITE;
		else
			return lq_yerr(d, c, err, "index must be auto, memory "
			    "or sqlite, not '%s'", s);
	}
	if ((c = lq_ymap_get(n, "cache"))) {
		if (lq_ystr(d, c, "cache", &s, err))
			return -1;
		t->cache = join(e->dir, s);
		t->cachenode = c;
		o.cache = t->cache;
	}
	if ((c = lq_ymap_get(n, "duplicates"))) {
		if (lq_ystr(d, c, "duplicates", &s, err))
			return -1;
		if (!strcmp(s, "first"))
			o.dups = LQ_DUPS_FIRST;
		else if (!strcmp(s, "last"))
			o.dups = LQ_DUPS_LAST;
		else if (!strcmp(s, "error"))
			o.dups = LQ_DUPS_ERROR;
		else
			return lq_yerr(d, c, err, "duplicates must be first, "
			    "last or error, not '%s'", s);
	}
	t->match = M_DOMAIN | M_PARENT | (o.namecol ? M_NAME | M_FUZZY : 0);
	t->fuzzy_min = FUZZY_MIN;
	if ((c = lq_ymap_get(n, "fuzzy_threshold")) && lq_ynum_in(d, c,
	    "fuzzy_threshold", 0.5, 1, &t->fuzzy_min, err))
		return -1;
	if ((c = lq_ymap_get(n, "country_column")) && lq_ystr(d, c,
	    "country_column", &t->countrycol, err))
		return -1;
	if ((c = lq_ymap_get(n, "city_column")) && lq_ystr(d, c,
	    "city_column", &t->citycol, err))
		return -1;
	if ((c = lq_ymap_get(n, "phone_column")) && lq_ystr(d, c,
	    "phone_column", &t->phonecol, err))
		return -1;
	if (t->countrycol || t->citycol || t->phonecol)
		e->tiebreak = 1;
	if ((c = lq_ymap_get(n, "match"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "match", err))
			return -1;
		t->match = 0;
		for (size_t i = 0; i < c->n; i++) {
			if (lq_ystr(d, c->items[i], "match", &s, err))
				return -1;
			if (!strcmp(s, "domain"))
				t->match |= M_DOMAIN;
			else if (!strcmp(s, "parent-domain"))
				t->match |= M_PARENT;
			else if (!strcmp(s, "name") && o.namecol)
				t->match |= M_NAME;
			else if (!strcmp(s, "fuzzy-name") && o.namecol)
				t->match |= M_FUZZY;
			else
				return lq_yerr(d, c->items[i], err, "match: "
				    "expected domain, parent-domain, name or "
				    "fuzzy-name (the names need name_column), "
				    "not '%s'", s);
		}
	}
	o.name = t->name;
	o.path = t->path;
	t->o = o;
	t->index = lq_etable_index_path(&o);
	e->ntab++;
	return 0;
}

/*
 * Before anything is written: no table's index may be written over an
 * input (a table, the rule file) or be shared by two tables, compared as
 * files, not as strings; and an existing index file must be one of lq's.
 */
static int
check_indexes(struct lq_enrich *e, const char *rules, struct lq_err *err)
{
	for (int i = 0; i < e->ntab; i++) {
		struct table *t = &e->tab[i];
		const struct lq_ynode *at = t->cachenode ? t->cachenode :
		    t->pathnode;
		char what[PATH_MAX + 64];

		if (!t->index)
			continue;
		snprintf(what, sizeof(what), "%s %s", t->cachenode ?
		    "its index (cache:)" : "its default index", t->index);
		for (int j = 0; j < e->ntab; j++) {
			char whose[160];
			if (!lq_same_file(t->index, e->tab[j].path))
				continue;
			if (j == i)
				snprintf(whose, sizeof(whose), "the table's "
				    "own file");
			else
				snprintf(whose, sizeof(whose), "the file of "
				    "table '%s'", e->tab[j].name);
			return lq_yerr(&e->doc, at, err, "table '%s': %s is "
			    "%s: lq never writes over an input; set cache: to "
			    "another path", t->name, what, whose);
		}
		for (int j = 0; j < i; j++)
			if (e->tab[j].index && lq_same_file(t->index,
			    e->tab[j].index))
				return lq_yerr(&e->doc, at, err, "tables '%s' "
				    "and '%s' would write the same index %s; "
				    "set cache: to a path of its own for one of "
				    "them", e->tab[j].name, t->name, t->index);
		if (lq_same_file(t->index, rules))
			return lq_yerr(&e->doc, at, err, "table '%s': %s is "
			    "the rule file: lq never writes over an input; set "
			    "cache: to another path", t->name, what);
		if (lq_etable_index_ok(t->index, err)) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%s", err->msg);
			return lq_yerr(&e->doc, at, err, "table '%s': %s",
			    t->name, msg);
		}
	}
	return 0;
}

/*
 * The first member name of a plain path t[0..n) (.a or .a.b.c, names of
 * letters, digits and _; blanks around), malloc'd; NULL for any other
 * expression.
 */
static char *
path_head(const char *t, size_t n)
{
	size_t i = 0, h0 = 0, h1 = 0;

	while (i < n && isspace((unsigned char)t[i]))
		i++;
	while (n > i && isspace((unsigned char)t[n - 1]))
		n--;
	if (i == n)
		return NULL;
	while (i < n) {
		size_t b;
		if (t[i++] != '.' || i == n || isdigit((unsigned char)t[i]))
			return NULL;
		for (b = i; i < n && (isalnum((unsigned char)t[i]) ||
		    t[i] == '_'); i++)
			;
		if (i == b)
			return NULL;
		if (!h1) {
			h0 = b;
			h1 = i;
		}
	}
	return strndup(t + h0, h1 - h0);
}

/* a command: source (a co-process): its argv, relative to the rule file */
static int
source_command(struct lq_enrich *e, struct source *q, struct lq_ynode *c,
    struct lq_err *err)
{
	struct lq_ydoc *d = &e->doc;

	if (c->kind == LQ_Y_SCALAR)
		return lq_yerr(d, c, err, "command: a list of words "
		    "(argv, no shell), such as [python3, lookup.py]");
	if (lq_yexpect(d, c, LQ_Y_SEQ, "command", err))
		return -1;
	if (!c->n)
		return lq_yerr(d, c, err, "command: empty");
	q->argv = calloc(c->n + 1, sizeof(char *));
	for (size_t i = 0; i < c->n; i++) {
		const char *w;
		if (lq_ystr(d, c->items[i], "command", &w, err))
			return -1;
		q->argv[i] = (char *)w;
	}
	/* a relative program path is relative to the rule file */
	if (strchr(q->argv[0], '/') && q->argv[0][0] != '/') {
		q->prog = join(e->dir, q->argv[0]);
		q->argv[0] = q->prog;
	}
	q->o.argv = q->argv;
	return 0;
}

/* an http: source: its URL template, headers, rate and retries */
static int
source_http(struct lq_enrich *e, struct source *q, struct lq_ynode *h,
    struct lq_err *err)
{
	static const char *const hkeys[] = { "url", "headers", "rate",
		"retries", NULL };
	struct lq_ydoc *d = &e->doc;
	struct lq_ynode *c;
	const char *s;

	if (lq_yexpect(d, h, LQ_Y_MAP, "http", err) ||
	    lq_ymap_check(d, h, "http", hkeys, err))
		return -1;
	if (!(c = lq_ymap_get(h, "url")))
		return lq_yerr(d, h, err, "http: needs url:");
	if (lq_ystr(d, c, "url", &s, err))
		return -1;
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return lq_yerr(d, c, err, "url: must start with "
		    "http:// or https://");
	if (!strstr(s, "{key}"))
		return lq_yerr(d, c, err, "url: must hold {key}");
	q->o.url = s;
	if ((c = lq_ymap_get(h, "headers"))) {
		if (lq_yexpect(d, c, LQ_Y_MAP, "headers", err))
			return -1;
		q->headers = calloc(2 * c->n + 1, sizeof(char *));
		for (size_t i = 0; i < c->n; i++) {
			q->headers[2 * i] = c->keys[i]->str;
			if (lq_ystr(d, c->items[i], "header",
			    &q->headers[2 * i + 1], err))
				return -1;
		}
		q->o.headers = q->headers;
		q->o.nheaders = (int)c->n;
	}
	if ((c = lq_ymap_get(h, "rate")) && lq_ynum_in(d, c, "rate",
	    0, 1e6, &q->o.rate, err))
		return -1;
	q->o.retries = 2;
	if ((c = lq_ymap_get(h, "retries")) && lq_yint_in(d, c,
	    "retries", 0, 10, &q->o.retries, err))
		return -1;
	return 0;
}

static int
load_source(struct lq_enrich *e, struct lq_ynode *n, struct lq_err *err)
{
	static const char *const keys[] = { "name", "as", "key", "command",
		"http", "timeout", "startup", "budget", "ttl", "negative_ttl", "fields",
		"concurrency", "description", NULL };
	struct lq_ydoc *d = &e->doc;
	struct source *q = &e->src[e->nsrc];
	struct lq_ynode *c, *h;
	const char *by;
	char what[160];

	if (lq_ymap_check(d, n, "a source", keys, err))
		return -1;
	if (!(c = lq_ymap_get(n, "name")) || lq_ystr(d, c, "name", &q->name,
	    err))
		return c ? -1 : lq_yerr(d, n, err, "source without a name");
	q->as = q->name;
	if ((c = lq_ymap_get(n, "as")) && lq_ystr(d, c, "as", &q->as, err))
		return -1;
	if ((by = written_by(e, q->as, what, sizeof(what))))
		return lq_yerr(d, c ? c : n, err, "source '%s': '%s' is "
		    "written by %s (set as:)", q->name, q->as, by);
	for (int i = 0; i < e->nsrc; i++)
		if (!strcmp(e->src[i].name, q->name))
			return lq_yerr(d, n, err, "duplicate source name "
			    "'%s'", q->name);
	q->o.name = q->name;
	if (!(c = lq_ymap_get(n, "key")))
		return lq_yerr(d, n, err, "source '%s' has no key: (a jq "
		    "expression such as .enrich.email.domain)", q->name);
	snprintf(what, sizeof(what), "source '%s' key", q->name);
	if ((q->keyslot = lq_exprs_add_node(e->kx, d, c, what, err)) < 0)
		return -1;
	q->keyhead = path_head(c->str, c->len);
	c = lq_ymap_get(n, "command");
	h = lq_ymap_get(n, "http");
	if (!c == !h)
		return lq_yerr(d, n, err, "source '%s' needs one of command: "
		    "or http:", q->name);
	if (c ? source_command(e, q, c, err) : source_http(e, q, h, err))
		return -1;
	q->o.timeout = 5;
	q->o.startup = 10;
	if ((c = lq_ymap_get(n, "startup")) && (!q->argv || lq_ydur_in(d, c,
	    "startup", 0, 3600, &q->o.startup, err)))
		return q->argv ? -1 : lq_yerr(d, c, err, "startup: is for "
		    "command: sources");
	q->o.concurrency = 8;
	if ((c = lq_ymap_get(n, "concurrency")) && lq_yint_in(d, c,
	    "concurrency", 1, 256, &q->o.concurrency, err))
		return -1;
	q->budget = 300;
	q->ttl = LQ_WEEK;
	q->negttl = LQ_DAY;
	if ((c = lq_ymap_get(n, "timeout")) && lq_ydur_in(d, c, "timeout",
	    0.001, 3600, &q->o.timeout, err))
		return -1;
	if ((c = lq_ymap_get(n, "budget")) && lq_ydur_in(d, c, "budget",
	    0, 1e9, &q->budget, err))
		return -1;
	if ((c = lq_ymap_get(n, "ttl")) && lq_ydur(d, c, "ttl", &q->ttl, err))
		return -1;
	if ((c = lq_ymap_get(n, "negative_ttl")) && lq_ydur(d, c,
	    "negative_ttl", &q->negttl, err))
		return -1;
	if ((c = lq_ymap_get(n, "fields"))) {
		if (lq_yexpect(d, c, LQ_Y_MAP, "fields", err))
			return -1;
		q->fx = lq_exprs_new();
		q->fname = calloc(c->n + 1, sizeof(char *));
		for (size_t i = 0; i < c->n; i++) {
			const char *f = c->keys[i]->str;
			if (!strcmp(f, "source") || !strcmp(f, "key") ||
			    !strcmp(f, "as_of"))
				return lq_yerr(d, c->keys[i], err, "fields: "
				    "'%s' is the provenance lq-enrich writes",
				    f);
			snprintf(what, sizeof(what), "source '%s' field '%s'",
			    q->name, f);
			if (lq_exprs_add_node(q->fx, d, c->items[i], what,
			    err) < 0)
				return -1;
			q->fname[q->nf++] = f;
		}
		if (lq_exprs_compile_in(q->fx, d, err))
			return -1;
		q->fev = lq_eval_new(q->fx);
	}
	if (!(q->s = lq_esource_new(&q->o, err))) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return lq_yerr(d, n, err, "source '%s': %s", q->name, msg);
	}
	e->nsrc++;
	return 0;
}

void
lq_enrich_offline(struct lq_enrich *e)
{
	e->offline = 1;
}

static int
load_set(struct lq_enrich *e, struct lq_ynode *c, struct lq_err *err)
{
	struct lq_ydoc *d = &e->doc;

	if (lq_yexpect(d, c, LQ_Y_MAP, "set", err))
		return -1;
	e->setname = calloc(c->n + 1, sizeof(char *));
	for (size_t i = 0; i < c->n; i++) {
		struct lq_ynode *v = c->items[i];
		const char *name = c->keys[i]->str;
		char what[160];
		const char *by = written_by(e, name, what, sizeof(what));
		if (by)
			return lq_yerr(d, c->keys[i], err, "set: '%s' is "
			    "written by %s", name, by);
		snprintf(what, sizeof(what), "set: '%s'", name);
		if (lq_exprs_add_node(e->x, d, v, what, err) < 0)
			return -1;
		e->setname[e->nset++] = name;
	}
	if (lq_exprs_compile_in(e->x, &e->doc, err))
		return -1;
	e->ev = lq_eval_new(e->x);
	return 0;
}

void
enrich_add_name(void *arg, const char *name, size_t n)
{
	lq_fuzzy_add(arg, name, n);
}

static int
load(struct lq_enrich *e, const char *path, struct lq_buf *warn,
    struct lq_err *err)
{
	static const char *const top[] = { "data", "free", "disposable",
		"role", "typo", "titles", "countries", "fields", "tables",
		"set", "sources", "cache", "provenance", "description", NULL };
	struct lq_ydoc *d = &e->doc;
	struct lq_ynode *root, *c;
	const char *s, *slash;

	if (lq_config_section(d, path, "enrich", &root, err))
		return -1;
	if (lq_ynull(root))
		root = NULL;
	else if (lq_ymap_check(d, root, "the enrich section", top, err))
		return -1;
	slash = strrchr(path, '/');
	e->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (root && (c = lq_ymap_get(root, "data"))) {
		if (lq_ystr(d, c, "data", &s, err))
			return -1;
		e->datadir = join(e->dir, s);
	} else {
		e->datadir = strdup(getenv("LQ_DATADIR") ? getenv("LQ_DATADIR")
		    : LQ_DATADIR);
	}
	if (load_lists(e, root, err) ||
	    load_fields(e, root ? lq_ymap_get(root, "fields") : NULL, err))
		return -1;
	if (root && (c = lq_ymap_get(root, "tables"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "tables", err))
			return -1;
		e->tab = calloc(c->n + 1, sizeof(*e->tab));
		for (size_t i = 0; i < c->n; i++)
			if (load_table(e, c->items[i], warn, err))
				return -1;
	}
	if (root && (c = lq_ymap_get(root, "provenance")) &&
	    lq_ybool(d, c, "provenance", &e->provenance, err))
		return -1;
	if (root && (c = lq_ymap_get(root, "cache"))) {
		if (lq_ystr(d, c, "cache", &s, err))
			return -1;
		e->cachepath = join(e->dir, s);
		e->cachenode = c;
	}
	if (root && (c = lq_ymap_get(root, "sources"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "sources", err))
			return -1;
		e->src = calloc(c->n + 1, sizeof(*e->src));
		for (size_t i = 0; i < c->n; i++)
			if (load_source(e, c->items[i], err))
				return -1;
		if (lq_exprs_compile_in(e->kx, d, err))
			return -1;
		e->kev = lq_eval_new(e->kx);
	}
	if (root && (c = lq_ymap_get(root, "set")) && load_set(e, c, err))
		return -1;
	/* the whole section is read: now the tables and their indexes */
	if (check_indexes(e, path, err))
		return -1;
	for (int i = 0; i < e->ntab; i++) {
		struct table *t = &e->tab[i];
		if (!(t->t = lq_etable_open(&t->o, warn, err)))
			return at_node(e, t->pathnode, err);
	}
	if (e->cachepath) {
		for (int i = 0; i < e->ntab; i++)
			if (lq_same_file(e->cachepath, e->tab[i].path) ||
			    (e->tab[i].index && lq_same_file(e->cachepath,
			    e->tab[i].index)))
				return lq_yerr(d, e->cachenode, err, "cache "
				    "%s is a file of table '%s'", e->cachepath,
				    e->tab[i].name);
		if (lq_same_file(e->cachepath, path))
			return lq_yerr(d, e->cachenode, err, "cache %s is the "
			    "rule file", e->cachepath);
	}
	if (e->nsrc && !(e->cache = lq_ecache_open(e->cachepath, err)))
		return e->cachenode ? at_node(e, e->cachenode, err) : -1;
	return 0;
}

struct lq_enrich *
lq_enrich_load(const char *path, struct lq_buf *warn, struct lq_err *err)
{
	struct lq_enrich *e = calloc(1, sizeof(*e));

	if (!e)
		abort();
	e->x = lq_exprs_new();
	e->kx = lq_exprs_new();
	lq_email_init(&e->em);
	if (load(e, path, warn, err)) {
		lq_enrich_free(e);
		return NULL;
	}
	return e;
}

void
lq_enrich_free(struct lq_enrich *e)
{
	if (!e)
		return;
	for (int i = 0; e->tab && i <= e->ntab; i++) {
		lq_etable_free(e->tab[i].t);
		lq_fuzzy_free(e->tab[i].fz);
		free(e->tab[i].path);
		free(e->tab[i].cache);
		free(e->tab[i].index);
		free(e->tab[i].split);
	}
	free(e->tab);
	free(e->setname);
	lq_eval_free(e->ev);
	lq_exprs_free(e->x);
	lq_scan_release(&e->sscan);
	lq_buf_release(&e->sline);
	lq_buf_release(&e->skey);
	lq_email_lists_release(&e->lists);
	lq_titles_free(e->titles);
	lq_countries_free(e->countries);
	lq_email_release(&e->em);
	for (int i = 0; i < NFIELDS; i++)
		lq_buf_release(&e->v[i]);
	lq_buf_release(&e->scratch);
	lq_buf_release(&e->norm);
	lq_buf_release(&e->tmp);
	lq_buf_release(&e->cbuf);
	lq_buf_release(&e->rowbuf);
	lq_buf_release(&e->colv);
	lq_buf_release(&e->tb);
	lq_buf_release(&e->norm_city);
	lq_buf_release(&e->phone);
	lq_scan_release(&e->rscan);
	free(e->dir);
	free(e->datadir);
	for (int i = 0; e->src && i <= e->nsrc; i++) {
		struct source *q = &e->src[i];
		lq_esource_free(q->s);
		free(q->argv);
		free(q->prog);
		free(q->keyhead);
		free(q->headers);
		free(q->fname);
		lq_eval_free(q->fev);
		lq_exprs_free(q->fx);
		enrich_memo_clear(q);
		free(q->m);
		free(q->mslot);
		lq_buf_release(&q->marena);
		enrich_want_clear(q);
		lq_smap_release(&q->want);
		free(q->wk);
		free(q->wkn);
		free(q->res);
	}
	free(e->src);
	lq_eval_free(e->kev);
	lq_exprs_free(e->kx);
	lq_ecache_free(e->cache);
	free(e->cachepath);
	lq_scan_release(&e->ascan);
	lq_buf_release(&e->errs);
	lq_buf_release(&e->ans);
	lq_buf_release(&e->why);
	lq_buf_release(&e->kbuf);
	lq_buf_release(&e->keybuf);
	lq_buf_release(&e->prov);
	lq_yaml_release(&e->doc);
	free(e);
}
