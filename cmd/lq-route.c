/*
 * lq-route - give every scored lead to the right rep, with an SQLite ledger.
 */
#include <stdlib.h>
#include <string.h>

#include "lq_ledger.h"
#include "lq_route.h"
#include "lq_time.h"
#include "lqcmd.h"

static const char usage[] =
    "[-q] -r RULES [-k KEY] [--state FILE [--dry-run] [--reassign]]\n"
    "       [--now TIME | --time-field NAME] [--id-field NAME] [--batch N]\n"
    "       [--performance FILE]\n"
    "       [--rejects FILE] [--strict] [--[no-]progress] [FILE ...]";

static const char help[] =
"usage: lq-route [options] -r RULES [FILE ...]\n"
"Route scored NDJSON leads (FILEs or standard input) with the route:\n"
"section of RULES and write each lead with a \"route\" member: owner,\n"
"team, queue, reason and contact_by.\n"
"\n"
"  -r, --rules FILE       rule file (YAML; see lq-route(1))\n"
"  -s, --state FILE       SQLite ledger: assignments are recorded there,\n"
"                         capacity is counted from it, a lead routed before\n"
"                         keeps its owner (default: capacity within this run)\n"
"  -n, --dry-run          read the ledger, write nothing to it\n"
"      --reassign         route leads already in the ledger again\n"
"      --now TIME         routing time (RFC 3339 or epoch; default: clock)\n"
"      --time-field NAME  routing time from the lead's member NAME\n"
"      --id-field NAME    member holding the lead id (default: id)\n"
"      --batch N          leads per ledger transaction at most (default 256)\n"
"      --performance FILE rep win rates from lq-train --reps (instead of\n"
"                         the rule file's performance:)\n"
"  -k, --key NAME         output member name (default: route)\n"
LQCMD_HELP_COMMON LQCMD_HELP_EXIT
"See lq-route(1).\n";

enum { OPT_NOW = 0x2001, OPT_TFIELD, OPT_IDFIELD, OPT_BATCH, OPT_REASSIGN,
	OPT_PERF };

struct ctx {
	struct lq_route *rt;
	struct lq_ledger *lg;
	const char *key, *tfield;
	double now;
	int fixed, writes;
	long batch, pending;
};

static void
commit(struct ctx *c)
{
	struct lq_err err;

	lq_err_clear(&err);
	if (lq_ledger_commit(c->lg, &err) < 0) {
		err.code = LQ_EXIT_IO;	/* input was read: output incomplete */
		lqcmd_die_err(&err);
	}
	c->pending = 0;
}

/* the writer's hook: output leaves only after its assignments are durable */
static int
before_write(void *arg)
{
	struct ctx *c = arg;

	if (lq_ledger_in_txn(c->lg))
		commit(c);
	return 0;
}

static int
route_one(void *arg, const struct lqcmd_rec *r, struct lq_buf *val,
    struct lq_err *err)
{
	struct ctx *c = arg;
	double t = c->now;

	if (c->tfield) {
		if (lq_route_lead_time(r->line, r->scan, c->tfield, &t) < 0)
			return lq_err_set(err, LQ_EXIT_RECORDS, "no time in "
			    "member '%s'", c->tfield);
	} else if (!c->fixed) {
		t = lq_time_now();
	}
	if (lq_route_eval(c->rt, r->line, r->len, r->scan, t, c->key, val,
	    err) < 0) {
		if (err->code == LQ_EXIT_USAGE)
			err->code = LQ_EXIT_IO;	/* the ledger failed */
		return -1;
	}
	if (c->writes && ++c->pending >= c->batch)
		commit(c);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		LQCMD_FILTER_OPTIONS,
		{ "rules", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "reassign", no_argument, NULL, OPT_REASSIGN },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "time-field", required_argument, NULL, OPT_TFIELD },
		{ "id-field", required_argument, NULL, OPT_IDFIELD },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "performance", required_argument, NULL, OPT_PERF },
		{ NULL, 0, NULL, 0 }
	};
	struct lqcmd_run f = { .key = "route", .progress = -1 };
	struct ctx c = { .batch = 256 };
	struct lq_err err;
	const char *rules = NULL, *now = NULL, *state = NULL, *idf = NULL;
	const char *perf = NULL;
	int ch, status, dry = 0, reassign = 0;
	char *end;

	lqcmd_init(argv, "lq-route");
	while ((ch = getopt_long(argc, argv, "hVk:qr:s:n", opts, NULL)) != -1) {
		if (lqcmd_opt(&f, ch, optarg, help))
			continue;
		switch (ch) {
		case 'r':
			rules = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case OPT_REASSIGN:
			reassign = 1;
			break;
		case OPT_NOW:
			now = optarg;
			break;
		case OPT_TFIELD:
			c.tfield = optarg;
			break;
		case OPT_IDFIELD:
			idf = optarg;
			break;
		case OPT_PERF:
			perf = optarg;
			break;
		case OPT_BATCH:
			c.batch = strtol(optarg, &end, 10);
			if (*end || c.batch < 1)
				lqcmd_die(LQ_EXIT_USAGE, "--batch: not a "
				    "positive count: '%s'", optarg);
			break;
		default:
			lqcmd_usage(usage);
		}
	}
	if (!rules)
		lqcmd_required("-r RULES", usage);
	if (now && c.tfield)
		lqcmd_die(LQ_EXIT_USAGE, "--now and --time-field: one or the "
		    "other");
	if ((dry || reassign) && !state)
		lqcmd_required(dry ? "--state FILE (for --dry-run)" :
		    "--state FILE (for --reassign)", usage);
	if (now && lq_time_parse(now, strlen(now), &c.now) < 0)
		lqcmd_die(LQ_EXIT_USAGE, "--now: not a time: '%s'", now);
	if (now && !lq_route_time_valid(c.now))
		lqcmd_die(LQ_EXIT_USAGE, "--now: out of range (from 1970 to "
		    "8999): '%s'", now);
	c.fixed = now != NULL;

	lq_err_clear(&err);
	if (!(c.rt = lq_route_load(rules, perf, &err)))
		lqcmd_die_err(&err);
	if (idf)
		lq_route_set_id_field(c.rt, idf);
	if (state) {
		if (!(c.lg = lq_ledger_open(state, dry, 600000, &err))) {
			lq_route_free(c.rt);
			lqcmd_die_err(&err);
		}
		lq_route_set_ledger(c.rt, c.lg, dry, reassign);
		c.writes = !dry;
		if (c.writes) {
			lqcmd_out.before_write = before_write;
			lqcmd_out.before_arg = &c;
		}
	}
	c.key = f.key;
	f.fn = route_one;
	f.ctx = &c;
	lqcmd_run(&f, argv + optind, argc - optind);
	status = lqcmd_done(&f);
	if (c.writes) {
		commit(&c);
		lqcmd_out.before_write = NULL;
	}
	lq_ledger_close(c.lg);
	lq_route_free(c.rt);
	return lqcmd_finish(status);
}
