/*
 * test_gbdt.c - boosted trees (lq-train --model gbdt): trained on the
 * lq-train fixture, the exact contributions (TreeSHAP) of every lead's
 * encoded columns plus the bias add up to the booster's own margin, and
 * per feature to what lq_model_eval() reports.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_gbdt.h"
#include "lq_model.h"
#include "lq_train.h"
#include "tap.h"

int
main(int argc, char **argv)
{
	const char *fix = argc > 1 ? argv[1] : "test/fixtures/lq-train/"
	    "leads.ndjson";
	static const char *excl[] = { "id" };
	struct lq_train_opts o;
	struct lq_err err;
	struct lq_buf out = LQ_BUF_INIT;
	char line[4096];
	FILE *fp;
	int nrow = 0, bad_sum = 0, bad_feat = 0;
	double worst = 0;

	lq_err_clear(&err);
	lq_train_opts_init(&o);
	o.label = ".stage | if . == \"open\" then null else . == \"won\" end";
	o.exclude = excl;
	o.nexclude = 1;
	o.min_count = 5;
	o.model = LQ_TRAIN_GBDT;
	o.threads = 1;
	struct lq_train *t = lq_train_new(&o, &err);
	ok(t != NULL, "lq_train_new: %s", err.msg);
	if (!(fp = fopen(fix, "r"))) {
		ok(0, "open %s", fix);
		return tap_done();
	}
	while (fgets(line, sizeof(line), fp))
		lq_train_add(t, line, strcspn(line, "\n"), &err);
	struct lq_model *m0 = lq_train_fit(t, NULL, NULL, &err), *m;
	ok(m0 && m0->gbdt && m0->gb, "trees trained: %s", m0 ? "" : err.msg);
	if (!m0)
		return tap_done();
	/* scored as lq-score does: the model as written, loaded back */
	lq_model_write(m0, &out);
	m = lq_model_load_mem("model", out.buf, out.len, NULL, 0, &err);
	ok(m && m->gbdt, "the model loads back: %s", m ? "" : err.msg);
	if (!m)
		return tap_done();
	float *row = calloc((size_t)m->ncols + 1, sizeof(float));
	double *c = calloc((size_t)m->ncols + 2, sizeof(double)), z;
	rewind(fp);
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strcspn(line, "\n");
		if (lq_model_row(m, line, n, row, &err) ||
		    lq_gbdt_contribs(m->gb, row, c, &err) ||
		    lq_gbdt_margin(m->gb, row, 1, &z, &err)) {
			ok(0, "row %d: %s", nrow + 1, err.msg);
			break;
		}
		double s = 0;
		for (int j = 0; j <= m->ncols; j++)
			s += c[j];
		if (fabs(s - z) > worst)
			worst = fabs(s - z);
		bad_sum += !(fabs(s - z) <= 1e-6);
		/* what lq-score writes: its log_odds is that sum */
		lq_buf_reset(&out);
		m->all_reasons = 1;
		if (lq_model_eval(m, line, n, "score", &out, &err)) {
			ok(0, "eval row %d: %s", nrow + 1, err.msg);
			break;
		}
		const char *lo = strstr(out.buf, "\"log_odds\":");
		double zz = lo ? strtod(lo + 11, NULL) : NAN;
		bad_feat += !(fabs(zz - s) <= 5e-5);
		nrow++;
	}
	fclose(fp);
	ok(nrow == 150, "every fixture lead scored (%d)", nrow);
	ok(!bad_sum, "contributions + bias = margin within 1e-6 on every "
	    "lead (%d off; worst %.3g)", bad_sum, worst);
	ok(!bad_feat, "lq_model_eval's log_odds is that sum (%d off)",
	    bad_feat);
	/* a damaged embedded model is an error, never a crash */
	struct lq_gbdt *g = lq_gbdt_load("e30=", 4, m->ncols, &err);
	ok(!g && strstr(err.msg, "xgboost"), "'{}' is no model: %s", err.msg);
	g = lq_gbdt_load("eyJsZWFybmVyIjp7", 16, m->ncols, &err);
	ok(!g && *err.msg, "a cut JSON model: %s", err.msg);
	g = lq_gbdt_load("eyJsZWFybm*", 11, m->ncols, &err);
	ok(!g && strstr(err.msg, "base64"), "not base64: %s", err.msg);
	free(row);
	free(c);
	lq_buf_release(&out);
	lq_model_free(m);
	lq_model_free(m0);
	lq_train_free(t);
	return tap_done();
}
