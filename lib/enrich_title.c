/*
 * enrich_title.c - job title -> seniority and department by ordered rules.
 *
 * A title and every pattern are normalised the same way: ASCII lowercased,
 * every byte that is not a letter, digit or part of a UTF-8 sequence
 * becomes a blank, blanks collapse.  A pattern matches when it occurs as
 * whole words; a pattern ending in '*' matches word prefixes ("direct*"
 * matches "director" and "directeur"); a pattern in a script written
 * without spaces (Chinese, Japanese, Korean) matches anywhere ("经理" in
 * "销售经理").  The first rule with a matching
 * "any" pattern and no matching "none" pattern wins.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lq_enrich.h"
#include "lq_yaml.h"

struct pat {
	char *s;		/* " words" with a trailing blank unless prefix */
	size_t n;
};

struct rule {
	const char *label;
	struct pat *any, *none;
	size_t nany, nnone;
};

struct lq_titles {
	struct lq_ydoc doc;
	struct rule *sen, *dep;
	size_t nsen, ndep;
};

/* " norm " of s[0..n) into out (reset first). */
static void
norm(struct lq_buf *out, const char *s, size_t n)
{
	lq_buf_reset(out);
	lq_buf_addc(out, ' ');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c >= 0x80) {
			lq_buf_addc(out, tolower(c));
		} else if (c == '&') {
			if (out->buf[out->len - 1] != ' ')
				lq_buf_addc(out, ' ');
			lq_buf_adds(out, "and ");
		} else if (out->buf[out->len - 1] != ' ') {
			lq_buf_addc(out, ' ');
		}
	}
	if (out->buf[out->len - 1] != ' ')
		lq_buf_addc(out, ' ');
}

static void
free_rules(struct rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < r[i].nany; k++)
			free(r[i].any[k].s);
		for (size_t k = 0; k < r[i].nnone; k++)
			free(r[i].none[k].s);
		free(r[i].any);
		free(r[i].none);
	}
	free(r);
}

static void tmemo_forget(const struct lq_titles *t);

void
lq_titles_free(struct lq_titles *t)
{
	if (!t)
		return;
	tmemo_forget(t);
	free_rules(t->sen, t->nsen);
	free_rules(t->dep, t->ndep);
	lq_yaml_release(&t->doc);
	free(t);
}

/*
 * A pattern in a script written without spaces between words (CJK: lead
 * bytes of U+3000 and above) matches anywhere in the title.
 */
static int
cjk(const char *s)
{
	return (unsigned char)s[0] >= 0xe3 && (unsigned char)s[0] <= 0xed;
}

static int
load_pats(struct lq_titles *t, struct lq_ynode *seq, const char *what,
    struct pat **out, size_t *nout, struct lq_err *err)
{
	struct lq_buf b = LQ_BUF_INIT;

	if (lq_yexpect(&t->doc, seq, LQ_Y_SEQ, what, err))
		return -1;
	*out = calloc(seq->n + 1, sizeof(**out));
	for (size_t i = 0; i < seq->n; i++) {
		const char *s;
		size_t len;
		int prefix;
		if (lq_ystr(&t->doc, seq->items[i], what, &s, err)) {
			lq_buf_release(&b);
			return -1;
		}
		len = strlen(s);
		prefix = len && s[len - 1] == '*';
		norm(&b, s, len - (size_t)prefix);
		if (b.len < 3) {
			lq_buf_release(&b);
			return lq_yerr(&t->doc, seq->items[i], err,
			    "%s: pattern '%s' has no letters or digits", what,
			    s);
		}
		if (prefix || cjk(s))
			b.len--;	/* drop the trailing blank */
		if (cjk(s))
			memmove(b.buf, b.buf + 1, b.len--);	/* and the leading */
		(*out)[i].s = strndup(b.buf, b.len);
		(*out)[i].n = b.len;
		(*nout)++;
	}
	lq_buf_release(&b);
	return 0;
}

static int
load_rules(struct lq_titles *t, struct lq_ynode *seq, const char *label,
    struct rule **out, size_t *nout, struct lq_err *err)
{
	static const char *const sen_keys[] = { "level", "any", "none",
		"description", NULL };
	static const char *const dep_keys[] = { "department", "any", "none",
		"description", NULL };
	struct lq_ydoc *d = &t->doc;

	if (!seq)
		return lq_err_at(err, d->file, 1, 1, "no '%s:' rules",
		    *label == 'l' ? "seniority" : "department");
	if (lq_yexpect(d, seq, LQ_Y_SEQ, "rules", err))
		return -1;
	*out = calloc(seq->n + 1, sizeof(**out));
	for (size_t i = 0; i < seq->n; i++) {
		struct lq_ynode *r = seq->items[i], *c;
		struct rule *ru = &(*out)[(*nout)++];
		if (lq_ymap_check(d, r, "a title rule", *label == 'l' ?
		    sen_keys : dep_keys, err))
			return -1;
		if (!(c = lq_ymap_get(r, label)))
			return lq_yerr(d, r, err, "rule without '%s'", label);
		if (lq_ystr(d, c, label, &ru->label, err))
			return -1;
		if (!(c = lq_ymap_get(r, "any")))
			return lq_yerr(d, r, err, "rule '%s' without 'any' "
			    "(a list of words)", ru->label);
		if (load_pats(t, c, "any", &ru->any, &ru->nany, err))
			return -1;
		if ((c = lq_ymap_get(r, "none")) &&
		    load_pats(t, c, "none", &ru->none, &ru->nnone, err))
			return -1;
	}
	return 0;
}

struct lq_titles *
lq_titles_load(const char *path, struct lq_err *err)
{
	static const char *const top[] = { "version", "seniority",
		"department", NULL };
	struct lq_titles *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	if (lq_yaml_load(&t->doc, path, err))
		goto fail;
	if (!t->doc.root) {
		lq_err_at(err, path, 1, 1, "empty title rules");
		goto fail;
	}
	if (lq_ymap_check(&t->doc, t->doc.root, "title rules", top, err) ||
	    load_rules(t, lq_ymap_get(t->doc.root, "seniority"), "level",
	    &t->sen, &t->nsen, err) ||
	    load_rules(t, lq_ymap_get(t->doc.root, "department"),
	    "department", &t->dep, &t->ndep, err))
		goto fail;
	return t;
fail:
	lq_titles_free(t);
	return NULL;
}

static int
has(const char *title, const struct pat *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(title, p[i].s))
			return 1;
	return 0;
}

static const char *
first(const struct rule *r, size_t n, const char *title)
{
	for (size_t i = 0; i < n; i++)
		if (has(title, r[i].any, r[i].nany) &&
		    !has(title, r[i].none, r[i].nnone))
			return r[i].label;
	return NULL;
}

/*
 * Titles repeat (a few thousand distinct ones cover most leads), and the
 * ordered rules are many substring searches: remember recent answers.
 * Direct-mapped and bounded; keyed by the rule set too.
 */
#define TMEMO_SLOTS 2048
#define TMEMO_MAXLEN 96

static struct tmemo {
	const struct lq_titles *t;
	unsigned len;
	char s[TMEMO_MAXLEN];
	const char *sen, *dep;
} tmemo[TMEMO_SLOTS];

/* drop what a freed rule set left in the memo */
static void
tmemo_forget(const struct lq_titles *t)
{
	for (size_t i = 0; i < TMEMO_SLOTS; i++)
		if (tmemo[i].t == t)
			tmemo[i].t = NULL;
}

void
lq_titles_classify(const struct lq_titles *t, const char *s, size_t n,
    struct lq_buf *scratch, const char **seniority, const char **department)
{
	const char *lv;
	struct tmemo *m = NULL;

	norm(scratch, s, n);
	if (scratch->len > 0 && scratch->len < TMEMO_MAXLEN) {
		uint64_t h = lq_hash_bytes(scratch->buf, scratch->len);
		m = &tmemo[h & (TMEMO_SLOTS - 1)];
		if (m->t == t && m->len == scratch->len &&
		    !memcmp(m->s, scratch->buf, scratch->len)) {
			*seniority = m->sen;
			*department = m->dep;
			return;
		}
	}
	lv = first(t->sen, t->nsen, scratch->buf);
	*seniority = lv ? lv : "unknown";
	*department = first(t->dep, t->ndep, scratch->buf);
	if (m) {
		m->t = t;
		m->len = (unsigned)scratch->len;
		memcpy(m->s, scratch->buf, scratch->len);
		m->sen = *seniority;
		m->dep = *department;
	}
}
