/*
 * enrich.c - the per-record enrich object (lq_enrich.h): e-mail, title,
 * country, the company key, table lookups with name matching and
 * tie-breakers, live sources in windows with their memo, set: fields,
 * errors and provenance.  Loading is enrich_load.c.
 */
#include "enrich_int.h"

static void add_prov(struct lq_enrich *e, const char *name, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

void
enrich_memo_clear(struct source *q)
{
	q->nm = 0;
	lq_buf_reset(&q->marena);
	if (q->mslot)
		memset(q->mslot, 0, MEMO_SLOTS * sizeof(*q->mslot));
}

/*
 * The memo's slot for key k[0..kn) with hash h: the key's own, or the
 * empty one where it goes.
 */
static uint32_t *
memo_slot(struct source *q, const char *k, size_t kn, uint64_t h)
{
	size_t i = h & (MEMO_SLOTS - 1);

	for (;; i = (i + 1) & (MEMO_SLOTS - 1)) {
		const struct memo *m;
		if (!q->mslot[i])
			return &q->mslot[i];
		m = &q->m[q->mslot[i] - 1];
		if (m->h == h && m->kn == kn &&
		    !memcmp(q->marena.buf + m->key, k, kn))
			return &q->mslot[i];
	}
}

/* The remembered answer for key k[0..kn), or NULL. */
static const struct memo *
memo_get(struct source *q, const char *k, size_t kn)
{
	uint32_t *sl;

	if (!q->nm)
		return NULL;
	sl = memo_slot(q, k, kn, lq_hash_bytes(k, kn));
	return *sl ? &q->m[*sl - 1] : NULL;
}

/* Remember the member text out[0..n) and errors errs[0..en) for key k. */
static void
memo_put(struct source *q, const char *k, size_t kn, const char *out,
    size_t n, const char *errs, size_t en, const char *asof)
{
	uint64_t h = lq_hash_bytes(k, kn);
	struct memo *m;
	uint32_t *sl;

	if (q->nm >= MEMO_MAX)
		enrich_memo_clear(q);
	if (!q->m && (!(q->m = calloc(MEMO_MAX, sizeof(*q->m))) ||
	    !(q->mslot = calloc(MEMO_SLOTS, sizeof(*q->mslot)))))
		abort();
	if (*(sl = memo_slot(q, k, kn, h)))
		return;
	m = &q->m[q->nm++];
	*sl = (uint32_t)q->nm;
	m->h = h;
	m->key = q->marena.len;
	m->kn = kn;
	lq_buf_add(&q->marena, k, kn);
	m->out = q->marena.len;
	m->n = n;
	lq_buf_add(&q->marena, out, n);
	m->errs = q->marena.len;
	m->en = en;
	lq_buf_add(&q->marena, errs, en);
	m->asof = 0;
	if (asof) {
		m->asof = q->marena.len + 1;
		lq_buf_add(&q->marena, asof, strlen(asof) + 1);
	}
}

/* Forget the window's keys and their outcomes. */
void
enrich_want_clear(struct source *q)
{
	for (size_t i = 0; i < q->nwant; i++) {
		free(q->wk[i]);
		lq_buf_release(&q->res[i].answer);
		lq_buf_release(&q->res[i].why);
	}
	q->nwant = 0;
	lq_smap_release(&q->want);
	lq_smap_init(&q->want);
}

/* The window's records wait for key k[0..n) of source q. */
static void
want_add(struct source *q, const char *k, size_t n)
{
	if (!lq_smap_put(&q->want, k, n, (long)q->nwant, NULL))
		return;
	if (q->nwant == q->capwant) {
		q->capwant = q->capwant ? 2 * q->capwant : 64;
		q->wk = realloc(q->wk, q->capwant * sizeof(*q->wk));
		q->wkn = realloc(q->wkn, q->capwant * sizeof(*q->wkn));
		q->res = realloc(q->res, q->capwant * sizeof(*q->res));
		if (!q->wk || !q->wkn || !q->res)
			abort();
	}
	if (!(q->wk[q->nwant] = malloc(n + 1)))
		abort();
	memcpy(q->wk[q->nwant], k, n);
	q->wk[q->nwant][n] = 0;
	q->wkn[q->nwant] = n;
	memset(&q->res[q->nwant], 0, sizeof(q->res[0]));
	q->nwant++;
}

void
lq_enrich_window(struct lq_enrich *e, int on)
{
	e->window = on && e->nsrc && !e->offline;
}

int
lq_enrich_window_size(const struct lq_enrich *e)
{
	long m = 0;

	for (int i = 0; i < e->nsrc; i++)
		if (e->src[i].o.concurrency > m)
			m = e->src[i].o.concurrency;
	return e->window ? (int)(m * 8 < 64 ? 64 : m * 8) : 0;
}

void
lq_enrich_resolve(struct lq_enrich *e)
{
	for (int i = 0; i < e->nsrc; i++) {
		struct source *q = &e->src[i];
		double t0;
		if (!q->nwant)
			continue;
		t0 = lq_esource_clock();
		lq_esource_lookup_many(q->s, q->nwant,
		    (const char *const *)q->wk, q->wkn,
		    fmax(0, q->budget - q->spent), q->res);
		q->spent += lq_esource_clock() - t0;
	}
	e->resolved = 1;
}

void
lq_enrich_window_end(struct lq_enrich *e)
{
	for (int i = 0; i < e->nsrc; i++)
		enrich_want_clear(&e->src[i]);
	e->resolved = 0;
}

/* ---- evaluation ------------------------------------------------------- */

/* ,"name": of an own member (no comma before the first, email) */
static void
own_key(struct lq_buf *out, enum own k)
{
	if (k != OWN_EMAIL)
		lq_buf_addc(out, ',');
	lq_buf_addc(out, '"');
	lq_buf_adds(out, enrich_own_field[k]);
	lq_buf_adds(out, "\":");
}

static void
add_bool(struct lq_buf *out, const char *name, int v)
{
	lq_buf_adds(out, name);
	lq_buf_adds(out, v ? "true" : "false");
}

static void
email_json(struct lq_enrich *e, struct lq_buf *out, int present)
{
	struct lq_email *m = &e->em;

	own_key(out, OWN_EMAIL);
	if (!present) {
		lq_buf_adds(out, "null");
		return;
	}
	if (!m->valid) {
		lq_buf_adds(out, "{\"valid\":false,\"problem\":");
		lq_buf_json_strs(out, m->problem);
		lq_buf_adds(out, ",\"domain\":null,\"free\":null,"
		    "\"disposable\":null,\"role\":null,\"typo_of\":null}");
		return;
	}
	lq_buf_adds(out, "{\"valid\":true,\"domain\":");
	lq_buf_json_str(out, m->domain.buf, m->domain.len);
	if (m->udomain.len) {
		lq_buf_adds(out, ",\"domain_unicode\":");
		lq_buf_json_str(out, m->udomain.buf, m->udomain.len);
	}
	add_bool(out, ",\"free\":", m->free);
	add_bool(out, ",\"disposable\":", m->disposable);
	add_bool(out, ",\"role\":", m->role);
	lq_buf_adds(out, ",\"typo_of\":");
	if (m->typo_of)
		lq_buf_json_strs(out, m->typo_of);
	else
		lq_buf_adds(out, "null");
	lq_buf_addc(out, '}');
}

static void
country_json(struct lq_buf *out, const struct lq_country *c)
{
	own_key(out, OWN_COUNTRY);
	lq_buf_adds(out, "{\"code\":");
	lq_buf_json_strs(out, c->code);
	lq_buf_adds(out, ",\"name\":");
	lq_buf_json_strs(out, c->name);
	lq_buf_adds(out, ",\"tz\":");
	if (c->tz)
		lq_buf_json_strs(out, c->tz);
	else
		lq_buf_adds(out, "null");
	lq_buf_adds(out, ",\"source\":");
	lq_buf_json_strs(out, c->source);
	lq_buf_addc(out, '}');
}

/*
 * The value of column col (a string or a number) in the row r[0..n)
 * (members without braces), unescaped into e->colv; 0 when it has none.
 */
static int
row_col(struct lq_enrich *e, const char *r, size_t n, const char *col)
{
	struct lq_err err;
	long k;

	lq_buf_reset(&e->rowbuf);
	lq_buf_addc(&e->rowbuf, '{');
	lq_buf_add(&e->rowbuf, r, n);
	lq_buf_addc(&e->rowbuf, '}');
	lq_err_clear(&err);
	lq_buf_reset(&e->colv);
	if (lq_json_scan(&e->rscan, e->rowbuf.buf, e->rowbuf.len, &err) < 0 ||
	    (k = lq_scan_find(&e->rscan, e->rowbuf.buf, col, strlen(col))) < 0)
		return 0;
	if (e->rscan.m[k].vkind == LQ_J_STRING)
		lq_json_unescape(&e->colv, e->rowbuf.buf + e->rscan.m[k].vstart,
		    e->rscan.m[k].vend - e->rscan.m[k].vstart);
	else if (e->rscan.m[k].vkind == LQ_J_NUMBER)
		lq_buf_add(&e->colv, e->rowbuf.buf + e->rscan.m[k].vstart,
		    e->rscan.m[k].vend - e->rscan.m[k].vstart);
	return e->colv.len > 0;
}

/* the digits of phone number p[0..n) into out */
static void
phone_digits(struct lq_buf *out, const char *p, size_t n)
{
	lq_buf_reset(out);
	for (size_t i = 0; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9')
			lq_buf_addc(out, p[i]);
}

/*
 * The city name p[0..n) as a key into out: its letters and digits as
 * lowercase code points (4 bytes each), each run of anything else (blanks,
 * punctuation) as one 0 between words; invalid UTF-8 gives an empty key.
 */
static void
city_key(struct lq_buf *out, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t cp, gap = 0;
	size_t i = 0, k;

	lq_buf_reset(out);
	while (i < n) {
		if (s[i] < 0x80) {
			cp = s[i++];
			if (!isalnum((int)cp)) {
				gap = out->len > 0;
				continue;
			}
			cp = (uint32_t)tolower((int)cp);
		} else if ((k = lq_utf8_decode(s + i, n - i, &cp))) {
			i += k;
			cp = lq_ucs_lower(cp);
		} else {
			lq_buf_reset(out);
			return;
		}
		if (gap) {
			uint32_t z = 0;
			lq_buf_add(out, (const char *)&z, sizeof(z));
			gap = 0;
		}
		lq_buf_add(out, (const char *)&cp, sizeof(cp));
	}
}

/* a candidate row of a name match (lq_etable_each_row) */
static void
add_cand(void *arg, const char *row, size_t len)
{
	struct lq_enrich *e = arg;
	struct cand *c;

	if (e->ncand == MAX_CANDS) {
		e->cover = 1;
		return;
	}
	c = &e->cand[e->ncand++];
	c->off = e->cbuf.len;
	c->len = len;
	c->score = e->cscore;
	c->how = e->chow;
	lq_buf_add(&e->cbuf, row, len);
}

/*
 * How the candidate row r[0..n) agrees with the lead: its country (the
 * country column, or its phone's calling code) the lead's ccode (+1) or
 * another (-1); its city the lead's (+1); its phone number the lead's
 * (+1).  Sets *country to 1, -1 or 0 (not known) and appends what agreed
 * to by ("country+city").
 */
static int
agreement(struct lq_enrich *e, struct table *t, const char *r, size_t n,
    const char *ccode, int *country, struct lq_buf *by)
{
	const char *got[3];
	int ngot = 0, a = 0;
	struct lq_country rc;

	*country = 0;
	if (ccode && ((t->countrycol && row_col(e, r, n, t->countrycol) &&
	    lq_country_resolve(e->countries, e->colv.buf, e->colv.len, NULL,
	    0, NULL, 0, &rc)) || (t->phonecol && row_col(e, r, n,
	    t->phonecol) && lq_country_resolve(e->countries, NULL, 0, NULL,
	    0, e->colv.buf, e->colv.len, &rc)))) {
		*country = strcmp(rc.code, ccode) ? -1 : 1;
		a += *country;
		if (*country > 0)
			got[ngot++] = "country";
	}
	if (t->citycol && e->norm_city.len && row_col(e, r, n, t->citycol)) {
		city_key(&e->tmp, e->colv.buf, e->colv.len);
		if (e->tmp.len && e->tmp.len == e->norm_city.len &&
		    !memcmp(e->tmp.buf, e->norm_city.buf, e->tmp.len))
			a++, got[ngot++] = "city";
	}
	if (t->phonecol && e->phone.len >= PHONE_TAIL &&
	    row_col(e, r, n, t->phonecol)) {
		phone_digits(&e->tmp, e->colv.buf, e->colv.len);
		if (e->tmp.len >= PHONE_TAIL && !memcmp(e->tmp.buf +
		    e->tmp.len - PHONE_TAIL, e->phone.buf + e->phone.len -
		    PHONE_TAIL, PHONE_TAIL))
			a++, got[ngot++] = "phone";
	}
	lq_buf_reset(by);
	for (int i = 0; i < ngot; i++) {
		if (i)
			lq_buf_addc(by, '+');
		lq_buf_adds(by, got[i]);
	}
	return a;
}

/*
 * Choose among the candidate rows: the only one, or the one that agrees
 * with the lead most (agreement() > 0, no other as much).  Returns its
 * index, or -1; sets *country as agreement() does, and *tied when there
 * were several (then by says what decided).
 */
static int
choose(struct lq_enrich *e, struct table *t, const char *ccode,
    int *country, int *tied, struct lq_buf *by)
{
	int best = -1, besta = 0, ties = 0, c;

	*tied = e->ncand > 1;
	if (e->cover)		/* not all seen: no choice is safe */
		return -1;
	if (e->ncand == 1) {
		agreement(e, t, e->cbuf.buf + e->cand[0].off, e->cand[0].len,
		    ccode, country, by);
		return 0;
	}
	for (int i = 0; i < e->ncand; i++) {
		int a = agreement(e, t, e->cbuf.buf + e->cand[i].off,
		    e->cand[i].len, ccode, &c, &e->scratch);
		if (a > besta) {
			best = i;
			besta = a;
			ties = 0;
			*country = c;
			lq_buf_reset(by);
			lq_buf_add(by, e->scratch.buf, e->scratch.len);
		} else if (a > 0 && a == besta)
			ties = 1;
	}
	return ties ? -1 : best;
}

/* Look up one table; appends ,"as":{...} (or null). */
static void
lookup(struct lq_enrich *e, struct table *t, int company_domain,
    const char *ccode, struct lq_buf *out)
{
	const char *kind = NULL, *conf = NULL, *d = e->em.domain.buf;
	size_t dn = e->em.domain.len, mark;
	double fconf = 0;
	int country = 0, tied = 0, pick = -1;

	lq_buf_addc(out, ',');
	lq_buf_json_strs(out, t->as);
	lq_buf_adds(out, ":{");
	mark = out->len;
	if (company_domain && (t->match & M_DOMAIN) &&
	    lq_etable_get(t->t, 0, d, dn, out)) {
		kind = "domain";
		conf = CONF_DOMAIN;
	} else if (company_domain && (t->match & M_PARENT)) {
		const char *dot;
		while ((dot = memchr(d, '.', dn)) &&
		    memchr(dot + 1, '.', dn - (size_t)(dot + 1 - d))) {
			dn -= (size_t)(dot + 1 - d);
			d = dot + 1;
			if (lq_etable_get(t->t, 0, d, dn, out)) {
				kind = "parent-domain";
				conf = CONF_PARENT;
				break;
			}
		}
	}
	/* by name: when the address gives no company domain, or gives one
	   the table does not have (then with less confidence); the rows of
	   the name (or the names about as near) are the candidates */
	e->ncand = e->cover = 0;
	lq_buf_reset(&e->cbuf);
	if (!kind && (t->match & M_NAME) && e->norm.len) {
		e->cscore = 1;
		e->chow = H_NAME;
		lq_etable_each_row(t->t, e->norm.buf, e->norm.len, add_cand, e);
	}
	if (!kind && !e->ncand && (t->match & M_FUZZY) && e->norm.len &&
	    !t->fz) {
		/* built on the first lead that needs it */
		t->fz = lq_fuzzy_new();
		lq_etable_each_name(t->t, enrich_add_name, t->fz);
		lq_fuzzy_build(t->fz);
	}
	if (!kind && !e->ncand && t->fz && e->norm.len) {
		/* without tie-breakers two names about as near are no match:
		   the best two tell */
		int tb = t->countrycol || t->citycol || t->phonecol;
		struct lq_fuzzy_hit h[FUZZY_HITS];
		int nh = lq_fuzzy_match(t->fz, e->norm.buf, e->norm.len,
		    t->fuzzy_min, h, tb ? FUZZY_HITS : 2);
		if (!tb && nh == 2 && !h[0].acronym &&
		    h[0].score - h[1].score < FUZZY_MARGIN)
			nh = 0;
		for (int i = 0; i < nh && (i == 0 || (!h[0].acronym &&
		    h[0].score - h[i].score < FUZZY_MARGIN)); i++) {
			const char *nm = lq_fuzzy_name(t->fz, h[i].id);
			e->cscore = h[i].score;
			e->chow = h[i].acronym ? H_ACRONYM : H_FUZZY;
			lq_etable_each_row(t->t, nm, strlen(nm), add_cand, e);
		}
	}
	if (!kind && e->ncand &&
	    (pick = choose(e, t, ccode, &country, &tied, &e->tb)) >= 0) {
		struct cand *c = &e->cand[pick];
		lq_buf_add(out, e->cbuf.buf + c->off, c->len);
		kind = c->how == H_ACRONYM ? "acronym" : c->how == H_NAME ?
		    "name" : "fuzzy-name";
		fconf = c->how == H_ACRONYM ? 0.5 : 0.6 * c->score;
		if (company_domain)
			fconf *= WORK_DOMAIN;
		if (country)
			fconf = fmin(fconf * (country > 0 ? COUNTRY_AGREES :
			    COUNTRY_DIFFERS), 0.9);
	}
	if (!kind) {
		out->len = mark - 1;
		lq_buf_adds(out, "null");
		return;
	}
	if (out->len > mark)
		lq_buf_addc(out, ',');
	if (conf)
		add_prov(e, t->as, "%s:%s:%s", t->name, kind, conf);
	else if (tied)
		add_prov(e, t->as, "%s:%s+%s:%.2f", t->name, kind, e->tb.buf,
		    fconf);
	else
		add_prov(e, t->as, "%s:%s:%.2f", t->name, kind, fconf);
	lq_buf_adds(out, "\"source\":");
	lq_buf_json_strs(out, t->name);
	lq_buf_adds(out, ",\"match\":\"");
	lq_buf_adds(out, kind);
	lq_buf_adds(out, "\",\"confidence\":");
	if (conf)
		lq_buf_adds(out, conf);
	else
		lq_buf_json_round(out, fconf, 2);
	if (tied) {
		lq_buf_adds(out, ",\"tiebreak\":");
		lq_buf_json_str(out, e->tb.buf, e->tb.len);
	}
	lq_buf_addc(out, '}');
}

/* Add "name":"msg" to the errors of this record. */
static void
add_error(struct lq_enrich *e, const char *name, const char *name2,
    const char *msg, size_t n)
{
	if (e->errs.len)
		lq_buf_addc(&e->errs, ',');
	if (name2) {
		lq_buf_reset(&e->kbuf);
		lq_buf_addf(&e->kbuf, "%s.%s", name, name2);
		lq_buf_json_str(&e->errs, e->kbuf.buf, e->kbuf.len);
	} else {
		lq_buf_json_strs(&e->errs, name);
	}
	lq_buf_addc(&e->errs, ':');
	lq_buf_json_str(&e->errs, msg, n);
}

/* With provenance: true, add "name":"<printf>" to this record's. */
static void
add_prov(struct lq_enrich *e, const char *name, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	if (!e->provenance)
		return;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (e->prov.len)
		lq_buf_addc(&e->prov, ',');
	lq_buf_json_strs(&e->prov, name);
	lq_buf_addc(&e->prov, ':');
	lq_buf_json_strs(&e->prov, v);
}

/*
 * The record with the enrich object built so far (out[start..)) spliced
 * into the record's own bytes, scanned: e->sline, e->sscan.
 */
static int
so_far(struct lq_enrich *e, const char *line, size_t len,
    const struct lq_scan *s, const char *key, struct lq_buf *out,
    size_t start, struct lq_err *err)
{
	size_t vlen, n = s->n;
	long ins;
	int comma;

	lq_buf_reset(&e->skey);
	lq_buf_json_strs(&e->skey, key);
	lq_buf_addc(out, '}');
	vlen = out->len - start;
	lq_buf_reset(&e->sline);
	if (s->kind == LQ_J_OBJECT && (ins = lq_splice_point(line, s, key,
	    strlen(key), &comma)) >= 0) {
		/* the member goes after the others: their scan stands, the
		   new one is added (no tape: values are found by offset) */
		struct lq_member *m;
		lq_buf_grow(&e->sline, len + e->skey.len + vlen + 2);
		lq_splice_head(&e->sline, line, ins, comma, e->skey.buf,
		    e->skey.len);
		lq_buf_add(&e->sline, out->buf + start, vlen);
		lq_buf_add(&e->sline, line + ins, len - (size_t)ins);
		out->len--;
		if (e->sscan.cap < n + 1) {
			if (!(m = realloc(e->sscan.m, (n + 1) * sizeof(*m))))
				return lq_err_set(err, LQ_EXIT_IO,
				    "out of memory");
			e->sscan.m = m;
			e->sscan.cap = n + 1;
		}
		memcpy(e->sscan.m, s->m, n * sizeof(*m));
		m = &e->sscan.m[n];
		memset(m, 0, sizeof(*m));
		m->kstart = (size_t)ins + (size_t)comma;
		m->klen = e->skey.len;
		m->vstart = m->kstart + m->klen + 1;
		m->vend = m->vstart + vlen;
		m->vkind = LQ_J_OBJECT;
		e->sscan.kind = LQ_J_OBJECT;
		e->sscan.n = n + 1;
		e->sscan.open = s->open;
		e->sscan.close = s->close + (size_t)comma + e->skey.len + 1 +
		    vlen;
		e->sscan.tn = 0;
		return 0;
	}
	lq_splice(&e->sline, line, len, s, key, strlen(key), e->skey.buf,
	    e->skey.len, out->buf + start, vlen);
	out->len--;
	return lq_json_scan(&e->sscan, e->sline.buf, e->sline.len, err);
}

/* Append ,"name":<output 0 of slot i of ev, or null>; errors to errs. */
static void
add_output(struct lq_enrich *e, struct lq_eval *ev, int i, const char *name,
    const char *ename, const char *ename2, struct lq_buf *out)
{
	long n = lq_eval_count(ev, i);

	lq_buf_json_strs(out, name);
	lq_buf_addc(out, ':');
	if (n < 0) {
		const char *why = NULL;
		lq_eval_truth(ev, i, &why);
		lq_buf_adds(out, "null");
		why = why ? why : "error";
		add_error(e, ename, ename2, why, strlen(why));
	} else if (n > 0) {
		lq_eval_dump(ev, i, 0, out);
	} else {
		lq_buf_adds(out, "null");
	}
}

/*
 * Run the set: expressions; appends their members.  They see the record
 * with the enrich object built so far, spliced into the record's own
 * bytes and evaluated from there (natively when the expressions allow,
 * lq_expr.h).
 */
static int
derive(struct lq_enrich *e, const char *line, size_t len,
    const struct lq_scan *s, const char *key, struct lq_buf *out,
    size_t start, struct lq_err *err)
{
	if (so_far(e, line, len, s, key, out, start, err) < 0 ||
	    lq_eval_record(e->ev, e->sline.buf, e->sline.len, &e->sscan, NULL,
	    err) < 0)
		return -1;
	for (int i = 0; i < e->nset; i++) {
		lq_buf_addc(out, ',');
		add_output(e, e->ev, i, e->setname[i], e->setname[i], NULL,
		    out);
		if (!lq_eval_missing(e->ev, i))
			add_prov(e, e->setname[i], "set");
	}
	return 0;
}

/*
 * The answer of source q for key k[0..n): from the cache when fresh (or
 * --offline), else looked up and cached.  Returns 1 with the answer in
 * e->ans (a JSON object, scanned into e->ascan) and *asof its time, 0 for
 * not found, -1 with the reason in e->why.
 */
static int
answer(struct lq_enrich *e, struct source *q, const char *k, size_t n,
    double *asof, int *cached)
{
	double now = lq_time_now(), t0, fetched = 0;
	struct lq_err err;
	int rc;

	lq_buf_reset(&e->why);
	rc = lq_ecache_get(e->cache, q->name, k, n, &e->ans, &fetched);
	if (rc >= 0 && (e->offline || now - fetched < (rc ? q->ttl :
	    q->negttl))) {
		*asof = fetched;
		*cached = 1;
		goto got;
	}
	if (e->offline) {
		lq_buf_adds(&e->why, "offline: not in the cache");
		return -1;
	}
	long wi;
	if (e->window && e->resolved && lq_smap_get(&q->want, k, n, &wi)) {
		/* looked up with the window's other keys */
		struct lq_eresult *r = &q->res[wi];
		rc = r->rc;
		lq_buf_reset(&e->ans);
		if (r->answer.buf)
			lq_buf_add(&e->ans, r->answer.buf, r->answer.len);
		if (r->why.buf)
			lq_buf_add(&e->why, r->why.buf, r->why.len);
		if (!e->ans.buf)
			lq_buf_adds(&e->ans, "");
		if (rc < 0)
			return -1;
		goto fetched;
	}
	if (q->spent >= q->budget) {
		lq_buf_addf(&e->why, "budget of %gs spent", q->budget);
		return -1;
	}
	if (e->window && !e->resolved) {
		/* looked up when the window is full or the input waits */
		want_add(q, k, n);
		e->deferred = 1;
		lq_buf_adds(&e->why, "deferred");
		return -1;
	}
	t0 = lq_esource_clock();
	rc = lq_esource_lookup(q->s, k, n, q->budget - q->spent, &e->ans,
	    &e->why);
	q->spent += lq_esource_clock() - t0;
	if (rc < 0)
		return -1;
fetched:
	if (rc == 1 && e->ans.len == 4 && !memcmp(e->ans.buf, "null", 4))
		rc = 0;
	if (rc == 1) {
		lq_err_clear(&err);
		if (lq_json_scan(&e->ascan, e->ans.buf, e->ans.len, &err) == 0 &&
		    e->ascan.kind == LQ_J_STRING) {
			/* the source's own reason why it cannot answer */
			const char *p = e->ans.buf + strspn(e->ans.buf,
			    " \t");
			lq_json_unescape(&e->why, p, (size_t)(lq_json_skip(p) -
			    p));
			if (!e->why.len)
				lq_buf_adds(&e->why, "error");
			return -1;
		}
		if (err.code || e->ascan.kind != LQ_J_OBJECT) {
			lq_buf_adds(&e->why, "bad answer: ");
			lq_buf_adds(&e->why, err.code ? err.msg :
			    "not a JSON object or null");
			return -1;
		}
	}
	*asof = now;
	lq_err_clear(&err);
	if (lq_ecache_put(e->cache, q->name, k, n, rc ? e->ans.buf : NULL,
	    e->ans.len, now, &err) < 0) {
		/* the answer stands; the cache missed it */
		add_error(e, q->name, "cache", err.msg, strlen(err.msg));
	}
	return rc;
got:
	if (rc == 1) {
		lq_err_clear(&err);
		if (lq_json_scan(&e->ascan, e->ans.buf, e->ans.len, &err) < 0 ||
		    e->ascan.kind != LQ_J_OBJECT) {
			lq_buf_adds(&e->why, "bad cached answer");
			return -1;
		}
	}
	return rc;
}

/* Look every source up; appends ,"as":{...} (or null) for each. */
static int
sources(struct lq_enrich *e, const char *line, size_t len,
    const struct lq_scan *s, const char *key, struct lq_buf *out,
    size_t start, struct lq_err *err)
{
	int plain = 1;

	/* keys that are plain paths outside the enrich member (.id,
	   .account.domain) read the record itself: no copy with the enrich
	   so far to make and scan */
	for (int i = 0; i < e->nsrc && plain; i++)
		plain = e->src[i].keyhead && strcmp(e->src[i].keyhead, key);
	if (plain ? lq_eval_record(e->kev, line, len, s, key, err) < 0 :
	    so_far(e, line, len, s, key, out, start, err) < 0 ||
	    lq_eval_record(e->kev, e->sline.buf, e->sline.len, &e->sscan,
	    NULL, err) < 0)
		return -1;
	for (int i = 0; i < e->nsrc; i++) {
		struct source *q = &e->src[i];
		long nk = lq_eval_count(e->kev, q->keyslot);
		struct lq_buf *k = &e->keybuf;
		double asof = 0;
		char when[32];
		int rc, cached = 0;

		lq_buf_addc(out, ',');
		lq_buf_json_strs(out, q->as);
		lq_buf_addc(out, ':');
		if (nk < 0) {
			const char *why = NULL;
			lq_eval_truth(e->kev, q->keyslot, &why);
			lq_buf_adds(out, "null");
			lq_buf_addf(&e->why, "key: %s", why ? why : "error");
			add_error(e, q->name, NULL, e->why.buf, e->why.len);
			lq_buf_reset(&e->why);
			continue;
		}
		/* the key: a string's bytes, a number as written (a 19-digit
		   id keeps its digits) */
		const char *ks;
		size_t kn;
		jv_kind kk = nk > 0 ? lq_eval_peek(e->kev, q->keyslot, 0, &ks,
		    &kn) : JV_KIND_NULL;
		lq_buf_reset(k);
		if (kk == JV_KIND_STRING)
			lq_buf_add(k, ks, kn);
		else if (kk == JV_KIND_NUMBER)
			lq_eval_dump(e->kev, q->keyslot, 0, k);
		else if (kk != JV_KIND_NULL && kk != JV_KIND_FALSE) {
			lq_buf_adds(out, "null");
			add_error(e, q->name, NULL, "key: not a string",
			    strlen("key: not a string"));
			continue;
		}
		if (!k->len) {	/* no key: nothing to look up */
			lq_buf_adds(out, "null");
			continue;
		}
		const struct memo *m;
		if ((m = memo_get(q, k->buf, k->len))) {
			const char *ma = q->marena.buf;
			lq_buf_add(out, ma + m->out, m->n);
			if (m->asof)	/* answered earlier in this run */
				add_prov(e, q->as, "%s:cache@%s", q->name,
				    ma + m->asof - 1);
			if (m->en) {
				if (e->errs.len)
					lq_buf_addc(&e->errs, ',');
				lq_buf_add(&e->errs, ma + m->errs, m->en);
			}
			continue;
		}
		size_t mark = out->len, emark = e->errs.len;
		rc = answer(e, q, k->buf, k->len, &asof, &cached);
		if (rc <= 0) {
			lq_buf_adds(out, "null");
			if (rc < 0)
				add_error(e, q->name, NULL, e->why.buf,
				    e->why.len);
			else if (e->errs.len == emark)
				memo_put(q, k->buf, k->len, "null", 4, "", 0,
				    NULL);
			continue;
		}
		lq_buf_addc(out, '{');
		if (q->fev) {
			if (lq_eval_record(q->fev, e->ans.buf, e->ans.len,
			    &e->ascan, NULL, err) < 0) {
				return -1;
			}
			for (int f = 0; f < q->nf; f++) {
				add_output(e, q->fev, f, q->fname[f], q->name,
				    q->fname[f], out);
				lq_buf_addc(out, ',');
			}
		} else {
			/* the answer's members, but the provenance names */
			for (size_t m = 0; m < e->ascan.n; m++) {
				const struct lq_member *mb = &e->ascan.m[m];
				const char *kr = e->ans.buf + mb->kstart;
				size_t kl = mb->klen;
				if (lq_json_key_eq(kr, kl, "source", 6) ||
				    lq_json_key_eq(kr, kl, "key", 3) ||
				    lq_json_key_eq(kr, kl, "as_of", 5))
					continue;
				lq_buf_add(out, kr, kl);
				lq_buf_addc(out, ':');
				lq_buf_add(out, e->ans.buf + mb->vstart,
				    mb->vend - mb->vstart);
				lq_buf_addc(out, ',');
			}
		}
		lq_buf_adds(out, "\"source\":");
		lq_buf_json_strs(out, q->name);
		lq_buf_adds(out, ",\"key\":");
		lq_buf_json_str(out, k->buf, k->len);
		lq_time_format(when, sizeof(when), asof);
		lq_buf_adds(out, ",\"as_of\":");
		lq_buf_json_strs(out, when);
		lq_buf_addc(out, '}');
		if (e->errs.len > emark && e->errs.buf[emark] == ',')
			emark++;
		memo_put(q, k->buf, k->len, out->buf + mark, out->len - mark,
		    e->errs.buf ? e->errs.buf + emark : "", e->errs.len - emark,
		    when);
		add_prov(e, q->as, "%s:%s@%s", q->name, cached ? "cache" :
		    "live", when);
	}
	return 0;
}

int
lq_enrich_eval(struct lq_enrich *e, const char *line, size_t len,
    const struct lq_scan *s, const char *key, struct lq_buf *out,
    struct lq_err *err)
{
	int have[NFIELDS], odd_email = 0;
	size_t start = out->len;
	struct lq_country cty;
	const char *sen, *dep;

	for (int i = 0; i < NFIELDS; i++) {
		/* the city is read for a tie-breaker only */
		long k = i == F_CITY && !e->tiebreak ? -1 : lq_scan_find(s,
		    line, e->field[i], strlen(e->field[i]));
		lq_buf_reset(&e->v[i]);
		have[i] = k >= 0 && s->m[k].vkind == LQ_J_STRING;
		if (i == F_EMAIL && k >= 0 && !have[i] &&
		    s->m[k].vkind != LQ_J_NULL)
			odd_email = 1;
		if (have[i])
			lq_json_unescape(&e->v[i], line + s->m[k].vstart,
			    s->m[k].vend - s->m[k].vstart);
		if (!e->v[i].buf)
			lq_buf_adds(&e->v[i], "");
	}
	lq_buf_addc(out, '{');
	if (have[F_EMAIL])
		lq_email_parse(&e->em, e->v[F_EMAIL].buf, e->v[F_EMAIL].len,
		    &e->lists);
	if (odd_email) {
		e->em.valid = 0;
		e->em.problem = "not a string";
	}
	lq_buf_reset(&e->prov);
	email_json(e, out, have[F_EMAIL] || odd_email);
	if (have[F_EMAIL] && e->em.valid)
		add_prov(e, "email", "lists");

	own_key(out, OWN_TITLE);
	lq_buf_adds(out, "{\"seniority\":");
	if (have[F_TITLE] && e->v[F_TITLE].len) {
		lq_titles_classify(e->titles, e->v[F_TITLE].buf,
		    e->v[F_TITLE].len, &e->scratch, &sen, &dep);
	} else {
		sen = "unknown";
		dep = NULL;
	}
	lq_buf_json_strs(out, sen);
	if (strcmp(sen, "unknown") || dep)
		add_prov(e, "title", "titles");
	lq_buf_adds(out, ",\"department\":");
	if (dep)
		lq_buf_json_strs(out, dep);
	else
		lq_buf_adds(out, "null");
	lq_buf_addc(out, '}');

	int company_domain = have[F_EMAIL] && e->em.valid && !e->em.free &&
	    !e->em.disposable && !e->em.typo_of;
	const char *ccode = NULL;
	if (lq_country_resolve(e->countries, e->v[F_COUNTRY].buf,
	    e->v[F_COUNTRY].len, e->v[F_REGION].buf, e->v[F_REGION].len,
	    e->v[F_PHONE].buf, e->v[F_PHONE].len, &cty) ||
	    (company_domain && lq_country_by_tld(e->countries,
	    e->em.domain.buf, e->em.domain.len, &cty))) {
		country_json(out, &cty);
		add_prov(e, "country", "%s", cty.source);
		ccode = cty.code;
	} else if (cty.problem) {
		own_key(out, OWN_COUNTRY);
		lq_buf_adds(out, "{\"code\":null,\"name\":null,"
		    "\"tz\":null,\"source\":\"country\",\"problem\":");
		lq_buf_json_strs(out, cty.problem);
		lq_buf_addc(out, '}');
	} else {
		own_key(out, OWN_COUNTRY);
		lq_buf_adds(out, "null");
	}

	lq_buf_reset(&e->norm);
	own_key(out, OWN_COMPANY_KEY);
	if (have[F_COMPANY])
		lq_name_normalise(&e->norm, e->v[F_COMPANY].buf,
		    e->v[F_COMPANY].len);
	if (e->norm.len)
		lq_buf_json_str(out, e->norm.buf, e->norm.len);
	else
		lq_buf_adds(out, "null");
	if (e->tiebreak) {
		city_key(&e->norm_city, e->v[F_CITY].buf, e->v[F_CITY].len);
		phone_digits(&e->phone, e->v[F_PHONE].buf,
		    e->v[F_PHONE].len);
	}
	for (int i = 0; i < e->ntab; i++)
		lookup(e, &e->tab[i], company_domain, ccode, out);
	lq_buf_reset(&e->errs);
	e->deferred = 0;
	if ((e->nsrc && sources(e, line, len, s, key, out, start, err)) ||
	    (e->nset && derive(e, line, len, s, key, out, start, err))) {
		out->len = start;
		return -1;
	}
	if (e->errs.len) {
		own_key(out, OWN_ERRORS);
		lq_buf_addc(out, '{');
		lq_buf_add(out, e->errs.buf, e->errs.len);
		lq_buf_addc(out, '}');
	}
	if (e->provenance) {
		own_key(out, OWN_PROVENANCE);
		lq_buf_addc(out, '{');
		lq_buf_add(out, e->prov.buf, e->prov.len);
		lq_buf_addc(out, '}');
	}
	lq_buf_addc(out, '}');
	return e->deferred ? 1 : 0;
}
