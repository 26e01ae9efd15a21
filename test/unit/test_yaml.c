/* test_yaml.c - positions, strict scalars, unknown keys, alias limits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_buf.h"
#include "lq_yaml.h"
#include "tap.h"

static struct lq_err err;

static int
load(struct lq_ydoc *d, const char *text)
{
	lq_err_clear(&err);
	return lq_yaml_load_mem(d, "t.yaml", text, strlen(text), &err);
}

static int
fails_with(const char *text, const char *want)
{
	struct lq_ydoc d;
	int rc = load(&d, text);

	lq_yaml_release(&d);
	if (rc == 0)
		return 0;
	if (!strstr(err.msg, want)) {
		printf("# message: %s\n", err.msg);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct lq_ydoc d;
	struct lq_ynode *n;
	double v;
	int b;
	static const char *const allowed[] = { "points", "name", NULL };

	ok(load(&d, "a:\n  b: 5\n  c: |-\n    .x\n    | .y\n") == 0, "loads");
	n = lq_ymap_get(lq_ymap_get(d.root, "a"), "b");
	ok(n && n->line == 2 && n->col == 6, "position of a value (%d:%d)",
	    n ? n->line : 0, n ? n->col : 0);
	ok(n && lq_ynum(&d, n, "b", &v, &err) == 0 && v == 5, "number");
	n = lq_ymap_get(lq_ymap_get(d.root, "a"), "c");
	ok(n && n->style == LQ_Y_LITERAL && !strcmp(n->str, ".x\n| .y"),
	    "literal block kept");
	int l, c;
	lq_ynode_text_pos(&d, n, &l, &c);
	ok(l == 4 && c == 5, "block text starts at 4:5 (%d:%d)", l, c);
	lq_yaml_release(&d);

	ok(load(&d, "x: yes\ny: \"5\"\nz: 0777\nw: true\nbig: 12345678901234567890\n") == 0,
	    "loads scalars");
	ok(lq_ybool(&d, lq_ymap_get(d.root, "x"), "x", &b, &err) < 0 &&
	    strstr(err.msg, "t.yaml:1:4: x: ambiguous"), "yes refused: %s", err.msg);
	ok(lq_ynum(&d, lq_ymap_get(d.root, "y"), "y", &v, &err) < 0,
	    "quoted 5 is a string");
	ok(lq_ynum(&d, lq_ymap_get(d.root, "z"), "z", &v, &err) < 0,
	    "0777 refused");
	ok(lq_ybool(&d, lq_ymap_get(d.root, "w"), "w", &b, &err) == 0 && b,
	    "true");
	ok(lq_ynum(&d, lq_ymap_get(d.root, "big"), "big", &v, &err) < 0 &&
	    strstr(err.msg, "2^53"), "integer beyond 2^53 refused");
	lq_yaml_release(&d);

	/* found by test/fuzz/fuzz_yaml.c: strtoll() clamped these to 2^63-1 */
	ok(load(&d, "h: 0x1F\no: 0o17\nbig: 0xffffffffffffffffffff\n"
	    "over: 0x20000000000001\nob: 0o1000000000000000000001\n") == 0,
	    "loads hexadecimal and octal");
	ok(lq_ynum(&d, lq_ymap_get(d.root, "h"), "h", &v, &err) == 0 &&
	    v == 31 && lq_ynum(&d, lq_ymap_get(d.root, "o"), "o", &v,
	    &err) == 0 && v == 15, "0x1F and 0o17");
	ok(lq_ynum(&d, lq_ymap_get(d.root, "big"), "big", &v, &err) < 0 &&
	    strstr(err.msg, "t.yaml:3:6: big: integer beyond 2^53"),
	    "0xfff... beyond 2^64 refused: %s", err.msg);
	ok(lq_ynum(&d, lq_ymap_get(d.root, "over"), "over", &v, &err) < 0 &&
	    lq_ynum(&d, lq_ymap_get(d.root, "ob"), "ob", &v, &err) < 0,
	    "hexadecimal and octal beyond 2^53 refused");
	lq_yaml_release(&d);

	ok(load(&d, "s:\n  - pionts: 3\n") == 0, "loads typo");
	n = lq_ymap_get(d.root, "s")->items[0];
	ok(lq_ymap_check(&d, n, "a signal", allowed, &err) < 0 &&
	    !strcmp(err.msg, "t.yaml:2:5: unknown key 'pionts' in a signal "
	    "(did you mean 'points'?)"), "unknown key: %s", err.msg);
	lq_yaml_release(&d);

	ok(load(&d, "h: 2d\nm: 90m\nbad: 3x\n") == 0, "loads durations");
	ok(lq_ydur(&d, lq_ymap_get(d.root, "h"), "h", &v, &err) == 0 &&
	    v == 172800, "2d");
	ok(lq_ydur(&d, lq_ymap_get(d.root, "m"), "m", &v, &err) == 0 &&
	    v == 5400, "90m");
	ok(lq_ydur(&d, lq_ymap_get(d.root, "bad"), "bad", &v, &err) < 0,
	    "3x refused");
	lq_yaml_release(&d);

	ok(fails_with("a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a'"),
	    "duplicate key");
	ok(fails_with("a: &x [1, *x]\n", "recursive"), "recursive alias");
	ok(fails_with("a: [1\n", "t.yaml:"), "syntax error has a position");
	ok(fails_with("a: 1\n---\nb: 2\n", "only one YAML document"),
	    "two documents");
	ok(fails_with("a: !!int 5\n", "explicit tag"), "explicit tag");
	ok(fails_with("<<: {a: 1}\n", "merge keys"), "merge key");
	ok(fails_with("a: \"\xff\"\n", "t.yaml:1:"), "invalid UTF-8 located");
	ok(fails_with(
	    "a: &a [\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", "t.yaml:6:8: aliases "
	    "repeat more than 100000 nodes (the limit against alias bombs; to "
	    "raise it, set LQ_YAML_ALIAS_NODES in the environment)"),
	    "alias bomb stopped, with the limit and how to raise it");
	{
		/* a big document written out in full is not an alias bomb */
		struct lq_buf b = LQ_BUF_INIT;
		struct lq_ydoc d;
		lq_buf_adds(&b, "signals:\n");
		for (int i = 0; i < 40000; i++) {
			char line[100];
			snprintf(line, sizeof(line), "  - {name: s%d, group: "
			    "fit, points: %d, when: .a}\n", i, i % 7);
			lq_buf_adds(&b, line);
		}
		ok(load(&d, b.buf) == 0, "40000 signals (280000 nodes) load");
		lq_yaml_release(&d);
		setenv("LQ_YAML_ALIAS_NODES", "1000000", 1);
		ok(load(&d, "a: &a [\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\"]\n"
		    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n") == 0,
		    "LQ_YAML_ALIAS_NODES raises the alias limit");
		lq_yaml_release(&d);
		unsetenv("LQ_YAML_ALIAS_NODES");
		lq_buf_release(&b);
	}
	{
		char deep[400];
		int k;
		for (k = 0; k < 100; k++)
			deep[k] = '[';
		deep[k] = 0;
		ok(fails_with(deep, "nesting deeper"), "nesting limit");
	}
	return tap_done();
}
