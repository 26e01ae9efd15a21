/*
 * lq_jqbox.h - libjq in a helper process, under a budget (internal to
 * liblq; tools use lq_expr.h).
 *
 * libjq cannot be interrupted or bounded from inside: `def f: f; f` never
 * returns, `[range(1e9)]` or `"x" * 1e10` exhaust memory and abort, a
 * deeply nested value overflows the stack when it is freed.  So the
 * expressions that the native evaluator does not run are compiled and run
 * by libjq in a child process: each expression on each record gets a CPU
 * time budget (jq_halt() stops it at the next instruction; a C loop that
 * does not return is killed at twice the budget), the child's address
 * space is limited (an allocation past the budget ends the child, not the
 * tool), and a child that dies is replaced, its expression "unknown" for
 * that record with the reason.  The tool itself never runs libjq code.
 *
 * The child is forked when the set is started; expressions are compiled
 * there in chunks (jq 1.6 compiles its builtins again for every program,
 * about 40 ms, and a program's main function is limited to 64 KiB of
 * bytecode), each chunk when first needed.
 *
 * Ownership follows jv.h.
 */
#ifndef LQ_JQBOX_H
#define LQ_JQBOX_H

#include <stddef.h>

#include <jv.h>

#include "lq_buf.h"
#include "lq_err.h"

struct lq_jqbox_limits {
	double cpu;		/* CPU seconds per expression per record */
	double compile;		/* seconds to compile what is compiled at start */
	size_t memory;		/* bytes the child may allocate beyond the
				   tool's own size at the fork; 0: no limit */
};

struct lq_jqbox;

/*
 * A box for n expressions (texts borrowed: they must outlive the box),
 * each run as "try [ TEXT ] catch {error: .}" after prelude (borrowed).
 */
struct lq_jqbox *lq_jqbox_new(const char *const *texts, int n,
    const char *prelude, const struct lq_jqbox_limits *lim);

/* Stop the child and free the box. */
void lq_jqbox_free(struct lq_jqbox *b);

/*
 * Start the child and compile the chunks that hold a slot with need[i]
 * set.  Returns 0; or -1 with err set ("jq: ..."), and, when jq refused
 * one expression, *bad its slot, *line the line of jq's message within the
 * expression's text (1-based, 0 unknown) and msg jq's message.
 */
int lq_jqbox_start(struct lq_jqbox *b, const unsigned char *need, int *bad,
    int *line, struct lq_buf *msg, struct lq_err *err);

/*
 * Run slots[0..k) on the record rec[0..len) (JSON text; the member named
 * skipkey, if any, removed first).  out[i] receives an owned jv for
 * slots[i]: an array of its outputs, or an object {"error": MESSAGE} (jq's
 * error, or a budget exceeded).  Returns 0, or -1 with err set when the
 * record cannot be evaluated at all (out[] then holds nothing).
 */
int lq_jqbox_run(struct lq_jqbox *b, const char *rec, size_t len,
    const char *skipkey, const int *slots, int k, jv *out,
    struct lq_err *err);

/* lq_jqbox_run() on the record as a jv (borrowed), passed exactly. */
int lq_jqbox_run_jv(struct lq_jqbox *b, jv rec, const int *slots, int k,
    jv *out, struct lq_err *err);

#endif
