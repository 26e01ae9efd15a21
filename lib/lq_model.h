/*
 * lq_model.h - a trained lead model: features, encoders, weights,
 * calibration, tier cut-offs; written by lq-train as YAML, read back by
 * lq-score -m (and lq-report for its profile: section).
 *
 * A feature turns one record into one value: a field of the record (a
 * path of keys, optionally the length of an array), a signal of the score
 * rules (its points, NAN when unknown) or a jq expression from the train:
 * section.  Categorical features one-hot encode their levels plus
 * "(other)" (rare or unseen values) and "(missing)"; numeric features are
 * transformed (optionally sign(x) log(1 + |x|)), centred, scaled and
 * clipped, with a missing indicator.  The log-odds are the intercept
 * plus one contribution per feature.
 */
#ifndef LQ_MODEL_H
#define LQ_MODEL_H

#include <stddef.h>

#include <jv.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_json.h"

struct lq_score;
struct lq_exprs;
struct lq_gbdt;

enum lq_fsrc { LQ_FS_FIELD, LQ_FS_SIGNAL, LQ_FS_EXPR };
enum lq_ftype { LQ_FT_CAT, LQ_FT_NUM };

/* column offsets inside a categorical feature after its levels */
#define LQ_COL_OTHER(f) ((f)->nlev)
#define LQ_COL_MISSING(f) ((f)->nlev + 1)

struct lq_feat {
	char *name;		/* readable name, unique in a model */
	enum lq_fsrc src;
	char **path;		/* LQ_FS_FIELD: keys from the record's top */
	int npath;
	int length;		/* the value is the length of an array */
	char *expr;		/* LQ_FS_EXPR: jq text; LQ_FS_SIGNAL: name */
	int slot;		/* expression slot or signal index */
	enum lq_ftype type;
	/* categorical: ncol = nlev + 2 (levels, other, missing) */
	char **levels;
	int nlev;
	int *order;		/* level indices sorted by value (lookup) */
	/* numeric: ncol = 2 (value, missing) */
	int logt;		/* sign(x) * log1p(|x|) first */
	double center, scale;	/* x' = (t(x) - center) / scale */
	double lo, hi;		/* then clipped to [lo, hi] (+-HUGE_VAL: none) */
	int ncol;
	double *w, *se;		/* per column: weight, standard error */
	long *count;		/* per column: training rows */
	/* profile (for drift): numeric decile edges in raw units, shares */
	double *pedge;
	int npedge;
	double *pshare;
	int npshare;
};

/* a raw value extracted from a record */
struct lq_raw {
	int kind;		/* 0 missing, 1 number, 2 string, 3 a number
				   beyond a double (1e400): unknown */
	double num;
	const char *s;		/* borrowed from the record or scratch */
	size_t n;
};

struct lq_tierstat {
	long count, pos;
	double conv, lift, precision, recall, fpr;
};

struct lq_model {
	struct lq_feat *f;
	int nf;
	double w0, se0;		/* intercept and its standard error */
	double cal_a, cal_b;	/* Platt: p = 1 / (1 + exp(-(a z + b))) */
	int calibrated;		/* 0: method none (a = 1, b = 0) */
	double cut[3];		/* minimum probability for L1, L2, L3 */
	double min_conf;	/* below: action review */
	/* metadata */
	char *label;		/* label expression */
	char *when;		/* RFC 3339 of the newest training row, or NULL */
	char *time_field;
	char *first, *last;	/* date span with --time-field */
	long rows, skipped, pos;
	double lambda;
	int folds;
	char *eval;		/* "cv", "holdout", "time" */
	double auc, logloss, brier, ece, ece_raw;
	struct lq_tierstat tier[4];
	double l1_target;
	char **nullv;		/* strings that mean missing (--null-value) */
	int nnullv;
	char **notes;		/* what training left out, tier and
				   calibration decisions, in words */
	int nnotes;
	/* profile */
	double score_share[10];
	/* scoring state */
	struct lq_exprs *x;	/* expression features (owned) */
	struct lq_eval *ev;	/* per-record results of x (owned) */
	struct lq_scan scan;	/* the record being scored */
	struct lq_score *sc;	/* signals (borrowed) */
	double *sigpts;
	char numtxt[256];
	struct lq_buf text;	/* a reason's words */
	int all_reasons;	/* lq-score --reasons all: every feature */
	/* model: gbdt (boosted trees; the weights above are unused, 0) */
	int gbdt;
	struct lq_gbdt *gb;	/* the booster (owned) */
	char *gb_text;		/* its base64 lines as written (owned) */
	int gb_depth, gb_rounds;
	double gb_eta;
	int ncols;		/* the encoded columns (lq_gbdt.h) */
	float *row;		/* scoring: one row of them */
	double *gc;		/* scoring: their contributions and bias */
};

/*
 * Bounds the loader enforces on every model file (lq-train(1), "The model
 * file").  The logistic function is 0 or 1 in double precision beyond
 * log-odds of about +-37, and every column a weight multiplies is a
 * one-hot 1, a robust-scaled and clipped number of a few units or a
 * standardised one: a weight, intercept or Platt coefficient beyond 1e3
 * has no use in a fitted model and means a diverged fit (perfectly
 * separated data and no regularisation) or a damaged file.  Standard
 * errors beyond 1e6 likewise.  Centres and scales are in the units lq-train
 * keeps a feature in, single-precision floats (+-3.4e38): within +-1e39,
 * so that FLT_MAX printed to 8 digits (3.4028235e38) stays inside.
 */
#define LQ_MODEL_WMAX 1e3
#define LQ_MODEL_SEMAX 1e6
#define LQ_MODEL_XMAX 1e39	/* above FLT_MAX (3.4e38) */

/* lq_model_load_mem() flags */
#define LQ_MODEL_UNSEALED 1	/* no checksum needed (lq-train --reseal) */
#define LQ_MODEL_ANY_SIGNAL 2	/* without sc, signal features are taken
				   on trust (they cannot be scored) */

/* Allocate an empty model. */
struct lq_model *lq_model_new(void);

/* Free a model and everything it holds. */
void lq_model_free(struct lq_model *m);

/*
 * Load a model file.  sc (borrowed, may be NULL) supplies the signals a
 * model may use: each must exist in it.  Returns NULL with err set
 * ("model.yaml:12:5: ...", code LQ_EXIT_USAGE) on any error: a file
 * without its checksum line at the end (cut short, or not written by
 * lq-train), a key missing or unknown, a value out of its range (see
 * LQ_MODEL_WMAX; probabilities and cut-offs in [0, 1], L1 >= L2 >= L3,
 * counts whole, kinds and types known, levels unique, clip low <= high,
 * scale > 0, a profile for every feature), then a checksum that does not
 * match the bytes above it (the file was changed since it was sealed).
 */
struct lq_model *lq_model_load(const char *path, struct lq_score *sc,
    struct lq_err *err);

/*
 * Load a model from text[0..len) (borrowed); name is used in messages.
 * flags: LQ_MODEL_UNSEALED, LQ_MODEL_ANY_SIGNAL.  As lq_model_load().
 */
struct lq_model *lq_model_load_mem(const char *name, const char *text,
    size_t len, struct lq_score *sc, int flags, struct lq_err *err);

/* Append the bytes of the file path to out.  Returns 0 or -1 with err. */
int lq_model_read_file(const char *path, struct lq_buf *out,
    struct lq_err *err);

/*
 * Append the model as YAML to out, sealed: its last line is "checksum:
 * fnv1a64-" and the 64-bit FNV-1a of every byte written before it, in 16
 * lowercase hex digits.
 */
void lq_model_write(const struct lq_model *m, struct lq_buf *out);

/*
 * Seal the model text b->buf[start..b->len): drop a final checksum line,
 * add the note above it unless it is there, and append the checksum line.
 */
void lq_model_seal(struct lq_buf *b, size_t start);

/*
 * Check the model text[0..len) as lq_model_load() does, except for its
 * checksum (signal features are checked against sc when it is given), and
 * append it to out sealed anew.  Returns 0, or -1 with err set.
 */
int lq_model_reseal(const char *name, const char *text, size_t len,
    struct lq_score *sc, struct lq_buf *out, struct lq_err *err);

/*
 * Extract feature f's raw value from rec (borrowed) and res (the results
 * of the expression set, borrowed; may be jv_invalid() when there are no
 * expression features) and sig (signal points, may be NULL).  String
 * values point into rec or into the model's scratch.
 */
void lq_feat_raw(struct lq_model *m, const struct lq_feat *f, jv rec,
    jv res, const double *sig, struct lq_raw *out);

/* Free what feature f holds (not f itself); every NULL member is skipped. */
void lq_feat_release(struct lq_feat *f);

/* Transform a raw number of numeric feature f (not clipped, scaled). */
double lq_feat_scale(const struct lq_feat *f, double x);

/* Level index of string s[0..n) in categorical f, or -1. */
int lq_feat_level(const struct lq_feat *f, const char *s, size_t n);

/* Format a number as a categorical level (shortest text of the float). */
void lq_num_level(double v, char *buf, size_t n);

/* Append a note (printf format) to the model's notes: list. */
void lq_model_note(struct lq_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Add s (copied) to the strings that mean missing. */
void lq_model_add_null(struct lq_model *m, const char *s);

/* Whether s[0..n) is one of the model's null values. */
int lq_model_is_null(const struct lq_model *m, const char *s, size_t n);

/*
 * Fill row[0..m->ncols) with the encoded columns of the record line[0..len)
 * as a gbdt model's booster takes them (lq_gbdt.h).  Returns 0 or -1 with
 * err set.
 */
int lq_model_row(struct lq_model *m, const char *line, size_t len,
    float *row, struct lq_err *err);

/* Calibrated probability of log-odds z. */
double lq_model_prob(const struct lq_model *m, double z);

/* Tier index 0..3 of a probability. */
int lq_model_tier(const struct lq_model *m, double p);

/*
 * Score the record line[0..len) and append the JSON object of the score
 * member to out: points, tier, confidence, action, (with rules: decided_by,
 * "rules" when a disqualifier fired, which then sets tier and action),
 * probability, log_odds, baseline, unknown, unseen, rest (the sum of the
 * contributions not listed) and reasons: by default the three largest
 * contributions that raised and the three that lowered the log-odds
 * (near-zero ones and small missing-value ones left out), with
 * m->all_reasons every feature's; each sorted by size, with its words
 * in "text".  baseline + rest + the listed log_odds = log_odds.  key names
 * the tool's own member (ignored if present).  Returns 0 or -1 with err.
 */
int lq_model_eval(struct lq_model *m, const char *line, size_t len,
    const char *key, struct lq_buf *out, struct lq_err *err);

#endif
