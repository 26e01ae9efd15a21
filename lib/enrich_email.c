/*
 * enrich_email.c - email address parsing, IDN domains, list flags, typos.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lq_enrich.h"

void
lq_email_init(struct lq_email *m)
{
	memset(m, 0, sizeof(*m));
}

void
lq_email_release(struct lq_email *m)
{
	lq_buf_release(&m->local);
	lq_buf_release(&m->domain);
	lq_buf_release(&m->udomain);
}

static void ymemo_forget(const struct lq_email_lists *l);

void
lq_email_lists_release(struct lq_email_lists *l)
{
	ymemo_forget(l);
	lq_smap_release(&l->free);
	lq_smap_release(&l->disposable);
	lq_smap_release(&l->role);
	for (size_t i = 0; i < l->ntypo; i++)
		free(l->typo[i]);
	free(l->typo);
	memset(l, 0, sizeof(*l));
}


static void
utf8_enc(struct lq_buf *b, uint32_t c)
{
	char s[4];

	if (c < 0x80) {
		lq_buf_addc(b, (int)c);
		return;
	}
	if (c < 0x800) {
		s[0] = (char)(0xc0 | c >> 6);
		s[1] = (char)(0x80 | (c & 0x3f));
		lq_buf_add(b, s, 2);
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | c >> 12);
		s[1] = (char)(0x80 | (c >> 6 & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		lq_buf_add(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | c >> 18);
		s[1] = (char)(0x80 | (c >> 12 & 0x3f));
		s[2] = (char)(0x80 | (c >> 6 & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f));
		lq_buf_add(b, s, 4);
	}
}

/* lq_enrich.h */
uint32_t
lq_ucs_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9) || (c >= 0x410 && c <= 0x42f))
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c == 0x178)
		return 0xff;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) &&
	    !(c & 1))
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) &&
	    (c & 1))
		return c + 1;
	return c;
}

/* RFC 3492 punycode of cps[0..n) appended to out; -1 on overflow. */
static int
punycode(struct lq_buf *out, const uint32_t *cps, size_t n)
{
	const uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
	uint32_t nn = 128, delta = 0, bias = 72, h, b = 0;

	for (size_t j = 0; j < n; j++)
		if (cps[j] < 0x80) {
			lq_buf_addc(out, (int)cps[j]);
			b++;
		}
	h = b;
	if (b)
		lq_buf_addc(out, '-');
	while (h < n) {
		uint32_t m = UINT32_MAX;
		for (size_t j = 0; j < n; j++)
			if (cps[j] >= nn && cps[j] < m)
				m = cps[j];
		if ((uint64_t)(m - nn) * (h + 1) + delta > UINT32_MAX)
			return -1;
		delta += (m - nn) * (h + 1);
		nn = m;
		for (size_t j = 0; j < n; j++) {
			if (cps[j] < nn && ++delta == 0)
				return -1;
			if (cps[j] != nn)
				continue;
			uint32_t q = delta;
			for (uint32_t k = base;; k += base) {
				uint32_t t = k <= bias ? tmin : k >= bias + tmax ?
				    tmax : k - bias;
				if (q < t)
					break;
				uint32_t d = t + (q - t) % (base - t);
				lq_buf_addc(out, d < 26 ? 'a' + (int)d :
				    '0' + (int)d - 26);
				q = (q - t) / (base - t);
			}
			lq_buf_addc(out, q < 26 ? 'a' + (int)q : '0' + (int)q - 26);
			/* adapt bias */
			uint32_t dl = h == b ? delta / damp : delta / 2, k = 0;
			dl += dl / (h + 1);
			while (dl > ((base - tmin) * tmax) / 2) {
				dl /= base - tmin;
				k += base;
			}
			bias = k + (base - tmin + 1) * dl / (dl + skew);
			delta = 0;
			h++;
		}
		delta++;
		nn++;
	}
	return 0;
}

int
lq_domain_to_ascii(struct lq_buf *out, const char *d, size_t n)
{
	const unsigned char *p = (const unsigned char *)d;
	uint32_t *cps = malloc((n + 1) * sizeof(*cps));
	size_t i = 0, ncp;
	int rc = 0;

	if (!cps)
		abort();
	while (i <= n) {
		int ascii = 1;
		ncp = 0;
		while (i < n && p[i] != '.') {
			uint32_t c;
			size_t l = lq_utf8_decode(p + i, n - i, &c);
			if (!l) {
				rc = -1;
				goto out;
			}
			/* ideographic and fullwidth full stops */
			if (c == 0x3002 || c == 0xff0e || c == 0xff61)
				break;
			c = lq_ucs_lower(c);
			if (c >= 0x80)
				ascii = 0;
			cps[ncp++] = c;
			i += l;
		}
		if (ascii) {
			for (size_t j = 0; j < ncp; j++)
				lq_buf_addc(out, (int)cps[j]);
		} else {
			lq_buf_adds(out, "xn--");
			if (punycode(out, cps, ncp)) {
				rc = -1;
				goto out;
			}
		}
		if (i >= n)
			break;
		if (p[i] != '.')	/* a 3-byte full stop */
			i += 2;
		i++;
		lq_buf_addc(out, '.');
	}
out:
	free(cps);
	return rc;
}

int
lq_domain_in(const struct lq_smap *set, const char *d, size_t n)
{
	for (;;) {
		if (lq_smap_get(set, d, n, NULL))
			return 1;
		const char *dot = memchr(d, '.', n);
		if (!dot || !memchr(dot + 1, '.', n - (size_t)(dot + 1 - d)))
			return 0;
		n -= (size_t)(dot + 1 - d);
		d = dot + 1;
	}
}

/* Optimal string alignment distance, capped: returns 0..2, 3 = more. */
static int
osa(const char *a, size_t an, const char *b, size_t bn)
{
	int dm[40][40];

	if (an >= 40 || bn >= 40 || (an > bn ? an - bn : bn - an) > 2)
		return 3;
	for (size_t i = 0; i <= an; i++)
		dm[i][0] = (int)i;
	for (size_t j = 0; j <= bn; j++)
		dm[0][j] = (int)j;
	for (size_t i = 1; i <= an; i++)
		for (size_t j = 1; j <= bn; j++) {
			int c = a[i - 1] != b[j - 1];
			int v = dm[i - 1][j] + 1;
			if (dm[i][j - 1] + 1 < v)
				v = dm[i][j - 1] + 1;
			if (dm[i - 1][j - 1] + c < v)
				v = dm[i - 1][j - 1] + c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && dm[i - 2][j - 2] + 1 < v)
				v = dm[i - 2][j - 2] + 1;
			dm[i][j] = v;
		}
	return dm[an][bn] > 3 ? 3 : dm[an][bn];
}

/*
 * A likely typo of a well-known provider: distance 1 from a target whose
 * first label has at least 5 letters (so aon.com is not a typo of
 * aol.com), or distance 2 when that label has 8 or more.
 */
/* domains repeat: remember recent answers (bounded, keyed by the lists) */
#define YMEMO_SLOTS 1024
#define YMEMO_MAXLEN 64

static struct ymemo {
	const struct lq_email_lists *l;
	unsigned len;
	char d[YMEMO_MAXLEN];
	const char *best;
} ymemo[YMEMO_SLOTS];

static const char *typo_scan(const struct lq_email_lists *l, const char *d,
    size_t n);

/* drop what released lists left in the memo */
static void
ymemo_forget(const struct lq_email_lists *l)
{
	for (size_t i = 0; i < YMEMO_SLOTS; i++)
		if (ymemo[i].l == l)
			ymemo[i].l = NULL;
}

static const char *
typo_of(const struct lq_email_lists *l, const char *d, size_t n)
{
	struct ymemo *m;
	uint64_t h;

	if (n == 0 || n >= YMEMO_MAXLEN)
		return typo_scan(l, d, n);
	h = lq_hash_bytes(d, n);
	m = &ymemo[h & (YMEMO_SLOTS - 1)];
	if (m->l == l && m->len == n && !memcmp(m->d, d, n))
		return m->best;
	m->l = l;
	m->len = (unsigned)n;
	memcpy(m->d, d, n);
	m->best = typo_scan(l, d, n);
	return m->best;
}

static const char *
typo_scan(const struct lq_email_lists *l, const char *d, size_t n)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; i < l->ntypo; i++) {
		const char *t = l->typo[i];
		size_t tn = strlen(t), lab = strcspn(t, ".");
		int max = lab >= 8 ? 2 : lab >= 5 ? 1 : 0;
		/* the distance is at least the difference in length */
		if (!max || (tn == n && !memcmp(t, d, n)) ||
		    (tn > n ? tn - n : n - tn) > (size_t)max)
			continue;
		int dist = osa(d, n, t, tn);
		if (dist <= max && dist < bestd) {
			bestd = dist;
			best = t;
		}
	}
	return best;
}

static int
domain_ok(const char *d, size_t n)
{
	size_t lab = 0, labels = 1;

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (!lab || d[i - 1] == '-')
				return 0;
			lab = 0;
			labels++;
			continue;
		}
		if (!(islower(c) || isdigit(c) || c == '-' || c == '_'))
			return 0;
		if (!lab && c == '-')
			return 0;
		if (++lab > 63)
			return 0;
	}
	return labels >= 2;
}

void
lq_email_parse(struct lq_email *m, const char *s, size_t n,
    const struct lq_email_lists *lists)
{
	const char *at, *lt, *e = s + n;

	lq_buf_reset(&m->local);
	lq_buf_reset(&m->domain);
	lq_buf_reset(&m->udomain);
	m->valid = m->free = m->disposable = m->role = 0;
	m->typo_of = NULL;
	m->problem = NULL;

	/* "Name <addr>" */
	if ((lt = memchr(s, '<', n))) {
		const char *gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt) {
			s = lt + 1;
			e = gt;
		}
	}
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e - s >= 7 && !strncasecmp(s, "mailto:", 7))
		s += 7;
	if (s == e) {
		m->problem = "empty";
		return;
	}
	at = NULL;
	for (const char *p = s; p < e; p++)
		if (*p == '@')
			at = p;
	if (!at) {
		m->problem = "no @";
		return;
	}
	for (const char *p = s; p < e; p++)
		if (isspace((unsigned char)*p) || *p == ',' || *p == ';') {
			m->problem = "blank or separator in address";
			return;
		}
	if (at == s) {
		m->problem = "empty local part";
		return;
	}
	for (const char *p = s; p < at && *p != '+'; p++)
		lq_buf_addc(&m->local, tolower((unsigned char)*p));
	lq_buf_add(&m->local, "", 0);	/* NUL-terminated even when empty */
	const char *d = at + 1;
	size_t dn = (size_t)(e - d);
	while (dn && d[dn - 1] == '.')
		dn--;
	if (!dn) {
		m->problem = "empty domain";
		return;
	}
	int ascii = 1;
	for (size_t i = 0; i < dn; i++)
		if ((unsigned char)d[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		for (size_t i = 0; i < dn; i++)
			lq_buf_addc(&m->domain, tolower((unsigned char)d[i]));
	} else {
		if (lq_domain_to_ascii(&m->domain, d, dn)) {
			m->problem = "invalid domain";
			return;
		}
		/* the UTF-8 form, lowercased the same way */
		const unsigned char *p = (const unsigned char *)d;
		for (size_t i = 0; i < dn;) {
			uint32_t c;
			size_t l = lq_utf8_decode(p + i, dn - i, &c);
			if (c == 0x3002 || c == 0xff0e || c == 0xff61)
				c = '.';
			utf8_enc(&m->udomain, lq_ucs_lower(c));
			i += l;
		}
	}
	if (!domain_ok(m->domain.buf, m->domain.len)) {
		m->problem = memchr(m->domain.buf, '.', m->domain.len) ?
		    "invalid domain" : "domain without a dot";
		return;
	}
	m->valid = 1;
	if (!lists)
		return;
	m->disposable = lq_domain_in(&lists->disposable, m->domain.buf,
	    m->domain.len);
	if (!m->disposable)
		m->free = lq_smap_get(&lists->free, m->domain.buf,
		    m->domain.len, NULL);
	m->role = m->local.len && lq_smap_get(&lists->role, m->local.buf,
	    m->local.len, NULL);
	/* typo domains are often registered as disposable traps: check them */
	if (!m->free)
		m->typo_of = typo_of(lists, m->domain.buf, m->domain.len);
}
