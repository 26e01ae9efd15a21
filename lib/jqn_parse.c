/*
 * jqn_parse.c - the jq text to a tree of nodes: lexer, parser, the nesting
 * limits, and lq_jqn_path (a field path's readable form).  Part of the
 * native jq evaluator; jqn_int.h says how the parts fit.
 */
#include "jqn_int.h"

/* field names, interned per thread so that a record's member positions
 * can be cached per name (jqn_key_*) */
_Thread_local char **jqn_key_tab;
_Thread_local size_t jqn_key_n, jqn_key_cap;

static long
intern(const char *k, size_t n)
{
	for (size_t i = 0; i < jqn_key_n; i++)
		if (strlen(jqn_key_tab[i]) == n && !memcmp(jqn_key_tab[i], k, n))
			return (long)i;
	if (memchr(k, 0, n))
		return -1;
	if (jqn_key_n == jqn_key_cap) {
		jqn_key_cap = jqn_key_cap ? jqn_key_cap * 2 : 64;
		jqn_key_tab = realloc(jqn_key_tab, jqn_key_cap * sizeof(*jqn_key_tab));
		if (!jqn_key_tab)
			abort();
	}
	jqn_key_tab[jqn_key_n] = strndup(k, n);
	return (long)jqn_key_n++;
}

/* ---- lexer ------------------------------------------------------------- */

enum tok {
	T_END, T_DOT, T_FIELD, T_IDENT, T_NUM, T_STR, T_LB, T_RB, T_LP, T_RP,
	T_PIPE, T_COMMA, T_ALT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS,
	T_MINUS, T_STAR, T_SLASH, T_PCT, T_QM, T_SEMI, T_VAR, T_COLON, T_BAD
};

struct scope {
	const char *name;
	size_t len;
	struct node *bind;
	struct scope *up;
};

struct lexer {
	struct scope *vars;	/* variables in scope (innermost first) */
	const char *s;
	enum tok t;
	const char *tp;		/* token text */
	size_t tn;
	double num;
	char *str;		/* decoded string literal (owned by lexer) */
	size_t strn;
	struct lq_jqn *q;
	const char *text;	/* the whole expression */
	const char *tok0;	/* where the current token starts */
	const char *pend;	/* where the previous token ends */
	struct node *pre;	/* a term parsed ahead (parse_pipe) */
	int paren;		/* parse_term returned a (group) */
	int nest;		/* parse_pipe calls open (MAX_NEST) */
};

static void
str_free(struct lexer *L)
{
	free(L->str);
	L->str = NULL;
}

static int
lex_string(struct lexer *L)
{
	struct lq_buf b = LQ_BUF_INIT;
	const char *p = L->s + 1;

	for (;;) {
		if (!*p) {
			lq_buf_release(&b);
			return -1;
		}
		if (*p == '"')
			break;
		if (*p == '\\') {
			const char *e = p + 1;
			switch (*e) {
			case '(':	/* interpolation: not native */
				lq_buf_release(&b);
				return -1;
			case 'u': {
				/* reuse the JSON unescaper on "\uXXXX[\uXXXX]" */
				char tmp[16];
				size_t k = 6;
				if (strlen(e) > 6 && e[5] == '\\' && e[6] == 'u')
					k = 12;	/* maybe a surrogate pair */
				if (strlen(p) < k) {
					lq_buf_release(&b);
					return -1;
				}
				tmp[0] = '"';
				memcpy(tmp + 1, p, k);
				tmp[k + 1] = '"';
				for (size_t i = 3; i < k + 1; i++)
					if (i != 1 + 6 && i != 2 + 6 &&
					    !isxdigit((unsigned char)tmp[i]) &&
					    !(i == 7 && tmp[i] == '\\') &&
					    !(i == 8 && tmp[i] == 'u')) {
						lq_buf_release(&b);
						return -1;
					}
				/* a high surrogate without its low one: jq's
				 * compiler refuses the literal */
				if (tolower((unsigned char)tmp[3]) == 'd' &&
				    strchr("89abAB", tmp[4]) && (k != 12 ||
				    tolower((unsigned char)tmp[9]) != 'd' ||
				    !strchr("cdefCDEF", tmp[10]))) {
					lq_buf_release(&b);
					return -1;
				}
				lq_json_unescape(&b, tmp, k + 2);
				p += k;
				continue;
			}
			default:
				if (lq_json_unescape_char(&b, *e) < 0) {
					lq_buf_release(&b);
					return -1;
				}
			}
			p += 2;
			continue;
		}
		lq_buf_addc(&b, *p++);
	}
	if (!b.buf)
		lq_buf_grow(&b, 1);
	L->str = b.buf;
	L->strn = b.len;
	L->s = p + 1;
	return 0;
}

static void
next(struct lexer *L)
{
	const char *s = L->s;

	L->pend = s;
	for (;;) {
		/* jq's white space: no CR (a lone CR is jq's syntax error) */
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '#') {
			while (*s && *s != '\n' && *s != '\r')
				s++;
			continue;
		}
		break;
	}
	L->tok0 = s;
	L->tp = s;
	L->s = s + 1;
	str_free(L);
	switch (*s) {
	case 0: L->t = T_END; L->s = s; return;
	case '[': L->t = T_LB; return;
	case ']': L->t = T_RB; return;
	case '(': L->t = T_LP; return;
	case ')': L->t = T_RP; return;
	case ',': L->t = T_COMMA; return;
	case ';': L->t = T_SEMI; return;
	case ':': L->t = T_COLON; return;
	case '+': L->t = s[1] == '=' ? T_BAD : T_PLUS; return;
	case '-': L->t = s[1] == '=' ? T_BAD : T_MINUS; return;
	case '*': L->t = s[1] == '=' ? T_BAD : T_STAR; return;
	case '/':
		if (s[1] == '/') {
			L->t = s[2] == '=' ? T_BAD : T_ALT;
			L->s = s + 2;
		} else
			L->t = s[1] == '=' ? T_BAD : T_SLASH;
		return;
	case '%': L->t = s[1] == '=' ? T_BAD : T_PCT; return;
	case '?': L->t = s[1] == '/' ? T_BAD : T_QM; return;
	case '|': L->t = s[1] == '=' ? T_BAD : T_PIPE; return;
	case '=':
		L->t = s[1] == '=' ? T_EQ : T_BAD;
		L->s = s + 2;
		return;
	case '!':
		L->t = s[1] == '=' ? T_NE : T_BAD;
		L->s = s + 2;
		return;
	case '<':
		if (s[1] == '=') { L->t = T_LE; L->s = s + 2; } else L->t = T_LT;
		return;
	case '>':
		if (s[1] == '=') { L->t = T_GE; L->s = s + 2; } else L->t = T_GT;
		return;
	case '"':
		L->s = s;
		L->t = lex_string(L) ? T_BAD : T_STR;
		return;
	case '.':
		if (isalpha((unsigned char)s[1]) || s[1] == '_') {
			const char *e = s + 1;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
			L->t = T_FIELD;
			L->tp = s + 1;
			L->tn = (size_t)(e - s - 1);
			L->s = e;
			return;
		}
		if (s[1] == '.') {
			L->t = T_BAD;
			return;
		}
		if (isdigit((unsigned char)s[1]))
			break;	/* .5 is a number */
		L->t = T_DOT;
		return;
	}
	if (isdigit((unsigned char)*s) || *s == '.') {
		/* jq's number token: [0-9.]+ and an exponent, read by its
		 * JSON parser (so .8.x and 1.2.3 are errors, as in jq) */
		const char *e = s;
		while (isdigit((unsigned char)*e) || *e == '.')
			e++;
		if (*e == 'e' || *e == 'E') {
			const char *f = e + 1;
			if (*f == '+' || *f == '-')
				f++;
			if (isdigit((unsigned char)*f)) {
				while (isdigit((unsigned char)*f))
					f++;
				e = f;
			}
		}
		jv v = jv_parse_sized(s, (int)(e - s));
		if (jv_get_kind(v) != JV_KIND_NUMBER) {
			jv_free(v);
			L->t = T_BAD;
			return;
		}
		L->num = jv_number_value(v);	/* 1e400: infinity, as jq */
		jv_free(v);
		L->t = T_NUM;
		L->s = e;
		return;
	}
	if (isalpha((unsigned char)*s) || *s == '_') {
		const char *e = s;
		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		if (e[0] == ':' && e[1] == ':') {
			L->t = T_BAD;
			return;
		}
		L->t = T_IDENT;
		L->tn = (size_t)(e - s);
		L->s = e;
		return;
	}
	if (*s == '$' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
		const char *e = s + 1;
		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		L->t = T_VAR;
		L->tp = s + 1;
		L->tn = (size_t)(e - s - 1);
		L->s = e;
		return;
	}
	L->t = T_BAD;	/* { @ and anything else */
}

static int
is_kw(const struct lexer *L, const char *w)
{
	return L->t == T_IDENT && L->tn == strlen(w) && !memcmp(L->tp, w, L->tn);
}

/* ---- parser ------------------------------------------------------------ */


static struct node *
mk(struct lexer *L, enum op op)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->op = op;
	n->dfn = n->dfn1 = jqn_d_nodirect;	/* until jqn_mark_one() */
	n->next_alloc = L->q->all;
	L->q->all = n;
	return n;
}

static struct node *parse_pipe(struct lexer *L);

static struct node *
parse_args(struct lexer *L, struct node **args, int max, int *nargs)
{
	*nargs = 0;
	if (L->t != T_LP)
		return (struct node *)1;
	next(L);
	for (;;) {
		if (*nargs == max)
			return NULL;
		if (!(args[(*nargs)++] = parse_pipe(L)))
			return NULL;
		if (L->t == T_SEMI) {
			next(L);
			continue;
		}
		if (L->t != T_RP)
			return NULL;
		next(L);
		return (struct node *)1;
	}
}

static const struct {
	const char *name;
	int arity;
	enum fn fn;
} fns[] = {
	{ "not", 0, F_NOT }, { "length", 0, F_LENGTH }, { "add", 0, F_ADD },
	{ "any", 0, F_ANY0 }, { "all", 0, F_ALL0 }, { "empty", 0, F_EMPTY },
	{ "type", 0, F_TYPE }, { "tostring", 0, F_TOSTRING },
	{ "ascii_downcase", 0, F_DOWNCASE }, { "ascii_upcase", 0, F_UPCASE },
	{ "select", 1, F_SELECT }, { "map", 1, F_MAP }, { "any", 1, F_ANY1 },
	{ "all", 1, F_ALL1 }, { "has", 1, F_HAS },
	{ "startswith", 1, F_STARTSWITH }, { "endswith", 1, F_ENDSWITH },
	{ "contains", 1, F_CONTAINS }, { "ltrimstr", 1, F_LTRIM },
	{ "rtrimstr", 1, F_RTRIM }, { "test", 1, F_TEST }, { "test", 2, F_TEST },
	{ "IN", 1, F_IN1 }, { "IN", 2, F_IN2 }, { "any", 2, F_ANY2 },
	{ "all", 2, F_ALL2 }, { "error", 1, F_ERROR1 }, { "error", 0, F_ERROR0 },
	{ "split", 1, F_SPLIT }, { "strings", 0, F_STRINGS },
	{ "numbers", 0, F_NUMBERS }, { "booleans", 0, F_BOOLEANS },
	{ "nulls", 0, F_NULLS }, { "arrays", 0, F_ARRAYS },
	{ "objects", 0, F_OBJECTS }, { "iterables", 0, F_ITERABLES },
	{ "scalars", 0, F_SCALARS }, { "values", 0, F_VALUES },
	{ "first", 0, F_FIRST }, { "last", 0, F_LAST }, { "unique", 0, F_UNIQUE },
	{ NULL, 0, 0 }
};

int
lq_jqn_regex_flags(const char *f, size_t n, unsigned *opt)
{
	*opt = ONIG_OPTION_CAPTURE_GROUP;
	for (size_t i = 0; i < n; i++) {
		switch (f[i]) {
		case 'g': break;	/* global: not an oniguruma option */
		case 'i': *opt |= ONIG_OPTION_IGNORECASE; break;
		case 'x': *opt |= ONIG_OPTION_EXTEND; break;
		case 'n': *opt |= ONIG_OPTION_FIND_NOT_EMPTY; break;
		case 's': *opt |= ONIG_OPTION_SINGLELINE; break;
		case 'p': *opt |= ONIG_OPTION_MULTILINE |
		    ONIG_OPTION_SINGLELINE; break;
		case 'l': *opt |= ONIG_OPTION_FIND_LONGEST; break;
		default: return -1;
		}
	}
	return 0;
}

/* compile test()'s constant regex and flags like jq 1.6's f_match */
static int
compile_regex(struct node *n, struct node *re, struct node *flags)
{
	OnigOptionType opt = ONIG_OPTION_CAPTURE_GROUP;
	OnigErrorInfo einfo;

	if (re->op != O_LIT || re->lit.kind != NV_STRING)
		return -1;
	if (flags) {
		if (flags->op != O_LIT)
			return -1;
		if (flags->lit.kind == NV_STRING) {
			unsigned o;
			if (lq_jqn_regex_flags(flags->litstr, strlen(
			    flags->litstr), &o) < 0)
				return -1;
			opt |= o;
		} else if (flags->lit.kind != NV_NULL) {
			return -1;
		}
	}
	if (memchr(re->litstr, 0, re->lit.n))
		return -1;
	if (onig_new(&n->re, (const UChar *)re->litstr,
	    (const UChar *)re->litstr + re->lit.n, opt, ONIG_ENCODING_UTF8,
	    ONIG_SYNTAX_PERL_NG, &einfo) != ONIG_NORMAL)
		return -1;
	n->pf = lq_refilter_new(re->litstr, re->lit.n,
	    flags && flags->lit.kind == NV_STRING ? flags->litstr : NULL);
	return 0;
}

static struct node *
parse_term(struct lexer *L)
{
	struct node *n;

	switch (L->t) {
	case T_DOT:
		next(L);
		if (L->t == T_STR) {
			n = mk(L, O_FIELD);
			n->key = L->str;
			n->keylen = L->strn;
			n->keyid = intern(n->key, n->keylen);
			L->str = NULL;
			next(L);
			return n;
		}
		return mk(L, O_IDENT);
	case T_FIELD:
		n = mk(L, O_FIELD);
		n->key = strndup(L->tp, L->tn);
		n->keylen = L->tn;
		n->keyid = intern(n->key, n->keylen);
		next(L);
		return n;
	case T_NUM:
		n = mk(L, O_LIT);
		n->lit.kind = NV_NUMBER;
		n->lit.num = L->num;
		next(L);
		return n;
	case T_STR:
		n = mk(L, O_LIT);
		n->lit.kind = NV_STRING;
		n->litstr = L->str;
		n->lit.p = L->str;
		n->lit.n = L->strn;
		L->str = NULL;
		next(L);
		return n;
	case T_LP:
		next(L);
		if (!(n = parse_pipe(L)) || L->t != T_RP)
			return NULL;
		next(L);
		L->paren = 1;	/* (.a.b)? is try, not .b? */
		return n;
	case T_LB:
		next(L);
		n = mk(L, O_ARRAY);
		if (L->t == T_RB) {
			next(L);
			return n;
		}
		if (!(n->a = parse_pipe(L)) || L->t != T_RB)
			return NULL;
		next(L);
		return n;
	case T_VAR: {
		struct scope *sc;
		for (sc = L->vars; sc; sc = sc->up)
			if (sc->len == L->tn && !memcmp(sc->name, L->tp, L->tn))
				break;
		if (!sc)
			return NULL;	/* $ENV, $__loc__, unknown: libjq */
		n = mk(L, O_VAR);
		n->a = sc->bind;
		next(L);
		return n;
	}
	case T_IDENT:
		break;
	default:
		return NULL;
	}
	if (is_kw(L, "true") || is_kw(L, "false") || is_kw(L, "null")) {
		n = mk(L, O_LIT);
		n->lit.kind = is_kw(L, "true") ? NV_TRUE : is_kw(L, "false") ?
		    NV_FALSE : NV_NULL;
		next(L);
		return n;
	}
	if (is_kw(L, "if")) {
		struct node *top = NULL, **slot = &top;
		next(L);
		for (;;) {
			n = mk(L, O_IF);
			if (!(n->a = parse_pipe(L)) || !is_kw(L, "then"))
				return NULL;
			next(L);
			if (!(n->b = parse_pipe(L)))
				return NULL;
			*slot = n;
			if (is_kw(L, "elif")) {
				next(L);
				slot = &n->c;
				continue;
			}
			if (!is_kw(L, "else"))
				return NULL;
			next(L);
			if (!(n->c = parse_pipe(L)) || !is_kw(L, "end"))
				return NULL;
			next(L);
			return top;
		}
	}
	/* a builtin jqn_call */
	char name[32];
	struct node *args[2] = { NULL, NULL };
	int nargs, i;
	if (L->tn >= sizeof(name))
		return NULL;
	memcpy(name, L->tp, L->tn);
	name[L->tn] = 0;
	next(L);
	if (!parse_args(L, args, 2, &nargs))
		return NULL;
	for (i = 0; fns[i].name; i++)
		if (!strcmp(fns[i].name, name) && fns[i].arity == nargs)
			break;
	if (!fns[i].name)
		return NULL;
	n = mk(L, O_CALL);
	n->sub = fns[i].fn;
	n->a = args[0];
	n->b = args[1];
	if (n->sub == F_TEST && compile_regex(n, n->a, n->b) < 0)
		return NULL;
	return n;
}

/* a constant integer bound of a slice or index, or LONG_MIN */
static int
slice_bound(struct lexer *L, long *v)
{
	int neg = 0;

	*v = LONG_MIN;
	if (L->t == T_COLON || L->t == T_RB)
		return 0;
	if (L->t == T_MINUS) {
		neg = 1;
		next(L);
	}
	if (L->t != T_NUM || L->num != floor(L->num) || fabs(L->num) > 1e9)
		return -1;
	*v = (long)(neg ? -L->num : L->num);
	next(L);
	return 0;
}

/* after '[': N] is an index, [N:M], [:M], [N:] a slice */
static struct node *
parse_slice(struct lexer *L)
{
	long a, b;
	struct node *n;

	if (slice_bound(L, &a))
		return NULL;
	if (L->t == T_RB && a != LONG_MIN) {
		next(L);
		n = mk(L, O_INDEX);
		n->idx = a;
		return n;
	}
	if (L->t != T_COLON)
		return NULL;
	next(L);
	if (slice_bound(L, &b) || L->t != T_RB || (a == LONG_MIN &&
	    b == LONG_MIN))
		return NULL;
	next(L);
	n = mk(L, O_SLICE);
	n->from = a;
	n->to = b;
	return n;
}

static struct node *
parse_postfix(struct lexer *L)
{
	struct node *t, *n;
	int path, tried = 0;

	if ((t = L->pre)) {
		L->pre = NULL;	/* parsed already, with its postfixes */
		return t;
	}
	L->paren = 0;
	const char *s0 = L->tok0;
	t = parse_term(L);
	path = !L->paren;	/* .a, .[0], .[]: X? is jqn_then X's own ? */
	L->paren = 0;

	while (t) {
		/* jq 1.6: after a ? that is a try (on a group, a jqn_call, a
		 * second ?) only more ? may follow */
		if (tried && (L->t == T_FIELD || L->t == T_DOT ||
		    L->t == T_LB))
			return NULL;
		if (L->t == T_FIELD) {
			n = mk(L, O_FIELD);
			n->a = t;
			n->key = strndup(L->tp, L->tn);
			n->keylen = L->tn;
			n->keyid = intern(n->key, n->keylen);
			next(L);
		} else if (L->t == T_DOT) {
			next(L);
			if (L->t != T_STR)
				return NULL;
			n = mk(L, O_FIELD);
			n->a = t;
			n->key = L->str;
			n->keylen = L->strn;
			n->keyid = intern(n->key, n->keylen);
			L->str = NULL;
			next(L);
		} else if (L->t == T_LB) {
			next(L);
			if (L->t == T_RB) {
				n = mk(L, O_ITER);
				n->a = t;
				next(L);
			} else if (L->t == T_COLON || L->t == T_NUM ||
			    L->t == T_MINUS) {
				if (!(n = parse_slice(L)))
					return NULL;
				n->a = t;
			} else {
				struct node *ix = parse_pipe(L);
				if (!ix || L->t != T_RB || ix->op != O_LIT)
					return NULL;
				next(L);
				if (ix->lit.kind == NV_STRING) {
					n = mk(L, O_FIELD);
					n->key = strndup(ix->litstr, ix->lit.n);
					n->keylen = ix->lit.n;
					n->keyid = intern(n->key, n->keylen);
				} else if (ix->lit.kind == NV_NUMBER &&
				    ix->lit.num == floor(ix->lit.num) &&
				    fabs(ix->lit.num) < 1e9) {
					n = mk(L, O_INDEX);
					n->idx = (long)ix->lit.num;
				} else {
					return NULL;
				}
				n->a = t;
			}
		} else if (L->t == T_QM) {
			next(L);
			if (path && (t->op == O_FIELD || t->op == O_INDEX ||
			    t->op == O_ITER) && !t->sub) {
				t->sub = 1;	/* index_opt / each_opt */
				continue;
			}
			n = mk(L, O_TRY);
			n->a = t;
			tried = 1;
			path = 0;
			t = n;
			continue;
		} else {
			t->src0 = (uint32_t)(s0 - L->text);
			t->src1 = (uint32_t)(L->pend - L->text);
			return t;
		}
		t = n;
		path = 1;
	}
	return NULL;
}

static struct node *parse_mul(struct lexer *L);

static struct node *
parse_unary(struct lexer *L)
{
	if (L->t == T_MINUS && !L->pre) {
		struct node *n = mk(L, O_NEG);
		n->src0 = (uint32_t)(L->tok0 - L->text);
		next(L);
		n->a = parse_mul(L);
		return n->a ? n : NULL;
	}
	return parse_postfix(L);
}

static struct node *
binop(struct lexer *L, enum op op, int sub, struct node *a, struct node *b)
{
	struct node *n;

	if (!a || !b)
		return NULL;
	n = mk(L, op);
	n->sub = sub;
	n->a = a;
	n->b = b;
	return n;
}

static struct node *
parse_mul(struct lexer *L)
{
	struct node *l = parse_unary(L);

	while (l && (L->t == T_STAR || L->t == T_SLASH || L->t == T_PCT)) {
		int op = L->t == T_STAR ? '*' : L->t == T_SLASH ? '/' : '%';
		next(L);
		l = binop(L, O_ARITH, op, l, parse_unary(L));
	}
	return l;
}

static struct node *
parse_add(struct lexer *L)
{
	struct node *l = parse_mul(L);

	while (l && (L->t == T_PLUS || L->t == T_MINUS)) {
		int op = L->t == T_PLUS ? '+' : '-';
		next(L);
		l = binop(L, O_ARITH, op, l, parse_mul(L));
	}
	return l;
}

/* a path step, readably: .name, ."other name", [0] (.[0] first) */
static void
path_step(struct lq_buf *b, const char *k, size_t n, long idx, int first)
{
	int ident = k && n > 0 && (isalpha((unsigned char)k[0]) ||
	    k[0] == '_');

	for (size_t i = 1; ident && i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			ident = 0;
	if (!k) {
		if (first)
			lq_buf_addc(b, '.');
		lq_buf_addf(b, "[%ld]", idx);
		return;
	}
	lq_buf_addc(b, '.');
	if (ident)
		lq_buf_add(b, k, n);
	else
		lq_buf_json_str(b, k, n);
}

/* a number literal, or minus one */
static int
num_lit(const struct node *n)
{
	if (n->op == O_NEG)
		n = n->a;
	return n->op == O_LIT && n->lit.kind == NV_NUMBER;
}

/* a path of names and indexes on the input (.a, ."a b", .[0]), or . */
static int
is_path(const struct node *n)
{
	for (; n && n->op != O_IDENT; n = n->a)
		if (n->op != O_FIELD && n->op != O_INDEX)
			return 0;
	return 1;
}

static void
path_text(const struct node *n, struct lq_buf *b)
{
	if (!n || n->op == O_IDENT)
		return;
	path_text(n->a, b);
	if (n->op == O_FIELD)
		path_step(b, n->key, n->keylen, 0, 0);
	else
		path_step(b, NULL, 0, n->idx, !n->a || n->a->op == O_IDENT);
}

/*
 * LQ_JQN_NUMCHECK: a comparison of a path with a number literal counts a
 * value of the path that is not a number as an error (see apply_binop).
 */
static void
numchk_mark(struct lexer *L, struct node *n)
{
	struct node *p;
	struct lq_buf b = LQ_BUF_INIT;

	if (is_path(n->a) && num_lit(n->b)) {
		n->numchk = 1;
		p = n->a;
	} else if (is_path(n->b) && num_lit(n->a)) {
		n->numchk = 2;
		p = n->b;
	} else {
		return;
	}
	if (!(n->chk = calloc(1, sizeof(*n->chk))))
		abort();
	path_text(p, &b);
	n->chk->path = b.len ? b.buf : strdup(".");
	if (!b.len)
		lq_buf_release(&b);
	n->chk->p0 = p->src0;
	n->chk->p1 = p->src1;
	n->chk->c0 = n->a->src0;
	n->chk->c1 = (uint32_t)(L->pend - L->text);
	L->q->nchk++;
}

static struct node *
parse_cmp(struct lexer *L)
{
	struct node *l = parse_add(L);
	int c;

	switch (L->t) {
	case T_EQ: c = C_EQ; break;
	case T_NE: c = C_NE; break;
	case T_LT: c = C_LT; break;
	case T_LE: c = C_LE; break;
	case T_GT: c = C_GT; break;
	case T_GE: c = C_GE; break;
	default: return l;
	}
	next(L);
	struct node *n = binop(L, O_CMP, c, l, parse_add(L));
	if (n && (L->q->opts & LQ_JQN_NUMCHECK))
		numchk_mark(L, n);
	return n;
}

/*
 * A chain a OP b OP c ... of an associative operator (and, or, ','; their
 * operands run left to right either way, generators included) as a
 * balanced tree, so that a chain of thousands of terms is not thousands of
 * levels deep for the recursive passes and the evaluator.
 */
static struct node *
balanced(struct lexer *L, enum op op, struct node **v, size_t lo, size_t hi)
{
	if (lo == hi)
		return v[lo];
	size_t mid = lo + (hi - lo) / 2;
	return binop(L, op, 0, balanced(L, op, v, lo, mid),
	    balanced(L, op, v, mid + 1, hi));
}

static struct node *
chain(struct lexer *L, enum op op, struct node *(*sub)(struct lexer *),
    int (*at_op)(const struct lexer *))
{
	struct node **v = NULL, *t = sub(L);
	size_t n = 0, cap = 0;

	if (!t || !at_op(L))
		return t;
	for (;;) {
		if (n == cap && !(v = realloc(v, (cap = cap ? 2 * cap : 8) *
		    sizeof(*v))))
			abort();
		v[n++] = t;
		if (!at_op(L))
			break;
		next(L);
		if (!(t = sub(L))) {
			free(v);
			return NULL;
		}
	}
	t = balanced(L, op, v, 0, n - 1);
	free(v);
	return t;
}

static int at_and(const struct lexer *L) { return is_kw(L, "and"); }
static int at_or(const struct lexer *L) { return is_kw(L, "or"); }
static int at_comma(const struct lexer *L) { return L->t == T_COMMA; }

static struct node *
parse_and(struct lexer *L)
{
	return chain(L, O_AND, parse_cmp, at_and);
}

static struct node *
parse_or(struct lexer *L)
{
	return chain(L, O_OR, parse_and, at_or);
}

static struct node *
parse_alt(struct lexer *L)
{
	struct node *l = parse_or(L);

	if (l && L->t == T_ALT) {
		next(L);
		return binop(L, O_ALT, 0, l, parse_alt(L));
	}
	return l;
}

static struct node *
parse_comma(struct lexer *L)
{
	return chain(L, O_COMMA, parse_alt, at_comma);
}

/*
 * Limits that keep the native parser and evaluator, both recursive, well
 * inside the stack: expressions beyond them are left to libjq.
 */
#define MAX_NEST 400		/* nested pipes: parentheses, brackets, ... */
#define MAX_DEPTH 5000		/* nodes from the root to a leaf */

static struct node *parse_pipe1(struct lexer *L);

static struct node *
parse_pipe(struct lexer *L)
{
	struct node *n;

	if (L->nest >= MAX_NEST)
		return NULL;
	L->nest++;
	n = parse_pipe1(L);
	L->nest--;
	return n;
}

static struct node *
parse_pipe1(struct lexer *L)
{
	/*
	 * Term as $name | Pipe.  The term is parsed once: when no "as"
	 * follows, it is handed down (L->pre) as the first operand of the
	 * expression, so that nested parentheses cost linear time, not two
	 * parses per level.  A term that does not parse makes the whole
	 * expression jqn_fail, except when it starts with '-' (unary minus).
	 */
	if (L->t != T_STR && L->t != T_END && L->t != T_MINUS) {
		struct node *t = parse_postfix(L);
		if (!t)
			return NULL;
		if (is_kw(L, "as")) {
			struct scope sc;
			struct node *n;
			next(L);
			if (L->t != T_VAR)
				return NULL;
			n = mk(L, O_BIND);
			n->a = t;
			sc.name = L->tp;
			sc.len = L->tn;
			sc.bind = n;
			sc.up = L->vars;
			next(L);
			if (L->t != T_PIPE)
				return NULL;
			next(L);
			L->vars = &sc;
			n->b = parse_pipe(L);
			L->vars = sc.up;
			return n->b ? n : NULL;
		}
		L->pre = t;
	}
	struct node *l = parse_comma(L);

	if (l && L->t == T_PIPE) {
		next(L);
		return binop(L, O_PIPE, 0, l, parse_pipe(L));
	}
	if (l && (is_kw(L, "as") || L->t == T_BAD))
		return NULL;
	return l;
}

/* Whether a path from the root to a leaf is longer than MAX_DEPTH. */
static int
too_deep(struct node *root)
{
	struct { struct node *n; long d; } *st = NULL;
	size_t sn = 0, cap = 0;
	int deep = 0;

	if (!root)
		return 0;
	st = malloc((cap = 64) * sizeof(*st));
	if (!st)
		abort();
	st[sn].n = root;
	st[sn++].d = 1;
	while (sn && !deep) {
		struct node *n = st[--sn].n;
		long d = st[sn].d;
		if (d > MAX_DEPTH)
			deep = 1;
		if (n->op == O_VAR)
			continue;	/* n->a is its binding, not a child */
		struct node *kid[3] = { n->a, n->b, n->c };
		for (int i = 0; i < 3; i++) {
			if (!kid[i])
				continue;
			if (sn == cap && !(st = realloc(st, (cap *= 2) *
			    sizeof(*st))))
				abort();
			st[sn].n = kid[i];
			st[sn++].d = d + 1;
		}
	}
	free(st);
	return deep;
}

struct lq_jqn *
lq_jqn_compile(const char *text)
{
	return lq_jqn_compile_opt(text, 0);
}

struct lq_jqn *
lq_jqn_compile_opt(const char *text, int opts)
{
	struct lq_jqn *q = calloc(1, sizeof(*q));
	struct lexer L;

	if (!q)
		abort();
	/* invalid UTF-8 in a literal: libjq reads it as U+FFFD, leave
	 * such texts to it */
	jv js = jv_string(text);
	int valid = !strcmp(jv_string_value(js), text);
	jv_free(js);
	if (!valid) {
		free(q);
		return NULL;
	}
	memset(&L, 0, sizeof(L));
	q->steps = LONG_MAX;
	q->opts = opts;
	L.s = L.text = text;
	L.q = q;
	next(&L);
	q->root = parse_pipe(&L);
	if (!q->root || L.t != T_END || too_deep(q->root)) {
		str_free(&L);
		lq_jqn_free(q);
		return NULL;
	}
	str_free(&L);
	jqn_mark_one(q->root);
	jqn_mark_cse(q->root);
	return q;
}

int
lq_jqn_path(const char *text, int whole, struct lq_buf *out)
{
	struct lexer L;
	int n = 0, dot = 0, bad = 0;

	memset(&L, 0, sizeof(L));
	L.s = L.text = text;
	lq_buf_reset(out);
	next(&L);
	while (!whole && L.t == T_LP)
		next(&L);
	for (;;) {
		if (L.t == T_FIELD) {
			path_step(out, L.tp, L.tn, 0, 0);
		} else if (L.t == T_DOT && !dot) {
			next(&L);
			if (L.t != T_STR) {
				if (L.t == T_LB && !n) {
					dot = 1;	/* .[...] */
					continue;
				}
				bad = 1;
				break;
			}
			path_step(out, L.str, L.strn, 0, 0);
		} else if (L.t == T_LB && (n || dot)) {
			long idx = 0;
			int neg = 0, key = 0;
			char *str = NULL;
			size_t strn = 0;
			next(&L);
			if (L.t == T_STR) {
				key = 1;
				str = L.str;	/* kept past next() */
				strn = L.strn;
				L.str = NULL;
			} else {
				if (L.t == T_MINUS) {
					neg = 1;
					next(&L);
				}
				if (L.t != T_NUM || L.num != floor(L.num) ||
				    fabs(L.num) > 1e9) {
					bad = 1;
					break;
				}
				idx = (long)(neg ? -L.num : L.num);
			}
			next(&L);
			if (L.t != T_RB) {
				free(str);
				bad = 1;
				break;
			}
			if (key)
				path_step(out, str, strn, 0, 0);
			else
				path_step(out, NULL, 0, idx, !n);
			free(str);
		} else if (L.t == T_QM && n) {
			next(&L);
			continue;
		} else {
			break;
		}
		dot = 0;
		n++;
		next(&L);
	}
	int end = L.t == T_END && !dot && !bad;
	str_free(&L);
	if (whole && (!end || !n))
		return -1;
	return n;
}

