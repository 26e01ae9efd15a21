/*
 * jqn_builtin.c - the jq builtins jqn runs natively (length, add, map,
 * select, any/all, has, test, split, ...), each with libjq 1.6's results
 * and error messages.
 */
#include "jqn_int.h"

struct addst { struct lq_nv acc; int st; };

static int
add_cb(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v)
{
	struct addst *s = arg;
	struct lq_nv r;
	int st = jqn_apply_arith(c, '+', &s->acc, v, &r);

	if (st)
		return st;
	s->acc = r;
	return 0;
}

/* one-argument string builtins: the argument is a generator */
int
jqn_strfn(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *arg, struct lq_nv *out)
{
	struct lq_nv r;
	size_t la, lb;
	const char *a, *b;

	switch (n->sub) {
	case F_STARTSWITH:
	case F_ENDSWITH:
		if (in->kind != NV_STRING || arg->kind != NV_STRING)
			return jqn_fail(c, "%s() requires string inputs",
			    n->sub == F_STARTSWITH ? "startswith" :
			    "endswith");
		a = nv_str(c, in, &la);
		b = nv_str(c, arg, &lb);
		if (n->sub == F_STARTSWITH)
			mk_bool(&r, la >= lb && lq_mem_eq(a, b, lb));
		else
			mk_bool(&r, la >= lb && lq_mem_eq(a + la - lb, b, lb));
		break;
	case F_LTRIM:
	case F_RTRIM:
		r = *in;
		if (in->kind == NV_STRING && arg->kind == NV_STRING) {
			a = nv_str(c, in, &la);
			b = nv_str(c, arg, &lb);
			if (n->sub == F_LTRIM && la >= lb &&
			    !memcmp(a, b, lb)) {
				char *s = alloc(c, la - lb + 1);
				memcpy(s, a + lb, la - lb);
				s[la - lb] = 0;
				mk_str(&r, s, la - lb);
			} else if (n->sub == F_RTRIM && la >= lb &&
			    !memcmp(a + la - lb, b, lb)) {
				char *s = alloc(c, la - lb + 1);
				memcpy(s, a, la - lb);
				s[la - lb] = 0;
				mk_str(&r, s, la - lb);
			}
		}
		break;
	case F_CONTAINS:
		if (in->kind != arg->kind)
			return jqn_type_error2(c, in, arg, "cannot have their "
			    "containment checked");
		if (in->kind == NV_STRING) {
			/* jq 1.6 uses strstr: both stop at a NUL */
			a = jqn_str_z(c, in, &la);
			b = jqn_str_z(c, arg, &lb);
			mk_bool(&r, strstr(a, b) != NULL);
		} else {
			jv ja = jqn_to_jv(c, in), jb = jqn_to_jv(c, arg);
			mk_bool(&r, jv_contains(ja, jb));
		}
		break;
	case F_HAS:
		if (in->kind == NV_OBJECT && arg->kind == NV_STRING) {
			struct lq_nv tmp;
			b = nv_str(c, arg, &lb);
			if (!in->raw)
				return ST_GIVEUP;
			mk_bool(&r, raw_get(c, in, b, lb, &tmp));
		} else if (in->kind == NV_NULL) {
			mk_bool(&r, 0);
		} else if (in->kind == NV_ARRAY && arg->kind == NV_NUMBER) {
			return ST_GIVEUP;
		} else {
			return jqn_fail(c, "Cannot check whether %s has a %s key",
			    kind_names[in->kind], kind_names[arg->kind]);
		}
		break;
	default:
		return ST_GIVEUP;
	}
	*out = r;
	return ST_OK;
}

static int
k_strfn(struct lq_jqn_ctx *c, void *kc, struct lq_nv *arg)
{
	struct k2 *x = kc;
	struct lq_nv r;
	int st = jqn_strfn(c, x->n, x->in, arg, &r);

	if (st)
		return st;
	return x->k(c, x->kc, &r);
}

int
jqn_k_bind(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv *saved = x->n->cur;
	int st;

	x->n->cur = v;
	st = jqn_eval(c, x->n->b, x->in, x->k, x->kc);
	x->n->cur = saved;
	return st;
}

/* clamp slice bounds like jq 1.6's parse_slice */
static void
bounds(long len, long from, long to, long *s, long *e)
{
	*s = from == LONG_MIN ? 0 : from;
	*e = to == LONG_MIN ? len : to;
	if (*s < 0)
		*s += len;
	if (*e < 0)
		*e += len;
	if (*s < 0)
		*s = 0;
	if (*s > len)
		*s = len;
	if (*e > len)
		*e = len;
	if (*e < *s)
		*e = *s;
}

/* string v sliced by n's bounds, in code points, into *out */
void
jqn_slice_str(struct lq_jqn_ctx *c, const struct node *n, struct lq_nv *v,
    struct lq_nv *out)
{
	size_t len, bs, be, i = 0;
	const char *p = nv_str(c, v, &len);
	long s, e, cps = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	while (i < len && !((unsigned char)p[i] & 0x80))
		i++;
	if (i == len) {
		/* ASCII: bytes are code points */
		bounds((long)len, n->from, n->to, &s, &e);
		bs = (size_t)s;
		be = (size_t)e;
	} else {
		for (i = 0; i < len; i++)
			cps += ((unsigned char)p[i] & 0xC0) != 0x80;
		bounds(cps, n->from, n->to, &s, &e);
		/* code points s..e to bytes */
		bs = len;
		be = len;
		long cp = -1;
		for (i = 0; i < len; i++) {
			if (((unsigned char)p[i] & 0xC0) != 0x80) {
				cp++;
				if (cp == s && bs == len)
					bs = i;
				if (cp == e) {
					be = i;
					break;
				}
			}
		}
		if (s >= cps)
			bs = len;
	}
	char *t = alloc(c, be - bs + 1);
	memcpy(t, p + bs, be - bs);
	t[be - bs] = 0;
	mk_str(out, t, be - bs);
}

int
jqn_k_slice(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv r;
	long s, e;

	if (v->kind == NV_NULL) {
		memset(&r, 0, sizeof(r));
		return x->k(c, x->kc, &r);
	}
	if (v->kind == NV_STRING) {
		jqn_slice_str(c, x->n, v, &r);
		return x->k(c, x->kc, &r);
	}
	if (v->kind == NV_ARRAY) {
		struct coll a = { NULL, 0, 0 };
		long len = jqn_arr_len(c, v), i;
		struct lq_nv el;
		bounds(len, x->n->from, x->n->to, &s, &e);
		for (i = s; i < e; i++) {
			struct nth t = { i, &el, 0 };
			if (!v->raw)
				el = v->items[i];
			else
				jqn_raw_each(c, v, jqn_nth_cb, &t);
			jqn_k_collect(c, &a, &el);
		}
		jqn_mk_arr(&r, &a);
		return x->k(c, x->kc, &r);
	}
	return ST_GIVEUP;
}

static int
k_error(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	size_t len;
	const char *s;

	if (v->kind == NV_NULL)
		return ST_OK;	/* jq 1.6: error(null) acts like empty */
	if (v->kind != NV_STRING)
		return ST_GIVEUP;
	s = nv_str(c, v, &len);
	char *m = alloc(c, len + 1);
	memcpy(m, s, len);
	m[len] = 0;
	c->err = alloc(c, sizeof(*c->err));
	memset(c->err, 0, sizeof(*c->err));
	c->err->msg = m;
	return ST_ERR;
}

static int
k_split(struct lq_jqn_ctx *c, void *kc, struct lq_nv *sep)
{
	struct k2 *x = kc;
	struct coll a = { NULL, 0, 0 };
	struct lq_nv r, part;
	size_t len, sl;
	const char *p, *sp;

	if (x->in->kind != NV_STRING || sep->kind != NV_STRING)
		return jqn_fail(c, "split input and separator must be strings");
	p = nv_str(c, x->in, &len);
	sp = nv_str(c, sep, &sl);
	if (sl == 0)
		return ST_GIVEUP;
	if (len > 0) {
		const char *q = p, *e = p + len;
		for (;;) {
			const char *hit = memmem(q, (size_t)(e - q), sp, sl);
			const char *end = hit ? hit : e;
			char *t = alloc(c, (size_t)(end - q) + 1);
			memcpy(t, q, (size_t)(end - q));
			t[end - q] = 0;
			mk_str(&part, t, (size_t)(end - q));
			jqn_k_collect(c, &a, &part);
			if (!hit)
				break;
			q = hit + sl;
		}
	}
	jqn_mk_arr(&r, &a);
	return x->k(c, x->kc, &r);
}

static int
nv_sort_cmp(const void *a, const void *b, void *c)
{
	return jqn_cmp(c, a, b);
}

/* test(re): on a string, with the prefilter and the memo */
int
jqn_test_str(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *out)
{
	size_t len;
	const char *s;

	if (in->kind != NV_STRING)
		return jqn_type_error(c, in, "cannot be matched, as it is "
		    "not a string");
	s = nv_str(c, in, &len);
	if (n->pf && !lq_refilter_may_match(n->pf, s, len)) {
		mk_bool(out, 0);
		return ST_OK;
	}
	struct memo_ent *me = NULL;
	uint64_t h = 0;
	if (len > 0 && len <= MEMO_MAXLEN) {
		if (!n->memo && !(n->memo = calloc(1, sizeof(*n->memo))))
			abort();
		h = lq_hash_fast(s, len);
		me = &n->memo->e[h & (MEMO_SLOTS - 1)];
		if (me->len == len && me->h == h &&
		    lq_mem_eq(me->s, s, len)) {
			mk_bool(out, me->result);
			return ST_OK;
		}
	}
	int m = onig_search(n->re, (const UChar *)s,
	    (const UChar *)s + len, (const UChar *)s,
	    (const UChar *)s + len, NULL, ONIG_OPTION_NONE);
	if (m < ONIG_MISMATCH)
		return ST_GIVEUP;	/* regex engine error */
	if (me) {
		me->h = h;
		me->len = (unsigned)len;
		me->result = m >= 0;
		memcpy(me->s, s, len);
	}
	mk_bool(out, m >= 0);
	return ST_OK;
}

/* length: of a string in code points, of an array or object in items */
static int
b_length(struct lq_jqn_ctx *c, struct lq_nv *in, struct lq_nv *r)
{
	const char *s;
	size_t len;

	switch (in->kind) {
	case NV_NULL: mk_num(r, 0); break;
	case NV_NUMBER: mk_num(r, fabs(in->num)); break;
	case NV_STRING: {
		long cp = 0;
		s = nv_str(c, in, &len);
		for (size_t i = 0; i < len; i++)
			cp += ((unsigned char)s[i] & 0xC0) != 0x80;
		mk_num(r, (double)cp);
		break;
	}
	case NV_ARRAY: mk_num(r, (double)jqn_arr_len(c, in)); break;
	case NV_OBJECT: {
		jv j = jqn_to_jv(c, in);
		mk_num(r, jv_object_length(j));
		break;
	}
	default:
		return jqn_type_error(c, in, "has no length");
	}
	return ST_OK;
}

/* tostring: a string as it is, anything else as its JSON text */
static void
b_tostring(struct lq_jqn_ctx *c, struct lq_nv *in, struct lq_nv *r)
{
	const char *s;
	size_t len;

	if (in->kind == NV_STRING) {
		s = nv_str(c, in, &len);
		mk_str(r, s, len);
		return;
	}
	jv d = jv_dump_string(jqn_to_jv(c, in), 0);
	len = (size_t)jv_string_length_bytes(jv_copy(d));
	char *t = alloc(c, len + 1);
	memcpy(t, jv_string_value(d), len + 1);
	jv_free(d);
	mk_str(r, t, len);
}

/* ascii_downcase / ascii_upcase (up non-zero) */
static int
b_case(struct lq_jqn_ctx *c, int up, struct lq_nv *in, struct lq_nv *r)
{
	const char *s;
	size_t len;

	if (in->kind != NV_STRING)
		return jqn_fail(c, "explode input must be a string");
	s = nv_str(c, in, &len);
	char *t = alloc(c, len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!up && ch >= 'A' && ch <= 'Z')
			ch += 32;
		else if (up && ch >= 'a' && ch <= 'z')
			ch -= 32;
		t[i] = (char)ch;
	}
	t[len] = 0;
	mk_str(r, t, len);
	return ST_OK;
}

/* whether the type filter fn (strings, numbers, ..., values) keeps a value
 * of kind kd */
static int
b_kind_keeps(int fn, int kd)
{
	switch (fn) {
	case F_STRINGS: return kd == NV_STRING;
	case F_NUMBERS: return kd == NV_NUMBER;
	case F_BOOLEANS: return kd == NV_TRUE || kd == NV_FALSE;
	case F_NULLS: return kd == NV_NULL;
	case F_ARRAYS: return kd == NV_ARRAY;
	case F_OBJECTS: return kd == NV_OBJECT;
	case F_ITERABLES: return kd == NV_ARRAY || kd == NV_OBJECT;
	case F_SCALARS: return kd != NV_ARRAY && kd != NV_OBJECT;
	case F_VALUES: return kd != NV_NULL;
	}
	return 0;
}

/* unique of an array of scalars, sorted as jq sorts; ST_GIVEUP for
 * anything else (libjq runs it) */
static int
b_unique(struct lq_jqn_ctx *c, struct lq_nv *in, struct lq_nv *r)
{
	struct coll a = { NULL, 0, 0 };
	size_t i, o = 0;
	int st;

	if (in->kind != NV_ARRAY)
		return ST_GIVEUP;
	if (!in->raw) {
		/* computed: copy the items (sorted in place below) */
		a.n = a.cap = in->n;
		a.v = alloc(c, (a.n ? a.n : 1) * sizeof(*a.v));
		if (a.n)
			memcpy(a.v, in->items, a.n * sizeof(*a.v));
	} else if ((st = jqn_iterate(c, in, 0, jqn_k_collect, &a))) {
		return st;
	}
	for (i = 0; i < a.n; i++)
		if (a.v[i].kind == NV_ARRAY || a.v[i].kind == NV_OBJECT)
			return ST_GIVEUP;
	if (a.n > 32) {
		qsort_r(a.v, a.n, sizeof(*a.v), nv_sort_cmp, c);
	} else {
		/* stable like jq's sort, without msort's buffer */
		for (i = 1; i < a.n; i++) {
			struct lq_nv t = a.v[i];
			size_t j = i;
			for (; j > 0 && jqn_cmp(c, &a.v[j - 1], &t) > 0; j--)
				a.v[j] = a.v[j - 1];
			a.v[j] = t;
		}
	}
	for (i = 0; i < a.n; i++)
		if (o == 0 || jqn_cmp(c, &a.v[o - 1], &a.v[i]) != 0)
			a.v[o++] = a.v[i];
	a.n = o;
	jqn_mk_arr(r, &a);
	return ST_OK;
}

int
jqn_call(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn k, void *kc)
{
	struct lq_nv r;
	struct k2 x = { NULL, in, k, kc, NULL, 0 };
	int st;

	switch ((enum fn)n->sub) {
	case F_NOT:
		mk_bool(&r, !lq_nv_truthy(in));
		return k(c, kc, &r);
	case F_EMPTY:
		return ST_OK;
	case F_TYPE:
		mk_str(&r, kind_names[in->kind], strlen(kind_names[in->kind]));
		return k(c, kc, &r);
	case F_LENGTH:
		if ((st = b_length(c, in, &r)))
			return st;
		return k(c, kc, &r);
	case F_TOSTRING:
		b_tostring(c, in, &r);
		return k(c, kc, &r);
	case F_DOWNCASE:
	case F_UPCASE:
		if ((st = b_case(c, n->sub == F_UPCASE, in, &r)))
			return st;
		return k(c, kc, &r);
	case F_TEST:
		if ((st = jqn_test_str(c, n, in, &r)))
			return st;
		return k(c, kc, &r);
	case F_SELECT:
		return jqn_then(c, n->a, in, jqn_k_select, &x);
	case F_MAP: {
		struct coll a = { NULL, 0, 0 };
		x.n = n->a;
		x.other = (struct lq_nv *)&a;
		st = jqn_iterate(c, in, 0, jqn_k_map_elem, &x);
		if (st)
			return st;
		jqn_mk_arr(&r, &a);
		return k(c, kc, &r);
	}
	case F_ADD: {
		struct addst as;
		memset(&as, 0, sizeof(as));
		if (in->kind != NV_ARRAY)
			return jqn_iterate(c, in, 0, jqn_k_collect, &(struct coll){ 0 });
		st = jqn_raw_each(c, in, add_cb, &as);
		if (st)
			return st;
		return k(c, kc, &as.acc);
	}
	case F_ANY0:
	case F_ALL0:
	case F_ANY1:
	case F_ALL1: {
		static struct node ident = { .op = O_IDENT, .one = 1,
		    .dfn = jqn_d_ident, .dfn1 = jqn_d_ident };
		int is_any = n->sub == F_ANY0 || n->sub == F_ANY1;
		x.flag = is_any;
		x.n = n->a ? n->a : &ident;
		st = jqn_iterate(c, in, 0, jqn_k_gen_cond, &x);
		return jqn_anyall_finish(c, st, is_any, k, kc);
	}
	case F_ANY2:
	case F_ALL2: {
		int is_any = n->sub == F_ANY2;
		x.flag = is_any;
		x.n = n->b;
		st = jqn_eval(c, n->a, in, jqn_k_gen_cond, &x);
		return jqn_anyall_finish(c, st, is_any, k, kc);
	}
	case F_IN1: {
		/* any(s == .; .): b is '.', a is s */
		x.other = in;
		st = jqn_eval(c, n->a, in, jqn_k_in_a, &x);
		return jqn_anyall_finish(c, st, 1, k, kc);
	}
	case F_IN2:
		/* any(src == s; .): outer over s (b), inner over src (a) */
		x.n = n->a;
		st = jqn_eval(c, n->b, in, jqn_k_in_b, &x);
		return jqn_anyall_finish(c, st, 1, k, kc);
	case F_HAS:
	case F_STARTSWITH:
	case F_ENDSWITH:
	case F_CONTAINS:
	case F_LTRIM:
	case F_RTRIM:
		x.n = n;
		return jqn_then(c, n->a, in, k_strfn, &x);
	case F_ERROR1:
		return jqn_eval(c, n->a, in, k_error, &x);
	case F_ERROR0:
		return k_error(c, &x, in);
	case F_SPLIT:
		return jqn_eval(c, n->a, in, k_split, &x);
	case F_STRINGS: case F_NUMBERS: case F_BOOLEANS: case F_NULLS:
	case F_ARRAYS: case F_OBJECTS: case F_ITERABLES: case F_SCALARS:
	case F_VALUES:
		return b_kind_keeps(n->sub, in->kind) ? k(c, kc, in) : ST_OK;
	case F_FIRST:
	case F_LAST: {
		struct node ix = { .op = O_INDEX, .idx = n->sub == F_FIRST ? 0 :
		    -1 };
		x.n = &ix;
		return jqn_k_index(c, &x, in);
	}
	case F_UNIQUE:
		if ((st = b_unique(c, in, &r)))
			return st;
		return k(c, kc, &r);
	}
	return ST_GIVEUP;
}

/* continuation that keeps the (single) output */
int
jqn_k_cap(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct cap *p = kc;

	*p->out = *v;
	p->n++;
	return ST_OK;
}
