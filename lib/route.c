/*
 * route.c - the routing decision (lq_route.h): the candidate reps of a
 * team, duplicates and accounts against the ledger, the account roll-up,
 * the SLA sweep.  Loading is route_load.c, working time and capacity
 * counts route_time.c.
 */
#include "route_int.h"

/* --- deciding --- */

struct cand {
	int rep;
	double perf, load, value;
	long nday, nweek;
	uint64_t tie;
};

struct decision {
	int rep, team, terr;
	const char *queue, *step;
	double contact_by;	/* -1: none */
	struct lq_buf *why;	/* reason members after "step" */
	int counts;
	struct lq_buf *email, *acct;	/* the lead's keys (empty: none) */
	struct lq_buf *dup_of;	/* duplicate_of: the lead id */
	int keys;		/* email and acct computed */
	int isnew;		/* the lead is not in the ledger yet */
	int acct_known;		/* rt->ra is the lead's account roll-up */
	int crossed;		/* this lead made the account's owner */
};

static uint64_t
fnv(const char *a, size_t an, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < an; i++)
		h = (h ^ (unsigned char)a[i]) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

static int
better(const struct cand *a, const struct cand *b)
{
	if (fabs(a->value - b->value) > 1e-9)
		return a->value > b->value;
	if (a->nday != b->nday)
		return a->nday < b->nday;
	if (a->nweek != b->nweek)
		return a->nweek < b->nweek;
	if (a->tie != b->tie)
		return a->tie < b->tie;
	return a->rep < b->rep;
}

/* the start of the member name: ,"name": (no printf: per lead) */
static void
add_key(struct lq_buf *b, const char *name)
{
	lq_buf_adds(b, ",\"");
	lq_buf_adds(b, name);
	lq_buf_adds(b, "\":");
}

/* the member ,"name":v (rounded to places) */
static void
add_num(struct lq_buf *b, const char *name, double v, int places)
{
	add_key(b, name);
	lq_buf_json_round(b, v, places);
}

/* the member ,"name":"t" (RFC 3339) */
static void
add_time(struct lq_buf *b, const char *name, double t)
{
	char tb[40];

	lq_time_format(tb, sizeof(tb), t);
	add_key(b, name);
	lq_buf_addc(b, '"');
	lq_buf_adds(b, tb);
	lq_buf_addc(b, '"');
}

/* the member ,"name":"s" */
static void
add_str(struct lq_buf *b, const char *name, const char *s)
{
	add_key(b, name);
	lq_buf_json_strs(b, s);
}

/* s as a JSON string, or null when s is NULL */
static void
json_opt(struct lq_buf *b, const char *s)
{
	if (s)
		lq_buf_json_strs(b, s);
	else
		lq_buf_adds(b, "null");
}

/* the lead goes to rep ri at step, against its capacity when counts */
static struct rep *
take(struct lq_route *rt, struct decision *dc, int ri, const char *step,
    int counts)
{
	struct rep *r = &rt->reps[ri];

	dc->rep = ri;
	dc->team = r->team;
	dc->step = step;
	dc->counts = counts;
	return r;
}

/*
 * contact_by of a lead that goes to rep r whatever its hours (the CRM or
 * account owner): from now, or from when r is next available, said in b
 */
static double
held_deadline(struct lq_route *rt, const struct rep *r, double now,
    double sla, struct lq_buf *b)
{
	const struct zone *z = route_zone_at(rt, r->zone, now);
	double at = now;

	if (route_in_pto(r, now, NULL) || !route_in_hours(r, z)) {
		at = route_next_available(rt, r, now);
		lq_buf_adds(b, ",\"available\":false");
		if (at >= 0)
			add_time(b, "available_at", at);
		else
			at = now;
	}
	return route_deadline(rt, r, at, sla);
}

static double
rep_perf(const struct lq_route *rt, const struct rep *r, int seg, long *n)
{
	if (seg >= 0) {
		*n = r->n_seg[seg];
		return r->perf_seg[seg];
	}
	*n = r->n_all;
	return r->perf_all;
}

/* the names of enum route_why, as route.reason.unavailable lists them */
static const char *const why_name[WHY_N] = {
	[WHY_INACTIVE] = "inactive", [WHY_PAUSED] = "paused",
	[WHY_CAPACITY_DAY] = "capacity_day",
	[WHY_CAPACITY_WEEK] = "capacity_week", [WHY_PTO] = "pto",
	[WHY_HOURS] = "hours",
};

static int
decide_team(struct lq_route *rt, int team, int seg, const char *id,
    size_t idn, double now, double sla, struct decision *dc,
    struct lq_err *err)
{
	struct team *tm = &rt->teams[team];
	struct cand best = { .rep = -1 }, c;
	int ncand = 0, nwhy[WHY_N] = { 0 };
	double soonest = -1;
	int soonest_rep = -1;
	struct cand later = { .rep = -1 };

	for (int k = 0; k < tm->nreps; k++) {
		struct rep *r = &rt->reps[tm->reps[k]];
		if (r->excluded)
			continue;	/* the sweep: held the lead before */
		enum route_why why = route_unavailable(rt, r, now, &c.nday,
		    &c.nweek, err);
		if (why == WHY_ERROR)
			return -1;
		c.rep = tm->reps[k];
		long sup;
		c.perf = rt->have_perf ? rep_perf(rt, r, seg, &sup) : 0;
		c.load = 0;
		if (r->cap_day > 0)
			c.load = c.nday / r->cap_day;
		else
			c.load = c.nday / rt->load_scale;
		if (r->cap_week > 0 && c.nweek / r->cap_week > c.load)
			c.load = c.nweek / r->cap_week;
		c.value = rt->w_perf * c.perf - rt->w_load * c.load;
		c.tie = fnv(id, idn, r->id);
		if (why == WHY_NONE) {
			ncand++;
			if (best.rep < 0 || better(&c, &best))
				best = c;
			continue;
		}
		nwhy[why]++;
		if (why != WHY_PTO && why != WHY_HOURS)
			continue;
		/* could take it later today or on a later day */
		double at = route_next_available(rt, r, now);
		if (at < 0)
			continue;
		if (soonest < 0 || at < soonest || (at == soonest &&
		    better(&c, &later))) {
			soonest = at;
			soonest_rep = c.rep;
			later = c;
		}
	}
	struct lq_buf *b = dc->why;
	if (best.rep >= 0 || soonest_rep >= 0) {
		struct cand *w = best.rep >= 0 ? &best : &later;
		struct rep *r = &rt->reps[w->rep];
		long sup = 0;
		dc->rep = w->rep;
		dc->team = team;
		dc->counts = 1;
		if (best.rep >= 0) {
			dc->step = "team";
			dc->contact_by = route_deadline(rt, r, now, sla);
		} else {
			dc->step = "next_available";
			dc->contact_by = route_deadline(rt, r, soonest, sla);
			add_time(b, "available_at", soonest);
		}
		if (seg >= 0 || rt->segment_slot >= 0) {
			lq_buf_adds(b, ",\"segment\":");
			json_opt(b, seg >= 0 ? rt->segs[seg] : NULL);
		}
		lq_buf_addf(b, ",\"candidates\":%d", ncand);
		if (rt->have_perf) {
			double p = rep_perf(rt, r, seg, &sup);
			add_num(b, "win_rate", p, 4);
			lq_buf_addf(b, ",\"support\":%ld", sup);
			add_num(b, "team_rate", seg >= 0 ?
			    tm->rate_seg[seg] : tm->rate_all, 4);
		}
		lq_buf_addf(b, ",\"load\":{\"day\":%ld,\"week\":%ld}",
		    w->nday, w->nweek);
		if (r->cap_day >= 0 || r->cap_week >= 0) {
			lq_buf_adds(b, ",\"capacity\":{\"day\":");
			lq_buf_json_num(b, r->cap_day >= 0 ? r->cap_day : NAN);
			lq_buf_adds(b, ",\"week\":");
			lq_buf_json_num(b, r->cap_week >= 0 ? r->cap_week :
			    NAN);
			lq_buf_addc(b, '}');
		}
		add_num(b, "value", w->value, 4);
		return 0;
	}
	/* nobody now or later: say why */
	lq_buf_adds(b, ",\"unavailable\":{");
	int first = 1;
	for (int w = 0; w < WHY_N; w++)
		if (nwhy[w]) {
			lq_buf_addf(b, "%s\"%s\":%d", first ? "" : ",",
			    why_name[w], nwhy[w]);
			first = 0;
		}
	lq_buf_addc(b, '}');
	return 1;
}

/*
 * The string member name of the record's top-level object member mi,
 * decoded into buf (the last one when repeated, as jq reads it); NULL when
 * absent or not a string.  Walks the scan's tape when there is one, else
 * the member's text: the score object is not parsed.
 */
static const char *
member_raw(const char *line, const struct lq_scan *s, long mi,
    const char *name, size_t *vlen)
{
	const char *v = NULL, *k, *vv;
	size_t kl, vl, nl = strlen(name);

	*vlen = 0;
	if (mi < 0 || s->m[mi].vkind != LQ_J_OBJECT)
		return NULL;
	if (s->tn) {
		uint32_t i = lq_tape_member(s->tape, line, s->m[mi].t, name, nl);
		if (i) {
			v = line + s->tape[i - 1].v;
			*vlen = s->tape[i - 1].ve - s->tape[i - 1].v;
		}
	} else {
		struct lq_json_iter it;
		lq_json_iter_start(&it, line + s->m[mi].vstart);
		while (lq_json_iter_next(&it, &k, &kl, &vv, &vl))
			if (lq_json_key_eq(k, kl, name, nl)) {
				v = vv;
				*vlen = vl;
			}
	}
	return v;
}

static const char *
member_str(const char *line, const struct lq_scan *s, long mi,
    const char *name, struct lq_buf *buf)
{
	size_t vlen;
	const char *v = member_raw(line, s, mi, name, &vlen);

	if (!v || *v != '"')
		return NULL;
	lq_buf_reset(buf);
	lq_json_unescape(buf, v, vlen);
	return buf->buf ? buf->buf : "";
}

/* a number member of the object mi, or NAN */
static double
member_num(const char *line, const struct lq_scan *s, long mi,
    const char *name)
{
	size_t vlen;
	const char *v = member_raw(line, s, mi, name, &vlen);
	char buf[64];
	double x;

	if (!v || vlen >= sizeof(buf) || !(*v == '-' || isdigit((unsigned
	    char)*v)))
		return NAN;
	memcpy(buf, v, vlen);
	buf[vlen] = 0;
	x = strtod(buf, NULL);
	return isfinite(x) ? x : NAN;
}

static int
tier_index(const char *s)
{
	if (s && s[0] == 'L' && s[1] >= '1' && s[1] <= '4' && !s[2])
		return s[1] - '1';
	return -1;
}

static jv
first_string(struct lq_eval *ev, int slot)
{
	jv v;

	if (slot < 0 || lq_eval_count(ev, slot) < 1)
		return jv_null();
	v = lq_eval_output(ev, slot, 0);
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

enum { V_NONE, V_STR, V_ERR, V_NOTSTR, V_MANY };

/*
 * The one string that slot gives for the record, in *out (owned; null when
 * none): V_STR, or V_NONE when it gives nothing but null or "" (nothing
 * known), V_ERR when it raised an error (*msg: jq's message, valid until
 * the next record), V_NOTSTR when an output is neither a string nor null,
 * V_MANY for different strings.
 */
static int
slot_string(struct lq_eval *ev, int slot, jv *out, const char **msg)
{
	long n;

	*out = jv_null();
	*msg = NULL;
	if (slot < 0)
		return V_NONE;
	if ((n = lq_eval_count(ev, slot)) < 0) {
		lq_eval_truth(ev, slot, msg);
		return V_ERR;
	}
	for (long k = 0; k < n; k++) {
		jv v = lq_eval_output(ev, slot, k);
		jv_kind kind = jv_get_kind(v);
		if (kind == JV_KIND_NULL || (kind == JV_KIND_STRING &&
		    !jv_string_length_bytes(jv_copy(v)))) {
			jv_free(v);
			continue;
		}
		if (kind != JV_KIND_STRING) {
			jv_free(v);
			jv_free(*out);
			*out = jv_null();
			return V_NOTSTR;
		}
		if (jv_get_kind(*out) == JV_KIND_NULL) {
			*out = v;
		} else if (!jv_equal(jv_copy(*out), v)) {
			jv_free(*out);
			*out = jv_null();
			return V_MANY;
		}
	}
	return jv_get_kind(*out) == JV_KIND_STRING ? V_STR : V_NONE;
}

/* the lead id as exact text: a string's contents or a number's spelling */
static int
lead_id(const struct lq_route *rt, const char *line, const struct lq_scan *s,
    struct lq_buf *id)
{
	long i = lq_scan_find(s, line, rt->id_field, strlen(rt->id_field));
	const struct lq_member *m;

	lq_buf_reset(id);
	if (i < 0)
		return -1;
	m = &s->m[i];
	if (m->vkind == LQ_J_STRING)
		lq_json_unescape(id, line + m->vstart, m->vend - m->vstart);
	else if (m->vkind == LQ_J_NUMBER)
		lq_buf_add(id, line + m->vstart, m->vend - m->vstart);
	else
		return -1;
	return id->len ? 0 : -1;
}

int
lq_route_lead_time(const char *line, const struct lq_scan *s,
    const char *name, double *t)
{
	long i = lq_scan_find(s, line, name, strlen(name));
	const struct lq_member *m;
	char buf[64];
	size_t n;

	if (i < 0)
		return -1;
	m = &s->m[i];
	n = m->vend - m->vstart;
	if (m->vkind == LQ_J_STRING) {
		if (n < 2)
			return -1;
		return lq_time_parse(line + m->vstart + 1, n - 2, t);
	}
	if (m->vkind != LQ_J_NUMBER || n >= sizeof(buf))
		return -1;
	memcpy(buf, line + m->vstart, n);
	buf[n] = 0;
	/* 1e400 is inf here: lq_route_eval() refuses it with the others */
	*t = lq_time_from_number(strtod(buf, NULL));
	return 0;
}

/*
 * The route member into out: owner, team and queue (NULL: null), the
 * reason (step, then the members in why) and contact_by (< 0: null).
 */
static void
write_member(struct lq_buf *out, const char *owner, const char *team,
    const char *queue, const char *step, const char *why, double contact_by)
{
	lq_buf_adds(out, "{\"owner\":");
	json_opt(out, owner);
	lq_buf_adds(out, ",\"team\":");
	json_opt(out, team);
	lq_buf_adds(out, ",\"queue\":");
	json_opt(out, queue);
	lq_buf_adds(out, ",\"reason\":{\"step\":");
	lq_buf_json_strs(out, step);
	lq_buf_adds(out, why);
	lq_buf_addc(out, '}');
	if (contact_by >= 0)
		add_time(out, "contact_by", contact_by);
	else
		lq_buf_adds(out, ",\"contact_by\":null");
	lq_buf_addc(out, '}');
}

/* the route member of decision d, its reason's members in why */
static void
write_route(struct lq_route *rt, struct lq_buf *out, const struct decision *d,
    const char *why)
{
	write_member(out, d->rep >= 0 ? rt->reps[d->rep].id : NULL,
	    d->team >= 0 ? rt->teams[d->team].name : NULL, d->queue, d->step,
	    why, d->contact_by);
}

/*
 * The e-mail address s as a person key: trimmed, lowercased, without a
 * +tag, and for Gmail without dots (googlemail.com is gmail.com).
 * Returns -1 when s is not an address (no key).
 */
static int
norm_email(const char *s, struct lq_buf *out)
{
	const char *at, *e;

	lq_buf_reset(out);
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (at = e; at > s && at[-1] != '@'; at--)
		;
	if (at <= s + 1 || at >= e || !memchr(at, '.', (size_t)(e - at)))
		return -1;
	const char *d = at;	/* the domain */
	size_t dn = (size_t)(e - d);
	char dom[256];
	if (dn >= sizeof(dom))
		return -1;
	for (size_t i = 0; i < dn; i++)
		dom[i] = (char)tolower((unsigned char)d[i]);
	dom[dn] = 0;
	int gmail = !strcmp(dom, "gmail.com") || !strcmp(dom, "googlemail.com");
	for (const char *p = s; p < at - 1; p++) {
		if (*p == '+')
			break;
		if (gmail && *p == '.')
			continue;
		lq_buf_addc(out, (char)tolower((unsigned char)*p));
	}
	if (!out->len)
		return -1;
	lq_buf_addc(out, '@');
	lq_buf_adds(out, gmail ? "gmail.com" : dom);
	return 0;
}

/* the rep id[0..n) when configured, active and not paused, else -1 */
static int
usable_rep(const struct lq_route *rt, const char *id, size_t n,
    const char **why)
{
	int ri = route_find_rep(rt, id, n);

	*why = ri < 0 ? "unknown rep" : !rt->reps[ri].active ?
	    why_name[WHY_INACTIVE] : rt->reps[ri].paused ?
	    why_name[WHY_PAUSED] : NULL;
	return *why ? -1 : ri;
}

/* the member ,"what_skipped": the lead (when not NULL) and rep passed over */
static void
skipped(struct lq_buf *b, const char *what, const char *lead,
    const char *rep, const char *why)
{
	lq_buf_addf(b, ",\"%s_skipped\":{", what);
	if (lead) {
		lq_buf_adds(b, "\"lead\":");
		lq_buf_json_strs(b, lead);
		lq_buf_addc(b, ',');
	}
	lq_buf_adds(b, "\"rep\":");
	lq_buf_json_strs(b, rep);
	lq_buf_addf(b, ",\"why\":\"%s\"}", why);
}

/* the lead's e-mail key and account key into dc (once) */
static void
lead_keys(struct lq_route *rt, struct lq_eval *res, struct decision *dc)
{
	const char *msg;
	jv v;

	if (dc->keys)
		return;
	dc->keys = 1;
	if (slot_string(res, rt->email_slot, &v, &msg) == V_STR)
		norm_email(jv_string_value(v), dc->email);
	jv_free(v);
	if (slot_string(res, rt->acct_slot, &v, &msg) == V_STR) {
		lq_buf_adds(dc->acct, jv_string_value(v));
		for (size_t i = 0; i < dc->acct->len; i++)
			dc->acct->buf[i] = (char)tolower((unsigned char)
			    dc->acct->buf[i]);
	}
	jv_free(v);
}

#define ROLLUP_SET_MAX 32	/* departments or seniorities kept */

/* the number of strings in the JSON array set (empty: 0) */
static int
set_len(const struct lq_buf *set)
{
	jv a;
	int n = 0;

	if (!set->len)
		return 0;
	a = jv_parse_sized(set->buf, (int)set->len);
	if (jv_get_kind(a) == JV_KIND_ARRAY)
		n = jv_array_length(jv_copy(a));
	jv_free(a);
	return n;
}

/* add the string v to the JSON array set (sorted, each once) */
static void
set_add(struct lq_buf *set, const char *v)
{
	jv a = set->len ? jv_parse_sized(set->buf, (int)set->len) :
	    jv_array(), s;
	int n;

	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		a = jv_array();
	}
	n = jv_array_length(jv_copy(a));
	for (int i = 0; i < n; i++) {
		jv x = jv_array_get(jv_copy(a), i);
		int eq = jv_get_kind(x) == JV_KIND_STRING &&
		    !strcmp(jv_string_value(x), v);
		jv_free(x);
		if (eq) {
			jv_free(a);
			return;
		}
	}
	if (n >= ROLLUP_SET_MAX) {
		jv_free(a);
		return;
	}
	a = jv_array_append(a, jv_string(v));
	a = jv_sort(a, jv_copy(a));
	s = jv_dump_string(a, 0);
	lq_buf_reset(set);
	lq_buf_adds(set, jv_string_value(s));
	jv_free(s);
}

/* the score of the roll-up a under the rules */
static double
rollup_score(const struct lq_route *rt, const struct lq_account *a)
{
	int t = tier_index(a->best_tier);

	return rt->pt_contact * a->contacts + rt->pt_engaged * a->engaged +
	    rt->pt_dept * set_len(&a->departments) +
	    rt->pt_sen * set_len(&a->seniorities) +
	    (t >= 0 ? rt->pt_tier[t] : 0);
}

/* a department or seniority of the lead: a string other than "unknown" */
static void
rollup_value(struct lq_eval *res, int slot, struct lq_buf *set)
{
	const char *msg;
	jv v;

	if (slot < 0)
		return;
	if (slot_string(res, slot, &v, &msg) == V_STR &&
	    strcmp(jv_string_value(v), "unknown"))
		set_add(set, jv_string_value(v));
	jv_free(v);
}

/*
 * The lead's account roll-up into rt->ra: the ledger's row with this lead
 * counted (a new person, its tier, department and seniority).  Recorded
 * by rollup_done() once the lead is decided.
 */
static int
rollup_count(struct lq_route *rt, struct lq_eval *res, const char *id,
    size_t idn, int tier, double now, struct decision *dc,
    struct lq_err *err)
{
	struct lq_account *a = &rt->ra;
	int found, seen = 0, bt;

	lead_keys(rt, res, dc);
	if (!dc->acct->len)
		return 0;
	if (lq_ledger_account_get(rt->lg, dc->acct->buf, a, &found, err))
		return -1;
	if (!found)
		a->first_at = a->last_at = now;
	if (dc->isnew) {
		if (dc->email->len && lq_ledger_person_seen(rt->lg,
		    dc->email->buf, id, idn, &seen, err))
			return -1;
		if (!seen)
			a->contacts++;
	}
	bt = tier_index(a->best_tier);
	if (tier >= 0 && (bt < 0 || tier < bt))
		snprintf(a->best_tier, sizeof(a->best_tier), "L%d", tier + 1);
	rollup_value(res, rt->dept_slot, &a->departments);
	rollup_value(res, rt->sen_slot, &a->seniorities);
	if (now > a->last_at)
		a->last_at = now;
	if (now < a->first_at)
		a->first_at = now;
	dc->acct_known = 1;
	return 0;
}

/*
 * The account's owner takes the lead (step rollup); when the account has
 * none and its score reached the threshold, the best rep of rollup.team
 * becomes its owner.  Returns 0 when decided, 1 to go on, -1 on error.
 */
static int
rollup_owner(struct lq_route *rt, const char *id, size_t idn, double now,
    double sla, struct decision *dc, struct lq_err *err)
{
	struct lq_account *a = &rt->ra;
	struct lq_buf *b = dc->why;
	double score = rollup_score(rt, a);
	const char *why;
	int ri, rc;
	size_t mark;

	if (a->owner.len) {
		if ((ri = usable_rep(rt, a->owner.buf, a->owner.len, &why)) <
		    0) {
			skipped(b, "rollup", NULL, a->owner.buf, why);
			lq_buf_reset(&a->owner);	/* made again below */
		} else {
			struct rep *r = take(rt, dc, ri, "rollup", 1);
			add_str(b, "account", dc->acct->buf);
			add_time(b, "owner_since", a->owner_at);
			dc->contact_by = held_deadline(rt, r, now, sla, b);
			return 0;
		}
	}
	if (rt->threshold <= 0 || score < rt->threshold ||
	    rt->rollup_team < 0)
		return 1;
	mark = b->len;
	add_str(b, "account", dc->acct->buf);
	if ((rc = decide_team(rt, rt->rollup_team, -1, id, idn, now, sla, dc,
	    err)) < 0)
		return -1;
	if (rc > 0) {
		/* nobody in the account team: the usual steps */
		b->len = mark;
		if (b->buf)
			b->buf[mark] = '\0';
		dc->team = -1;
		return 1;
	}
	dc->step = "rollup";
	return 0;
}

/*
 * After the decision: an account at or above the threshold without an
 * owner gets the lead's rep as owner (crossed), the rep of rollup.team
 * when there is one; the roll-up is recorded.
 */
static int
rollup_done(struct lq_route *rt, struct decision *dc, double now,
    struct lq_err *err)
{
	struct lq_account *a = &rt->ra;
	double score = rollup_score(rt, a);

	if (!dc->acct_known)
		return 0;
	if (!a->owner.len && rt->threshold > 0 && score >= rt->threshold &&
	    dc->rep >= 0 && dc->counts && strcmp(dc->step, "action") &&
	    strcmp(dc->step, "fallback") && (rt->rollup_team < 0 ||
	    !strcmp(dc->step, "rollup"))) {
		lq_buf_adds(&a->owner, rt->reps[dc->rep].id);
		a->owner_at = now;
		dc->crossed = 1;
	}
	if (rt->ro)
		return 0;
	return lq_ledger_account_put(rt->lg, dc->acct->buf, a, score, err);
}

/* the route member's "account": the roll-up of the lead's account */
static void
rollup_write(struct lq_route *rt, const struct decision *dc,
    struct lq_buf *out)
{
	const struct lq_account *a = &rt->ra;

	lq_buf_adds(out, ",\"account\":{\"key\":");
	lq_buf_json_strs(out, dc->acct->buf);
	lq_buf_addf(out, ",\"contacts\":%ld,\"engaged\":%ld,\"best_tier\":",
	    a->contacts, a->engaged);
	json_opt(out, a->best_tier[0] ? a->best_tier : NULL);
	lq_buf_adds(out, ",\"departments\":");
	lq_buf_adds(out, a->departments.len ? a->departments.buf : "[]");
	lq_buf_adds(out, ",\"seniorities\":");
	lq_buf_adds(out, a->seniorities.len ? a->seniorities.buf : "[]");
	add_num(out, "score", rollup_score(rt, a), 2);
	lq_buf_adds(out, ",\"threshold\":");
	if (rt->threshold > 0)
		lq_buf_json_num(out, rt->threshold);
	else
		lq_buf_adds(out, "null");
	lq_buf_adds(out, ",\"owner\":");
	json_opt(out, a->owner.len ? a->owner.buf : NULL);
	if (dc->crossed)
		lq_buf_adds(out, ",\"crossed\":true");
	lq_buf_addc(out, '}');
}

/*
 * The rep holding lead (when found) if usable and, when at >= 0, not on
 * PTO at at; else -1, and when found the member what_skipped says why.
 */
static int
held_by(struct lq_route *rt, struct decision *dc, int found,
    const struct lq_buf *lead, const struct lq_buf *rep, const char *what,
    double at)
{
	const char *why;
	int ri;

	if (!found)
		return -1;
	ri = usable_rep(rt, rep->buf, rep->len, &why);
	if (ri >= 0 && at >= 0 && route_in_pto(&rt->reps[ri], at, NULL)) {
		ri = -1;
		why = why_name[WHY_PTO];
	}
	if (ri < 0)
		skipped(dc->why, what, lead->buf, rep->buf, why);
	return ri;
}

/*
 * Before the CRM owner: the same person (normalised e-mail) already with a
 * rep goes to that rep (step duplicate, no capacity used); a lead of an
 * account a rep has worked within the window goes to that rep (step
 * account), unless the rep is inactive, paused or on PTO.  Returns 0 when
 * decided, 1 to go on, -1 on a ledger error.
 */
static int
match_ledger(struct lq_route *rt, struct lq_eval *res, const char *id,
    size_t idn, double now, double sla, struct decision *dc,
    struct lq_err *err)
{
	struct lq_buf lead = LQ_BUF_INIT, rep = LQ_BUF_INIT;
	struct lq_buf *b = dc->why;
	int found, ri, rc = 1;

	if (!rt->lg)
		return 1;	/* nothing to match against, no key to keep */
	lead_keys(rt, res, dc);
	if (dc->email->len) {
		if (lq_ledger_find_email(rt->lg, dc->email->buf, id, idn, &lead,
		    &rep, &found, err))
			goto fail;
		if ((ri = held_by(rt, dc, found, &lead, &rep, "duplicate",
		    -1)) >= 0) {
			struct rep *r = take(rt, dc, ri, "duplicate", 0);
			lq_buf_adds(dc->dup_of, lead.buf);
			add_str(b, "duplicate_of", lead.buf);
			lq_buf_adds(b, ",\"match\":\"email\"");
			dc->contact_by = route_deadline(rt, r, now, sla);
			rc = 0;
			goto out;
		}
	}
	if (dc->acct_known && (rc = rollup_owner(rt, id, idn, now, sla, dc,
	    err)) <= 0)
		goto out;
	rc = 1;
	if (dc->acct->len) {
		if (lq_ledger_find_account(rt->lg, dc->acct->buf, now -
		    rt->acct_window, id, idn, &lead, &rep, &found, err))
			goto fail;
		if ((ri = held_by(rt, dc, found, &lead, &rep, "account",
		    now)) >= 0) {
			struct rep *r = take(rt, dc, ri, "account", 1);
			struct zone *z = route_zone_at(rt, r->zone, now);
			add_str(b, "account", dc->acct->buf);
			add_str(b, "account_lead", lead.buf);
			if (!route_in_hours(r, z))
				lq_buf_adds(b, ",\"available\":false");
			dc->contact_by = route_deadline(rt, r, now, sla);
			rc = 0;
			goto out;
		}
	}
	goto out;
fail:
	rc = -1;
out:
	lq_buf_release(&lead);
	lq_buf_release(&rep);
	return rc;
}

/*
 * Step 1: the action and tier of the lead's score into *a, *t and *tier
 * (-1: none); why the lead is for a person to look at (not scored, or an
 * action or tier lq-score does not write), or NULL.
 */
static const char *
read_score(struct lq_route *rt, const char *line, const struct lq_scan *s,
    const char **a, const char **t, int *tier)
{
	long si = lq_scan_find(s, line, rt->score_key, strlen(rt->score_key));

	*a = *t = NULL;
	*tier = -1;
	if (si < 0 || s->m[si].vkind != LQ_J_OBJECT)
		return "not scored";
	*t = member_str(line, s, si, "tier", &rt->tmp);
	*a = member_str(line, s, si, "action", &rt->sbuf);
	*tier = tier_index(*t);
	if (!*a || (strcmp(*a, "route") && strcmp(*a, "review") &&
	    strcmp(*a, "nurture")))
		return "unknown action";
	if (*tier < 0)
		return "unknown tier";
	return NULL;
}

/* step 1: a lead not for a rep (action a, tier t) goes to its queue */
static void
to_queue(struct lq_route *rt, struct decision *dc, const char *a,
    const char *t, const char *why, double now)
{
	struct lq_buf *b = dc->why;
	int nurture = !why && !strcmp(a, "nurture");
	double q = rt->q_sla[nurture ? QS_NURTURE : QS_REVIEW];

	dc->queue = nurture ? rt->q_nurture : rt->q_review;
	dc->step = "action";
	lq_buf_adds(b, ",\"action\":");
	json_opt(b, a);
	if (why && !strcmp(why, "unknown tier")) {
		lq_buf_adds(b, ",\"tier\":");
		json_opt(b, t);
	}
	if (why)
		lq_buf_addf(b, ",\"why\":\"%s\"", why);
	if (q > 0)
		dc->contact_by = now + q;
}

/* the index of the lead's segment in rt->segs, or -1 */
static int
lead_segment(struct lq_route *rt, struct lq_eval *res)
{
	int seg = -1;
	jv s;

	if (!rt->have_perf)
		return -1;
	s = first_string(res, rt->segment_slot);
	if (jv_get_kind(s) == JV_KIND_STRING)
		seg = route_seg_index(rt, jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	return seg;
}

/*
 * Step 2, CRM ownership: the owner expression, else the accounts table.
 * An owner lq cannot read (the expression failed, gave something other
 * than a string, or several names) may be someone's account: review,
 * rather than a territory rep.  Returns 0 when decided, 1 to go on.
 */
static int
crm_owner(struct lq_route *rt, struct lq_eval *res, double now, double sla,
    struct decision *dc)
{
	static const char *whys[][2] = {
		[V_ERR] = { "owner unknown", "account key unknown" },
		[V_NOTSTR] = { "owner not a string",
		    "account key not a string" },
		[V_MANY] = { "several owners", "several account keys" },
	};
	struct lq_buf *b = dc->why;
	const char *src = "crm", *msg = NULL, *why;
	jv own;
	int ok = slot_string(res, rt->owner_slot, &own, &msg), ri, rc = 1;

	if (ok == V_NONE && rt->match_slot >= 0) {
		jv k;
		src = "accounts";
		ok = slot_string(res, rt->match_slot, &k, &msg);
		if (ok == V_STR) {
			const char *o = route_account_owner(rt,
			    jv_string_value(k));
			own = o ? jv_string(o) : jv_null();
			ok = o ? V_STR : V_NONE;
		}
		jv_free(k);
	}
	if (ok != V_STR && ok != V_NONE) {
		dc->queue = rt->q_review;
		dc->step = "owner";
		lq_buf_addf(b, ",\"source\":\"%s\",\"why\":\"%s\"", src,
		    whys[ok][strcmp(src, "crm") != 0]);
		if (msg)
			add_str(b, "error", msg);
		rc = 0;
	} else if (ok == V_STR) {
		const char *o = jv_string_value(own);
		if ((ri = usable_rep(rt, o, (size_t)jv_string_length_bytes(
		    jv_copy(own)), &why)) >= 0) {
			struct rep *r = take(rt, dc, ri, "owner", 1);
			lq_buf_addf(b, ",\"source\":\"%s\"", src);
			dc->contact_by = held_deadline(rt, r, now, sla, b);
			rc = 0;
		} else {
			skipped(b, "owner", NULL, o, why);
		}
	}
	jv_free(own);
	return rc;
}

/*
 * Step 3: the first territory whose condition holds, or -1; those whose
 * condition could not be told are listed in b ("unknown").
 */
static int
territory(const struct lq_route *rt, struct lq_eval *res, struct lq_buf *b)
{
	int nunk = 0, i;

	for (i = 0; i < rt->nterr; i++) {
		const struct terr *t = &rt->terr[i];
		enum lq_truth tr = t->slot < 0 ? LQ_TRUE :
		    lq_eval_truth(res, t->slot, NULL);
		if (tr == LQ_UNKNOWN) {
			lq_buf_adds(b, nunk++ ? "," : ",\"unknown\":[");
			lq_buf_json_strs(b, t->name);
			continue;
		}
		if (tr == LQ_TRUE)
			break;
	}
	if (nunk)
		lq_buf_addc(b, ']');
	return i < rt->nterr ? i : -1;
}

/*
 * Decide; the record is parsed only past step 1 (nurture and review
 * leads need nothing but their score).
 */
static int
decide(struct lq_route *rt, const char *line, size_t len,
    const struct lq_scan *s, const char *key, const char *id, size_t idn,
    double now, struct decision *dc, const char **tier_name,
    struct lq_err *err)
{
	static const char *tiers[] = { "L1", "L2", "L3", "L4" };
	struct lq_buf *b = dc->why;
	const char *a, *t, *why;
	int tier, seg, rc, evaluated = 0;
	double sla;

	/* 1. the action */
	why = read_score(rt, line, s, &a, &t, &tier);
	*tier_name = tier >= 0 ? tiers[tier] : NULL;
	/* the account roll-up counts every lead of the account */
	if (rt->rollup && rt->lg) {
		if (lq_eval_record(rt->ev, line, len, s, key, err) < 0)
			return -1;
		evaluated = 1;
		if (rollup_count(rt, rt->ev, id, idn, tier, now, dc, err))
			return -1;
	}
	if (why || strcmp(a, "route")) {
		to_queue(rt, dc, a, t, why, now);
		return 0;
	}
	sla = rt->sla[tier];
	if (!evaluated && lq_eval_record(rt->ev, line, len, s, key, err) < 0)
		return -1;
	seg = lead_segment(rt, rt->ev);
	/* 1b. the same person or account in the ledger */
	if ((rt->email_slot >= 0 || rt->acct_slot >= 0) &&
	    (rc = match_ledger(rt, rt->ev, id, idn, now, sla, dc, err)) <= 0)
		return rc;
	/* 2. the CRM owner */
	if (!crm_owner(rt, rt->ev, now, sla, dc))
		return 0;
	/* 3. territory; 4 and 5: the best rep now, or the first later */
	if ((dc->terr = territory(rt, rt->ev, b)) >= 0) {
		add_str(b, "territory", rt->terr[dc->terr].name);
		dc->team = rt->terr[dc->terr].team;
		rc = decide_team(rt, dc->team, seg, id, idn, now, sla, dc, err);
		if (rc <= 0)
			return rc;
	} else {
		lq_buf_adds(b, ",\"territory\":null");
	}
	/* 5. fallback */
	dc->step = "fallback";
	dc->queue = rt->q_fallback;
	dc->contact_by = now + (rt->q_sla[QS_FALLBACK] > 0 ?
	    rt->q_sla[QS_FALLBACK] : sla);
	if (rt->fallback_owner >= 0) {
		dc->rep = rt->fallback_owner;
		dc->counts = 0;
	}
	return 0;
}

int
lq_route_eval(struct lq_route *rt, const char *line, size_t len,
    const struct lq_scan *s, double now, const char *key, struct lq_buf *out,
    struct lq_err *err)
{
	struct lq_buf id = LQ_BUF_INIT, why = LQ_BUF_INIT, route = LQ_BUF_INIT;
	struct lq_buf old = LQ_BUF_INIT, email = LQ_BUF_INIT, acct = LQ_BUF_INIT;
	struct lq_buf dup = LQ_BUF_INIT;
	struct decision dc = { .rep = -1, .team = -1, .terr = -1,
	    .contact_by = -1, .why = &why, .email = &email, .acct = &acct,
	    .dup_of = &dup };
	static const char unowned[] = "{\"owner\":null,";
	const char *tier = NULL, *state = "new";
	int found = 0, rc = -1;
	size_t head;

	if (!lq_route_time_valid(now))
		return lq_err_set(err, LQ_EXIT_RECORDS, "routing time %g is "
		    "out of range (from 1970 to 8999)", now);

	if (lead_id(rt, line, s, &id) < 0) {
		if (rt->lg) {
			lq_err_set(err, LQ_EXIT_RECORDS, "no lead id (a string "
			    "or number in member '%s')", rt->id_field);
			goto out;
		}
		lq_buf_add(&id, line, len);	/* tie-breaks on the bytes */
	}
	if (rt->lg) {
		if (lq_ledger_begin(rt->lg, err) ||
		    lq_ledger_find(rt->lg, id.buf, id.len, &old, &found, err))
			goto out;
		/*
		 * A lead with an owner keeps it; one held in a queue (nurture,
		 * review, fallback) is decided again, and keeps its stored
		 * route unless it now goes elsewhere.
		 */
		if (found && !rt->reassign && strncmp(old.buf, unowned,
		    sizeof(unowned) - 1))
			goto existing;
		state = found ? (rt->reassign ? "reassigned" : "updated") :
		    "new";
		if (found && rt->reassign &&
		    lq_ledger_forget(rt->lg, id.buf, id.len, err))
			goto out;
	}
	dc.isnew = !found;
	if (decide(rt, line, len, s, key, id.buf, id.len, now, &dc, &tier,
	    err) || rollup_done(rt, &dc, now, err))
		goto out;
	write_route(rt, &route, &dc, why.buf ? why.buf : "");
	if (found && !rt->reassign) {
		/* same owner (none), team and queue: nothing changes */
		char *r = strstr(route.buf, ",\"reason\":");
		head = r ? (size_t)(r - route.buf) + 1 : 0;
		if (head && old.len > head && !memcmp(old.buf, route.buf, head))
			goto existing;
	}
	if (rt->lg && !rt->ro) {
		struct lq_assign a = {
			.lead_id = id.buf, .lead_idlen = id.len,
			.rep = dc.rep >= 0 ? rt->reps[dc.rep].id : NULL,
			.team = dc.team >= 0 ? rt->teams[dc.team].name : NULL,
			.queue = dc.queue, .at = now, .tier = tier,
			.step = dc.step, .counts = dc.counts && dc.rep >= 0,
			.route = route.buf, .routelen = route.len,
			.reassign = found, .contact_by = dc.contact_by,
			.email_key = email.len ? email.buf : NULL,
			.account_key = acct.len ? acct.buf : NULL,
			.duplicate_of = dup.len ? dup.buf : NULL };
		if (lq_ledger_record(rt->lg, &a, err))
			goto out;
		/*
		 * A lead to be routed that nobody could take is kept with its
		 * line: the next batch decides it first (lq-route(1),
		 * Priority).
		 */
		if (tier && !strcmp(dc.step, "fallback")) {
			long rank;
			double value;
			lq_route_priority(rt, line, s, &rank, &value);
			if (lq_ledger_pending_put(rt->lg, id.buf, id.len, tier,
			    rank, value, now, line, len, err))
				goto out;
		} else if (found && lq_ledger_pending_del(rt->lg, id.buf,
		    id.len, err)) {
			goto out;
		}
	}
	if (dc.counts && dc.rep >= 0)
		route_rep_counted(rt, &rt->reps[dc.rep], now);
	lq_buf_add(out, route.buf, route.len - 1);
	if (dc.acct_known)
		rollup_write(rt, &dc, out);
	if (rt->lg)
		lq_buf_addf(out, ",\"ledger\":\"%s\"}", rt->ro ? "dry-run" :
		    state);
	else
		lq_buf_addc(out, '}');
	rc = 0;
	goto out;
existing:
	/* the stored route, marked as coming from the ledger */
	if (old.len && old.buf[old.len - 1] == '}')
		old.len--;
	lq_buf_add(out, old.buf, old.len);
	if (rt->rollup && !dc.acct_known) {
		/* the account as it is now */
		int known = 0;
		if (lq_eval_record(rt->ev, line, len, s, key, err) < 0)
			goto out;
		lead_keys(rt, rt->ev, &dc);
		if (dc.acct->len && lq_ledger_account_get(rt->lg, dc.acct->buf,
		    &rt->ra, &known, err))
			goto out;
		dc.acct_known = known;
	}
	if (dc.acct_known)
		rollup_write(rt, &dc, out);
	lq_buf_adds(out, ",\"ledger\":\"existing\"}");
	rc = 0;
out:
	lq_buf_release(&id);
	lq_buf_release(&why);
	lq_buf_release(&route);
	lq_buf_release(&old);
	lq_buf_release(&email);
	lq_buf_release(&acct);
	lq_buf_release(&dup);
	return rc;
}

void
lq_route_priority(struct lq_route *rt, const char *line,
    const struct lq_scan *s, long *rank, double *value)
{
	long si = lq_scan_find(s, line, rt->score_key, strlen(rt->score_key));
	const char *a, *t;
	int ai = 3, ti;

	*rank = 3 * 8 + 4;
	*value = -HUGE_VAL;
	if (si < 0 || s->m[si].vkind != LQ_J_OBJECT)
		return;
	a = member_str(line, s, si, "action", &rt->sbuf);
	if (a)
		ai = !strcmp(a, "route") ? 0 : !strcmp(a, "review") ? 1 :
		    !strcmp(a, "nurture") ? 2 : 3;
	t = member_str(line, s, si, "tier", &rt->tmp);
	ti = tier_index(t);
	*rank = ai * 8 + (ti < 0 ? 4 : ti);
	*value = member_num(line, s, si, "probability");
	if (isnan(*value))
		*value = member_num(line, s, si, "points");
	if (isnan(*value))
		*value = -HUGE_VAL;
}

int
lq_route_contact(struct lq_ledger *lg, const char *id_field, const char *line,
    const struct lq_scan *s, struct lq_err *err)
{
	struct lq_buf id = LQ_BUF_INIT, rep = LQ_BUF_INIT, out = LQ_BUF_INIT;
	const char *names[] = { id_field, "lead_id" };
	double at;
	long i = -1;
	int rc = -1;

	for (int k = 0; k < 2 && i < 0; k++) {
		i = lq_scan_find(s, line, names[k], strlen(names[k]));
		if (i >= 0 && s->m[i].vkind == LQ_J_STRING)
			lq_json_unescape(&id, line + s->m[i].vstart,
			    s->m[i].vend - s->m[i].vstart);
		else if (i >= 0 && s->m[i].vkind == LQ_J_NUMBER)
			lq_buf_add(&id, line + s->m[i].vstart, s->m[i].vend -
			    s->m[i].vstart);
		else
			i = -1;
	}
	if (!id.len) {
		lq_err_set(err, LQ_EXIT_RECORDS, "no lead id (a string or number "
		    "in member '%s' or 'lead_id')", id_field);
		goto out;
	}
	if (lq_route_lead_time(line, s, "at", &at) < 0 &&
	    lq_route_lead_time(line, s, "time", &at) < 0) {
		lq_err_set(err, LQ_EXIT_RECORDS, "no contact time (RFC 3339 or "
		    "epoch in member 'at' or 'time')");
		goto out;
	}
	if (!lq_route_time_valid(at)) {
		lq_err_set(err, LQ_EXIT_RECORDS, "contact time out of range "
		    "(from 1970 to 8999)");
		goto out;
	}
	const char *r = NULL, *o = NULL;
	long ri = lq_scan_find(s, line, "rep", 3);
	long oi = lq_scan_find(s, line, "outcome", 7);
	if (ri >= 0 && s->m[ri].vkind == LQ_J_STRING) {
		lq_json_unescape(&rep, line + s->m[ri].vstart, s->m[ri].vend -
		    s->m[ri].vstart);
		r = rep.buf ? rep.buf : "";
	}
	if (oi >= 0 && s->m[oi].vkind == LQ_J_STRING) {
		lq_json_unescape(&out, line + s->m[oi].vstart, s->m[oi].vend -
		    s->m[oi].vstart);
		o = out.buf ? out.buf : "";
	}
	if (lq_ledger_begin(lg, err) || lq_ledger_contact(lg, id.buf, id.len,
	    at, r, o, err))
		goto out;
	rc = 0;
out:
	lq_buf_release(&id);
	lq_buf_release(&rep);
	lq_buf_release(&out);
	return rc;
}

/* one assignment past its deadline: reassign or escalate */
static int
sweep_one(struct lq_route *rt, const struct lq_due *d, double now,
    struct lq_buf *out, int *escalated, struct lq_err *err)
{
	struct lq_buf why = LQ_BUF_INIT, route = LQ_BUF_INIT, rs = LQ_BUF_INIT;
	struct decision dc = { .rep = -1, .team = -1, .terr = -1,
	    .contact_by = -1, .why = &why };
	int team = d->team ? route_find_team(rt, d->team) : -1;
	int tier = tier_index(d->tier), misses = d->misses + 1, rc = -1;
	double sla = tier >= 0 ? rt->sla[tier] : rt->sla_default;
	const char *owner = NULL, *queue = NULL, *step;

	*escalated = 0;
	for (int i = 0; i < rt->nreps; i++) {
		int held = !strcmp(rt->reps[i].id, d->rep);
		if (!held && lq_ledger_held_by(rt->lg, d->lead_id,
		    rt->reps[i].id, &held, err))
			goto out;
		rt->reps[i].excluded = held;
	}
	int placed = 1;
	if (misses >= rt->escalate_after || team < 0)
		placed = 0;
	else if ((placed = decide_team(rt, team, -1, d->lead_id,
	    strlen(d->lead_id), now, sla, &dc, err)) < 0)
		goto out;
	else
		placed = placed == 0;
	for (int i = 0; i < rt->nreps; i++)
		rt->reps[i].excluded = 0;
	if (placed) {
		step = "sweep";
		owner = rt->reps[dc.rep].id;
	} else {
		step = "escalate";
		*escalated = 1;
		lq_buf_reset(&why);
		dc.rep = -1;
		dc.counts = 0;
		dc.contact_by = rt->q_sla[QS_ESCALATE] > 0 ? now +
		    rt->q_sla[QS_ESCALATE] : -1;
		if (team >= 0 && rt->teams[team].manager)
			owner = rt->teams[team].manager;
		else
			queue = rt->q_escalate;
		dc.team = team;
	}
	add_str(&rs, "previous", d->rep);
	add_time(&rs, "missed", d->contact_by);
	lq_buf_addf(&rs, ",\"misses\":%d", misses);
	if (!placed && misses < rt->escalate_after)
		lq_buf_adds(&rs, ",\"why\":\"nobody else available\"");
	if (why.len)
		lq_buf_add(&rs, why.buf, why.len);
	write_member(&route, owner, team >= 0 ? rt->teams[team].name : NULL,
	    queue, step, rs.buf, dc.contact_by);
	struct lq_assign a = {
		.lead_id = d->lead_id, .lead_idlen = strlen(d->lead_id),
		.rep = owner, .team = team >= 0 ? rt->teams[team].name : NULL,
		.queue = queue, .at = now, .tier = d->tier, .step = step,
		.counts = placed && dc.counts, .route = route.buf,
		.routelen = route.len, .reassign = 1,
		.contact_by = dc.contact_by, .email_key = d->email_key,
		.account_key = d->account_key, .misses = misses,
		.action = step };
	if (lq_ledger_record(rt->lg, &a, err))
		goto out;
	if (placed && dc.counts)
		route_rep_counted(rt, &rt->reps[dc.rep], now);
	lq_buf_adds(out, "{");
	lq_buf_json_strs(out, rt->id_field);
	lq_buf_addc(out, ':');
	lq_buf_json_strs(out, d->lead_id);
	lq_buf_adds(out, ",\"route\":");
	lq_buf_add(out, route.buf, route.len - 1);
	lq_buf_adds(out, ",\"ledger\":\"");
	lq_buf_adds(out, step);
	lq_buf_adds(out, "\"}}\n");
	rc = 0;
out:
	lq_buf_release(&why);
	lq_buf_release(&route);
	lq_buf_release(&rs);
	return rc;
}

int
lq_route_sweep(struct lq_route *rt, double now, struct lq_buf *out,
    long *n, long *escalated, struct lq_err *err)
{
	struct lq_due *d;
	size_t nd;
	int esc;

	*n = *escalated = 0;
	if (!rt->lg || rt->ro)
		return lq_err_set(err, LQ_EXIT_USAGE, "the sweep needs a "
		    "writable ledger");
	if (lq_ledger_due(rt->lg, now, &d, &nd, err))
		return -1;
	for (size_t i = 0; i < nd; i++) {
		if (sweep_one(rt, &d[i], now, out, &esc, err)) {
			lq_ledger_due_free(d, nd);
			return -1;
		}
		(*n)++;
		*escalated += esc;
	}
	lq_ledger_due_free(d, nd);
	return 0;
}
