/*
 * expr.c - one combined, sandboxed libjq program per rule file.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <oniguruma.h>

#include "lq_buf.h"
#include "lq_expr.h"
#include "lq_jqbox.h"
#include "lq_jqn.h"
#include "lq_time.h"

/* jq 1.6 hardening: builtins that read the environment, other input or
 * files, or print, are unavailable in rule expressions */
static const char prelude[] =
"def env: {};\n"
"def halt: error(\"halt is disabled\");\n"
"def halt_error: error(\"halt_error is disabled\");\n"
"def halt_error($c): error(\"halt_error is disabled\");\n"
"def input: error(\"input is disabled\");\n"
"def inputs: error(\"inputs is disabled\");\n"
"def debug: .;\n"
"def stderr: .;\n"
"def input_filename: null;\n"
"def input_line_number: null;\n"
"def get_search_list: [];\n"
"def get_prog_origin: null;\n"
"def get_jq_origin: null;\n"
"def limit($n; f): if $n > 0 then label $out | foreach f as $item (0; .+1; $item, if . >= $n then break $out else empty end) elif $n == 0 then empty else f end;\n"
"def indices($i): if type == \"array\" and ($i|type) == \"array\" then .[$i]\n"
"  elif type == \"array\" then .[[$i]]\n"
"  elif type == \"string\" and ($i|type) == \"string\" then (if $i == \"\" then null else _strindices($i) end)\n"
"  else .[$i] end;\n"
"def index($i): indices($i) | .[0];\n"
"def rindex($i): indices($i) | .[-1:][0];\n"
"def _jq16_strftime($f): strftime($f);\n"
"def strftime($f): if type == \"number\" then gmtime | _jq16_strftime($f) else _jq16_strftime($f) end;\n"
"def _jq16_strflocaltime($f): strflocaltime($f);\n"
"def strflocaltime($f): if type == \"number\" then localtime | _jq16_strflocaltime($f) else _jq16_strflocaltime($f) end;\n"
"def todateiso8601: strftime(\"%Y-%m-%dT%H:%M:%SZ\");\n"
"def todate: todateiso8601;\n"
LQ_JQN_PRELUDE;

struct slot {
	char *text;
	char *jqtext;		/* what libjq runs, when not text (checks) */
	struct lq_expr_src src;
	struct lq_jqn *native;	/* NULL: libjq only */
	int lazy;		/* evaluate on first use in a record */
	int one;		/* native and at most one output */
};

struct lq_exprs {
	struct slot *s;
	int n, cap;
	struct lq_limits lim;
	int opts;		/* lq_jqn_compile_opt() options */
	const char **texts;	/* the slots' texts, for the box */
	struct lq_jqbox *box;	/* libjq, in its helper process */
};

struct lq_exprs *
lq_exprs_new(void)
{
	struct lq_exprs *x = calloc(1, sizeof(*x));

	if (!x)
		abort();
	x->lim = (struct lq_limits)LQ_LIMITS_DEFAULT;
	return x;
}

void
lq_exprs_set_limits(struct lq_exprs *x, const struct lq_limits *lim)
{
	x->lim = *lim;
}

/* a size: a whole number of bytes, or with KiB, MiB, GiB (or K, M, G) */
static int
ysize(const struct lq_ydoc *d, const struct lq_ynode *v, size_t *out,
    struct lq_err *err)
{
	char *end;
	double n;

	if (v->kind != LQ_Y_SCALAR || !v->len)
		return lq_yerr(d, v, err, "memory must be a size such as "
		    "512MiB or 2GiB");
	errno = 0;
	n = strtod(v->str, &end);
	while (*end == ' ')
		end++;
	double mult = !*end ? 1 : !strcmp(end, "KiB") || !strcmp(end, "K") ?
	    1024 : !strcmp(end, "MiB") || !strcmp(end, "M") ? 1 << 20 :
	    !strcmp(end, "GiB") || !strcmp(end, "G") ? 1 << 30 : -1;
	if (end == v->str || errno || mult < 0 || !(n >= 0) || n != floor(n) ||
	    n * mult > 1e15)
		return lq_yerr(d, v, err, "memory must be a size such as "
		    "512MiB or 2GiB, not '%s'", v->str);
	*out = (size_t)(n * mult);
	if (*out && *out < (1 << 20))
		return lq_yerr(d, v, err, "memory must be at least 1MiB (or 0 "
		    "for no limit), not '%s'", v->str);
	return 0;
}

int
lq_limits_load(const struct lq_ydoc *d, struct lq_limits *lim,
    struct lq_err *err)
{
	static const char *const keys[] = { "steps", "memory", "time",
		"compile", NULL };
	const struct lq_ynode *m, *v;

	if (!d->root || d->root->kind != LQ_Y_MAP ||
	    !(m = lq_ymap_get(d->root, "limits")))
		return 0;
	if (lq_ymap_check(d, m, "limits", keys, err))
		return -1;
	if ((v = lq_ymap_get(m, "steps")) && lq_yint_in(d, v, "steps", 1000,
	    1000000000000L, &lim->steps, err))
		return -1;
	if ((v = lq_ymap_get(m, "memory")) && ysize(d, v, &lim->memory, err))
		return -1;
	if ((v = lq_ymap_get(m, "time")) && lq_ydur_in(d, v, "time", 0.001,
	    3600, &lim->time, err))
		return -1;
	if ((v = lq_ymap_get(m, "compile")) && lq_ydur_in(d, v, "compile", 1,
	    3600, &lim->compile, err))
		return -1;
	return 0;
}

void
lq_exprs_free(struct lq_exprs *x)
{
	int i;

	if (!x)
		return;
	for (i = 0; i < x->n; i++) {
		free(x->s[i].text);
		free(x->s[i].jqtext);
		lq_jqn_free(x->s[i].native);
	}
	free(x->s);
	lq_jqbox_free(x->box);
	free(x->texts);
	free(x);
}

static const char *const forbidden[] = {
	"env", "input", "inputs", "debug", "stderr", "input_filename",
	"input_line_number", "halt", "halt_error", "import", "include",
	"get_search_list", "get_prog_origin", "get_jq_origin", "$ENV",
	"$__loc__", "$__prog_args", NULL
};

/* Report a lint error at byte offset off of the expression text. */
static int
src_err(const struct lq_expr_src *src, const char *text, size_t off,
    struct lq_err *err, const char *msg)
{
	int line = src->line, col = src->col;

	if (src->block) {
		size_t i, k = 0, c = 0;
		for (i = 0; i < off; i++) {
			if (text[i] == '\n') {
				k++;
				c = 0;
			} else
				c++;
		}
		line = src->line + 1 + (int)k;
		col = src->col + (int)c;
	}
	return lq_err_at(err, src->file, line, col, "jq: %s", msg);
}

/*
 * The index past the string literal (t[i] is '"'; \( interpolation
 * skipped roughly) or the comment (t[i] is '#') that starts at i.
 */
static size_t
skip_string_comment(const char *t, size_t n, size_t i)
{
	if (t[i] == '#') {
		while (i < n && t[i] != '\n')
			i++;
		return i;
	}
	i++;
	while (i < n && t[i] != '"')
		i += t[i] == '\\' ? 2 : 1;
	return i + 1;
}

/*
 * Refuse forbidden identifiers: scan tokens outside string literals; a
 * name preceded by '.' is a field, one followed by ':' an object key.
 */
static int
lint(const char *t, const struct lq_expr_src *src, struct lq_err *err)
{
	size_t i = 0, n = strlen(t);

	while (i < n) {
		char c = t[i];
		if (c == '"' || c == '#') {
			i = skip_string_comment(t, n, i);
			continue;
		}
		if (c == '$' || isalpha((unsigned char)c) || c == '_') {
			size_t s = i++;
			while (i < n && (isalnum((unsigned char)t[i]) ||
			    t[i] == '_'))
				i++;
			size_t j = i;
			while (j < n && (t[j] == ' ' || t[j] == '\t'))
				j++;
			int field = s > 0 && t[s - 1] == '.';
			int objkey = j < n && t[j] == ':' && c != '$';
			if (field || objkey)
				continue;
			for (int k = 0; forbidden[k]; k++) {
				if (strlen(forbidden[k]) == i - s &&
				    !memcmp(forbidden[k], t + s, i - s)) {
					char msg[200];
					snprintf(msg, sizeof(msg), "'%s' is not "
					    "allowed in rule expressions (an "
					    "expression sees only the record)",
					    forbidden[k]);
					return src_err(src, t, s, err, msg);
				}
			}
			continue;
		}
		i++;
	}
	return 0;
}

/*
 * Decode the jq string literal starting at t[*i] (a '"') into out; 0, or
 * -1 when it is not a constant (interpolation) or not closed.  *i ends
 * past the closing quote.
 */
static int
str_lit(const char *t, size_t n, size_t *i, struct lq_buf *out)
{
	size_t j = *i + 1;

	lq_buf_reset(out);
	while (j < n && t[j] != '"') {
		if (t[j] != '\\') {
			lq_buf_addc(out, t[j++]);
			continue;
		}
		if (++j >= n)
			return -1;
		if (t[j] == 'u') {
			/* \uXXXX (pairs): decode through the JSON scanner */
			struct lq_buf tmp = LQ_BUF_INIT;
			size_t k = j - 1;
			lq_buf_addc(&tmp, '"');
			while (k < n && t[k] == '\\' && k + 5 < n &&
			    t[k + 1] == 'u') {
				lq_buf_add(&tmp, t + k, 6);
				k += 6;
			}
			lq_buf_addc(&tmp, '"');
			lq_json_unescape(out, tmp.buf, tmp.len);
			lq_buf_release(&tmp);
			j = k;
			continue;
		}
		if (lq_json_unescape_char(out, t[j]) < 0)
			return -1;	/* \( interpolation, or jq's error */
		j++;
	}
	if (j >= n)
		return -1;
	*i = j + 1;
	return 0;
}

static const char *const regex_fns[] = {
	"test", "match", "capture", "scan", "split", "splits", "sub", "gsub",
	NULL
};

/*
 * Compile the constant regexes of regex builtins (test("..."; "...") and
 * the like) as jq 1.6's f_match does, so that an invalid one is a load
 * error at its position rather than an error on every record, whichever
 * evaluator runs the expression.
 */
static int
check_regexes(const char *t, const struct lq_expr_src *src,
    struct lq_err *err)
{
	size_t i = 0, n = strlen(t);
	struct lq_buf re = LQ_BUF_INIT, fl = LQ_BUF_INIT;
	int rc = 0;

	while (i < n && !rc) {
		char c = t[i];
		if (c == '"' || c == '#') {
			i = skip_string_comment(t, n, i);
			continue;
		}
		if (!isalpha((unsigned char)c) && c != '_') {
			i++;
			continue;
		}
		size_t s = i;
		while (i < n && (isalnum((unsigned char)t[i]) || t[i] == '_'))
			i++;
		if ((s > 0 && (t[s - 1] == '.' || t[s - 1] == '$' ||
		    isalnum((unsigned char)t[s - 1]))))
			continue;
		int k;
		for (k = 0; regex_fns[k]; k++)
			if (strlen(regex_fns[k]) == i - s &&
			    !memcmp(regex_fns[k], t + s, i - s))
				break;
		if (!regex_fns[k])
			continue;
		size_t j = i;
		while (j < n && isspace((unsigned char)t[j]))
			j++;
		if (j >= n || t[j] != '(')
			continue;
		j++;
		while (j < n && isspace((unsigned char)t[j]))
			j++;
		size_t at = j;
		if (j >= n || t[j] != '"' || str_lit(t, n, &j, &re) < 0)
			continue;
		while (j < n && isspace((unsigned char)t[j]))
			j++;
		int haveflags = 0;
		if (j < n && t[j] == ';') {
			/* test(re; flags): the flags when they are a literal
			 * (sub/gsub's second argument is the replacement) */
			size_t f = j + 1;
			while (f < n && isspace((unsigned char)t[f]))
				f++;
			if (strcmp(regex_fns[k], "sub") && strcmp(regex_fns[k],
			    "gsub")) {
				if (f + 4 <= n && !strncmp(t + f, "null", 4)) {
					f += 4;
					lq_buf_reset(&fl);
				} else if (f >= n || t[f] != '"' ||
				    str_lit(t, n, &f, &fl) < 0) {
					continue;	/* flags not constant */
				}
				while (f < n && isspace((unsigned char)t[f]))
					f++;
				if (f >= n || t[f] != ')')
					continue;
				haveflags = 1;
			}
		} else if (j >= n || t[j] != ')') {
			continue;	/* not the regex argument alone */
		}
		unsigned opt;
		if (lq_jqn_regex_flags(fl.buf ? fl.buf : "", haveflags ?
		    fl.len : 0, &opt) < 0) {
			char msg[300];
			snprintf(msg, sizeof(msg), "%.*s is not a valid "
			    "modifier string", (int)fl.len, fl.buf);
			rc = src_err(src, t, at, err, msg);
			goto out;
		}
		OnigRegex reg;
		OnigErrorInfo einfo;
		int r = onig_new(&reg, (const UChar *)(re.buf ? re.buf : ""),
		    (const UChar *)(re.buf ? re.buf : "") + re.len, opt,
		    ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &einfo);
		if (r != ONIG_NORMAL) {
			UChar ebuf[ONIG_MAX_ERROR_MESSAGE_LEN];
			char msg[ONIG_MAX_ERROR_MESSAGE_LEN + 300];
			onig_error_code_to_str(ebuf, r, &einfo);
			snprintf(msg, sizeof(msg), "invalid regex in %s(): %s "
			    "(jq would fail on every record)", regex_fns[k],
			    (const char *)ebuf);
			rc = src_err(src, t, at, err, msg);
			goto out;
		}
		onig_free(reg);
	}
out:
	lq_buf_release(&re);
	lq_buf_release(&fl);
	return rc;
}

int
lq_exprs_add(struct lq_exprs *x, const char *text,
    const struct lq_expr_src *src, struct lq_err *err)
{
	if (lint(text, src, err) || check_regexes(text, src, err))
		return -1;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		x->s = realloc(x->s, (size_t)x->cap * sizeof(*x->s));
		if (!x->s)
			abort();
	}
	x->s[x->n].text = strdup(text);
	x->s[x->n].jqtext = NULL;
	x->s[x->n].src = *src;
	x->s[x->n].native = NULL;
	x->s[x->n].lazy = 0;
	x->s[x->n].one = 0;
	return x->n++;
}

int
lq_exprs_add_node(struct lq_exprs *x, const struct lq_ydoc *doc,
    const struct lq_ynode *node, const char *what, struct lq_err *err)
{
	struct lq_expr_src src;
	const char *text;

	if (lq_ystr(doc, node, what, &text, err))
		return -1;
	if (!*text)
		return lq_yerr(doc, node, err, "%s is empty", what);
	src.file = doc->file;
	lq_ynode_text_pos(doc, node, &src.line, &src.col);
	src.block = node->style == LQ_Y_LITERAL;
	if (src.block)
		src.line--;	/* block text line k is file line line+1+k */
	return lq_exprs_add(x, text, &src, err);
}

int
lq_exprs_compile_in(struct lq_exprs *x, const struct lq_ydoc *d,
    struct lq_err *err)
{
	struct lq_limits lim = LQ_LIMITS_DEFAULT;

	if (d && lq_limits_load(d, &lim, err))
		return -1;
	lq_exprs_set_limits(x, &lim);
	return lq_exprs_compile(x, err);
}

int
lq_exprs_compile(struct lq_exprs *x, struct lq_err *err)
{
	const char *e = getenv("LQ_EVAL");
	int native = !(e && !strcmp(e, "jq")), i, bad, line, rc;
	unsigned char *need;
	struct lq_buf msg = LQ_BUF_INIT;
	struct lq_jqbox_limits bl;

	lq_jqbox_free(x->box);
	x->box = NULL;
	free(x->texts);
	if (!(x->texts = calloc((size_t)x->n + 1, sizeof(*x->texts))) ||
	    !(need = calloc((size_t)x->n + 1, 1)))
		abort();
	for (i = 0; i < x->n; i++) {
		struct lq_jqn *q = NULL;
		lq_jqn_free(x->s[i].native);
		free(x->s[i].jqtext);
		x->s[i].jqtext = NULL;
		/* the checks are the same whichever evaluator runs */
		if (native || x->opts)
			q = lq_jqn_compile_opt(x->s[i].text, x->opts);
		if (q && x->opts) {
			struct lq_buf b = LQ_BUF_INIT;
			if (lq_jqn_checked_text(q, x->s[i].text, &b) > 0)
				x->s[i].jqtext = b.buf;
			else
				lq_buf_release(&b);
		}
		if (!native) {
			lq_jqn_free(q);
			q = NULL;
		}
		x->s[i].native = q;
		x->s[i].one = x->s[i].native && lq_jqn_is_one(x->s[i].native);
		if (x->s[i].native)
			lq_jqn_set_limits(x->s[i].native, x->lim.steps,
			    x->lim.memory);
		need[i] = !x->s[i].native;
		x->texts[i] = x->s[i].jqtext ? x->s[i].jqtext : x->s[i].text;
	}
	bl.cpu = x->lim.time;
	bl.compile = x->lim.compile;
	bl.memory = x->lim.memory;
	if (!(x->box = lq_jqbox_new(x->texts, x->n, prelude, &bl)))
		abort();
	/*
	 * The native parser accepts only a strict subset of jq's grammar:
	 * what it refused is compiled by libjq now, for jq's own messages;
	 * the rest only if a record ever needs it.
	 */
	for (i = 0; i < x->n && !need[i]; i++)
		;
	if (i == x->n) {
		free(need);
		return 0;
	}
	rc = lq_jqbox_start(x->box, need, &bad, &line, &msg, err);
	free(need);
	if (rc == 0 || bad < 0) {
		lq_buf_release(&msg);
		return rc;
	}
	const struct lq_expr_src *src = &x->s[bad].src;
	if (src->block && line > 0)
		lq_err_at(err, src->file, src->line + line, src->col,
		    "jq: %s", msg.buf);
	else
		lq_err_at(err, src->file, src->line, src->col, "jq: %s",
		    msg.buf);
	lq_buf_release(&msg);
	return -1;
}

/*
 * Run slots[0..k) with libjq on the record text rec[0..len) and store
 * their results in *res (an array of x->n entries, created when invalid).
 */
static int
run_box(struct lq_exprs *x, const char *rec, size_t len, const jv *recjv,
    const char *skip, const int *slots, int k, jv *res, struct lq_err *err)
{
	jv *out = malloc((size_t)(k ? k : 1) * sizeof(*out));
	int rc;

	if (!out)
		abort();
	rc = recjv ? lq_jqbox_run_jv(x->box, *recjv, slots, k, out, err) :
	    lq_jqbox_run(x->box, rec, len, skip, slots, k, out, err);
	if (rc < 0) {
		free(out);
		return -1;
	}
	if (!jv_is_valid(*res)) {
		*res = jv_array();
		if (x->n)
			*res = jv_array_set(*res, x->n - 1, jv_null());
	}
	for (int i = 0; i < k; i++)
		*res = jv_array_set(*res, slots[i], out[i]);
	free(out);
	return 0;
}

jv
lq_exprs_run(struct lq_exprs *x, jv rec)
{
	jv r = jv_invalid();
	int *all = malloc((size_t)(x->n ? x->n : 1) * sizeof(int));
	struct lq_err err;

	if (!all)
		abort();
	for (int i = 0; i < x->n; i++)
		all[i] = i;
	if (run_box(x, NULL, 0, &rec, NULL, all, x->n, &r, &err) < 0)
		r = jv_invalid_with_msg(jv_string(err.msg));
	else if (!jv_is_valid(r))
		r = jv_array();
	free(all);
	jv_free(rec);
	return r;
}

enum lq_truth
lq_exprs_truth(jv results, int i, const char **why)
{
	jv slot = jv_array_get(jv_copy(results), i);
	enum lq_truth t = LQ_FALSE;

	if (jv_get_kind(slot) == JV_KIND_OBJECT) {
		if (why) {
			/* the message lives in results, which outlives this */
			jv m = jv_object_get(jv_copy(slot), jv_string("error"));
			*why = jv_get_kind(m) == JV_KIND_STRING ?
			    jv_string_value(m) : "error";
			jv_free(m);	/* results still holds a reference */
		}
		jv_free(slot);
		return LQ_UNKNOWN;
	}
	int n = jv_array_length(jv_copy(slot));
	for (int k = 0; k < n; k++) {
		jv v = jv_array_get(jv_copy(slot), k);
		jv_kind kd = jv_get_kind(v);
		jv_free(v);
		if (kd != JV_KIND_FALSE && kd != JV_KIND_NULL) {
			t = LQ_TRUE;
			break;
		}
	}
	jv_free(slot);
	return t;
}

jv
lq_exprs_outputs(jv results, int i)
{
	jv slot = jv_array_get(jv_copy(results), i);

	if (jv_get_kind(slot) == JV_KIND_OBJECT) {
		jv m = jv_object_get(slot, jv_string("error"));
		if (jv_get_kind(m) != JV_KIND_STRING)
			m = jv_dump_string(m, 0);
		return jv_invalid_with_msg(m);
	}
	return slot;
}

jv
lq_expr_parse_record(const char *line, size_t len)
{
	return jv_parse_sized(line, (int)len);
}

void
lq_exprs_check_numbers(struct lq_exprs *x)
{
	x->opts |= LQ_JQN_NUMCHECK;
}

void
lq_exprs_set_lazy(struct lq_exprs *x, int i)
{
	x->s[i].lazy = 1;
}

int
lq_exprs_is_native(const struct lq_exprs *x, int i)
{
	return x->s[i].native != NULL;
}

/* ---- per-record results ------------------------------------------------ */

struct res {
	int pending;		/* lazy slot not evaluated yet */
	int st;			/* LQ_JQN_OK or LQ_JQN_ERROR */
	int fromjq;		/* answer is (to be) in ev->jqres */
	int jqhave;		/* ev->jqres holds it for this record */
	struct lq_nv *outs;	/* &one, or copies in the record's arena */
	size_t n;
	struct lq_jqn_err *err;
	struct lq_nv one;	/* the output when there is just one */
};

struct lq_eval {
	struct lq_exprs *x;
	const char *line;	/* the current record (for lazy slots) */
	size_t len;
	const char *skipkey;
	struct lq_jqn_ctx *ctx;
	struct res *r;
	jv jqres;		/* libjq results of this record, or invalid */
	int *want;		/* slots for libjq (scratch) */
	jv *recjv;		/* lq_eval_jv's record (borrowed), or NULL */
	long jq_records;
};

struct lq_eval *
lq_eval_new(struct lq_exprs *x)
{
	struct lq_eval *ev = calloc(1, sizeof(*ev));

	if (!ev)
		abort();
	ev->x = x;
	ev->ctx = lq_jqn_ctx_new();
	ev->r = calloc((size_t)x->n + 1, sizeof(*ev->r));
	ev->want = calloc((size_t)x->n + 1, sizeof(*ev->want));
	if (!ev->r || !ev->want)
		abort();
	ev->jqres = jv_invalid();
	return ev;
}

void
lq_eval_free(struct lq_eval *ev)
{
	if (!ev)
		return;
	lq_jqn_ctx_free(ev->ctx);
	free(ev->r);
	free(ev->want);
	jv_free(ev->jqres);
	free(ev);
}

static int jq_record(struct lq_eval *ev, struct lq_err *err);

int
lq_eval_jv(struct lq_eval *ev, jv rec, struct lq_err *err)
{
	int rc;

	jv_free(ev->jqres);
	ev->jqres = jv_invalid();
	for (int i = 0; i < ev->x->n; i++) {
		ev->r[i].fromjq = 1;
		ev->r[i].jqhave = 0;
		ev->r[i].pending = 0;
	}
	ev->recjv = &rec;
	ev->skipkey = NULL;
	rc = jq_record(ev, err);
	ev->recjv = NULL;
	return rc;
}

static inline int run_native(struct lq_eval *ev, int i);

/* make sure a lazy slot has its value */
static struct res *
get(struct lq_eval *ev, int i)
{
	struct res *r = &ev->r[i];
	struct lq_err err;

	if (!r->pending)
		return r;
	if (ev->x->s[i].native && run_native(ev, i) == 0)
		return r;
	r->pending = 0;
	r->fromjq = 1;
	jq_record(ev, &err);	/* on failure the slot reads as an error */
	return r;
}

int
lq_eval_record(struct lq_eval *ev, const char *line, size_t len,
    const struct lq_scan *scan, const char *skipkey, struct lq_err *err)
{
	int need_jq = 0;

	jv_free(ev->jqres);
	ev->jqres = jv_invalid();
	lq_jqn_start(ev->ctx, line, len, scan, skipkey);
	ev->line = line;
	ev->len = len;
	ev->skipkey = skipkey;
	for (int i = 0; i < ev->x->n; i++) {
		struct res *r = &ev->r[i];
		r->fromjq = 0;
		r->jqhave = 0;
		r->pending = 0;
		if (ev->x->s[i].lazy) {
			r->pending = 1;
			continue;
		}
		if (!ev->x->s[i].native) {
			r->fromjq = need_jq = 1;
			continue;
		}
		if (run_native(ev, i) < 0)
			need_jq = 1;
	}
	if (!need_jq)
		return 0;
	return jq_record(ev, err);
}

/* Evaluate slot i natively; -1 when it needs libjq. */
static inline int
run_native(struct lq_eval *ev, int i)
{
	struct res *r = &ev->r[i];
	struct lq_nv *outs;
	size_t n;

	r->pending = 0;
	if (ev->x->s[i].one) {
		r->st = lq_jqn_run1(ev->ctx, ev->x->s[i].native, &r->one, &n,
		    &r->err);
		if (r->st == LQ_JQN_GIVEUP) {
			r->fromjq = 1;
			return -1;
		}
		r->outs = r->st == LQ_JQN_OK ? &r->one : NULL;
		r->n = r->st == LQ_JQN_OK ? n : 0;
		return 0;
	}
	r->st = lq_jqn_run(ev->ctx, ev->x->s[i].native, &outs, &n, &r->err);
	if (r->st == LQ_JQN_GIVEUP) {
		r->fromjq = 1;
		return -1;
	}
	if (r->st != LQ_JQN_OK) {
		r->outs = NULL;
	} else if (n == 1) {
		r->one = outs[0];
		r->outs = &r->one;
	} else {
		r->outs = lq_jqn_keep(ev->ctx, outs, n);
	}
	r->n = n;
	return 0;
}

/*
 * Evaluate with libjq, in one request, every slot of the current record
 * that needs it and does not have its answer yet (lazy ones only once
 * asked for).  On failure those slots read as errors.
 */
static int
jq_record(struct lq_eval *ev, struct lq_err *err)
{
	int k = 0;

	for (int i = 0; i < ev->x->n; i++)
		if (ev->r[i].fromjq && !ev->r[i].jqhave && !ev->r[i].pending)
			ev->want[k++] = i;
	if (!k)
		return 0;
	ev->jq_records++;
	int rc = run_box(ev->x, ev->line, ev->len, ev->recjv, ev->skipkey,
	    ev->want, k, &ev->jqres, err);
	if (rc < 0) {
		jv e = jv_object_set(jv_object(), jv_string("error"),
		    jv_string(err->msg));
		if (!jv_is_valid(ev->jqres)) {
			ev->jqres = jv_array();
			if (ev->x->n)
				ev->jqres = jv_array_set(ev->jqres,
				    ev->x->n - 1, jv_null());
		}
		for (int j = 0; j < k; j++)
			ev->jqres = jv_array_set(ev->jqres, ev->want[j],
			    jv_copy(e));
		jv_free(e);
		lq_err_prefix(err, "cannot evaluate");
	}
	for (int j = 0; j < k; j++)
		ev->r[ev->want[j]].jqhave = 1;
	return rc;
}

enum lq_truth
lq_eval_truth(struct lq_eval *ev, int i, const char **why)
{
	struct res *r = get(ev, i);

	if (r->fromjq)
		return lq_exprs_truth(ev->jqres, i, why);
	if (r->st == LQ_JQN_ERROR) {
		if (why)
			*why = lq_jqn_msg(ev->ctx, r->err);
		return LQ_UNKNOWN;
	}
	for (size_t k = 0; k < r->n; k++)
		if (lq_nv_truthy(&r->outs[k]))
			return LQ_TRUE;
	return LQ_FALSE;
}

long
lq_eval_count(struct lq_eval *ev, int i)
{
	struct res *r = get(ev, i);

	if (r->fromjq) {
		jv o = lq_exprs_outputs(ev->jqres, i);
		long n = jv_is_valid(o) ? jv_array_length(jv_copy(o)) : -1;
		jv_free(o);
		return n;
	}
	return r->st == LQ_JQN_OK ? (long)r->n : -1;
}

int
lq_eval_time(struct lq_eval *ev, int i, long k, double *t)
{
	struct res *r = get(ev, i);

	if (r->fromjq) {
		jv v = lq_eval_output(ev, i, k);
		int rc = -1;
		if (jv_get_kind(v) == JV_KIND_NUMBER &&
		    isfinite(jv_number_value(v))) {
			*t = lq_time_from_number(jv_number_value(v));
			rc = 0;
		} else if (jv_get_kind(v) == JV_KIND_STRING) {
			rc = lq_time_parse(jv_string_value(v),
			    (size_t)jv_string_length_bytes(jv_copy(v)), t);
		}
		jv_free(v);
		return rc;
	}
	const struct lq_nv *v = &r->outs[k];
	if (v->kind == NV_NUMBER && isfinite(v->num)) {
		*t = lq_time_from_number(v->num);
		return 0;
	}
	if (v->kind == NV_STRING) {
		size_t n;
		const char *s = lq_nv_str(ev->ctx, v, &n);
		return lq_time_parse(s, n, t);
	}
	return -1;
}

jv
lq_eval_results(struct lq_eval *ev)
{
	jv a = jv_array();

	for (int i = 0; i < ev->x->n; i++) {
		long n = lq_eval_count(ev, i);
		jv s;
		if (n < 0) {
			jv e = lq_eval_output(ev, i, 0);
			jv m = jv_invalid_get_msg(e);
			s = jv_object_set(jv_object(), jv_string("error"), m);
		} else {
			s = jv_array();
			for (long k = 0; k < n; k++)
				s = jv_array_append(s, lq_eval_output(ev, i, k));
		}
		a = jv_array_append(a, s);
	}
	return a;
}

jv
lq_eval_output(struct lq_eval *ev, int i, long k)
{
	struct res *r = get(ev, i);

	if (r->fromjq) {
		jv o = lq_exprs_outputs(ev->jqres, i);
		if (!jv_is_valid(o))
			return o;
		return jv_array_get(o, (int)k);
	}
	if (r->st != LQ_JQN_OK)
		return jv_invalid_with_msg(jv_string(lq_jqn_msg(ev->ctx,
		    r->err)));
	return lq_nv_to_jv(&r->outs[k]);
}

int
lq_eval_missing(struct lq_eval *ev, int i)
{
	struct res *r = get(ev, i);

	if (r->fromjq) {
		jv o = lq_exprs_outputs(ev->jqres, i);
		int miss = !jv_is_valid(o) || jv_array_length(jv_copy(o)) == 0;
		if (!miss) {
			jv v = jv_array_get(jv_copy(o), 0);
			miss = jv_get_kind(v) == JV_KIND_NULL;
			jv_free(v);
		}
		jv_free(o);
		return miss;
	}
	return r->st != LQ_JQN_OK || r->n == 0 || r->outs[0].kind == NV_NULL;
}

int
lq_eval_kind(struct lq_eval *ev, int i)
{
	struct res *r = get(ev, i);

	if (r->fromjq) {
		jv o = lq_exprs_outputs(ev->jqres, i);
		int k = -1;
		if (jv_is_valid(o) && jv_array_length(jv_copy(o)) > 0) {
			jv v = jv_array_get(jv_copy(o), 0);
			switch (jv_get_kind(v)) {
			case JV_KIND_NULL: k = NV_NULL; break;
			case JV_KIND_FALSE: k = NV_FALSE; break;
			case JV_KIND_TRUE: k = NV_TRUE; break;
			case JV_KIND_NUMBER: k = NV_NUMBER; break;
			case JV_KIND_STRING: k = NV_STRING; break;
			case JV_KIND_ARRAY: k = NV_ARRAY; break;
			case JV_KIND_OBJECT: k = NV_OBJECT; break;
			default: break;
			}
			jv_free(v);
		}
		jv_free(o);
		return k;
	}
	return r->st != LQ_JQN_OK || r->n == 0 ? -1 : r->outs[0].kind;
}

jv_kind
lq_eval_peek(struct lq_eval *ev, int i, long k, const char **s, size_t *n)
{
	struct res *r = get(ev, i);
	const struct lq_nv *v;
	jv_kind kind;

	*s = NULL;
	*n = 0;
	if (r->fromjq || r->st != LQ_JQN_OK) {
		jv o = lq_eval_output(ev, i, k);
		kind = jv_get_kind(o);
		if (kind == JV_KIND_STRING) {
			/* the string stays referenced by ev->jqres */
			*s = jv_string_value(o);
			*n = (size_t)jv_string_length_bytes(jv_copy(o));
		} else if (kind == JV_KIND_ARRAY)
			*n = jv_array_length(jv_copy(o)) > 0;
		else if (kind == JV_KIND_OBJECT)
			*n = jv_object_length(jv_copy(o)) > 0;
		jv_free(o);
		return kind;
	}
	if (k < 0 || (size_t)k >= r->n)
		return JV_KIND_INVALID;
	v = &r->outs[k];
	switch (v->kind) {
	case NV_NULL: return JV_KIND_NULL;
	case NV_FALSE: return JV_KIND_FALSE;
	case NV_TRUE: return JV_KIND_TRUE;
	case NV_NUMBER: return JV_KIND_NUMBER;
	case NV_STRING:
		*s = lq_nv_str(ev->ctx, v, n);
		return JV_KIND_STRING;
	default:
		break;
	}
	if (v->raw) {
		/* non-empty: something other than white space after [ or { */
		size_t j = 1;
		while (j < v->n && (v->p[j] == ' ' || v->p[j] == '\t' ||
		    v->p[j] == '\n' || v->p[j] == '\r'))
			j++;
		*n = j < v->n && v->p[j] != ']' && v->p[j] != '}';
	} else if (v->kind == NV_ARRAY)
		*n = v->n > 0;
	else {
		jv o = lq_nv_to_jv(v);
		*n = jv_object_length(o) > 0;
	}
	return v->kind == NV_ARRAY ? JV_KIND_ARRAY : JV_KIND_OBJECT;
}

/* bytes jq 1.6 writes as they are in a string (no quote, backslash, control
   character nor DEL; the bytes are valid UTF-8 already) */
static int
plain_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
			return 0;
	}
	return 1;
}

/* s[0..n) is valid UTF-8 */
static int
utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (!(k = lq_utf8_decode(p + i, n - i, &cp)))
			return 0;
		i += k;
	}
	return 1;
}

/* an integer literal: -?[0-9]+ */
static int
int_literal(const char *s, size_t n)
{
	size_t i = n && *s == '-';

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
lq_eval_dump(struct lq_eval *ev, int i, long k, struct lq_buf *out)
{
	struct res *r = get(ev, i);
	const struct lq_nv *v;

	if (!r->fromjq && r->st == LQ_JQN_OK && k >= 0 && (size_t)k < r->n) {
		v = &r->outs[k];
		switch (v->kind) {
		case NV_NULL:
			lq_buf_adds(out, "null");
			return 0;
		case NV_FALSE:
			lq_buf_adds(out, "false");
			return 0;
		case NV_TRUE:
			lq_buf_adds(out, "true");
			return 0;
		case NV_NUMBER:
			if (v->raw && int_literal(v->p, v->n)) {
				lq_buf_add(out, v->p, v->n);
				return 0;
			}
			break;
		case NV_STRING:
			/* (esc may be 2, not known yet: plain_bytes() looks
			   for a backslash itself) */
			if (v->raw && v->esc != 1 && v->n >= 2 &&
			    plain_bytes(v->p + 1, v->n - 2)) {
				lq_buf_add(out, v->p, v->n);
				return 0;
			}
			if (!v->raw && plain_bytes(v->p, v->n) &&
			    utf8_ok(v->p, v->n)) {
				lq_buf_addc(out, '"');
				lq_buf_add(out, v->p, v->n);
				lq_buf_addc(out, '"');
				return 0;
			}
			break;
		default:
			break;
		}
	}
	jv o = lq_eval_output(ev, i, k);
	if (!jv_is_valid(o)) {
		jv_free(o);
		return -1;
	}
	jv d = jv_dump_string(o, 0);
	lq_buf_adds(out, jv_string_value(d));
	jv_free(d);
	return 0;
}
