/*
 * train_int.h - private to lq-train's library part: the collected columns,
 * the encoding and the fit state shared by train.c, train_encode.c,
 * train_fit.c, train_gbdt.c and train_run.c.
 */
#ifndef LQ_TRAIN_INT_H
#define LQ_TRAIN_INT_H

#include <fnmatch.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_expr.h"
#include "lq_gbdt.h"
#include "lq_json.h"
#include "lq_model.h"
#include "lq_optim.h"
#include "lq_score.h"
#include "lq_time.h"
#include "lq_train.h"
#include "lq_yaml.h"

#define MAX_DISTINCT 200000	/* per column; more values pool as rare */
#define OVERFLOW_ID 0xffffffffu
#define MAX_DEPTH 4

/* one candidate feature, stored column-wise */
struct col {
	char *name;
	char **path;
	int npath, length;
	enum lq_fsrc src;
	int slot;		/* expression slot or signal index */
	char *expr;
	int excluded;
	float *num;		/* NAN: not a number */
	uint32_t *sid;		/* 0: not a string; else id + 1 */
	long nnum, nstr;
	/* interned strings */
	char **str;
	size_t nstrs, capstrs;
	uint32_t *tab;		/* hash table of id + 1 */
	size_t tabcap;
};

struct lq_train {
	struct lq_train_opts o;
	struct lq_ydoc doc;
	int have_doc;
	struct lq_score *sc;
	struct lq_exprs *x;
	struct lq_eval *ev;	/* per-record results of x (native) */
	struct lq_scan scan;
	struct lq_buf kbuf[MAX_DEPTH], vbuf;	/* decoded keys and strings */
	int label_slot, holdout_slot, time_slot;
	char *label_field;	/* top-level key the label reads */
	char *time_key;
	struct col *c;
	int nc, capc;
	uint32_t *ctab;		/* column lookup: hash of name -> index + 1 */
	size_t ctabcap;
	long n, cap, skipped;
	uint8_t *y, *test;
	double *t;
	double *sig;
	char **excl;		/* from the train: section */
	int nexcl;
	char **incl;
	int nincl;
	struct lq_buf key;
	struct lq_buf bad;	/* why the record being added is bad */
	struct lq_buf guardjs;	/* the report's left_out lines */
};

#define NGRID 6		/* entries of lambda_grid (train.c) */
#define CV_SAMPLE 20000

struct enc {
	struct col *c;
	struct lq_feat *f;
	int off;		/* first weight index */
	uint32_t *u;		/* categorical: column within the feature */
	float *x;		/* numeric: scaled value, NAN missing */
};

struct fit {
	struct enc *e;
	int ne, d;
	const uint8_t *y;
	const long *idx;	/* the rows of this fit */
	long n;
	double lambda;
	double *z, *r;
};

struct metrics {
	long n, pos;
	double auc, logloss, brier, ece;
	long bn[10], bpos[10];
	double bp[10];
};

/* boosted trees of a fit (train_gbdt.c), for the report and the choice */
struct gbres {
	double *oof;		/* out-of-fold margins of the sample rows */
	uint8_t *y;
	long *fold;
	long n;
	double *ztr, *zte;	/* final booster: training and test rows */
	double auc_gb, auc_lr, gain, gain_se;
};

/* functions shared between the parts */
/* Whether name matches one of the fnmatch patterns pat[0..n). */
int train_glob_any(const char *const *pat, int n, const char *name);
int train_included(const struct lq_train *t, const char *name);
/*
 * Fit boosted trees on the encoded rows tr (the grid over depth and eta by
 * cross-validation on a sample, then the final booster with early
 * stopping) into m, the margins and AUCs into *g.  0, or -1 with err.
 */
int train_gbdt_fit(struct lq_train *t, struct lq_model *m, const struct enc *e,
    int ne, int d, const long *tr, long ntr, const long *te, long nte,
    const long *fold_of, const uint8_t *ytr, const double *lr_oof,
    struct gbres *g, struct lq_err *err);
/* Free what a gbres holds. */
void train_gbres_release(struct gbres *g);
int train_check_fit(const struct lq_train *t, const struct lq_model *m, const struct enc *e, int ne, const double *w, const double *se, int d, const double *cvloss, int ngrid, const struct metrics *ev, struct lq_err *err);
int train_check_load(struct lq_train *t, const struct lq_model *m, struct lq_err *err);
int train_choose_calibration(const double *z, const uint8_t *y,
    const long *fold_of, long n, int K, struct metrics *raw,
    struct metrics *cal);
double train_grid_lambda(const struct lq_train *t, int g);
void train_grow_col(struct lq_train *t, struct col *c, int want_num, int want_sid);
uint32_t train_intern(struct col *c, const char *s, size_t n);
void train_left_out(struct lq_train *t, struct lq_model *m, const char *name, const char *guard, const char *evidence);
uint64_t train_mix(uint64_t x);
int train_name_excluded(const struct lq_train *t, const char *name);
void train_report(struct lq_train *t, struct lq_model *m, const struct metrics *ev, const double *cvloss, int ngrid, struct lq_buf *h, struct lq_buf *js);
void train_span(struct lq_train *t, struct lq_model *m);
void train_time_split(struct lq_train *t);
int train_encode_cat(struct lq_train *t, struct col *c,
    struct lq_feat *f, struct enc *e);
int train_encode_num(struct lq_train *t, struct col *c,
    struct lq_feat *f, struct enc *e);
int train_guarded(const struct lq_train *t, const char *name);
int train_ident_like(const struct lq_train *t, const struct col *c, struct lq_buf *why);
int train_leak_like(const struct lq_train *t, const struct lq_feat *f, const struct enc *e, struct lq_buf *why);
void train_evaluate(const double *p, const uint8_t *y, long n, struct metrics *m);
int train_fit_lr(struct fit *p, double *w, double gtol);
double train_log1pexp(double z);
long * train_order_desc(const double *p, long n);
void train_platt(const double *z, const uint8_t *y, long n, double *pa, double *pb);
void train_predict(const struct enc *e, int ne, const double *w, const long *idx, long n, double *z);
double train_sigmoid(double z);
void train_std_errors(struct fit *p, double *w, double *se, long ntr);
void train_tier_stats(const struct lq_model *m, const double *p, const uint8_t *y, long n, struct lq_tierstat *ts);

#endif
