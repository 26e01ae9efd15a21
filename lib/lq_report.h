/*
 * lq_report.h - impact metrics over leads with outcomes (lq-report).
 *
 * A report reads the report: section of a rule file (or uses defaults)
 * naming, as jq expressions, where each outcome lives in a record
 * (accepted, rejected, first_contact_at, won, amount, ...), compiles all
 * of them once with the --by keys and drift features, and then takes
 * records one at a time.  It keeps aggregates per group, plus the
 * durations needed for exact quantiles and the feature values needed for
 * drift; everything else is counters.  man/lq-report.1 defines every
 * metric.
 */
#ifndef LQ_REPORT_H
#define LQ_REPORT_H

#include <stddef.h>

#include "lq_buf.h"
#include "lq_err.h"

struct lq_report;

struct lq_report_opts {
	const char *rules;	/* rule file with a report: section, or NULL */
	const char *by;		/* comma-separated group keys, or NULL */
	const char *model;	/* model file with a profile: section, or NULL */
	const char *baseline;	/* jq expression: baseline records, or NULL */
	const char *split;	/* time: created_at before it is baseline */
	const char *tz;		/* time zone of weeks and dates, or NULL */
};

/*
 * Load the configuration and compile every expression.  Returns a new
 * report, or NULL with err set (code LQ_EXIT_USAGE, "file:line:col: ...").
 */
struct lq_report *lq_report_new(const struct lq_report_opts *o,
    struct lq_err *err);

/* Free a report. */
void lq_report_free(struct lq_report *r);

/*
 * Add the record line[0..len) (already validated as a JSON object).
 * Returns 0, or -1 with err set when it cannot be read as a record (the
 * caller treats it as a bad record).
 */
int lq_report_add(struct lq_report *r, const char *line, size_t len,
    struct lq_err *err);

/*
 * Append the aligned text tables (groups, total, drift and, when alerts is
 * set, the alerts).
 */
void lq_report_text(struct lq_report *r, struct lq_buf *out, int alerts);

/*
 * Append the report as NDJSON rows: one "group" row per group, a "total"
 * row, "drift" and "fill" rows, and (when alerts is set) "alert" rows.
 */
void lq_report_json(struct lq_report *r, struct lq_buf *out, int alerts);

/* Append only the alert rows (NDJSON); returns how many. */
int lq_report_alerts(struct lq_report *r, struct lq_buf *out);

/*
 * Append one SVG document with the charts (lq-report(1), CHARTS): a header
 * with the date range and sample size, then each chart in a grid.
 */
void lq_report_svg(struct lq_report *r, struct lq_buf *out);

/*
 * Append a self-contained HTML report: header, the group tables, each
 * chart as inline SVG, the definitions; no scripts, nothing external.
 */
void lq_report_html(struct lq_report *r, struct lq_buf *out);

#endif
