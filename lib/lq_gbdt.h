/*
 * lq_gbdt.h - gradient-boosted trees through xgboost's C API
 * (libxgboost-dev): train, predict margins and exact feature contributions
 * (TreeSHAP), save to and load from text (base64 of xgboost's JSON model).
 *
 * The input columns are the model's encoded columns in feature order
 * (lq_model.h): per categorical feature its levels, (other), (missing)
 * as 0/1; per numeric feature its scaled, clipped value (NAN when missing)
 * and its missing indicator.  Errors never print: they fill err.
 */
#ifndef LQ_GBDT_H
#define LQ_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include "lq_buf.h"
#include "lq_err.h"

struct lq_gbdt;

struct lq_gbdt_params {
	int max_depth;
	double eta;
	int rounds;		/* most rounds */
	int early_stop;		/* rounds without gain on the eval rows; 0: none */
	int nthread;		/* 0: xgboost's default (every core) */
	int seed;
};

/*
 * Train on the rows x[0..n*ncol) (row-major, NAN missing) with labels y,
 * evaluating log loss on ev[0..nev*ncol) / yev when nev > 0 (early
 * stopping: the booster keeps the best round, *best_round says which,
 * 1-based).  Returns a new booster or NULL with err set.
 */
struct lq_gbdt *lq_gbdt_train(const float *x, const uint8_t *y, long n,
    int ncol, const float *ev, const uint8_t *yev, long nev,
    const struct lq_gbdt_params *p, int *best_round, struct lq_err *err);

/* Free a booster (NULL is fine). */
void lq_gbdt_free(struct lq_gbdt *g);

/*
 * Margins (log-odds) of the rows x[0..n*ncol) into z[0..n).  Returns 0,
 * or -1 with err set.
 */
int lq_gbdt_margin(struct lq_gbdt *g, const float *x, long n, double *z,
    struct lq_err *err);

/*
 * Exact contributions (TreeSHAP) of the one row x[0..ncol) into
 * c[0..ncol] (c[ncol] is the bias): their sum is the row's margin.
 * Returns 0, or -1 with err set.
 */
int lq_gbdt_contribs(struct lq_gbdt *g, const float *x, double *c,
    struct lq_err *err);

/*
 * Append the model as base64 of xgboost's JSON, in lines of at most 76
 * characters each preceded by indent.  Returns 0 or -1 with err set.
 */
int lq_gbdt_save(struct lq_gbdt *g, const char *indent, struct lq_buf *out,
    struct lq_err *err);

/*
 * Load a model from its base64 text b64[0..len) (white space ignored),
 * one that takes ncol columns.  Returns a new booster, or NULL with err
 * set (a message without file or line: the caller adds them).
 */
struct lq_gbdt *lq_gbdt_load(const char *b64, size_t len, int ncol,
    struct lq_err *err);

#endif
