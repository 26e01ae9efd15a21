/*
 * lq_train.h - learn a lead model (lq_model.h) from labelled history.
 *
 * Records are added one at a time (lq_train_add keeps a compact columnar
 * copy of every candidate feature: 4 bytes per row and feature), then
 * lq_train_fit leaves out identifier-like and leaking fields (the
 * guards), encodes the features, chooses the L2 strength by k-fold
 * cross validation, fits the logistic regression with L-BFGS, calibrates
 * (Platt scaling on out-of-fold predictions), learns tier cut-offs and
 * evaluates.  Deterministic: folds come from a hash of the row number.
 */
#ifndef LQ_TRAIN_H
#define LQ_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_model.h"

enum { LQ_TRAIN_LOGISTIC, LQ_TRAIN_GBDT, LQ_TRAIN_AUTO };

struct lq_train_opts {
	const char *label;	/* jq expression: true, false or null */
	const char *holdout;	/* jq predicate marking test rows, or NULL */
	const char *time_field;	/* key or jq path of a timestamp, or NULL */
	const char *rules;	/* rule file (score: signals, train:), or NULL */
	const char **exclude;	/* feature name globs to leave out */
	int nexclude;
	const char **include;	/* when set, only features matching these */
	int ninclude;
	const char **keep;	/* used even when a guard would leave it out
				   (so are the --include ones) */
	int nkeep;
	const char **nullv;	/* strings that mean missing (--null-value) */
	int nnullv;
	int no_guards;		/* no identifier and leakage guards */
	int folds;		/* k of k-fold cross validation (5) */
	double lambda;		/* L2 strength; < 0: chosen by cross validation */
	double l1_precision;	/* precision target of L1 (0.8) */
	double l4_rate;		/* L4: conversion at most this; < 0: base/2 */
	int min_count;		/* rarer levels pool into (other) (10) */
	int max_levels;		/* most levels per feature, 0: no limit (100) */
	int standard;		/* numerics: mean/sd scaling, no log, no clip */
	double gtol;		/* gradient tolerance per row (1e-5) */
	double now;		/* time signals decay against; 0: the clock */
	int model;		/* LQ_TRAIN_LOGISTIC (default), _GBDT, _AUTO:
				   trees when clearly better (lq-train(1)) */
	int threads;		/* xgboost's threads; 0: every core */
};

struct lq_train;

/* Fill o with the defaults. */
void lq_train_opts_init(struct lq_train_opts *o);

/*
 * Prepare training: compile the label and other expressions, load the
 * rule file's score: signals and train: section.  Returns NULL with err
 * set (code LQ_EXIT_USAGE, with file:line:col where there is one).
 */
struct lq_train *lq_train_new(const struct lq_train_opts *o,
    struct lq_err *err);

/* Free everything. */
void lq_train_free(struct lq_train *t);

/*
 * Add the record line[0..len) (a validated JSON object).  Returns 1 when
 * kept, 0 when skipped (its label is null), -1 with err set when it is a
 * bad record (the label is neither true, false nor null).
 */
int lq_train_add(struct lq_train *t, const char *line, size_t len,
    struct lq_err *err);

/*
 * Fit and evaluate.  Appends a human-readable report to human and the
 * report as NDJSON to json (either may be NULL).  Returns a new model
 * (free with lq_model_free) or NULL with err set.
 */
struct lq_model *lq_train_fit(struct lq_train *t, struct lq_buf *human,
    struct lq_buf *json, struct lq_err *err);

/*
 * Learn tier cut-offs cut[0..2] (minimum probability of L1, L2, L3) from
 * the calibrated out-of-fold probabilities p[0..n) and outcomes y: L1 the
 * largest top band whose precision reaches target (else the smallest
 * allowed, 2% of rows and at least 5; *l1_met says which), L2 from the
 * base rate, L3 from l4rate (< 0: half the base rate).  The cut-offs are
 * strictly decreasing from L1 to L3; every L1 probability is above the
 * base rate; every tier holds rows when p has four distinct values or
 * more above and below where needed.  Returns the number of empty tiers,
 * with a sentence saying why in note (when not NULL).
 */
int lq_train_tiers(const double *p, const uint8_t *y, long n, double target,
    double l4rate, double *cut, int *l1_met, char *note, size_t notelen);

#endif
