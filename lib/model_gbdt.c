/*
 * model_gbdt.c - gradient-boosted trees through xgboost's C API (see
 * lq_gbdt.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "lq_gbdt.h"
#include "lq_mem.h"

struct lq_gbdt {
	BoosterHandle h;
	int ncol;
	DMatrixHandle one;	/* not cached: a row's matrix per call */
};

/* The booster *h as an lq_gbdt of ncol columns; *h is NULL after. */
static struct lq_gbdt *
gb_take(BoosterHandle *h, int ncol)
{
	struct lq_gbdt *g = lq_xcalloc(1, sizeof(*g));

	g->h = *h;
	g->ncol = ncol;
	*h = NULL;
	return g;
}

static int
xg_err(struct lq_err *err, const char *what)
{
	const char *m = XGBGetLastError();
	char line[300];
	size_t n;

	/* the first line of xgboost's message, without its source position */
	if (!m)
		m = "unknown error";
	/* without "[13:50:40] ./src/learner.cc:1008: " */
	if (*m == '[' && strstr(m, "] "))
		m = strstr(m, "] ") + 2;
	const char *cc = strstr(m, ".cc:");
	if (cc && cc < m + strcspn(m, " \n") && strstr(cc, ": "))
		m = strstr(cc, ": ") + 2;
	snprintf(line, sizeof(line), "%s", m);
	n = strcspn(line, "\n");
	line[n] = 0;
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p > 126)
			*p = '?';
	return lq_err_set(err, LQ_EXIT_USAGE, "xgboost: %s: %s", what, line);
}

/* A DMatrix of x (n rows of ncol, NAN missing), labels y, made by nthread. */
static int
dmatrix(const float *x, const uint8_t *y, long n, int ncol, int nthread,
    DMatrixHandle *h, struct lq_err *err)
{
	if (XGDMatrixCreateFromMat_omp(x, (bst_ulong)n, (bst_ulong)ncol, NAN, h,
	    nthread > 0 ? nthread : 1))
		return xg_err(err, "cannot make a matrix");
	if (y) {
		float *fy = malloc((size_t)(n + 1) * sizeof(float));
		if (!fy)
			return lq_err_set(err, LQ_EXIT_IO, "out of memory: "
			    "labels of %ld rows", n);
		for (long i = 0; i < n; i++)
			fy[i] = y[i] ? 1.0f : 0.0f;
		int rc = XGDMatrixSetFloatInfo(*h, "label", fy, (bst_ulong)n);
		free(fy);
		if (rc) {
			XGDMatrixFree(*h);
			return xg_err(err, "cannot set the labels");
		}
	}
	return 0;
}

static int
set(BoosterHandle h, const char *k, const char *v, struct lq_err *err)
{
	if (XGBoosterSetParam(h, k, v))
		return xg_err(err, "bad parameter");
	return 0;
}

struct lq_gbdt *
lq_gbdt_train(const float *x, const uint8_t *y, long n, int ncol,
    const float *ev, const uint8_t *yev, long nev,
    const struct lq_gbdt_params *p, int *best_round, struct lq_err *err)
{
	DMatrixHandle d[2] = { NULL, NULL };
	BoosterHandle h = NULL;
	struct lq_gbdt *g = NULL;
	char v[64];
	const char *names[1] = { "eval" };
	double best = HUGE_VAL;
	int bestr = 0;

	if (dmatrix(x, y, n, ncol, p->nthread, &d[0], err) ||
	    (nev > 0 && dmatrix(ev, yev, nev, ncol, p->nthread, &d[1], err)))
		goto out;
	/* both matrices in the booster's cache: else every round's evaluation
	   predicts the eval rows with all the trees so far, from scratch */
	if (XGBoosterCreate(d, nev > 0 ? 2 : 1, &h)) {
		xg_err(err, "cannot make a booster");
		goto out;
	}
	snprintf(v, sizeof(v), "%d", p->max_depth);
	if (set(h, "objective", "binary:logistic", err) ||
	    set(h, "tree_method", "hist", err) ||
	    set(h, "eval_metric", "logloss", err) ||
	    set(h, "verbosity", "0", err) ||
	    set(h, "base_score", "0.5", err) ||
	    set(h, "max_depth", v, err))
		goto fail;
	snprintf(v, sizeof(v), "%.17g", p->eta);
	if (set(h, "eta", v, err))
		goto fail;
	snprintf(v, sizeof(v), "%d", p->seed);
	if (set(h, "seed", v, err))
		goto fail;
	if (p->nthread > 0) {
		snprintf(v, sizeof(v), "%d", p->nthread);
		if (set(h, "nthread", v, err))
			goto fail;
	}
	for (int r = 0; r < p->rounds; r++) {
		if (XGBoosterUpdateOneIter(h, r, d[0])) {
			xg_err(err, "training failed");
			goto fail;
		}
		if (nev <= 0) {
			bestr = r + 1;
			continue;
		}
		const char *res, *c;
		if (XGBoosterEvalOneIter(h, r, &d[1], names, 1, &res)) {
			xg_err(err, "evaluation failed");
			goto fail;
		}
		c = strrchr(res, ':');
		double ll = c ? strtod(c + 1, NULL) : HUGE_VAL;
		if (ll < best - 1e-12) {
			best = ll;
			bestr = r + 1;
		} else if (p->early_stop && r + 1 - bestr >= p->early_stop) {
			break;
		}
	}
	if (nev > 0) {
		int done;
		if (XGBoosterBoostedRounds(h, &done)) {
			xg_err(err, "no rounds");
			goto fail;
		}
		if (done > bestr) {
			BoosterHandle s;
			if (XGBoosterSlice(h, 0, bestr, 1, &s)) {
				xg_err(err, "cannot keep the best rounds");
				goto fail;
			}
			XGBoosterFree(h);
			h = s;
		}
	}
	if (best_round)
		*best_round = bestr;
	g = gb_take(&h, ncol);
fail:
	if (h)
		XGBoosterFree(h);
out:
	if (d[0])
		XGDMatrixFree(d[0]);
	if (d[1])
		XGDMatrixFree(d[1]);
	return g;
}

void
lq_gbdt_free(struct lq_gbdt *g)
{
	if (!g)
		return;
	XGBoosterFree(g->h);
	free(g);
}

static int
predict(struct lq_gbdt *g, const float *x, long n, int type, double *out,
    long nout, struct lq_err *err)
{
	DMatrixHandle d;
	char cfg[128];
	bst_ulong const *shape;
	bst_ulong dim, total = 1;
	float const *res;
	int rc = -1;

	if (dmatrix(x, NULL, n, g->ncol, 1, &d, err))
		return -1;
	snprintf(cfg, sizeof(cfg), "{\"type\": %d, \"training\": false, "
	    "\"iteration_begin\": 0, \"iteration_end\": 0, "
	    "\"strict_shape\": false}", type);
	if (XGBoosterPredictFromDMatrix(g->h, d, cfg, &shape, &dim, &res)) {
		xg_err(err, "prediction failed");
		goto out;
	}
	for (bst_ulong i = 0; i < dim; i++)
		total *= shape[i];
	if ((long)total != nout) {
		lq_err_set(err, LQ_EXIT_USAGE, "xgboost: %lu values predicted, "
		    "%ld expected", (unsigned long)total, nout);
		goto out;
	}
	for (long i = 0; i < nout; i++)
		out[i] = res[i];
	rc = 0;
out:
	XGDMatrixFree(d);
	return rc;
}

int
lq_gbdt_margin(struct lq_gbdt *g, const float *x, long n, double *z,
    struct lq_err *err)
{
	if (n <= 0)
		return 0;
	return predict(g, x, n, 1, z, n, err);
}

int
lq_gbdt_contribs(struct lq_gbdt *g, const float *x, double *c,
    struct lq_err *err)
{
	return predict(g, x, 1, 2, c, g->ncol + 1, err);
}

static const char b64c[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
lq_gbdt_save(struct lq_gbdt *g, const char *indent, struct lq_buf *out,
    struct lq_err *err)
{
	bst_ulong n;
	const char *p;
	int col = 0;

	if (XGBoosterSaveModelToBuffer(g->h, "{\"format\": \"json\"}", &n, &p))
		return xg_err(err, "cannot save the model");
	const unsigned char *u = (const unsigned char *)p;
	for (bst_ulong i = 0; i < n; i += 3) {
		unsigned v = (unsigned)u[i] << 16;
		int k = n - i >= 3 ? 3 : (int)(n - i);
		if (k > 1)
			v |= (unsigned)u[i + 1] << 8;
		if (k > 2)
			v |= u[i + 2];
		if (col == 0)
			lq_buf_adds(out, indent);
		char q[4] = { b64c[v >> 18], b64c[(v >> 12) & 63],
		    k > 1 ? b64c[(v >> 6) & 63] : '=', k > 2 ? b64c[v & 63] :
		    '=' };
		lq_buf_add(out, q, 4);
		col += 4;
		if (col >= 76) {
			lq_buf_addc(out, '\n');
			col = 0;
		}
	}
	if (col)
		lq_buf_addc(out, '\n');
	return 0;
}

static int
b64val(int c)
{
	const char *p = c ? strchr(b64c, c) : NULL;

	return p ? (int)(p - b64c) : -1;
}

struct lq_gbdt *
lq_gbdt_load(const char *b64, size_t len, int ncol, struct lq_err *err)
{
	unsigned char *buf = malloc(len / 4 * 3 + 4);
	size_t n = 0, pad = 0;
	unsigned v = 0;
	int k = 0;
	BoosterHandle h = NULL;
	bst_ulong nf;
	int rounds;
	struct lq_gbdt *g = NULL;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)b64[i], d;
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			d = 0;
		} else if (pad || (d = b64val(c)) < 0) {
			lq_err_set(err, LQ_EXIT_USAGE, "booster: not base64 "
			    "(byte %zu)", i + 1);
			goto out;
		}
		v = v << 6 | (unsigned)d;
		if (++k == 4) {
			buf[n++] = (unsigned char)(v >> 16);
			buf[n++] = (unsigned char)(v >> 8);
			buf[n++] = (unsigned char)v;
			k = 0;
			v = 0;
		}
	}
	if (k || pad > 2 || n < pad) {
		lq_err_set(err, LQ_EXIT_USAGE, "booster: base64 cut short");
		goto out;
	}
	n -= pad;
	if (n < 2 || buf[0] != '{') {
		lq_err_set(err, LQ_EXIT_USAGE, "booster: not an xgboost JSON "
		    "model");
		goto out;
	}
	if (XGBoosterCreate(NULL, 0, &h)) {
		xg_err(err, "cannot make a booster");
		goto out;
	}
	if (XGBoosterLoadModelFromBuffer(h, buf, (bst_ulong)n)) {
		xg_err(err, "booster: damaged model");
		goto out;
	}
	if (XGBoosterGetNumFeature(h, &nf) || XGBoosterBoostedRounds(h,
	    &rounds)) {
		xg_err(err, "booster: damaged model");
		goto out;
	}
	if ((long)nf != ncol) {
		lq_err_set(err, LQ_EXIT_USAGE, "booster: it takes %lu columns, "
		    "the features make %d", (unsigned long)nf, ncol);
		goto out;
	}
	if (rounds < 1) {
		lq_err_set(err, LQ_EXIT_USAGE, "booster: no trees");
		goto out;
	}
	if (XGBoosterSetParam(h, "nthread", "1")) {
		xg_err(err, "booster");
		goto out;
	}
	g = gb_take(&h, ncol);
out:
	if (h)
		XGBoosterFree(h);
	free(buf);
	return g;
}
