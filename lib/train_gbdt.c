/*
 * train_gbdt.c - boosted trees through libxgboost (lq_gbdt.h): the
 * grid over depth and learning rate with early stopping, on the same folds
 * as the logistic model.
 */
#include <stdio.h>
#include <time.h>

#include "train_int.h"
#include "lq_mem.h"

/* ---- boosted trees ---------------------------------------------------- */

/* the grid: depth x learning rate; rounds by early stopping */
static const int gb_depths[] = { 3, 5, 7 };
static const double gb_etas[] = { 0.3, 0.1 };
#define GB_NDEPTH (int)(sizeof(gb_depths) / sizeof(gb_depths[0]))
#define GB_NETA (int)(sizeof(gb_etas) / sizeof(gb_etas[0]))
#define GB_ROUNDS 1000
#define GB_PATIENCE 20		/* rounds without gain: the final fit */
#define GB_CV_PATIENCE 10	/* and the grid's */
#define GB_SAMPLE 10000		/* cross-validation rows at most */
#define GB_GAIN 0.005		/* AUC gain --model auto asks of the trees */
#define GB_VAL_MIN 2000		/* early stopping rows of the final fit */

/* Free what a gbres holds. */
void
train_gbres_release(struct gbres *g)
{
	free(g->oof);
	free(g->y);
	free(g->fold);
	free(g->ztr);
	free(g->zte);
}

/* The encoded columns (lq_gbdt.h) of rows idx[0..n); NULL if out of memory. */
static float *
gb_matrix(const struct enc *e, int ne, int ncol, const long *idx, long n)
{
	float *X = calloc((size_t)n * ncol + 1, sizeof(float));

	if (!X)
		return NULL;
	for (long q = 0; q < n; q++) {
		float *r = X + (size_t)q * ncol;
		long i = idx[q];
		for (int j = 0; j < ne; j++) {
			int o = e[j].off - 1;
			if (e[j].f->type == LQ_FT_CAT) {
				r[o + e[j].u[i]] = 1;
			} else {
				r[o] = e[j].x[i];
				r[o + 1] = isnan(e[j].x[i]) ? 1 : 0;
			}
		}
	}
	return X;
}

/*
 * AUC of margins z against y, rows of fold k (all when k < 0); zz and yy:
 * scratch for n rows.
 */
static double
fold_auc(const double *z, const uint8_t *y, const long *fold, long n, int k,
    double *zz, uint8_t *yy)
{
	long m = 0;
	struct metrics mt;

	for (long i = 0; i < n; i++)
		if (k < 0 || fold[i] == k) {
			zz[m] = train_sigmoid(z[i]);
			yy[m++] = y[i];
		}
	train_evaluate(zz, yy, m, &mt);
	return mt.auc;
}

/* One fold of the grid's sample: its training and held-out rows. */
struct gbfold {
	float *Xf, *Xo;
	uint8_t *yf, *yo;
	long nf, no, *op;	/* op: the held-out rows' sample positions */
};

/* One grid cell on one fold: a booster, its held-out margins. */
struct gbjob {
	const struct gbfold *f;
	struct lq_gbdt_params gp;
	double *z;		/* margins of the held-out rows */
	int rounds;		/* early stopping's best round */
	struct lq_err err;
	int rc;
};

/* the jobs and the next one to take, shared by the threads */
struct gbpool {
	struct gbjob *job;
	int njob, next, ncol;
	pthread_mutex_t mu;
};

/* Train job j's booster and its held-out margins; j->rc, j->err. */
static void
gb_job_run(struct gbjob *j, int ncol)
{
	struct lq_gbdt *b;

	lq_err_clear(&j->err);
	j->rc = -1;
	b = lq_gbdt_train(j->f->Xf, j->f->yf, j->f->nf, ncol, j->f->Xo,
	    j->f->yo, j->f->no, &j->gp, &j->rounds, &j->err);
	if (!b)
		return;
	j->z = malloc((size_t)(j->f->no + 1) * sizeof(double));
	if (!j->z) {
		lq_gbdt_free(b);
		lq_err_set(&j->err, LQ_EXIT_IO, "boosted trees: out of memory");
		return;
	}
	j->rc = lq_gbdt_margin(b, j->f->Xo, j->f->no, j->z, &j->err);
	lq_gbdt_free(b);
}

/* A thread of gb_jobs_run: take and run jobs until none is left. */
static void *
gb_worker(void *arg)
{
	struct gbpool *p = arg;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		int k = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (k >= p->njob)
			return NULL;
		gb_job_run(&p->job[k], p->ncol);
	}
}

/*
 * Run the jobs job[0..njob) on up to nw threads, each booster on one
 * thread of its own: the grid's boosters are small (at most GB_SAMPLE
 * rows), where xgboost's threads spend more time waiting for one another
 * than working, worst on a busy machine.  The results do not depend on
 * the number of threads.  Returns 0, or -1 with err set from the first
 * failed job.
 */
static int
gb_jobs_run(struct gbjob *job, int njob, int ncol, int nw,
    struct lq_err *err)
{
	struct gbpool p = { job, njob, 0, ncol, PTHREAD_MUTEX_INITIALIZER };
	pthread_t *th;
	int nt = 0;

	if (nw > njob)
		nw = njob;
	th = lq_xcalloc((size_t)nw + 1, sizeof(*th));
	for (int i = 1; i < nw; i++)
		if (!pthread_create(&th[nt], NULL, gb_worker, &p))
			nt++;
	gb_worker(&p);
	for (int i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	free(th);
	for (int k = 0; k < njob; k++)
		if (job[k].rc) {
			*err = job[k].err;
			return -1;
		}
	return 0;
}

/*
 * Threads of other processes that want a core now: /proc/loadavg's count
 * of runnable threads less this one, the mean of 10 looks 5 ms apart;
 * -1 when it cannot be read.
 */
static double
gb_others_running(void)
{
	struct timespec gap = { 0, 5000000 };
	double sum = 0;
	int got = 0;

	for (int i = 0; i < 10; i++) {
		FILE *f = fopen("/proc/loadavg", "r");
		int run, all;

		if (f) {
			if (fscanf(f, "%*f %*f %*f %d/%d", &run, &all) == 2) {
				sum += run > 0 ? run - 1 : 0;
				got++;
			}
			fclose(f);
		}
		nanosleep(&gap, NULL);
	}
	return got ? sum / got : -1;
}

/*
 * The threads for xgboost's own (OpenMP) parallelism, at most nw: one
 * per core that other processes leave idle now (as make -l, but from the
 * runnable threads of this moment: the load average lags a minute behind
 * and counts this run itself, so on an idle 2-core machine it gave one
 * thread), at least one.  xgboost's threads wait for one another by
 * spinning, so on cores other processes hold a second thread slows the
 * fit (measured: 13.7 s against 6.5 s at load 2 on 2 cores).  The model
 * does not depend on it.
 */
static int
gb_idle_threads(int nw)
{
	double la[1], busy = gb_others_running();
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	int n = nw;

	if (busy < 0 && getloadavg(la, 1) == 1)
		busy = la[0];
	if (nc > 0 && busy >= 0) {
		double idle = (double)nc - busy;
		n = idle < 1.5 ? 1 : (int)(idle + 0.5);
	}
	return n < 1 ? 1 : n > nw ? nw : n;
}

/* Free what fold f holds. */
static void
gb_fold_release(struct gbfold *f)
{
	free(f->Xf);
	free(f->Xo);
	free(f->yf);
	free(f->yo);
	free(f->op);
}

/* one train_gbdt_fit: its inputs, the grid's sample and folds, the choice */
struct gbrun {
	struct lq_train *t;
	struct lq_model *m;
	const struct enc *e;
	int ne, ncol, K, nw;
	const long *tr, *te, *fold_of;
	long ntr, nte;
	const uint8_t *ytr;
	const double *lr_oof;	/* NULL: no logistic model */
	struct gbres *g;
	long ns;		/* the grid's sample: rows sidx[0..ns) */
	long *sidx;
	double *lro;		/* lr_oof of the sample rows */
	struct gbfold *fo;	/* the sample's K folds */
	struct gbjob *job;	/* a phase of the grid: cells x folds */
	struct lq_gbdt_params gp;
	double best, beta;	/* the best cell: log loss, eta, depth, */
	int bd, brounds;	/* rounds */
	long nval;		/* early stopping rows of the final booster */
	struct lq_gbdt *b;	/* the final booster */
};

/* Set err for an allocation of the trees that failed; -1. */
static int
gb_nomem(const struct gbrun *s, struct lq_err *err)
{
	return lq_err_set(err, LQ_EXIT_IO, "boosted trees: out of memory for "
	    "%ld rows of %d columns", s->ntr, s->ncol);
}

/* The grid's sample: every step-th training row, GB_SAMPLE at most. */
static int
gb_sample(struct gbrun *s, struct lq_err *err)
{
	struct gbres *g = s->g;
	long step = s->ntr > GB_SAMPLE ? (s->ntr + GB_SAMPLE - 1) /
	    GB_SAMPLE : 1, ns = 0;
	size_t nmax = (size_t)(s->ntr / step + 2);

	s->sidx = malloc(nmax * sizeof(long));
	g->fold = malloc(nmax * sizeof(long));
	g->y = malloc(nmax);
	s->lro = malloc(nmax * sizeof(double));
	if (!s->sidx || !g->fold || !g->y || !s->lro)
		return gb_nomem(s, err);
	for (long q = 0; q < s->ntr; q += step) {
		g->fold[ns] = s->fold_of[q];
		g->y[ns] = s->ytr[q];
		s->lro[ns] = s->lr_oof ? s->lr_oof[q] : 0;
		s->sidx[ns++] = s->tr[q];
	}
	g->n = s->ns = ns;
	g->oof = calloc((size_t)ns + 1, sizeof(double));
	return g->oof ? 0 : gb_nomem(s, err);
}

/* The folds' matrices, made once for every cell of the grid. */
static int
gb_folds(struct gbrun *s, struct lq_err *err)
{
	const struct gbres *g = s->g;
	long ns = s->ns;
	long *fi = malloc((size_t)(ns + 1) * sizeof(long));
	long *oi = malloc((size_t)(ns + 1) * sizeof(long));
	int rc = -1;

	s->fo = calloc((size_t)s->K + 1, sizeof(*s->fo));
	s->job = calloc((size_t)s->K * (GB_NDEPTH + GB_NETA) + 1,
	    sizeof(*s->job));
	if (!fi || !oi || !s->fo || !s->job)
		goto out;
	for (int k = 0; k < s->K; k++) {
		struct gbfold *f = &s->fo[k];
		f->yf = malloc((size_t)ns + 1);
		f->yo = malloc((size_t)ns + 1);
		f->op = malloc((size_t)(ns + 1) * sizeof(long));
		if (!f->yf || !f->yo || !f->op)
			goto out;
		for (long q = 0; q < ns; q++)
			if (g->fold[q] == k) {
				f->op[f->no] = q;
				f->yo[f->no] = g->y[q];
				oi[f->no++] = s->sidx[q];
			} else {
				f->yf[f->nf] = g->y[q];
				fi[f->nf++] = s->sidx[q];
			}
		f->Xf = gb_matrix(s->e, s->ne, s->ncol, fi, f->nf);
		f->Xo = gb_matrix(s->e, s->ne, s->ncol, oi, f->no);
		if (!f->Xf || !f->Xo)
			goto out;
	}
	rc = 0;
out:
	free(fi);
	free(oi);
	return rc ? gb_nomem(s, err) : 0;
}

/*
 * The jobs of a phase of the grid: the depths at the fast rate (phase 0),
 * then the slower rates at the best depth (1); each cell's K folds side
 * by side.  Their number.
 */
static int
gb_phase_jobs(struct gbrun *s, int phase)
{
	int a0 = phase ? GB_NDEPTH : 0;
	int a1 = phase ? GB_NDEPTH + GB_NETA - 1 : GB_NDEPTH;
	int nj = 0;

	for (int a = a0; a < a1; a++)
		for (int k = 0; k < s->K; k++) {
			struct gbjob *j = &s->job[nj++];
			memset(j, 0, sizeof(*j));
			j->f = &s->fo[k];
			j->gp = s->gp;
			j->gp.nthread = 1;
			j->gp.max_depth = a < GB_NDEPTH ? gb_depths[a] : s->bd;
			j->gp.eta = a < GB_NDEPTH ? gb_etas[0] :
			    gb_etas[a - GB_NDEPTH + 1];
		}
	return nj;
}

/* Compare the cell of jobs job[q..q+K) with the best so far. */
static void
gb_cell(struct gbrun *s, int q)
{
	const struct gbjob *job = s->job + q;
	double loss = 0;
	int rsum = 0, K = s->K;

	for (int k = 0; k < K; k++) {
		const struct gbjob *j = &job[k];
		for (long r = 0; r < j->f->no; r++)
			loss += train_log1pexp(j->z[r]) - (j->f->yo[r] ?
			    j->z[r] : 0);
		rsum += j->rounds;
	}
	loss /= s->ns;
	if (loss < s->best) {
		s->best = loss;
		s->bd = job[0].gp.max_depth;
		s->beta = job[0].gp.eta;
		s->brounds = (rsum + K / 2) / K;
		for (int k = 0; k < K; k++) {
			const struct gbjob *j = &job[k];
			for (long r = 0; r < j->f->no; r++)
				s->g->oof[j->f->op[r]] = j->z[r];
		}
	}
}

/* The grid, cross-validated: the best cell and its out-of-fold margins. */
static int
gb_grid(struct gbrun *s, struct lq_err *err)
{
	for (int phase = 0; phase < 2; phase++) {
		int nj = gb_phase_jobs(s, phase);
		int jrc = gb_jobs_run(s->job, nj, s->ncol, s->nw, err);
		for (int q = 0; !jrc && q < nj; q += s->K)
			gb_cell(s, q);
		for (int q = 0; q < nj; q++) {
			free(s->job[q].z);
			s->job[q].z = NULL;
		}
		if (jrc)
			return -1;
	}
	if (s->brounds < 1)
		s->brounds = 1;
	return 0;
}

/*
 * The final booster with early stopping on a tenth of the training rows
 * X (split by a hash of the encoded row: copies of a lead fall on one
 * side, else they would never stop the rounds); s->nval 0 when that
 * tenth is too small to try.
 */
static int
gb_final_split(struct gbrun *s, const float *X, struct lq_err *err)
{
	size_t ncol = (size_t)s->ncol, n1 = (size_t)s->ntr + 1;
	uint8_t *yv = malloc(n1), *yt = malloc(n1), *side = malloc(n1);
	float *Xf = NULL, *Xo = NULL;
	long nfit, a = 0, v = 0;
	int rc = -1;

	if (!yv || !yt || !side)
		goto out;
	for (long q = 0; q < s->ntr; q++) {
		const unsigned char *u = (const unsigned char *)(X + q * ncol);
		uint64_t h = 1469598103934665603ULL;
		for (size_t j = 0; j < ncol * sizeof(float); j++)
			h = (h ^ u[j]) * 1099511628211ULL;
		side[q] = train_mix(h) % 10 == 0;
		s->nval += side[q];
	}
	nfit = s->ntr - s->nval;
	Xf = malloc((size_t)(nfit + 1) * ncol * sizeof(float));
	Xo = malloc((size_t)(s->nval + 1) * ncol * sizeof(float));
	if (!Xf || !Xo)
		goto out;
	for (long q = 0; q < s->ntr; q++) {
		const float *r = X + q * ncol;
		if (side[q]) {
			memcpy(Xo + v * ncol, r, ncol * sizeof(float));
			yv[v++] = s->ytr[q];
		} else {
			memcpy(Xf + a * ncol, r, ncol * sizeof(float));
			yt[a++] = s->ytr[q];
		}
	}
	s->gp.rounds = GB_ROUNDS;
	s->gp.early_stop = GB_PATIENCE;
	if (s->nval >= GB_VAL_MIN && nfit > 0)
		s->b = lq_gbdt_train(Xf, yt, nfit, s->ncol, Xo, yv, s->nval,
		    &s->gp, &s->brounds, err);
	else
		s->nval = 0;
	rc = 0;
out:
	free(yv);
	free(yt);
	free(side);
	free(Xf);
	free(Xo);
	return rc ? gb_nomem(s, err) : 0;
}

/*
 * The final booster on the training rows: early stopping sets the rounds
 * for this many rows (gb_final_split) when there are 10 * GB_VAL_MIN,
 * else on every row with the cross-validated rounds.
 */
static int
gb_final(struct gbrun *s, struct lq_err *err)
{
	float *X;
	int rc = 0;

	s->gp.max_depth = s->bd;
	s->gp.eta = s->beta;
	s->gp.nthread = gb_idle_threads(s->nw);
	X = gb_matrix(s->e, s->ne, s->ncol, s->tr, s->ntr);
	if (!X)
		return gb_nomem(s, err);
	if (s->ntr >= 10 * GB_VAL_MIN)
		rc = gb_final_split(s, X, err);
	if (!rc && !s->nval) {
		s->gp.rounds = s->brounds;
		s->gp.early_stop = 0;
		s->b = lq_gbdt_train(X, s->ytr, s->ntr, s->ncol, NULL, NULL, 0,
		    &s->gp, NULL, err);
	}
	free(X);
	return rc || !s->b ? -1 : 0;
}

/* The final booster's margins of rows idx[0..n) into z. */
static int
gb_margins(struct gbrun *s, const long *idx, long n, double *z,
    struct lq_err *err)
{
	float *X = gb_matrix(s->e, s->ne, s->ncol, idx, n);
	int rc;

	if (!X)
		return gb_nomem(s, err);
	rc = lq_gbdt_margin(s->b, X, n, z, err);
	free(X);
	return rc;
}

/*
 * The final booster's margins: the sample rows (the profile's score
 * shares) and the test rows.
 */
static int
gb_score(struct gbrun *s, struct lq_err *err)
{
	struct gbres *g = s->g;

	g->ztr = calloc((size_t)s->ns + 1, sizeof(double));
	g->zte = calloc((size_t)s->nte + 1, sizeof(double));
	if (!g->ztr || !g->zte)
		return gb_nomem(s, err);
	if (gb_margins(s, s->sidx, s->ns, g->ztr, err))
		return -1;
	if (s->nte && gb_margins(s, s->te, s->nte, g->zte, err))
		return -1;
	return 0;
}

/* Note the grid's result and the choice in the model. */
static void
gb_note(const struct gbrun *s, int pick)
{
	const struct gbres *g = s->g;

	if (s->lr_oof)
		lq_model_note(s->m, "boosted trees: max_depth %d, eta %g, %d "
		    "rounds (grid cross-validated on %ld rows: log loss %.4f; "
		    "rounds by early stopping on %ld rows); out of fold AUC "
		    "%.4f against %.4f for the logistic model (gain %+.4f, "
		    "fold noise %.4f); %s", s->bd, s->beta, s->brounds, s->ns,
		    s->best, s->nval, g->auc_gb, g->auc_lr, g->gain,
		    g->gain_se, pick ? "trees chosen (--model auto: the gain "
		    "is above 0.005 and twice the fold noise)" : "logistic "
		    "kept (--model auto needs a gain above 0.005 and twice "
		    "the fold noise)");
	else
		lq_model_note(s->m, "boosted trees (--model gbdt): max_depth "
		    "%d, eta %g, %d rounds (grid cross-validated on %ld rows: "
		    "log loss %.4f; rounds by early stopping on %ld rows); out "
		    "of fold AUC %.4f", s->bd, s->beta, s->brounds, s->ns,
		    s->best, s->nval, g->auc_gb);
}

/* The trees into the model: the booster and its text. */
static int
gb_keep(struct gbrun *s, struct lq_err *err)
{
	struct lq_model *m = s->m;
	struct lq_buf txt = LQ_BUF_INIT;

	m->gbdt = 1;
	m->gb = s->b;
	s->b = NULL;
	m->gb_depth = s->bd;
	m->gb_eta = s->beta;
	m->gb_rounds = s->brounds;
	m->ncols = s->ncol;
	if (lq_gbdt_save(m->gb, "    ", &txt, err)) {
		lq_buf_release(&txt);
		return -1;
	}
	m->gb_text = txt.buf;
	return 0;
}

/*
 * The choice: fold by fold AUC gains of the trees on the sample over the
 * logistic model's; the trees when --model gbdt or the gain is clear.
 */
static int
gb_choose(struct gbrun *s, struct lq_err *err)
{
	struct gbres *g = s->g;
	long ns = s->ns;
	int K = s->K, pick;
	double gs = 0, gss = 0;
	double *zz = malloc((size_t)(ns + 1) * sizeof(double));
	uint8_t *yy = malloc((size_t)ns + 1);

	if (!zz || !yy) {
		free(zz);
		free(yy);
		return gb_nomem(s, err);
	}
	for (int k = 0; s->lr_oof && k < K; k++) {
		double dk = fold_auc(g->oof, g->y, g->fold, ns, k, zz, yy) -
		    fold_auc(s->lro, g->y, g->fold, ns, k, zz, yy);
		gs += dk;
		gss += dk * dk;
	}
	g->gain = gs / K;
	g->gain_se = K > 1 ? sqrt(fmax(0, (gss - K * g->gain * g->gain) /
	    (K - 1)) / K) : 0;
	g->auc_gb = fold_auc(g->oof, g->y, g->fold, ns, -1, zz, yy);
	if (s->lr_oof)
		g->auc_lr = fold_auc(s->lro, g->y, g->fold, ns, -1, zz, yy);
	free(zz);
	free(yy);
	pick = s->t->o.model == LQ_TRAIN_GBDT || (g->gain > GB_GAIN &&
	    g->gain > 2 * g->gain_se);
	gb_note(s, pick);
	return pick ? gb_keep(s, err) : 0;
}

/*
 * Boosted trees on the encoded columns: the grid cross-validated on a
 * systematic sample of at most GB_SAMPLE training rows (the same folds
 * as the logistic model), early stopping on the held-out fold; the final
 * booster on every training row with the mean best rounds.  With --model
 * auto the trees are chosen when their out-of-fold AUC beats the logistic
 * model's (lr_oof, on the same rows) by more than GB_GAIN and by more
 * than twice the standard error of the fold-by-fold gains.  Sets m->gbdt
 * when the trees are chosen.
 */
int
train_gbdt_fit(struct lq_train *t, struct lq_model *m, const struct enc *e,
    int ne, int d, const long *tr, long ntr, const long *te, long nte,
    const long *fold_of, const uint8_t *ytr, const double *lr_oof,
    struct gbres *g, struct lq_err *err)
{
	struct gbrun s = { .t = t, .m = m, .e = e, .ne = ne, .ncol = d - 1,
	    .K = t->o.folds, .tr = tr, .te = te, .fold_of = fold_of,
	    .ntr = ntr, .nte = nte, .ytr = ytr, .lr_oof = lr_oof, .g = g,
	    .gp = { 0, 0, GB_ROUNDS, GB_CV_PATIENCE, t->o.threads, 0 },
	    .best = HUGE_VAL, .beta = 0.1, .bd = 3, .brounds = 1 };
	int rc = -1;

	memset(g, 0, sizeof(*g));
	s.nw = t->o.threads > 0 ? t->o.threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (s.nw < 1)
		s.nw = 1;
	if (gb_sample(&s, err) || gb_folds(&s, err) || gb_grid(&s, err) ||
	    gb_final(&s, err) || gb_score(&s, err) || gb_choose(&s, err))
		goto out;
	rc = 0;
out:
	lq_gbdt_free(s.b);
	free(s.sidx);
	free(s.lro);
	for (int k = 0; s.fo && k < s.K; k++)
		gb_fold_release(&s.fo[k]);
	free(s.fo);
	free(s.job);
	return rc;
}
