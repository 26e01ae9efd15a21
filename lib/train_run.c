/*
 * train_run.c - the whole fit of lq-train (lq_train_fit), step by step:
 * the training rows, guards and encoding, cross-validation over the
 * lambda grid, the final fit, boosted trees, calibration and tiers, the
 * evaluation, the weights and the report.  Each step works on one struct
 * run and fails with an lq_err; lq_train_fit frees the run in one place.
 */
#include "train_int.h"
#include "lq_mem.h"

/* one lq_train_fit: what its steps make and read */
struct run {
	struct lq_train *t;
	struct lq_model *m;
	struct enc *e;
	int ne, d, K;
	int lr;			/* a logistic model is fitted */
	long ntr, nte, npos;
	long *tr, *te;		/* the training and the test rows */
	long *fold_of;		/* fold of each training row */
	uint8_t *ytr;		/* label of each training row */
	struct fit p;
	int ngrid;		/* lambdas cross-validated */
	double cvloss[NGRID];
	double best_lambda;
	double *W;		/* the folds' weights, K rows of d */
	double *best_oof;	/* out-of-fold log-odds at best_lambda */
	double *w, *se;		/* the final weights, their errors */
	struct gbres gb;
	const double *cz;	/* calibration and tiers: out-of-fold */
	const uint8_t *cy;	/* log-odds, labels and folds of the */
	const long *cf;		/* logistic model or of the trees */
	long cn;
	double *pc;		/* calibrated probabilities of cz */
	int l1_met;
	struct metrics ev;
};

/* scratch of the cross-validation (run_cv) */
struct cvbuf {
	double *oof;
	long *fidx, *oidx, *opos;
};

/* Set err for an allocation of the fit that failed; -1. */
static int
run_nomem(const struct run *r, struct lq_err *err)
{
	return lq_err_set(err, LQ_EXIT_IO, "out of memory fitting %ld rows "
	    "of %d columns", r->t->n, r->d);
}

/* Count the training and test rows; -1 when there is nothing to fit. */
static int
run_count(struct run *r, struct lq_err *err)
{
	struct lq_train *t = r->t;

	if (t->time_key && !t->o.holdout)
		train_time_split(t);
	for (long i = 0; i < t->n; i++)
		r->ntr += !t->test[i];
	r->nte = t->n - r->ntr;
	if (r->ntr < 2 * r->K)
		return lq_err_set(err, LQ_EXIT_USAGE, "too few training rows "
		    "(%ld) for %d-fold cross validation", r->ntr, r->K);
	for (long i = 0; i < t->n; i++)
		r->npos += !t->test[i] && t->y[i];
	if (r->npos == 0 || r->npos == r->ntr)
		return lq_err_set(err, LQ_EXIT_USAGE, "the label is always %s "
		    "in the training rows: nothing to learn", r->npos ? "true" :
		    "false");
	return 0;
}

/* Start the model: what the rows and the options say. */
static void
run_model(struct run *r)
{
	struct lq_train *t = r->t;
	struct lq_model *m = lq_model_new();

	m->label = lq_xstrdup(t->o.label);
	m->rows = r->ntr;
	m->pos = r->npos;
	m->skipped = t->skipped;
	m->folds = r->K;
	m->l1_target = t->o.l1_precision;
	m->eval = lq_xstrdup(!r->nte ? "cv" : t->o.holdout ? "holdout" :
	    "time");
	if (t->time_key)
		train_span(t, m);
	for (int i = 0; i < t->o.nnullv; i++)
		lq_model_add_null(m, t->o.nullv[i]);
	r->m = m;
}

/*
 * Guard and encode column c as the model's next feature: 1 kept, 0 left
 * out (by a guard, or no signal), -1 with err.
 */
static int
run_encode_col(struct run *r, struct col *c, struct lq_buf *why,
    struct lq_err *err)
{
	struct lq_train *t = r->t;
	struct lq_model *m = r->m;
	struct lq_feat *f = &m->f[m->nf];
	struct enc *e = &r->e[r->ne];
	int keep;

	memset(e, 0, sizeof(*e));
	lq_buf_reset(why);
	if (train_guarded(t, c->name) && train_ident_like(t, c, why)) {
		train_left_out(t, m, c->name, "identifier", why->buf);
		return 0;
	}
	keep = c->nstr > c->nnum ? train_encode_cat(t, c, f, e) :
	    train_encode_num(t, c, f, e);
	lq_buf_reset(why);
	if (keep > 0 && !t->o.no_guards && train_leak_like(t, f, e, why)) {
		if (train_guarded(t, c->name)) {
			train_left_out(t, m, c->name, "leakage", why->buf);
			keep = 0;
		} else {
			lq_model_note(m, "kept '%s' (--include or --keep) "
			    "though it looks like leakage: %s", c->name,
			    why->buf);
		}
	}
	if (keep <= 0) {
		/* what encode_* made of the feature */
		lq_feat_release(f);
		memset(f, 0, sizeof(*f));
		return keep < 0 ? run_nomem(r, err) : 0;
	}
	e->c = c;
	e->f = f;
	e->off = r->d;
	r->d += f->ncol;
	r->ne++;
	m->nf++;
	return 1;
}

/* The features: every column a guard does not leave out, encoded. */
static int
run_encode(struct run *r, struct lq_err *err)
{
	struct lq_train *t = r->t;
	struct lq_buf why = LQ_BUF_INIT;
	int rc = 0;

	r->m->f = calloc((size_t)t->nc + 1, sizeof(*r->m->f));
	r->e = calloc((size_t)t->nc + 1, sizeof(*r->e));
	if (!r->m->f || !r->e)
		return run_nomem(r, err);
	for (int i = 0; i < t->nc && rc >= 0; i++) {
		struct col *c = &t->c[i];
		if (c->excluded || train_name_excluded(t, c->name) ||
		    (!c->nnum && !c->nstr))
			continue;
		rc = run_encode_col(r, c, &why, err);
	}
	lq_buf_release(&why);
	return rc < 0 ? -1 : 0;
}

/* The training rows with their folds and labels, the test rows. */
static int
run_rows(struct run *r, struct lq_err *err)
{
	struct lq_train *t = r->t;
	long ntr = 0, nte = 0;

	r->tr = malloc((size_t)(r->ntr + 1) * sizeof(long));
	r->te = malloc((size_t)(r->nte + 1) * sizeof(long));
	r->fold_of = malloc((size_t)(r->ntr + 1) * sizeof(long));
	r->ytr = malloc((size_t)r->ntr + 1);
	r->p.z = malloc((size_t)(t->n + 1) * sizeof(double));
	r->p.r = malloc((size_t)(t->n + 1) * sizeof(double));
	if (!r->tr || !r->te || !r->fold_of || !r->ytr || !r->p.z || !r->p.r)
		return run_nomem(r, err);
	for (long i = 0; i < t->n; i++) {
		if (t->test[i]) {
			r->te[nte++] = i;
		} else {
			r->fold_of[ntr] = (long)(train_mix((uint64_t)ntr) %
			    (uint64_t)r->K);
			r->tr[ntr++] = i;
		}
	}
	for (long k = 0; k < ntr; k++)
		r->ytr[k] = t->y[r->tr[k]];
	r->p.e = r->e;
	r->p.ne = r->ne;
	r->p.d = r->d;
	r->p.y = t->y;
	return 0;
}

/*
 * Fit the K folds at lambda lam, warm-started from r->W, on every step-th
 * training row; their out-of-fold log-odds into b->oof.  The mean
 * out-of-fold log loss.
 */
static double
cv_folds(struct run *r, struct cvbuf *b, double lam, long step)
{
	double loss = 0;
	long nl = 0;

	for (int k = 0; k < r->K; k++) {
		double *wk = r->W + (size_t)k * r->d;
		long nf = 0, no = 0;
		for (long q = 0; q < r->ntr; q += step) {
			if (r->fold_of[q] == k) {
				b->opos[no] = q;
				b->oidx[no++] = r->tr[q];
			} else {
				b->fidx[nf++] = r->tr[q];
			}
		}
		r->p.idx = b->fidx;
		r->p.n = nf;
		r->p.lambda = lam;
		train_fit_lr(&r->p, wk, r->t->o.gtol);
		train_predict(r->e, r->ne, wk, b->oidx, no, r->p.z);
		for (long q = 0; q < no; q++) {
			long o = b->opos[q];
			double z = r->p.z[q];
			b->oof[o] = z;
			loss += train_log1pexp(z) - (r->ytr[o] ? z : 0);
		}
		nl += no;
	}
	return loss / nl;
}

/*
 * Cross-validation over the lambda grid (stopping after two lambdas that
 * do not improve), on a systematic sample of CV_SAMPLE rows when there
 * are more; then out of fold on every row at the best lambda.
 */
static int
run_cv(struct run *r, struct lq_err *err)
{
	struct lq_train *t = r->t;
	struct cvbuf b;
	size_t nb = (size_t)(r->ntr + 1);
	double best = HUGE_VAL;
	int worse = 0, rc = 0;
	long step = t->o.lambda < 0 && r->ntr > CV_SAMPLE ? (r->ntr +
	    CV_SAMPLE - 1) / CV_SAMPLE : 1;

	r->best_lambda = t->o.lambda;
	r->ngrid = !r->lr ? 0 : t->o.lambda >= 0 ? 1 : (int)NGRID;
	r->W = calloc((size_t)r->K * r->d, sizeof(double));
	r->best_oof = malloc(nb * sizeof(double));
	b.oof = malloc(nb * sizeof(double));
	b.fidx = malloc(nb * sizeof(long));
	b.oidx = malloc(nb * sizeof(long));
	b.opos = malloc(nb * sizeof(long));
	if (!r->W || !r->best_oof || !b.oof || !b.fidx || !b.oidx ||
	    !b.opos) {
		rc = run_nomem(r, err);
		goto out;
	}
	for (int g = 0; g < r->ngrid; g++) {
		double lam = train_grid_lambda(t, g);
		r->cvloss[g] = cv_folds(r, &b, lam, step);
		if (r->cvloss[g] < best) {
			best = r->cvloss[g];
			r->best_lambda = lam;
			memcpy(r->best_oof, b.oof, (size_t)r->ntr *
			    sizeof(double));
			worse = 0;
		} else if (++worse >= 2) {
			r->ngrid = g + 1;
		}
	}
	if (r->lr && step > 1) {	/* out of fold on every row */
		cv_folds(r, &b, r->best_lambda, 1);
		memcpy(r->best_oof, b.oof, (size_t)r->ntr * sizeof(double));
	}
	r->m->lambda = r->lr ? r->best_lambda : 0;
out:
	free(b.oof);
	free(b.fidx);
	free(b.oidx);
	free(b.opos);
	return rc;
}

/* The final logistic fit on every training row, from the folds' mean. */
static int
run_final(struct run *r, struct lq_err *err)
{
	int d = r->d;

	r->w = calloc((size_t)d, sizeof(double));
	if (!r->w)
		return run_nomem(r, err);
	for (int k = 0; k < r->K; k++)
		for (int j = 0; j < d; j++)
			r->w[j] += r->W[(size_t)k * d + j] / r->K;
	r->p.idx = r->tr;
	r->p.n = r->ntr;
	r->p.lambda = r->best_lambda;
	if (r->lr)
		train_fit_lr(&r->p, r->w, r->t->o.gtol);
	return 0;
}

/*
 * Boosted trees (--model gbdt, auto); when they are chosen, calibration,
 * tiers and the out-of-fold evaluation come from their sample's margins.
 */
static int
run_gbdt(struct run *r, struct lq_err *err)
{
	r->cz = r->best_oof;
	r->cy = r->ytr;
	r->cf = r->fold_of;
	r->cn = r->ntr;
	if (r->t->o.model == LQ_TRAIN_LOGISTIC)
		return 0;
	if (train_gbdt_fit(r->t, r->m, r->e, r->ne, r->d, r->tr, r->ntr,
	    r->te, r->nte, r->fold_of, r->ytr, r->lr ? r->best_oof : NULL,
	    &r->gb, err))
		return -1;
	if (r->m->gbdt) {
		r->cz = r->gb.oof;
		r->cy = r->gb.y;
		r->cf = r->gb.fold;
		r->cn = r->gb.n;
	}
	return 0;
}

/* Platt scaling when it helps out of fold; the tiers from the result. */
static int
run_calibrate(struct run *r, struct lq_err *err)
{
	struct lq_model *m = r->m;
	struct metrics cvraw, cvcal;
	double pa, pb;
	char tnote[256];

	if (train_choose_calibration(r->cz, r->cy, r->cf, r->cn, r->K, &cvraw,
	    &cvcal))
		return run_nomem(r, err);
	train_platt(r->cz, r->cy, r->cn, &pa, &pb);
	if ((cvcal.logloss < cvraw.logloss && cvcal.ece <= cvraw.ece) ||
	    !(pa > 0) || !(pa <= LQ_MODEL_WMAX) || !(fabs(pb) <=
	    LQ_MODEL_WMAX)) {
		/* (a calibration that fails is kept: check_fit says why) */
		m->cal_a = round(pa * 1e6) / 1e6;
		m->cal_b = round(pb * 1e6) / 1e6;
		lq_model_note(m, "calibration: Platt scaling kept: out of "
		    "fold it lowers the log loss %.4f -> %.4f and the ECE "
		    "%.4f -> %.4f", cvraw.logloss, cvcal.logloss, cvraw.ece,
		    cvcal.ece);
	} else {
		m->cal_a = 1;
		m->cal_b = 0;
		m->calibrated = 0;
		lq_model_note(m, "calibration: none: out of fold Platt scaling "
		    "would take the log loss %.4f -> %.4f and the ECE %.4f -> "
		    "%.4f (kept only when it lowers the log loss without "
		    "raising the ECE)", cvraw.logloss, cvcal.logloss,
		    cvraw.ece, cvcal.ece);
	}
	r->pc = malloc((size_t)(r->cn + 1) * sizeof(double));
	if (!r->pc)
		return run_nomem(r, err);
	for (long q = 0; q < r->cn; q++)
		r->pc[q] = lq_model_prob(m, r->cz[q]);
	if (lq_train_tiers(r->pc, r->cy, r->cn, r->t->o.l1_precision,
	    r->t->o.l4_rate, m->cut, &r->l1_met, tnote, sizeof(tnote)))
		lq_model_note(m, "%s", tnote);
	return 0;
}

/* The evaluation: on the test rows, else out of fold. */
static int
run_evaluate(struct run *r, struct lq_err *err)
{
	struct lq_model *m = r->m;
	struct metrics raw;
	long nte = r->nte, nev = nte ? nte : r->cn;
	double *pe = malloc((size_t)(nev + 1) * sizeof(double));
	double *pr = malloc((size_t)(nev + 1) * sizeof(double));
	uint8_t *ye = malloc((size_t)nev + 1);
	int rc = 0;

	if (!pe || !pr || !ye) {
		rc = run_nomem(r, err);
		goto out;
	}
	if (nte && m->gbdt)
		memcpy(r->p.z, r->gb.zte, (size_t)nte * sizeof(double));
	else if (nte)
		train_predict(r->e, r->ne, r->w, r->te, nte, r->p.z);
	for (long q = 0; q < nev; q++) {
		pe[q] = nte ? lq_model_prob(m, r->p.z[q]) : r->pc[q];
		pr[q] = train_sigmoid(nte ? r->p.z[q] : r->cz[q]);
		ye[q] = nte ? r->t->y[r->te[q]] : r->cy[q];
	}
	train_evaluate(pe, ye, nev, &r->ev);
	train_evaluate(pr, ye, nev, &raw);
	m->auc = r->ev.auc;
	m->logloss = r->ev.logloss;
	m->brier = r->ev.brier;
	m->ece = r->ev.ece;
	m->ece_raw = raw.ece;
	train_tier_stats(m, pe, ye, nev, m->tier);
out:
	free(pe);
	free(pr);
	free(ye);
	return rc;
}

/*
 * The weights and standard errors of the final model (none for trees),
 * checked, and the model's score shares on the training rows.
 */
static int
run_weights(struct run *r, struct lq_err *err)
{
	struct lq_model *m = r->m;
	struct enc *e = r->e;
	double *w = r->w, *se;
	long nsh = m->gbdt ? r->gb.n : r->ntr;

	se = r->se = calloc((size_t)r->d, sizeof(double));
	if (!se)
		return run_nomem(r, err);
	if (r->lr)
		train_std_errors(&r->p, w, se, r->ntr);
	if (train_check_fit(r->t, m, e, r->ne, w, se, r->d, r->cvloss,
	    r->ngrid, &r->ev, err))
		return -1;
	if (m->gbdt) {	/* the trees decide: no weights */
		memset(w, 0, (size_t)r->d * sizeof(double));
		memset(se, 0, (size_t)r->d * sizeof(double));
	}
	m->w0 = w[0];
	m->se0 = se[0];
	for (int j = 0; j < r->ne; j++)
		for (int c = 0; c < e[j].f->ncol; c++) {
			e[j].f->w[c] = w[e[j].off + c];
			e[j].f->se[c] = se[e[j].off + c];
		}
	if (m->gbdt)
		memcpy(r->p.z, r->gb.ztr, (size_t)r->gb.n * sizeof(double));
	else
		train_predict(e, r->ne, w, r->tr, r->ntr, r->p.z);
	for (long q = 0; q < nsh; q++) {
		double pp = lq_model_prob(m, r->p.z[q]);
		int b = (int)(pp * 10);
		m->score_share[b > 9 ? 9 : b] += 1;
	}
	for (int b = 0; b < 10; b++)
		m->score_share[b] = round(1e4 * m->score_share[b] / nsh) / 1e4;
	return 0;
}

/* Check that the model loads back; the report and its notes. */
static int
run_report(struct run *r, struct lq_buf *human, struct lq_buf *json,
    struct lq_err *err)
{
	struct lq_train *t = r->t;

	if (train_check_load(t, r->m, err)) {
		err->code = LQ_EXIT_USAGE;
		return -1;
	}
	train_report(t, r->m, &r->ev, r->cvloss, r->ngrid, human, json);
	for (int j = 0; human && j < r->ne; j++) {
		const struct enc *e = &r->e[j];
		if (e->f->type == LQ_FT_NUM && e->c->nstr)
			lq_buf_addf(human, "note: numeric feature '%s': %ld "
			    "value%s not a number (a string, true or false) "
			    "count%s as missing, here and in lq-score\n",
			    e->f->name, e->c->nstr, e->c->nstr > 1 ? "s" : "",
			    e->c->nstr > 1 ? "" : "s");
	}
	if (human && !r->l1_met)
		lq_buf_addf(human, "note: no band reaches the L1 precision "
		    "target %g; L1 is the smallest band allowed (2%% of rows, "
		    "at least 5)\n", t->o.l1_precision);
	return 0;
}

/* Free what a run holds (the model too, unless taken). */
static void
run_release(struct run *r)
{
	lq_model_free(r->m);
	train_gbres_release(&r->gb);
	free(r->e);
	free(r->tr);
	free(r->te);
	free(r->fold_of);
	free(r->ytr);
	free(r->p.z);
	free(r->p.r);
	free(r->W);
	free(r->best_oof);
	free(r->w);
	free(r->se);
	free(r->pc);
}

struct lq_model *
lq_train_fit(struct lq_train *t, struct lq_buf *human, struct lq_buf *json,
    struct lq_err *err)
{
	struct run r;
	struct lq_model *m = NULL;

	memset(&r, 0, sizeof(r));
	r.t = t;
	r.K = t->o.folds;
	r.d = 1;
	r.lr = t->o.model != LQ_TRAIN_GBDT;
	if (run_count(&r, err))
		goto out;
	run_model(&r);
	if (run_encode(&r, err) || run_rows(&r, err) || run_cv(&r, err) ||
	    run_final(&r, err) || run_gbdt(&r, err) ||
	    run_calibrate(&r, err) || run_evaluate(&r, err) ||
	    run_weights(&r, err) || run_report(&r, human, json, err))
		goto out;
	m = r.m;
	r.m = NULL;
out:
	run_release(&r);
	return m;
}
