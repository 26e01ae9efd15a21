/*
 * lq-score - score NDJSON leads into tiers L1..L4 with confidence and reasons.
 */
#include <stdlib.h>
#include <string.h>

#include "lq_model.h"
#include "lq_score.h"
#include "lq_time.h"
#include "lqcmd.h"

static const char usage[] =
    "[-q] -r RULES | -m MODEL [-k KEY] [--now TIME] [--explain]\n"
    "       [--reasons top|all]\n"
    "       [--rejects FILE] [--strict] [--[no-]progress] [FILE ...]";

/* --help before the options */
static const char about[] =
"usage: lq-score [options] -r RULES [FILE ...]\n"
"Score NDJSON leads (FILEs or standard input) with the score: section of\n"
"RULES and write each lead with a \"score\" member: points, tier (L1..L4),\n"
"confidence, action (route, review, nurture), groups and reasons.\n"
"\n";

enum { O_NOW = LQCMD_OPT_TOOL, O_EXPLAIN, O_REASONS };

static const struct lqcmd_option opt[] = {
	{ 'r', "rules", "FILE", "rule file (YAML; see lq-rules(5))" },
	{ 'm', "model", "FILE",
	    "score with a model from lq-train(1): probability,\n"
	    "tier from its cut-offs, reasons in words; with\n"
	    "-r too, the rules' disqualifiers decide first" },
	{ O_REASONS, "reasons", "WHICH",
	    "top (default: 3 up, 3 down) or all features" },
	{ 'k', "key", "NAME", "output member name (default: score)" },
	{ O_NOW, "now", "TIME",
	    "time that decay is computed against (RFC 3339 or\n"
	    "epoch seconds; default: the clock)" },
	{ O_EXPLAIN, "explain", NULL,
	    "list each rule, how it is evaluated (native or\n"
	    "jq) and the paths it requires, then exit" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-score(1).\n" };

struct ctx {
	struct lq_score *sc;
	struct lq_model *m;
	const char *key;
};

static int
score_one(void *arg, const struct lqcmd_rec *r, struct lq_buf *val,
    struct lq_err *err)
{
	struct ctx *c = arg;

	if (c->m)
		return lq_model_eval(c->m, r->line, r->len, c->key, val, err);
	return lq_score_eval(c->sc, r->line, r->len, r->scan, c->key, val, err);
}

int
main(int argc, char **argv)
{
	struct lqcmd_run f = { .key = "score", .progress = -1 };
	struct ctx c = { 0 };
	struct lq_err err;
	const char *rules = NULL, *now = NULL, *model = NULL;
	double t = 0;
	int ch, status, explain = 0, all = 0;

	lqcmd_init(argv, "lq-score");
	while ((ch = lqcmd_getopt(&opts, &f, argc, argv)) != -1) {
		switch (ch) {
		case 'r':
			rules = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case O_NOW:
			now = optarg;
			break;
		case O_EXPLAIN:
			explain = 1;
			break;
		case O_REASONS:
			if (strcmp(optarg, "top") && strcmp(optarg, "all"))
				lqcmd_die(LQ_EXIT_USAGE, "--reasons: top or all, "
				    "not '%s'", optarg);
			all = !strcmp(optarg, "all");
			break;
		default:
			lqcmd_usage(usage);
		}
	}
	if (!rules && !model)
		lqcmd_required("-r RULES (or -m MODEL)", usage);
	if (now && lq_time_parse(now, strlen(now), &t) < 0)
		lqcmd_die(LQ_EXIT_USAGE, "--now: not a time: '%s'", now);

	lq_err_clear(&err);
	if (rules && !(c.sc = lq_score_load(rules, &err)))
		lqcmd_die_err(&err);
	if (now && c.sc)
		lq_score_set_now(c.sc, t);
	if (model && !(c.m = lq_model_load(model, c.sc, &err)))
		lqcmd_die_err(&err);
	if (c.m)
		c.m->all_reasons = all;
	if (explain) {
		struct lq_buf b = LQ_BUF_INIT;
		if (c.sc)
			lq_score_explain(c.sc, &b);
		lqcmd_write(b.buf ? b.buf : "", b.len);
		lq_buf_release(&b);
		lq_model_free(c.m);
		lq_score_free(c.sc);
		return lqcmd_finish(0);
	}
	c.key = f.key;
	f.fn = score_one;
	f.ctx = &c;
	lqcmd_run(&f, argv + optind, argc - optind);
	status = lqcmd_done(&f);
	if (c.sc && !c.m && !f.quiet) {
		/* fields whose values had more than one type */
		struct lq_buf b = LQ_BUF_INIT;
		lq_score_summary(c.sc, &b);
		if (b.len)	/* after the records (a failure shows at
				 * lqcmd_finish) */
			lq_writer_flush(&lqcmd_out);
		for (char *l = b.buf, *e; l && *l; l = e + 1) {
			e = strchr(l, '\n');
			*e = 0;
			lqcmd_warn("%s", l);
		}
		lq_buf_release(&b);
	}
	lq_model_free(c.m);
	lq_score_free(c.sc);
	return lqcmd_finish(status);
}
