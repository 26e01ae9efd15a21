/*
 * test_route.c - time zones (DST), the ledger (schema, counts, find,
 * forget, read-only), rep performance (lq_reps), and lq_route_eval.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lq_ledger.h"
#include "lq_reps.h"
#include "lq_route.h"
#include "lq_time.h"
#include "tap.h"

static double
T(const char *s)
{
	double t = -1;

	lq_time_parse(s, strlen(s), &t);
	return t;
}

static void
test_tz(void)
{
	struct tm tm;
	time_t t;

	ok(lq_tz_valid("America/New_York"), "America/New_York is a zone");
	ok(lq_tz_valid("UTC"), "UTC is a zone");
	ok(!lq_tz_valid("Mars/Olympus"), "Mars/Olympus is not");
	ok(!lq_tz_valid("../../etc/passwd"), "no path tricks");
	lq_tz_local("America/New_York", (time_t)T("2026-03-08T06:59:00Z"), &tm);
	ok(tm.tm_hour == 1 && tm.tm_gmtoff == -5 * 3600, "01:59 EST before "
	    "the change (%d, %ld)", tm.tm_hour, tm.tm_gmtoff);
	lq_tz_local("America/New_York", (time_t)T("2026-03-08T07:00:00Z"), &tm);
	ok(tm.tm_hour == 3 && tm.tm_gmtoff == -4 * 3600, "03:00 EDT after it");
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 2;
	tm.tm_mday = 8;
	tm.tm_hour = 8;
	t = lq_tz_mktime("America/New_York", &tm);
	ok((double)t == T("2026-03-08T12:00:00Z"), "08:00 EDT is 12:00Z");
	ok(tm.tm_wday == 0, "a Sunday");
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 2;
	tm.tm_mday = 8;
	tm.tm_hour = 2;
	tm.tm_min = 30;
	t = lq_tz_mktime("America/New_York", &tm);
	ok((double)t == T("2026-03-08T07:30:00Z"), "02:30 does not exist: "
	    "the instant after the gap (%ld)", (long)t);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 1;
	tm.tm_hour = 8;
	t = lq_tz_mktime("America/New_York", &tm);
	ok((double)t == T("2026-11-01T13:00:00Z"), "08:00 EST is 13:00Z");
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 11;
	tm.tm_mday = 1;
	t = lq_tz_mktime("Asia/Kolkata", &tm);
	ok((double)t == T("2026-11-30T18:30:00Z"), "half-hour zones");
}

static void
test_ledger(const char *dir)
{
	char path[512];
	struct lq_err err;
	struct lq_ledger *lg;
	struct lq_buf b = LQ_BUF_INIT;
	long n;
	int found;
	const char *id1 = "1000000000000000001", *id2 = "1000000000000000002";

	snprintf(path, sizeof(path), "%s/l.db", dir);
	lq_err_clear(&err);
	lg = lq_ledger_open(path, 0, 1000, &err);
	ok(lg != NULL, "ledger created (%s)", err.msg);
	if (!lg)
		return;
	ok(lq_ledger_begin(lg, &err) == 0 && lq_ledger_in_txn(lg),
	    "transaction open");
	unsigned long g = lq_ledger_generation(lg);
	struct lq_assign a = { id1, strlen(id1), "ann", "t", NULL,
	    T("2026-11-30T10:00:00Z"), "L1", "team", 1, "{\"owner\":\"ann\"}",
	    16, 0, 0, NULL, NULL, NULL, 0, NULL };
	ok(lq_ledger_record(lg, &a, &err) == 0, "recorded");
	a.lead_id = id2;
	a.at = T("2026-12-01T10:00:00Z");
	ok(lq_ledger_record(lg, &a, &err) == 0, "recorded another");
	a.lead_id = "q";
	a.lead_idlen = 1;
	a.rep = NULL;
	a.counts = 0;
	ok(lq_ledger_record(lg, &a, &err) == 0, "recorded a queue lead");
	ok(lq_ledger_count(lg, "ann", T("2026-11-30T00:00:00Z"),
	    T("2026-12-01T00:00:00Z"), &n, &err) == 0 && n == 1,
	    "one on the first day (%ld)", n);
	ok(lq_ledger_count(lg, "ann", T("2026-11-30T00:00:00Z"),
	    T("2026-12-07T00:00:00Z"), &n, &err) == 0 && n == 2,
	    "two in the week");
	ok(lq_ledger_find(lg, id2, strlen(id2), &b, &found, &err) == 0 &&
	    found && !strcmp(b.buf, "{\"owner\":\"ann\"}"), "found by exact id");
	ok(lq_ledger_find(lg, "1000000000000000003", 19, NULL, &found, &err) ==
	    0 && !found, "a neighbouring id is another lead");
	ok(lq_ledger_commit(lg, &err) == 0 && !lq_ledger_in_txn(lg),
	    "committed");
	ok(lq_ledger_begin(lg, &err) == 0 && lq_ledger_generation(lg) == g,
	    "a new transaction, nobody else wrote: the same generation");
	ok(lq_ledger_commit(lg, &err) == 0, "committed again");
	{
		/* another connection commits: counts read before are stale */
		struct lq_ledger *o = lq_ledger_open(path, 0, 1000, &err);
		struct lq_assign b2 = a;
		b2.lead_id = "other";
		b2.lead_idlen = 5;
		ok(o && lq_ledger_begin(o, &err) == 0 &&
		    lq_ledger_record(o, &b2, &err) == 0 &&
		    lq_ledger_commit(o, &err) == 0, "another writer committed");
		lq_ledger_close(o);
	}
	ok(lq_ledger_begin(lg, &err) == 0 && lq_ledger_generation(lg) != g,
	    "a new transaction after another writer: a new generation");
	ok(lq_ledger_forget(lg, id2, strlen(id2), &err) == 0, "forget");
	ok(lq_ledger_count(lg, "ann", T("2026-11-30T00:00:00Z"),
	    T("2026-12-07T00:00:00Z"), &n, &err) == 0 && n == 1,
	    "a forgotten lead no longer counts");
	lq_ledger_close(lg);	/* rolls the forget back */
	lg = lq_ledger_open(path, 1, 1000, &err);
	ok(lg != NULL, "reopened read-only");
	if (lg) {
		ok(lq_ledger_count(lg, "ann", 0, 4e9, &n, &err) == 0 && n == 2,
		    "the uncommitted forget was rolled back");
		ok(lq_ledger_record(lg, &a, &err) == 0, "read-only: record "
		    "does nothing");
		lq_ledger_close(lg);
	}
	snprintf(path, sizeof(path), "%s/none.db", dir);
	lg = lq_ledger_open(path, 1, 1000, &err);
	ok(lg && access(path, F_OK) < 0, "read-only open of a missing ledger "
	    "creates nothing");
	if (lg) {
		ok(lq_ledger_find(lg, "x", 1, NULL, &found, &err) == 0 &&
		    !found, "and is empty");
		lq_ledger_close(lg);
	}
	/*
	 * a dry run opened while nobody writes reads without locks; a writer
	 * that comes and goes meanwhile is seen at the next lookup
	 */
	snprintf(path, sizeof(path), "%s/l.db", dir);
	struct lq_ledger *ro = lq_ledger_open(path, 1, 1000, &err);
	ok(ro && lq_ledger_find(ro, "late", 4, NULL, &found, &err) == 0 &&
	    !found, "read-only: a lead not routed yet");
	lg = lq_ledger_open(path, 0, 1000, &err);
	a.lead_id = "late";
	a.lead_idlen = 4;
	ok(lg && lq_ledger_begin(lg, &err) == 0 && lq_ledger_record(lg, &a,
	    &err) == 0 && lq_ledger_commit(lg, &err) == 0, "a writer routes "
	    "it (%s)", err.msg);
	lq_ledger_close(lg);
	ok(ro && lq_ledger_find(ro, "late", 4, NULL, &found, &err) == 0 &&
	    found, "read-only: the writer's lead is seen (%s)", err.msg);
	lq_ledger_close(ro);
	/* a file that is not a ledger is refused and left as it was */
	snprintf(path, sizeof(path), "%s/notes.db", dir);
	FILE *f = fopen(path, "w");
	fputs("SQLite format 3 is not what this says\n", f);
	fclose(f);
	for (int ro = 0; ro < 2; ro++) {
		struct stat sb;
		lq_err_clear(&err);
		lg = lq_ledger_open(path, ro, 1000, &err);
		ok(!lg && err.code == LQ_EXIT_USAGE && strstr(err.msg,
		    "not an lq-route ledger (not an SQLite database)") &&
		    stat(path, &sb) == 0 && sb.st_size == 38, "%s: a file "
		    "that is not a database is refused unchanged (%s)", ro ?
		    "read-only" : "writable", err.msg);
		lq_ledger_close(lg);
	}
	/* an empty file: an empty ledger read-only, a new one writable */
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	fclose(fopen(path, "w"));
	lg = lq_ledger_open(path, 1, 1000, &err);
	ok(lg && lq_ledger_find(lg, "x", 1, NULL, &found, &err) == 0 &&
	    !found, "an empty file read-only is an empty ledger");
	lq_ledger_close(lg);
	lg = lq_ledger_open(path, 0, 1000, &err);
	ok(lg != NULL, "an empty file becomes a ledger (%s)", err.msg);
	lq_ledger_close(lg);
	lq_buf_release(&b);
}

static void
test_reps(void)
{
	struct lq_err err;
	struct lq_reps *r;
	struct lq_buf b = LQ_BUF_INIT;
	const char *recs[] = {
		"{\"o\":\"b\",\"s\":\"x\",\"w\":true}",
		"{\"o\":\"b\",\"s\":\"x\",\"w\":false}",
		"{\"o\":\"a\",\"s\":\"y\",\"w\":1}",
		"{\"o\":\"a\",\"w\":0}",
		"{\"o\":\"a\",\"s\":\"y\",\"w\":null}",
		"{\"s\":\"y\",\"w\":true}",
	};

	lq_err_clear(&err);
	ok(!lq_reps_new(".o |", NULL, ".w", 5, &err) &&
	    strstr(err.msg, "--owner:1:"), "compile errors name the option "
	    "(%s)", err.msg);
	ok(!lq_reps_new(".o", NULL, ".w", INFINITY, &err) &&
	    !strcmp(err.msg, "--prior must be a number of deals >= 0, not inf"),
	    "an infinite prior is refused (%s)", err.msg);
	ok(!lq_reps_new(".o", NULL, ".w", -1, &err) && err.code ==
	    LQ_EXIT_USAGE, "a negative prior is refused");
	r = lq_reps_new(".o", ".s", ".w", 5, &err);
	ok(r != NULL, "compiled");
	if (!r)
		return;
	for (size_t i = 0; i < sizeof(recs) / sizeof(*recs); i++)
		lq_reps_add(r, recs[i], strlen(recs[i]), &err);
	ok(lq_reps_counts(r).counted == 4 && lq_reps_counts(r).skipped == 2,
	    "4 counted, 2 skipped");
	lq_reps_yaml(r, &b);
	ok(strstr(b.buf, "  overall: {n: 4, won: 2, rate: 0.5}\n") != NULL,
	    "overall");
	ok(strstr(b.buf, "    \"a\":\n      all: {n: 2, won: 1, rate: 0.5, "
	    "shrunk: 0.5}\n") != NULL, "rep a, sorted first");
	ok(strstr(b.buf, "\"(missing)\": {n: 1, won: 0") != NULL,
	    "a missing segment is a segment");
	/* x: 1 of 2, base (1 + 5 * 0.5) / 7 = 0.5; y: 1 of 1 -> 3.5/6 */
	ok(strstr(b.buf, "\"y\": {n: 1, won: 1, rate: 1, shrunk: 0.5833}") !=
	    NULL, "segment rate shrunk towards the overall rate");
	ok(strstr(b.buf, "\"y\": {n: 1, won: 1, rate: 1, shrunk: 0.6528}") !=
	    NULL, "rep rate shrunk towards the segment's (%.4f)",
	    (1 + 5 * (3.5 / 6)) / 6);
	lq_buf_release(&b);
	lq_reps_free(r);
}

static void
test_eval(const char *dir)
{
	char path[512];
	FILE *f;
	struct lq_err err;
	struct lq_route *rt;
	struct lq_scan sc = LQ_SCAN_INIT;
	struct lq_buf out = LQ_BUF_INIT;
	const char *lead = "{\"id\":1,\"c\":\"x\",\"score\":{\"tier\":\"L2\","
	    "\"action\":\"route\"}}";

	snprintf(path, sizeof(path), "%s/r.yaml", dir);
	f = fopen(path, "w");
	fputs("route:\n  sla: { L2: 2h }\n  territories:\n"
	    "    - { if: '.c == \"x\"', team: t }\n  teams:\n"
	    "    t:\n      tz: Europe/Berlin\n      hours: [\"mon-fri 09:00-12:00"
	    " 13:00-17:00\"]\n      capacity: { day: 1 }\n"
	    "      reps: [{ id: ann }, { id: bob }]\n", f);
	fclose(f);
	lq_err_clear(&err);
	rt = lq_route_load(path, NULL, &err);
	ok(rt != NULL, "loaded (%s)", err.msg);
	if (!rt)
		return;
	ok(!strcmp(lq_route_id_field(rt), "id"), "id field");
	lq_json_scan(&sc, lead, strlen(lead), &err);
	ok(lq_route_eval(rt, lead, strlen(lead), &sc, T("2026-11-30T11:30:00Z"),
	    "route", &out, &err) == 0, "routed in the lunch break");
	ok(strstr(out.buf, "\"step\":\"next_available\"") &&
	    strstr(out.buf, "\"available_at\":\"2026-11-30T12:00:00Z\"") &&
	    strstr(out.buf, "\"contact_by\":\"2026-11-30T14:00:00Z\""),
	    "after lunch, plus the L2 SLA: %s", out.buf);
	const char *first = strstr(out.buf, "\"owner\":\"ann\"") ? "ann" : "bob";
	lq_buf_reset(&out);
	lq_route_eval(rt, lead, strlen(lead), &sc, T("2026-11-30T12:30:00Z"),
	    "route", &out, &err);
	ok(strstr(out.buf, "\"step\":\"team\"") && !strstr(out.buf, first),
	    "the other rep: the first is at capacity (%s)", out.buf);
	lq_buf_reset(&out);
	lq_route_eval(rt, lead, strlen(lead), &sc, T("2026-11-30T12:40:00Z"),
	    "route", &out, &err);
	ok(strstr(out.buf, "\"step\":\"fallback\"") &&
	    strstr(out.buf, "\"unavailable\":{\"capacity_day\":2}"),
	    "both full: fallback says why (%s)", out.buf);
	lq_buf_reset(&out);
	lq_route_eval(rt, lead, strlen(lead), &sc, T("2026-12-01T08:00:00Z"),
	    "route", &out, &err);
	ok(strstr(out.buf, "\"step\":\"team\""), "a new local day: room again");
	double t;
	const char *tl = "{\"at\":\"2026-11-30T12:00:00+01:00\",\"n\":1764500000}";
	lq_json_scan(&sc, tl, strlen(tl), &err);
	ok(lq_route_lead_time(tl, &sc, "at", &t) == 0 &&
	    t == T("2026-11-30T11:00:00Z"), "time field with an offset");
	ok(lq_route_lead_time(tl, &sc, "n", &t) == 0 && t == 1764500000,
	    "epoch time field");
	ok(lq_route_lead_time(tl, &sc, "x", &t) < 0, "missing time field");
	lq_route_free(rt);
	lq_scan_release(&sc);
	lq_buf_release(&out);
}

int
main(void)
{
	char dir[] = "/tmp/test_route.XXXXXX";
	char cmd[600];

	if (!mkdtemp(dir))
		return 1;
	test_tz();
	test_ledger(dir);
	test_reps();
	test_eval(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
