/*
 * lq_expr.h - jq expressions from rule files, compiled once, run per record.
 *
 * A tool adds every expression of its rule file to one lq_exprs set and
 * compiles the set once: all expressions become a single jq program (jq
 * 1.6 pays ~15 ms per compile), each wrapped so that an error in one stays
 * in its own slot.  An expression sees one record (.) and nothing else:
 * env, $ENV, input, inputs, debug, stderr, input_filename, $__loc__,
 * halt, halt_error, import and include are refused at load time, and a
 * hardening prelude disables them again at run time.
 *
 * Ownership follows jv.h: "consumes" means the callee frees the jv,
 * "borrowed" means it does not.
 */
#ifndef LQ_EXPR_H
#define LQ_EXPR_H

#include <stddef.h>

#include <jv.h>

#include "lq_err.h"
#include "lq_json.h"
#include "lq_yaml.h"

struct lq_exprs;

/*
 * What one expression may spend on one record (the limits: section of a
 * rule file, lq-rules(5)).  Past a budget the expression's result on that
 * record is an error ("unknown", with the reason) and the run goes on.
 *   steps    native evaluator: values visited and produced
 *   memory   native evaluator: bytes of computed values; libjq: bytes its
 *            helper process may allocate (0: no limit)
 *   time     libjq: CPU seconds
 *   compile  libjq: seconds to compile the expressions it runs, at load
 */
struct lq_limits {
	long steps;
	size_t memory;
	double time;
	double compile;
};

#define LQ_LIMITS_DEFAULT { 1000000L, (size_t)1 << 30, 0.5, 10.0 }

/*
 * Read the limits: section of the document d (top level) into *lim, which
 * holds the defaults on entry.  Returns 0, or -1 with err set at the bad
 * value's file:line:col.
 */
int lq_limits_load(const struct lq_ydoc *d, struct lq_limits *lim,
    struct lq_err *err);

/* where an expression came from, for compile-error messages */
struct lq_expr_src {
	const char *file;	/* rule file path (borrowed, must outlive) */
	int line, col;		/* 1-based position of the expression text */
	int block;		/* literal block scalar: line k of the text is
				   file line line+1+k, column col */
};

/* the outcome of one expression on one record */
enum lq_truth { LQ_FALSE = 0, LQ_TRUE = 1, LQ_UNKNOWN = 2 };

/* Create an empty expression set. */
struct lq_exprs *lq_exprs_new(void);

/* Free the set and everything compiled in it. */
void lq_exprs_free(struct lq_exprs *x);

/* Set the budgets (before lq_exprs_compile; default LQ_LIMITS_DEFAULT). */
void lq_exprs_set_limits(struct lq_exprs *x, const struct lq_limits *lim);

/*
 * Compile the set (lq_exprs_compile) with the budgets of the limits:
 * section of d (NULL, or no such section: the defaults).
 */
int lq_exprs_compile_in(struct lq_exprs *x, const struct lq_ydoc *d,
    struct lq_err *err);

/*
 * Add expression text (copied) to the set and return its slot number, or
 * -1 with err set when the text uses a forbidden builtin
 * ("rules.yaml:12:9: jq: 'env' is not allowed in rule expressions").
 */
int lq_exprs_add(struct lq_exprs *x, const char *text,
    const struct lq_expr_src *src, struct lq_err *err);

/*
 * Add the expression that is the YAML scalar node (of doc) and return its
 * slot; the text must be a non-empty string (what names it in messages),
 * and jq errors in a literal block scalar point at the right line.
 */
int lq_exprs_add_node(struct lq_exprs *x, const struct lq_ydoc *doc,
    const struct lq_ynode *node, const char *what, struct lq_err *err);

/*
 * Compile every added expression.  On a jq compile error returns -1 with
 * err set to "FILE:LINE:COL: jq: MESSAGE" for the first bad expression.
 */
int lq_exprs_compile(struct lq_exprs *x, struct lq_err *err);

/*
 * Run every expression on rec (consumed).  Returns an owned array with one
 * element per slot: an array of that expression's outputs, or an object
 * {"error": MESSAGE} when it raised an error.  On a failure of the whole
 * program (should not happen) returns jv_invalid_with_msg.
 */
jv lq_exprs_run(struct lq_exprs *x, jv rec);

/*
 * Truth of slot i of a result from lq_exprs_run (borrowed): true when some
 * output is neither false nor null, false when there are outputs and all
 * are false/null or when there are none; unknown when the expression
 * raised an error.  *why, if not NULL, receives the error message (owned
 * by the result) for unknowns.
 */
enum lq_truth lq_exprs_truth(jv results, int i, const char **why);

/*
 * Outputs of slot i (owned array), or jv_invalid_with_msg when the
 * expression raised an error.  results is borrowed.
 */
jv lq_exprs_outputs(jv results, int i);

/*
 * Per-record results of a whole set, computed natively from the raw record
 * where the expression allows (lq_jqn.h) and with libjq otherwise.
 * Lifecycle: lq_eval_new(x) after lq_exprs_compile, lq_eval_record() (or
 * lq_eval_jv()) per record, the accessors, lq_eval_free().  Everything an
 * accessor returns is valid until the next record.
 */
struct lq_eval;

/* Create a results holder for the compiled set x (borrowed). */
struct lq_eval *lq_eval_new(struct lq_exprs *x);

/* Free it. */
void lq_eval_free(struct lq_eval *ev);

/*
 * Evaluate every expression on the record line[0..len) (scanned into scan,
 * an object).  Members named skipkey (may be NULL) are invisible to the
 * expressions.  Returns 0, or -1 with err set when the record cannot be
 * evaluated at all (for example nesting beyond jq's parser limit).
 */
int lq_eval_record(struct lq_eval *ev, const char *line, size_t len,
    const struct lq_scan *scan, const char *skipkey, struct lq_err *err);

/* Evaluate every expression on rec (borrowed) with libjq only. */
int lq_eval_jv(struct lq_eval *ev, jv rec, struct lq_err *err);

/* Truth of slot i (see lq_exprs_truth); *why gets the error message. */
enum lq_truth lq_eval_truth(struct lq_eval *ev, int i, const char **why);

/* True when slot i raised an error, had no output, or output null. */
int lq_eval_missing(struct lq_eval *ev, int i);

/*
 * The kind of slot i's first output (enum lq_nkind of lq_jqn.h), or -1
 * when it raised an error or had no output.
 */
int lq_eval_kind(struct lq_eval *ev, int i);

/* Number of outputs of slot i, or -1 when it raised an error. */
long lq_eval_count(struct lq_eval *ev, int i);

/*
 * Output k of slot i read as a time (a number of epoch seconds, or
 * milliseconds above 1e11, or an RFC 3339 string) into *t: 0, or -1 when
 * it is neither (1e400, an infinity, is not a time).
 */
int lq_eval_time(struct lq_eval *ev, int i, long k, double *t);

/*
 * Every slot's result on the current record as lq_exprs_run() gives it
 * (an owned array: per slot an array of its outputs, or {"error": MSG}),
 * for callers that read results as jv values.
 */
jv lq_eval_results(struct lq_eval *ev);

/* Output k of slot i as an owned jv. */
jv lq_eval_output(struct lq_eval *ev, int i, long k);

/*
 * Output k of slot i without building a jv: its kind (JV_KIND_INVALID
 * when there is no such output or the slot raised an error); for a string
 * its decoded bytes in *s and *n (valid until the next record), for an
 * array or object 1 in *n when it is not empty.
 */
jv_kind lq_eval_peek(struct lq_eval *ev, int i, long k, const char **s,
    size_t *n);

/*
 * Append output k of slot i to out as JSON text, as jq -c writes it, but
 * for an integer taken from the record, which is written as it is there
 * (never through a double: a 19-digit id keeps its digits).  Returns 0, or
 * -1 (nothing appended) when the slot raised an error or has no output k.
 */
int lq_eval_dump(struct lq_eval *ev, int i, long k, struct lq_buf *out);

/*
 * Evaluate slot i only when a record's result for it is asked for (for
 * expressions most records never need, such as presence checks).
 */
void lq_exprs_set_lazy(struct lq_exprs *x, int i);

/*
 * Check comparisons with numbers (before lq_exprs_compile): in every
 * expression of the set, a path compared with a number literal (.a >= 5,
 * 10 > .b.c, . < 0) is false when the path's value is null, and makes the
 * expression raise an error (".a is \"lots\", not a number") when it is
 * any other non-number, the same whichever evaluator runs it
 * (LQ_JQN_NUMCHECK of lq_jqn.h).
 */
void lq_exprs_check_numbers(struct lq_exprs *x);

/*
 * How slot i is evaluated: 1 native, 0 libjq.  Setting the environment
 * variable LQ_EVAL=jq before lq_exprs_compile makes every slot use libjq
 * (the reference, for differential tests).
 */
int lq_exprs_is_native(const struct lq_exprs *x, int i);

/*
 * Parse a record line (already validated JSON) into a jv for lq_exprs_run.
 * Returns an owned jv, invalid with a message on failure (for example
 * nesting deeper than jq's limit).
 */
jv lq_expr_parse_record(const char *line, size_t len);

#endif
