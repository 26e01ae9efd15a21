/*
 * jqn_exec.c - evaluation: eval() in continuation-passing style for
 * generators, direct() and the per-node handlers for one-output nodes,
 * the per-record memo, and the public run/ctx functions.
 */
#include "jqn_int.h"

/* ---- evaluation -------------------------------------------------------- */

static inline int direct(struct lq_jqn_ctx *c, struct node *n,
    struct lq_nv *in, struct lq_nv *out);

/* .key of the record itself, with the member position cached per name */
static inline __attribute__((always_inline)) int
root_get(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *out)
{
	size_t id = (size_t)n->keyid;
	long idx;

	if (id >= c->root_cap) {
		size_t cap = jqn_key_cap > id ? jqn_key_cap : id + 1;
		c->root_idx = realloc(c->root_idx, cap * sizeof(long));
		c->root_gen = realloc(c->root_gen, cap * sizeof(unsigned));
		if (!c->root_idx || !c->root_gen)
			abort();
		memset(c->root_gen + c->root_cap, 0,
		    (cap - c->root_cap) * sizeof(unsigned));
		c->root_cap = cap;
	}
	if (c->root_gen[id] == c->gen) {
		idx = c->root_idx[id];
	} else {
		idx = root_find(c, n->key, n->keylen);
		c->root_idx[id] = idx;
		c->root_gen[id] = c->gen;
	}
	if (idx < 0)
		memset(out, 0, sizeof(*out));
	else
		root_value(c, idx, out);
	return ST_OK;
}

static inline __attribute__((always_inline)) int
index_value(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *v,
    struct lq_nv *out)
{
	if (n->op == O_FIELD) {
		if (v->kind == NV_OBJECT) {
			if (v->root && n->keyid >= 0)
				return root_get(c, n, out);
			if (!raw_get(c, v, n->key, n->keylen, out))
				memset(out, 0, sizeof(*out));	/* null */
			return v->raw ? ST_OK : ST_GIVEUP;
		}
		if (v->kind == NV_NULL) {
			memset(out, 0, sizeof(*out));
			return ST_OK;
		}
		/* jq quotes keys shorter than 30 bytes only */
		if (n->keylen < 30)
			return jqn_fail(c, "Cannot index %s with string \"%s\"",
			    kind_names[v->kind], n->key);
		return jqn_fail(c, "Cannot index %s with string",
		    kind_names[v->kind]);
	}
	/* O_INDEX */
	if (v->kind == NV_ARRAY) {
		long len = -1, i = n->idx;
		struct nth t;
		if (i < 0) {
			len = jqn_arr_len(c, v);
			i += len;
		}
		memset(out, 0, sizeof(*out));
		if (i < 0)
			return ST_OK;
		if (!v->raw) {
			if ((size_t)i < v->n)
				*out = v->items[i];
			return ST_OK;
		}
		t.i = i;
		t.out = out;
		t.found = 0;
		jqn_raw_each(c, v, jqn_nth_cb, &t);
		return ST_OK;
	}
	if (v->kind == NV_NULL) {
		memset(out, 0, sizeof(*out));
		return ST_OK;
	}
	return jqn_fail(c, "Cannot index %s with number", kind_names[v->kind]);
}

int
jqn_k_index(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv out;
	int r = index_value(c, x->n, v, &out);

	if (r == ST_ERR && x->n->sub)
		return ST_OK;	/* .a? : no output */
	if (r)
		return r;
	return x->k(c, x->kc, &out);
}

struct kiter { kfn k; void *kc; };

static int
iter_cb(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v)
{
	struct kiter *t = arg;

	return t->k(c, t->kc, v);
}

/* .[] over v */
int
jqn_iterate(struct lq_jqn_ctx *c, struct lq_nv *v, int opt, kfn k, void *kc)
{
	struct kiter t = { k, kc };

	if (v->kind == NV_ARRAY)
		return jqn_raw_each(c, v, iter_cb, &t);
	if (v->kind == NV_OBJECT)
		return ST_GIVEUP;	/* key order and duplicates: libjq */
	if (opt)
		return ST_OK;
	return jqn_lazy_error(c, 3, v, NULL, NULL);
}

static int
k_iter(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return jqn_iterate(c, v, x->n->sub, x->k, x->kc);
}

static int
k_pipe(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return jqn_eval(c, x->n, v, x->k, x->kc);
}

static int
k_alt(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	if (!lq_nv_truthy(v))
		return ST_OK;
	x->flag = 1;
	return x->k(c, x->kc, v);
}

static int
k_and_b(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv r;

	mk_bool(&r, lq_nv_truthy(v));
	return x->k(c, x->kc, &r);
}

static int
k_and_a(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv r;
	int is_and = x->flag;

	if (lq_nv_truthy(v) != is_and) {
		mk_bool(&r, !is_and);
		return x->k(c, x->kc, &r);
	}
	return jqn_then(c, x->n, x->in, k_and_b, x);
}

static int
k_if(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return jqn_eval(c, lq_nv_truthy(v) ? x->n->b : x->n->c, x->in, x->k, x->kc);
}

/* binary operator: a (inner) OP b (outer) */
int
jqn_apply_arith(struct lq_jqn_ctx *c, int op, struct lq_nv *a, struct lq_nv *b,
    struct lq_nv *r)
{
	if (a->kind == NV_NUMBER && b->kind == NV_NUMBER) {
		switch (op) {
		case '+': mk_num(r, a->num + b->num); return ST_OK;
		case '-': mk_num(r, a->num - b->num); return ST_OK;
		case '*': mk_num(r, a->num * b->num); return ST_OK;
		case '/':
			if (b->num == 0)
				return jqn_type_error2(c, a, b, "cannot be divided "
				    "because the divisor is zero");
			mk_num(r, a->num / b->num);
			return ST_OK;
		case '%':
			if (fabs(a->num) >= 9e18 || fabs(b->num) >= 9e18 ||
			    isnan(a->num) || isnan(b->num))
				return ST_GIVEUP;
			if ((intmax_t)b->num == 0)
				return jqn_type_error2(c, a, b, "cannot be divided "
				    "(remainder) because the divisor is zero");
			if ((intmax_t)b->num == -1)
				return ST_GIVEUP;
			mk_num(r, (double)((intmax_t)a->num %
			    (intmax_t)b->num));
			return ST_OK;
		}
	}
	if (op == '+') {
		if (a->kind == NV_NULL) {
			*r = *b;
			return ST_OK;
		}
		if (b->kind == NV_NULL) {
			*r = *a;
			return ST_OK;
		}
		if (a->kind == NV_STRING && b->kind == NV_STRING) {
			size_t la, lb;
			const char *sa = nv_str(c, a, &la);
			const char *sb = nv_str(c, b, &lb);
			char *s = alloc(c, la + lb + 1);
			memcpy(s, sa, la);
			memcpy(s + la, sb, lb);
			s[la + lb] = 0;
			mk_str(r, s, la + lb);
			return ST_OK;
		}
		if (a->kind == b->kind && (a->kind == NV_ARRAY ||
		    a->kind == NV_OBJECT))
			return ST_GIVEUP;
		return jqn_type_error2(c, a, b, "cannot be added");
	}
	if (op == '-') {
		if (a->kind == NV_ARRAY && b->kind == NV_ARRAY)
			return ST_GIVEUP;
		return jqn_type_error2(c, a, b, "cannot be subtracted");
	}
	if (op == '*') {
		if ((a->kind == NV_STRING && b->kind == NV_NUMBER) ||
		    (a->kind == NV_NUMBER && b->kind == NV_STRING) ||
		    (a->kind == NV_OBJECT && b->kind == NV_OBJECT))
			return ST_GIVEUP;
		return jqn_type_error2(c, a, b, "cannot be multiplied");
	}
	if (op == '/' && a->kind == NV_STRING && b->kind == NV_STRING)
		return ST_GIVEUP;
	return jqn_type_error2(c, a, b, op == '%' ? "cannot be divided (remainder)" :
	    "cannot be divided");
}

/* a OP b for a comparison or arithmetic node n */
static inline int
apply_binop(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *a, struct lq_nv *b,
    struct lq_nv *r)
{
	if (__builtin_expect(n->numchk != 0, 0)) {
		const struct lq_nv *v = n->numchk == 1 ? a : b;
		if (v->kind == NV_NULL) {
			mk_bool(r, 0);	/* missing: never true */
			return ST_OK;
		}
		if (v->kind != NV_NUMBER)
			return jqn_lazy_error(c, 4, v, NULL, n->chk->path);
	}
	if (n->op == O_CMP && (n->sub == C_EQ || n->sub == C_NE) &&
	    (a->kind != b->kind || a->kind == NV_STRING)) {
		/* equality of strings: lengths first, no ordering needed */
		int eq = 0;
		if (a->kind == b->kind) {
			size_t la, lb;
			const char *sa = nv_str(c, a, &la), *sb = nv_str(c, b, &lb);
			eq = la == lb && lq_mem_eq(sa, sb, la);
		}
		mk_bool(r, n->sub == C_EQ ? eq : !eq);
		return ST_OK;
	}
	if (n->op == O_CMP) {
		int d = jqn_cmp(c, a, b), t = 0;
		switch (n->sub) {
		case C_EQ: t = d == 0; break;
		case C_NE: t = d != 0; break;
		case C_LT: t = d < 0; break;
		case C_LE: t = d <= 0; break;
		case C_GT: t = d > 0; break;
		case C_GE: t = d >= 0; break;
		}
		mk_bool(r, t);
		return ST_OK;
	}
	return jqn_apply_arith(c, n->sub, a, b, r);
}

static int
k_bin_a(struct lq_jqn_ctx *c, void *kc, struct lq_nv *a)
{
	struct k2 *x = kc;
	struct lq_nv r;
	int st = apply_binop(c, x->n, a, x->other, &r);

	if (st)
		return st;
	return x->k(c, x->kc, &r);
}

static int
k_bin_b(struct lq_jqn_ctx *c, void *kc, struct lq_nv *b)
{
	struct k2 *x = kc;
	struct k2 y = *x;

	y.other = b;
	return jqn_eval(c, x->n->a, x->in, k_bin_a, &y);
}

static int
k_neg(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv r;

	if (v->kind != NV_NUMBER)
		return ST_GIVEUP;
	mk_num(&r, -v->num);
	return x->k(c, x->kc, &r);
}

/* collecting outputs into a computed array */

int
jqn_k_collect(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct coll *a = kc;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct lq_nv *nv = alloc(c, cap * sizeof(*nv));
		if (a->n)
			memcpy(nv, a->v, a->n * sizeof(*nv));
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = *v;
	return ST_OK;
}

void
jqn_mk_arr(struct lq_nv *r, struct coll *a)
{
	memset(r, 0, sizeof(*r));
	r->kind = NV_ARRAY;
	r->items = a->v;
	r->n = a->n;
}

/* any/all over the outputs of a generator: x->flag = 1 for any */
static int
k_anyall(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	int is_any = x->flag;

	if (lq_nv_truthy(v) == is_any)
		return ST_STOP;
	return ST_OK;
}

int
jqn_anyall_finish(struct lq_jqn_ctx *c, int st, int is_any, kfn k, void *kc)
{
	struct lq_nv r;

	if (st == ST_STOP)
		mk_bool(&r, is_any);
	else if (st == ST_OK)
		mk_bool(&r, !is_any);
	else
		return st;
	return k(c, kc, &r);
}

/* g | cond for any(g; cond): pipe g's outputs into cond */
int
jqn_k_gen_cond(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return jqn_then(c, x->n, v, k_anyall, x);
}

int
jqn_k_select(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	if (!lq_nv_truthy(v))
		return ST_OK;
	return x->k(c, x->kc, x->in);
}

int
jqn_k_map_elem(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return jqn_eval(c, x->n, v, jqn_k_collect, x->other);
}

/* IN(s): s == . ; IN(src; s): src == s -- any over equality */
int
jqn_k_in_a(struct lq_jqn_ctx *c, void *kc, struct lq_nv *a)
{
	struct k2 *x = kc;

	return jqn_cmp(c, a, x->other) == 0 ? ST_STOP : ST_OK;
}

int
jqn_k_in_b(struct lq_jqn_ctx *c, void *kc, struct lq_nv *b)
{
	struct k2 *x = kc;
	struct k2 y = *x;

	y.other = b;
	return jqn_eval(c, x->n, x->in, jqn_k_in_a, &y);
}

/*
 * Evaluating a node that gives at most one output (marked one) without
 * continuations: ST_OK with *out, ST_EMPTY for no output, or an error
 * status; ST_NODIRECT when n is not such a node.  Each node's dfn is the
 * handler for its kind, chosen once by jqn_set_dfn(): one small function per
 * kind instead of one big switch.  Operands are evaluated in the order
 * jqn_eval() uses, so the jqn_same error wins.
 */
DFN(jqn_d_nodirect)
{
	return ST_NODIRECT;
}

/* the rare kinds: through the continuation path, keeping the output */
static DFN(d_k)
{
	struct cap cp = { out, 0 };
	struct lq_nv va;
	int st;

	if (n->op == O_BIND) {
		struct k2 x = { n, in, jqn_k_cap, &cp, NULL, 0 };
		if ((st = direct(c, n->a, in, &va)) || (st = jqn_k_bind(c, &x, &va)))
			return st;
	} else if ((st = jqn_eval(c, n, in, jqn_k_cap, &cp))) {
		return st;
	}
	return cp.n ? ST_OK : ST_EMPTY;
}

static DFN(d_var)
{
	*out = *n->a->cur;
	return ST_OK;
}

/* *in replaced by n's base (n->a) applied to it, kept in *va, if any */
static inline int
on_base(struct lq_jqn_ctx *c, struct node *n, struct lq_nv **in,
    struct lq_nv *va)
{
	int st;

	if (!n->a)
		return ST_OK;
	if ((st = direct(c, n->a, *in, va)) != ST_OK)
		return st;
	*in = va;
	return ST_OK;
}

/* .f, .[i] (and their ? forms) */
static DFN(d_index)
{
	struct lq_nv va;
	int st;

	if ((st = on_base(c, n, &in, &va)))
		return st;
	st = index_value(c, n, in, out);
	return st == ST_ERR && n->sub ? ST_EMPTY : st;
}

static DFN(d_slice)
{
	struct lq_nv va;
	int st;

	if ((st = on_base(c, n, &in, &va)))
		return st;
	if (in->kind == NV_STRING) {
		jqn_slice_str(c, n, in, out);
		return ST_OK;
	}
	if (in->kind == NV_NULL) {
		memset(out, 0, sizeof(*out));
		return ST_OK;
	}
	struct cap cp = { out, 0 };
	struct k2 x = { n, in, jqn_k_cap, &cp, NULL, 0 };
	if ((st = jqn_k_slice(c, &x, in)))
		return st;
	return cp.n ? ST_OK : ST_EMPTY;
}

/* comparisons and arithmetic: b first, as jq 1.6 does */
static DFN(d_binop)
{
	struct lq_nv va, vb;
	int st;

	if ((st = direct(c, n->b, in, &vb)) ||
	    (st = direct(c, n->a, in, &va)))
		return st;
	return apply_binop(c, n, &va, &vb, out);
}

/*
 * A == "lit" and A != "lit": jqn_same() with the literal's kind known, no
 * copy of it (jqn_same() itself here costs 1.5% more instructions per lead)
 */
static DFN(d_eq_strlit)
{
	const struct lq_nv *lit = &n->b->lit;
	struct lq_nv va;
	int st, eq = 0;

	if ((st = direct(c, n->a, in, &va)))
		return st;
	if (va.kind == NV_STRING) {
		size_t la;
		const char *sa = nv_str(c, &va, &la);
		eq = la == lit->n && lq_mem_eq(sa, lit->p, la);
	}
	mk_bool(out, n->sub == C_EQ ? eq : !eq);
	return ST_OK;
}

static DFN(d_andor)
{
	struct lq_nv v;
	int st;

	if ((st = direct(c, n->a, in, &v)))
		return st;
	if (lq_nv_truthy(&v) != (n->op == O_AND)) {
		mk_bool(out, n->op != O_AND);
		return ST_OK;
	}
	if ((st = direct(c, n->b, in, &v)))
		return st;
	mk_bool(out, lq_nv_truthy(&v));
	return ST_OK;
}

static DFN(d_alt)
{
	int st = direct(c, n->a, in, out);

	if (st == ST_OK && lq_nv_truthy(out))
		return ST_OK;
	if (st == ST_OK || st == ST_EMPTY)
		return direct(c, n->b, in, out);
	return st;
}

static DFN(d_pipe)
{
	struct lq_nv va;
	int st;

	if ((st = direct(c, n->a, in, &va)))
		return st;
	return direct(c, n->b, &va, out);
}

static DFN(d_if)
{
	struct lq_nv va;
	int st;

	if ((st = direct(c, n->a, in, &va)))
		return st;
	return direct(c, lq_nv_truthy(&va) ? n->b : n->c, in, out);
}

static DFN(d_not)
{
	mk_bool(out, !lq_nv_truthy(in));
	return ST_OK;
}

static DFN(d_select)
{
	struct lq_nv va;
	int st;

	if ((st = direct(c, n->a, in, &va)))
		return st;
	if (!lq_nv_truthy(&va))
		return ST_EMPTY;
	*out = *in;
	return ST_OK;
}

/* select(C) | B: B on the input when C holds */
static DFN(d_pipe_select)
{
	struct lq_nv va;
	int st;

	if ((st = d_select(c, n->a, in, &va)))
		return st;
	return direct(c, n->b, in, out);
}

static DFN(d_test)
{
	return jqn_test_str(c, n, in, out);
}

/* IN(literals): any(lit == .; .), no errors, first match */
static DFN(d_in_set)
{
	int hit = 0;

	for (int i = 0; i < n->nset && !hit; i++)
		hit = jqn_same(c, &n->set[i], in);
	mk_bool(out, hit);
	return ST_OK;
}

/* strings, numbers: the input when it is of that kind */
static DFN(d_kind)
{
	if (in->kind != (n->sub == F_STRINGS ? NV_STRING : NV_NUMBER))
		return ST_EMPTY;
	*out = *in;
	return ST_OK;
}

/* has, startswith, endswith, contains, ltrimstr, rtrimstr */
static DFN(d_strfn)
{
	struct lq_nv va;
	int st;

	if ((st = direct(c, n->a, in, &va)))
		return st;
	return jqn_strfn(c, n, in, &va, out);
}

static DFN(d_lit)
{
	*out = n->lit;
	return ST_OK;
}

DFN(jqn_d_ident)
{
	*out = *in;
	return ST_OK;
}

/*
 * The per-record memo in front of a shared subtree's handler (dfn1): on
 * the record, or on one value of it, the subtree is evaluated once per
 * record.
 */
static inline __attribute__((always_inline)) int
memo_run(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *out)
{
	struct cmemo *m;
	uint32_t t;

	if (in->root) {
		t = 0;
		m = &c->rmemo[n->cse];	/* sized in run_prepare */
	} else if (in->t) {
		uint32_t h = ((uint32_t)n->cse * 0x9E3779B1u) ^
		    (in->t * 0x85EBCA77u);
		t = in->t;
		m = &c->tmemo[(h ^ (h >> 15)) & (TMEMO - 1)];
	} else {
		return n->dfn1(c, n, in, out);
	}
	if (m->gen == c->gen && m->cse == n->cse && m->t == t) {
		if (m->st == ST_ERR)
			c->err = m->err;
		else if (m->st == ST_OK)
			*out = m->v;
		return m->st;
	}
	int st = n->dfn1(c, n, in, out);
	m->gen = c->gen;
	m->cse = n->cse;
	m->t = t;
	m->st = st;
	if (st == ST_OK)
		m->v = *out;
	m->err = st == ST_ERR ? c->err : NULL;
	return st;
}

/* n->dfn of a memoised node: direct() runs the memo inline */
static DFN(d_memo)
{
	return memo_run(c, n, in, out);
}

/* n->dfn from its handler and whether it is shared (see jqn_set_dfn) */
void
jqn_pick_dfn(struct node *n)
{
	if (n->op == O_LIT)
		n->dfn = d_lit;
	else if (n->op == O_IDENT)
		n->dfn = jqn_d_ident;
	else if (n->one && n->shared && n->dfn1 != d_kind && n->dfn1 != d_not)
		/* (a kind test or not costs less than the memo) */
		n->dfn = d_memo;
	else
		n->dfn = n->dfn1;
}

/*
 * n->dfn1 for a marked node: its handler, or jqn_d_nodirect when not one; and
 * n->dfn, which adds the memo when it is shared.
 */
void
jqn_set_dfn(struct node *n)
{
	jqn_set_dfn1(n);
	jqn_pick_dfn(n);
}

void
jqn_set_dfn1(struct node *n)
{
	n->dfn1 = jqn_d_nodirect;
	n->fast = 0;
	if (!n->one)
		return;
	n->dfn1 = d_k;
	switch (n->op) {
	case O_VAR: n->dfn1 = d_var; break;
	case O_FIELD: case O_INDEX: n->dfn1 = d_index; break;
	case O_SLICE: n->dfn1 = d_slice; break;
	case O_CMP:
		n->dfn1 = (n->sub == C_EQ || n->sub == C_NE) &&
		    n->b->op == O_LIT && n->b->lit.kind == NV_STRING &&
		    !n->b->lit.raw ? d_eq_strlit : d_binop;
		break;
	case O_ARITH: n->dfn1 = d_binop; break;
	case O_AND: case O_OR: n->dfn1 = d_andor; break;
	case O_ALT: n->dfn1 = d_alt; break;
	case O_PIPE:
		n->dfn1 = n->a->op == O_CALL && n->a->sub == F_SELECT ?
		    d_pipe_select : d_pipe;
		break;
	case O_IF: n->dfn1 = d_if; break;
	case O_CALL:
		switch ((enum fn)n->sub) {
		case F_NOT: n->dfn1 = d_not; break;
		case F_SELECT: n->dfn1 = d_select; break;
		case F_TEST: n->dfn1 = d_test; break;
		case F_IN1: if (n->set) n->dfn1 = d_in_set; break;
		case F_STRINGS: case F_NUMBERS: n->dfn1 = d_kind; break;
		case F_HAS: case F_STARTSWITH: case F_ENDSWITH:
		case F_CONTAINS: case F_LTRIM: case F_RTRIM:
			n->dfn1 = d_strfn;
			break;
		default:
			break;
		}
		break;
	default:
		break;
	}
	/* a handler of its own: jqn_eval() can hand the node to direct() */
	n->fast = n->dfn1 != d_k;
}

/*
 * A node that gives at most one output, on in: its handler (jqn_set_dfn), which
 * for shared subtrees is d_memo.
 */
static inline __attribute__((always_inline)) int
direct(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *out)
{
	if (n->dfn == d_memo)
		return memo_run(c, n, in, out);	/* a hit without a jqn_call */
	return n->dfn(c, n, in, out);
}

/* ---- iteration without continuations ---------------------------------- */

/* an iteration over a one-output base: B[] or B[]? */
static int
is_iter1(const struct node *n)
{
	return n->op == O_ITER && (!n->a || n->a->one);
}

struct iterk {
	struct node *post;	/* .f after [] (FIELD or INDEX), or NULL */
	struct node *body;	/* one-output node the values go through */
	kfn k;
	void *kc;
};

static int
iter_elem(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v)
{
	struct iterk *x = arg;
	struct lq_nv v1, o;
	int st;

	if (x->post) {
		st = index_value(c, x->post, v, &v1);
		if (st == ST_ERR && x->post->sub)
			return ST_OK;	/* .f? : no output */
		if (st)
			return st;
		v = &v1;
	}
	if (x->body) {
		st = direct(c, x->body, v, &o);
		if (st == ST_EMPTY)
			return ST_OK;
		if (st)
			return st;
		v = &o;
	}
	return x->k(c, x->kc, v);
}

/*
 * `B[]` (it), jqn_then `.f` (post) and `| body` when given, each output to k:
 * one loop over the array instead of a continuation per step.  The jqn_same
 * outputs and errors, in the jqn_same order, as jqn_eval() of the whole.
 */
static int
iter_loop(struct lq_jqn_ctx *c, struct node *it, struct node *post,
    struct node *body, struct lq_nv *in, kfn k, void *kc)
{
	struct iterk x = { post, body, k, kc };
	struct lq_nv base;
	int st;

	if (it->a) {
		if ((st = direct(c, it->a, in, &base)))
			return st == ST_EMPTY ? ST_OK : st;
		in = &base;
	}
	if (in->kind == NV_ARRAY)
		return jqn_raw_each(c, in, iter_elem, &x);
	if (in->kind == NV_OBJECT)
		return ST_GIVEUP;	/* key order and duplicates: libjq */
	if (it->sub)
		return ST_OK;
	return jqn_lazy_error(c, 3, in, NULL, NULL);
}

/* the status of a direct() that did not give one output, for jqn_eval() */
#define NOT_DIRECT(st) ((st) == ST_EMPTY ? ST_OK : (st))

/*
 * n's outputs on in, each to continuation kf(c, x, value): by direct()
 * when n gives at most one, else through jqn_eval().
 */
int
jqn_then(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn kf, void *x)
{
	struct lq_nv v;
	int st = direct(c, n, in, &v);

	if (st == ST_OK)
		return kf(c, x, &v);
	if (st != ST_NODIRECT)
		return NOT_DIRECT(st);
	return jqn_eval(c, n, in, kf, x);
}

int
jqn_eval(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn k, void *kc)
{
	struct k2 x = { NULL, in, k, kc, NULL, 0 };
	struct lq_nv va, vb;
	int st;

	if (STEP(c))
		return ST_ERR;
	if (n->fast) {
		st = direct(c, n, in, &va);
		if (st == ST_OK)
			return k(c, kc, &va);
		return NOT_DIRECT(st);
	}
	switch (n->op) {
	case O_IDENT:
		return k(c, kc, in);
	case O_LIT:
		return k(c, kc, &n->lit);
	case O_FIELD:
	case O_INDEX:		/* not fast: its base gives several outputs */
		if (is_iter1(n->a))	/* B[].f */
			return iter_loop(c, n->a, n, NULL, in, k, kc);
		x.n = n;
		if (!n->a)
			return jqn_k_index(c, &x, in);
		return jqn_eval(c, n->a, in, jqn_k_index, &x);
	case O_ITER:
		if (is_iter1(n))
			return iter_loop(c, n, NULL, NULL, in, k, kc);
		x.n = n;
		if (!n->a)
			return k_iter(c, &x, in);
		return jqn_eval(c, n->a, in, k_iter, &x);
	case O_PIPE:
		if (n->b->one && is_iter1(n->a))
			return iter_loop(c, n->a, NULL, n->b, in, k, kc);
		if (n->b->one && (n->a->op == O_FIELD || n->a->op == O_INDEX) &&
		    n->a->a && is_iter1(n->a->a))
			return iter_loop(c, n->a->a, n->a, n->b, in, k, kc);
		st = direct(c, n->a, in, &va);
		if (st == ST_OK)
			return jqn_eval(c, n->b, &va, k, kc);
		if (st != ST_NODIRECT)
			return NOT_DIRECT(st);
		x.n = n->b;
		return jqn_eval(c, n->a, in, k_pipe, &x);
	case O_COMMA:
		if ((st = jqn_eval(c, n->a, in, k, kc)))
			return st;
		return jqn_eval(c, n->b, in, k, kc);
	case O_ALT:
		st = direct(c, n->a, in, &va);
		if (st == ST_OK && lq_nv_truthy(&va))
			return k(c, kc, &va);
		if (st == ST_OK || st == ST_EMPTY)
			return jqn_eval(c, n->b, in, k, kc);
		if (st != ST_NODIRECT)
			return st;
		if ((st = jqn_eval(c, n->a, in, k_alt, &x)))
			return st;
		if (x.flag)
			return ST_OK;
		return jqn_eval(c, n->b, in, k, kc);
	case O_AND:
	case O_OR:
		x.n = n->b;
		x.flag = n->op == O_AND;
		return jqn_then(c, n->a, in, k_and_a, &x);
	case O_CMP:
	case O_ARITH:
		x.n = n;
		st = direct(c, n->b, in, &vb);
		if (st == ST_NODIRECT)
			return jqn_eval(c, n->b, in, k_bin_b, &x);
		if (st != ST_OK)
			return NOT_DIRECT(st);
		x.other = &vb;
		return jqn_then(c, n->a, in, k_bin_a, &x);
	case O_NEG:
		return jqn_eval(c, n->a, in, k_neg, &x);
	case O_ARRAY: {
		struct coll a = { NULL, 0, 0 };
		struct lq_nv r;
		if (n->a && (st = jqn_eval(c, n->a, in, jqn_k_collect, &a)))
			return st;
		jqn_mk_arr(&r, &a);
		return k(c, kc, &r);
	}
	case O_IF:
		x.n = n;
		return jqn_then(c, n->a, in, k_if, &x);
	case O_TRY:
		st = jqn_eval(c, n->a, in, k, kc);
		return st == ST_ERR ? ST_OK : st;
	case O_CALL:
		return jqn_call(c, n, in, k, kc);
	case O_BIND:
		x.n = n;
		return jqn_eval(c, n->a, in, jqn_k_bind, &x);
	case O_VAR:
		return k(c, kc, n->a->cur);
	case O_SLICE:
		x.n = n;
		if (!n->a)
			return jqn_k_slice(c, &x, in);
		return jqn_eval(c, n->a, in, jqn_k_slice, &x);
	}
	return ST_GIVEUP;
}

static int
k_out(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	if (c->nouts == c->capouts) {
		c->capouts = c->capouts ? c->capouts * 2 : 16;
		c->outs = realloc(c->outs, c->capouts * sizeof(*c->outs));
		if (!c->outs)
			abort();
	}
	c->outs[c->nouts++] = *v;
	return ST_OK;
}

const char *
lq_jqn_msg(struct lq_jqn_ctx *c, struct lq_jqn_err *e)
{
	char eb[15];
	jv j;

	if (!e)
		return "error";
	if (e->msg)
		return e->msg;
	switch (e->kind) {
	case 1:
		jqn_render_type_error(c, &e->a, e->text);
		break;
	case 2:
		jqn_render_type_error2(c, &e->a, &e->b, e->text);
		break;
	case 4:
		jqn_render_numchk(c, &e->a, e->text);
		break;
	default:
		j = jqn_to_jv(c, &e->a);
		jqn_fail(c, "Cannot iterate over %s (%s)", kind_names[e->a.kind],
		    jv_dump_string_trunc(jv_copy(j), eb, sizeof(eb)));
		jv_free(j);
	}
	e->msg = c->err->msg;
	return e->msg;
}

/* per run: memo table size and shared flags, after compiles */
static inline void
run_prepare(struct lq_jqn_ctx *c, struct lq_jqn *q)
{
	if (c->rmemo_cap < jqn_cse_tab.n + 1)
		jqn_rmemo_size(c);	/* expressions compiled since the last run */
	if (q->interned != jqn_cse_tab.interned) {
		/* and so which subtrees are shared */
		for (struct node *n = q->all; n; n = n->next_alloc) {
			n->shared = n->cse && jqn_cse_tab.uses[n->cse - 1] > 1;
			jqn_pick_dfn(n);
		}
		q->interned = jqn_cse_tab.interned;
	}
}

int
lq_jqn_is_one(const struct lq_jqn *q)
{
	return q->root->one;
}

static void
budget_start(struct lq_jqn_ctx *c, const struct lq_jqn *q)
{
	c->steps = c->steps0 = q->steps;
	c->memory = q->memory;
	c->used0 = c->used;
	c->hit = 0;
}

/* the error of a run that went over its budget */
static int
budget_error(struct lq_jqn_ctx *c)
{
	if (c->hit == 2)
		return jqn_fail(c, "stopped when its values needed more than %zu "
		    "MiB, the budget of an expression on one record (limits: "
		    "memory)", c->memory >> 20);
	return jqn_fail(c, "stopped after %ld steps, the budget of an expression "
	    "on one record (limits: steps)", c->steps0);
}

void
lq_jqn_set_limits(struct lq_jqn *q, long steps, size_t memory)
{
	q->steps = steps > 0 ? steps : LONG_MAX;
	q->memory = memory;
}

int
lq_jqn_run1(struct lq_jqn_ctx *c, struct lq_jqn *q, struct lq_nv *out,
    size_t *nouts, struct lq_jqn_err **err)
{
	int st;

	c->err = NULL;
	run_prepare(c, q);
	budget_start(c, q);
	st = direct(c, q->root, &c->root, out);
	*nouts = st == ST_OK;
	if (st == ST_EMPTY)
		st = ST_OK;
	else if (st == ST_STOP)
		st = ST_GIVEUP;	/* cannot happen, as in lq_jqn_run() */
	if (c->hit) {
		st = budget_error(c);
		*nouts = 0;
	}
	*err = st == ST_ERR ? c->err : NULL;
	return st;
}

int
lq_jqn_run(struct lq_jqn_ctx *c, struct lq_jqn *q, struct lq_nv **outs,
    size_t *nouts, struct lq_jqn_err **err)
{
	int st;

	c->nouts = 0;
	c->err = NULL;
	run_prepare(c, q);
	budget_start(c, q);
	if (q->root->one) {
		/* no continuations: straight into the output array */
		if (!c->capouts) {
			c->capouts = 16;
			if (!(c->outs = malloc(c->capouts * sizeof(*c->outs))))
				abort();
		}
		st = direct(c, q->root, &c->root, &c->outs[0]);
		if (st == ST_OK)
			c->nouts = 1;
		else if (st == ST_EMPTY)
			st = ST_OK;
	} else {
		st = jqn_eval(c, q->root, &c->root, k_out, NULL);
	}
	if (st == ST_STOP)
		st = ST_GIVEUP;	/* cannot happen: any/all catch their own */
	if (c->hit) {
		st = budget_error(c);
		c->nouts = 0;
	}
	*outs = c->outs;
	*nouts = c->nouts;
	*err = st == ST_ERR ? c->err : NULL;
	return st;
}

struct lq_nv *
lq_jqn_keep(struct lq_jqn_ctx *c, const struct lq_nv *v, size_t n)
{
	struct lq_nv *k = alloc(c, (n ? n : 1) * sizeof(*k));

	if (n)
		memcpy(k, v, n * sizeof(*k));
	return k;
}

