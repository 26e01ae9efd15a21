/*
 * fuzz_json.c - the JSON scanner, the tape, the splice and the line reader
 * on arbitrary bytes.
 *
 * Input: one control byte (read size, splice key and value), then NDJSON.
 * The bytes are read back through lq_reader in short reads (each line must
 * be what splitting the input at LF gives, CR before LF dropped); each line
 * and the whole input are scanned with and without the tape.  Invariants:
 * both scans agree; every span of the scan, the tape, lq_json_skip() and
 * lq_json_iter agree; lq_scan_find() and lq_tape_member() find the last
 * member of a name; every top-level number goes through
 * lq_buf_json_num() (the same double back) and lq_buf_json_round() (within
 * half a unit), every top-level string and key decodes to valid UTF-8
 * that lq_buf_json_str() writes back as a string of the same bytes; and on
 * an object, lq_splice() gives the input with the
 * member removed and appended (lq_splice_point() + lq_splice_head() the
 * same bytes when it is absent), an output that scans again, keeps every
 * other member's bytes in order, and splices to itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_buf.h"
#include "lq_io.h"
#include "lq_json.h"
#include "fuzz.h"

static const char *const keys[] = { "score", NULL, "", "\xc3\xa9\"\\k" };
static const char *const vals[] = { "{\"tier\":\"L1\",\"points\":12}",
	"null", "\"x\"", "[1,{\"a\":[]}]" };

/* the first non-blank byte at or after i */
static size_t
skip_blank(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	    p[i] == '\r'))
		i++;
	return i;
}

/* does the decoded key of member m equal k[0..kn) */
static int
key_is(const char *line, const struct lq_member *m, const char *k, size_t kn)
{
	return lq_json_key_eq(line + m->kstart, m->klen, k, kn);
}

/*
 * Check tape entry e (a value of line) and, for a container, its children
 * against lq_json_iter; returns the number of entries in its subtree.
 */
static size_t
check_tape(const struct lq_scan *s, const char *line, uint32_t e)
{
	const struct lq_tval *T = s->tape;
	const char *v = line + T[e].v;
	size_t count = 1;

	if (T[e].v >= T[e].ve || e >= s->tn)
		fuzz_fail("tape entry %u: empty span [%u, %u)", e, T[e].v,
		    T[e].ve);
	if (lq_json_skip(v) != line + T[e].ve)
		fuzz_fail("tape entry %u: lq_json_skip ends at %td, tape at %u",
		    e, lq_json_skip(v) - line, T[e].ve);
	if (*v != '{' && *v != '[') {
		if (*v == '"') {
			int esc = 0;
			if (lq_json_str_end(v, &esc) != line + T[e].ve ||
			    esc != (int)T[e].n)
				fuzz_fail("tape entry %u: string end or escape "
				    "flag differs", e);
		}
		return count;
	}
	struct lq_json_iter it;
	const char *k, *iv;
	size_t kl, vl;
	uint32_t c = T[e].n ? e + 1 : 0, seen = 0;

	lq_json_iter_start(&it, v);
	while (lq_json_iter_next(&it, *v == '{' ? &k : NULL, &kl, &iv, &vl)) {
		if (!c)
			fuzz_fail("tape entry %u: iter finds more than %u "
			    "children", e, T[e].n);
		if (line + T[c].v != iv || T[c].ve - T[c].v != vl)
			fuzz_fail("tape entry %u: child %u at [%u, %u), iter "
			    "at [%td, %td)", e, c, T[c].v, T[c].ve, iv - line,
			    iv - line + (ptrdiff_t)vl);
		if (*v == '{' && (line + T[c].k != k ||
		    (T[c].klen & ~LQ_TKESC) != kl ||
		    ((T[c].klen & LQ_TKESC) != 0) != (memchr(k, '\\', kl) !=
		    NULL)))
			fuzz_fail("tape entry %u: key of child %u differs", e,
			    c);
		if (*v == '[' && T[c].klen)
			fuzz_fail("tape entry %u: element %u has a key", e, c);
		count += check_tape(s, line, c);
		seen++;
		c = T[c].next;
	}
	if (c || seen != T[e].n)
		fuzz_fail("tape entry %u: %u children, iter finds %u", e,
		    T[e].n, seen);
	if (*v == '[' && lq_json_array_len(v) != (long)seen)
		fuzz_fail("tape entry %u: lq_json_array_len %ld, %u elements",
		    e, lq_json_array_len(v), seen);
	return count;
}

/*
 * lq_buf_json_num() and lq_buf_json_round() on the number raw[0..n): JSON
 * that scans, the same double back, a rounding within half a unit.
 */
static void
check_number(const char *raw, size_t n, unsigned ctl)
{
	static const double unit[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	struct lq_buf t = LQ_BUF_INIT, b = LQ_BUF_INIT;
	struct lq_scan s = LQ_SCAN_INIT;
	struct lq_err err;
	int places = (int)(ctl % 7);
	double d, v;

	lq_buf_add(&t, raw, n);
	d = strtod(t.buf, NULL);
	lq_buf_json_num(&b, d);
	if (lq_json_scan(&s, b.buf, b.len, &err) < 0 || (isfinite(d) ?
	    s.kind != LQ_J_NUMBER || strtod(b.buf, NULL) != d :
	    s.kind != LQ_J_NULL))
		fuzz_fail("lq_buf_json_num(%s) wrote %s", t.buf, b.buf);
	lq_buf_reset(&b);
	lq_buf_json_round(&b, d, places);
	if (lq_json_scan(&s, b.buf, b.len, &err) < 0)
		fuzz_fail("lq_buf_json_round(%s, %d) wrote %s", t.buf, places,
		    b.buf);
	v = strtod(b.buf, NULL);
	if (isfinite(d) && !(fabs(v - d) <= 0.5 /
	    unit[places] * (1 + 1e-9) + fabs(d) * 1e-15))
		fuzz_fail("lq_buf_json_round(%s, %d) wrote %s", t.buf, places,
		    b.buf);
	lq_scan_release(&s);
	lq_buf_release(&t);
	lq_buf_release(&b);
}

/*
 * The string raw[0..n) (quotes included) decoded: valid UTF-8, and
 * lq_buf_json_str() of it scans and decodes to the same bytes.
 */
static void
check_string(const char *raw, size_t n)
{
	struct lq_buf d = LQ_BUF_INIT, j = LQ_BUF_INIT, d2 = LQ_BUF_INIT;
	struct lq_scan s = LQ_SCAN_INIT;
	struct lq_err err;
	size_t i, l;
	uint32_t cp;

	lq_json_unescape(&d, raw, n);
	lq_buf_adds(&d, "");
	for (i = 0; i < d.len; i += l)
		if (!(l = lq_utf8_decode((const unsigned char *)d.buf + i,
		    d.len - i, &cp)))
			fuzz_fail("%.*s decodes to invalid UTF-8 at byte %zu",
			    (int)n, raw, i);
	lq_buf_json_str(&j, d.buf, d.len);
	if (lq_json_scan(&s, j.buf, j.len, &err) < 0 || s.kind != LQ_J_STRING)
		fuzz_fail("lq_buf_json_str of %.*s: %s", (int)n, raw, j.buf);
	lq_json_unescape(&d2, j.buf, j.len);
	lq_buf_adds(&d2, "");
	if (d2.len != d.len || memcmp(d2.buf, d.buf, d.len))
		fuzz_fail("%.*s does not decode the same after "
		    "lq_buf_json_str", (int)n, raw);
	lq_scan_release(&s);
	lq_buf_release(&d);
	lq_buf_release(&j);
	lq_buf_release(&d2);
}

/* the top-level members, the lookups and the splice of an object */
static void
check_object(const struct lq_scan *s, const char *line, size_t len,
    unsigned ctl)
{
	struct lq_buf k = LQ_BUF_INIT, kj = LQ_BUF_INIT, out = LQ_BUF_INIT,
	    again = LQ_BUF_INIT;
	struct lq_scan o = LQ_SCAN_INIT;
	struct lq_err err;
	const char *val = vals[(ctl >> 5) & 3];
	size_t i, j, vlen = strlen(val), kept;
	int comma;
	long ins;

	if (line[s->open] != '{' || line[s->close] != '}' ||
	    s->open != skip_blank(line, len >= 3 && !memcmp(line,
	    "\xef\xbb\xbf", 3) ? 3 : 0, len))
		fuzz_fail("object braces at %zu and %zu", s->open, s->close);
	for (i = 0; i < s->n; i++) {
		const struct lq_member *m = &s->m[i];
		int esc = 0;
		if (lq_json_str_end(line + m->kstart, &esc) != line +
		    m->kstart + m->klen || esc != m->kesc)
			fuzz_fail("member %zu: key span or escape flag", i);
		if (lq_json_skip(line + m->vstart) != line + m->vend)
			fuzz_fail("member %zu: value span [%zu, %zu)", i,
			    m->vstart, m->vend);
		if (m->vkind == LQ_J_NUMBER)
			check_number(line + m->vstart, m->vend - m->vstart,
			    ctl);
		if (m->vkind == LQ_J_STRING)
			check_string(line + m->vstart, m->vend - m->vstart);
		check_string(line + m->kstart, m->klen);
		if (s->tn && (s->tape[m->t].v != m->vstart ||
		    s->tape[m->t].ve != m->vend))
			fuzz_fail("member %zu: tape entry %u differs", i, m->t);
		/* the last member of this name, by brute force */
		lq_buf_reset(&k);
		lq_json_unescape(&k, line + m->kstart, m->klen);
		long last = -1;
		for (j = 0; j < s->n; j++)
			if (key_is(line, &s->m[j], k.buf ? k.buf : "", k.len))
				last = (long)j;
		if (lq_scan_find(s, line, k.buf ? k.buf : "", k.len) != last)
			fuzz_fail("member %zu: lq_scan_find gives %ld, not %ld",
			    i, lq_scan_find(s, line, k.buf ? k.buf : "", k.len),
			    last);
		if (s->tn && lq_tape_member(s->tape, line, 0, k.buf ? k.buf :
		    "", k.len) != s->m[last].t + 1)
			fuzz_fail("member %zu: lq_tape_member differs", i);
	}

	/* splice a member in */
	lq_buf_reset(&k);
	if (keys[(ctl >> 3) & 3])
		lq_buf_adds(&k, keys[(ctl >> 3) & 3]);
	else if (s->n)
		lq_json_unescape(&k, line + s->m[ctl % s->n].kstart,
		    s->m[ctl % s->n].klen);
	else
		lq_buf_adds(&k, "score");
	if (!k.buf)
		lq_buf_adds(&k, "");
	lq_buf_json_str(&kj, k.buf, k.len);
	lq_splice(&out, line, len, s, k.buf, k.len, kj.buf, kj.len, val, vlen);
	if ((ins = lq_splice_point(line, s, k.buf, k.len, &comma)) >= 0) {
		lq_splice_head(&again, line, ins, comma, kj.buf, kj.len);
		lq_buf_add(&again, val, vlen);
		lq_buf_add(&again, line + ins, len - (size_t)ins);
		if (again.len != out.len || memcmp(again.buf, out.buf, out.len))
			fuzz_fail("lq_splice and lq_splice_point/head differ");
		if (out.len != len + kj.len + vlen + 1 + (size_t)comma)
			fuzz_fail("splice of an absent key: %zu bytes from %zu",
			    out.len, len);
	}
	if (lq_json_scan(&o, out.buf, out.len, &err) < 0)
		fuzz_fail("splice output does not scan: %s", err.msg);
	if (o.kind != LQ_J_OBJECT || o.n == 0)
		fuzz_fail("splice output is not an object with members");
	/* every other member kept, in order, with its bytes */
	for (i = 0, kept = 0; i < s->n; i++) {
		const struct lq_member *m = &s->m[i], *p = &o.m[kept];
		if (key_is(line, m, k.buf, k.len))
			continue;
		if (kept >= o.n - 1 || p->klen != m->klen ||
		    p->vend - p->vstart != m->vend - m->vstart ||
		    memcmp(out.buf + p->kstart, line + m->kstart, m->klen) ||
		    memcmp(out.buf + p->vstart, line + m->vstart, m->vend -
		    m->vstart))
			fuzz_fail("splice: member %zu not kept as it was", i);
		kept++;
	}
	if (kept != o.n - 1)
		fuzz_fail("splice: %zu members, expected %zu", o.n, kept + 1);
	if (!key_is(out.buf, &o.m[o.n - 1], k.buf, k.len) ||
	    o.m[o.n - 1].vend - o.m[o.n - 1].vstart != vlen ||
	    memcmp(out.buf + o.m[o.n - 1].vstart, val, vlen))
		fuzz_fail("splice: the new member is not last");
	/* splicing again changes nothing */
	lq_buf_reset(&again);
	lq_splice(&again, out.buf, out.len, &o, k.buf, k.len, kj.buf, kj.len,
	    val, vlen);
	if (again.len != out.len || memcmp(again.buf, out.buf, out.len))
		fuzz_fail("splice is not idempotent");

	lq_scan_release(&o);
	lq_buf_release(&k);
	lq_buf_release(&kj);
	lq_buf_release(&out);
	lq_buf_release(&again);
}

/* scan line[0..len) (NUL-terminated) both ways and check all of it */
static void
check_value(const char *line, size_t len, unsigned ctl)
{
	struct lq_scan a = LQ_SCAN_INIT, b = LQ_SCAN_INIT;
	struct lq_err ea, eb;
	int ra, rb;

	ea.msg[0] = eb.msg[0] = 0;
	ra = lq_json_scan(&a, line, len, &ea);
	b.want_tape = 1;
	rb = lq_json_scan(&b, line, len, &eb);
	if (ra != rb || strcmp(ea.msg, eb.msg))
		fuzz_fail("scans with and without tape differ: %d '%s', %d "
		    "'%s'", ra, ra ? ea.msg : "", rb, rb ? eb.msg : "");
	if (ra < 0) {
		if (strncmp(ea.msg, "invalid JSON at byte ", 21) &&
		    strncmp(ea.msg, "invalid UTF-8 at byte ", 22) &&
		    strncmp(ea.msg, "nested too deep at byte ", 24))
			fuzz_fail("scan error message: %s", ea.msg);
		goto done;
	}
	if (a.kind != b.kind || a.n != b.n)
		fuzz_fail("scans with and without tape differ in kind or "
		    "members");
	for (size_t i = 0; i < a.n; i++)
		if (a.m[i].kstart != b.m[i].kstart || a.m[i].klen !=
		    b.m[i].klen || a.m[i].vstart != b.m[i].vstart ||
		    a.m[i].vend != b.m[i].vend || a.m[i].vkind !=
		    b.m[i].vkind || a.m[i].kesc != b.m[i].kesc)
			fuzz_fail("member %zu differs with the tape", i);
	if (a.kind == LQ_J_NONE || (a.kind != LQ_J_OBJECT && a.n))
		fuzz_fail("scan kind %d with %zu members", a.kind, a.n);
	if (!b.tn)
		fuzz_fail("no tape");
	if (b.tape[0].v != skip_blank(line, len >= 3 && !memcmp(line,
	    "\xef\xbb\xbf", 3) ? 3 : 0, len) || skip_blank(line,
	    b.tape[0].ve, len) != len)
		fuzz_fail("tape entry 0 is not the whole value");
	if (check_tape(&b, line, 0) != b.tn)
		fuzz_fail("tape has %zu entries, %zu reached", b.tn,
		    check_tape(&b, line, 0));
	if (a.kind == LQ_J_OBJECT) {
		check_object(&a, line, len, ctl);
		check_object(&b, line, len, ctl);
	}
done:
	lq_scan_release(&a);
	lq_scan_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned ctl = fuzz_byte(&data, &size);
	struct lq_reader r;
	struct lq_err err;
	char *line, *copy;
	size_t len, at = 0;
	int got;

	/* the whole input as one value (NUL-terminated, as lines are) */
	if (!(copy = malloc(size + 1)))
		abort();
	memcpy(copy, data, size);
	copy[size] = 0;
	check_value(copy, size, ctl);
	free(copy);

	/* line by line through the reader */
	lq_reader_open(&r, "-", &err);
	r.name = "fuzz";
	if ((r.fd = fuzz_fd(data, size, 1 + (ctl & 7) * 5)) < 0)
		abort();
	while ((got = lq_reader_next(&r, &line, &len, &err)) > 0) {
		const char *nl = at < size ? memchr(data + at, '\n', size -
		    at) : NULL;
		size_t want = nl ? (size_t)(nl - (const char *)data) - at :
		    size - at;
		size_t next = at + want + (nl != NULL);
		if (want && data[at + want - 1] == '\r')
			want--;
		if (at >= size || len != want || memcmp(line, data + at, len) ||
		    line[len] != 0)
			fuzz_fail("reader line %ld: %zu bytes at %zu, expected "
			    "%zu", r.lineno, len, at, want);
		at = next;
		check_value(line, len, ctl);
	}
	if (got < 0)
		fuzz_fail("reader: %s", err.msg);
	if (at != size)
		fuzz_fail("reader stopped at byte %zu of %zu", at, size);
	lq_reader_close(&r);
	return 0;
}
