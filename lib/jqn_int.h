/*
 * jqn_int.h - private to the native jq evaluator (lib/jqn_*.c).
 *
 * The native evaluator (lq_jqn.h) runs the common jq forms straight from the raw
 * record bytes, with libjq 1.6's results and error messages.
 *
 * Evaluation is continuation-passing: eval(node, input, k) calls k once per
 * output, which gives jq's generator semantics (cartesian binary operators
 * with the right operand outermost, short-circuit any/all, try stopping at
 * the first error, including errors raised downstream as jq 1.6 does).
 * Nodes that give at most one output (marked at compile time) are run by
 * direct(), plain recursion returning the value through the node's
 * handler (dfn: one small function per kind of node, chosen at compile
 * time); identical such subtrees across all compiled expressions are
 * computed once per record (memo).
 * Records are navigated through the scanner's tape (lq_scan.tape) when
 * there is one, else by parsing containers once per record (spans_of).
 *
 * The parts, as jq's own src/ is split:
 *   jqn_parse.c    lexer and parser: text -> nodes
 *   jqn_compile.c  shared subexpressions, one-output marks, compile/free
 *   jqn_value.c    per-record context, values, navigation, errors
 *   jqn_builtin.c  builtins
 *   jqn_exec.c     eval(), direct() and the node handlers, public run API
 * State is per program (struct lq_jqn), per context (struct lq_jqn_ctx)
 * or per thread (the interned key and subexpression tables).
 */
#ifndef LQ_JQN_INT_H
#define LQ_JQN_INT_H

#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "lq_jqn.h"
#include "lq_refilter.h"

enum { ST_OK = LQ_JQN_OK, ST_ERR = LQ_JQN_ERROR, ST_GIVEUP = LQ_JQN_GIVEUP,
	ST_STOP = 3,
	ST_EMPTY = 4,		/* direct(): no output (a suppressed .a? error) */
	ST_NODIRECT = 5		/* direct(): needs the continuation path */
};

/* ---- nodes ------------------------------------------------------------- */

enum op {
	O_IDENT, O_FIELD, O_INDEX, O_ITER, O_LIT, O_PIPE, O_COMMA, O_ALT,
	O_AND, O_OR, O_CMP, O_ARITH, O_NEG, O_ARRAY, O_IF, O_TRY, O_CALL,
	O_BIND, O_VAR, O_SLICE
};

enum fn {
	F_NOT, F_LENGTH, F_ADD, F_ANY0, F_ALL0, F_EMPTY, F_TYPE, F_TOSTRING,
	F_DOWNCASE, F_UPCASE, F_SELECT, F_MAP, F_ANY1, F_ALL1, F_HAS,
	F_STARTSWITH, F_ENDSWITH, F_CONTAINS, F_LTRIM, F_RTRIM, F_TEST, F_IN1,
	F_IN2, F_ANY2, F_ALL2, F_ERROR1, F_ERROR0, F_SPLIT, F_STRINGS,
	F_NUMBERS, F_BOOLEANS, F_NULLS, F_ARRAYS, F_OBJECTS, F_ITERABLES,
	F_SCALARS, F_VALUES, F_FIRST, F_LAST, F_UNIQUE
};

enum cmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct lq_jqn_ctx;
struct node;
typedef int (*dfn_t)(struct lq_jqn_ctx *, struct node *, struct lq_nv *,
    struct lq_nv *);
/* the definition of a direct() handler: n on in, the output to *out */
#define DFN(name) int name(struct lq_jqn_ctx *c, struct node *n, \
    struct lq_nv *in, struct lq_nv *out)

/* an O_CMP node's check (LQ_JQN_NUMCHECK) */
struct numchk {
	char *path;		/* the path, readable (.a."b c"[0]) */
	uint32_t p0, p1;	/* the path's bytes in the text */
	uint32_t c0, c1;	/* the comparison's */
};

struct node {
	/* what evaluation reads first, in one cache line */
	unsigned char op;	/* enum op */
	unsigned char one;	/* at most one output: direct() can run it */
	unsigned char fast;	/* eval() runs it through direct() */
	unsigned char shared;	/* cse is used more than once: memoise */
	int sub;		/* cmp/arith operator, fn, or opt flag */
	int cse;		/* 1 + id shared by identical subtrees; 0: none */
	long sid;		/* 1 + structural id (mark_cse); 0: none */
	uint32_t keylen;
	dfn_t dfn;		/* direct() handler (set_dfn) */
	struct node *a, *b, *c;	/* operands / target / args */
	char *key;		/* field name */
	long keyid;		/* O_FIELD: interned key number */
	dfn_t dfn1;		/* the handler without the memo */
	struct lq_nv lit;	/* literal */
	OnigRegex re;		/* test(): compiled once */
	struct lq_refilter *pf;	/* test(): literal prefilter, or NULL */
	struct memo *memo;	/* test(): recent inputs and results */
	struct lq_nv *cur;	/* O_BIND: the bound value while its body runs */
	long idx;		/* constant array index */
	long from, to;		/* O_SLICE bounds; LONG_MIN when omitted */
	uint32_t src0, src1;	/* parse_postfix result: its text's bytes */
	unsigned char numchk;	/* O_CMP of a path with a number: 1 the path
				   is a, 2 it is b (LQ_JQN_NUMCHECK) */
	struct numchk *chk;	/* the comparison's path and text */
	char *litstr;		/* owned bytes of a string literal */
	struct lq_nv *set;	/* IN(lit, lit, ...): the literals */
	int nset;
	struct node *next_alloc;
};

/*
 * test() results memoised by input string: lead fields such as titles,
 * industries and form answers repeat, and a regex search costs far more
 * than a hash.  Direct-mapped, bounded: MEMO_SLOTS strings of at most
 * MEMO_MAXLEN bytes per regex.
 */
#define MEMO_SLOTS 512
#define MEMO_MAXLEN 100

struct memo_ent {
	uint64_t h;
	unsigned len;		/* 0: empty slot (empty strings not cached) */
	int result;
	char s[MEMO_MAXLEN];
};

struct memo {
	struct memo_ent e[MEMO_SLOTS];
};


struct lq_jqn {
	long steps;		/* budget per run (lq_jqn_set_limits) */
	size_t memory;		/* bytes of computed values per run; 0 none */
	struct node *root;
	struct node *all;	/* every node, for free */
	int opts;		/* LQ_JQN_NUMCHECK */
	int nchk;		/* comparisons checked (numchk) */
	unsigned long interned;	/* cse_tab.interned when memo flags were set */
};


/* interned field names (jqn_parse.c) */
extern _Thread_local char **jqn_key_tab;
extern _Thread_local size_t jqn_key_n, jqn_key_cap;

struct jqn_cse_tab {
	char **s;
	size_t *len;
	unsigned *uses;		/* one-output subtrees compiled with this key */
	size_t n, cap;
	long *slot;		/* hash index: key number + 1, 0 empty */
	size_t nslot;		/* a power of two, at least 2 * cap */
	unsigned long interned;	/* calls so far: node memo flags are
				 * refreshed when it changes */
};
extern _Thread_local struct jqn_cse_tab jqn_cse_tab;

/* ---- per-record context ------------------------------------------------ */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct span {			/* one member (k set) or element */
	const char *k;
	const char *v, *ve;
	unsigned klen;
	unsigned char kesc;
};

struct span_ent {
	const char *p;		/* the container's first byte; NULL: empty */
	struct span *s;
	size_t n;
	unsigned gen;		/* record generation the entry belongs to */
};

/* an error: the message, or what is needed to write it when asked */
struct lq_jqn_err {
	const char *msg;	/* NULL until rendered */
	int kind;		/* 1 type_error, 2 type_error2, 3 iteration,
				   4 not a number (render_numchk) */
	struct lq_nv a, b;
	const char *text;
};

struct lq_jqn_ctx {
	const char *line;
	size_t len;
	const struct lq_scan *scan;
	const struct lq_tval *tape;	/* the record's values, or NULL */
	const char *skip;
	size_t skiplen;
	struct chunk *arena;
	struct lq_jqn_err *err;	/* error of the last run */
	struct lq_nv root;
	/* parsed members/elements of raw objects and arrays, by address */
	struct span_ent *spans;
	size_t spans_cap, spans_n;
	unsigned gen;		/* record generation (never 0) */
	/* member index of each interned key in the record, for this gen */
	long *root_idx;
	unsigned *root_gen;
	size_t root_cap;
	/* outputs of the current run */
	struct lq_nv *outs;
	size_t nouts, capouts;
	/* values of shared subtrees: on the record by id, on its other
	 * values by (id, tape entry) */
	struct cmemo *rmemo;
	size_t rmemo_cap;
	struct cmemo *tmemo;	/* TMEMO slots */
	/* the budget of the current run */
	long steps;		/* left; below 0: spent */
	size_t used, used0;	/* arena bytes: now, at the run's start */
	size_t memory;		/* the run's memory budget; 0 none */
	int hit;		/* 1 steps, 2 memory: the run is over budget */
	long steps0;
};

#define TMEMO 512

struct cmemo {
	unsigned gen;		/* record generation; 0: empty */
	int cse;
	uint32_t t;
	int st;
	struct lq_nv v;
	struct lq_jqn_err *err;
};

static inline void *
alloc(struct lq_jqn_ctx *c, size_t n)
{
	struct chunk *ch = c->arena;

	n = (n + 15) & ~(size_t)15;
	if (!ch || ch->cap - ch->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		ch = malloc(sizeof(*ch) + cap);
		if (!ch)
			abort();
		c->used += cap;
		if (c->memory && c->used - c->used0 > c->memory && !c->hit) {
			c->hit = 2;	/* stops at the next step */
			c->steps = -1;
		}
		ch->next = c->arena;
		ch->used = 0;
		ch->cap = cap;
		c->arena = ch;
	}
	void *p = ch->data + ch->used;
	ch->used += n;
	return p;
}


typedef int (*each_fn)(struct lq_jqn_ctx *, void *, struct lq_nv *);
typedef int (*kfn)(struct lq_jqn_ctx *, void *, struct lq_nv *);
struct coll { struct lq_nv *v; size_t n, cap; };
struct nth { long i; struct lq_nv *out; int found; };
struct k2 {		/* a continuation with a node and its own continuation */
	struct node *n;
	struct lq_nv *in;
	kfn k;
	void *kc;
	struct lq_nv *other;
	int flag;
};
struct cap { struct lq_nv *out; int n; };
static const char *const kind_names[] = { "null", "boolean", "boolean",
	"number", "string", "array", "object" };

/* functions shared between the parts */
int jqn_over(struct lq_jqn_ctx *c);
/* one step of the budget: non-zero (an error raised) once it is spent */
#define STEP(c) (--(c)->steps < 0 ? jqn_over(c) : 0)
DFN(jqn_d_nodirect);
int jqn_call(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn k, void *kc);
int jqn_k_bind(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
int jqn_k_cap(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
int jqn_k_slice(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
void jqn_slice_str(struct lq_jqn_ctx *c, const struct node *n, struct lq_nv *v, struct lq_nv *out);
int jqn_strfn(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, struct lq_nv *arg, struct lq_nv *out);
int jqn_test_str(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, struct lq_nv *out);
void jqn_mark_cse(struct node *n);
int jqn_mark_one(struct node *n);
int jqn_anyall_finish(struct lq_jqn_ctx *c, int st, int is_any, kfn k, void *kc);
int jqn_apply_arith(struct lq_jqn_ctx *c, int op, struct lq_nv *a, struct lq_nv *b, struct lq_nv *r);
DFN(jqn_d_ident);
int jqn_eval(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn k, void *kc);
int jqn_iterate(struct lq_jqn_ctx *c, struct lq_nv *v, int opt, kfn k, void *kc);
int jqn_k_collect(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
int jqn_k_gen_cond(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
int jqn_k_in_a(struct lq_jqn_ctx *c, void *kc, struct lq_nv *a);
int jqn_k_in_b(struct lq_jqn_ctx *c, void *kc, struct lq_nv *b);
int jqn_k_index(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
int jqn_k_map_elem(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
int jqn_k_select(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);
void jqn_mk_arr(struct lq_nv *r, struct coll *a);
void jqn_pick_dfn(struct node *n);
void jqn_set_dfn(struct node *n);
void jqn_set_dfn1(struct node *n);
int jqn_then(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn kf, void *x);
long jqn_arr_len(struct lq_jqn_ctx *c, const struct lq_nv *a);
int jqn_fail(struct lq_jqn_ctx *c, const char *fmt, ...);
int jqn_lazy_error(struct lq_jqn_ctx *c, int kind, const struct lq_nv *a, const struct lq_nv *b, const char *text);
int jqn_nth_cb(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v);
double jqn_num_parse(const char *p, size_t n);
int jqn_render_numchk(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *p);
int jqn_render_type_error(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *msg);
int jqn_render_type_error2(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b, const char *msg);
void jqn_rmemo_size(struct lq_jqn_ctx *c);
struct span_ent * jqn_spans_of(struct lq_jqn_ctx *c, const char *p);
const char * jqn_str_z(struct lq_jqn_ctx *c, const struct lq_nv *v, size_t *len);
jv jqn_to_jv(struct lq_jqn_ctx *c, const struct lq_nv *v);
int jqn_type_error(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *msg);
int jqn_type_error2(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b, const char *msg);

/* a raw value: the JSON text p[0..n); esc as lq_nv.esc for strings */
static inline __attribute__((always_inline)) void
set_raw(struct lq_nv *v, const char *p, size_t n, unsigned char esc)
{
	v->raw = 1;
	v->root = 0;
	v->esc = 0;
	v->t = 0;
	v->p = p;
	v->n = n;
	v->num = 0;
	v->items = NULL;
	switch (*p) {
	case '{': v->kind = NV_OBJECT; break;
	case '[': v->kind = NV_ARRAY; break;
	case '"':
		v->kind = NV_STRING;
		v->esc = esc;
		break;
	case 't': v->kind = NV_TRUE; break;
	case 'f': v->kind = NV_FALSE; break;
	case 'n': v->kind = NV_NULL; break;
	default:
		v->kind = NV_NUMBER;
		v->num = jqn_num_parse(p, n);
	}
}

static inline void
make_raw(struct lq_nv *v, const char *p, const char *e)
{
	set_raw(v, p, (size_t)(e - p), 2);	/* escapes: not looked at yet */
}

/* lq_nv_str() with the common cases inline: computed, or raw without
 * escapes (v must be a string) */
static inline const char *
nv_str(struct lq_jqn_ctx *c, const struct lq_nv *v, size_t *len)
{
	if (!v->raw) {
		*len = v->n;
		return v->p;
	}
	if (!v->esc) {
		*len = v->n - 2;
		return v->p + 1;
	}
	return lq_nv_str(c, v, len);
}

/* a raw value from tape entry i */
static inline __attribute__((always_inline)) void
tape_raw(struct lq_jqn_ctx *c, struct lq_nv *v, uint32_t i)
{
	const struct lq_tval *t = &c->tape[i];

	/* a string's escapes are known from the scan */
	set_raw(v, c->line + t->v, t->ve - t->v, (unsigned char)t->n);
	v->t = i + 1;
}

/* the record's member named k (not the tool's own key), or -1 */
static inline __attribute__((always_inline)) long
root_find(struct lq_jqn_ctx *c, const char *k, size_t kn)
{
	if (c->skip && kn == c->skiplen && !memcmp(k, c->skip, kn))
		return -1;
	return lq_scan_find(c->scan, c->line, k, kn);
}

/* the value of the record's member i */
static inline __attribute__((always_inline)) void
root_value(struct lq_jqn_ctx *c, long i, struct lq_nv *out)
{
	const struct lq_member *m = &c->scan->m[i];

	if (c->tape)
		tape_raw(c, out, m->t);
	else
		make_raw(out, c->line + m->vstart, c->line + m->vend);
}

/* .key of a raw object; 0 when absent */
static inline __attribute__((always_inline)) int
raw_get(struct lq_jqn_ctx *c, const struct lq_nv *o, const char *k, size_t kn,
    struct lq_nv *out)
{
	if (o->root) {
		long i = root_find(c, k, kn);
		if (i < 0)
			return 0;
		root_value(c, i, out);
		return 1;
	}
	if (o->t) {
		uint32_t found = lq_tape_member(c->tape, c->line, o->t - 1,
		    k, kn);
		if (!found)
			return 0;
		tape_raw(c, out, found - 1);
		return 1;
	}
	struct span_ent *e = jqn_spans_of(c, o->p);
	for (long i = (long)e->n - 1; i >= 0; i--) {
		const struct span *m = &e->s[i];
		if (lq_json_key_is(m->k, m->klen, m->kesc, k, kn)) {
			make_raw(out, m->v, m->ve);
			return 1;
		}
	}
	return 0;
}

static inline void
mk_bool(struct lq_nv *v, int b)
{
	memset(v, 0, sizeof(*v));
	v->kind = b ? NV_TRUE : NV_FALSE;
}

static inline void
mk_num(struct lq_nv *v, double d)
{
	memset(v, 0, sizeof(*v));
	v->kind = NV_NUMBER;
	v->num = d;
}

static inline void
mk_str(struct lq_nv *v, const char *s, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->kind = NV_STRING;
	v->p = s;
	v->n = n;
}

static inline int
jqn_raw_each(struct lq_jqn_ctx *c, const struct lq_nv *a, each_fn f, void *arg)
{
	if (!a->raw) {
		for (size_t i = 0; i < a->n; i++) {
			int r = STEP(c) ? ST_ERR : f(c, arg, &a->items[i]);
			if (r)
				return r;
		}
		return 0;
	}
	if (a->t) {
		const struct lq_tval *T = c->tape;
		uint32_t i = a->t;
		if (!T[i - 1].n)
			return 0;
		for (;;) {
			struct lq_nv v;
			if (STEP(c))
				return ST_ERR;
			tape_raw(c, &v, i);
			int r = f(c, arg, &v);
			if (r)
				return r;
			if (!T[i].next)
				return 0;
			i = T[i].next;
		}
	}
	/* copy out: nested lookups may grow (and move) the table */
	struct span_ent *e = jqn_spans_of(c, a->p);
	const struct span *sp = e->s;
	size_t n = e->n;
	for (size_t i = 0; i < n; i++) {
		struct lq_nv v;
		if (STEP(c))
			return ST_ERR;
		make_raw(&v, sp[i].v, sp[i].ve);
		int r = f(c, arg, &v);
		if (r)
			return r;
	}
	return 0;
}

/* jv_cmp order; sets *r (-1, 0, 1); GIVEUP never needed (uses libjq) */
static inline int
jqn_cmp(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	switch (a->kind) {
	case NV_NUMBER:
		return a->num < b->num ? -1 : a->num == b->num ? 0 : 1;
	case NV_STRING: {
		size_t la, lb;
		const char *sa = nv_str(c, a, &la), *sb = nv_str(c, b, &lb);
		int r = memcmp(sa, sb, la < lb ? la : lb);
		if (r == 0)
			r = la < lb ? -1 : la > lb ? 1 : 0;
		return r < 0 ? -1 : r > 0;
	}
	case NV_ARRAY:
	case NV_OBJECT: {
		jv ja = jqn_to_jv(c, a), jb = jqn_to_jv(c, b);
		int r = jv_cmp(ja, jb);	/* consumes both */
		return r < 0 ? -1 : r > 0;
	}
	default:
		return 0;
	}
}

/* jqn_cmp(c, a, b) == 0, with strings compared by length first */
static inline int
jqn_same(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b)
{
	if (a->kind == NV_STRING && b->kind == NV_STRING) {
		size_t la, lb;
		const char *sa = nv_str(c, a, &la), *sb = nv_str(c, b, &lb);
		return la == lb && lq_mem_eq(sa, sb, la);
	}
	return jqn_cmp(c, a, b) == 0;
}

#endif
