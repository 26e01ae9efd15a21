/* test_io.c - member splicing (exact bytes, replacement, idempotence). */
#include <stdlib.h>
#include <string.h>

#include "lq_io.h"
#include "tap.h"

static char out[4096];

static const char *
splice(const char *in, const char *val)
{
	struct lq_scan sc = LQ_SCAN_INIT;
	struct lq_buf b = LQ_BUF_INIT;
	struct lq_err err;

	if (lq_json_scan(&sc, in, strlen(in), &err) < 0)
		return "SCAN-ERROR";
	lq_splice(&b, in, strlen(in), &sc, "score", 5, "\"score\"", 7, val,
	    strlen(val));
	snprintf(out, sizeof(out), "%s", b.buf);
	lq_buf_release(&b);
	lq_scan_release(&sc);
	return out;
}

static void
idem(const char *in)
{
	char once[4096];

	snprintf(once, sizeof(once), "%s", splice(in, "{\"t\":1}"));
	is_str(splice(once, "{\"t\":1}"), once, "idempotent: %s", in);
}

int
main(void)
{
	is_str(splice("{}", "1"), "{\"score\":1}", "empty object");
	is_str(splice("{ }", "1"), "{\"score\":1 }", "empty object with space");
	is_str(splice("{\"id\":1000000000000011631}", "1"),
	    "{\"id\":1000000000000011631,\"score\":1}", "big id kept");
	is_str(splice("{\"a\":1.10,\"u\":\"\\u00e9\"}", "2"),
	    "{\"a\":1.10,\"u\":\"\\u00e9\",\"score\":2}", "number text, escapes kept");
	is_str(splice("{\"a\":1 , \"b\":[1, 2] }", "2"),
	    "{\"a\":1 , \"b\":[1, 2],\"score\":2 }", "inner whitespace kept");
	is_str(splice("{\"score\":{\"x\":1},\"a\":1}", "2"),
	    "{\"a\":1,\"score\":2}", "old first member replaced");
	is_str(splice("{\"a\":1,\"score\":0,\"b\":2}", "2"),
	    "{\"a\":1,\"b\":2,\"score\":2}", "old middle member replaced");
	is_str(splice("{\"a\":1,\"score\":0}", "2"), "{\"a\":1,\"score\":2}",
	    "old last member replaced");
	is_str(splice("{\"score\":0}", "2"), "{\"score\":2}", "only member replaced");
	is_str(splice("{\"score\":0,\"score\":1,\"a\":1}", "2"),
	    "{\"a\":1,\"score\":2}", "duplicate keys all removed");
	is_str(splice("{\"a\":0,\"score\":0,\"score\":1}", "2"),
	    "{\"a\":0,\"score\":2}", "duplicate trailing keys removed");
	is_str(splice("{\"\\u0073core\":0,\"a\":1}", "2"),
	    "{\"a\":1,\"score\":2}", "escaped key spelling is the same key");
	is_str(splice("{\"scores\":0}", "2"), "{\"scores\":0,\"score\":2}",
	    "prefix key not confused");
	is_str(splice("\xef\xbb\xbf{\"a\":1}", "2"), "\xef\xbb\xbf{\"a\":1,\"score\":2}",
	    "BOM kept");
	idem("{}");
	idem("{ }");
	idem("{\"a\":1 }");
	idem("{ \"score\" : 5 , \"a\":1 }");
	idem("{\"a\":{\"score\":1},\"b\":[]}");
	return tap_done();
}
