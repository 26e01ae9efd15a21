/*
 * fuzz_jqn.c - the native evaluator (lq_jqn.h) against libjq 1.6, the
 * reference, on an expression and a record.
 *
 * Input: the expression up to the first newline, the record after it (a
 * fixed record when that is not a JSON object).  The expression goes
 * through lq_exprs_add() (the forbidden-builtin check) and the native
 * compiler; when the native side accepts it, libjq compiles it too (as
 * LQ_EVAL=jq makes lq_exprs do) and both run on the record, the native
 * side by span parsing and by the tape: outputs must be equal (jv_equal)
 * and errors must carry the same message, as test/unit/test_jqn_diff.c
 * requires.  A run that the native side hands back (GIVEUP) is not
 * compared.  An expression with comparisons of paths with numbers runs a
 * second time with those checked (LQ_JQN_NUMCHECK natively, the text of
 * lq_jqn_checked_text() in libjq), as lq-score runs it.
 *
 * A difference is a finding in the evaluator, whose owner fixes the known
 * ones (lone surrogates, 1e400, long keys and invalid UTF-8 in messages):
 * it is printed ("jqn difference: ..."), and aborts only when
 * LQ_FUZZ_STRICT is set.  With LQ_FUZZ_DIFF_DIR set, each differing input
 * is also saved there as diff-HASH (make fuzz: build/fuzz/jqn-diffs/).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jq.h>

#include "lq_buf.h"
#include "lq_expr.h"
#include "lq_jqn.h"
#include "lq_json.h"
#include "fuzz.h"

/* libjq 1.6 leaks a caught error's message (see test_jqn_diff.c) */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libjq.so\n";
}

static const char deflt[] = "{\"a\":1,\"s\":\"abc\",\"n\":2.5,\"big\":"
    "12345678901234567890,\"arr\":[1,\"a\",null,[2]],\"o\":{\"x\":\"\\u00e9\","
    "\"y\":{\"z\":2}},\"nul\":null,\"t\":true,\"f\":false,\"e\":\"\","
    "\"visits\":[{\"at\":\"2026-11-01T00:00:00Z\"},{\"at\":5}],"
    "\"we ird\":\"x\\ny\"}";

static int strict = -1, reported;
static const uint8_t *cur;
static size_t cursize;

/* a difference: report, save, abort (a finding), unless LQ_FUZZ_LENIENT
 * asks only to collect them */
static void
differ(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
differ(const char *fmt, ...)
{
	const char *dir = getenv("LQ_FUZZ_DIFF_DIR");
	va_list ap;

	if (reported < 5 || strict) {
		fputs("jqn difference: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		reported++;
	}
	if (dir && *dir) {
		char path[4096];
		FILE *f;
		mkdir(dir, 0777);
		snprintf(path, sizeof(path), "%s/diff-%016llx", dir,
		    lq_hash_bytes(cur, cursize));
		if ((f = fopen(path, "wb"))) {
			fwrite(cur, 1, cursize, f);
			fclose(f);
		}
	}
	if (strict)
		abort();
}

/* the native run of q on the current record against libjq's slot (borrowed) */
static void
compare(const char *e, struct lq_jqn *q, jv slot, const char *rec,
    struct lq_jqn_ctx *c, int tape)
{
	struct lq_nv *outs, one;
	size_t n, n1;
	struct lq_jqn_err *er, *er1;
	int st = lq_jqn_run(c, q, &outs, &n, &er);
	const char *msg = st == LQ_JQN_ERROR ? lq_jqn_msg(c, er) : NULL;

	if (st == LQ_JQN_GIVEUP)
		return;
	if (st != LQ_JQN_OK && st != LQ_JQN_ERROR)
		fuzz_fail("lq_jqn_run returns %d", st);
	if (lq_jqn_is_one(q)) {
		/* the single-output entry point agrees with the general one */
		int st1 = lq_jqn_run1(c, q, &one, &n1, &er1);
		if (st1 != st || (st == LQ_JQN_OK && (n1 > 1 || n1 != n)))
			fuzz_fail("%s: lq_jqn_run1 %d (%zu outputs), lq_jqn_run "
			    "%d (%zu)", e, st1, n1, st, n);
		if (st == LQ_JQN_OK && n1) {
			jv a = lq_nv_to_jv(&one), b = lq_nv_to_jv(&outs[0]);
			if (!jv_equal(a, b))
				fuzz_fail("%s: lq_jqn_run1 and lq_jqn_run give "
				    "different outputs", e);
		}
		if (st == LQ_JQN_ERROR && strcmp(msg, lq_jqn_msg(c, er1)))
			fuzz_fail("%s: lq_jqn_run1 and lq_jqn_run give different "
			    "errors", e);
		/* outs may have been overwritten: run again */
		st = lq_jqn_run(c, q, &outs, &n, &er);
		msg = st == LQ_JQN_ERROR ? lq_jqn_msg(c, er) : NULL;
	}
	/* past a budget, each side says so in its own words (steps or
	 * memory natively, CPU time in jq's helper): not a difference */
	if (msg && strstr(msg, "(limits: "))
		return;
	if (jv_get_kind(slot) == JV_KIND_OBJECT) {
		jv m = jv_object_get(jv_copy(slot), jv_string("error"));
		if (jv_get_kind(m) == JV_KIND_STRING &&
		    strstr(jv_string_value(m), "(limits: ")) {
			jv_free(m);
			return;
		}
		if (st != LQ_JQN_ERROR || jv_get_kind(m) != JV_KIND_STRING ||
		    !msg || strcmp(msg, jv_string_value(m))) {
			differ("%s on %.200s (%s): jq error '%s', native %s '%s'",
			    e, rec, tape ? "tape" : "spans",
			    jv_get_kind(m) == JV_KIND_STRING ?
			    jv_string_value(m) : "?", st ? "error" : "ok",
			    msg ? msg : "");
		}
		jv_free(m);
	} else {
		jv mine = jv_array();
		if (st == LQ_JQN_OK)
			for (size_t k = 0; k < n; k++)
				mine = jv_array_append(mine,
				    lq_nv_to_jv(&outs[k]));
		if (st != LQ_JQN_OK || !jv_equal(jv_copy(mine),
		    jv_copy(slot))) {
			jv a = jv_dump_string(jv_copy(slot), 0);
			jv b = jv_dump_string(jv_copy(mine), 0);
			differ("%s on %.200s (%s): jq %.300s, native %s %.300s",
			    e, rec, tape ? "tape" : "spans", jv_string_value(a),
			    st ? "error" : "ok", st ? (msg ? msg : "") :
			    jv_string_value(b));
			jv_free(a);
			jv_free(b);
		}
		jv_free(mine);
	}
}

/*
 * Compare on the input's record, with compile options opts; 1 when there
 * is no second run to make (the expression is not native, or opts has
 * nothing to check in it).
 */
static int
run_one(char *e, const uint8_t *data, size_t size, const char *nl,
    size_t elen, int opts)
{
	struct lq_expr_src src = { "fuzz", 1, 1, 0 };
	struct lq_scan sc = LQ_SCAN_INIT;
	struct lq_exprs *x;
	struct lq_jqn *q;
	struct lq_err err;
	char *rec;
	size_t rlen;
	int slot, more = 0;

	(void)data;
	x = lq_exprs_new();
	if (opts)
		lq_exprs_check_numbers(x);
	slot = lq_exprs_add(x, e, &src, &err);
	if (slot < 0 && strncmp(err.msg, "fuzz:1:1: jq: ", 14))
		fuzz_fail("refused expression message: %s", err.msg);
	if (!(q = lq_jqn_compile_opt(e, opts)) || slot < 0)
		goto out;
	if (opts) {
		struct lq_buf b = LQ_BUF_INIT;
		int n = lq_jqn_checked_text(q, e, &b);
		lq_buf_release(&b);
		if (!n)
			goto out;
	}
	more = 1;
	if (lq_exprs_compile(x, &err) < 0) {
		differ("%s: native compiles, jq does not (%s)", e, err.msg);
		goto out;
	}

	/* the record: the rest of the input, or the fixed one */
	rec = nl ? (char *)nl + 1 : NULL;
	rlen = nl ? size - elen - 1 : 0;
	if (!rec || lq_json_scan(&sc, rec, rlen, &err) < 0 ||
	    sc.kind != LQ_J_OBJECT) {
		rec = (char *)deflt;
		rlen = sizeof(deflt) - 1;
	}
	/* NUL-terminated, as the tools' lines are */
	char *line = malloc(rlen + 1);
	if (!line)
		abort();
	memcpy(line, rec, rlen);
	line[rlen] = 0;
	jv r = lq_expr_parse_record(line, rlen);
	if (jv_is_valid(r)) {
		jv res = lq_exprs_run(x, r);
		if (!jv_is_valid(res)) {
			jv m = jv_invalid_get_msg(res);
			differ("%s: libjq program fails: %s", e,
			    jv_get_kind(m) == JV_KIND_STRING ?
			    jv_string_value(m) : "?");
			jv_free(m);
		} else {
			jv s = jv_array_get(res, slot);
			struct lq_jqn_ctx *c = lq_jqn_ctx_new();
			for (int tape = 0; tape < 2; tape++) {
				sc.want_tape = tape;
				if (lq_json_scan(&sc, line, rlen, &err) < 0)
					fuzz_fail("the record no longer scans");
				lq_jqn_start(c, line, rlen, &sc, NULL);
				compare(e, q, s, line, c, tape);
			}
			lq_jqn_ctx_free(c);
			jv_free(s);
		}
	} else {
		jv_free(r);
	}
	free(line);
out:
	lq_jqn_free(q);
	lq_exprs_free(x);
	lq_scan_release(&sc);
	return !more;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t elen = nl ? (size_t)(nl - (const char *)data) : size;
	char *e;

	if (strict < 0) {
		strict = getenv("LQ_FUZZ_LENIENT") == NULL;
		/* the reference: lq_exprs compiles with libjq only */
		setenv("LQ_EVAL", "jq", 1);
	}
	cur = data;
	cursize = size;
	if (memchr(data, 0, elen))
		return 0;	/* an expression is a C string */
	if (!(e = malloc(elen + 1)))
		abort();
	memcpy(e, data, elen);
	e[elen] = 0;

	for (int opts = 0; opts <= LQ_JQN_NUMCHECK; opts += LQ_JQN_NUMCHECK)
		if (run_one(e, data, size, nl, elen, opts))
			break;
	free(e);
	return 0;
}
