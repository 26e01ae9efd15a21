/*
 * fuzz_score_rules.c - the score: section of a rule file, from bytes,
 * through the loader lq-score uses (lq_score_load_mem), then one fixed
 * lead scored with what it loaded.
 *
 * Invariants: a refused file has a message "fuzz.yaml:LINE[:COL]: ..."
 * (or "fuzz.yaml: ...") and exit code 2; an accepted one scores the lead
 * into a JSON object that lq_json_scan accepts, or refuses the lead with a
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_buf.h"
#include "lq_json.h"
#include "lq_score.h"
#include "fuzz.h"

/* libjq 1.6 leaks a caught error's message (see test_jqn_diff.c) */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libjq.so\n";
}

static const char lead[] = "{\"id\":1000000000000011631,\"title\":\"VP "
    "Sales\",\"employees\":5000,\"email\":\"ana@acme.com\",\"visits\":"
    "[{\"page\":\"/pricing\",\"at\":\"2026-11-21T00:00:00Z\"},{\"page\":"
    "\"/pricing\",\"at\":1790000000}],\"name\":\"Zo\\u00eb\",\"n\":1.50,"
    "\"form\":{\"budget\":null},\"score\":{\"old\":1}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lq_err err;
	struct lq_score *sc;
	struct lq_scan s = LQ_SCAN_INIT, o = LQ_SCAN_INIT;
	struct lq_buf out = LQ_BUF_INIT;

	lq_err_clear(&err);
	if (!(sc = lq_score_load_mem("fuzz.yaml", (const char *)data, size,
	    &err))) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) || !err.msg[10])
			fuzz_fail("message without the file: %s", err.msg);
		if (err.code != 2)
			fuzz_fail("refused with code %d: %s", err.code, err.msg);
		return 0;
	}
	lq_score_set_now(sc, 1790000000);
	s.want_tape = 1;
	if (lq_json_scan(&s, lead, sizeof(lead) - 1, &err))
		abort();
	if (lq_score_eval(sc, lead, sizeof(lead) - 1, &s, "score", &out,
	    &err) == 0) {
		if (lq_json_scan(&o, out.buf ? out.buf : "", out.len, &err) ||
		    o.kind != LQ_J_OBJECT)
			fuzz_fail("score is not a JSON object: %s", out.buf);
	} else if (!err.msg[0]) {
		fuzz_fail("lead refused without a message");
	}
	lq_buf_reset(&out);
	lq_score_explain(sc, &out);
	lq_score_free(sc);
	lq_scan_release(&s);
	lq_scan_release(&o);
	lq_buf_release(&out);
	return 0;
}
