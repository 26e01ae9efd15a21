/*
 * lq-enrich - enrich NDJSON leads offline: email flags, title seniority and
 * department, country and time zone, company and account rows from local
 * tables, derived fields; each match says where it came from.
 */
#include <stdlib.h>
#include <string.h>

#include "lq_enrich.h"
#include "lqcmd.h"

static const char usage[] =
    "[-q] -r RULES [-k KEY] [--offline] [--rejects FILE] [--strict]\n"
    "       [--[no-]progress] [FILE ...]";

/* --help before the options */
static const char about[] =
"usage: lq-enrich [options] -r RULES [FILE ...]\n"
"Enrich NDJSON leads (FILEs or standard input) with the enrich: section of\n"
"RULES and write each lead with an \"enrich\" member: email (domain, free,\n"
"disposable, role, typo_of), title (seniority, department), country (code,\n"
"tz), one member per lookup table (the matched row with source, match and\n"
"confidence), one per live source (command or HTTP, cached in SQLite) and\n"
"the fields of set:.\n"
"\n";

#define OPT_OFFLINE LQCMD_OPT_TOOL

static const struct lqcmd_option opt[] = {
	{ 'r', "rules", "FILE", "rule file (YAML; see lq-enrich(1))" },
	{ 'k', "key", "NAME", "output member name (default: enrich)" },
	{ OPT_OFFLINE, "offline", NULL,
	    "sources: use only the cache, never look up" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-enrich(1).\n" };

struct ctx {
	struct lq_enrich *e;
	const char *key;
};

static int
enrich_one(void *arg, const struct lqcmd_rec *r, struct lq_buf *val,
    struct lq_err *err)
{
	struct ctx *c = arg;

	return lq_enrich_eval(c->e, r->line, r->len, r->scan, c->key, val,
	    err);
}

/* a window's lookups (0), its records written (1) */
static void
resolve(void *arg, int end)
{
	struct ctx *c = arg;

	if (end)
		lq_enrich_window_end(c->e);
	else
		lq_enrich_resolve(c->e);
}

/* Print each load-time warning line as "lq-enrich: ...". */
static void
print_warnings(const struct lq_buf *w)
{
	const char *p = w->buf, *nl;

	while (p && p < w->buf + w->len && (nl = strchr(p, '\n'))) {
		lqcmd_warn("%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
}

int
main(int argc, char **argv)
{
	struct lqcmd_run f = { .key = "enrich", .progress = -1 };
	struct lq_buf warn = LQ_BUF_INIT;
	struct ctx c = { 0 };
	struct lq_err err;
	const char *rules = NULL;
	int ch, status, offline = 0;

	lqcmd_init(argv, "lq-enrich");
	while ((ch = lqcmd_getopt(&opts, &f, argc, argv)) != -1) {
		if (ch == 'r')
			rules = optarg;
		else if (ch == OPT_OFFLINE)
			offline = 1;
		else
			lqcmd_usage(usage);
	}
	if (!rules)
		lqcmd_required("-r RULES", usage);

	lq_err_clear(&err);
	c.e = lq_enrich_load(rules, &warn, &err);
	print_warnings(&warn);
	lq_buf_release(&warn);
	if (!c.e)
		lqcmd_die_err(&err);
	if (offline)
		lq_enrich_offline(c.e);
	lq_enrich_window(c.e, 1);
	f.window = lq_enrich_window_size(c.e);
	f.resolve = resolve;
	c.key = f.key;
	f.fn = enrich_one;
	f.ctx = &c;
	lqcmd_run(&f, argv + optind, argc - optind);
	status = lqcmd_done(&f);
	lq_enrich_free(c.e);
	return lqcmd_finish(status);
}
