/*
 * report_drift.c - lq-report drift: PSI of the score and of features
 * between a baseline and a current period (or against the profile: of a
 * model file), fill rates of enrichment fields, and the alerts.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "lq_mem.h"

static const char *const drift_keys[] = {
	"features", "fill", "psi_warn", "psi_alert", "fill_min", "fill_drop",
	NULL
};

/* enrichment fields whose fill rate is reported by default */
static const char *const fill_default[][2] = {
	{ "company", ".enrich.company" },
	{ "industry", ".enrich.company.industry" },
	{ "employees", ".enrich.company.employees" },
	{ "seniority", ".enrich.title.seniority | select(. != \"unknown\")" },
	{ "country", ".enrich.country.code" },
};

static int
add_expr(struct lq_report *r, const struct lq_ydoc *d,
    const struct lq_ynode *node, const char *what, struct lq_err *err)
{
	return lq_exprs_add_node(r->x, d, node, what, err);
}

static struct feat *
new_feat(struct lq_report *r, const char *name, int slot)
{
	struct feat *f;

	r->feat = realloc(r->feat, (size_t)(r->nfeat + 1) * sizeof(*r->feat));
	if (!r->feat)
		abort();
	f = &r->feat[r->nfeat++];
	memset(f, 0, sizeof(*f));
	f->name = lq_xstrdup(name);
	f->slot = slot;
	f->psi = NAN;
	return f;
}

static struct feat *
find_feat(struct lq_report *r, const char *name)
{
	for (int i = 0; i < r->nfeat; i++)
		if (!strcmp(r->feat[i].name, name))
			return &r->feat[i];
	return NULL;
}

/* getpath(["a","b"]) for a path given as a dotted name or a YAML list */
static int
path_expr(struct lq_report *r, const char *name, const struct lq_ynode *seq,
    int length, struct lq_err *err)
{
	struct lq_buf b = LQ_BUF_INIT;
	struct lq_expr_src src = { "(model feature)", 1, 1, 0 };
	const char *p = name;
	int slot;

	lq_buf_adds(&b, "getpath([");
	for (size_t i = 0; seq && i < seq->n; i++) {
		if (i)
			lq_buf_addc(&b, ',');
		lq_buf_json_str(&b, seq->items[i]->str, seq->items[i]->len);
	}
	while (!seq) {
		size_t n = strcspn(p, ".");
		lq_buf_json_str(&b, p, n);
		if (!p[n])
			break;
		lq_buf_addc(&b, ',');
		p += n + 1;
	}
	lq_buf_adds(&b, length ? "]) | if . == null then null else length "
	    "end" : "])");
	slot = lq_exprs_add(r->x, b.buf, &src, err);
	lq_buf_release(&b);
	return slot;
}

/*
 * The slot measuring model feature name: its field path or expression
 * from the model's features: list (a signal cannot be computed here:
 * -1), or the dotted name as a path when the list does not have it.
 */
static int
model_feat_slot(struct lq_report *r, const struct lq_ynode *list,
    const char *name, struct lq_err *err)
{
	const struct lq_ydoc *d = &r->mdoc;
	const struct lq_ynode *it, *n;

	for (size_t i = 0; list && list->kind == LQ_Y_SEQ && i < list->n;
	    i++) {
		it = list->items[i];
		if (it->kind != LQ_Y_MAP || !(n = lq_ymap_get(it, "name")) ||
		    n->kind != LQ_Y_SCALAR || strcmp(n->str, name))
			continue;
		if ((n = lq_ymap_get(it, "field")) && n->kind == LQ_Y_SEQ) {
			const struct lq_ynode *l = lq_ymap_get(it, "length");
			for (size_t k = 0; k < n->n; k++)
				if (n->items[k]->kind != LQ_Y_SCALAR)
					return lq_yerr(d, n, err, "field: "
					    "expected a list of keys");
			return path_expr(r, name, n, l && l->kind ==
			    LQ_Y_SCALAR && !strcmp(l->str, "true"), err);
		}
		if ((n = lq_ymap_get(it, "expr")) && n->kind == LQ_Y_SCALAR)
			return add_expr(r, d, n, "expr", err);
		return -2;	/* a signal of the score rules */
	}
	return path_expr(r, name, NULL, 0, err);
}

static int
num_list(const struct lq_ydoc *d, const struct lq_ynode *n, const char *what,
    double **out, int *nout, struct lq_err *err)
{
	if (!n)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: missing", what);
	if (lq_yexpect(d, n, LQ_Y_SEQ, what, err))
		return -1;
	*out = calloc(n->n + 1, sizeof(double));
	if (!*out)
		abort();
	for (size_t i = 0; i < n->n; i++)
		if (lq_ynum(d, n->items[i], what, &(*out)[(*nout)++], err))
			return -1;
	if (!strcmp(what, "share")) {
		/* a share is a fraction of the training rows; together
		 * they are all of them (as lq-train rounds them) */
		double sum = 0;
		for (size_t i = 0; i < n->n; i++) {
			if ((*out)[i] < 0 || (*out)[i] > 1)
				return lq_yerr(d, n->items[i], err, "share "
				    "must be between 0 and 1, not %s",
				    n->items[i]->str);
			sum += (*out)[i];
		}
		if (n->n && fabs(sum - 1) > 0.01)
			return lq_yerr(d, n, err, "the shares add up to %g, "
			    "not 1 (a profile cut short or edited?)", sum);
	}
	return 0;
}

/* read one {edges, share} or {levels, share} distribution into f */
static int
load_dist(struct lq_report *r, const struct lq_ydoc *d,
    const struct lq_ynode *n, struct feat *f, struct lq_err *err)
{
	const struct lq_ynode *e, *l;
	int nshare = 0;

	if (lq_yexpect(d, n, LQ_Y_MAP, f->name, err))
		return -1;
	if (f->share || f->levels || f->edges)
		return lq_yerr(d, n, err, "profile: '%s' appears twice",
		    f->name);
	f->model = r->mode == 3;
	if (!lq_ymap_get(n, "share"))
		return lq_yerr(d, n, err, "profile of '%s': no share list",
		    f->name);
	if (num_list(d, lq_ymap_get(n, "share"), "share", &f->share, &nshare,
	    err))
		return -1;
	if ((l = lq_ymap_get(n, "levels"))) {
		const char *s;
		f->cat = 1;
		if (lq_yexpect(d, l, LQ_Y_SEQ, "levels", err))
			return -1;
		f->levels = calloc(l->n + 1, sizeof(char *));
		for (size_t i = 0; i < l->n; i++) {
			if (lq_ystr(d, l->items[i], "level", &s, err))
				return -1;
			f->levels[f->nlev++] = lq_xstrdup(s);
		}
		if (f->nlev != nshare)
			return lq_yerr(d, n, err, "profile of '%s': %d levels "
			    "but %d shares", f->name, f->nlev, nshare);
	} else if ((e = lq_ymap_get(n, "edges"))) {
		if (num_list(d, e, "edges", &f->edges, &f->nedges, err))
			return -1;
		if (f->nedges < 2 || f->nedges != nshare + 1)
			return lq_yerr(d, n, err, "profile of '%s': %d edges "
			    "need %d shares, not %d", f->name, f->nedges,
			    f->nedges - 1, nshare);
		for (int i = 1; i < f->nedges; i++)
			if (f->edges[i] < f->edges[i - 1])
				return lq_yerr(d, e, err, "profile of '%s': "
				    "edges must ascend", f->name);
	} else
		return lq_yerr(d, n, err, "profile of '%s': needs edges or "
		    "levels", f->name);
	f->nbins = nshare;
	return 0;
}

static int
load_model(struct lq_report *r, const char *path, struct lq_err *err)
{
	struct lq_ydoc *d = &r->mdoc;
	const struct lq_ynode *prof, *n, *fs;
	struct feat *f;

	r->have_mdoc = 1;
	if (lq_yaml_load(d, path, err))
		return -1;
	if (!d->root || d->root->kind != LQ_Y_MAP ||
	    !(prof = lq_ymap_get(d->root, "profile")))
		return lq_err_at(err, path, 1, 1, "no 'profile:' section (is "
		    "it a model file written by lq-train?)");
	if (lq_yexpect(d, prof, LQ_Y_MAP, "profile", err))
		return -1;
	if ((n = lq_ymap_get(prof, "score"))) {
		if (r->fslot[F_PROBABILITY] < 0)
			return lq_yerr(d, n, err, "the probability field is "
			    "disabled: cannot compare the score profile");
		f = new_feat(r, "score", r->fslot[F_PROBABILITY]);
		if (load_dist(r, d, n, f, err))
			return -1;
	}
	if ((fs = lq_ymap_get(prof, "features"))) {
		if (lq_yexpect(d, fs, LQ_Y_MAP, "features", err))
			return -1;
		for (size_t i = 0; i < fs->n; i++) {
			const char *name = fs->keys[i]->str;
			if (!(f = find_feat(r, name))) {
				int slot = model_feat_slot(r, lq_ymap_get(
				    d->root, "features"), name, err);
				if (slot == -1)
					return -1;
				f = new_feat(r, name, slot);
			}
			if (load_dist(r, d, fs->items[i], f, err))
				return -1;
		}
	}
	return 0;
}

int
lq_report_drift_load(struct lq_report *r, const struct lq_ynode *drift,
    const char *model, struct lq_err *err)
{
	const struct lq_ydoc *d = &r->doc;
	const struct lq_ynode *n;
	/* PSI is >= 0 and unbounded; fill rates and their drops are shares */
	struct { const char *k; double *v, hi; } th[] = {
		{ "psi_warn", &r->psi_warn, INFINITY },
		{ "psi_alert", &r->psi_alert, INFINITY },
		{ "fill_min", &r->fill_min, 1 },
		{ "fill_drop", &r->fill_drop, 1 },
	};

	if (drift && lq_ymap_check(d, drift, "drift", drift_keys, err))
		return -1;
	for (size_t i = 0; drift && i < sizeof(th) / sizeof(th[0]); i++)
		if ((n = lq_ymap_get(drift, th[i].k)) &&
		    lq_ynum_in(d, n, th[i].k, 0, th[i].hi, th[i].v, err))
			return -1;
	if (r->psi_warn > r->psi_alert) {
		/* a warning above the alert level could never be given */
		n = drift ? lq_ymap_get(drift, "psi_warn") : NULL;
		if (!n)
			n = lq_ymap_get(drift, "psi_alert");
		return lq_yerr(d, n, err, "psi_warn (%g) must not be above "
		    "psi_alert (%g)", r->psi_warn, r->psi_alert);
	}
	if (r->mode == 1 || r->mode == 2) {
		if (r->fslot[F_PROBABILITY] >= 0)
			new_feat(r, "score", r->fslot[F_PROBABILITY]);
		if (r->fslot[F_POINTS] >= 0)
			new_feat(r, "points", r->fslot[F_POINTS]);
	}
	if (r->mode && drift && (n = lq_ymap_get(drift, "features"))) {
		if (lq_yexpect(d, n, LQ_Y_MAP, "features", err))
			return -1;
		for (size_t i = 0; i < n->n; i++) {
			int slot = add_expr(r, d, n->items[i], n->keys[i]->str,
			    err);
			if (slot < 0)
				return -1;
			if (find_feat(r, n->keys[i]->str))
				return lq_yerr(d, n->keys[i], err, "feature "
				    "'%s' is already measured",
				    n->keys[i]->str);
			new_feat(r, n->keys[i]->str, slot);
		}
	}
	/* with a period as well, the model only names the features */
	if (model && load_model(r, model, err))
		return -1;
	if (drift && (n = lq_ymap_get(drift, "fill"))) {
		if (lq_yexpect(d, n, LQ_Y_MAP, "fill", err))
			return -1;
		r->fill = calloc(n->n + 1, sizeof(*r->fill));
		for (size_t i = 0; i < n->n; i++) {
			struct fill *fl = &r->fill[r->nfill];
			if ((fl->slot = add_expr(r, d, n->items[i],
			    n->keys[i]->str, err)) < 0)
				return -1;
			fl->name = lq_xstrdup(n->keys[i]->str);
			r->nfill++;
		}
	} else {
		size_t k = sizeof(fill_default) / sizeof(fill_default[0]);
		struct lq_expr_src src = { "(default)", 1, 1, 0 };
		r->fill = calloc(k, sizeof(*r->fill));
		for (size_t i = 0; i < k; i++) {
			struct fill *fl = &r->fill[r->nfill];
			if ((fl->slot = lq_exprs_add(r->x, fill_default[i][1],
			    &src, err)) < 0)
				return -1;
			fl->name = lq_xstrdup(fill_default[i][0]);
			r->nfill++;
		}
	}
	return 0;
}

static void
tally_add(struct tally *t, const char *s, long k)
{
	for (int i = 0; i < t->len; i++)
		if (!strcmp(t->label[i], s)) {
			t->n[i] += k;
			return;
		}
	if (t->len == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->label = realloc(t->label, (size_t)t->cap * sizeof(char *));
		t->n = realloc(t->n, (size_t)t->cap * sizeof(long));
		if (!t->label || !t->n)
			abort();
	}
	t->label[t->len] = lq_xstrdup(s);
	t->n[t->len++] = k;
}

void
lq_report_drift_add(struct lq_report *r, int p)
{
	struct lq_buf b = LQ_BUF_INIT;

	for (int i = 0; i < r->nfeat; i++) {
		struct feat *f = &r->feat[i];
		jv v;
		if (f->slot < 0)
			continue;	/* a signal feature: not measurable */
		f->n[p]++;
		if (lq_eval_count(r->ev, f->slot) > 0) {
			const char *str;
			size_t n;
			if (lq_eval_peek(r->ev, f->slot, 0, &str, &n) ==
			    JV_KIND_STRING) {
				if (n == 0)
					f->missing[p]++;
				else {
					lq_buf_reset(&b);
					lq_buf_add(&b, str, n);
					tally_add(&f->tal[p], b.buf, 1);
				}
				continue;
			}
		}
		v = lq_report_first(r, f->slot);
		switch (jv_get_kind(v)) {
		case JV_KIND_NUMBER:
			if (f->cat) {
				lq_buf_reset(&b);
				lq_buf_json_num(&b, jv_number_value(v));
				tally_add(&f->tal[p], b.buf, 1);
			} else
				lq_vals_add(&f->num[p], jv_number_value(v));
			break;
		case JV_KIND_STRING:
			if (jv_string_length_bytes(jv_copy(v)) == 0)
				f->missing[p]++;
			else
				tally_add(&f->tal[p], jv_string_value(v), 1);
			break;
		case JV_KIND_TRUE:
		case JV_KIND_FALSE:
			tally_add(&f->tal[p], jv_get_kind(v) == JV_KIND_TRUE ?
			    "true" : "false", 1);
			break;
		default:
			f->missing[p]++;
		}
		jv_free(v);
	}
	for (int i = 0; i < r->nfill; i++) {
		const char *str;
		size_t n;
		jv_kind k = r->fill[i].slot < 0 ||
		    lq_eval_count(r->ev, r->fill[i].slot) <= 0 ?
		    JV_KIND_INVALID : lq_eval_peek(r->ev, r->fill[i].slot, 0,
		    &str, &n);
		r->fill[i].n[p]++;
		r->fill[i].filled[p] += k != JV_KIND_INVALID &&
		    k != JV_KIND_NULL && (n > 0 || (k != JV_KIND_STRING &&
		    k != JV_KIND_ARRAY && k != JV_KIND_OBJECT));
	}
	lq_buf_release(&b);
}

static int
level_of(char **levels, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(levels[i], s))
			return i;
	return -1;
}

static void
psi_model(struct feat *f)
{
	double *obs = calloc((size_t)f->nbins + 1, sizeof(double));
	double tot = 0;

	if (!obs)
		abort();
	if (f->cat) {
		int other = level_of(f->levels, f->nlev, "(other)");
		int miss = level_of(f->levels, f->nlev, "(missing)");
		struct tally *t = &f->tal[1];
		for (int i = 0; i < t->len; i++) {
			int k = level_of(f->levels, f->nlev, t->label[i]);
			if (k < 0)
				k = other;
			if (k >= 0) {
				obs[k] += (double)t->n[i];
				tot += (double)t->n[i];
			}
		}
		if (miss >= 0) {
			obs[miss] += (double)f->missing[1];
			tot += (double)f->missing[1];
		}
	} else {
		for (size_t i = 0; i < f->num[1].n; i++)
			obs[lq_bin(f->edges, f->nedges, f->num[1].v[i])]++;
		tot = (double)f->num[1].n;
	}
	if (tot > 0) {
		for (int i = 0; i < f->nbins; i++)
			obs[i] /= tot;
		f->psi = lq_psi(obs, f->share, f->nbins);
	}
	free(obs);
}

static void
psi_periods(struct feat *f)
{
	size_t nn = f->num[0].n + f->num[1].n;
	long nc = 0;
	double a[11], e[11];

	for (int p = 0; p < 2; p++)
		for (int i = 0; i < f->tal[p].len; i++)
			nc += f->tal[p].n[i];
	if ((size_t)nc > nn) {
		/* categorical: the union of levels, plus (missing) */
		struct tally u = { 0 };
		double *sa, *se, ta = 0, te = 0;
		for (int p = 0; p < 2; p++)
			for (int i = 0; i < f->tal[p].len; i++)
				tally_add(&u, f->tal[p].label[i], 0);
		tally_add(&u, "(missing)", 0);
		sa = calloc((size_t)u.len, sizeof(double));
		se = calloc((size_t)u.len, sizeof(double));
		for (int p = 0; p < 2; p++) {
			double *s = p ? sa : se, *t = p ? &ta : &te;
			for (int i = 0; i < f->tal[p].len; i++) {
				int k = level_of(u.label, u.len,
				    f->tal[p].label[i]);
				s[k] += (double)f->tal[p].n[i];
				*t += (double)f->tal[p].n[i];
			}
			s[u.len - 1] += (double)f->missing[p];
			*t += (double)f->missing[p];
		}
		if (ta > 0 && te > 0) {
			for (int i = 0; i < u.len; i++) {
				sa[i] /= ta;
				se[i] /= te;
			}
			f->psi = lq_psi(sa, se, u.len);
		}
		f->cat = 1;
		f->nbins = u.len;
		for (int i = 0; i < u.len; i++)
			free(u.label[i]);
		free(u.label);
		free(u.n);
		free(sa);
		free(se);
		return;
	}
	if (f->num[0].n == 0 || f->num[1].n == 0)
		return;
	/* numeric: deciles of the baseline */
	free(f->edges);
	f->nedges = 11;
	f->edges = calloc(11, sizeof(double));
	for (int i = 0; i <= 10; i++)
		f->edges[i] = lq_vals_quantile(&f->num[0], i / 10.0);
	memset(a, 0, sizeof(a));
	memset(e, 0, sizeof(e));
	for (int p = 0; p < 2; p++) {
		double *s = p ? a : e;
		for (size_t i = 0; i < f->num[p].n; i++)
			s[lq_bin(f->edges, 11, f->num[p].v[i])]++;
		for (int i = 0; i < 10; i++)
			s[i] /= (double)f->num[p].n;
	}
	f->nbins = 10;
	f->psi = lq_psi(a, e, 10);
}

void
lq_report_drift_finish(struct lq_report *r)
{
	for (int i = 0; i < r->nfeat; i++) {
		struct feat *f = &r->feat[i];
		if (f->done)
			continue;
		f->done = 1;
		if (f->model)
			psi_model(f);
		else
			psi_periods(f);
	}
}

void
lq_report_drift_free(struct lq_report *r)
{
	for (int i = 0; i < r->nfeat; i++) {
		struct feat *f = &r->feat[i];
		free(f->name);
		free(f->edges);
		free(f->share);
		for (int k = 0; k < f->nlev; k++)
			free(f->levels[k]);
		free(f->levels);
		for (int p = 0; p < 2; p++) {
			lq_vals_release(&f->num[p]);
			for (int k = 0; k < f->tal[p].len; k++)
				free(f->tal[p].label[k]);
			free(f->tal[p].label);
			free(f->tal[p].n);
		}
	}
	free(r->feat);
	for (int i = 0; i < r->nfill; i++)
		free(r->fill[i].name);
	free(r->fill);
}

/* Append one alert row to o. */
void
lq_report_alert(struct lq_buf *o, const char *level, const char *check,
    const char *name, double value, double threshold, const char *msg)
{
	lq_buf_adds(o, "{\"type\":\"alert\",\"level\":");
	lq_buf_json_strs(o, level);
	lq_buf_adds(o, ",\"check\":");
	lq_buf_json_strs(o, check);
	lq_buf_adds(o, ",\"name\":");
	lq_buf_json_strs(o, name);
	lq_buf_adds(o, ",\"value\":");
	lq_buf_json_round(o, value, 4);
	lq_buf_adds(o, ",\"threshold\":");
	lq_buf_json_num(o, threshold);
	lq_buf_adds(o, ",\"message\":");
	lq_buf_json_strs(o, msg);
	lq_buf_adds(o, "}\n");
}

int
lq_report_alert_rows(struct lq_report *r, struct lq_buf *o)
{
	char msg[512];
	int n = 0;

	lq_report_drift_finish(r);
	for (int i = 0; i < r->nfeat; i++) {
		struct feat *f = &r->feat[i];
		const char *lv = NULL;
		double th = 0;
		if (isnan(f->psi))
			continue;
		if (f->psi >= r->psi_alert)
			lv = "alert", th = r->psi_alert;
		else if (f->psi >= r->psi_warn)
			lv = "warn", th = r->psi_warn;
		if (!lv)
			continue;
		snprintf(msg, sizeof(msg), "%s has drifted: psi %.3f >= %g",
		    f->name, f->psi, th);
		lq_report_alert(o, lv, "psi", f->name, f->psi, th, msg);
		n++;
	}
	for (int i = 0; i < r->nfill; i++) {
		struct fill *fl = &r->fill[i];
		double cur, base;
		if (fl->n[1] == 0)
			continue;
		cur = (double)fl->filled[1] / (double)fl->n[1];
		if (r->fill_min > 0 && cur < r->fill_min) {
			snprintf(msg, sizeof(msg), "%s is filled in %.1f%% of "
			    "leads, below %g%%", fl->name, cur * 100,
			    r->fill_min * 100);
			lq_report_alert(o, "alert", "fill", fl->name, cur, r->fill_min,
			    msg);
			n++;
		}
		if ((r->mode == 1 || r->mode == 2) && fl->n[0] > 0) {
			base = (double)fl->filled[0] / (double)fl->n[0];
			if (base - cur > r->fill_drop) {
				snprintf(msg, sizeof(msg), "%s fill rate fell "
				    "from %.1f%% to %.1f%%", fl->name,
				    base * 100, cur * 100);
				lq_report_alert(o, "alert", "fill_drop", fl->name,
				    base - cur, r->fill_drop, msg);
				n++;
			}
		}
	}
	return n + lq_report_health_alerts(r, o);
}
