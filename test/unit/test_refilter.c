/*
 * test_refilter.c - the regex literal prefilter: what it derives, and that
 * it never says "no match" where oniguruma (configured as jq 1.6 does)
 * finds one, over every pair of a pattern list and a subject list.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "lq_refilter.h"
#include "tap.h"

/* does ASCII s contain one of f's literals (folded with flag i)? */
static int
naive(const struct lq_refilter *f, const char *flags, const char *s)
{
	int icase = flags && strchr(flags, 'i');
	const char *l;

	for (int i = 0; (l = lq_refilter_literal(f, i)); i++)
		for (const char *p = s; *p; p++) {
			size_t k = 0;
			while (l[k] && p[k] && (icase ?
			    tolower((unsigned char)p[k]) : p[k]) == l[k])
				k++;
			if (!l[k])
				return 1;
		}
	return 0;
}

/* the literal set as "a|b|c", or "-" when there is no prefilter */
static const char *
lits(const char *pat, const char *flags)
{
	static char buf[4096];
	struct lq_refilter *f = lq_refilter_new(pat, strlen(pat), flags);
	const char *l;

	if (!f)
		return "-";
	buf[0] = 0;
	for (int i = 0; (l = lq_refilter_literal(f, i)); i++) {
		if (i)
			strcat(buf, "|");
		strcat(buf, l);
	}
	lq_refilter_free(f);
	return buf;
}

static int
onig_test(const char *pat, const char *flags, const char *s, size_t n)
{
	OnigRegex re;
	OnigErrorInfo einfo;
	OnigOptionType opt = ONIG_OPTION_CAPTURE_GROUP;
	int m;

	if (flags && strchr(flags, 'i'))
		opt |= ONIG_OPTION_IGNORECASE;
	if (onig_new(&re, (const UChar *)pat, (const UChar *)pat + strlen(pat),
	    opt, ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &einfo) != ONIG_NORMAL)
		return -1;
	m = onig_search(re, (const UChar *)s, (const UChar *)s + n,
	    (const UChar *)s, (const UChar *)s + n, NULL, ONIG_OPTION_NONE);
	onig_free(re);
	return m >= 0;
}

static const char *pats[] = {
	"software|saas|fintech|financial services|consult|agency|media",
	"government|public sector|non-?profit|ngo|education|edtech",
	"^(US|USA|U\\.S\\.|United States( of America)?|CA|Canada|GB|UK)$",
	"^(CN|China|中国|RU|Russia)$",
	"\\b(chief|ceo|cro|vp|svp|vice president|head|director|geschäftsführer|inhaber)\\b",
	"\\b(manager|senior|lead|gerente)\\b",
	"@(gmail|googlemail|yahoo|hotmail|outlook|live|icloud|aol|gmx|web|qq|163|proton|mail)\\.",
	"^(info|sales|contact|admin|hello|office|marketing|team|support)@",
	"^/(careers|blog)",
	"asap|urgent|renewal|doubled|grow|hiring reps|minutes|demo|dringend|lösung",
	"\\b(job|internship|thesis|homework|university|student)\\b",
	"(^|\\.)(hubspot|salesforce|pipedrive|zoho|marketo)\\.com$",
	"@(mailinator|guerrillamail|10minutemail|yopmail)\\.com$",
	"\\b(student|studentin|estudiante|étudiant)\\b",
	"\\.edu$|\\.ac\\.[a-z]{2}$|@(tum\\.de|usp\\.br|uio\\.no)$",
	"^\\s*(-|n/?a|none|freelance|self-employed|private)?\\s*$",
	"ab+c", "a(bc)+d", "x(yz)*w", "colou?r", "a{2}b", "a{0,3}bc", "[abc]def",
	"k", "s", "ss", "strasse", "kelvin", "\\d+ users", "a.b", "(a|b)(c|d)",
	"foo\\-bar", "\\/path", "tab\\there", "(?i)abc", "\\x41", "a(?=b)", "\\1",
	"professional services|financial services|business development|"
	    "vice president|hiring reps|software engineering",
	"", "a|", "(|a)b", "[[:alpha:]]x", "a{", "a{1,}b", "a{,2}b", "é", "Σ",
	NULL
};

static const char *subjects[] = {
	"", "a", "Software", "SAAS platform", "Fintech", "Non-profit", "NGO",
	"US", "U.S.", "us", "United States of America", "china", "中国", "Russia",
	"Chief Revenue Officer", "VP Sales", "Head of Growth", "GESCHÄFTSFÜHRER",
	"Geschäftsführer", "Senior Manager", "team lead", "gerente",
	"jane@gmail.com", "JANE@GMAIL.COM", "x@web.de", "x@company.io",
	"info@acme.com", "Sales@acme.com", "bob@acme.com", "/careers/x",
	"/blog", "/pricing", "need it ASAP", "we doubled", "lösung gesucht",
	"LÖSUNG", "my thesis", "a student", "Studentin", "ÉTUDIANT", "étudiant",
	"x@hubspot.com", "x@mail.salesforce.com", "x@nothubspot.com",
	"x@mailinator.com", "x@uni.edu", "x@ox.ac.uk", "x@tum.de", " n/a ",
	"none", "abbbc", "abc", "ac", "abcbcd", "xw", "xyzw", "color", "colour",
	"aab", "bc", "adef", "K", "\xe2\x84\xaa", "ſ", "STRASSE", "straße",
	"STRAẞE", "KELVIN", "\xe2\x84\xaa" "elvin", "100 users", "a-b", "axb",
	"foo-bar", "/path", "tab\there", "ABC", "A", "ab", "ad", "bc", "ba",
	"aaab", "ab", "é", "É", "σ", "ς", "Σ", "x\ny", "professional servic",
	"Professional Services Lead", "business developer", "vice presidential",
	"svp, software engineeringx", "hiring rep", "professional servicing",
	"business develop team", "hiring rapid", NULL
};

int
main(void)
{
	is_str(lits("@(gmail|yahoo)\\.", "i"), "gmail|yahoo",
	    "a group beats a one-byte run");
	is_str(lits("^(info|sales)@", "i"), "info|sales", "anchors are empty");
	is_str(lits("Hello World", "i"), "hello world", "flag i lowers");
	is_str(lits("Hello", NULL), "Hello", "no flag keeps case");
	is_str(lits("\\.edu$|\\.ac\\.[a-z]{2}$", "i"), ".edu|.ac.",
	    "alternation unites, a class ends a run");
	is_str(lits("colou?r", NULL), "colo", "an optional byte ends a run");
	is_str(lits("ab+c", NULL), "ab", "x+ keeps x, then ends the run");
	is_str(lits("x(yz)*w", NULL), "x", "an optional group is dropped");
	is_str(lits("a{2}bcd", NULL), "bcd", "an interval ends the run");
	is_str(lits("(a|b)(cd|ef)", NULL), "cd|ef", "the longer group wins");
	is_str(lits("héllo", "i"), "llo", "a non-ASCII character ends a run");
	is_str(lits("non-?profit|ngo", "i"), "ngo|profit",
	    "each alternative's best run");
	is_str(lits("a|", NULL), "-", "an empty alternative: no prefilter");
	is_str(lits("a.*", "x"), "-", "flag x: no prefilter");
	is_str(lits("a(?=b)", NULL), "-", "look-ahead: no prefilter");
	is_str(lits("(a)\\1", NULL), "-", "back reference: no prefilter");
	is_str(lits("\\x41", NULL), "-", "hex escape: no prefilter");
	is_str(lits("[[:alpha:]]x", NULL), "-", "posix class: no prefilter");
	is_str(lits("a{", NULL), "-", "a literal brace: no prefilter");
	is_str(lits("[a-z]+", NULL), "-", "classes only: no prefilter");

	struct lq_refilter *f = lq_refilter_new("kelvin", 6, "i");
	ok(f && !lq_refilter_may_match(f, "celsius", 7), "ascii: no");
	ok(f && lq_refilter_may_match(f, "KELVIN", 6), "ascii: yes");
	ok(f && lq_refilter_may_match(f, "\xe2\x84\xaa" "elvin", 8),
	    "non-ASCII subjects always go to the engine");
	lq_refilter_free(f);

	/* soundness: prefilter "no" implies no match, for every pair */
	const char *flagsets[] = { NULL, "i", "gi", "x" };
	long pairs = 0, unsound = 0, skipped = 0, exact = 0, inexact = 0;
	for (int p = 0; pats[p]; p++)
		for (int fl = 0; fl < 4; fl++) {
			f = lq_refilter_new(pats[p], strlen(pats[p]),
			    flagsets[fl]);
			for (int s = 0; subjects[s]; s++) {
				size_t n = strlen(subjects[s]);
				int m = onig_test(pats[p], flagsets[fl],
				    subjects[s], n);
				if (m < 0) {
					skipped++;
					continue;
				}
				pairs++;
				int ascii = 1;
				for (size_t i = 0; i < n; i++)
					ascii &= !(subjects[s][i] & 0x80);
				if (f && ascii) {
					exact++;
					if (lq_refilter_may_match(f, subjects[s],
					    n) != naive(f, flagsets[fl],
					    subjects[s])) {
						inexact++;
						printf("# inexact: /%s/ on '%s'\n",
						    pats[p], subjects[s]);
					}
				}
				if (f && m && !lq_refilter_may_match(f,
				    subjects[s], n)) {
					unsound++;
					printf("# unsound: /%s/%s on '%s'\n",
					    pats[p], flagsets[fl] ?
					    flagsets[fl] : "", subjects[s]);
				}
			}
			lq_refilter_free(f);
		}
	ok(pairs > 5000 && unsound == 0,
	    "%ld pattern/subject pairs: no match ever filtered out", pairs);
	ok(exact > 3000 && inexact == 0, "%ld ASCII pairs: the answer is "
	    "exactly 'contains one of the literals'", exact);
	onig_end();
	return tap_done();
}
