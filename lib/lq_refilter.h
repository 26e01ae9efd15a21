/*
 * lq_refilter.h - a literal prefilter for regular expressions (internal to
 * liblq, used by the native evaluator's test()).
 *
 * From a pattern it derives a set of literal strings such that every match
 * contains at least one of them, e.g. {"gmail", "yahoo"} for
 * "@(gmail|yahoo)\\.".  Looking for a few literals costs far less than an
 * oniguruma search that tries every position, and most subjects contain
 * none of them.  Conservative by construction: it only answers "no match"
 * for ASCII subjects (Unicode case folding can make non-ASCII text match
 * ASCII pattern letters), and it gives up on any syntax it does not model.
 */
#ifndef LQ_REFILTER_H
#define LQ_REFILTER_H

#include <stddef.h>

struct lq_refilter;

/*
 * Derive a prefilter from pattern pat[0..n) (ONIG_SYNTAX_PERL_NG) with
 * jq's flags string (NULL for none).  Returns NULL when no useful literal
 * set can be derived, or the pattern or flags use syntax it does not model.
 */
struct lq_refilter *lq_refilter_new(const char *pat, size_t n,
    const char *flags);

/*
 * 0 when no match of the pattern can exist in s[0..n) (s is ASCII and
 * contains none of the literals); 1 when there may be one.
 */
int lq_refilter_may_match(const struct lq_refilter *f, const char *s,
    size_t n);

/* The derived literals, for tests: the i-th one (NUL-terminated) or NULL. */
const char *lq_refilter_literal(const struct lq_refilter *f, int i);

/* Free a prefilter (NULL is fine). */
void lq_refilter_free(struct lq_refilter *f);

#endif
