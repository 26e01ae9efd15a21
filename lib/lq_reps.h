/*
 * lq_reps.h - rep performance learned from closed deals (lq-train --reps).
 *
 * Each history record names its owner (the rep), a segment and an outcome
 * through three jq expressions.  The result is, per rep and per segment,
 * the deals (n), the wins and the win rate, with a rate shrunk towards the
 * segment's rate (itself shrunk towards the overall rate) by a prior of k
 * deals: (won + k * base) / (n + k).  lq-route reads the counts and shrinks
 * them again towards the rate of the rep's own team.
 */
#ifndef LQ_REPS_H
#define LQ_REPS_H

#include <stddef.h>

#include "lq_buf.h"
#include "lq_err.h"

struct lq_reps;

/*
 * Compile the expressions (text; segment may be NULL: no segments) with
 * prior k >= 0 (finite; another k is an error).  Compile errors name the
 * option ("--owner:1:3: jq: ...").
 * Returns NULL with err set (code LQ_EXIT_USAGE).
 */
struct lq_reps *lq_reps_new(const char *owner, const char *segment,
    const char *outcome, double prior, struct lq_err *err);

/*
 * Count one history record line[0..len) (valid JSON).  Returns 1 when
 * counted, 0 when skipped (no owner string, or an outcome that is not
 * true/false/number: an open deal), -1 with err set when it cannot be
 * evaluated.
 */
int lq_reps_add(struct lq_reps *r, const char *line, size_t len,
    struct lq_err *err);

/* what lq_reps_add has seen so far */
struct lq_reps_counts {
	long counted;		/* records counted */
	long skipped;		/* records skipped (no owner, open deal) */
};

/* Records counted and skipped so far. */
struct lq_reps_counts lq_reps_counts(const struct lq_reps *r);

/* Append the YAML performance file (reps sorted by name) to out. */
void lq_reps_yaml(const struct lq_reps *r, struct lq_buf *out);

/* Free everything. */
void lq_reps_free(struct lq_reps *r);

#endif
