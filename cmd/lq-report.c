/*
 * lq-report - impact metrics over leads with outcomes: sales-accepted-lead
 * rate, speed to contact, false positives, conversion, pipeline, velocity,
 * meetings and drift, as a text table, NDJSON rows and SVG charts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_report.h"
#include "lqcmd.h"

static const char usage[] =
    "[-jq] [-r RULES] [-b KEYS] [--svg FILE] [--alerts FILE]\n"
    "       [-m MODEL] [--baseline EXPR | --split TIME] [--rejects FILE] "
    "[--strict] [FILE ...]";

static const char help[] =
"usage: lq-report [options] [FILE ...]\n"
"Read NDJSON leads with their outcomes (FILEs or standard input) and report\n"
"the sales-accepted-lead rate, speed to contact, false positives,\n"
"conversion, pipeline, velocity and meetings per group, plus drift.\n"
"\n"
"  -r, --rules FILE     rule file with a report: section (fields, groups,\n"
"                       tiers, drift thresholds); default field names\n"
"                       without it\n"
"  -b, --by KEYS        group by comma-separated keys: tier, owner, source,\n"
"                       segment, week, a group named in the rule file, a\n"
"                       field path (company.industry) or .jq (default: tier)\n"
"  -j, --json           NDJSON rows instead of the text tables\n"
"      --svg FILE       write the charts as SVG to FILE\n"
"      --alerts FILE    write drift and fill-rate alerts (NDJSON) to FILE\n"
"  -m, --model FILE     drift against the profile: of a model file (with\n"
"                       --baseline or --split: of its features between\n"
"                       the periods)\n"
"      --baseline EXPR  drift: leads for which EXPR is true are the baseline\n"
"      --split TIME     drift: leads created before TIME are the baseline\n"
"      --rejects FILE   append bad input lines to FILE\n"
"      --strict         stop at the first bad record\n"
"  -q, --quiet          no end-of-run summary on stderr\n"
"  -h, --help           this help\n"
"  -V, --version        version\n"
"\n"
"Exit status: 0 report written, 1 some records rejected or an I/O error,\n"
"2 usage, rule or model file error.  See lq-report(1).\n";

enum { O_SVG = 0x2001, O_ALERTS, O_BASELINE, O_SPLIT };

static void
reject(const char *rejects, FILE **rf, const char *file, long lineno,
    const char *line, size_t len, const char *msg)
{
	lqcmd_warn("%s:%ld: %s", file, lineno, msg);
	if (!rejects)
		return;
	if (!*rf && !(*rf = fopen(rejects, "a")))
		lqcmd_die(LQ_EXIT_RECORDS, "%s: %s", rejects, strerror(errno));
	fwrite(line, 1, len, *rf);
	fputc('\n', *rf);
}

/* read every record into r; returns the number rejected, or -1 (I/O) */
static long
read_all(struct lq_report *r, char **files, int nfiles, const char *rejects,
    int strict, int *ioerr, long *records)
{
	struct lq_scan scan = LQ_SCAN_INIT;
	struct lq_err err;
	FILE *rf = NULL;
	char *dash[] = { "-" }, *line;
	size_t len;
	long bad = 0;
	int got;

	if (nfiles == 0) {
		files = dash;
		nfiles = 1;
	}
	for (int i = 0; i < nfiles && !(strict && bad); i++) {
		struct lq_reader rd;
		lq_err_clear(&err);
		if (lq_reader_open(&rd, files[i], &err) < 0) {
			lqcmd_warn("%s", err.msg);
			*ioerr = 1;
			continue;
		}
		while ((got = lq_reader_next(&rd, &line, &len, &err)) > 0) {
			const char *msg = NULL;
			if (len == 0)
				continue;
			(*records)++;
			lq_err_clear(&err);
			if (lq_json_scan(&scan, line, len, &err) < 0)
				msg = err.msg;
			else if (scan.kind != LQ_J_OBJECT)
				msg = "not a JSON object";
			else if (lq_report_add(r, line, len, &err) < 0)
				msg = err.msg;
			if (msg) {
				reject(rejects, &rf, rd.name, rd.lineno, line,
				    len, msg);
				if (++bad && strict)
					break;
			}
		}
		if (got < 0) {
			lqcmd_warn("%s", err.msg);
			*ioerr = 1;
		}
		lq_reader_close(&rd);
	}
	if (rf && fclose(rf) == EOF)
		lqcmd_die(LQ_EXIT_RECORDS, "%s: write error", rejects);
	lq_scan_release(&scan);
	return bad;
}

static int
write_file(const char *path, const struct lq_buf *b)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(b->buf ? b->buf : "", 1, b->len, f) != b->len ||
	    fclose(f) == EOF) {
		lqcmd_warn("%s: %s", path, strerror(errno));
		return LQ_EXIT_RECORDS;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rejects", required_argument, NULL, LQCMD_OPT_REJECTS },
		{ "strict", no_argument, NULL, LQCMD_OPT_STRICT },
		{ "rules", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "model", required_argument, NULL, 'm' },
		{ "svg", required_argument, NULL, O_SVG },
		{ "alerts", required_argument, NULL, O_ALERTS },
		{ "baseline", required_argument, NULL, O_BASELINE },
		{ "split", required_argument, NULL, O_SPLIT },
		{ NULL, 0, NULL, 0 }
	};
	struct lqcmd_filter f = { .key = "report" };
	struct lq_report_opts o = { 0 };
	struct lq_report *r;
	struct lq_buf out = LQ_BUF_INIT;
	struct lq_err err;
	const char *svg = NULL, *alerts = NULL;
	long bad, records = 0;
	int ch, json = 0, ioerr = 0, status = 0;

	lqcmd_name = "lq-report";
	while ((ch = getopt_long(argc, argv, "hVqr:b:jm:", opts, NULL)) != -1) {
		if (ch != 'k' && lqcmd_filter_opt(&f, ch, optarg, help))
			continue;
		switch (ch) {
		case 'r': o.rules = optarg; break;
		case 'b': o.by = optarg; break;
		case 'j': json = 1; break;
		case 'm': o.model = optarg; break;
		case O_SVG: svg = optarg; break;
		case O_ALERTS: alerts = optarg; break;
		case O_BASELINE: o.baseline = optarg; break;
		case O_SPLIT: o.split = optarg; break;
		default: lqcmd_usage(usage);
		}
	}
	lq_err_clear(&err);
	if (!(r = lq_report_new(&o, &err)))
		lqcmd_die_err(&err);

	bad = read_all(r, argv + optind, argc - optind, f.rejects, f.strict,
	    &ioerr, &records);
	if (bad && !f.quiet)
		lqcmd_warn("%ld of %ld records rejected%s%s%s", bad, records,
		    f.rejects ? " (kept in " : "", f.rejects ? f.rejects : "",
		    f.rejects ? ")" : "");
	if (bad || ioerr)
		status = LQ_EXIT_RECORDS;

	if (json)
		lq_report_json(r, &out, alerts == NULL);
	else
		lq_report_text(r, &out);
	lqcmd_write(out.buf ? out.buf : "", out.len);
	if (svg) {
		lq_buf_reset(&out);
		lq_report_svg(r, &out);
		status |= write_file(svg, &out);
	}
	if (alerts) {
		lq_buf_reset(&out);
		lq_report_alerts(r, &out);
		status |= write_file(alerts, &out);
	}
	lq_buf_release(&out);
	lq_report_free(r);
	return lqcmd_finish(status);
}
