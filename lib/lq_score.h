/*
 * lq_score.h - rule-based lead scoring (the score: section of a rule file).
 *
 * A rule file names signals (a jq condition and points, in a group such as
 * fit or engagement), decaying behavioural signals over timestamped events,
 * disqualifiers, tier thresholds, the review band and how confidence is
 * derived; man/lq-rules.5 documents the format.  lq_score_eval() turns one
 * record into the JSON of its score member.
 */
#ifndef LQ_SCORE_H
#define LQ_SCORE_H

#include <stddef.h>

#include <jv.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_json.h"

struct lq_score;

/*
 * Load and compile the score: section of the rule file path.  Returns a
 * new scorer, or NULL with err set ("path:line:col: message").
 */
struct lq_score *lq_score_load(const char *path, struct lq_err *err);

/*
 * lq_score_load() on the text[0..len) of a rule file (not NULL) instead
 * of reading path, which names it in messages (for the fuzzers).
 */
struct lq_score *lq_score_load_mem(const char *path, const char *text,
    size_t len, struct lq_err *err);

/* Free a scorer. */
void lq_score_free(struct lq_score *sc);

/* Set the time decay is computed against (seconds since the epoch). */
void lq_score_set_now(struct lq_score *sc, double now);

/* Number of signals, and the name of signal i (borrowed). */
int lq_score_nsignals(const struct lq_score *sc);
const char *lq_score_signal_name(const struct lq_score *sc, int i);

/*
 * Evaluate the signals on the raw record line[0..len) scanned into scan:
 * points[i] receives the points signal i contributed (0 when it did not
 * fire, NAN when unknown).  Returns 0, or -1 with err set when the rules
 * could not run at all.  The member
 * skipkey (NULL: none), a tool's own output, is invisible to the rules.
 */
int lq_score_signals_record(struct lq_score *sc, const char *line,
    size_t len, const struct lq_scan *scan, const char *skipkey,
    double *points, struct lq_err *err);

/*
 * After lq_score_signals_record() on a record: the index of the first
 * disqualifier (in file order) that fired, or -1 when none did.  With
 * one, *tier (0..3) and *action (borrowed) are its own, and the JSON
 * reason object of every disqualifier that fired is appended to reasons
 * (comma-separated, as lq_score_eval() writes them, with a "text"
 * member: "disqualified: NAME (REASON)"; "overridden":true on all but
 * the first).  lq-score -r -m: the rules decide over the model.
 */
int lq_score_disqualifier(struct lq_score *sc, int *tier,
    const char **action, struct lq_buf *reasons);

/*
 * Score the record line[0..len) (scanned into scan, an object) and append the JSON
 * object of its score to out.  key is the tool's output member: an old
 * value under it is ignored by the rules.  Returns 0, or -1 with err set
 * (the record is then a bad record).
 */
int lq_score_eval(struct lq_score *sc, const char *line, size_t len,
    const struct lq_scan *scan, const char *key, struct lq_buf *out,
    struct lq_err *err);

/*
 * Write to out one line per signal and disqualifier: its name, whether
 * it is evaluated natively or by libjq ("native" / "jq") and, for a
 * signal, the paths that make it unknown when missing ("requires .a,
 * .\"b c\""), for --explain.
 */
void lq_score_explain(const struct lq_score *sc, struct lq_buf *out);

/*
 * Write to out one line per field the rules read (the required paths)
 * whose values had more than one type over the records lq_score_eval()
 * scored so far: "field .TotalVisits: 9,103 numbers, 137 strings, 12
 * null" (null counted only on such a line).  Nothing when every field
 * kept one type.
 */
void lq_score_summary(const struct lq_score *sc, struct lq_buf *out);

#endif
