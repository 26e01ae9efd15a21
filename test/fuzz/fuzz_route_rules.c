/*
 * fuzz_route_rules.c - the route: section of a rule file, from bytes,
 * through the loader lq-route uses (lq_route_load_mem), then a few fixed
 * leads routed with what it loaded (no ledger).
 *
 * The file is named as if it were in a directory of its own that holds
 * accounts.csv and perf.yaml (made once, under $TMPDIR), so the accounts
 * table and the performance file a rule names can be read.
 * Invariants: a refused file has a message "DIR/fuzz.yaml:..." and exit
 * code 2; an accepted one routes each lead into a JSON object that
 * lq_json_scan accepts, or refuses it with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_buf.h"
#include "lq_json.h"
#include "lq_route.h"
#include "fuzz.h"

/* libjq 1.6 leaks a caught error's message (see test_jqn_diff.c) */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libjq.so\n";
}

static const char accounts[] = "domain,name,owner\n"
    "acme.de,\"Acme, GmbH\",Anna Snelling\nGlobex.COM,Globex,Corliss Cosme\n";

static const char perf[] = "version: 1\nreps:\n  owner: \".rep\"\n"
    "  segment: \".segment\"\n  outcome: \".won\"\n  prior: 10\n  rows: 60\n"
    "  skipped: 5\n  overall: {n: 60, won: 46, rate: 0.7667}\n"
    "  segments:\n    \"retail\": {n: 30, won: 19, rate: 0.6333, "
    "shrunk: 0.6667}\n  by_rep:\n    \"Corliss Cosme\":\n"
    "      all: {n: 20, won: 16, rate: 0.8, shrunk: 0.7889}\n"
    "      segments:\n        \"retail\": {n: 20, won: 16, rate: 0.8, "
    "shrunk: 0.7556}\n";

static const char *const leads[] = {
	"{\"id\":1,\"source\":\"web\",\"score\":{\"tier\":\"L4\",\"action\":"
	    "\"nurture\"}}",
	"{\"id\":\"x\",\"enrich\":{\"country\":{\"code\":\"DE\"},\"email\":"
	    "{\"domain\":\"acme.de\"},\"company\":{\"owner\":\"Moses Frase\","
	    "\"industry\":\"retail\"}},\"score\":{\"tier\":\"L1\",\"action\":"
	    "\"route\"},\"created\":\"2026-11-02T10:00:00Z\"}",
	"{\"enrich\":{\"country\":{\"code\":\"US\"}},\"score\":{\"tier\":"
	    "\"L2\",\"action\":\"review\"},\"route\":{\"owner\":1}}",
	NULL
};

static char dir[200], name[256];

/* remove the directory at exit */
static void
cleanup(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/accounts.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/perf.yaml", dir);
	unlink(path);
	rmdir(dir);
}

static void
setup(void)
{
	const char *t = getenv("TMPDIR");
	char path[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/lq-fuzz-route.XXXXXX", t && *t ? t :
	    "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/accounts.csv", dir);
	if (!(f = fopen(path, "w")) || fputs(accounts, f) < 0 || fclose(f))
		abort();
	snprintf(path, sizeof(path), "%s/perf.yaml", dir);
	if (!(f = fopen(path, "w")) || fputs(perf, f) < 0 || fclose(f))
		abort();
	snprintf(name, sizeof(name), "%s/fuzz.yaml", dir);
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lq_err err;
	struct lq_route *rt;
	struct lq_scan s = LQ_SCAN_INIT, o = LQ_SCAN_INIT;
	struct lq_buf out = LQ_BUF_INIT;

	if (!name[0])
		setup();
	lq_err_clear(&err);
	if (!(rt = lq_route_load_mem(name, (const char *)data, size, NULL,
	    &err))) {
		if (strncmp(err.msg, name, strlen(name)) ||
		    err.msg[strlen(name)] != ':')
			fuzz_fail("message without the file: %s", err.msg);
		if (err.code != 2)
			fuzz_fail("refused with code %d: %s", err.code, err.msg);
		return 0;
	}
	s.want_tape = 1;
	for (int i = 0; leads[i]; i++) {
		size_t n = strlen(leads[i]);
		if (lq_json_scan(&s, leads[i], n, &err))
			abort();
		lq_buf_reset(&out);
		lq_err_clear(&err);
		if (lq_route_eval(rt, leads[i], n, &s, 1793613600.0 + i * 7200,
		    "route", &out, &err) == 0) {
			if (lq_json_scan(&o, out.buf ? out.buf : "", out.len,
			    &err) || o.kind != LQ_J_OBJECT)
				fuzz_fail("route is not a JSON object: %s",
				    out.buf);
		} else if (!err.msg[0]) {
			fuzz_fail("lead refused without a message");
		}
	}
	lq_route_free(rt);
	lq_scan_release(&s);
	lq_scan_release(&o);
	lq_buf_release(&out);
	return 0;
}
