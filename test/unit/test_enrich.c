/*
 * test_enrich.c - the pieces of lq-enrich: punycode, email parsing, name
 * normalisation, hash maps, lossy JSON strings, title rules, countries.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_enrich.h"
#include "tap.h"

static void
ascii(const char *in, const char *want)
{
	struct lq_buf b = LQ_BUF_INIT;
	int rc = lq_domain_to_ascii(&b, in, strlen(in));

	ok(rc == 0, "to_ascii %s succeeds", in);
	is_str(b.buf ? b.buf : "", want, "to_ascii %s", in);
	lq_buf_release(&b);
}

static void
email(const struct lq_email_lists *l, const char *in, int valid,
    const char *domain, const char *local, const char *what)
{
	struct lq_email m;

	lq_email_init(&m);
	lq_email_parse(&m, in, strlen(in), l);
	ok(m.valid == valid, "%s: valid=%d (%s)", what, valid,
	    m.problem ? m.problem : "ok");
	if (valid) {
		is_str(m.domain.buf, domain, "%s: domain", what);
		is_str(m.local.buf ? m.local.buf : "", local, "%s: local", what);
	}
	lq_email_release(&m);
}

static void
name(const char *in, const char *want)
{
	struct lq_buf b = LQ_BUF_INIT;

	lq_name_normalise(&b, in, strlen(in));
	is_str(b.buf, want, "name '%s'", in);
	lq_buf_release(&b);
}

static void
test_maps(void)
{
	struct lq_smap m;
	char k[32];
	long v = 0, bad = 0;

	lq_smap_init(&m);
	ok(!lq_smap_get(&m, "x", 1, &v), "empty map has nothing");
	for (long i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key%ld", i);
		lq_smap_put(&m, k, strlen(k), i, NULL);
	}
	for (long i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key%ld", i);
		if (!lq_smap_get(&m, k, strlen(k), &v) || v != i)
			bad++;
	}
	ok(bad == 0 && m.n == 5000, "5000 keys survive growth");
	ok(lq_smap_put(&m, "key7", 4, 99, &v) == 0 && v == 7,
	    "put of an existing key keeps it and returns the old value");
	lq_smap_set(&m, "key7", 4, 99);
	ok(lq_smap_get(&m, "key7", 4, &v) && v == 99, "set replaces");
	ok(!lq_smap_get(&m, "key", 3, NULL), "prefix is not a key");
	lq_smap_release(&m);

	lq_smap_init(&m);
	lq_smap_put(&m, "mailinator.com", 14, 1, NULL);
	ok(lq_domain_in(&m, "a.b.mailinator.com", 18), "subdomain is in");
	ok(lq_domain_in(&m, "mailinator.com", 14), "domain is in");
	ok(!lq_domain_in(&m, "mailinator.com.evil.io", 22), "suffix is not");
	ok(!lq_domain_in(&m, "xmailinator.com", 15), "longer label is not");
	lq_smap_release(&m);
}

static void
test_email(void)
{
	struct lq_email_lists l;
	struct lq_email m;

	memset(&l, 0, sizeof(l));
	lq_smap_put(&l.free, "gmail.com", 9, 1, NULL);
	lq_smap_put(&l.disposable, "mailinator.com", 14, 1, NULL);
	lq_smap_put(&l.role, "info", 4, 1, NULL);
	l.typo = calloc(3, sizeof(char *));
	l.typo[l.ntypo++] = strdup("gmail.com");
	l.typo[l.ntypo++] = strdup("aol.com");

	email(&l, "Jane.Doe+News@Example.COM", 1, "example.com", "jane.doe",
	    "+tag and case");
	email(&l, "  <bob@acme.io>  ", 1, "acme.io", "bob", "angle brackets");
	email(&l, "Bob <bob@acme.io.>", 1, "acme.io", "bob", "trailing dot");
	email(&l, "mailto:x@y.org", 1, "y.org", "x", "mailto:");
	email(&l, "a@b@c.com", 1, "c.com", "a@b", "last @ splits");
	email(&l, "noat.example.com", 0, NULL, NULL, "no @");
	email(&l, "a@", 0, NULL, NULL, "empty domain");
	email(&l, "@x.com", 0, NULL, NULL, "empty local");
	email(&l, "a@localhost", 0, NULL, NULL, "no dot");
	email(&l, "a@-x.com", 0, NULL, NULL, "label starts with -");
	email(&l, "a@x_.com", 1, "x_.com", "a", "underscore tolerated");
	email(&l, "a b@x.com", 0, NULL, NULL, "blank inside");
	email(&l, "a@\xff.com", 0, NULL, NULL, "invalid UTF-8");
	email(&l, "", 0, NULL, NULL, "empty");

	lq_email_init(&m);
	lq_email_parse(&m, "x@sub.mailinator.com", 20, &l);
	ok(m.disposable && !m.free, "disposable subdomain, not free");
	lq_email_parse(&m, "Info+x@GMAIL.com", 16, &l);
	ok(m.free && m.role && !m.typo_of, "free and role");
	lq_email_parse(&m, "a@gmial.com", 11, &l);
	ok(m.typo_of && !strcmp(m.typo_of, "gmail.com"), "transposition");
	lq_email_parse(&m, "a@gmail.co", 10, &l);
	ok(m.typo_of && !strcmp(m.typo_of, "gmail.com"), "deletion");
	lq_email_parse(&m, "a@aon.com", 9, &l);
	ok(!m.typo_of, "short provider names are not typo targets");
	lq_email_parse(&m, "a@zoë.Café.fr", strlen("a@zoë.Café.fr"), &l);
	is_str(m.domain.buf, "xn--zo-ija.xn--caf-dma.fr", "IDN domain");
	is_str(m.udomain.buf, "zoë.café.fr", "IDN unicode form lowercased");
	lq_email_parse(&m, "a@例え。テスト", strlen("a@例え。テスト"), &l);
	is_str(m.domain.buf, "xn--r8jz45g.xn--zckzah", "ideographic full stop");
	lq_email_release(&m);
	lq_email_lists_release(&l);
}

static void
test_lossy(void)
{
	struct lq_buf b = LQ_BUF_INIT;

	lq_json_str_lossy(&b, "a\"\xff" "b\xc3\xa9", 6);
	is_str(b.buf, "\"a\\\"\xef\xbf\xbd" "b\xc3\xa9\"", "invalid byte -> U+FFFD");
	lq_buf_release(&b);
}

static void
test_titles(void)
{
	struct lq_err err;
	struct lq_titles *t = lq_titles_load("data/titles.yaml", &err);
	struct lq_buf scratch = LQ_BUF_INIT;
	const char *s, *d;
	static const char *const cases[][3] = {
		{ "VP Sales", "vp", "sales" },
		{ "SVP, Global Marketing", "vp", "marketing" },
		{ "Chief Financial Officer", "c-level", "finance" },
		{ "co-founder", "owner", "executive" },
		{ "Director of Engineering", "director", "engineering" },
		{ "Team Lead, Customer Support", "manager", "customer success" },
		{ "HR Business Partner", "unknown", "hr" },
		{ "Staff Software Engineer", "senior", "engineering" },
		{ "Summer Intern - Finance", "intern", "finance" },
		{ "Director of Student Aid", "director", NULL },
		{ "Product Owner", "unknown", "product" },
		{ "Assistant to the President", "entry", "executive" },
		{ "", "unknown", NULL },
	};

	if (!t) {
		ok(0, "data/titles.yaml loads: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lq_titles_classify(t, cases[i][0], strlen(cases[i][0]),
		    &scratch, &s, &d);
		is_str(s, cases[i][1], "title '%s' seniority", cases[i][0]);
		if (cases[i][2])
			is_str(d ? d : "(null)", cases[i][2], "title '%s' department",
			    cases[i][0]);
		else
			ok(d == NULL, "title '%s' has no department", cases[i][0]);
	}
	lq_buf_release(&scratch);
	lq_titles_free(t);
}

static void
test_countries(void)
{
	struct lq_err err;
	struct lq_countries *c = lq_countries_load("data/countries.tsv", &err);
	struct lq_country o;

	if (!c) {
		ok(0, "data/countries.tsv loads: %s", err.msg);
		return;
	}
	ok(lq_country_resolve(c, "U.S.", 4, "Texas", 5, NULL, 0, &o) &&
	    !strcmp(o.code, "US") && !strcmp(o.tz, "America/Chicago"),
	    "U.S. + Texas");
	ok(lq_country_resolve(c, "united states", 13, NULL, 0, NULL, 0, &o) &&
	    o.tz == NULL, "US without a region has no single zone");
	ok(lq_country_resolve(c, "Narnia", 6, NULL, 0, "+33 1 2", 7, &o) &&
	    !strcmp(o.code, "FR") && !strcmp(o.source, "phone"),
	    "unknown country falls back to the phone");
	ok(lq_country_resolve(c, NULL, 0, NULL, 0, "+353 1 234", 10, &o) &&
	    !strcmp(o.code, "IE"), "three-digit calling code");
	ok(!lq_country_resolve(c, NULL, 0, NULL, 0, "415 555 0100", 12, &o),
	    "national number says nothing");
	ok(lq_country_by_tld(c, "firma.de", 8, &o) && !strcmp(o.code, "DE"),
	    ".de");
	ok(lq_country_by_tld(c, "shop.co.uk", 10, &o) && !strcmp(o.code, "GB"),
	    ".uk is GB");
	ok(!lq_country_by_tld(c, "startup.io", 10, &o), ".io is generic");
	ok(!lq_country_resolve(c, "unknown", 7, NULL, 0, NULL, 0, &o) &&
	    o.problem && !strcmp(o.problem, "not a known country"),
	    "a spelling that is no country has a problem");
	ok(!lq_country_resolve(c, " - ", 3, NULL, 0, NULL, 0, &o) &&
	    !o.problem, "punctuation alone is no spelling");
	ok(lq_country_resolve(c, "Narnia", 6, NULL, 0, "+968 2", 6, &o) &&
	    !strcmp(o.code, "OM") && !o.problem,
	    "the phone clears the problem");
	ok(lq_country_resolve(c, "C\xc3\x94TE D\xe2\x80\x99IVOIRE", 16, NULL,
	    0, NULL, 0, &o) && !strcmp(o.code, "CI"),
	    "upper-case Latin-1 letters and a curly apostrophe");
	ok(lq_country_resolve(c, "the gambia", 10, NULL, 0, NULL, 0, &o) &&
	    !strcmp(o.code, "GM"), "a leading 'the' is optional");
	ok(!lq_country_resolve(c, "caf\xe9", 4, NULL, 0, NULL, 0, &o) &&
	    o.problem, "bytes that are not UTF-8 are compared as they are");
	lq_countries_free(c);
}

/* files compared as files; an index path that is not lq's refused */
static void
test_files(void)
{
	char dir[] = "/tmp/test_enrich.XXXXXX", p[4][256];
	struct lq_etable_opts o = { .path = "t/co.csv" };
	struct lq_err err;
	char *ix;
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	snprintf(p[0], sizeof(p[0]), "%s/a.csv", dir);
	snprintf(p[1], sizeof(p[1]), "%s/link.csv", dir);
	snprintf(p[2], sizeof(p[2]), "%s/hard.csv", dir);
	snprintf(p[3], sizeof(p[3]), "%s/../%s/a.csv", dir, strrchr(dir,
	    '/') + 1);
	if (!(f = fopen(p[0], "w")) || fputs("x\n", f) < 0 || fclose(f) ||
	    symlink("a.csv", p[1]) || link(p[0], p[2]))
		abort();
	ok(lq_same_file(p[0], p[1]), "a symlink is the same file");
	ok(lq_same_file(p[0], p[2]), "a hard link is the same file");
	ok(lq_same_file(p[0], p[3]), "dir/../dir/a.csv is the same file");
	ok(!lq_same_file(p[0], "/dev/null"), "another file is not");
	ok(lq_same_file("/nonexistent-lq/x", "/nonexistent-lq/./x") == 0,
	    "paths in a missing directory: compared as written");
	ok(lq_same_file("/tmp/lq-no-such-file", "/tmp/../tmp/lq-no-such-file"),
	    "a file not made yet: its directory's real path and name");
	lq_err_clear(&err);
	ok(lq_etable_index_ok(p[0], &err) < 0 &&
	    strstr(err.msg, "is not an lq-enrich index"), "a CSV is no index");
	ok(lq_etable_index_ok("/dev/null", &err) < 0 &&
	    strstr(err.msg, "not a regular file"), "/dev/null is no index");
	ok(lq_etable_index_ok("/tmp/lq-no-such-file", &err) == 0,
	    "a missing file may be made");
	ix = lq_etable_index_path(&o);
	is_str(ix, "t/co.csv.lqidx", "default index path");
	free(ix);
	o.cache = dir;
	ix = lq_etable_index_path(&o);
	snprintf(p[3], sizeof(p[3]), "%s/co.csv.lqidx", dir);
	is_str(ix, p[3], "cache: a directory");
	free(ix);
	o.index = LQ_INDEX_MEMORY;
	ok(lq_etable_index_path(&o) == NULL, "index: memory has no index");
	unlink(p[0]);
	unlink(p[1]);
	unlink(p[2]);
	rmdir(dir);
}

int
main(void)
{
	ascii("bücher.de", "xn--bcher-kva.de");
	ascii("MÜNCHEN.DE", "xn--mnchen-3ya.de");
	ascii("пример.рф", "xn--e1afmkfd.xn--p1ai");
	ascii("例え.テスト", "xn--r8jz45g.xn--zckzah");
	ascii("ελληνικά.gr", "xn--hxargifdar.gr");
	ascii("ñandú.com.ar", "xn--and-6ma2c.com.ar");
	ascii("ÅRHUS.dk", "xn--rhus-poa.dk");
	ascii("straße.de", "xn--strae-oqa.de");
	ascii("plain.example", "plain.example");
	test_maps();
	test_email();
	test_lossy();
	name("Acme, Inc.", "acme");
	name("ACME Corporation", "acme");
	name("The Initech Ltd", "initech");
	name("Globex G.m.b.H.", "globex");
	name("Pologe Bio Co., Ltd.", "pologe bio");
	name("Adpabo S.A. de C.V.", "adpabo");
	name("Dolidi sp. z o.o.", "dolidi");
	name("Johnson & Johnson", "johnson and johnson");
	name("AT&T Inc.", "at and t");
	name("Group", "group");
	name("The", "the");
	name("  ", "");
	test_titles();
	test_countries();
	test_files();
	return tap_done();
}
