/*
 * lq-train - learn a calibrated lead model from won/lost history.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lq_score.h"
#include "lq_time.h"
#include "lq_train.h"
#include "lqcmd.h"
#include "lqreps.h"

static const char usage[] =
    "[-q] -l LABEL [-r RULES] [--cv K] [--holdout EXPR] [--time-field F]\n"
    "       [--exclude GLOB] [--include GLOB] [--keep GLOB] [--null-value S]\n"
    "       [--no-guards] [--C C | --lambda L] [--model M] [-j N]\n"
    "       [--report FILE] [--rejects FILE] [--strict] [FILE ...]\n"
    "       lq-train --reseal MODEL [-r RULES] [-o FILE]";

/* --help before the options */
static const char about[] =
"usage: lq-train [options] -l LABEL [FILE ...] > model.yaml\n"
"Learn an L2-regularised logistic regression from NDJSON history (FILEs or\n"
"standard input) and write the model (YAML) to standard output.\n"
"\n";

enum { O_CV = LQCMD_OPT_TOOL, O_HOLDOUT, O_TIME, O_EXCLUDE, O_INCLUDE, O_C, O_LAMBDA,
	O_L1, O_L4, O_MINCOUNT, O_MAXLEV, O_NUMERIC, O_REPORT, O_NOW,
	O_RESEAL, O_KEEP, O_NULLV, O_NOGUARD, O_MODEL };

static const struct lqcmd_option opt[] = {
	{ 'l', "label", "EXPR",
	    "jq expression: true (won), false (lost), null (skip)" },
	{ 'r', "rules", "FILE",
	    "rule file: score: signals become features, train:\n"
	    "adds jq features, exclude and include lists" },
	{ O_NOW, "now", "TIME",
	    "time the signals decay against (default: the clock)" },
	{ 'o', "output", "FILE",
	    "write the model to FILE instead of standard output" },
	{ O_CV, "cv", "K", "K-fold cross validation (default 5)" },
	{ O_HOLDOUT, "holdout", "EXPR",
	    "jq predicate marking test rows (evaluated only)" },
	{ O_TIME, "time-field", "F",
	    "timestamp field: date span; latest 20% is the test set" },
	{ O_EXCLUDE, "exclude", "GLOB",
	    "leave out features whose name matches (repeatable)" },
	{ O_INCLUDE, "include", "GLOB",
	    "use only features whose name matches (repeatable)" },
	{ O_KEEP, "keep", "GLOB",
	    "use matching features even when a guard would leave\n"
	    "them out as identifiers or suspected leakage" },
	{ O_NULLV, "null-value", "S",
	    "the string S means missing (repeatable: Select, N/A)" },
	{ O_NOGUARD, "no-guards", NULL, "no identifier or leakage guards" },
	{ O_C, "C", "C",
	    "inverse L2 strength (as scikit-learn); --lambda 1/C" },
	{ O_LAMBDA, "lambda", "L",
	    "L2 strength (default: chosen by cross validation)" },
	{ O_MODEL, "model", "M",
	    "logistic (default), gbdt (boosted trees, xgboost) or\n"
	    "auto (trees when clearly better out of fold)" },
	{ 'j', "threads", "N", "xgboost threads (default: every core)" },
	{ O_L1, "l1-precision", "P",
	    "precision target of tier L1 (default 0.8)" },
	{ O_L4, "l4-rate", "R",
	    "L4 converts at most R (default: half the base rate)" },
	{ O_MINCOUNT, "min-count", "N",
	    "levels seen fewer times pool into (other) (default 10)" },
	{ O_MAXLEV, "max-levels", "N",
	    "at most N levels per feature, 0 no limit (default 100)" },
	{ O_NUMERIC, "numeric", "MODE",
	    "robust (default: log for heavy tails, median/IQR,\n"
	    "clipped) or standard (mean/sd, as scikit-learn)" },
	{ O_REPORT, "report", "FILE",
	    "write the evaluation as NDJSON to FILE" },
	{ O_RESEAL, "reseal", "MODEL",
	    "check a model edited by hand and write its new\n"
	    "checksum (in place, or to -o FILE)" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-train(1).\n" };

struct args {
	struct lq_train_opts o;
	const char *output, *report, *reseal;
	struct lqcmd_run run;	/* the common options, the record loop */
	const char **excl, **incl, **keep, **nullv;
};

static double
num_arg(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= lo && v <= hi))
		lqcmd_die(LQ_EXIT_USAGE, "%s: bad value '%s'", opt, s);
	return v;
}

/* A whole number in [lo, hi]: --cv 2.5 is not 2. */
static int
int_arg(const char *opt, const char *s, double lo, double hi)
{
	double v = num_arg(opt, s, lo, hi);

	if (v != floor(v))
		lqcmd_die(LQ_EXIT_USAGE, "%s: not a whole number: '%s'", opt,
		    s);
	return (int)v;
}

static void
parse_args(struct args *a, int argc, char **argv)
{
	int ch;

	lq_train_opts_init(&a->o);
	a->excl = calloc((size_t)argc + 1, sizeof(char *));
	a->incl = calloc((size_t)argc + 1, sizeof(char *));
	a->keep = calloc((size_t)argc + 1, sizeof(char *));
	a->nullv = calloc((size_t)argc + 1, sizeof(char *));
	a->o.exclude = a->excl;
	a->o.include = a->incl;
	a->o.keep = a->keep;
	a->o.nullv = a->nullv;
	a->run.progress = -1;
	while ((ch = lqcmd_getopt(&opts, &a->run, argc, argv)) != -1) {
		switch (ch) {
		case 'l': a->o.label = optarg; break;
		case 'r': a->o.rules = optarg; break;
		case 'o': a->output = optarg; break;
		case O_CV: a->o.folds = int_arg("--cv", optarg, 2, 100);
			break;
		case O_HOLDOUT: a->o.holdout = optarg; break;
		case O_TIME: a->o.time_field = optarg; break;
		case O_EXCLUDE: a->excl[a->o.nexclude++] = optarg; break;
		case O_INCLUDE: a->incl[a->o.ninclude++] = optarg; break;
		case O_C: a->o.lambda = 1 / num_arg("--C", optarg, 1e-12, 1e12);
			break;
		case O_LAMBDA: a->o.lambda = num_arg("--lambda", optarg, 0,
		    1e12);
			break;
		case O_L1: a->o.l1_precision = num_arg("--l1-precision",
		    optarg, 0, 1);
			break;
		case O_L4: a->o.l4_rate = num_arg("--l4-rate", optarg, 0, 1);
			break;
		case O_MINCOUNT: a->o.min_count = int_arg("--min-count",
		    optarg, 1, 1e9);
			break;
		case O_MAXLEV: a->o.max_levels = int_arg("--max-levels",
		    optarg, 0, 1e9);
			break;
		case O_NUMERIC:
			if (strcmp(optarg, "robust") && strcmp(optarg,
			    "standard"))
				lqcmd_die(LQ_EXIT_USAGE, "--numeric: robust or "
				    "standard, not '%s'", optarg);
			a->o.standard = !strcmp(optarg, "standard");
			break;
		case O_REPORT: a->report = optarg; break;
		case O_RESEAL: a->reseal = optarg; break;
		case O_KEEP: a->keep[a->o.nkeep++] = optarg; break;
		case O_NULLV: a->nullv[a->o.nnullv++] = optarg; break;
		case O_NOGUARD: a->o.no_guards = 1; break;
		case O_MODEL:
			if (!strcmp(optarg, "logistic"))
				a->o.model = LQ_TRAIN_LOGISTIC;
			else if (!strcmp(optarg, "gbdt"))
				a->o.model = LQ_TRAIN_GBDT;
			else if (!strcmp(optarg, "auto"))
				a->o.model = LQ_TRAIN_AUTO;
			else
				lqcmd_die(LQ_EXIT_USAGE, "--model: logistic, "
				    "gbdt or auto, not '%s'", optarg);
			break;
		case 'j': a->o.threads = int_arg("-j", optarg, 1, 1024);
			break;
		case O_NOW:
			if (lq_time_parse(optarg, strlen(optarg), &a->o.now))
				lqcmd_die(LQ_EXIT_USAGE, "--now: not a time: '%s'",
				    optarg);
			break;
		default:
			lqcmd_usage(usage);
		}
	}
}

static int
add_one(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	(void)val;
	return lq_train_add(ctx, rec->line, rec->len, err);
}

/* lq-train --reseal: check a model and write it with a new checksum. */
static int
reseal(const struct args *a)
{
	struct lq_buf in = LQ_BUF_INIT, out = LQ_BUF_INIT;
	struct lq_score *sc = NULL;
	struct lq_err err;

	lq_err_clear(&err);
	if ((a->o.rules && !(sc = lq_score_load(a->o.rules, &err))) ||
	    lq_model_read_file(a->reseal, &in, &err) ||
	    lq_model_reseal(a->reseal, in.buf ? in.buf : "", in.len, sc,
	    &out, &err))
		lqcmd_die_err(&err);
	int status = lqcmd_write_file(a->output ? a->output : a->reseal, &out);
	lq_score_free(sc);
	lq_buf_release(&in);
	lq_buf_release(&out);
	return lqcmd_finish(status);
}

/* Fit, then write the model, the report and the summary. */
static int
train(struct lq_train *t, const struct args *a, int status)
{
	struct lq_buf model = LQ_BUF_INIT, human = LQ_BUF_INIT, js = LQ_BUF_INIT;
	struct lq_model *m;
	struct lq_err err;

	lq_err_clear(&err);
	if (!(m = lq_train_fit(t, &human, &js, &err))) {
		lqcmd_warn("%s", err.msg);
		return err.code ? err.code : LQ_EXIT_USAGE;
	}
	lq_model_write(m, &model);
	if (!a->run.quiet)
		fputs(human.buf, stderr);
	if (a->report && lqcmd_write_file(a->report, &js))
		status = LQ_EXIT_IO;
	if (a->output) {
		if (lqcmd_write_file(a->output, &model))
			status = LQ_EXIT_IO;
	} else {
		lqcmd_write(model.buf, model.len);
	}
	lq_model_free(m);
	lq_buf_release(&model);
	lq_buf_release(&human);
	lq_buf_release(&js);
	return status;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct lq_train *t;
	struct lq_err err;
	int status;

	lqcmd_init(argv, "lq-train");
	if (lqreps_wanted(argc, argv))	/* rep win rates for lq-route */
		return lqreps_main(argc, argv);
	parse_args(&a, argc, argv);
	if (a.reseal) {
		if (optind < argc)
			lqcmd_usage(usage);
		status = reseal(&a);
		free(a.excl);
		free(a.incl);
		free(a.keep);
		free(a.nullv);
		return status;
	}
	lq_err_clear(&err);
	if (!(t = lq_train_new(&a.o, &err)))
		lqcmd_die_err(&err);
	a.run.fn = add_one;
	a.run.ctx = t;
	lqcmd_run(&a.run, argv + optind, argc - optind);
	status = lqcmd_done(&a.run);
	if (!(status && a.run.strict) && status != LQ_EXIT_IO)
		status = train(t, &a, status);
	lq_train_free(t);
	free(a.excl);
	free(a.incl);
	free(a.keep);
	free(a.nullv);
	return lqcmd_finish(status);
}
