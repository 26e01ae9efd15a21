/*
 * lqreps.c - the --reps mode of lq-train: rep win rates for lq-route.
 * The work is in lib/reps.c; this is its option parsing and record loop.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_reps.h"
#include "lqcmd.h"
#include "lqreps.h"

static const char lqreps_usage[] =
    "--reps --owner EXPR --outcome EXPR [--segment EXPR] [--prior K]\n"
    "       [-o FILE] [-q] [--rejects FILE] [--strict] [FILE ...]";

/* --help before the options */
static const char about[] =
"usage: lq-train --reps [options] --owner EXPR --outcome EXPR [FILE ...]\n"
"Learn per-rep, per-segment win rates from closed deals (NDJSON FILEs or\n"
"standard input) and write them as YAML for lq-route (route: performance:).\n"
"\n";

enum { R_REPS = LQCMD_OPT_TOOL, R_OWNER, R_OUTCOME, R_SEGMENT, R_PRIOR };

static const struct lqcmd_option opt[] = {
	{ R_REPS, "reps", NULL, NULL },	/* how lq-train came here */
	{ R_OWNER, "owner", "EXPR",
	    "jq expression: the rep (a string) of a deal" },
	{ R_OUTCOME, "outcome", "EXPR",
	    "true/1 won, false/0 lost, null (open deal: skipped)" },
	{ R_SEGMENT, "segment", "EXPR",
	    "the deal's segment (a string), as lq-route's segment:" },
	{ R_PRIOR, "prior", "K",
	    "shrink rates by K deals towards the base (default 20)" },
	{ 'o', "output", "FILE", "write to FILE instead of standard output" },
	{ 0 }
};

static const struct lqcmd_options opts = { lqreps_usage, about, opt,
    "See lq-train(1) and lq-route(1).\n" };

/* Is --reps among the arguments (before a "--")? */
int
lqreps_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--reps"))
			return 1;
	return 0;
}

static int
lqreps_add(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	(void)val;
	return lq_reps_add(ctx, rec->line, rec->len, err);
}

int
lqreps_main(int argc, char **argv)
{
	const char *owner = NULL, *outcome = NULL, *segment = NULL;
	const char *output = NULL;
	struct lqcmd_run run = { .progress = -1 };
	struct lq_buf yaml = LQ_BUF_INIT;
	struct lq_reps *r;
	struct lq_err err;
	double prior = 20;
	int ch, status;
	char *end;

	while ((ch = lqcmd_getopt(&opts, &run, argc, argv)) != -1) {
		switch (ch) {
		case R_REPS:
			break;
		case R_OWNER:
			owner = optarg;
			break;
		case R_OUTCOME:
			outcome = optarg;
			break;
		case R_SEGMENT:
			segment = optarg;
			break;
		case R_PRIOR:
			prior = strtod(optarg, &end);
			if (*end || !(prior >= 0))
				lqcmd_die(LQ_EXIT_USAGE, "--prior: not a count: "
				    "'%s'", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		default:
			lqcmd_usage(lqreps_usage);
		}
	}
	if (!owner || !outcome)
		lqcmd_required(!owner ? "--owner EXPR" : "--outcome EXPR",
		    lqreps_usage);
	lq_err_clear(&err);
	if (!(r = lq_reps_new(owner, segment, outcome, prior, &err)))
		lqcmd_die_err(&err);
	run.fn = lqreps_add;
	run.ctx = r;
	lqcmd_run(&run, argv + optind, argc - optind);
	status = lqcmd_done(&run);
	if (status != LQ_EXIT_IO) {
		lq_reps_yaml(r, &yaml);
		if (!output)
			lqcmd_write(yaml.buf, yaml.len);
		else if (lqcmd_write_file(output, &yaml))
			status = LQ_EXIT_IO;
		if (!run.quiet) {
			struct lq_reps_counts n = lq_reps_counts(r);
			lqcmd_warn("%ld deals counted, %ld skipped (no owner or "
			    "open)", n.counted, n.skipped);
		}
	}
	lq_buf_release(&yaml);
	lq_reps_free(r);
	return lqcmd_finish(status);
}
