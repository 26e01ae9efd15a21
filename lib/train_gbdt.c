/*
 * train_gbdt.c - boosted trees through libxgboost (lq_gbdt.h): the
 * grid over depth and learning rate with early stopping, on the same folds
 * as the logistic model.
 */
#include "train_int.h"

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

void
train_gbres_release(struct gbres *g)
{
	free(g->oof);
	free(g->y);
	free(g->fold);
	free(g->ztr);
	free(g->zte);
}

/* The encoded columns (lq_gbdt.h) of rows idx[0..n) into X. */
static float *
gb_matrix(const struct enc *e, int ne, int ncol, const long *idx, long n)
{
	float *X = calloc((size_t)n * ncol + 1, sizeof(float));

	if (!X)
		abort();
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

/* AUC of margins z against y, rows of fold k (all when k < 0). */
static double
fold_auc(const double *z, const uint8_t *y, const long *fold, long n, int k)
{
	long m = 0;
	double *zz = malloc((size_t)(n + 1) * sizeof(double));
	uint8_t *yy = malloc((size_t)n + 1);
	struct metrics mt;

	for (long i = 0; i < n; i++)
		if (k < 0 || fold[i] == k) {
			zz[m] = train_sigmoid(z[i]);
			yy[m++] = y[i];
		}
	train_evaluate(zz, yy, m, &mt);
	free(zz);
	free(yy);
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

struct gbpool {
	struct gbjob *job;
	int njob, next, ncol;
	pthread_mutex_t mu;
};

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
	if (!j->z)
		abort();
	j->rc = lq_gbdt_margin(b, j->f->Xo, j->f->no, j->z, &j->err);
	lq_gbdt_free(b);
}

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
	th = calloc((size_t)nw + 1, sizeof(*th));
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
 * The threads for xgboost's own (OpenMP) parallelism, at most nw: one
 * per core the load average leaves idle (as make -l), at least one.
 * xgboost's threads wait for one another by spinning, so on cores other
 * processes hold a second thread slows the fit (measured: 13.7 s against
 * 6.5 s at load 2 on 2 cores).  The model does not depend on it.
 */
static int
gb_idle_threads(int nw)
{
	double la[1];
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	int n = nw;

	if (nc > 0 && getloadavg(la, 1) == 1) {
		double idle = (double)nc - la[0];
		n = idle < 1.5 ? 1 : (int)(idle + 0.5);
	}
	return n < 1 ? 1 : n > nw ? nw : n;
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
    int ne,     int d, const long *tr, long ntr, const long *te, long nte,
    const long *fold_of, const uint8_t *ytr, const double *lr_oof,
    struct gbres *g, struct lq_err *err)
{
	int K = t->o.folds, ncol = d - 1, rc = -1;
	long step = ntr > GB_SAMPLE ? (ntr + GB_SAMPLE - 1) / GB_SAMPLE : 1;
	long ns = 0, *sidx, *fi, *oi;
	struct lq_gbdt_params gp = { 0, 0, GB_ROUNDS, GB_CV_PATIENCE,
	    t->o.threads, 0 };
	double best = HUGE_VAL, *lro;
	int bd = 3, brounds = 1;
	double beta = 0.1;
	float *X = NULL, *Xf = NULL, *Xo = NULL;
	struct lq_gbdt *b = NULL;
	struct gbfold *fo;
	struct gbjob *job;
	int nw = t->o.threads > 0 ? t->o.threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (nw < 1)
		nw = 1;
	memset(g, 0, sizeof(*g));
	sidx = malloc((size_t)(ntr / step + 2) * sizeof(long));
	g->fold = malloc((size_t)(ntr / step + 2) * sizeof(long));
	g->y = malloc((size_t)(ntr / step + 2));
	lro = malloc((size_t)(ntr / step + 2) * sizeof(double));
	for (long q = 0; q < ntr; q += step) {
		g->fold[ns] = fold_of[q];
		g->y[ns] = ytr[q];
		lro[ns] = lr_oof ? lr_oof[q] : 0;
		sidx[ns++] = tr[q];
	}
	g->n = ns;
	g->oof = calloc((size_t)ns + 1, sizeof(double));
	fi = malloc((size_t)(ns + 1) * sizeof(long));
	oi = malloc((size_t)(ns + 1) * sizeof(long));
	/* the folds' matrices, made once for every cell of the grid */
	fo = calloc((size_t)K + 1, sizeof(*fo));
	job = calloc((size_t)K * (GB_NDEPTH + GB_NETA) + 1, sizeof(*job));
	for (int k = 0; k < K; k++) {
		struct gbfold *f = &fo[k];
		f->yf = malloc((size_t)ns + 1);
		f->yo = malloc((size_t)ns + 1);
		f->op = malloc((size_t)(ns + 1) * sizeof(long));
		for (long q = 0; q < ns; q++)
			if (g->fold[q] == k) {
				f->op[f->no] = q;
				f->yo[f->no] = g->y[q];
				oi[f->no++] = sidx[q];
			} else {
				f->yf[f->nf] = g->y[q];
				fi[f->nf++] = sidx[q];
			}
		f->Xf = gb_matrix(e, ne, ncol, fi, f->nf);
		f->Xo = gb_matrix(e, ne, ncol, oi, f->no);
	}
	/* the depths at the fast rate, then the slower rates at the best
	 * depth: each cell's folds side by side (gb_jobs_run), the cells
	 * compared in this order */
	for (int phase = 0; phase < 2; phase++) {
		int a0 = phase ? GB_NDEPTH : 0;
		int a1 = phase ? GB_NDEPTH + GB_NETA - 1 : GB_NDEPTH;
		int nj = 0;
		for (int a = a0; a < a1; a++)
			for (int k = 0; k < K; k++) {
				struct gbjob *j = &job[nj++];
				memset(j, 0, sizeof(*j));
				j->f = &fo[k];
				j->gp = gp;
				j->gp.nthread = 1;
				j->gp.max_depth = a < GB_NDEPTH ? gb_depths[a] : bd;
				j->gp.eta = a < GB_NDEPTH ? gb_etas[0] :
				    gb_etas[a - GB_NDEPTH + 1];
			}
		int jrc = gb_jobs_run(job, nj, ncol, nw, err);
		for (int q = 0; !jrc && q < nj; q += K) {
			double loss = 0;
			int rsum = 0;
			for (int k = 0; k < K; k++) {
				const struct gbjob *j = &job[q + k];
				for (long r = 0; r < j->f->no; r++)
					loss += train_log1pexp(j->z[r]) - (j->f->yo[r] ?
					    j->z[r] : 0);
				rsum += j->rounds;
			}
			loss /= ns;
			if (loss < best) {
				best = loss;
				bd = job[q].gp.max_depth;
				beta = job[q].gp.eta;
				brounds = (rsum + K / 2) / K;
				for (int k = 0; k < K; k++) {
					const struct gbjob *j = &job[q + k];
					for (long r = 0; r < j->f->no; r++)
						g->oof[j->f->op[r]] = j->z[r];
				}
			}
		}
		for (int q = 0; q < nj; q++) {
			free(job[q].z);
			job[q].z = NULL;
		}
		if (jrc)
			goto out;
	}
	if (brounds < 1)
		brounds = 1;
	/* the final booster: on the training rows, but for a tenth of them
	 * (GB_VAL_MIN or more) where early stopping sets the rounds for this
	 * many rows; on every row, with the cross-validated rounds, when
	 * there are too few */
	long nval = 0, nfit = 0;
	gp.max_depth = bd;
	gp.eta = beta;
	gp.nthread = gb_idle_threads(nw);
	X = gb_matrix(e, ne, ncol, tr, ntr);
	if (ntr >= 10 * GB_VAL_MIN) {
		/* the split by a hash of the encoded row: copies of a lead
		 * fall on one side (else they would never stop the rounds) */
		uint8_t *yv = malloc((size_t)ntr + 1);
		uint8_t *yt = malloc((size_t)ntr + 1);
		uint8_t *side = malloc((size_t)ntr + 1);
		for (long q = 0; q < ntr; q++) {
			const unsigned char *u = (const unsigned char *)(X +
			    (size_t)q * ncol);
			uint64_t h = 1469598103934665603ULL;
			for (size_t j = 0; j < (size_t)ncol * sizeof(float); j++)
				h = (h ^ u[j]) * 1099511628211ULL;
			side[q] = train_mix(h) % 10 == 0;
			nval += side[q];
		}
		nfit = ntr - nval;
		Xf = malloc((size_t)(nfit + 1) * ncol * sizeof(float));
		Xo = malloc((size_t)(nval + 1) * ncol * sizeof(float));
		long a = 0, v = 0;
		for (long q = 0; q < ntr; q++) {
			const float *r = X + (size_t)q * ncol;
			if (side[q]) {
				memcpy(Xo + (size_t)v * ncol, r, (size_t)ncol *
				    sizeof(float));
				yv[v++] = ytr[q];
			} else {
				memcpy(Xf + (size_t)a * ncol, r, (size_t)ncol *
				    sizeof(float));
				yt[a++] = ytr[q];
			}
		}
		gp.rounds = GB_ROUNDS;
		gp.early_stop = GB_PATIENCE;
		if (nval >= GB_VAL_MIN && nfit > 0)
			b = lq_gbdt_train(Xf, yt, nfit, ncol, Xo, yv, nval,
			    &gp, &brounds, err);
		else
			nval = 0;
		free(yv);
		free(yt);
		free(side);
		free(Xf);
		free(Xo);
		Xf = Xo = NULL;
	}
	if (!nval) {
		gp.rounds = brounds;
		gp.early_stop = 0;
		b = lq_gbdt_train(X, ytr, ntr, ncol, NULL, NULL, 0, &gp, NULL,
		    err);
	}
	if (!b)
		goto out;
	/* the profile's score shares: the final booster on the sample rows */
	free(X);
	X = gb_matrix(e, ne, ncol, sidx, ns);
	g->ztr = calloc((size_t)ns + 1, sizeof(double));
	if (lq_gbdt_margin(b, X, ns, g->ztr, err))
		goto out;
	free(X);
	X = NULL;
	g->zte = calloc((size_t)nte + 1, sizeof(double));
	if (nte) {
		X = gb_matrix(e, ne, ncol, te, nte);
		if (lq_gbdt_margin(b, X, nte, g->zte, err))
			goto out;
	}
	/* the choice: fold by fold AUC gains on the sample */
	double gs = 0, gss = 0;
	for (int k = 0; lr_oof && k < K; k++) {
		double dk = fold_auc(g->oof, g->y, g->fold, ns, k) -
		    fold_auc(lro, g->y, g->fold, ns, k);
		gs += dk;
		gss += dk * dk;
	}
	g->gain = gs / K;
	g->gain_se = K > 1 ? sqrt(fmax(0, (gss - K * g->gain * g->gain) /
	    (K - 1)) / K) : 0;
	g->auc_gb = fold_auc(g->oof, g->y, g->fold, ns, -1);
	int pick = t->o.model == LQ_TRAIN_GBDT || (g->gain > GB_GAIN &&
	    g->gain > 2 * g->gain_se);
	if (lr_oof) {
		g->auc_lr = fold_auc(lro, g->y, g->fold, ns, -1);
		lq_model_note(m, "boosted trees: max_depth %d, eta %g, %d "
		    "rounds (grid cross-validated on %ld rows: log loss %.4f; "
		    "rounds by early stopping on %ld rows); out of fold AUC "
		    "%.4f against %.4f for the logistic model (gain %+.4f, "
		    "fold noise %.4f); %s", bd, beta, brounds, ns, best, nval,
		    g->auc_gb, g->auc_lr, g->gain, g->gain_se, pick ?
		    "trees chosen (--model auto: the gain is above 0.005 and "
		    "twice the fold noise)" : "logistic kept (--model auto "
		    "needs a gain above 0.005 and twice the fold noise)");
	} else {
		lq_model_note(m, "boosted trees (--model gbdt): max_depth %d, "
		    "eta %g, %d rounds (grid cross-validated on %ld rows: log "
		    "loss %.4f; rounds by early stopping on %ld rows); out of "
		    "fold AUC %.4f", bd, beta, brounds, ns, best, nval,
		    g->auc_gb);
	}
	if (pick) {
		m->gbdt = 1;
		m->gb = (struct lq_gbdt *)b;
		b = NULL;
		m->gb_depth = bd;
		m->gb_eta = beta;
		m->gb_rounds = brounds;
		m->ncols = ncol;
		struct lq_buf txt = LQ_BUF_INIT;
		if (lq_gbdt_save(m->gb, "    ", &txt, err)) {
			lq_buf_release(&txt);
			goto out;
		}
		m->gb_text = txt.buf;
	}
	rc = 0;
out:
	lq_gbdt_free(b);
	free(X);
	free(Xf);
	free(Xo);
	free(sidx);
	free(lro);
	free(fi);
	free(oi);
	for (int k = 0; k < K; k++) {
		free(fo[k].Xf);
		free(fo[k].Xo);
		free(fo[k].yf);
		free(fo[k].yo);
		free(fo[k].op);
	}
	free(fo);
	free(job);
	return rc;
}
