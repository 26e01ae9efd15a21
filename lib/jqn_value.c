/*
 * jqn_value.c - the per-record context and values: arena, record
 * navigation through the scanner's tape or parsed spans, numbers,
 * strings, comparison, errors rendered lazily as libjq 1.6 words them.
 */
#include "jqn_int.h"

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
void
jqn_rmemo_size(struct lq_jqn_ctx *c)
{
	size_t cap = jqn_cse_tab.cap + 1;

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
double
jqn_num_parse(const char *p, size_t n)
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

/* a NUL-terminated copy of a string value (for strstr semantics) */
const char *
jqn_str_z(struct lq_jqn_ctx *c, const struct lq_nv *v, size_t *len)
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
struct span_ent *
jqn_spans_of(struct lq_jqn_ctx *c, const char *p)
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

/* jqn_iterate a raw array; f returns non-zero to stop (that status returned) */
/* A step past the budget: the run ends in an error that try cannot turn
 * into a value (lq_jqn_run reports it whatever was caught). */

int __attribute__((noinline))
jqn_over(struct lq_jqn_ctx *c)
{
	if (!c->hit)
		c->hit = 1;
	c->steps = -1;
	return jqn_fail(c, "budget");
}

long
jqn_arr_len(struct lq_jqn_ctx *c, const struct lq_nv *a)
{
	if (!a->raw)
		return (long)a->n;
	if (a->t)
		return (long)c->tape[a->t - 1].n;
	return (long)jqn_spans_of(c, a->p)->n;
}

int
jqn_nth_cb(struct lq_jqn_ctx *c, void *arg, struct lq_nv *v)
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

jv
jqn_to_jv(struct lq_jqn_ctx *c, const struct lq_nv *v)
{
	if (v->root) {
		jv r = jv_parse_sized(c->line, (int)c->len);
		if (c->skip)
			r = jv_object_delete(r, jv_string(c->skip));
		return r;
	}
	return lq_nv_to_jv(v);
}

int
jqn_fail(struct lq_jqn_ctx *c, const char *fmt, ...)
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
int
jqn_lazy_error(struct lq_jqn_ctx *c, int kind, const struct lq_nv *a,
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

int
jqn_type_error(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *msg)
{
	return jqn_lazy_error(c, 1, v, NULL, msg);
}

int
jqn_type_error2(struct lq_jqn_ctx *c, const struct lq_nv *a, const struct lq_nv *b,
    const char *msg)
{
	return jqn_lazy_error(c, 2, a, b, msg);
}

/* jq's jqn_type_error: "KIND (VALUE...) MSG" */
int
jqn_render_type_error(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *msg)
{
	char eb[15];
	jv j = jqn_to_jv(c, v);
	const char *d = jv_dump_string_trunc(jv_copy(j), eb, sizeof(eb));
	int r = jqn_fail(c, "%s (%s) %s", kind_names[v->kind], d, msg);

	jv_free(j);
	return r;
}

int
jqn_render_type_error2(struct lq_jqn_ctx *c, const struct lq_nv *a,
    const struct lq_nv *b, const char *msg)
{
	char ea[15], eb[15];
	jv ja = jqn_to_jv(c, a), jb = jqn_to_jv(c, b);
	const char *da = jv_dump_string_trunc(jv_copy(ja), ea, sizeof(ea));
	const char *db = jv_dump_string_trunc(jv_copy(jb), eb, sizeof(eb));
	int r = jqn_fail(c, "%s (%s) and %s (%s) %s", kind_names[a->kind], da,
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
int
jqn_render_numchk(struct lq_jqn_ctx *c, const struct lq_nv *v, const char *p)
{
	struct lq_buf b = LQ_BUF_INIT;
	jv j = jqn_to_jv(c, v);
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

