/*
 * expr.c - one combined, sandboxed libjq program per rule file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <oniguruma.h>

#include "lq_buf.h"
#include "lq_expr.h"
#include "lq_jqn.h"
#include "lq_time.h"

/* jq 1.6 hardening (libjq brief, section 5.2) */
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
"def todate: todateiso8601;\n";

struct slot {
	char *text;
	struct lq_expr_src src;
	struct lq_jqn *native;	/* NULL: libjq only */
	int lazy;		/* evaluate on first use in a record */
	int one;		/* native and at most one output */
};

struct lq_exprs {
	struct slot *s;
	int n, cap;
	jq_state *jq;
	int deferred;		/* jq program not built yet (all native) */
	struct lq_buf errbuf;	/* first compile error message */
};

struct lq_exprs *
lq_exprs_new(void)
{
	struct lq_exprs *x = calloc(1, sizeof(*x));

	if (!x)
		abort();
	return x;
}

void
lq_exprs_free(struct lq_exprs *x)
{
	int i;

	if (!x)
		return;
	for (i = 0; i < x->n; i++) {
		free(x->s[i].text);
		lq_jqn_free(x->s[i].native);
	}
	free(x->s);
	if (x->jq)
		jq_teardown(&x->jq);
	lq_buf_release(&x->errbuf);
	free(x);
}

int
lq_exprs_count(const struct lq_exprs *x)
{
	return x->n;
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
 * Refuse forbidden identifiers: scan tokens outside string literals; a
 * name preceded by '.' is a field, one followed by ':' an object key.
 */
static int
lint(const char *t, const struct lq_expr_src *src, struct lq_err *err)
{
	size_t i = 0, n = strlen(t);

	while (i < n) {
		char c = t[i];
		if (c == '"') {
			/* skip a string, including \( interpolation roughly */
			i++;
			while (i < n && t[i] != '"') {
				if (t[i] == '\\')
					i++;
				i++;
			}
			i++;
			continue;
		}
		if (c == '#') {
			while (i < n && t[i] != '\n')
				i++;
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
		switch (t[j]) {
		case '"': case '\\': case '/': lq_buf_addc(out, t[j]); break;
		case 'b': lq_buf_addc(out, '\b'); break;
		case 'f': lq_buf_addc(out, '\f'); break;
		case 'n': lq_buf_addc(out, '\n'); break;
		case 'r': lq_buf_addc(out, '\r'); break;
		case 't': lq_buf_addc(out, '\t'); break;
		case 'u': {
			/* jq's escapes: decode through the JSON scanner */
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
		default:
			return -1;	/* \( interpolation, or jq's error */
		}
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
		if (c == '"') {
			i++;
			while (i < n && t[i] != '"')
				i += t[i] == '\\' ? 2 : 1;
			i++;
			continue;
		}
		if (c == '#') {
			while (i < n && t[i] != '\n')
				i++;
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
		OnigOptionType opt = ONIG_OPTION_CAPTURE_GROUP;
		for (size_t q = 0; haveflags && q < fl.len; q++) {
			switch (fl.buf[q]) {
			case 'g': break;
			case 'i': opt |= ONIG_OPTION_IGNORECASE; break;
			case 'x': opt |= ONIG_OPTION_EXTEND; break;
			case 'n': opt |= ONIG_OPTION_FIND_NOT_EMPTY; break;
			case 's': opt |= ONIG_OPTION_SINGLELINE; break;
			case 'p': opt |= ONIG_OPTION_MULTILINE |
			    ONIG_OPTION_SINGLELINE; break;
			case 'l': opt |= ONIG_OPTION_FIND_LONGEST; break;
			default: {
				char msg[300];
				snprintf(msg, sizeof(msg), "%.*s is not a valid "
				    "modifier string", (int)fl.len, fl.buf);
				rc = src_err(src, t, at, err, msg);
				goto out;
			}
			}
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

static void
err_cb(void *data, jv msg)
{
	struct lq_buf *b = data;

	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	if (!b->len)
		lq_buf_adds(b, jv_string_value(msg));
	jv_free(msg);
}

static jq_state *
new_state(struct lq_buf *errbuf)
{
	jq_state *jq = jq_init();

	if (!jq)
		return NULL;
	jq_set_error_cb(jq, err_cb, errbuf);
	jq_set_input_cb(jq, NULL, NULL);
	jq_set_debug_cb(jq, NULL, NULL);
	return jq;
}

static void
build(struct lq_buf *p, struct slot *s, int n)
{
	int i;

	lq_buf_adds(p, prelude);
	lq_buf_adds(p, "{} as $ENV | [");
	for (i = 0; i < n; i++) {
		if (i)
			lq_buf_addc(p, ',');
		lq_buf_adds(p, "(try [\n");
		lq_buf_adds(p, s[i].text);
		lq_buf_adds(p, "\n] catch {\"error\": .})");
	}
	lq_buf_adds(p, "]");
}

/* Turn "jq: error: MSG at <top-level>, line N:" into MSG and N. */
static void
clean_msg(const char *raw, struct lq_buf *msg, int *line)
{
	const char *p = raw, *at;

	*line = 0;
	if (!strncmp(p, "jq: error: ", 11))
		p += 11;
	at = strstr(p, " at <top-level>, line ");
	if (at) {
		*line = atoi(at + 22);
		lq_buf_add(msg, p, (size_t)(at - p));
	} else {
		lq_buf_adds(msg, p);
	}
	while (msg->len && (msg->buf[msg->len - 1] == '\n' ||
	    msg->buf[msg->len - 1] == ':'))
		msg->buf[--msg->len] = 0;
}

/* Build the libjq program of every slot: 1 compiled, 0 error, -1 nomem. */
static int
compile_jq(struct lq_exprs *x)
{
	struct lq_buf prog = LQ_BUF_INIT;
	int ok;

	x->deferred = 0;
	lq_buf_reset(&x->errbuf);
	if (!(x->jq = new_state(&x->errbuf)))
		return -1;
	build(&prog, x->s, x->n);
	ok = jq_compile(x->jq, prog.buf);
	lq_buf_release(&prog);
	if (!ok)
		jq_teardown(&x->jq);
	return ok ? 1 : 0;
}

int
lq_exprs_compile(struct lq_exprs *x, struct lq_err *err)
{
	struct lq_buf prog = LQ_BUF_INIT;
	int i, ok;

	const char *e = getenv("LQ_EVAL");
	int native = !(e && !strcmp(e, "jq")), all_native = native;

	if (x->jq)
		jq_teardown(&x->jq);
	x->deferred = 0;
	for (i = 0; i < x->n; i++) {
		lq_jqn_free(x->s[i].native);
		x->s[i].native = native ? lq_jqn_compile(x->s[i].text) : NULL;
		x->s[i].one = x->s[i].native && lq_jqn_is_one(x->s[i].native);
		if (!x->s[i].native)
			all_native = 0;
	}
	/*
	 * The native parser accepts only a strict subset of jq's grammar, so
	 * when it took every expression the libjq program (15 ms and more to
	 * compile) is built only if a record ever needs it.  Anything it
	 * refused goes through jq's compiler now, for jq's own messages.
	 */
	if (all_native && x->n > 0) {
		x->deferred = 1;
		return 0;
	}
	if ((ok = compile_jq(x)) == 1)
		return 0;
	if (ok < 0)
		return lq_err_set(err, LQ_EXIT_USAGE, "jq: out of memory");

	/* find the culprit: compile each expression alone */
	for (i = 0; i < x->n; i++) {
		struct lq_buf eb = LQ_BUF_INIT, msg = LQ_BUF_INIT;
		jq_state *jq = new_state(&eb);
		int line, plines = 0;
		const char *q;
		for (q = prelude; *q; q++)
			plines += *q == '\n';
		build(&prog, &x->s[i], 1);
		ok = jq_compile(jq, prog.buf);
		lq_buf_release(&prog);
		jq_teardown(&jq);
		if (ok) {
			lq_buf_release(&eb);
			continue;
		}
		clean_msg(eb.len ? eb.buf : "compile error", &msg, &line);
		/* program line plines+2 is the expression's first line */
		int k = line - (plines + 2);
		const struct lq_expr_src *src = &x->s[i].src;
		if (src->block && k >= 0) {
			lq_err_at(err, src->file, src->line + 1 + k, src->col,
			    "jq: %s", msg.buf);
		} else {
			lq_err_at(err, src->file, src->line, src->col,
			    "jq: %s", msg.buf);
		}
		lq_buf_release(&eb);
		lq_buf_release(&msg);
		return -1;
	}
	return lq_err_set(err, LQ_EXIT_USAGE, "jq: %s", x->errbuf.len ?
	    x->errbuf.buf : "cannot compile the rule expressions");
}

jv
lq_exprs_run(struct lq_exprs *x, jv rec)
{
	jv r;

	if (x->deferred && compile_jq(x) != 1) {
		jv_free(rec);
		return jv_invalid_with_msg(jv_string(x->errbuf.len ?
		    x->errbuf.buf : "cannot compile the rule expressions"));
	}
	if (!x->jq) {
		jv_free(rec);
		return jv_invalid_with_msg(jv_string("no compiled program"));
	}
	jq_start(x->jq, rec, 0);
	r = jq_next(x->jq);
	if (!jv_is_valid(r)) {
		if (jv_invalid_has_msg(jv_copy(r)))
			return r;
		jv_free(r);
		return jv_invalid_with_msg(jv_string("rules produced no "
		    "result"));
	}
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
	int fromjq;		/* answer is in ev->jqres */
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
	jv_free(ev->jqres);
	free(ev);
}

long
lq_eval_jq_records(const struct lq_eval *ev)
{
	return ev->jq_records;
}

static int
run_jq(struct lq_eval *ev, jv rec, struct lq_err *err)
{
	jv_free(ev->jqres);
	ev->jq_records++;
	ev->jqres = lq_exprs_run(ev->x, rec);
	if (!jv_is_valid(ev->jqres)) {
		jv m = jv_invalid_get_msg(ev->jqres);
		ev->jqres = jv_invalid();
		lq_err_set(err, LQ_EXIT_RECORDS, "cannot evaluate: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "rules produced no result");
		jv_free(m);
		return -1;
	}
	return 0;
}

int
lq_eval_jv(struct lq_eval *ev, jv rec, struct lq_err *err)
{
	for (int i = 0; i < ev->x->n; i++)
		ev->r[i].fromjq = 1;
	return run_jq(ev, jv_copy(rec), err);
}

static inline int run_native(struct lq_eval *ev, int i);
static int jq_record(struct lq_eval *ev, struct lq_err *err);

/* make sure a lazy slot has its value */
static struct res *
get(struct lq_eval *ev, int i)
{
	struct res *r = &ev->r[i];
	struct lq_err err;

	if (r->pending && run_native(ev, i) < 0 && !jv_is_valid(ev->jqres))
		jq_record(ev, &err);	/* on failure the slot reads as error */
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
		r->pending = 0;
		if (!ev->x->s[i].native) {
			r->fromjq = need_jq = 1;
			continue;
		}
		if (ev->x->s[i].lazy) {
			r->pending = 1;
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

/* Run the whole libjq program on the current record. */
static int
jq_record(struct lq_eval *ev, struct lq_err *err)
{
	const char *line = ev->line, *skipkey = ev->skipkey;
	size_t len = ev->len;
	jv rec = jv_parse_sized(line, (int)len);
	if (!jv_is_valid(rec)) {
		jv m = jv_invalid_get_msg(rec);
		lq_err_set(err, LQ_EXIT_RECORDS, "cannot evaluate: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "parse error");
		jv_free(m);
		return -1;
	}
	if (skipkey && jv_object_has(jv_copy(rec), jv_string(skipkey)))
		rec = jv_object_delete(rec, jv_string(skipkey));
	return run_jq(ev, rec, err);
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
		if (jv_get_kind(v) == JV_KIND_NUMBER) {
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
	if (v->kind == NV_NUMBER) {
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
