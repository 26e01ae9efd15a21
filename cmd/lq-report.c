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
    "[-jq] [-r RULES] [-b KEYS] [--svg FILE] [--html FILE] [--alerts FILE]\n"
    "       [-m MODEL] [--baseline EXPR | --split TIME] [--tz ZONE]\n"
"       [--rejects FILE] "
    "[--strict] [FILE ...]";

/* --help before the options */
static const char about[] =
"usage: lq-report [options] [FILE ...]\n"
"Read NDJSON leads with their outcomes (FILEs or standard input) and report\n"
"the sales-accepted-lead rate, speed to contact, false positives,\n"
"conversion, pipeline, velocity and meetings per group, plus drift.\n"
"\n";

enum { O_SVG = LQCMD_OPT_TOOL, O_ALERTS, O_BASELINE, O_SPLIT, O_TZ, O_HTML };

static const struct lqcmd_option opt[] = {
	{ 'r', "rules", "FILE",
	    "rule file with a report: section (fields, groups,\n"
	    "tiers, drift thresholds); default field names\n"
	    "without it" },
	{ 'b', "by", "KEYS",
	    "group by comma-separated keys: tier, owner, source,\n"
	    "segment, week, a group named in the rule file, a\n"
	    "field path (company.industry) or .jq (default: tier)" },
	{ 'j', "json", NULL, "NDJSON rows instead of the text tables" },
	{ O_SVG, "svg", "FILE",
	    "write the charts as one SVG document to FILE" },
	{ O_HTML, "html", "FILE",
	    "write a self-contained HTML report (tables, inline\n"
	    "SVG charts, definitions) to FILE" },
	{ O_ALERTS, "alerts", "FILE",
	    "write drift and fill-rate alerts (NDJSON) to FILE" },
	{ 'm', "model", "FILE",
	    "drift against the profile: of a model file (with\n"
	    "--baseline or --split: of its features between\n"
	    "the periods)" },
	{ O_BASELINE, "baseline", "EXPR",
	    "drift: leads for which EXPR is true are the baseline" },
	{ O_SPLIT, "split", "TIME",
	    "drift: leads created before TIME are the baseline" },
	{ O_TZ, "tz", "ZONE",
	    "weeks and dates in this time zone (Asia/Kolkata;\n"
	    "default: the section's tz:, else UTC)" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-report(1).\n" };

static int
add_one(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	(void)val;
	return lq_report_add(ctx, rec->line, rec->len, err);
}

int
main(int argc, char **argv)
{
	struct lqcmd_run f = { .progress = -1 };
	struct lq_report_opts o = { 0 };
	struct lq_report *r;
	struct lq_buf out = LQ_BUF_INIT;
	struct lq_err err;
	const char *svg = NULL, *html = NULL, *alerts = NULL;
	int ch, json = 0, status;

	lqcmd_init(argv, "lq-report");
	while ((ch = lqcmd_getopt(&opts, &f, argc, argv)) != -1) {
		switch (ch) {
		case 'r': o.rules = optarg; break;
		case 'b': o.by = optarg; break;
		case 'j': json = 1; break;
		case 'm': o.model = optarg; break;
		case O_SVG: svg = optarg; break;
		case O_ALERTS: alerts = optarg; break;
		case O_BASELINE: o.baseline = optarg; break;
		case O_SPLIT: o.split = optarg; break;
		case O_TZ: o.tz = optarg; break;
		case O_HTML: html = optarg; break;
		default: lqcmd_usage(usage);
		}
	}
	lq_err_clear(&err);
	if (!(r = lq_report_new(&o, &err)))
		lqcmd_die_err(&err);

	f.fn = add_one;
	f.ctx = r;
	lqcmd_run(&f, argv + optind, argc - optind);
	status = lqcmd_done(&f);

	if (json)
		lq_report_json(r, &out, alerts == NULL);
	else
		lq_report_text(r, &out, alerts == NULL);
	lqcmd_write(out.buf ? out.buf : "", out.len);
	if (svg) {
		lq_buf_reset(&out);
		lq_report_svg(r, &out);
		if (lqcmd_write_file(svg, &out))
			status = LQ_EXIT_IO;
	}
	if (html) {
		lq_buf_reset(&out);
		lq_report_html(r, &out);
		if (lqcmd_write_file(html, &out))
			status = LQ_EXIT_IO;
	}
	if (alerts) {
		lq_buf_reset(&out);
		lq_report_alerts(r, &out);
		if (lqcmd_write_file(alerts, &out))
			status = LQ_EXIT_IO;
	}
	lq_buf_release(&out);
	lq_report_free(r);
	return lqcmd_finish(status);
}
