/*
 * jqn_compile.c - after parsing: common subexpressions shared across all
 * compiled expressions (hash-consed ids for the per-record memo), the
 * one-output marks, and lq_jqn_compile / lq_jqn_free.
 */
#include "jqn_int.h"

void
lq_jqn_free(struct lq_jqn *q)
{
	struct node *n, *nx;

	if (!q)
		return;
	for (n = q->all; n; n = nx) {
		nx = n->next_alloc;
		free(n->key);
		free(n->litstr);
		if (n->chk)
			free(n->chk->path);
		free(n->chk);
		free(n->set);
		if (n->re)
			onig_free(n->re);
		lq_refilter_free(n->pf);
		free(n->memo);
		free(n);
	}
	free(q);
}

/*
 * Identical one-output subtrees (the jqn_same text, such as the employee count
 * that four rules start from) share an id, process-wide, so that their
 * value on the record (or on one of its objects) is computed once per
 * record: see direct().  Ids are given bottom up (hash-consing): a node's
 * key is its own fields and its operands' ids, so that interning a whole
 * tree costs time linear in its size, however deep it is.
 */
_Thread_local struct jqn_cse_tab jqn_cse_tab;

static size_t
cse_find(const char *k, size_t n)
{
	size_t m = jqn_cse_tab.nslot - 1, i = (size_t)lq_hash_fast(k, n) & m;

	for (long e; (e = jqn_cse_tab.slot[i]); i = (i + 1) & m)
		if (jqn_cse_tab.len[e - 1] == n && !memcmp(jqn_cse_tab.s[e - 1], k, n))
			break;
	return i;
}

/* the id of key k[0..n); use counts it as a use of a one-output subtree */
static long
cse_intern(const char *k, size_t n, int use)
{
	size_t i;

	jqn_cse_tab.interned++;
	if (jqn_cse_tab.nslot) {
		i = cse_find(k, n);
		if (jqn_cse_tab.slot[i]) {
			long id = jqn_cse_tab.slot[i] - 1;
			jqn_cse_tab.uses[id] += use;
			return id;
		}
	}
	if (jqn_cse_tab.n == jqn_cse_tab.cap) {
		jqn_cse_tab.cap = jqn_cse_tab.cap ? jqn_cse_tab.cap * 2 : 256;
		jqn_cse_tab.s = realloc(jqn_cse_tab.s, jqn_cse_tab.cap * sizeof(char *));
		jqn_cse_tab.len = realloc(jqn_cse_tab.len, jqn_cse_tab.cap * sizeof(size_t));
		jqn_cse_tab.uses = realloc(jqn_cse_tab.uses,
		    jqn_cse_tab.cap * sizeof(unsigned));
		free(jqn_cse_tab.slot);
		jqn_cse_tab.nslot = 2 * jqn_cse_tab.cap;
		jqn_cse_tab.slot = calloc(jqn_cse_tab.nslot, sizeof(long));
		if (!jqn_cse_tab.s || !jqn_cse_tab.len || !jqn_cse_tab.uses ||
		    !jqn_cse_tab.slot)
			abort();
		for (size_t e = 0; e < jqn_cse_tab.n; e++)
			jqn_cse_tab.slot[cse_find(jqn_cse_tab.s[e], jqn_cse_tab.len[e])] =
			    (long)e + 1;
	}
	jqn_cse_tab.uses[jqn_cse_tab.n] = (unsigned)use;
	if (!(jqn_cse_tab.s[jqn_cse_tab.n] = malloc(n ? n : 1)))
		abort();
	memcpy(jqn_cse_tab.s[jqn_cse_tab.n], k, n);
	jqn_cse_tab.len[jqn_cse_tab.n] = n;
	jqn_cse_tab.slot[cse_find(k, n)] = (long)jqn_cse_tab.n + 1;
	return (long)jqn_cse_tab.n++;
}

/*
 * Give n and its operands their structural ids (n->sid: id + 1, 0 when the
 * subtree depends on a variable) and their memo ids (n->cse: the jqn_same, for
 * one-output subtrees worth memoising).
 */
static void mark_cse1(struct node *n, struct lq_buf *b);
static void cse_key(struct node *n, struct lq_buf *b) __attribute__((noinline));

void
jqn_mark_cse(struct node *n)
{
	struct lq_buf b = LQ_BUF_INIT;

	mark_cse1(n, &b);
	lq_buf_release(&b);
}

/* (recursive: keep the frame small) */
static void
mark_cse1(struct node *n, struct lq_buf *b)
{
	if (!n)
		return;
	n->cse = 0;
	n->sid = 0;
	if (n->op == O_VAR)
		return;
	mark_cse1(n->a, b);
	mark_cse1(n->b, b);
	mark_cse1(n->c, b);
	if (n->op == O_BIND || (n->a && !n->a->sid) || (n->b && !n->b->sid) ||
	    (n->c && !n->c->sid))
		return;		/* depends on a variable */
	cse_key(n, b);
	int memo = n->one && n->op != O_IDENT && n->op != O_LIT;
	n->sid = cse_intern(b->buf, b->len, memo) + 1;
	if (memo)
		n->cse = (int)n->sid;
}

/* n's key: its own fields and its operands' ids */
static void
cse_key(struct node *n, struct lq_buf *bp)
{
	char t[160];
	struct lq_buf b = *bp;
	struct node *kid[3] = { n->a, n->b, n->c };

	lq_buf_reset(&b);
	snprintf(t, sizeof(t), "(%d %d %d %ld %ld %ld %ld %ld %ld ", (int)n->op,
	    n->sub, n->numchk, n->idx, n->from, n->to, kid[0] ? kid[0]->sid : 0L,
	    kid[1] ? kid[1]->sid : 0L, kid[2] ? kid[2]->sid : 0L);
	lq_buf_adds(&b, t);
	if (n->key) {
		lq_buf_add_int(&b, (long long)n->keylen);
		lq_buf_addc(&b, ':');
		lq_buf_add(&b, n->key, n->keylen);
	}
	if (n->op == O_LIT) {
		snprintf(t, sizeof(t), "%d %.17g ", n->lit.kind, n->lit.num);
		lq_buf_adds(&b, t);
		if (n->lit.kind == NV_STRING) {
			lq_buf_add_int(&b, (long long)n->lit.n);
			lq_buf_addc(&b, ':');
			lq_buf_add(&b, n->lit.p, n->lit.n);
		}
	}
	*bp = b;
}

/* count (out == NULL) or collect the literals of a comma list of them */
static int
lits_of(const struct node *t, struct lq_nv *out, int *n)
{
	if (t->op == O_COMMA)
		return lits_of(t->a, out, n) && lits_of(t->b, out, n);
	if (t->op != O_LIT)
		return 0;
	if (out)
		out[*n] = t->lit;
	(*n)++;
	return 1;
}

/* IN(a, b, c) over literals: keep them as a set (in order) */
static void
lit_set(struct node *n)
{
	int k = 0;

	if (!n->a || !lits_of(n->a, NULL, &k) || !k)
		return;
	if (!(n->set = malloc((size_t)k * sizeof(*n->set))))
		abort();
	n->nset = 0;
	lits_of(n->a, n->set, &n->nset);
}

/*
 * Mark the nodes that give at most one output (or an error) whatever their
 * input, so that they can be evaluated without continuations.  try (and
 * so .a? on anything but a path) is never marked: jq 1.6's try also stops
 * errors raised downstream, which needs the continuation.
 */

int
jqn_mark_one(struct node *n)
{
	int a, b, c;

	if (!n)
		return 1;
	if (n->op == O_VAR) {	/* n->a is its binding: no recursion */
		n->one = 1;
		jqn_set_dfn(n);
		return 1;
	}
	a = jqn_mark_one(n->a);
	b = jqn_mark_one(n->b);
	c = jqn_mark_one(n->c);
	switch (n->op) {
	case O_IDENT: case O_LIT: case O_VAR: case O_ARRAY:
		n->one = 1;
		break;
	case O_FIELD: case O_INDEX: case O_SLICE: case O_NEG:
		n->one = a;
		break;
	case O_PIPE: case O_ALT: case O_AND: case O_OR: case O_CMP:
	case O_ARITH: case O_BIND:
		n->one = a && b;
		break;
	case O_IF:
		n->one = a && b && c;
		break;
	case O_CALL:
		switch ((enum fn)n->sub) {
		case F_SELECT: case F_HAS: case F_STARTSWITH: case F_ENDSWITH:
		case F_CONTAINS: case F_LTRIM: case F_RTRIM: case F_SPLIT:
		case F_ERROR1:
			n->one = a;
			break;
		default:
			/* the rest give one value (or none: empty, strings)
			 * whatever their arguments do inside */
			n->one = 1;
		}
		break;
	default:		/* ITER, COMMA, TRY */
		n->one = 0;
	}
	if (n->op == O_CALL && n->sub == F_IN1 && !n->set)
		lit_set(n);
	jqn_set_dfn(n);
	return n->one;
}

static int
by_src(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;

	return x->chk->c0 < y->chk->c0 ? -1 : x->chk->c0 > y->chk->c0;
}

int
lq_jqn_checked_text(const struct lq_jqn *q, const char *text,
    struct lq_buf *out)
{
	struct node **v;
	int k = 0;
	size_t pos = 0;

	if (!q || !q->nchk)
		return 0;
	if (!(v = malloc((size_t)q->nchk * sizeof(*v))))
		abort();
	for (struct node *n = q->all; n; n = n->next_alloc)
		if (n->numchk && k < q->nchk)
			v[k++] = n;
	qsort(v, (size_t)k, sizeof(*v), by_src);
	lq_buf_reset(out);
	for (int i = 0; i < k; i++) {
		const struct numchk *h = v[i]->chk;
		lq_buf_add(out, text + pos, h->c0 - pos);
		lq_buf_adds(out, "((");
		lq_buf_add(out, text + h->p0, h->p1 - h->p0);
		lq_buf_adds(out, " | _lq_num(");
		lq_buf_json_strs(out, h->path);
		lq_buf_adds(out, ")) as $__lq_v | if $__lq_v == null then false "
		    "else ");
		lq_buf_add(out, text + h->c0, h->p0 - h->c0);
		lq_buf_adds(out, "$__lq_v");
		lq_buf_add(out, text + h->p1, h->c1 - h->p1);
		lq_buf_adds(out, " end)");
		pos = h->c1;
	}
	lq_buf_adds(out, text + pos);
	free(v);
	return k;
}

