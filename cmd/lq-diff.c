/*
 * lq-diff - the same leads scored or routed two ways, either as two
 * members of each record named by -k (the output of lq-score -k before
 * piped into lq-score), or as two files (the leads scored by the old and
 * by the new rules), joined by line number or by a lead id: the tier
 * transition matrix, how many leads change tier, action or rep, the
 * conversion each tier would have had on history with 95% intervals, the
 * leads that move most with their reasons before and after, and the leads
 * found in one file only; as text, NDJSON rows and an SVG chart, for
 * reviewing a rules or model change.
 *
 * Records are read from their raw text (lq_json.h), never parsed into jv
 * values; the --won expression runs through lq_eval_record() (native
 * first, libjq only where the native evaluator cannot).
 */
#define _GNU_SOURCE	/* qsort_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_expr.h"
#include "lq_strmap.h"
#include "lq_svg.h"
#include "lqcmd.h"
#include "lq_mem.h"
#include "lq_stats.h"

static const char usage[] =
    "-k BEFORE -k AFTER [-j] [--won EXPR] [--top N] [--svg FILE]\n"
    "       [--id PATH] [--rejects FILE] [--strict] [FILE ...]\n"
    "       lq-diff [-k KEY] [--id PATH] [options] BEFORE-FILE AFTER-FILE";

/* --help before the options */
static const char about[] =
"usage: lq-diff -k BEFORE -k AFTER [options] [FILE ...]\n"
"       lq-diff [-k KEY] [--id PATH] [options] BEFORE-FILE AFTER-FILE\n"
"Compare two scorings (or routings) of the same NDJSON leads: held in the\n"
"members BEFORE and AFTER of each record (-k twice), or in the member KEY\n"
"(default score) of the leads of two files, joined by line number or, with\n"
"--id, by lead id.  Shows tier transitions, leads that change tier,\n"
"action or rep, conversion per tier on history, the leads that move most\n"
"with their reasons, and the leads found in one file only.\n"
"\n";

enum { O_WON = LQCMD_OPT_TOOL, O_TOP, O_SVG, O_ID };

static const struct lqcmd_option opt[] = {
	{ 'k', "key", "NAME",
	    "the member of the first, then of the second\n"
	    "scoring (given twice); once: the member of both\n"
	    "files (default score)" },
	{ O_ID, "id", "PATH",
	    "two files: join by this lead id (a jq path of\n"
	    "member names, such as .id or .crm.lead_id)\n"
	    "instead of by line number; it also names the\n"
	    "leads listed (default .id)" },
	{ 'j', "json", NULL, "NDJSON rows instead of text" },
	{ O_WON, "won", "EXPR",
	    "jq expression: the lead was won (default\n"
	    ".outcome.won); leads where it gives nothing or\n"
	    "null have no outcome" },
	{ O_TOP, "top", "N", "leads that move most to list (default 10)" },
	{ O_SVG, "svg", "FILE",
	    "write the transition matrix and the conversion\n"
	    "per tier before and after as SVG to FILE" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-diff(1).\n" };

#define MAXTIER 32		/* tier labels; more are "(other)" */
#define NOTIER "(none)"
#define MAXPATH 16		/* segments of an --id path */
#define LISTED 20		/* leads in one file only listed in text */

/* one scoring of a lead */
struct side {
	char *tier, *action, *owner;	/* NULL: none (tier: NOTIER) */
	double points;		/* points, else 100 x probability; NaN */
	char *reasons;		/* "signal +5, ..." (top 5 by points) */
};

/* a lead that moved */
struct mover {
	double weight;		/* tier change first, then points */
	char *id;		/* the id's JSON text, or "file:line" */
	struct side s[2];
	char *changed;		/* "signal 0 -> 5.35; ..." */
};

/* a lead of one file only */
struct only {
	char *id;		/* the id's JSON text, or NULL */
	long line;
};

/* two files joined by id: a lead of the first file, waiting */
struct held {
	char *id;		/* the id's JSON text (the map's key) */
	char *obj;		/* the member's text, or NULL: none */
	long line;
	long line2;		/* its line in the second file; 0: none */
	signed char won;	/* -1: no outcome */
};

struct diff {
	const char *key[2];
	const char *file[2];	/* two files: their names; else NULL */
	int join;		/* 0: -k twice, 1: by line, 2: by id */
	char *tiers[MAXTIER];
	int ntiers;
	long m[MAXTIER][MAXTIER];
	long mk[MAXTIER][MAXTIER], mw[MAXTIER][MAXTIER];	/* with an
				   outcome, won, per transition */
	long leads[2][MAXTIER], won[2][MAXTIER], known[2][MAXTIER];
	long n, tier_changed, action_changed, rep_changed, rep_known;
	long outcome_known;
	long missing[2];	/* records without the member */
	struct mover *top;
	int ntop, maxtop;
	struct only *only[2];	/* leads of one file only */
	long nonly[2], conly[2];
	struct held *held;	/* --id: the first file's leads */
	long nheld, cheld;
	int second;		/* --id: reading the second file */
	struct lq_strmap ids;
	struct lq_exprs *x;
	struct lq_eval *ev;
	int won_slot;
	const char *won_text;
	const char *id_text;	/* the --id path as given */
	char *idseg[MAXPATH];	/* its member names, decoded */
	size_t idlen[MAXPATH];
	int nidseg;
	struct lq_buf sb[2][3];	/* per side: tier, action, owner */
	struct lqcmd_run *run;
};

static int
tier_index(struct diff *d, const char *t)
{
	for (int i = 0; i < d->ntiers; i++)
		if (!strcmp(d->tiers[i], t))
			return i;
	if (d->ntiers == MAXTIER - 1) {
		for (int i = 0; i < d->ntiers; i++)
			if (!strcmp(d->tiers[i], "(other)"))
				return i;
		t = "(other)";
	}
	d->tiers[d->ntiers] = lq_xstrdup(t);
	return d->ntiers++;
}

/*
 * Parse the --id path: '.' followed by member names, each .name (letters,
 * digits, _), ."quoted" or ["quoted"] (a JSON string).  Returns 0, or -1.
 */
static int
id_parse(struct diff *d, const char *p)
{
	struct lq_buf b = LQ_BUF_INIT;
	int rc = 0;

	if (p[0] != '.' || p[1] == '\0')
		return -1;
	while (*p && rc == 0) {
		const char *s, *e;
		int close = 0;
		if (d->nidseg == MAXPATH)
			return -1;
		if (p[0] == '.' && (p[1] == '_' || ((p[1] | 32) >= 'a' &&
		    (p[1] | 32) <= 'z'))) {
			for (e = p + 1; *e == '_' || ((*e | 32) >= 'a' &&
			    (*e | 32) <= 'z') || (*e >= '0' && *e <= '9'); e++)
				;
			d->idseg[d->nidseg] = lq_xstrndup(p + 1,
			    (size_t)(e - p - 1));
			d->idlen[d->nidseg++] = (size_t)(e - p - 1);
			p = e;
			continue;
		}
		if (p[0] == '.' && p[1] == '"') {
			s = p + 1;
		} else if (p[0] == '[' || (p[0] == '.' && p[1] == '[')) {
			s = p + (p[0] == '.') + 1;
			close = 1;
		} else {
			rc = -1;
			break;
		}
		/* a JSON string at s */
		for (e = s + 1; *s == '"' && *e && *e != '"'; e++)
			if (*e == '\\' && e[1])
				e++;
		if (*s != '"' || *e != '"') {
			rc = -1;
			break;
		}
		struct lq_scan sc = LQ_SCAN_INIT;
		struct lq_err err;
		if (lq_json_scan(&sc, s, (size_t)(e + 1 - s), &err) < 0 ||
		    sc.kind != LQ_J_STRING)
			rc = -1;
		lq_scan_release(&sc);
		lq_buf_reset(&b);
		lq_json_unescape(&b, s, (size_t)(e + 1 - s));
		d->idseg[d->nidseg] = lq_xstrndup(b.buf ? b.buf : "", b.len);
		d->idlen[d->nidseg++] = b.len;
		p = e + 1;
		if (close && *p++ != ']')
			rc = -1;
	}
	lq_buf_release(&b);
	return rc;
}

/*
 * The lead id of a scanned record: its JSON text, exactly as it came, in
 * *v and *n.  Returns 0, or -1 when the record has none (or null).
 */
static int
id_find(const struct diff *d, const char *line, const struct lq_scan *sc,
    const char **v, size_t *n)
{
	const struct lq_tval *T = sc->tape;
	uint32_t at = 0;

	if (!sc->tn)
		return -1;
	for (int i = 0; i < d->nidseg; i++) {
		uint32_t k;
		if (line[T[at].v] != '{' || !(k = lq_tape_member(T, line, at,
		    d->idseg[i], d->idlen[i])))
			return -1;
		at = k - 1;
	}
	if (line[T[at].v] == 'n')
		return -1;
	*v = line + T[at].v;
	*n = T[at].ve - T[at].v;
	return 0;
}

/* the text of the top-level member key when it is an object, else NULL */
static const char *
member_obj(const char *line, const struct lq_scan *sc, const char *key)
{
	long k = lq_scan_find(sc, line, key, strlen(key));

	if (k < 0 || sc->m[k].vkind != LQ_J_OBJECT)
		return NULL;
	return line + sc->m[k].vstart;
}

static int
key_is(const char *k, size_t kn, const char *name)
{
	return lq_json_key_eq(k, kn, name, strlen(name));
}

/* a non-empty string value's decoded text in b (reset), else NULL */
static char *
str_val(struct lq_buf *b, const char *v, size_t n)
{
	lq_buf_reset(b);
	if (*v != '"' || n <= 2)
		return NULL;
	lq_json_unescape(b, v, n);
	return b->len ? b->buf : NULL;
}

static double
num_val(const char *v)
{
	return (*v == '-' || (*v >= '0' && *v <= '9')) ? strtod(v, NULL) :
	    NAN;
}

/*
 * Read one side's tier, action, owner and points from the text of its
 * member (obj, or NULL: none) into s; the strings live in d->sb[k].
 */
static void
side_read(struct diff *d, int k, const char *obj, struct side *s)
{
	struct lq_json_iter it;
	const char *kk, *v;
	size_t kn, vn;
	double prob = NAN;

	memset(s, 0, sizeof(*s));
	s->points = NAN;
	for (int i = 0; i < 3; i++)
		lq_buf_reset(&d->sb[k][i]);
	if (obj) {
		lq_json_iter_start(&it, obj);
		while (lq_json_iter_next(&it, &kk, &kn, &v, &vn)) {
			if (key_is(kk, kn, "tier"))
				s->tier = str_val(&d->sb[k][0], v, vn);
			else if (key_is(kk, kn, "action"))
				s->action = str_val(&d->sb[k][1], v, vn);
			else if (key_is(kk, kn, "owner"))
				s->owner = str_val(&d->sb[k][2], v, vn);
			else if (key_is(kk, kn, "points"))
				s->points = num_val(v);
			else if (key_is(kk, kn, "probability"))
				prob = num_val(v);
		}
	}
	if (isnan(s->points))
		s->points = 100 * prob;
	if (!s->tier)
		s->tier = NOTIER;
}

/* the points of each signal in a side's reasons (0 when it has none) */
struct sig {
	char *name;
	double p[2];
	char seen[2];		/* among the side's reasons */
	char feature;		/* a model's feature=value (the reasons
				   list only the strongest: unseen is
				   unknown, not 0) */
};

/* add the reasons of the member text obj (may be NULL) as side's points */
static int
add_sigs(struct sig *s, int n, int max, const char *obj, int side)
{
	struct lq_json_iter it, rt, ft;
	const char *kk, *v, *rv, *fk, *fv;
	size_t kn, vn, rn, fkn, fvn;
	struct lq_buf nm = LQ_BUF_INIT;

	if (!obj)
		return n;
	lq_json_iter_start(&it, obj);
	while (lq_json_iter_next(&it, &kk, &kn, &v, &vn)) {
		if (!key_is(kk, kn, "reasons") || *v != '[')
			continue;
		lq_json_iter_start(&rt, v);
		while (lq_json_iter_next(&rt, NULL, NULL, &rv, &rn)) {
			const char *sg = NULL, *ft_ = NULL, *val = NULL;
			size_t sgn = 0, ftn = 0, valn = 0;
			double p = NAN, lo = NAN;
			if (*rv != '{')
				continue;
			lq_json_iter_start(&ft, rv);
			while (lq_json_iter_next(&ft, &fk, &fkn, &fv, &fvn)) {
				if (key_is(fk, fkn, "signal"))
					sg = fv, sgn = fvn;
				else if (key_is(fk, fkn, "feature"))
					ft_ = fv, ftn = fvn;
				else if (key_is(fk, fkn, "value"))
					val = fv, valn = fvn;
				else if (key_is(fk, fkn, "points"))
					p = num_val(fv);
				else if (key_is(fk, fkn, "log_odds"))
					lo = num_val(fv);
			}
			if (isnan(p))
				p = lo;
			lq_buf_reset(&nm);
			if (sg && *sg == '"') {
				lq_json_unescape(&nm, sg, sgn);
			} else if (ft_ && *ft_ == '"') {
				/* a model's reason: feature=value */
				lq_json_unescape(&nm, ft_, ftn);
				if (val) {
					lq_buf_addc(&nm, '=');
					if (*val == '"')
						lq_json_unescape(&nm, val,
						    valn);
					else
						lq_buf_add(&nm, val, valn);
				}
			} else {
				continue;
			}
			if (isnan(p))
				continue;
			int feature = !(sg && *sg == '"'), j;
			for (j = 0; j < n; j++)
				if (!strcmp(s[j].name, nm.buf ? nm.buf : ""))
					break;
			if (j == n && n < max) {
				s[n].name = lq_xstrdup(nm.buf);
				s[n].p[0] = s[n].p[1] = 0;
				s[n].seen[0] = s[n].seen[1] = 0;
				s[n].feature = (char)feature;
				n++;
			}
			if (j < n) {
				s[j].p[side] += p;
				s[j].seen[side] = 1;
			}
		}
	}
	lq_buf_release(&nm);
	return n;
}

static int
cmp_sig_diff(const void *a, const void *b)
{
	const struct sig *x = a, *y = b;
	double dx = fabs(x->p[1] - x->p[0]), dy = fabs(y->p[1] - y->p[0]);

	return (dx < dy) - (dx > dy);
}

static void
side_free(struct side *s)
{
	free(s->tier);
	free(s->action);
	free(s->owner);
	free(s->reasons);
}

static void
mover_free(struct mover *m)
{
	free(m->id);
	side_free(&m->s[0]);
	side_free(&m->s[1]);
	free(m->changed);
}

/* "a 5, b 3" of the signals with points on one side, largest first */
static char *
top_reasons(struct sig *s, int n, int side)
{
	struct lq_buf b = LQ_BUF_INIT;
	int used[64] = { 0 }, k = 0;

	for (int round = 0; round < 5; round++) {
		int best = -1;
		for (int i = 0; i < n && i < 64; i++)
			if (!used[i] && s[i].p[side] != 0 && (best < 0 ||
			    fabs(s[i].p[side]) > fabs(s[best].p[side])))
				best = i;
		if (best < 0)
			break;
		used[best] = 1;
		lq_buf_addf(&b, "%s%s %+g", k++ ? ", " : "", s[best].name,
		    s[best].p[side]);
	}
	return b.buf ? b.buf : lq_xstrdup("");
}

/* keep the lead among the --top that move most when it is one of them */
static void
consider(struct diff *d, const char *id, size_t idn, const char *obj[2],
    struct side s[2])
{
	struct sig sig[64];
	int ns = 0;
	double w;
	struct mover m;
	struct lq_buf b = LQ_BUF_INIT;

	if (d->maxtop <= 0)
		return;
	w = fabs((isnan(s[1].points) ? 0 : s[1].points) -
	    (isnan(s[0].points) ? 0 : s[0].points));
	if (strcmp(s[0].tier, s[1].tier))
		w += 1e9;
	if (w == 0 || (d->ntop == d->maxtop && w <= d->top[d->ntop - 1].weight))
		return;
	ns = add_sigs(sig, ns, 64, obj[0], 0);
	ns = add_sigs(sig, ns, 64, obj[1], 1);
	memset(&m, 0, sizeof(m));
	m.weight = w;
	m.id = lq_xstrndup(id, idn);
	for (int k = 0; k < 2; k++) {
		m.s[k].tier = lq_xstrdup(s[k].tier);
		m.s[k].action = s[k].action ? lq_xstrdup(s[k].action) : NULL;
		m.s[k].owner = s[k].owner ? lq_xstrdup(s[k].owner) : NULL;
		m.s[k].points = s[k].points;
		m.s[k].reasons = top_reasons(sig, ns, k);
	}
	qsort(sig, (size_t)ns, sizeof(sig[0]), cmp_sig_diff);
	for (int i = 0, k = 0; i < ns && k < 5; i++)
		if (sig[i].p[0] != sig[i].p[1]) {
			lq_buf_addf(&b, "%s%s", k++ ? "; " : "", sig[i].name);
			for (int j = 0; j < 2; j++)
				if (sig[i].feature && !sig[i].seen[j])
					lq_buf_addf(&b, "%s(not listed)", j ?
					    " -> " : " ");
				else
					lq_buf_addf(&b, "%s%g", j ? " -> " :
					    " ", sig[i].p[j]);
		}
	m.changed = b.buf ? b.buf : lq_xstrdup("");
	for (int i = 0; i < ns; i++)
		free(sig[i].name);
	/* insert, keeping the list sorted by weight, largest first */
	if (d->ntop == d->maxtop)
		mover_free(&d->top[--d->ntop]);
	int at = d->ntop;
	while (at > 0 && d->top[at - 1].weight < w)
		at--;
	memmove(&d->top[at + 1], &d->top[at],
	    (size_t)(d->ntop - at) * sizeof(m));
	d->top[at] = m;
	d->ntop++;
}

/*
 * Count one lead: its two results (the members' texts, NULL when a side
 * has none), its outcome (won: -1 unknown, 0, 1) and its id's JSON text.
 */
static void
compare(struct diff *d, const char *id, size_t idn, const char *obj[2],
    int won)
{
	struct side s[2];
	int ti[2];

	d->n++;
	d->outcome_known += won >= 0;
	for (int k = 0; k < 2; k++) {
		if (!obj[k])
			d->missing[k]++;	/* counted, tier (none) */
		side_read(d, k, obj[k], &s[k]);
		ti[k] = tier_index(d, s[k].tier);
		d->leads[k][ti[k]]++;
		if (won >= 0) {
			d->known[k][ti[k]]++;
			d->won[k][ti[k]] += won;
		}
	}
	d->m[ti[0]][ti[1]]++;
	if (won >= 0) {
		d->mk[ti[0]][ti[1]]++;
		d->mw[ti[0]][ti[1]] += won;
	}
	d->tier_changed += ti[0] != ti[1];
	if ((s[0].action || s[1].action) && (!s[0].action || !s[1].action ||
	    strcmp(s[0].action, s[1].action)))
		d->action_changed++;
	if (s[0].owner || s[1].owner) {
		d->rep_known++;
		if (!s[0].owner || !s[1].owner || strcmp(s[0].owner,
		    s[1].owner))
			d->rep_changed++;
	}
	consider(d, id, idn, obj, s);
}

/* the outcome of the record just evaluated: -1 none, 0 lost, 1 won */
static int
outcome(struct diff *d, const char *line, size_t len,
    const struct lq_scan *sc, struct lq_err *err, int *won)
{
	*won = -1;
	if (lq_eval_record(d->ev, line, len, sc, NULL, err) < 0)
		return -1;
	if (!lq_eval_missing(d->ev, d->won_slot))
		*won = lq_eval_truth(d->ev, d->won_slot, NULL) == LQ_TRUE;
	return 0;
}

/* a lead's id text for lists: its id, else "file:line" as a string */
static void
id_or_line(const struct diff *d, const char *line, const struct lq_scan *sc,
    const char *file, long lineno, struct lq_buf *b)
{
	const char *v;
	size_t n;

	lq_buf_reset(b);
	if (id_find(d, line, sc, &v, &n) == 0) {
		lq_buf_add(b, v, n);
	} else {
		struct lq_buf t = LQ_BUF_INIT;
		lq_buf_addf(&t, "%s:%ld", file, lineno);
		lq_buf_json_strs(b, t.buf);
		lq_buf_release(&t);
	}
}

/* -k twice: both results in each record */
static int
add_one(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	struct diff *d = ctx;
	struct lq_buf id = LQ_BUF_INIT;
	const char *obj[2];
	int won;

	(void)val;
	if (outcome(d, rec->line, rec->len, rec->scan, err, &won) < 0)
		return -1;
	for (int k = 0; k < 2; k++)
		obj[k] = member_obj(rec->line, rec->scan, d->key[k]);
	id_or_line(d, rec->line, rec->scan, rec->file, rec->lineno, &id);
	compare(d, id.buf, id.len, obj, won);
	lq_buf_release(&id);
	return 0;
}

static void
only_add(struct diff *d, int k, const char *id, size_t n, long line)
{
	if (d->nonly[k] == d->conly[k]) {
		d->conly[k] = d->conly[k] ? 2 * d->conly[k] : 64;
		d->only[k] = lq_xreallocarray(d->only[k], (size_t)d->conly[k],
		    sizeof(struct only));
	}
	d->only[k][d->nonly[k]].id = id ? lq_xstrndup(id, n) : NULL;
	d->only[k][d->nonly[k]++].line = line;
}

/* two files by id, first pass: hold the first file's lead v[0..n) */
static int
hold(struct diff *d, const struct lqcmd_rec *rec, const char *v, size_t n,
    struct lq_err *err)
{
	struct held *h;
	const char *obj;
	long at;
	int won;

	if (outcome(d, rec->line, rec->len, rec->scan, err, &won) < 0)
		return -1;
	if (d->nheld == d->cheld) {
		d->cheld = d->cheld ? 2 * d->cheld : 1024;
		d->held = lq_xreallocarray(d->held, (size_t)d->cheld,
		    sizeof(*d->held));
	}
	h = &d->held[d->nheld];
	h->id = lq_xstrndup(v, n);
	if ((at = lq_strmap_put(&d->ids, h->id, d->nheld)) >= 0) {
		lq_err_set(err, 1, "lead id %s again (first on line %ld)",
		    h->id, d->held[at].line);
		free(h->id);
		return -1;
	}
	obj = member_obj(rec->line, rec->scan, d->key[0]);
	h->obj = obj ? lq_xstrndup(obj, (size_t)(lq_json_skip(obj) - obj)) :
	    NULL;
	h->line = rec->lineno;
	h->won = (signed char)won;
	h->line2 = 0;
	d->nheld++;
	return 0;
}

/* two files by id, second pass: compare lead v[0..n) with the one held */
static int
match(struct diff *d, const struct lqcmd_rec *rec, const char *v, size_t n,
    struct lq_err *err)
{
	const char *obj[2];
	struct held *h;
	char *id = lq_xstrndup(v, n);
	long at = lq_strmap_get(&d->ids, id);
	int won;

	free(id);
	if (at >= 0 && d->held[at].line2) {
		lq_err_set(err, 1, "lead id %.*s again (first on line %ld)",
		    (int)n, v, d->held[at].line2);
		return -1;
	}
	if (outcome(d, rec->line, rec->len, rec->scan, err, &won) < 0)
		return -1;
	if (at < 0) {
		only_add(d, 1, v, n, rec->lineno);
		return 0;
	}
	h = &d->held[at];
	h->line2 = rec->lineno;
	obj[0] = h->obj;
	obj[1] = member_obj(rec->line, rec->scan, d->key[1]);
	compare(d, v, n, obj, h->won >= 0 ? h->won : won);
	free(h->obj);
	h->obj = NULL;
	return 0;
}

/*
 * Two files by id: the lead id of a record, held (first file) or matched
 * with the one held (second file, d->second set).
 */
static int
id_one(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	struct diff *d = ctx;
	const char *v;
	size_t n;

	(void)val;
	if (id_find(d, rec->line, rec->scan, &v, &n) < 0)
		return lq_err_set(err, 1, "no lead id at %s", d->id_text);
	return d->second ? match(d, rec, v, n, err) : hold(d, rec, v, n, err);
}

/*
 * The next line of one of two files read side by side: 1 a record (an
 * object, scanned into sc), 2 a bad line (reported and rejected), 3 a
 * blank line, 0 the end (or a read error, reported).
 */
static int
next_line(struct diff *d, struct lq_reader *rd, struct lq_scan *sc,
    char **line, size_t *len)
{
	struct lq_err err;
	int got;

	lq_err_clear(&err);
	got = lq_reader_next(rd, line, len, &err);
	if (got == 0)
		return 0;
	if (got == -1) {
		lqcmd_warn("%s", err.msg);
		d->run->failed = 1;
		return 0;
	}
	if (got == -2) {
		/* too long to hold: reported, not kept */
		d->run->records++;
		d->run->rejected++;
		lqcmd_warn("%s:%ld: %s", rd->name, rd->lineno, err.msg);
		return 2;
	}
	lqcmd_progress(d->run, *len + 1);
	if (*len == 0) {
		d->run->skipped++;
		return 3;
	}
	d->run->records++;
	if (lq_json_scan(sc, *line, *len, &err) < 0) {
		lqcmd_reject(d->run, rd->name, rd->lineno, *line, *len,
		    err.msg);
		return 2;
	}
	if (sc->kind != LQ_J_OBJECT) {
		lqcmd_reject(d->run, rd->name, rd->lineno, *line, *len,
		    "not a JSON object");
		return 2;
	}
	return 1;
}

/*
 * Two files joined by line number: line N of the first with line N of the
 * second.  A lead whose partner is missing, blank or rejected is listed as
 * found in its own file only; two leads whose ids (--id, default .id)
 * differ are not the same lead: the second is rejected.
 */
static void
by_line(struct diff *d, char **files)
{
	struct lq_reader rd[2];
	struct lq_scan sc[2] = { LQ_SCAN_INIT, LQ_SCAN_INIT };
	struct lq_buf id = LQ_BUF_INIT;
	struct lq_err err;
	char *line[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	int opened[2], ended[2] = { 0, 0 }, st[2];

	for (int k = 0; k < 2; k++) {
		lq_err_clear(&err);
		sc[k].want_tape = 1;
		opened[k] = lq_reader_open(&rd[k], files[k], &err) == 0;
		if (!opened[k]) {
			lqcmd_warn("%s", err.msg);
			d->run->failed = 1;
		}
	}
	while (opened[0] && opened[1]) {
		for (int k = 0; k < 2; k++)
			if (!(st[k] = ended[k] ? 0 : next_line(d, &rd[k],
			    &sc[k], &line[k], &len[k])))
				ended[k] = 1;
		if (ended[0] && ended[1])
			break;
		if (st[0] == 1 && st[1] == 1) {
			const char *v[2];
			size_t n[2];
			if (id_find(d, line[0], &sc[0], &v[0], &n[0]) == 0 &&
			    id_find(d, line[1], &sc[1], &v[1], &n[1]) == 0 &&
			    (n[0] != n[1] || memcmp(v[0], v[1], n[0]))) {
				lq_buf_reset(&id);
				lq_buf_addf(&id, "lead id %.*s is not the id on "
				    "line %ld of %s (%.*s): join the files by "
				    "id with --id", (int)n[1], v[1],
				    rd[0].lineno, rd[0].name, (int)n[0], v[0]);
				lqcmd_reject(d->run, rd[1].name, rd[1].lineno,
				    line[1], len[1], id.buf);
				st[1] = 2;
			}
		}
		if (st[0] == 1 && st[1] == 1) {
			const char *obj[2];
			int won[2] = { -1, -1 }, bad = 0;
			for (int k = 0; k < 2 && !bad && won[0] < 0; k++) {
				lq_err_clear(&err);
				if (outcome(d, line[k], len[k], &sc[k], &err,
				    &won[k]) < 0) {
					lqcmd_reject(d->run, rd[k].name,
					    rd[k].lineno, line[k], len[k],
					    err.msg);
					st[k] = 2;
					bad = 1;
				}
			}
			if (!bad) {
				for (int k = 0; k < 2; k++)
					obj[k] = member_obj(line[k], &sc[k],
					    d->key[k]);
				id_or_line(d, line[0], &sc[0], rd[0].name,
				    rd[0].lineno, &id);
				compare(d, id.buf, id.len, obj, won[0] >= 0 ?
				    won[0] : won[1]);
				st[0] = st[1] = 0;
			}
		}
		for (int k = 0; k < 2; k++)
			if (st[k] == 1) {
				const char *v;
				size_t n;
				int has = id_find(d, line[k], &sc[k], &v,
				    &n) == 0;
				only_add(d, k, has ? v : NULL, has ? n : 0,
				    rd[k].lineno);
			}
		if (d->run->strict && d->run->rejected)
			break;
	}
	for (int k = 0; k < 2; k++) {
		if (opened[k])
			lq_reader_close(&rd[k]);
		lq_scan_release(&sc[k]);
	}
	lq_buf_release(&id);
}
/* tier labels in order: numbers and names sorted, (none) last */
static int order[MAXTIER];

static int
cmp_tier(const void *a, const void *b, void *arg)
{
	struct diff *d = arg;
	const char *x = d->tiers[*(const int *)a], *y = d->tiers[*(const int *)b];
	int nx = !strcmp(x, NOTIER), ny = !strcmp(y, NOTIER);

	if (nx || ny)
		return nx - ny;
	return strcmp(x, y);
}

static void
out_json(struct diff *d, struct lq_buf *o)
{
	static const char *const joins[] = { "members", "line", "id" };

	lq_buf_addf(o, "{\"type\":\"summary\",\"before\":");
	lq_buf_json_strs(o, d->key[0]);
	lq_buf_json_member_str(o, "after", d->key[1]);
	lq_buf_json_member_str(o, "before_file", d->file[0]);
	lq_buf_json_member_str(o, "after_file", d->file[1]);
	lq_buf_json_member_str(o, "join", joins[d->join]);
	lq_buf_json_member_str(o, "id", d->id_text);
	lq_buf_addf(o, ",\"leads\":%ld,\"tier_changed\":%ld,"
	    "\"action_changed\":%ld,\"rep_changed\":", d->n, d->tier_changed,
	    d->action_changed);
	if (d->rep_known)
		lq_buf_addf(o, "%ld", d->rep_changed);
	else
		lq_buf_adds(o, "null");
	lq_buf_addf(o, ",\"with_outcome\":%ld,\"missing_before\":%ld,"
	    "\"missing_after\":%ld,\"only_before\":%ld,\"only_after\":%ld}\n",
	    d->outcome_known, d->missing[0], d->missing[1], d->nonly[0],
	    d->nonly[1]);
	for (int a = 0; a < d->ntiers; a++)
		for (int b = 0; b < d->ntiers; b++) {
			int i = order[a], j = order[b];
			if (!d->m[i][j])
				continue;
			lq_buf_adds(o, "{\"type\":\"transition\",\"from\":");
			lq_buf_json_strs(o, d->tiers[i]);
			lq_buf_json_member_str(o, "to", d->tiers[j]);
			lq_buf_addf(o, ",\"leads\":%ld,\"with_outcome\":%ld,"
			    "\"won\":%ld", d->m[i][j], d->mk[i][j],
			    d->mw[i][j]);
			double lo, hi;
			lq_wilson(d->mw[i][j], d->mk[i][j], &lo, &hi);
			lq_buf_json_member_num(o, "conversion", d->mk[i][j] ?
			    (double)d->mw[i][j] / d->mk[i][j] : NAN, 4);
			lq_buf_json_member_num(o, "low", lo, 4);
			lq_buf_json_member_num(o, "high", hi, 4);
			lq_buf_adds(o, "}\n");
		}
	for (int a = 0; a < d->ntiers; a++) {
		int i = order[a];
		lq_buf_adds(o, "{\"type\":\"tier\",\"tier\":");
		lq_buf_json_strs(o, d->tiers[i]);
		for (int k = 0; k < 2; k++) {
			double lo, hi;
			lq_wilson(d->won[k][i], d->known[k][i], &lo, &hi);
			lq_buf_addf(o, ",\"%s\":{\"leads\":%ld,"
			    "\"with_outcome\":%ld,\"won\":%ld", k ? "after" :
			    "before", d->leads[k][i], d->known[k][i],
			    d->won[k][i]);
			lq_buf_json_member_num(o, "conversion", d->known[k][i] ?
			    (double)d->won[k][i] / d->known[k][i] : NAN, 4);
			lq_buf_json_member_num(o, "low", lo, 4);
			lq_buf_json_member_num(o, "high", hi, 4);
			lq_buf_addc(o, '}');
		}
		lq_buf_adds(o, "}\n");
	}
	for (int i = 0; i < d->ntop; i++) {
		struct mover *m = &d->top[i];
		lq_buf_addf(o, "{\"type\":\"mover\",\"id\":%s", m->id);
		for (int k = 0; k < 2; k++) {
			lq_buf_addf(o, ",\"%s\":{\"tier\":", k ? "after" :
			    "before");
			lq_buf_json_strs(o, m->s[k].tier);
			lq_buf_json_member_str(o, "action", m->s[k].action);
			lq_buf_json_member_str(o, "owner", m->s[k].owner);
			lq_buf_json_member_num(o, "points", m->s[k].points, 4);
			lq_buf_json_member_str(o, "reasons", m->s[k].reasons);
			lq_buf_addc(o, '}');
		}
		lq_buf_json_member_str(o, "changed", m->changed);
		lq_buf_adds(o, "}\n");
	}
	for (int k = 0; k < 2; k++)
		for (long i = 0; i < d->nonly[k]; i++) {
			lq_buf_addf(o, "{\"type\":\"only\",\"in\":\"%s\"",
			    k ? "after" : "before");
			lq_buf_json_member_str(o, "file", d->file[k]);
			lq_buf_addf(o, ",\"line\":%ld,\"id\":%s}\n",
			    d->only[k][i].line, d->only[k][i].id ?
			    d->only[k][i].id : "null");
		}
}
static void
pct_ci(struct lq_buf *o, long k, long n)
{
	double lo, hi;

	if (!n) {
		lq_buf_addf(o, "  %10s  %-13s", "-", "");
		return;
	}
	lq_wilson(k, n, &lo, &hi);
	lq_buf_addf(o, "  %9.1f%%  %5.1f-%5.1f%% ", 100.0 * k / n, lo * 100,
	    hi * 100);
}

static void
out_text(struct diff *d, struct lq_buf *o)
{
	if (d->join)
		lq_buf_addf(o, "%ld leads scored two ways: before %s .%s, "
		    "after %s .%s (joined by %s)\n", d->n, d->file[0],
		    d->key[0], d->file[1], d->key[1], d->join == 2 ?
		    d->id_text : "line number");
	else
		lq_buf_addf(o, "%ld leads scored two ways: before .%s, after "
		    ".%s\n", d->n, d->key[0], d->key[1]);
	lq_buf_addf(o, "tier changed %ld (%.1f%%), action changed %ld, rep "
	    "changed ", d->tier_changed, d->n ? 100.0 * d->tier_changed /
	    d->n : 0, d->action_changed);
	if (d->rep_known)
		lq_buf_addf(o, "%ld\n", d->rep_changed);
	else
		lq_buf_adds(o, "n/a (no owner on either side)\n");
	for (int k = 0; k < 2; k++)
		if (d->missing[k])
			lq_buf_addf(o, "%ld leads have no .%s object (tier "
			    "%s)\n", d->missing[k], d->key[k], NOTIER);
	for (int k = 0; k < 2; k++)
		if (d->nonly[k])
			lq_buf_addf(o, "%ld leads only in %s, not compared "
			    "(listed below)\n", d->nonly[k], d->file[k]);
	lq_buf_adds(o, "\nTier transitions (rows: before, columns: after)\n\n");
	lq_buf_addf(o, "%-8s", "before");
	for (int b = 0; b < d->ntiers; b++)
		lq_buf_addf(o, " %7s", d->tiers[order[b]]);
	lq_buf_addf(o, " %7s\n", "total");
	for (int a = 0; a < d->ntiers; a++) {
		int i = order[a];
		lq_buf_addf(o, "%-8s", d->tiers[i]);
		for (int b = 0; b < d->ntiers; b++)
			lq_buf_addf(o, " %7ld", d->m[i][order[b]]);
		lq_buf_addf(o, " %7ld\n", d->leads[0][i]);
	}
	lq_buf_addf(o, "%-8s", "total");
	for (int b = 0; b < d->ntiers; b++)
		lq_buf_addf(o, " %7ld", d->leads[1][order[b]]);
	lq_buf_addf(o, " %7ld\n", d->n);
	lq_buf_addf(o, "\nConversion each tier would have had (won / leads "
	    "with an outcome, 95%% interval; won: %s; %ld of %ld leads have "
	    "an outcome)\n\n", d->won_text, d->outcome_known, d->n);
	lq_buf_addf(o, "%-8s  %7s %5s  %10s  %-13s  %7s %5s  %10s  %s\n",
	    "tier", "before", "won", "conversion", "interval", "after",
	    "won", "conversion", "interval");
	for (int a = 0; a < d->ntiers; a++) {
		int i = order[a];
		lq_buf_addf(o, "%-8s  %7ld %5ld", d->tiers[i],
		    d->known[0][i], d->won[0][i]);
		pct_ci(o, d->won[0][i], d->known[0][i]);
		lq_buf_addf(o, " %7ld %5ld", d->known[1][i], d->won[1][i]);
		pct_ci(o, d->won[1][i], d->known[1][i]);
		while (o->len && o->buf[o->len - 1] == ' ')
			o->len--;
		lq_buf_addc(o, '\n');
	}
	if (d->tier_changed) {
		lq_buf_adds(o, "\nLeads that change tier: conversion on history "
		    "(compare with the tier they join)\n\n");
		lq_buf_addf(o, "%-8s  %-8s  %7s  %7s %5s  %10s  %s\n", "before",
		    "after", "leads", "outcome", "won", "conversion",
		    "interval");
		for (int a = 0; a < d->ntiers; a++)
			for (int b = 0; b < d->ntiers; b++) {
				int i = order[a], j = order[b];
				if (i == j || !d->m[i][j])
					continue;
				lq_buf_addf(o, "%-8s  %-8s  %7ld  %7ld %5ld",
				    d->tiers[i], d->tiers[j], d->m[i][j],
				    d->mk[i][j], d->mw[i][j]);
				pct_ci(o, d->mw[i][j], d->mk[i][j]);
				while (o->len && o->buf[o->len - 1] == ' ')
					o->len--;
				lq_buf_addc(o, '\n');
			}
	}
	for (int k = 0; k < 2; k++) {
		if (!d->nonly[k])
			continue;
		lq_buf_addf(o, "\nLeads only in %s (%s)\n\n", d->file[k],
		    d->join == 2 ? "no lead with that id in the other file" :
		    "the other file has no record on that line");
		for (long i = 0; i < d->nonly[k] && i < LISTED; i++)
			lq_buf_addf(o, "%s:%ld  %s\n", d->file[k],
			    d->only[k][i].line, d->only[k][i].id ?
			    d->only[k][i].id : "(no id)");
		if (d->nonly[k] > LISTED)
			lq_buf_addf(o, "... and %ld more (--json lists them "
			    "all)\n", d->nonly[k] - LISTED);
	}
	if (!d->ntop)
		return;
	lq_buf_addf(o, "\nLeads that move most (tier first, then points)\n");
	for (int i = 0; i < d->ntop; i++) {
		struct mover *m = &d->top[i];
		lq_buf_addf(o, "\n%s  %s -> %s", m->id, m->s[0].tier,
		    m->s[1].tier);
		if (!isnan(m->s[0].points) || !isnan(m->s[1].points))
			lq_buf_addf(o, "  points %g -> %g", m->s[0].points,
			    m->s[1].points);
		if ((m->s[0].action || m->s[1].action) && (!m->s[0].action ||
		    !m->s[1].action || strcmp(m->s[0].action, m->s[1].action)))
			lq_buf_addf(o, "  action %s -> %s", m->s[0].action ?
			    m->s[0].action : "-", m->s[1].action ?
			    m->s[1].action : "-");
		if ((m->s[0].owner || m->s[1].owner) && (!m->s[0].owner ||
		    !m->s[1].owner || strcmp(m->s[0].owner, m->s[1].owner)))
			lq_buf_addf(o, "  rep %s -> %s", m->s[0].owner ?
			    m->s[0].owner : "-", m->s[1].owner ?
			    m->s[1].owner : "-");
		lq_buf_addf(o, "\n  before: %s\n  after:  %s\n  changed: %s\n",
		    m->s[0].reasons, m->s[1].reasons, m->changed);
	}
}

static void
out_svg(struct diff *d, struct lq_buf *o)
{
	int n = d->ntiers, W = 1040, H = 400;
	double cell = n ? fmin(60, 280.0 / n) : 60, x0 = 120, y0 = 100;
	long max = 0;
	char buf[256];
	const char *labels[MAXTIER], *notes[MAXTIER];
	char nb[MAXTIER][32];
	double v[2][MAXTIER], lo[2][MAXTIER], hi[2][MAXTIER];
	struct lq_svg_series s[2];
	struct lq_svg_chart c = { 0 };

	lq_svg_begin(o, W, H, "lq-diff: what changes");
	if (d->join)
		snprintf(buf, sizeof(buf), "Tier transitions: before %s, "
		    "after %s", d->file[0], d->file[1]);
	else
		snprintf(buf, sizeof(buf), "Tier transitions: before .%s, "
		    "after .%s", d->key[0], d->key[1]);
	lq_buf_adds(o, "<g class=\"chart\">\n");
	lq_svg_text(o, 12, 22, "start", 14, buf);
	snprintf(buf, sizeof(buf), "%ld leads; %ld changed tier (%.1f%%), "
	    "%ld changed action", d->n, d->tier_changed, d->n ? 100.0 *
	    d->tier_changed / d->n : 0, d->action_changed);
	lq_svg_text(o, 12, 40, "start", 10, buf);
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++)
			if (d->m[a][b] > max)
				max = d->m[a][b];
	for (int a = 0; a < n; a++) {
		lq_svg_text(o, x0 - 8, y0 + cell * (a + 0.6), "end", 11,
		    d->tiers[order[a]]);
		lq_svg_text(o, x0 + cell * (a + 0.5), y0 - 8, "middle", 11,
		    d->tiers[order[a]]);
		for (int b = 0; b < n; b++) {
			long k = d->m[order[a]][order[b]];
			double t = max ? (double)k / max : 0;
			lq_buf_addf(o, "<rect class=\"cell\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"rgb(%d,%d,%d)\" stroke=\"#ffffff\"/>\n",
			    x0 + cell * b, y0 + cell * a, cell, cell,
			    (int)(255 - t * (255 - 76)), (int)(255 - t *
			    (255 - 120)), (int)(255 - t * (255 - 168)));
			snprintf(buf, sizeof(buf), "%ld", k);
			lq_svg_text(o, x0 + cell * (b + 0.5), y0 + cell *
			    (a + 0.6), "middle", 10, buf);
		}
	}
	lq_svg_text(o, x0 + cell * n / 2, y0 - 26, "middle", 11,
	    "after (tier)");
	lq_buf_addf(o, "<text x=\"30\" y=\"%.1f\" text-anchor=\"middle\" "
	    "font-size=\"11\" fill=\"#333333\" font-family=\"DejaVu Sans, "
	    "Arial, sans-serif\" transform=\"rotate(-90 30 %.1f)\">before "
	    "(tier)</text>\n", y0 + cell * n / 2, y0 + cell * n / 2);
	lq_buf_adds(o, "</g>\n");
	for (int a = 0; a < n; a++) {
		int i = order[a];
		labels[a] = d->tiers[i];
		snprintf(nb[a], sizeof(nb[a]), "n=%ld/%ld", d->known[0][i],
		    d->known[1][i]);
		notes[a] = nb[a];
		for (int k = 0; k < 2; k++) {
			v[k][a] = d->known[k][i] ? (double)d->won[k][i] /
			    d->known[k][i] : NAN;
			lq_wilson(d->won[k][i], d->known[k][i], &lo[k][a],
			    &hi[k][a]);
		}
	}
	char buf2[256];
	if (d->join) {
		snprintf(buf, sizeof(buf), "before (%s)", d->file[0]);
		snprintf(buf2, sizeof(buf2), "after (%s)", d->file[1]);
	} else {
		snprintf(buf, sizeof(buf), "before (.%s)", d->key[0]);
		snprintf(buf2, sizeof(buf2), "after (.%s)", d->key[1]);
	}
	s[0] = (struct lq_svg_series){ buf, v[0], lo[0], hi[0], NULL, 0 };
	s[1] = (struct lq_svg_series){ buf2, v[1], lo[1], hi[1], NULL, 0 };
	c.title = "Conversion each tier would have had";
	char sub[256];
	snprintf(sub, sizeof(sub), "won / leads with an outcome, 95%% "
	    "interval; won: %s; %ld of %ld leads", d->won_text,
	    d->outcome_known, d->n);
	c.subtitle = sub;
	c.xtitle = "tier (n = leads with an outcome before/after)";
	c.ytitle = "won / leads";
	c.fmt = LQ_SVG_PCT;
	c.n = d->outcome_known ? n : 0;
	c.labels = labels;
	c.notes = notes;
	c.ns = 2;
	c.s = s;
	c.empty = "no lead has an outcome (see --won)";
	lq_svg_bars2(o, 480, 0, 560, H, &c);
	lq_svg_end(o);
}

int
main(int argc, char **argv)
{
	struct lqcmd_run f = { .progress = -1 };
	struct diff d;
	struct lq_buf out = LQ_BUF_INIT;
	struct lq_err err;
	struct lq_expr_src src = { "--won", 1, 1, 0 };
	const char *svg = NULL;
	char *end, **files;
	int ch, json = 0, nkeys = 0, byid = 0, nfiles, status;
	long top = 10;

	memset(&d, 0, sizeof(d));
	d.won_text = ".outcome.won";
	d.id_text = ".id";
	lqcmd_init(argv, "lq-diff");
	while ((ch = lqcmd_getopt(&opts, &f, argc, argv)) != -1) {
		switch (ch) {
		case 'k':
			if (nkeys == 2)
				lqcmd_die(LQ_EXIT_USAGE, "-k: give two keys, "
				    "not more");
			d.key[nkeys++] = optarg;
			break;
		case 'j': json = 1; break;
		case O_WON: d.won_text = optarg; break;
		case O_TOP:
			top = strtol(optarg, &end, 10);
			if (*end || top < 0 || top > 10000)
				lqcmd_die(LQ_EXIT_USAGE, "--top: not a number "
				    "from 0 to 10000: '%s'", optarg);
			break;
		case O_SVG: svg = optarg; break;
		case O_ID: d.id_text = optarg; byid = 1; break;
		default: lqcmd_usage(usage);
		}
	}
	files = argv + optind;
	nfiles = argc - optind;
	if (id_parse(&d, d.id_text) < 0)
		lqcmd_die(LQ_EXIT_USAGE, "--id: not a path of member names "
		    "(.id, .crm.lead_id, .\"Lead Number\"): '%s'", d.id_text);
	if (nkeys == 2) {
		if (!strcmp(d.key[0], d.key[1]))
			lqcmd_die(LQ_EXIT_USAGE, "-k: the two keys are the "
			    "same: '%s'", d.key[0]);
	} else {
		/* two files, the same member in both */
		if (nkeys == 0 && nfiles != 2)
			lqcmd_required("-k BEFORE -k AFTER", usage);
		if (nfiles != 2)
			lqcmd_die(LQ_EXIT_USAGE, "-k %s: give two files to "
			    "compare, BEFORE and AFTER (or -k twice)",
			    d.key[0]);
		if (!strcmp(files[0], "-") && !strcmp(files[1], "-"))
			lqcmd_die(LQ_EXIT_USAGE, "only one of the two files "
			    "can be standard input");
		d.key[1] = d.key[0] = nkeys ? d.key[0] : "score";
		d.file[0] = files[0];
		d.file[1] = files[1];
		d.join = byid ? 2 : 1;
	}
	lq_err_clear(&err);
	d.x = lq_exprs_new();
	if ((d.won_slot = lq_exprs_add(d.x, d.won_text, &src, &err)) < 0 ||
	    lq_exprs_compile(d.x, &err) < 0)
		lqcmd_die_err(&err);
	d.ev = lq_eval_new(d.x);
	d.maxtop = (int)top;
	d.top = calloc((size_t)top + 1, sizeof(struct mover));
	if (!d.top)
		lqcmd_die(LQ_EXIT_IO, "out of memory");
	d.run = &f;

	f.ctx = &d;
	if (d.join == 0) {
		f.fn = add_one;
		lqcmd_run(&f, files, nfiles);
	} else if (d.join == 1) {
		lqcmd_start(&f, files, 2);
		by_line(&d, files);
	} else {
		f.fn = id_one;
		lqcmd_run(&f, files, 1);
		d.second = 1;
		if (!f.failed && !(f.strict && f.rejected))
			lqcmd_run(&f, files + 1, 1);
		for (long i = 0; i < d.nheld; i++)
			if (!d.held[i].line2)
				only_add(&d, 0, d.held[i].id,
				    strlen(d.held[i].id), d.held[i].line);
	}
	status = lqcmd_done(&f);

	for (int i = 0; i < d.ntiers; i++)
		order[i] = i;
	qsort_r(order, (size_t)d.ntiers, sizeof(int), cmp_tier, &d);
	if (json)
		out_json(&d, &out);
	else
		out_text(&d, &out);
	lqcmd_write(out.buf ? out.buf : "", out.len);
	if (svg) {
		lq_buf_reset(&out);
		out_svg(&d, &out);
		if (lqcmd_write_file(svg, &out))
			status = LQ_EXIT_IO;
	}
	lq_buf_release(&out);
	for (int i = 0; i < d.ntop; i++)
		mover_free(&d.top[i]);
	free(d.top);
	for (int i = 0; i < d.ntiers; i++)
		free(d.tiers[i]);
	for (int k = 0; k < 2; k++) {
		for (long i = 0; i < d.nonly[k]; i++)
			free(d.only[k][i].id);
		free(d.only[k]);
		for (int i = 0; i < 3; i++)
			lq_buf_release(&d.sb[k][i]);
	}
	for (long i = 0; i < d.nheld; i++) {
		free(d.held[i].id);
		free(d.held[i].obj);
	}
	free(d.held);
	lq_strmap_release(&d.ids);
	for (int i = 0; i < d.nidseg; i++)
		free(d.idseg[i]);
	lq_eval_free(d.ev);
	lq_exprs_free(d.x);
	return lqcmd_finish(status);
}
