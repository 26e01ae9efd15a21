/*
 * enrich_country.c - ISO country codes from common spellings, time zones
 * from country, region or phone number.
 *
 * The data file has tab-separated lines (blank lines and '#' comments
 * ignored):
 *   country CODE NAME CALLING-CODE TZ ALIASES    (TZ "-": several zones)
 *   region  CODE TZ ALIASES                       (a region's zone)
 * ALIASES are separated by '|'; spellings are compared lowercased with
 * punctuation as blanks ("U.S.A." = "u s a", "ÖSTERREICH" = "österreich";
 * see norm()), a leading "the" optional.  data/countries.tsv is generated
 * by tools/gen-countries.py.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_enrich.h"

struct cty {
	char *code, *name, *tz, *cc;
};

struct lq_countries {
	struct cty *c;
	size_t n;
	char **tzs;		/* region zones (owned) */
	size_t ntz;
	struct lq_smap names;	/* alias -> country index */
	struct lq_smap regions;	/* "CODE alias" -> index in tzs */
	struct lq_smap calling;	/* digits -> country index */
	struct lq_smap tld;	/* ccTLD -> country index */
	struct lq_buf scratch;
};

/* Unicode punctuation compared as a blank (tools/gen-countries.py UBLANK) */
static int
ublank(uint32_t c)
{
	return c == 0xa0 || (c >= 0x2010 && c <= 0x2014) || c == 0x2018 ||
	    c == 0x2019 || c == 0x201c || c == 0x201d || c == 0xb7 ||
	    c == 0x3001 || c == 0xff0c;
}

/*
 * Append the compared form of s[0..n) to out: letters lowercased (ASCII,
 * and Latin-1, Latin Extended-A, Greek and Cyrillic by lq_ucs_lower),
 * ASCII punctuation and the ublank() characters as one blank, trimmed.
 */
static void
norm(struct lq_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	int blank = 1;

	for (size_t i = 0; i < n; ) {
		uint32_t c = p[i];
		size_t l = 1;

		if (c >= 0x80 && !(l = lq_utf8_decode(p + i, n - i, &c))) {
			/* not UTF-8: the byte as it is */
			lq_buf_addc(out, p[i++]);
			blank = 0;
			continue;
		}
		if (c < 0x80 ? !isalnum((int)c) : ublank(c)) {
			if (!blank)
				lq_buf_addc(out, ' ');
			blank = 1;
		} else if (c < 0x80) {
			lq_buf_addc(out, tolower((int)c));
			blank = 0;
		} else {
			uint32_t lc = lq_ucs_lower(c);
			if (lc != c && lc < 0x800 && l == 2) {
				lq_buf_addc(out, (int)(0xc0 | lc >> 6));
				lq_buf_addc(out, (int)(0x80 | (lc & 0x3f)));
			} else {
				lq_buf_add(out, s + i, l);
			}
			blank = 0;
		}
		i += l;
	}
	while (out->len && out->buf[out->len - 1] == ' ')
		out->len--;
	if (out->buf)
		out->buf[out->len] = 0;
}

void
lq_countries_free(struct lq_countries *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->c[i].code);
		free(c->c[i].name);
		free(c->c[i].tz);
		free(c->c[i].cc);
	}
	for (size_t i = 0; i < c->ntz; i++)
		free(c->tzs[i]);
	free(c->c);
	free(c->tzs);
	lq_smap_release(&c->names);
	lq_smap_release(&c->regions);
	lq_smap_release(&c->calling);
	lq_smap_release(&c->tld);
	lq_buf_release(&c->scratch);
	free(c);
}

static long
find_code(const struct lq_countries *c, const char *code)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->c[i].code, code))
			return (long)i;
	return -1;
}

static void
add_aliases(struct lq_smap *m, const char *prefix, char *list, long v)
{
	struct lq_buf b = LQ_BUF_INIT;
	char *save, *a;

	for (a = strtok_r(list, "|", &save); a; a = strtok_r(NULL, "|",
	    &save)) {
		lq_buf_reset(&b);
		if (prefix) {
			lq_buf_adds(&b, prefix);
			lq_buf_addc(&b, ' ');
		}
		norm(&b, a, strlen(a));
		if (b.len)
			lq_smap_put(m, b.buf, b.len, v, NULL);
	}
	lq_buf_release(&b);
}

static int
parse_line(struct lq_countries *c, char *line, const char *path, long ln,
    struct lq_err *err)
{
	char *f[8];
	int nf = 0;
	char *p = line, *tab;

	while (nf < 8) {
		f[nf++] = p;
		if (!(tab = strchr(p, '\t')))
			break;
		*tab = 0;
		p = tab + 1;
	}
	if (!strcmp(f[0], "country") && nf == 6) {
		struct cty *t;
		c->c = realloc(c->c, (c->n + 1) * sizeof(*c->c));
		t = &c->c[c->n];
		t->code = strdup(f[1]);
		t->name = strdup(f[2]);
		t->cc = strdup(f[3]);
		t->tz = strcmp(f[4], "-") ? strdup(f[4]) : NULL;
		c->n++;
		long i = (long)c->n - 1;
		lq_buf_reset(&c->scratch);
		norm(&c->scratch, t->code, strlen(t->code));
		lq_smap_put(&c->names, c->scratch.buf, c->scratch.len, i, NULL);
		lq_buf_reset(&c->scratch);
		norm(&c->scratch, t->name, strlen(t->name));
		lq_smap_put(&c->names, c->scratch.buf, c->scratch.len, i, NULL);
		add_aliases(&c->names, NULL, f[5], i);
		if (*t->cc && strcmp(t->cc, "-"))
			lq_smap_put(&c->calling, t->cc, strlen(t->cc), i, NULL);
		char tld[8];
		snprintf(tld, sizeof(tld), "%s", strcmp(t->code, "GB") ?
		    t->code : "UK");
		for (char *q = tld; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		lq_smap_put(&c->tld, tld, strlen(tld), i, NULL);
		return 0;
	}
	if (!strcmp(f[0], "region") && nf == 4) {
		if (find_code(c, f[1]) < 0)
			return lq_err_at(err, path, (int)ln, 0, "region of "
			    "unknown country '%s' (list countries first)", f[1]);
		c->tzs = realloc(c->tzs, (c->ntz + 1) * sizeof(*c->tzs));
		c->tzs[c->ntz] = strdup(f[2]);
		lq_buf_reset(&c->scratch);
		norm(&c->scratch, f[1], strlen(f[1]));
		add_aliases(&c->regions, c->scratch.buf, f[3], (long)c->ntz);
		c->ntz++;
		return 0;
	}
	return lq_err_at(err, path, (int)ln, 0, "expected 'country' with 5 "
	    "or 'region' with 3 tab-separated fields");
}

struct lq_countries *
lq_countries_load(const char *path, struct lq_err *err)
{
	struct lq_countries *c = calloc(1, sizeof(*c));
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long ln = 0;

	if (!c)
		abort();
	if (!(fp = fopen(path, "r"))) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: %s", path, strerror(errno));
		lq_countries_free(c);
		return NULL;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		ln++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		if (parse_line(c, line, path, ln, err)) {
			free(line);
			fclose(fp);
			lq_countries_free(c);
			return NULL;
		}
	}
	free(line);
	fclose(fp);
	return c;
}

/* Country of a phone number ("+49 30 ...", "0049..."), or -1. */
static long
by_phone(const struct lq_countries *c, const char *p, size_t n)
{
	char dig[8];
	size_t nd = 0, i = 0;
	long v;

	while (i < n && isspace((unsigned char)p[i]))
		i++;
	if (i < n && p[i] == '+')
		i++;
	else if (i + 1 < n && p[i] == '0' && p[i + 1] == '0')
		i += 2;
	else
		return -1;
	for (; i < n && nd < 4; i++) {
		if (isdigit((unsigned char)p[i]))
			dig[nd++] = p[i];
		else if (p[i] != ' ' && p[i] != '-' && p[i] != '(' &&
		    p[i] != ')' && p[i] != '.')
			break;
	}
	for (size_t k = nd < 3 ? nd : 3; k >= 1; k--)
		if (lq_smap_get(&c->calling, dig, k, &v))
			return v;
	return -1;
}

int
lq_country_resolve(const struct lq_countries *cc, const char *country,
    size_t cn, const char *region, size_t rn, const char *phone, size_t pn,
    struct lq_country *out)
{
	struct lq_countries *c = (struct lq_countries *)cc;
	long i = -1, r;

	memset(out, 0, sizeof(*out));
	if (country && cn) {
		lq_buf_reset(&c->scratch);
		norm(&c->scratch, country, cn);
		if (c->scratch.len && (lq_smap_get(&c->names, c->scratch.buf,
		    c->scratch.len, &i) || (c->scratch.len > 4 &&
		    !memcmp(c->scratch.buf, "the ", 4) && lq_smap_get(&c->names,
		    c->scratch.buf + 4, c->scratch.len - 4, &i))))
			out->source = "country";
		else if (c->scratch.len)
			out->problem = "not a known country";
	}
	if (i < 0 && phone && pn && (i = by_phone(c, phone, pn)) >= 0)
		out->source = "phone";
	if (i < 0)
		return 0;
	out->problem = NULL;
	out->code = c->c[i].code;
	out->name = c->c[i].name;
	out->tz = c->c[i].tz;
	if (region && rn) {
		lq_buf_reset(&c->scratch);
		norm(&c->scratch, out->code, strlen(out->code));
		lq_buf_addc(&c->scratch, ' ');
		size_t base = c->scratch.len;
		norm(&c->scratch, region, rn);
		if (c->scratch.len > base && lq_smap_get(&c->regions,
		    c->scratch.buf, c->scratch.len, &r))
			out->tz = c->tzs[r];
	}
	return 1;
}

int
lq_country_by_tld(const struct lq_countries *c, const char *d, size_t n,
    struct lq_country *out)
{
	const char *dot = NULL;
	long i;

	for (size_t k = 0; k < n; k++)
		if (d[k] == '.')
			dot = d + k;
	if (!dot || !lq_smap_get(&c->tld, dot + 1, n - (size_t)(dot + 1 - d),
	    &i))
		return 0;
	/* country TLDs sold as generic ones say nothing about the lead */
	if (n - (size_t)(dot + 1 - d) == 2) {
		char k[5] = { ' ', dot[1], dot[2], ' ', 0 };
		if (strstr(" io co ai me tv ly fm gg to ws cc sh ac la ", k))
			return 0;
	}
	memset(out, 0, sizeof(*out));
	out->code = c->c[i].code;
	out->name = c->c[i].name;
	out->tz = c->c[i].tz;
	out->source = "email";
	return 1;
}
