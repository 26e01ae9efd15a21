/*
 * jqn.c - native evaluation of the common jq forms, straight from the raw
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
 */
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

/* field names, interned process-wide so a record's member positions can
 * be cached per name (single-threaded, like libjq itself) */
static char **key_tab;
static size_t key_n, key_cap;

static long
intern(const char *k, size_t n)
{
	for (size_t i = 0; i < key_n; i++)
		if (strlen(key_tab[i]) == n && !memcmp(key_tab[i], k, n))
			return (long)i;
	if (memchr(k, 0, n))
		return -1;
	if (key_n == key_cap) {
		key_cap = key_cap ? key_cap * 2 : 64;
		key_tab = realloc(key_tab, key_cap * sizeof(*key_tab));
		if (!key_tab)
			abort();
	}
	key_tab[key_n] = strndup(k, n);
	return (long)key_n++;
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
			case '"': case '\\': case '/':
				lq_buf_addc(&b, *e);
				break;
			case 'b': lq_buf_addc(&b, '\b'); break;
			case 'f': lq_buf_addc(&b, '\f'); break;
			case 'n': lq_buf_addc(&b, '\n'); break;
			case 'r': lq_buf_addc(&b, '\r'); break;
			case 't': lq_buf_addc(&b, '\t'); break;
			default:
				lq_buf_release(&b);
				return -1;
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

static DFN(d_nodirect);
static DFN(d_ident);

static struct node *
mk(struct lexer *L, enum op op)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->op = op;
	n->dfn = n->dfn1 = d_nodirect;	/* until mark_one() */
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
	/* a builtin call */
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
	path = !L->paren;	/* .a, .[0], .[]: X? is then X's own ? */
	L->paren = 0;

	while (t) {
		/* jq 1.6: after a ? that is a try (on a group, a call, a
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
	 * expression fail, except when it starts with '-' (unary minus).
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
 * Identical one-output subtrees (the same text, such as the employee count
 * that four rules start from) share an id, process-wide, so that their
 * value on the record (or on one of its objects) is computed once per
 * record: see direct().  Ids are given bottom up (hash-consing): a node's
 * key is its own fields and its operands' ids, so that interning a whole
 * tree costs time linear in its size, however deep it is.
 */
static struct {
	char **s;
	size_t *len;
	unsigned *uses;		/* one-output subtrees compiled with this key */
	size_t n, cap;
	long *slot;		/* hash index: key number + 1, 0 empty */
	size_t nslot;		/* a power of two, at least 2 * cap */
	unsigned long interned;	/* calls so far: node memo flags are
				 * refreshed when it changes */
} cse_tab;

static size_t
cse_find(const char *k, size_t n)
{
	size_t m = cse_tab.nslot - 1, i = (size_t)lq_hash_fast(k, n) & m;

	for (long e; (e = cse_tab.slot[i]); i = (i + 1) & m)
		if (cse_tab.len[e - 1] == n && !memcmp(cse_tab.s[e - 1], k, n))
			break;
	return i;
}

/* the id of key k[0..n); use counts it as a use of a one-output subtree */
static long
cse_intern(const char *k, size_t n, int use)
{
	size_t i;

	cse_tab.interned++;
	if (cse_tab.nslot) {
		i = cse_find(k, n);
		if (cse_tab.slot[i]) {
			long id = cse_tab.slot[i] - 1;
			cse_tab.uses[id] += use;
			return id;
		}
	}
	if (cse_tab.n == cse_tab.cap) {
		cse_tab.cap = cse_tab.cap ? cse_tab.cap * 2 : 256;
		cse_tab.s = realloc(cse_tab.s, cse_tab.cap * sizeof(char *));
		cse_tab.len = realloc(cse_tab.len, cse_tab.cap * sizeof(size_t));
		cse_tab.uses = realloc(cse_tab.uses,
		    cse_tab.cap * sizeof(unsigned));
		free(cse_tab.slot);
		cse_tab.nslot = 2 * cse_tab.cap;
		cse_tab.slot = calloc(cse_tab.nslot, sizeof(long));
		if (!cse_tab.s || !cse_tab.len || !cse_tab.uses ||
		    !cse_tab.slot)
			abort();
		for (size_t e = 0; e < cse_tab.n; e++)
			cse_tab.slot[cse_find(cse_tab.s[e], cse_tab.len[e])] =
			    (long)e + 1;
	}
	cse_tab.uses[cse_tab.n] = (unsigned)use;
	if (!(cse_tab.s[cse_tab.n] = malloc(n ? n : 1)))
		abort();
	memcpy(cse_tab.s[cse_tab.n], k, n);
	cse_tab.len[cse_tab.n] = n;
	cse_tab.slot[cse_find(k, n)] = (long)cse_tab.n + 1;
	return (long)cse_tab.n++;
}

/*
 * Give n and its operands their structural ids (n->sid: id + 1, 0 when the
 * subtree depends on a variable) and their memo ids (n->cse: the same, for
 * one-output subtrees worth memoising).
 */
static void mark_cse1(struct node *n, struct lq_buf *b);
static void cse_key(struct node *n, struct lq_buf *b) __attribute__((noinline));

static void
mark_cse(struct node *n)
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
static void set_dfn(struct node *n);
static void set_dfn1(struct node *n);
static void pick_dfn(struct node *n);

static int
mark_one(struct node *n)
{
	int a, b, c;

	if (!n)
		return 1;
	if (n->op == O_VAR) {	/* n->a is its binding: no recursion */
		n->one = 1;
		set_dfn(n);
		return 1;
	}
	a = mark_one(n->a);
	b = mark_one(n->b);
	c = mark_one(n->c);
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
	set_dfn(n);
	return n->one;
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
	mark_one(q->root);
	mark_cse(q->root);
	return q;
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

static void *
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

static void
arena_reset(struct lq_jqn_ctx *c)
{
	struct chunk *ch = c->arena, *nx;

	if (!ch)
		return;
	for (nx = ch->next; nx; nx = ch) {
		ch = nx->next;
		free(nx);
	}
	c->arena->next = NULL;
	c->arena->used = 0;
	c->used = c->arena->cap;
}

struct lq_jqn_ctx *
lq_jqn_ctx_new(void)
{
	struct lq_jqn_ctx *c = calloc(1, sizeof(*c));

	if (!c || !(c->tmemo = calloc(TMEMO, sizeof(*c->tmemo))))
		abort();
	return c;
}

void
lq_jqn_ctx_free(struct lq_jqn_ctx *c)
{
	struct chunk *ch, *nx;

	if (!c)
		return;
	for (ch = c->arena; ch; ch = nx) {
		nx = ch->next;
		free(ch);
	}
	free(c->outs);
	free(c->spans);
	free(c->root_idx);
	free(c->root_gen);
	free(c->rmemo);
	free(c->tmemo);
	free(c);
}

/* room in the record memo for every shared subtree compiled so far */
static void
rmemo_size(struct lq_jqn_ctx *c)
{
	size_t cap = cse_tab.cap + 1;

	c->rmemo = realloc(c->rmemo, cap * sizeof(*c->rmemo));
	if (!c->rmemo)
		abort();
	memset(c->rmemo + c->rmemo_cap, 0,
	    (cap - c->rmemo_cap) * sizeof(*c->rmemo));
	c->rmemo_cap = cap;
}

void
lq_jqn_start(struct lq_jqn_ctx *c, const char *line, size_t len,
    const struct lq_scan *scan, const char *skipkey)
{
	arena_reset(c);
	c->spans_n = 0;
	if (++c->gen == 0) {
		/* wrapped: forget everything once */
		memset(c->spans, 0, c->spans_cap * sizeof(*c->spans));
		if (c->root_gen)
			memset(c->root_gen, 0, c->root_cap * sizeof(unsigned));
		if (c->rmemo)
			memset(c->rmemo, 0, c->rmemo_cap * sizeof(*c->rmemo));
		if (c->tmemo)
			memset(c->tmemo, 0, TMEMO * sizeof(*c->tmemo));
		c->gen = 1;
	}
	c->line = line;
	c->len = len;
	c->scan = scan;
	c->tape = scan->tn ? scan->tape : NULL;
	c->skip = skipkey;
	c->skiplen = skipkey ? strlen(skipkey) : 0;
	memset(&c->root, 0, sizeof(c->root));
	c->root.kind = NV_OBJECT;
	c->root.raw = 1;
	c->root.root = 1;
	c->root.p = line + scan->open;
	c->root.n = scan->close + 1 - scan->open;
	c->root.t = c->tape ? 1 : 0;
}

/* ---- raw JSON navigation (the line is already validated) ---------------- */

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* a JSON number's value: integers of up to 15 digits exactly, the rest
 * with strtod (infinities clamped as jq 1.6 does) */
static double
num_parse(const char *p, size_t n)
{
	const char *q = p + (*p == '-');
	size_t d = n - (size_t)(q - p);

	if (d > 0 && d <= 15) {
		uint64_t u = 0;
		size_t i;
		for (i = 0; i < d && q[i] >= '0' && q[i] <= '9'; i++)
			u = u * 10 + (uint64_t)(q[i] - '0');
		if (i == d)
			return *p == '-' ? -(double)u : (double)u;
	}
	return strtod(p, NULL);	/* 1e400: infinity, as jq's parser */
}

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
		v->num = num_parse(p, n);
	}
}

static void
make_raw(struct lq_nv *v, const char *p, const char *e)
{
	set_raw(v, p, (size_t)(e - p), 2);	/* escapes: not looked at yet */
}

const char *
lq_nv_str(struct lq_jqn_ctx *c, const struct lq_nv *v, size_t *len)
{
	if (v->kind != NV_STRING) {
		*len = 0;
		return NULL;
	}
	if (!v->raw) {
		*len = v->n;
		return v->p;
	}
	if (v->esc == 2)
		((struct lq_nv *)v)->esc = memchr(v->p, '\\', v->n) != NULL;
	if (!v->esc) {
		*len = v->n - 2;
		return v->p + 1;
	}
	struct lq_buf b = LQ_BUF_INIT;
	lq_json_unescape(&b, v->p, v->n);
	char *s = alloc(c, b.len + 1);
	memcpy(s, b.buf ? b.buf : "", b.len);
	s[b.len] = 0;
	*len = b.len;
	lq_buf_release(&b);
	return s;
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

/* a NUL-terminated copy of a string value (for strstr semantics) */
static const char *
str_z(struct lq_jqn_ctx *c, const struct lq_nv *v, size_t *len)
{
	const char *s = nv_str(c, v, len);

	if (!v->raw || v->esc == 1)
		return s;	/* computed and decoded strings end in NUL */
	char *z = alloc(c, *len + 1);
	memcpy(z, s, *len);
	z[*len] = 0;
	return z;
}

/* the members or elements of a raw container, parsed once per record */
static struct span_ent *
spans_of(struct lq_jqn_ctx *c, const char *p)
{
	size_t h, mask;

	if (c->spans_n * 2 >= c->spans_cap) {
		size_t cap = c->spans_cap ? c->spans_cap * 2 : 64, i;
		struct span_ent *old = c->spans, *t = calloc(cap, sizeof(*t));
		if (!t)
			abort();
		for (i = 0; i < c->spans_cap; i++) {
			if (!old[i].p || old[i].gen != c->gen)
				continue;
			h = ((uintptr_t)old[i].p * 0x9E3779B97F4A7C15ull) >> 20;
			while (t[h & (cap - 1)].p)
				h++;
			t[h & (cap - 1)] = old[i];
		}
		free(old);
		c->spans = t;
		c->spans_cap = cap;
	}
	mask = c->spans_cap - 1;
	h = ((uintptr_t)p * 0x9E3779B97F4A7C15ull) >> 20;
	while (c->spans[h & mask].p && c->spans[h & mask].gen == c->gen &&
	    c->spans[h & mask].p != p)
		h++;
	struct span_ent *e = &c->spans[h & mask];
	if (e->p && e->gen == c->gen)
		return e;

	/* parse it */
	struct span tmp[64], *sp = tmp;
	size_t n = 0, cap = 64;
	int obj = *p == '{';
	const char *q = ws(p + 1);
	if (*q != (obj ? '}' : ']')) {
		for (;;) {
			if (n == cap) {
				struct span *ns = alloc(c, cap * 2 * sizeof(*ns));
				memcpy(ns, sp, n * sizeof(*ns));
				sp = ns;
				cap *= 2;
			}
			struct span *m = &sp[n++];
			if (obj) {
				int esc = 0;
				const char *ke = lq_json_str_end(q, &esc);
				m->k = q;
				m->klen = (unsigned)(ke - q);
				m->kesc = (unsigned char)esc;
				q = ws(ws(ke) + 1);
			}
			m->v = q;
			m->ve = lq_json_skip(q);
			q = ws(m->ve);
			if (*q != ',')
				break;
			q = ws(q + 1);
		}
	}
	e->p = p;
	e->n = n;
	e->gen = c->gen;
	if (sp == tmp) {
		e->s = alloc(c, (n ? n : 1) * sizeof(*sp));
		memcpy(e->s, tmp, n * sizeof(*sp));
	} else
		e->s = sp;
	c->spans_n++;
	return e;
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
	struct span_ent *e = spans_of(c, o->p);
	for (long i = (long)e->n - 1; i >= 0; i--) {
		const struct span *m = &e->s[i];
		if (lq_json_key_is(m->k, m->klen, m->kesc, k, kn)) {
			make_raw(out, m->v, m->ve);
			return 1;
		}
	}
	return 0;
}

/* iterate a raw array; f returns non-zero to stop (that status returned) */
typedef int (*each_fn)(struct lq_jqn_ctx *, void *, struct lq_nv *);
/* A step past the budget: the run ends in an error that try cannot turn
 * into a value (lq_jqn_run reports it whatever was caught). */
static int fail(struct lq_jqn_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int __attribute__((noinline))
over(struct lq_jqn_ctx *c)
{
	if (!c->hit)
		c->hit = 1;
	c->steps = -1;
	return fail(c, "budget");
}

#define STEP(c) (--(c)->steps < 0 ? over(c) : 0)


static int
raw_each(struct lq_jqn_ctx *c, const struct lq_nv *a, each_fn f, void *arg)
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
	struct span_ent *e = spans_of(c, a->p);
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

static long
arr_len(struct lq_jqn_ctx *c, const struct lq_nv *a)
{
	if (!a->raw)
		return (long)a->n;
	if (a->t)
		return (long)c->tape[a->t - 1].n;
	return (long)spans_of(c, a->p)->n;
}

struct nth { long i; struct lq_nv *out; int found; };

static int
nth_cb(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v)
{
	struct nth *t = arg;

	if (t->i-- == 0) {
		*t->out = *v;
		t->found = 1;
		return 1;
	}
	return 0;
}

/* ---- values ------------------------------------------------------------ */

jv
lq_nv_to_jv(const struct lq_nv *v)
{
	switch (v->kind) {
	case NV_NULL: return jv_null();
	case NV_FALSE: return jv_false();
	case NV_TRUE: return jv_true();
	case NV_NUMBER: return jv_number(v->num);
	default: break;
	}
	if (v->raw)
		return jv_parse_sized(v->p, (int)v->n);
	if (v->kind == NV_STRING)
		return jv_string_sized(v->p, (int)v->n);
	jv a = jv_array();
	for (size_t i = 0; i < v->n; i++)
		a = jv_array_append(a, lq_nv_to_jv(&v->items[i]));
	return a;
}

static jv
to_jv(struct lq_jqn_ctx *c, const struct lq_nv *v)
{
	if (v->root) {
		jv r = jv_parse_sized(c->line, (int)c->len);
		if (c->skip)
			r = jv_object_delete(r, jv_string(c->skip));
		return r;
	}
	return lq_nv_to_jv(v);
}

static const char *const kind_names[] = { "null", "boolean", "boolean",
	"number", "string", "array", "object" };

static int
fail(struct lq_jqn_ctx *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* like jq, through a jv string: a value cut inside a UTF-8
	 * sequence shows U+FFFD */
	jv js = jv_string(buf);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(js));
	char *m = alloc(c, n + 1);
	memcpy(m, jv_string_value(js), n + 1);
	jv_free(js);
	c->err = alloc(c, sizeof(*c->err));
	memset(c->err, 0, sizeof(*c->err));
	c->err->msg = m;
	return ST_ERR;
}


/* an error whose message shows values: written only if someone asks */
static int
lazy_error(struct lq_jqn_ctx *c, int kind, const struct lq_nv *a,
    const struct lq_nv *b, const char *text)
{
	c->err = alloc(c, sizeof(*c->err));
	memset(c->err, 0, sizeof(*c->err));
	c->err->kind = kind;
	c->err->a = *a;
	if (b)
		c->err->b = *b;
	c->err->text = text;
	return ST_ERR;
}

static int
type_error(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *msg)
{
	return lazy_error(c, 1, v, NULL, msg);
}

static int
type_error2(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b,
    const char *msg)
{
	return lazy_error(c, 2, a, b, msg);
}

/* jq's type_error: "KIND (VALUE...) MSG" */
static int
render_type_error(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *msg)
{
	char eb[15];
	jv j = to_jv(c, v);
	const char *d = jv_dump_string_trunc(jv_copy(j), eb, sizeof(eb));
	int r = fail(c, "%s (%s) %s", kind_names[v->kind], d, msg);

	jv_free(j);
	return r;
}

static int
render_type_error2(struct lq_jqn_ctx *c, const struct lq_nv *a,
    const struct lq_nv *b, const char *msg)
{
	char ea[15], eb[15];
	jv ja = to_jv(c, a), jb = to_jv(c, b);
	const char *da = jv_dump_string_trunc(jv_copy(ja), ea, sizeof(ea));
	const char *db = jv_dump_string_trunc(jv_copy(jb), eb, sizeof(eb));
	int r = fail(c, "%s (%s) and %s (%s) %s", kind_names[a->kind], da,
	    kind_names[b->kind], db, msg);

	jv_free(ja);
	jv_free(jb);
	return r;
}

/*
 * LQ_JQN_NUMCHECK's message about path p, as the prelude's _lq_num writes
 * it: ".a is \"lots\", not a number" (the value as tojson, cut to 37
 * characters and "..." past 40), "\"lots\" is not a number" for .
 */
static int
render_numchk(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *p)
{
	struct lq_buf b = LQ_BUF_INIT;
	jv j = to_jv(c, v);
	jv d = jv_dump_string(j, 0);
	const char *s = jv_string_value(d);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(d)), cut = n;
	long cps = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cps++ == 37)
			cut = i;
	if (cps <= 40)
		cut = n;
	if (strcmp(p, ".")) {
		lq_buf_adds(&b, p);
		lq_buf_adds(&b, " is ");
	}
	lq_buf_add(&b, s, cut);
	if (cut < n)
		lq_buf_adds(&b, "...");
	lq_buf_adds(&b, strcmp(p, ".") ? ", not a number" : " is not a number");
	jv_free(d);
	char *m = alloc(c, b.len + 1);
	memcpy(m, b.buf, b.len + 1);
	lq_buf_release(&b);
	c->err = alloc(c, sizeof(*c->err));
	memset(c->err, 0, sizeof(*c->err));
	c->err->msg = m;
	return ST_ERR;
}

static void
mk_bool(struct lq_nv *v, int b)
{
	memset(v, 0, sizeof(*v));
	v->kind = b ? NV_TRUE : NV_FALSE;
}

static void
mk_num(struct lq_nv *v, double d)
{
	memset(v, 0, sizeof(*v));
	v->kind = NV_NUMBER;
	v->num = d;
}

static void
mk_str(struct lq_nv *v, const char *s, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->kind = NV_STRING;
	v->p = s;
	v->n = n;
}

/* jv_cmp order; sets *r (-1, 0, 1); GIVEUP never needed (uses libjq) */
static inline int
cmp(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b)
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
		jv ja = to_jv(c, a), jb = to_jv(c, b);
		int r = jv_cmp(ja, jb);	/* consumes both */
		return r < 0 ? -1 : r > 0;
	}
	default:
		return 0;
	}
}

/* cmp(c, a, b) == 0, with strings compared by length first */
static inline int
same(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b)
{
	if (a->kind == NV_STRING && b->kind == NV_STRING) {
		size_t la, lb;
		const char *sa = nv_str(c, a, &la), *sb = nv_str(c, b, &lb);
		return la == lb && lq_mem_eq(sa, sb, la);
	}
	return cmp(c, a, b) == 0;
}

/* ---- evaluation -------------------------------------------------------- */

typedef int (*kfn)(struct lq_jqn_ctx *, void *, struct lq_nv *);

static int eval(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    kfn k, void *kc);
static inline int direct(struct lq_jqn_ctx *c, struct node *n,
    struct lq_nv *in, struct lq_nv *out);

static int then(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    kfn kf, void *x);

struct k2 {		/* a continuation with a node and its own continuation */
	struct node *n;
	struct lq_nv *in;
	kfn k;
	void *kc;
	struct lq_nv *other;
	int flag;
};

/* .key of the record itself, with the member position cached per name */
static inline __attribute__((always_inline)) int
root_get(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *out)
{
	size_t id = (size_t)n->keyid;
	long idx;

	if (id >= c->root_cap) {
		size_t cap = key_cap > id ? key_cap : id + 1;
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
			return fail(c, "Cannot index %s with string \"%s\"",
			    kind_names[v->kind], n->key);
		return fail(c, "Cannot index %s with string",
		    kind_names[v->kind]);
	}
	/* O_INDEX */
	if (v->kind == NV_ARRAY) {
		long len = -1, i = n->idx;
		struct nth t;
		if (i < 0) {
			len = arr_len(c, v);
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
		raw_each(c, v, nth_cb, &t);
		return ST_OK;
	}
	if (v->kind == NV_NULL) {
		memset(out, 0, sizeof(*out));
		return ST_OK;
	}
	return fail(c, "Cannot index %s with number", kind_names[v->kind]);
}

static int
k_index(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
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
static int
iterate(struct lq_jqn_ctx *c, struct lq_nv *v, int opt, kfn k, void *kc)
{
	struct kiter t = { k, kc };

	if (v->kind == NV_ARRAY)
		return raw_each(c, v, iter_cb, &t);
	if (v->kind == NV_OBJECT)
		return ST_GIVEUP;	/* key order and duplicates: libjq */
	if (opt)
		return ST_OK;
	return lazy_error(c, 3, v, NULL, NULL);
}

static int
k_iter(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return iterate(c, v, x->n->sub, x->k, x->kc);
}

static int
k_pipe(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return eval(c, x->n, v, x->k, x->kc);
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
	return then(c, x->n, x->in, k_and_b, x);
}

static int
k_if(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return eval(c, lq_nv_truthy(v) ? x->n->b : x->n->c, x->in, x->k, x->kc);
}

/* binary operator: a (inner) OP b (outer) */
static int
apply_arith(struct lq_jqn_ctx *c, int op, struct lq_nv *a, struct lq_nv *b,
    struct lq_nv *r)
{
	if (a->kind == NV_NUMBER && b->kind == NV_NUMBER) {
		switch (op) {
		case '+': mk_num(r, a->num + b->num); return ST_OK;
		case '-': mk_num(r, a->num - b->num); return ST_OK;
		case '*': mk_num(r, a->num * b->num); return ST_OK;
		case '/':
			if (b->num == 0)
				return type_error2(c, a, b, "cannot be divided "
				    "because the divisor is zero");
			mk_num(r, a->num / b->num);
			return ST_OK;
		case '%':
			if (fabs(a->num) >= 9e18 || fabs(b->num) >= 9e18 ||
			    isnan(a->num) || isnan(b->num))
				return ST_GIVEUP;
			if ((intmax_t)b->num == 0)
				return type_error2(c, a, b, "cannot be divided "
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
		return type_error2(c, a, b, "cannot be added");
	}
	if (op == '-') {
		if (a->kind == NV_ARRAY && b->kind == NV_ARRAY)
			return ST_GIVEUP;
		return type_error2(c, a, b, "cannot be subtracted");
	}
	if (op == '*') {
		if ((a->kind == NV_STRING && b->kind == NV_NUMBER) ||
		    (a->kind == NV_NUMBER && b->kind == NV_STRING) ||
		    (a->kind == NV_OBJECT && b->kind == NV_OBJECT))
			return ST_GIVEUP;
		return type_error2(c, a, b, "cannot be multiplied");
	}
	if (op == '/' && a->kind == NV_STRING && b->kind == NV_STRING)
		return ST_GIVEUP;
	return type_error2(c, a, b, op == '%' ? "cannot be divided (remainder)" :
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
			return lazy_error(c, 4, v, NULL, n->chk->path);
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
		int d = cmp(c, a, b), t = 0;
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
	return apply_arith(c, n->sub, a, b, r);
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
	return eval(c, x->n->a, x->in, k_bin_a, &y);
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
struct coll { struct lq_nv *v; size_t n, cap; };

static int
k_collect(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
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

static void
mk_arr(struct lq_nv *r, struct coll *a)
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

static int
anyall_finish(struct lq_jqn_ctx *c, int st, int is_any, kfn k, void *kc)
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
static int
k_gen_cond(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return then(c, x->n, v, k_anyall, x);
}

static int
k_select(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	if (!lq_nv_truthy(v))
		return ST_OK;
	return x->k(c, x->kc, x->in);
}

static int
k_map_elem(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;

	return eval(c, x->n, v, k_collect, x->other);
}

/* IN(s): s == . ; IN(src; s): src == s -- any over equality */
static int
k_in_a(struct lq_jqn_ctx *c, void *kc, struct lq_nv *a)
{
	struct k2 *x = kc;

	return cmp(c, a, x->other) == 0 ? ST_STOP : ST_OK;
}

static int
k_in_b(struct lq_jqn_ctx *c, void *kc, struct lq_nv *b)
{
	struct k2 *x = kc;
	struct k2 y = *x;

	y.other = b;
	return eval(c, x->n, x->in, k_in_a, &y);
}

struct addst { struct lq_nv acc; int st; };

static int
add_cb(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v)
{
	struct addst *s = arg;
	struct lq_nv r;
	int st = apply_arith(c, '+', &s->acc, v, &r);

	if (st)
		return st;
	s->acc = r;
	return 0;
}

/* one-argument string builtins: the argument is a generator */
static int
strfn(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *arg, struct lq_nv *out)
{
	struct lq_nv r;
	size_t la, lb;
	const char *a, *b;

	switch (n->sub) {
	case F_STARTSWITH:
	case F_ENDSWITH:
		if (in->kind != NV_STRING || arg->kind != NV_STRING)
			return fail(c, "%s() requires string inputs",
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
			return type_error2(c, in, arg, "cannot have their "
			    "containment checked");
		if (in->kind == NV_STRING) {
			/* jq 1.6 uses strstr: both stop at a NUL */
			a = str_z(c, in, &la);
			b = str_z(c, arg, &lb);
			mk_bool(&r, strstr(a, b) != NULL);
		} else {
			jv ja = to_jv(c, in), jb = to_jv(c, arg);
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
			return fail(c, "Cannot check whether %s has a %s key",
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
	int st = strfn(c, x->n, x->in, arg, &r);

	if (st)
		return st;
	return x->k(c, x->kc, &r);
}

static int
k_bind(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv *saved = x->n->cur;
	int st;

	x->n->cur = v;
	st = eval(c, x->n->b, x->in, x->k, x->kc);
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
static void
slice_str(struct lq_jqn_ctx *c, const struct node *n, struct lq_nv *v,
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

static int
k_slice(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct k2 *x = kc;
	struct lq_nv r;
	long s, e;

	if (v->kind == NV_NULL) {
		memset(&r, 0, sizeof(r));
		return x->k(c, x->kc, &r);
	}
	if (v->kind == NV_STRING) {
		slice_str(c, x->n, v, &r);
		return x->k(c, x->kc, &r);
	}
	if (v->kind == NV_ARRAY) {
		struct coll a = { NULL, 0, 0 };
		long len = arr_len(c, v), i;
		struct lq_nv el;
		bounds(len, x->n->from, x->n->to, &s, &e);
		for (i = s; i < e; i++) {
			struct nth t = { i, &el, 0 };
			if (!v->raw)
				el = v->items[i];
			else
				raw_each(c, v, nth_cb, &t);
			k_collect(c, &a, &el);
		}
		mk_arr(&r, &a);
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
		return fail(c, "split input and separator must be strings");
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
			k_collect(c, &a, &part);
			if (!hit)
				break;
			q = hit + sl;
		}
	}
	mk_arr(&r, &a);
	return x->k(c, x->kc, &r);
}

static int
nv_sort_cmp(const void *a, const void *b, void *c)
{
	return cmp(c, a, b);
}

/* test(re): on a string, with the prefilter and the memo */
static int
test_str(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *out)
{
	size_t len;
	const char *s;

	if (in->kind != NV_STRING)
		return type_error(c, in, "cannot be matched, as it is "
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

static int
call(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn k, void *kc)
{
	struct lq_nv r;
	struct k2 x = { NULL, in, k, kc, NULL, 0 };
	size_t len;
	const char *s;
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
		switch (in->kind) {
		case NV_NULL: mk_num(&r, 0); break;
		case NV_NUMBER: mk_num(&r, fabs(in->num)); break;
		case NV_STRING: {
			long cp = 0;
			s = nv_str(c, in, &len);
			for (size_t i = 0; i < len; i++)
				cp += ((unsigned char)s[i] & 0xC0) != 0x80;
			mk_num(&r, (double)cp);
			break;
		}
		case NV_ARRAY: mk_num(&r, (double)arr_len(c, in)); break;
		case NV_OBJECT: {
			jv j = to_jv(c, in);
			mk_num(&r, jv_object_length(j));
			break;
		}
		default:
			return type_error(c, in, "has no length");
		}
		return k(c, kc, &r);
	case F_TOSTRING:
		if (in->kind == NV_STRING) {
			s = nv_str(c, in, &len);
			mk_str(&r, s, len);
		} else {
			jv d = jv_dump_string(to_jv(c, in), 0);
			len = (size_t)jv_string_length_bytes(jv_copy(d));
			char *t = alloc(c, len + 1);
			memcpy(t, jv_string_value(d), len + 1);
			jv_free(d);
			mk_str(&r, t, len);
		}
		return k(c, kc, &r);
	case F_DOWNCASE:
	case F_UPCASE: {
		if (in->kind != NV_STRING)
			return fail(c, "explode input must be a string");
		s = nv_str(c, in, &len);
		char *t = alloc(c, len + 1);
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (n->sub == F_DOWNCASE && ch >= 'A' && ch <= 'Z')
				ch += 32;
			else if (n->sub == F_UPCASE && ch >= 'a' && ch <= 'z')
				ch -= 32;
			t[i] = (char)ch;
		}
		t[len] = 0;
		mk_str(&r, t, len);
		return k(c, kc, &r);
	}
	case F_TEST:
		if ((st = test_str(c, n, in, &r)))
			return st;
		return k(c, kc, &r);
	case F_SELECT:
		return then(c, n->a, in, k_select, &x);
	case F_MAP: {
		struct coll a = { NULL, 0, 0 };
		x.n = n->a;
		x.other = (struct lq_nv *)&a;
		st = iterate(c, in, 0, k_map_elem, &x);
		if (st)
			return st;
		mk_arr(&r, &a);
		return k(c, kc, &r);
	}
	case F_ADD: {
		struct addst as;
		memset(&as, 0, sizeof(as));
		if (in->kind != NV_ARRAY)
			return iterate(c, in, 0, k_collect, &(struct coll){ 0 });
		st = raw_each(c, in, add_cb, &as);
		if (st)
			return st;
		return k(c, kc, &as.acc);
	}
	case F_ANY0:
	case F_ALL0:
	case F_ANY1:
	case F_ALL1: {
		static struct node ident = { .op = O_IDENT, .one = 1,
		    .dfn = d_ident, .dfn1 = d_ident };
		int is_any = n->sub == F_ANY0 || n->sub == F_ANY1;
		x.flag = is_any;
		x.n = n->a ? n->a : &ident;
		st = iterate(c, in, 0, k_gen_cond, &x);
		return anyall_finish(c, st, is_any, k, kc);
	}
	case F_ANY2:
	case F_ALL2: {
		int is_any = n->sub == F_ANY2;
		x.flag = is_any;
		x.n = n->b;
		st = eval(c, n->a, in, k_gen_cond, &x);
		return anyall_finish(c, st, is_any, k, kc);
	}
	case F_IN1: {
		/* any(s == .; .): b is '.', a is s */
		x.other = in;
		st = eval(c, n->a, in, k_in_a, &x);
		return anyall_finish(c, st, 1, k, kc);
	}
	case F_IN2:
		/* any(src == s; .): outer over s (b), inner over src (a) */
		x.n = n->a;
		st = eval(c, n->b, in, k_in_b, &x);
		return anyall_finish(c, st, 1, k, kc);
	case F_HAS:
	case F_STARTSWITH:
	case F_ENDSWITH:
	case F_CONTAINS:
	case F_LTRIM:
	case F_RTRIM:
		x.n = n;
		return then(c, n->a, in, k_strfn, &x);
	case F_ERROR1:
		return eval(c, n->a, in, k_error, &x);
	case F_ERROR0:
		return k_error(c, &x, in);
	case F_SPLIT:
		return eval(c, n->a, in, k_split, &x);
	case F_STRINGS: case F_NUMBERS: case F_BOOLEANS: case F_NULLS:
	case F_ARRAYS: case F_OBJECTS: case F_ITERABLES: case F_SCALARS:
	case F_VALUES: {
		int kd = in->kind, keep = 0;
		switch (n->sub) {
		case F_STRINGS: keep = kd == NV_STRING; break;
		case F_NUMBERS: keep = kd == NV_NUMBER; break;
		case F_BOOLEANS: keep = kd == NV_TRUE || kd == NV_FALSE; break;
		case F_NULLS: keep = kd == NV_NULL; break;
		case F_ARRAYS: keep = kd == NV_ARRAY; break;
		case F_OBJECTS: keep = kd == NV_OBJECT; break;
		case F_ITERABLES: keep = kd == NV_ARRAY || kd == NV_OBJECT; break;
		case F_SCALARS: keep = kd != NV_ARRAY && kd != NV_OBJECT; break;
		case F_VALUES: keep = kd != NV_NULL; break;
		}
		return keep ? k(c, kc, in) : ST_OK;
	}
	case F_FIRST:
	case F_LAST: {
		struct node ix = { .op = O_INDEX, .idx = n->sub == F_FIRST ? 0 :
		    -1 };
		x.n = &ix;
		return k_index(c, &x, in);
	}
	case F_UNIQUE: {
		struct coll a = { NULL, 0, 0 };
		size_t i, o = 0;
		if (in->kind != NV_ARRAY)
			return ST_GIVEUP;
		if (!in->raw) {
			/* computed: copy the items (sorted in place below) */
			a.n = a.cap = in->n;
			a.v = alloc(c, (a.n ? a.n : 1) * sizeof(*a.v));
			if (a.n)
				memcpy(a.v, in->items, a.n * sizeof(*a.v));
		} else if ((st = iterate(c, in, 0, k_collect, &a))) {
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
				for (; j > 0 && cmp(c, &a.v[j - 1], &t) > 0; j--)
					a.v[j] = a.v[j - 1];
				a.v[j] = t;
			}
		}
		for (i = 0; i < a.n; i++)
			if (o == 0 || cmp(c, &a.v[o - 1], &a.v[i]) != 0)
				a.v[o++] = a.v[i];
		a.n = o;
		mk_arr(&r, &a);
		return k(c, kc, &r);
	}
	}
	return ST_GIVEUP;
}

struct cap { struct lq_nv *out; int n; };

/* continuation that keeps the (single) output */
static int
k_cap(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v)
{
	struct cap *p = kc;

	*p->out = *v;
	p->n++;
	return ST_OK;
}

static int strfn(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *arg, struct lq_nv *out);
static int test_str(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *out);
static int k_bind(struct lq_jqn_ctx *c, void *kc, struct lq_nv *v);

/*
 * Evaluating a node that gives at most one output (marked one) without
 * continuations: ST_OK with *out, ST_EMPTY for no output, or an error
 * status; ST_NODIRECT when n is not such a node.  Each node's dfn is the
 * handler for its kind, chosen once by set_dfn(): one small function per
 * kind instead of one big switch.  Operands are evaluated in the order
 * eval() uses, so the same error wins.
 */
static DFN(d_nodirect)
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
		struct k2 x = { n, in, k_cap, &cp, NULL, 0 };
		if ((st = direct(c, n->a, in, &va)) || (st = k_bind(c, &x, &va)))
			return st;
	} else if ((st = eval(c, n, in, k_cap, &cp))) {
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
		slice_str(c, n, in, out);
		return ST_OK;
	}
	if (in->kind == NV_NULL) {
		memset(out, 0, sizeof(*out));
		return ST_OK;
	}
	struct cap cp = { out, 0 };
	struct k2 x = { n, in, k_cap, &cp, NULL, 0 };
	if ((st = k_slice(c, &x, in)))
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
 * A == "lit" and A != "lit": same() with the literal's kind known, no
 * copy of it (same() itself here costs 1.5% more instructions per lead)
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
	return test_str(c, n, in, out);
}

/* IN(literals): any(lit == .; .), no errors, first match */
static DFN(d_in_set)
{
	int hit = 0;

	for (int i = 0; i < n->nset && !hit; i++)
		hit = same(c, &n->set[i], in);
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
	return strfn(c, n, in, &va, out);
}

static DFN(d_lit)
{
	*out = n->lit;
	return ST_OK;
}

static DFN(d_ident)
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

/* n->dfn from its handler and whether it is shared (see set_dfn) */
static void
pick_dfn(struct node *n)
{
	if (n->op == O_LIT)
		n->dfn = d_lit;
	else if (n->op == O_IDENT)
		n->dfn = d_ident;
	else if (n->one && n->shared && n->dfn1 != d_kind && n->dfn1 != d_not)
		/* (a kind test or not costs less than the memo) */
		n->dfn = d_memo;
	else
		n->dfn = n->dfn1;
}

/*
 * n->dfn1 for a marked node: its handler, or d_nodirect when not one; and
 * n->dfn, which adds the memo when it is shared.
 */
static void
set_dfn(struct node *n)
{
	set_dfn1(n);
	pick_dfn(n);
}

static void
set_dfn1(struct node *n)
{
	n->dfn1 = d_nodirect;
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
	/* a handler of its own: eval() can hand the node to direct() */
	n->fast = n->dfn1 != d_k;
}

/*
 * A node that gives at most one output, on in: its handler (set_dfn), which
 * for shared subtrees is d_memo.
 */
static inline __attribute__((always_inline)) int
direct(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in,
    struct lq_nv *out)
{
	if (n->dfn == d_memo)
		return memo_run(c, n, in, out);	/* a hit without a call */
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
 * `B[]` (it), then `.f` (post) and `| body` when given, each output to k:
 * one loop over the array instead of a continuation per step.  The same
 * outputs and errors, in the same order, as eval() of the whole.
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
		return raw_each(c, in, iter_elem, &x);
	if (in->kind == NV_OBJECT)
		return ST_GIVEUP;	/* key order and duplicates: libjq */
	if (it->sub)
		return ST_OK;
	return lazy_error(c, 3, in, NULL, NULL);
}

/* the status of a direct() that did not give one output, for eval() */
#define NOT_DIRECT(st) ((st) == ST_EMPTY ? ST_OK : (st))

/*
 * n's outputs on in, each to continuation kf(c, x, value): by direct()
 * when n gives at most one, else through eval().
 */
static int
then(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn kf, void *x)
{
	struct lq_nv v;
	int st = direct(c, n, in, &v);

	if (st == ST_OK)
		return kf(c, x, &v);
	if (st != ST_NODIRECT)
		return NOT_DIRECT(st);
	return eval(c, n, in, kf, x);
}

static int
eval(struct lq_jqn_ctx *c, struct node *n, struct lq_nv *in, kfn k, void *kc)
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
			return k_index(c, &x, in);
		return eval(c, n->a, in, k_index, &x);
	case O_ITER:
		if (is_iter1(n))
			return iter_loop(c, n, NULL, NULL, in, k, kc);
		x.n = n;
		if (!n->a)
			return k_iter(c, &x, in);
		return eval(c, n->a, in, k_iter, &x);
	case O_PIPE:
		if (n->b->one && is_iter1(n->a))
			return iter_loop(c, n->a, NULL, n->b, in, k, kc);
		if (n->b->one && (n->a->op == O_FIELD || n->a->op == O_INDEX) &&
		    n->a->a && is_iter1(n->a->a))
			return iter_loop(c, n->a->a, n->a, n->b, in, k, kc);
		st = direct(c, n->a, in, &va);
		if (st == ST_OK)
			return eval(c, n->b, &va, k, kc);
		if (st != ST_NODIRECT)
			return NOT_DIRECT(st);
		x.n = n->b;
		return eval(c, n->a, in, k_pipe, &x);
	case O_COMMA:
		if ((st = eval(c, n->a, in, k, kc)))
			return st;
		return eval(c, n->b, in, k, kc);
	case O_ALT:
		st = direct(c, n->a, in, &va);
		if (st == ST_OK && lq_nv_truthy(&va))
			return k(c, kc, &va);
		if (st == ST_OK || st == ST_EMPTY)
			return eval(c, n->b, in, k, kc);
		if (st != ST_NODIRECT)
			return st;
		if ((st = eval(c, n->a, in, k_alt, &x)))
			return st;
		if (x.flag)
			return ST_OK;
		return eval(c, n->b, in, k, kc);
	case O_AND:
	case O_OR:
		x.n = n->b;
		x.flag = n->op == O_AND;
		return then(c, n->a, in, k_and_a, &x);
	case O_CMP:
	case O_ARITH:
		x.n = n;
		st = direct(c, n->b, in, &vb);
		if (st == ST_NODIRECT)
			return eval(c, n->b, in, k_bin_b, &x);
		if (st != ST_OK)
			return NOT_DIRECT(st);
		x.other = &vb;
		return then(c, n->a, in, k_bin_a, &x);
	case O_NEG:
		return eval(c, n->a, in, k_neg, &x);
	case O_ARRAY: {
		struct coll a = { NULL, 0, 0 };
		struct lq_nv r;
		if (n->a && (st = eval(c, n->a, in, k_collect, &a)))
			return st;
		mk_arr(&r, &a);
		return k(c, kc, &r);
	}
	case O_IF:
		x.n = n;
		return then(c, n->a, in, k_if, &x);
	case O_TRY:
		st = eval(c, n->a, in, k, kc);
		return st == ST_ERR ? ST_OK : st;
	case O_CALL:
		return call(c, n, in, k, kc);
	case O_BIND:
		x.n = n;
		return eval(c, n->a, in, k_bind, &x);
	case O_VAR:
		return k(c, kc, n->a->cur);
	case O_SLICE:
		x.n = n;
		if (!n->a)
			return k_slice(c, &x, in);
		return eval(c, n->a, in, k_slice, &x);
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
		render_type_error(c, &e->a, e->text);
		break;
	case 2:
		render_type_error2(c, &e->a, &e->b, e->text);
		break;
	case 4:
		render_numchk(c, &e->a, e->text);
		break;
	default:
		j = to_jv(c, &e->a);
		fail(c, "Cannot iterate over %s (%s)", kind_names[e->a.kind],
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
	if (c->rmemo_cap < cse_tab.n + 1)
		rmemo_size(c);	/* expressions compiled since the last run */
	if (q->interned != cse_tab.interned) {
		/* and so which subtrees are shared */
		for (struct node *n = q->all; n; n = n->next_alloc) {
			n->shared = n->cse && cse_tab.uses[n->cse - 1] > 1;
			pick_dfn(n);
		}
		q->interned = cse_tab.interned;
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
		return fail(c, "stopped when its values needed more than %zu "
		    "MiB, the budget of an expression on one record (limits: "
		    "memory)", c->memory >> 20);
	return fail(c, "stopped after %ld steps, the budget of an expression "
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
		st = eval(c, q->root, &c->root, k_out, NULL);
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
