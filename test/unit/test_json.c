/*
 * test_json.c - the strict scanner: hand cases, member spans, and the
 * JSONTestSuite corpus (y_ accepted, n_ rejected, i_ no crash) when
 * ../shared/data/json-test-suite exists.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "lq_json.h"
#include "tap.h"

static int
scan(const char *s)
{
	struct lq_scan sc = LQ_SCAN_INIT;
	struct lq_err err;
	int rc = lq_json_scan(&sc, s, strlen(s), &err);

	lq_scan_release(&sc);
	return rc;
}

/*
 * Nesting near jq's limit: the scanner takes a record exactly when
 * jv_parse can read it (a record it takes and jq cannot would fail later,
 * in whatever needs jq), for mixes of arrays and objects.
 */
static void
nesting(void)
{
	int agree = 0, total = 0, took256 = 0;
	struct lq_buf b = LQ_BUF_INIT;

	srand(7);
	for (int t = 0; t < 400; t++) {
		int d = 120 + rand() % 150, objs = 0;
		char kinds[300];
		lq_buf_reset(&b);
		for (int i = 0; i < d; i++) {
			int o = t % 4 == 0 ? 0 : t % 4 == 1 ? 1 : rand() % 2;
			kinds[i] = o ? '{' : '[';
			objs += o;
			lq_buf_adds(&b, o ? "{\"k\":" : "[");
		}
		lq_buf_adds(&b, t % 3 ? "1" : "[]");
		for (int i = d - 1; i >= 0; i--)
			lq_buf_addc(&b, kinds[i] == '{' ? '}' : ']');
		jv v = jv_parse_sized(b.buf, (int)b.len);
		int jq_ok = jv_is_valid(v);
		jv_free(v);
		int ours = scan(b.buf) == 0;
		agree += ours == jq_ok;
		total++;
		took256 += ours && d - objs + 2 * objs >= 250;
	}
	ok(agree == total, "nesting: the scanner and jv_parse agree on %d of "
	    "%d records near the limit", agree, total);
	ok(took256 > 0, "nesting: records close to the limit are taken");
	ok(scan("{\"a\":[[[]]]}") == 0, "nesting: shallow records pass");
	lq_buf_release(&b);
}

/* rebuild the value at tape entry i from the tape alone */
static void
walk(const struct lq_scan *sc, const char *rec, uint32_t i, struct lq_buf *b)
{
	const struct lq_tval *t = &sc->tape[i];
	char c = rec[t->v];

	if (c != '{' && c != '[') {
		lq_buf_add(b, rec + t->v, t->ve - t->v);
		if (c == '"' && t->n)
			lq_buf_adds(b, "/esc");
		return;
	}
	lq_buf_addc(b, c);
	for (uint32_t j = t->n ? i + 1 : 0, k = 0; j; j = sc->tape[j].next) {
		if (k++)
			lq_buf_addc(b, ',');
		if (c == '{') {
			uint32_t kl = sc->tape[j].klen;
			lq_buf_add(b, rec + sc->tape[j].k, kl & ~LQ_TKESC);
			lq_buf_adds(b, kl & LQ_TKESC ? "/esc:" : ":");
		}
		walk(sc, rec, j, b);
	}
	lq_buf_addc(b, c == '{' ? '}' : ']');
	if (rec[t->ve - 1] != (c == '{' ? '}' : ']'))
		lq_buf_adds(b, "/bad-end");
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t cap = 0, len = 0, got;

	if (!f)
		return NULL;
	do {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			b = realloc(b, cap);
		}
		got = fread(b + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	*n = len;
	return b;
}

static void
corpus(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int y = 0, yok = 0, n = 0, nok = 0, i = 0;
	char path[4096];

	if (!d) {
		printf("ok %d # SKIP no %s\n", ++tap_n, dir);
		return;
	}
	while ((e = readdir(d))) {
		size_t len;
		char *buf;
		struct lq_scan sc = LQ_SCAN_INIT;
		struct lq_err err;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(buf = slurp(path, &len)))
			continue;
		int rc = lq_json_scan(&sc, buf, len, &err);
		lq_scan_release(&sc);
		free(buf);
		switch (e->d_name[0]) {
		case 'y':
			y++;
			yok += rc == 0;
			if (rc)
				printf("# rejected %s: %s\n", e->d_name, err.msg);
			break;
		case 'n':
			n++;
			nok += rc != 0;
			if (!rc)
				printf("# accepted %s\n", e->d_name);
			break;
		default:
			i++;
		}
	}
	closedir(d);
	ok(y > 0 && yok == y, "json-test-suite: %d of %d y_ files accepted", yok, y);
	ok(n > 0 && nok == n, "json-test-suite: %d of %d n_ files rejected", nok, n);
	ok(i > 0, "json-test-suite: %d i_ files scanned without a crash", i);
}

int
main(void)
{
	struct lq_scan sc = LQ_SCAN_INIT;
	struct lq_err err;
	const char *rec = "{\"id\":1000000000000011631, \"a\" : [1,{\"b\":2}],"
	    "\"n\\u0061me\":\"Zo\xc3\xab\",\"e\":{}}";
	const char *dir = getenv("LQ_JSON_SUITE");

	ok(scan("{}") == 0, "empty object");
	ok(scan(" { } ") == 0, "spaces around");
	ok(scan("\xef\xbb\xbf{}") == 0, "leading BOM accepted");
	ok(scan("[1,2]") == 0, "array is valid JSON");
	ok(scan("") < 0, "empty line rejected");
	ok(scan("{\"a\":1,}") < 0, "trailing comma");
	ok(scan("{\"a\":01}") < 0, "leading zero");
	ok(scan("{\"a\":1.}") < 0, "bare decimal point");
	ok(scan("{\"a\":NaN}") < 0, "NaN");
	ok(scan("{\"a\":\"\t\"}") < 0, "raw tab in string");
	ok(scan("{\"a\":\"\\x\"}") < 0, "bad escape");
	ok(scan("{\"a\":\"\xc3\"}") < 0, "truncated UTF-8");
	ok(scan("{\"a\":\"\xed\xa0\x80\"}") < 0, "UTF-8 encoded surrogate");
	ok(scan("{\"a\":\"\xc0\xaf\"}") < 0, "overlong UTF-8");
	ok(scan("{\"a\":1} x") < 0, "trailing garbage");
	ok(scan("{\"a\":1}{}") < 0, "two values");
	ok(scan("{\"a\" 1}") < 0, "missing colon");
	ok(scan("{\"a\":tru}") < 0, "bad literal");
	ok(scan("{\"a\":-}") < 0, "lone minus");
	ok(scan("{\"a\":1e5,\"b\":-0.5E-3,\"c\":true,\"d\":null}") == 0,
	    "numbers and literals");

	ok(lq_json_scan(&sc, rec, strlen(rec), &err) == 0, "record scans");
	ok(sc.kind == LQ_J_OBJECT && sc.n == 4, "four top-level members (%zu)",
	    sc.n);
	ok(sc.n == 4 && !strncmp(rec + sc.m[0].vstart, "1000000000000011631",
	    sc.m[0].vend - sc.m[0].vstart) && sc.m[0].vend - sc.m[0].vstart
	    == 19, "19-digit id span is exact");
	ok(sc.n == 4 && sc.m[1].vkind == LQ_J_ARRAY &&
	    rec[sc.m[1].vstart] == '[' && rec[sc.m[1].vend - 1] == ']',
	    "array member span");
	ok(lq_scan_find(&sc, rec, "name", 4) == 2, "escaped key found decoded");
	ok(lq_scan_find(&sc, rec, "nope", 4) == -1, "absent key");
	ok(rec[sc.close] == '}' && rec[sc.open] == '{', "braces located");

	struct lq_buf b = LQ_BUF_INIT;
	ok(sc.tn == 0, "no tape unless asked for");
	sc.want_tape = 1;
	{
		const char *t = " {\"a\" : [ 1 , {\"b\\n\":\"x\\\"y\"},[],{} ],"
		    "\"c\":{\"d\":[[true]]}, \"e\":\"z\"} ";
		ok(lq_json_scan(&sc, t, strlen(t), &err) == 0, "tape record");
		ok(sc.tn == 12, "one tape entry per value (%zu)", sc.tn);
		walk(&sc, t, 0, &b);
		is_str(b.buf, "{\"a\":[1,{\"b\\n\"/esc:\"x\\\"y\"/esc},[],{}],"
		    "\"c\":{\"d\":[[true]]},\"e\":\"z\"}",
		    "the tape rebuilds the record");
		ok(sc.n == 3 && sc.tape[sc.m[1].t].v == sc.m[1].vstart,
		    "top-level members point into the tape");
		ok(lq_json_scan(&sc, "{\"a\":[1,}", 10, &err) < 0 && sc.tn == 0,
		    "no tape for a rejected line");
		lq_buf_reset(&b);
	}
	sc.want_tape = 0;
	{
		const char *raw = "\"a\\u00e9\\n\\ud83d\\ude00\\\"\"";
		lq_json_unescape(&b, raw, strlen(raw));
	}
	is_str(b.buf, "a\xc3\xa9\n\xf0\x9f\x98\x80\"", "unescape incl. surrogate pair");
	lq_buf_reset(&b);
	{
		const char *raw = "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud800x\"";
		lq_json_unescape(&b, raw, strlen(raw));
	}
	is_str(b.buf, "\"\\/\b\f\n\r\t\xef\xbf\xbdx",
	    "unescape: every one-character escape, a lone surrogate");
	lq_buf_reset(&b);
	{
		const char *in = "\"\\/bfnrt";
		int all = 0, none = 0;
		for (const char *c = in; *c; c++)
			all += lq_json_unescape_char(&b, *c) == 0;
		none += lq_json_unescape_char(&b, 'u') == -1;
		none += lq_json_unescape_char(&b, '(') == -1;
		none += lq_json_unescape_char(&b, 'x') == -1;
		none += lq_json_unescape_char(&b, 0) == -1;
		none += lq_json_unescape_char(&b, 0xe9) == -1;
		ok(all == 8 && none == 5, "unescape_char: 8 escapes, not u, "
		    "(, x, NUL or a high byte");
		is_str(b.buf, "\"\\/\b\f\n\r\t", "unescape_char: what they "
		    "stand for");
	}
	lq_buf_reset(&b);
	lq_buf_json_str(&b, "q\"\\\n\x01", 5);
	is_str(b.buf, "\"q\\\"\\\\\\n\\u0001\"", "escape for output");
	lq_buf_reset(&b);
	lq_buf_json_num(&b, 0.1 + 0.2);
	is_str(b.buf, "0.30000000000000004", "shortest round-trip double");
	lq_buf_reset(&b);
	lq_buf_json_round(&b, 2.0 / 3, 2);
	is_str(b.buf, "0.67", "rounded");
	/* found by test/fuzz/fuzz_json.c: d * 10^places overflowed to null */
	lq_buf_reset(&b);
	lq_buf_json_round(&b, 1e308, 6);
	is_str(b.buf, "1e+308", "a huge number rounded is itself, not null");
	lq_buf_reset(&b);
	lq_buf_json_round(&b, 0, 400);
	is_str(b.buf, "0", "0 at 400 places is 0, not null");
	lq_buf_release(&b);
	lq_scan_release(&sc);

	nesting();
	corpus(dir ? dir : "../shared/data/json-test-suite/test_parsing");
	return tap_done();
}
