/*
 * test_jqn_diff.c - the native evaluator against libjq 1.6, the reference.
 *
 * Every expression found under when/events/set/expr keys of rules/,
 * plus a generated corpus (paths, comparisons, arithmetic, //, and/or/not,
 * test/startswith/contains/..., any/all/IN/map/select/add, slices, as,
 * errors), is evaluated on generated records (missing fields, nulls, wrong
 * types, unicode, escapes, big numbers, nested arrays) and on
 * examples/leads.ndjson.  Outputs must be equal (jv_equal) and errors must
 * carry the same message.  Cases the native side hands back to libjq
 * (GIVEUP) are counted, not compared.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "lq_expr.h"
#include "lq_jqn.h"
#include "lq_yaml.h"
#include "tap.h"

/*
 * libjq 1.6 itself leaks a caught error's message on some error paths of
 * this corpus (inside jq_start/jq_next; valgrind and the CLI agree the
 * same programs are clean when run alone).  The leak is in the reference
 * interpreter, not in lq: LeakSanitizer is told so for this test only.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libjq.so\n";
}

static char **exprs;
static int nexprs, capexprs;

static void
add_expr(const char *e)
{
	for (int i = 0; i < nexprs; i++)
		if (!strcmp(exprs[i], e))
			return;
	if (nexprs == capexprs) {
		capexprs = capexprs ? capexprs * 2 : 256;
		exprs = realloc(exprs, (size_t)capexprs * sizeof(*exprs));
	}
	exprs[nexprs++] = strdup(e);
}

static void
walk(const struct lq_ynode *n, int take)
{
	if (!n)
		return;
	if (n->kind == LQ_Y_SCALAR) {
		if (take && n->len)
			add_expr(n->str);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		int t = take;
		if (n->kind == LQ_Y_MAP) {
			const char *k = n->keys[i]->str;
			t = !strcmp(k, "when") || !strcmp(k, "events") ||
			    !strcmp(k, "expr") || !strcmp(k, "label") ||
			    take == 2;
			if (!strcmp(k, "set") || !strcmp(k, "fields"))
				t = 2;
		}
		walk(n->items[i], t);
	}
}

static void
rule_exprs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct lq_ydoc doc;
		struct lq_err err;
		if (l < 6 || strcmp(e->d_name + l - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lq_yaml_load(&doc, path, &err) == 0)
			walk(doc.root, 0);
		lq_yaml_release(&doc);
	}
	closedir(d);
}

static const char *const paths[] = {
	".", ".a", ".s", ".n", ".big", ".arr", ".o", ".o.x", ".o.y.z",
	".arr[0]", ".arr[-1]", ".arr[]", ".arr[]?", ".o[]?", ".s[]?",
	".missing", ".nul", ".t", ".f", ".u", ".e", ".visits[]?.at",
	".a.b", ".s.x?", "(.n, .a)", ".\"we ird\"", ".[\"a\"]", ".o.x?",
	/* jq names a key shorter than 30 bytes in "Cannot index" */
	".a.kkkkkkkkkkkkkkkkkkkkkkkkkkkkk", ".a.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", ".s[\"éééééééééééééééééééé\"]",
	NULL
};

static const char *const forms[] = {
	"%s", "%s == 1", "%s != null", "%s > 2", "%s <= \"m\"", "%s < [1]",
	"%s >= {}", "%s + 1", "%s - 1", "%s * 2", "%s / 2", "%s %% 3",
	"%s + \"x\"", "%s // \"dflt\"", "%s and true", "%s or false",
	"%s | not", "[%s] | length", "%s | length", "%s | type",
	"%s | test(\"a|é\"; \"i\")", "%s | test(\"^[0-9]+$\")",
	"%s | startswith(\"a\")", "%s | endswith(\"z\")",
	"%s | contains(\"b\")", "%s | contains([1])", "%s | has(\"x\")",
	"%s | ascii_downcase", "%s | ascii_upcase", "%s | ltrimstr(\"a\")",
	"%s | rtrimstr(\"c\")", "%s | tostring", "[%s | strings]",
	"[%s | numbers]", "[%s | values]", "%s | IN(1, \"abc\", null)",
	"IN(%s; 1, 2)", "any(%s; . == 1)", "all(%s; . != null)",
	"%s | any", "%s | all", "%s | map(. == 1)", "%s | add",
	"[%s | select(. != null)]", "%s | first", "%s | last",
	"%s | unique", "%s | split(\",\")", "%s | .[1:3]", "%s | .[:2]",
	"%s | .[-2:]", "%s as $v | [$v, .a]", "-%s", "%s?",
	"if %s then 1 elif .a then 2 else 3 end", "(%s | error(\"boom\"))?",
	"[%s] | .[0] // error(\"none\")", "%s | error(null)",
	"[%s, 1] | any(.[]; . == 1)", "%s | keys", "%s == \"abc\"",
	"[%s, 1, \"a\", null] | unique", "%s != \"ABC é\"", "%s == \"é\\n\\\"q\\\"\"", "%s == \"\"",
	/* infinities (1e400 is one, in records and in literals), surrogates */
	"%s == 1e400", "%s > 1.7976931348623157e308", "%s < -1e400",
	"[%s, 1e400] | tostring", "%s - 1e400", "%s == \"\\ud83d\\ude00\"",
	"%s == \"\\udc00x\"", "%s == \"x\\u00e9\\u00E9\"",
	/* comparisons with numbers the other way round, negative */
	"3 > %s", "-2 <= %s", "%s != 0", "(%s >= -1.5) and 1 == 1", NULL
};

/* deterministic records: every field missing, null or of a wrong type */
static const char *const values[] = {
	"null", "true", "false", "0", "-1", "2.5", "3", "1e3", "-0",
	"1000000000000011631", "12345678901234567890", "\"\"", "\"abc\"",
	"\"ABC é\"", "\"a,b,c\"", "\"m\"", "\"\\u00e9\\n\\\"q\\\"\"",
	"\"x\\u0000y\"", "\"东京 München\"", "[]", "[1]", "[1,2,3]",
	"[\"a\",null,1]", "[[1],{\"x\":1}]", "{}", "{\"x\":1}",
	"{\"x\":\"abc\",\"y\":{\"z\":2}}", "{\"b\":1,\"a\":2}",
	"1e400", "-1e400", "\"\\udc00x\"", "\"\\ud83d\\ude00\"",
	"\"x\\u00e9\\u00e9\"", NULL
};

static char *
gen_record(unsigned *seed, struct lq_buf *b)
{
	static const char *const keys[] = { "a", "s", "n", "big", "arr", "o",
	    "nul", "t", "f", "u", "e", "visits", "we ird", NULL };
	int nv = 0;

	while (values[nv])
		nv++;
	lq_buf_reset(b);
	lq_buf_addc(b, '{');
	int first = 1;
	for (int k = 0; keys[k]; k++) {
		*seed = *seed * 1103515245u + 12345u;
		unsigned r = (*seed >> 8) % (unsigned)(nv + 3);
		if (r >= (unsigned)nv)
			continue;	/* absent */
		if (!first)
			lq_buf_addc(b, ',');
		first = 0;
		lq_buf_json_strs(b, keys[k]);
		lq_buf_addc(b, ':');
		if (!strcmp(keys[k], "visits") && r % 2)
			lq_buf_adds(b, "[{\"at\":\"2026-11-01T00:00:00Z\"},"
			    "{\"at\":5},{\"page\":\"/p\"}]");
		else
			lq_buf_adds(b, values[r]);
	}
	lq_buf_addc(b, '}');
	return b->buf;
}

static long compared, gaveup, mismatches;

/* jv_equal, but two NaNs (inf - inf) are the same value here */
static int
same_value(jv a, jv b)
{
	int r;

	if (jv_get_kind(a) != jv_get_kind(b)) {
		r = 0;
	} else if (jv_get_kind(a) == JV_KIND_NUMBER &&
	    isnan(jv_number_value(a)) && isnan(jv_number_value(b))) {
		r = 1;
	} else if (jv_get_kind(a) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(a));
		r = n == jv_array_length(jv_copy(b));
		for (int i = 0; r && i < n; i++)
			r = same_value(jv_array_get(jv_copy(a), i),
			    jv_array_get(jv_copy(b), i));
	} else {
		r = jv_equal(jv_copy(a), jv_copy(b));
	}
	jv_free(a);
	jv_free(b);
	return r;
}

/* compare slot i of the libjq results (borrowed) with the native run */
static void
compare(const char *e, struct lq_jqn *q, jv res, int i, const char *line,
    struct lq_jqn_ctx *c)
{
	struct lq_nv *outs;
	size_t n;
	struct lq_jqn_err *e_;
	int st = lq_jqn_run(c, q, &outs, &n, &e_);
	const char *msg = st == LQ_JQN_ERROR ? lq_jqn_msg(c, e_) : NULL;

	if (st == LQ_JQN_GIVEUP) {
		gaveup++;
		return;
	}
	jv slot = jv_array_get(jv_copy(res), i);
	int same;
	if (jv_get_kind(slot) == JV_KIND_OBJECT) {
		jv m = jv_object_get(jv_copy(slot), jv_string("error"));
		same = st == LQ_JQN_ERROR && jv_get_kind(m) == JV_KIND_STRING &&
		    msg && !strcmp(msg, jv_string_value(m));
		if (!same && mismatches < 20)
			printf("# %s on %s: jq error '%s', native %s '%s'\n", e,
			    line, jv_get_kind(m) == JV_KIND_STRING ?
			    jv_string_value(m) : "?", st ? "error" : "ok",
			    msg ? msg : "");
		jv_free(m);
	} else {
		jv mine = jv_array();
		if (st == LQ_JQN_OK)
			for (size_t k = 0; k < n; k++)
				mine = jv_array_append(mine,
				    lq_nv_to_jv(&outs[k]));
		same = st == LQ_JQN_OK && same_value(jv_copy(mine),
		    jv_copy(slot));
		if (!same && mismatches < 20) {
			jv a = jv_dump_string(jv_copy(slot), 0);
			jv b = jv_dump_string(jv_copy(mine), 0);
			printf("# %s on %s: jq %s, native %s %s\n", e, line,
			    jv_string_value(a), st ? "error" : "ok",
			    st ? (msg ? msg : "") : jv_string_value(b));
			jv_free(a);
			jv_free(b);
		}
		jv_free(mine);
	}
	jv_free(slot);
	compared++;
	mismatches += !same;
}

/* compare the native evaluator with libjq on ex[0..nex) */
static int
diff_pass(char **ex, int nex, char **recs, int nrecs, struct lq_jqn_ctx *c,
    int opts)
{
	int native = 0;

	/* the natively compiled expressions, CHUNK at a time in one libjq
	 * program (jq 1.6 limits the size of a compiled function) */
	enum { CHUNK = 120 };
	struct lq_jqn **qs = calloc((size_t)nex, sizeof(*qs));
	int *slot = calloc((size_t)nex, sizeof(int));
	for (int i = 0; i < nex; i++)
		if ((qs[i] = lq_jqn_compile_opt(ex[i], opts)))
			native++;
	for (int lo = 0; lo < nex; lo += CHUNK) {
		int hi = lo + CHUNK < nex ? lo + CHUNK : nex;
		struct lq_exprs *x = NULL;
		for (;;) {
			struct lq_expr_src src = { "corpus", 1, 1, 0 };
			struct lq_err err;
			x = lq_exprs_new();
			if (opts)
				lq_exprs_check_numbers(x);
			for (int i = lo; i < hi; i++) {
				if (!qs[i])
					continue;
				src.line = i + 1;
				slot[i] = lq_exprs_add(x, ex[i], &src, &err);
			}
			if (lq_exprs_compile(x, &err) == 0)
				break;
			/* native accepted what jq rejects: a difference */
			int bad = atoi(err.msg + 7) - 1;
			printf("# native compiles, jq does not: %s (%s)\n",
			    bad >= lo && bad < hi ? ex[bad] : "?", err.msg);
			mismatches++;
			lq_exprs_free(x);
			x = NULL;
			if (bad < lo || bad >= hi || !qs[bad])
				break;
			lq_jqn_free(qs[bad]);
			qs[bad] = NULL;
		}
		for (int r = 0; x && r < nrecs; r++) {
			struct lq_scan sc = LQ_SCAN_INIT;
			struct lq_err err;
			if (lq_json_scan(&sc, recs[r], strlen(recs[r]), &err) <
			    0 || sc.kind != LQ_J_OBJECT) {
				lq_scan_release(&sc);
				continue;
			}
			jv res = lq_exprs_run(x, jv_parse(recs[r]));
			/* navigation by span parsing, then by the scan's tape */
			for (int tape = 0; tape < 2; tape++) {
				sc.want_tape = tape;
				lq_json_scan(&sc, recs[r], strlen(recs[r]),
				    &err);
				lq_jqn_start(c, recs[r], strlen(recs[r]), &sc,
				    NULL);
				for (int i = lo; i < hi; i++)
					if (qs[i])
						compare(ex[i], qs[i], res,
						    slot[i], recs[r], c);
			}
			jv_free(res);
			lq_scan_release(&sc);
		}
		lq_exprs_free(x);
	}
	for (int i = 0; i < nex; i++)
		lq_jqn_free(qs[i]);
	free(qs);
	free(slot);
	return native;
}

int
main(void)
{
	struct lq_buf b = LQ_BUF_INIT, line = LQ_BUF_INIT;
	struct lq_jqn_ctx *c = lq_jqn_ctx_new();
	char **recs = NULL;
	int nrecs = 0, native = 0, rule_exprs_n;
	unsigned seed = 42;
	char tmp[512];

	rule_exprs("rules");
	rule_exprs_n = nexprs;
	for (int f = 0; forms[f]; f++)
		for (int p = 0; paths[p]; p++) {
			snprintf(tmp, sizeof(tmp), forms[f], paths[p]);
			add_expr(tmp);
		}

	/* smaller under the sanitizers, which are ~5 times slower */
	int ngen = getenv("LQ_SANITIZED") ? 24 : 60;
	int nmax = ngen + (getenv("LQ_SANITIZED") ? 12 : 30);
	recs = calloc((size_t)nmax, sizeof(*recs));
	for (int i = 0; i < ngen; i++)
		recs[nrecs++] = strdup(gen_record(&seed, &b));
	FILE *fp = fopen("examples/leads.ndjson", "r");
	if (fp) {
		char *l = NULL;
		size_t cap = 0;
		ssize_t got;
		while (nrecs < nmax && (got = getline(&l, &cap, fp)) > 0) {
			if (l[got - 1] == '\n')
				l[got - 1] = 0;
			recs[nrecs++] = strdup(l);
		}
		free(l);
		fclose(fp);
	}

	native = diff_pass(exprs, nexprs, recs, nrecs, c, 0);
	/* the checks of comparisons with numbers (lq_exprs_check_numbers):
	 * natively, and by libjq on the rewritten text */
	char **chk = calloc((size_t)nexprs + 1, sizeof(*chk));
	int nchk = 0;
	long before = compared;
	for (int i = 0; i < nexprs; i++) {
		struct lq_jqn *q = lq_jqn_compile_opt(exprs[i], LQ_JQN_NUMCHECK);
		if (q && lq_jqn_checked_text(q, exprs[i], &b) > 0)
			chk[nchk++] = exprs[i];
		lq_jqn_free(q);
	}
	diff_pass(chk, nchk, recs, nrecs, c, LQ_JQN_NUMCHECK);
	free(chk);
	ok(nchk > 200 && compared - before > 10000, "%d expressions with "
	    "checked comparisons, %ld comparisons", nchk, compared - before);
	ok(rule_exprs_n >= 25, "%d expressions from rules/*.yaml", rule_exprs_n);
	ok(native > nexprs / 2, "%d of %d expressions evaluated natively",
	    native, nexprs);
	ok(compared > (getenv("LQ_SANITIZED") ? 20000 : 50000), "%ld comparisons on %d records (%ld handed "
	    "back to libjq)", compared, nrecs, gaveup);
	ok(mismatches == 0, "native and libjq agree (%ld differences)",
	    mismatches);

	for (int i = 0; i < nrecs; i++)
		free(recs[i]);
	free(recs);
	for (int i = 0; i < nexprs; i++)
		free(exprs[i]);
	free(exprs);
	lq_jqn_ctx_free(c);
	lq_buf_release(&b);
	lq_buf_release(&line);
	return tap_done();
}
