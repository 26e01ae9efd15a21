/*
 * lqreps.h - the --reps mode of lq-train: rep win rates for lq-route.
 *
 * Included by cmd/lq-train.c only; main() starts with
 *	if (lqreps_wanted(argc, argv))
 *		return lqreps_main(argc, argv);
 * The work is in lib/reps.c; this is its option parsing and record loop.
 */
#ifndef LQREPS_H
#define LQREPS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_reps.h"
#include "lqcmd.h"

static const char lqreps_usage[] =
    "--reps --owner EXPR --outcome EXPR [--segment EXPR] [--prior K]\n"
    "       [-o FILE] [-q] [--rejects FILE] [--strict] [FILE ...]";

static const char lqreps_help[] =
"usage: lq-train --reps [options] --owner EXPR --outcome EXPR [FILE ...]\n"
"Learn per-rep, per-segment win rates from closed deals (NDJSON FILEs or\n"
"standard input) and write them as YAML for lq-route (route: performance:).\n"
"\n"
"      --owner EXPR     jq expression: the rep (a string) of a deal\n"
"      --outcome EXPR   true/1 won, false/0 lost, null (open deal: skipped)\n"
"      --segment EXPR   the deal's segment (a string), as lq-route's segment:\n"
"      --prior K        shrink rates by K deals towards the base (default 20)\n"
"  -o, --output FILE    write to FILE instead of standard output\n"
"      --rejects FILE   append bad input lines to FILE\n"
"      --strict         stop at the first bad record\n"
"  -q, --quiet          no summary on standard error\n"
"See lq-train(1) and lq-route(1).\n";

/* Is --reps among the arguments (before a "--")? */
static int
lqreps_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--reps"))
			return 1;
	return 0;
}

static int
lqreps_file(struct lq_reps *r, const char *path, FILE **rej,
    const char *rejects, int strict, long *bad)
{
	struct lq_scan scan = LQ_SCAN_INIT;
	struct lq_reader rd;
	struct lq_err err;
	char *line;
	size_t len;
	int got, status = 0;

	lq_err_clear(&err);
	if (lq_reader_open(&rd, path, &err) < 0) {
		lqcmd_warn("%s", err.msg);
		return 1;
	}
	while ((got = lq_reader_next(&rd, &line, &len, &err)) > 0) {
		if (!len)
			continue;
		lq_err_clear(&err);
		if (lq_json_scan(&scan, line, len, &err) == 0 &&
		    scan.kind != LQ_J_OBJECT)
			lq_err_set(&err, 1, "not a JSON object");
		else if (!err.code && lq_reps_add(r, line, len, &err) >= 0)
			continue;
		lqcmd_warn("%s:%ld: %s", rd.name, rd.lineno, err.msg);
		(*bad)++;
		status = 1;
		if (rejects) {
			if (!*rej && !(*rej = fopen(rejects, "a")))
				lqcmd_die(1, "%s: %s", rejects,
				    strerror(errno));
			fwrite(line, 1, len, *rej);
			fputc('\n', *rej);
		}
		if (strict)
			break;
	}
	if (got < 0) {
		lqcmd_warn("%s", err.msg);
		status = 1;
	}
	lq_reader_close(&rd);
	lq_scan_release(&scan);
	return status;
}

static int
lqreps_main(int argc, char **argv)
{
	enum { R_REPS = 0x3001, R_OWNER, R_OUTCOME, R_SEGMENT, R_PRIOR,
	    R_REJECTS, R_STRICT };
	static const struct option opts[] = {
		{ "reps", no_argument, NULL, R_REPS },
		{ "owner", required_argument, NULL, R_OWNER },
		{ "outcome", required_argument, NULL, R_OUTCOME },
		{ "segment", required_argument, NULL, R_SEGMENT },
		{ "prior", required_argument, NULL, R_PRIOR },
		{ "output", required_argument, NULL, 'o' },
		{ "rejects", required_argument, NULL, R_REJECTS },
		{ "strict", no_argument, NULL, R_STRICT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *owner = NULL, *outcome = NULL, *segment = NULL;
	const char *output = NULL, *rejects = NULL;
	struct lq_buf yaml = LQ_BUF_INIT;
	struct lq_reps *r;
	struct lq_err err;
	double prior = 20;
	int ch, quiet = 0, strict = 0, status = 0;
	long bad = 0;
	FILE *rej = NULL;
	char *end, *dash[] = { "-" }, **files;
	int nfiles;

	lqcmd_name = "lq-train";
	while ((ch = getopt_long(argc, argv, "hVqo:", opts, NULL)) != -1) {
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
				lqcmd_die(2, "--prior: not a count: '%s'",
				    optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case R_REJECTS:
			rejects = optarg;
			break;
		case R_STRICT:
			strict = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(lqreps_help, stdout);
			return lqcmd_finish(0);
		case 'V':
			lqcmd_version();
		default:
			lqcmd_usage(lqreps_usage);
		}
	}
	if (!owner || !outcome)
		lqcmd_usage(lqreps_usage);
	lq_err_clear(&err);
	if (!(r = lq_reps_new(owner, segment, outcome, prior, &err)))
		lqcmd_die_err(&err);
	files = argv + optind;
	nfiles = argc - optind;
	if (!nfiles) {
		files = dash;
		nfiles = 1;
	}
	for (int i = 0; i < nfiles && !(strict && bad); i++)
		status |= lqreps_file(r, files[i], &rej, rejects, strict, &bad);
	if (rej && fclose(rej) == EOF)
		lqcmd_die(1, "%s: write error", rejects);
	lq_reps_yaml(r, &yaml);
	if (output) {
		FILE *f = fopen(output, "w");
		if (!f || fwrite(yaml.buf, 1, yaml.len, f) != yaml.len ||
		    fclose(f) == EOF)
			lqcmd_die(1, "%s: %s", output, strerror(errno));
	} else {
		lqcmd_write(yaml.buf, yaml.len);
	}
	if (!quiet)
		lqcmd_warn("%ld deals counted, %ld skipped (no owner or open), "
		    "%ld rejected", lq_reps_counted(r), lq_reps_skipped(r),
		    bad);
	lq_buf_release(&yaml);
	lq_reps_free(r);
	return lqcmd_finish(status ? LQ_EXIT_RECORDS : 0);
}

#endif
