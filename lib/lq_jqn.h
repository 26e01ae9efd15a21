/*
 * lq_jqn.h - a native evaluator for the jq forms rule files use (internal
 * to liblq; tools use lq_expr.h).
 *
 * lq_jqn_compile() parses one expression; when it uses only the supported
 * subset (paths, literals, comparisons, arithmetic, and/or/not, //, if,
 * select, map, add, any, all, IN, has, length, type, test with a constant
 * regex compiled once with oniguruma, startswith, endswith, contains,
 * ascii_downcase/upcase, ltrimstr/rtrimstr, tostring, empty, ?, [..]) it
 * returns a program that lq_jqn_run() evaluates straight from the raw bytes
 * of a scanned record, building no jq values; otherwise NULL, and the caller
 * keeps using libjq.  Results, including error messages, are the same as
 * libjq 1.6's; a differential test keeps it so.  A run may also answer
 * LQ_JQN_GIVEUP for value combinations it does not handle (e.g. adding two
 * objects): the caller then evaluates that expression with libjq.
 */
#ifndef LQ_JQN_H
#define LQ_JQN_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "lq_buf.h"
#include "lq_json.h"

enum lq_nkind { NV_NULL, NV_FALSE, NV_TRUE, NV_NUMBER, NV_STRING, NV_ARRAY,
	NV_OBJECT };

/* a value: either raw JSON text inside the record, or computed */
struct lq_nv {
	unsigned char kind;	/* enum lq_nkind */
	unsigned char raw;	/* 1: p/n is the value's JSON text */
	unsigned char root;	/* the record itself (members in the scan) */
	unsigned char esc;	/* raw string contains escapes */
	uint32_t t;		/* raw: tape entry + 1 (0: not known) */
	size_t n;
	const char *p;		/* raw text, or decoded string bytes */
	union {
		double num;	/* numbers (raw ones parsed at creation) */
		struct lq_nv *items;	/* computed arrays */
	};
};

enum { LQ_JQN_OK = 0, LQ_JQN_ERROR = 1, LQ_JQN_GIVEUP = 2 };

struct lq_jqn;		/* a compiled expression */
struct lq_jqn_err;	/* an evaluation error (message written on demand) */
struct lq_jqn_ctx;	/* per-record state: arena, record, results */

/*
 * The oniguruma options of jq 1.6's regex flags f[0..n) ("gix"), as its
 * f_match sets them: 0, or -1 for a flag jq refuses.
 */
int lq_jqn_regex_flags(const char *f, size_t n, unsigned *opt);

/* Compile expression text, or return NULL when it is outside the subset. */
struct lq_jqn *lq_jqn_compile(const char *text);

/*
 * lq_jqn_compile() with options.  LQ_JQN_NUMCHECK: a comparison (==, !=,
 * <, <=, >, >=) of a path (.a, ."a b", .["a b"], .a[0], or . itself) with
 * a number literal (5, -2.5) is false when the path's value is null, and
 * an error when it is neither null nor a number: ".a is \"lots\", not a
 * number" (the value as jq's tojson, cut after 37 characters with "..."
 * when longer than 40), or "\"lots\" is not a number" for the path ".".
 * libjq gets the same answers from the text of lq_jqn_checked_text().
 */
#define LQ_JQN_NUMCHECK 1
struct lq_jqn *lq_jqn_compile_opt(const char *text, int opts);

/*
 * The text of q (compiled from text with LQ_JQN_NUMCHECK) for libjq: each
 * checked comparison, P >= 5 say, written
 *   ((P | _lq_num("P")) as $__lq_v | if $__lq_v == null then false
 *    else $__lq_v >= 5 end)
 * with _lq_num from LQ_JQN_PRELUDE.  Returns the number of comparisons
 * rewritten; 0 leaves out as it was (text needs no change).
 */
int lq_jqn_checked_text(const struct lq_jqn *q, const char *text,
    struct lq_buf *out);

/* jq definitions the texts of lq_jqn_checked_text() need */
#define LQ_JQN_PRELUDE \
"def _lq_num($p): if type == \"number\" or type == \"null\" then . " \
"else error((if $p == \".\" then \"\" else $p + \" is \" end) + " \
"(tojson | if length > 40 then .[0:37] + \"...\" else . end) + " \
"(if $p == \".\" then \" is not a number\" else \", not a number\" end)) " \
"end;\n"

/*
 * The path that text starts with (after blanks and opening parentheses,
 * unless whole): member names and array indexes in any of jq's forms
 * (.a.b, ."a b", .["a b"], .a["b"], .a[0], a ? after a step), written to
 * out readably (.a."a b"[0]: a name that is not an identifier quoted as a
 * JSON string; the text is a jq path itself).  Returns the number of steps
 * (0: text does not start with a path); with whole, -1 unless the whole
 * text is a path of at least one step.
 */
int lq_jqn_path(const char *text, int whole, struct lq_buf *out);

/* Free a compiled expression. */
void lq_jqn_free(struct lq_jqn *q);

/*
 * Budget every run of q: at most steps steps (values visited by
 * iterations, continuation calls) and memory bytes of computed values (0:
 * no limit).  Past it the run is an error that try, ? and // cannot catch:
 * "stopped after N steps, ... (limits: steps)".
 */
void lq_jqn_set_limits(struct lq_jqn *q, long steps, size_t memory);

/* Create / free a per-record context. */
struct lq_jqn_ctx *lq_jqn_ctx_new(void);
void lq_jqn_ctx_free(struct lq_jqn_ctx *c);

/*
 * Start a record: line[0..len) scanned into scan (borrowed until the next
 * start).  Members named skipkey (the tool's own output key) are invisible.
 * Frees the values of the previous record.
 */
void lq_jqn_start(struct lq_jqn_ctx *c, const char *line, size_t len,
    const struct lq_scan *scan, const char *skipkey);

/* Whether q gives at most one output, so that lq_jqn_run1() can run it. */
int lq_jqn_is_one(const struct lq_jqn *q);

/*
 * lq_jqn_run() for a q that lq_jqn_is_one(): the output, if any, is
 * written to *out and *nouts is 0 or 1.
 */
int lq_jqn_run1(struct lq_jqn_ctx *c, struct lq_jqn *q, struct lq_nv *out,
    size_t *nouts, struct lq_jqn_err **err);

/*
 * Evaluate q on the current record.  On LQ_JQN_OK *outs and *nouts hold the
 * outputs (valid until the next start); on LQ_JQN_ERROR *err identifies the
 * error (see lq_jqn_msg); LQ_JQN_GIVEUP: use libjq for this one.
 */
int lq_jqn_run(struct lq_jqn_ctx *c, struct lq_jqn *q, struct lq_nv **outs,
    size_t *nouts, struct lq_jqn_err **err);

/*
 * jq's message for an error of the current record, written on the first
 * call (messages that quote values cost more than the evaluation).
 */
const char *lq_jqn_msg(struct lq_jqn_ctx *c, struct lq_jqn_err *err);

/* Copy n values into the record's arena (valid until the next start). */
struct lq_nv *lq_jqn_keep(struct lq_jqn_ctx *c, const struct lq_nv *v,
    size_t n);

/* Truthiness of a value: neither null nor false. */
static inline int lq_nv_truthy(const struct lq_nv *v)
{
	return v->kind != NV_NULL && v->kind != NV_FALSE;
}

/* A value as an owned jv (for callers that need one). */
jv lq_nv_to_jv(const struct lq_nv *v);

/*
 * The bytes of a string value, decoded (valid until the next start), or
 * NULL when v is not a string.
 */
const char *lq_nv_str(struct lq_jqn_ctx *c, const struct lq_nv *v,
    size_t *len);

#endif
