/*
 * report_int.h - lq-report internals shared by report.c (configuration and
 * aggregation), report_drift.c (PSI, fill rates, alerts) and report_out.c
 * (text, NDJSON and SVG output).  Not a public interface.
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include <jv.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_expr.h"
#include "lq_report.h"
#include "lq_stats.h"
#include "lq_yaml.h"

/* the outcome fields a report: section may name */
enum {
	F_TIER, F_OWNER, F_SOURCE, F_SEGMENT, F_CREATED, F_HANDED,
	F_ACCEPTED, F_REJECTED, F_ACCEPTED_AT, F_CONTACT, F_OPPORTUNITY,
	F_WON, F_LOST, F_AMOUNT, F_CLOSED, F_MEETING, F_PROBABILITY,
	F_POINTS, F_CAPACITY, F_NFIELDS
};

extern const char *const lq_report_fields[F_NFIELDS + 1];

/*
 * what a metric needs: each is computable (ok[] set by lq_report_avail)
 * when its fields are configured and some record had a value for them
 */
enum {
	A_HANDED, A_ACCEPTED, A_REJECTED, A_CREATED, A_CONTACT, A_ACCEPT_T,
	A_TIER, A_FP, A_MISSED, A_OPP, A_WON, A_LOST, A_WIN_RATE, A_OPEN,
	A_WON_VALUE, A_PIPELINE, A_CYCLE, A_VELOCITY, A_MEETINGS, A_MPW,
	A_PROB, A_N
};

#define KEY_WEEK (-2)		/* group key: ISO week of created_at */
#define NONE_LABEL "(none)"

/* aggregates of one group */
struct agg {
	char *key;		/* labels joined by '\037' */
	long leads, handed, accepted, rejected;
	long no_created, contacted, no_contact, bad_times;
	long under60, under300, under3600;
	struct lq_vals contact;	/* seconds from creation to first contact */
	struct lq_vals accept;	/* seconds from creation to acceptance */
	long high, low, false_pos, missed;
	long opps, won, lost, open, won_amounts, open_amounts;
	double won_value, pipeline_value;
	struct lq_vals cycle;	/* days from creation to close, won */
	long meetings;
	double capacity;	/* largest weekly capacity recorded, or 0 */
	long cap_seen;		/* leads that recorded a capacity */
};

struct grouping {
	int nkeys;
	char **names;		/* key names (owned) */
	int *slot;		/* expression slot, or KEY_WEEK */
	struct agg **tab;	/* open addressing on key */
	size_t cap, n;
	int lite;		/* counters only, no durations (charts) */
};

/* a categorical tally */
struct tally {
	char **label;
	long *n;
	int len, cap;
};

struct feat {
	char *name;
	int slot;
	/* expected distribution from a model profile */
	int model, cat;
	double *edges;
	int nedges;
	char **levels;
	int nlev;
	double *share;
	/* observed values: [0] baseline, [1] current */
	struct lq_vals num[2];
	struct tally tal[2];
	long missing[2], n[2];
	/* result */
	double psi;
	int nbins;
	int done;
};

struct fill {
	char *name;
	int slot;
	long n[2], filled[2];
};

/* model health of one period: predictions against known outcomes */
struct hset {
	char *key;		/* "all", an ISO week, "baseline", "current" */
	int idx, week;
	long leads, no_prob, no_outcome, n, pos;
	long *cal_n, *cal_pos;	/* per calibration bin */
	double *cal_sum;
	double auc, logloss, brier, ece;
	const char *why;	/* nothing to measure */
	const char *why_auc;	/* no AUC: one outcome class only */
};

struct lq_report {
	struct lq_ydoc doc, mdoc;
	int have_doc, have_mdoc;
	struct lq_exprs *x;
	struct lq_eval *ev;	/* x on each record, natively where it can */
	struct lq_scan scan;	/* the record's members and tape */
	int fslot[F_NFIELDS];	/* -1: not configured */
	struct grouping by, total, tiers, weeks;
	/* for the charts: --by keys with tier, with week; owner */
	struct grouping bytier, byweek, owners;
	int series;		/* charts draw one series per --by group */
	char **tier_levels;	/* shown even when empty */
	int ntier_levels;
	char **high;		/* tiers counted as high (L1, L2) */
	int nhigh;
	/* drift */
	int mode;		/* 0 none, 1 baseline expr, 2 split, 3 model */
	int base_slot;
	double split;
	struct feat *feat;
	int nfeat;
	struct fill *fill;
	int nfill;
	double psi_warn, psi_alert, fill_min, fill_drop;
	long period_n[2], unperiod;
	/* calibration bins of predicted probability */
	long cal_n[10], cal_won[10];
	double cal_sum[10];
	/* gains: leads and wins per percent of predicted probability */
	long pct_n[101], pct_won[101];
	double tmin, tmax;	/* created_at span */
	long records;
	long seen[F_NFIELDS];	/* records with a value (not null) */
	char ok[A_N];		/* metric computable */
	/* model health: sets[0] is all leads */
	struct hset *hs;
	int nhs, h_last, h_done, h_ref, h_bins;
	long h_min;
	double h_auc_min, h_auc_drop, h_ece_max;
	double *h_p;		/* probability of each lead measured */
	unsigned char *h_y, *h_per;	/* its outcome (1 won), period */
	int *h_w;		/* its week's set */
	size_t h_n, h_cap;
	char *tz;		/* time zone of weeks and dates, NULL: UTC */
	int finished;		/* drift computed, weeks filled in */
	struct lq_buf scratch;
};

/* report.c */
struct agg *lq_report_group(struct grouping *g, const char *key);
void lq_report_sort(struct grouping *g, struct agg ***out, size_t *n);
double lq_report_weeks(const struct lq_report *r);
void lq_report_avail(struct lq_report *r);
const char *lq_report_why(const struct lq_report *r, int field);
double lq_report_local(const struct lq_report *r, double t);
void lq_report_time(const struct lq_report *r, char *buf, size_t n, double t);

/* report_drift.c */
int lq_report_drift_load(struct lq_report *r, const struct lq_ynode *drift,
    const char *model, struct lq_err *err);
void lq_report_drift_add(struct lq_report *r, int period);
void lq_report_drift_finish(struct lq_report *r);
void lq_report_drift_free(struct lq_report *r);
int lq_report_alert_rows(struct lq_report *r, struct lq_buf *out);
jv lq_report_first(struct lq_report *r, int slot);
void lq_report_alert(struct lq_buf *o, const char *level, const char *check,
    const char *name, double value, double threshold, const char *msg);

/* report_health.c */
int lq_report_health_load(struct lq_report *r, const struct lq_ynode *h,
    struct lq_err *err);
void lq_report_health_add(struct lq_report *r, const char *week, double p,
    int y, int period);
void lq_report_health_finish(struct lq_report *r);
int lq_report_health_on(struct lq_report *r);
void lq_report_health_free(struct lq_report *r);
int lq_report_health_alerts(struct lq_report *r, struct lq_buf *o);
void lq_report_health_json(struct lq_report *r, struct lq_buf *o);
void lq_report_health_out(struct lq_report *r, struct lq_buf *o, int html);

/* report_out.c helpers */
void lq_report_finish(struct lq_report *r);
void lq_report_html_tables(struct lq_report *r, struct lq_buf *o);
void lq_report_json_agg(struct lq_report *r, struct lq_buf *o,
    const struct agg *a);

#endif
