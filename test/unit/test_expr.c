/* test_expr.c - jq expressions: one program, slots, sandbox, errors, time. */
#include <math.h>
#include <string.h>

#include "lq_expr.h"
#include "lq_jqn.h"
#include "lq_time.h"
#include "tap.h"

int
main(void)
{
	struct lq_err err;
	struct lq_expr_src src = { "r.yaml", 3, 9, 0 };
	struct lq_expr_src blk = { "r.yaml", 10, 7, 1 };
	struct lq_exprs *x = lq_exprs_new();
	const char *why = NULL;
	double t;

	ok(lq_exprs_add(x, ".title | test(\"vp\"; \"i\")", &src, &err) == 0, "slot 0");
	ok(lq_exprs_add(x, ".employees > 100", &src, &err) == 1, "slot 1");
	ok(lq_exprs_add(x, ".visits[] | .at", &src, &err) == 2, "slot 2");
	ok(lq_exprs_add(x, "empty", &src, &err) == 3, "slot 3");
	ok(lq_exprs_add(x, "{env: 1} | .env", &src, &err) == 4,
	    "object key and field named env allowed");
	ok(lq_exprs_add(x, "\"env\" | length", &src, &err) == 5,
	    "string mentioning env allowed");
	ok(lq_exprs_compile(x, &err) == 0, "compiles");

	jv r = lq_exprs_run(x, jv_parse("{\"title\":\"VP Sales\",\"employees\":5,"
	    "\"visits\":[{\"at\":1},{\"at\":2}]}"));
	ok(jv_is_valid(r), "runs");
	ok(lq_exprs_truth(r, 0, NULL) == LQ_TRUE, "test() true");
	ok(lq_exprs_truth(r, 1, NULL) == LQ_FALSE, "comparison false");
	jv o = lq_exprs_outputs(r, 2);
	ok(jv_array_length(jv_copy(o)) == 2, "generator keeps all outputs");
	jv_free(o);
	ok(lq_exprs_truth(r, 3, NULL) == LQ_FALSE, "no output is false");
	jv_free(r);
	r = lq_exprs_run(x, jv_parse("{\"title\":null}"));
	ok(lq_exprs_truth(r, 0, &why) == LQ_UNKNOWN && why &&
	    strstr(why, "cannot be matched"), "runtime error is unknown: %s",
	    why ? why : "");
	ok(lq_exprs_truth(r, 1, NULL) == LQ_FALSE, "other slots unaffected");
	jv_free(r);
	lq_exprs_free(x);

	static const char *const bad[] = { "env.HOME", "$ENV.PATH", "input",
	    "[inputs]", "debug", ". | stderr", "input_filename",
	    "import \"a\" as a; .", "include \"a\"; .", "$__loc__", "halt",
	    "halt_error(1)", NULL };
	for (int i = 0; bad[i]; i++) {
		x = lq_exprs_new();
		lq_err_clear(&err);
		ok(lq_exprs_add(x, bad[i], &src, &err) < 0 &&
		    strstr(err.msg, "r.yaml:3:9: jq: ") &&
		    strstr(err.msg, "not allowed"), "refused: %s (%s)", bad[i],
		    err.msg);
		lq_exprs_free(x);
	}

	x = lq_exprs_new();
	lq_exprs_add(x, ".a == 1", &src, &err);
	lq_exprs_add(x, ".a ==\n  (1 +", &blk, &err);
	ok(lq_exprs_compile(x, &err) < 0 && !strncmp(err.msg, "r.yaml:1", 8),
	    "syntax error located in the bad expression: %s", err.msg);
	lq_exprs_free(x);
	x = lq_exprs_new();
	lq_exprs_add(x, ".a == 1", &src, &err);
	lq_exprs_add(x, ".a\n| nosuchfn(1)", &blk, &err);
	ok(lq_exprs_compile(x, &err) < 0 &&
	    !strncmp(err.msg, "r.yaml:12:7: jq: nosuchfn/1 is not defined", 43),
	    "unknown function on block line 2: %s", err.msg);
	lq_exprs_free(x);

	ok(lq_time_parse("2026-11-28T12:00:00Z", 20, &t) == 0 && t == 1795867200,
	    "RFC 3339 Z");
	ok(lq_time_parse("2026-11-28T13:30:00+01:30", 25, &t) == 0 &&
	    t == 1795867200, "offset");
	ok(lq_time_parse("2026-11-28", 10, &t) == 0 && t == 1795824000, "date");
	ok(lq_time_parse("1795867200", 10, &t) == 0 && t == 1795867200, "epoch");
	ok(lq_time_parse("1795867200000", 13, &t) == 0 && t == 1795867200,
	    "epoch milliseconds");
	ok(lq_time_parse("2026-02-30", 10, &t) < 0, "bad day refused");
	ok(lq_time_parse("2026-02-29", 10, &t) < 0 &&
	    lq_time_parse("2100-02-29", 10, &t) < 0,
	    "February 29 refused outside leap years");
	ok(lq_time_parse("2024-02-29", 10, &t) == 0 && t == 1709164800 &&
	    lq_time_parse("2000-02-29", 10, &t) == 0, "... and taken in them");
	ok(lq_time_parse("yesterday", 9, &t) < 0, "words refused");

	/* paths in every form jq has, read the same and written readably */
	static const struct { const char *text; int whole, n; const char *want; }
	    paths[] = {
		{ ".a.b", 1, 2, ".a.b" },
		{ ".\"a b\"", 1, 1, ".\"a b\"" },
		{ ".[\"a b\"]", 1, 1, ".\"a b\"" },
		{ ".[ \"ab\" ]", 1, 1, ".ab" },
		{ ".a[\"b\"][0]", 1, 3, ".a.b[0]" },
		{ ".[0].x", 1, 2, ".[0].x" },
		{ ".a[-1]?.\"q\\\"r\"", 1, 3, ".a[-1].\"q\\\"r\"" },
		{ ".if.and", 1, 2, ".if.and" },
		{ ".\"1x\"", 1, 1, ".\"1x\"" },
		{ "(.\"What is\" == \"x\")", 0, 1, ".\"What is\"" },
		{ ".visits[] | .at", 0, 1, ".visits" },
		{ ".a[.b]", 0, 1, ".a" },
		{ ".a[1:2]", 0, 1, ".a" },
		{ "1 < .a", 0, 0, NULL },
		{ ". as $x | 1", 0, 0, NULL },
		{ ".visits[]", 1, -1, NULL },
		{ ".a | .b", 1, -1, NULL },
		{ ".a.", 1, -1, NULL },
		{ ".a[", 1, -1, NULL },
		{ ".", 1, -1, NULL },
		{ "a.b", 1, -1, NULL },
		{ ".\"\\(.x)\"", 1, -1, NULL },
	};
	struct lq_buf pb = LQ_BUF_INIT;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int n = lq_jqn_path(paths[i].text, paths[i].whole, &pb);
		ok(n == paths[i].n && (!paths[i].want ||
		    !strcmp(pb.buf, paths[i].want)), "path %s: %d %s",
		    paths[i].text, n, n > 0 ? pb.buf : "");
	}

	/* comparisons with numbers: what libjq is given */
	struct lq_jqn *q = lq_jqn_compile_opt("(.\"a b\" >= 5) and 3 > .c[0] "
	    "and .d == \"x\" and .e < .f", LQ_JQN_NUMCHECK);
	ok(q && lq_jqn_checked_text(q, "(.\"a b\" >= 5) and 3 > .c[0] and "
	    ".d == \"x\" and .e < .f", &pb) == 2 && !strcmp(pb.buf,
	    "(((.\"a b\" | _lq_num(\".\\\"a b\\\"\")) as $__lq_v | if "
	    "$__lq_v == null then false else $__lq_v >= 5 end)) and "
	    "((.c[0] | _lq_num(\".c[0]\")) as $__lq_v | if $__lq_v == null "
	    "then false else 3 > $__lq_v end) and .d == \"x\" and .e < .f"),
	    "checked text: %s", pb.buf);
	lq_jqn_free(q);
	q = lq_jqn_compile(".a >= 5");
	ok(q && lq_jqn_checked_text(q, ".a >= 5", &pb) == 0,
	    "no checks without LQ_JQN_NUMCHECK");
	lq_jqn_free(q);
	lq_buf_release(&pb);
	return tap_done();
}
