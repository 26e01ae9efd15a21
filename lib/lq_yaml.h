/*
 * lq_yaml.h - rule and config files: YAML loaded with positions.
 *
 * Files are read with libyaml's event API into a tree of nodes that keep
 * their 1-based line and column, so every later complaint (an unknown key,
 * a bad number, a jq compile error) can say file:line:col.  Scalars are not
 * typed at load time: the accessors below type them, strictly, by the YAML
 * 1.2 core schema (yes/no/on/off and 0777 are refused as ambiguous).
 * Aliases may refer only to finished anchors, and all aliases together
 * may repeat at most LQ_YAML_ALIAS_NODES nodes (no billion laughs; the
 * environment variable of the same name raises it).  Nodes written out
 * in the text are not limited.
 */
#ifndef LQ_YAML_H
#define LQ_YAML_H

#include <stddef.h>

#include <jv.h>

#include "lq_err.h"

#define LQ_YAML_ALIAS_NODES 100000
#define LQ_YAML_MAX_DEPTH 64

enum lq_ykind { LQ_Y_SCALAR, LQ_Y_SEQ, LQ_Y_MAP };
enum lq_ystyle { LQ_Y_PLAIN, LQ_Y_QUOTED, LQ_Y_LITERAL, LQ_Y_FOLDED };

struct lq_ynode {
	enum lq_ykind kind;
	enum lq_ystyle style;	/* scalars */
	int line, col;		/* 1-based position of the node */
	char *str;		/* scalar value, NUL-terminated */
	size_t len;		/* scalar length (may contain NUL) */
	size_t n;		/* number of items (seq) or pairs (map) */
	struct lq_ynode **items;	/* seq items, or map values */
	struct lq_ynode **keys;		/* map keys (scalars) */
	struct lq_ynode *next_alloc;	/* arena list (internal) */
	size_t cap;
	int done;		/* node complete (for anchors) */
	size_t size;		/* nodes in the subtree, aliases expanded */
};

struct lq_ydoc {
	char *file;		/* the path, for messages */
	struct lq_ynode *root;	/* NULL for an empty document */
	struct lq_ynode *arena;	/* every node, for release */
	char *text;		/* the file's bytes, NUL-terminated */
	size_t textlen;
};

/*
 * Load the YAML file path into doc.  Returns 0, or -1 with err set to
 * "path:line:col: message" (code LQ_EXIT_USAGE).  Rejects more than one
 * document, duplicate keys, non-scalar keys, merge keys, explicit tags,
 * recursive aliases, nesting deeper than LQ_YAML_MAX_DEPTH.
 */
int lq_yaml_load(struct lq_ydoc *doc, const char *path, struct lq_err *err);

/* Load from memory (name is used in messages). */
int lq_yaml_load_mem(struct lq_ydoc *doc, const char *name, const char *text,
    size_t len, struct lq_err *err);

/*
 * Where the text of a scalar node starts: line and column of its first
 * content character (for a literal block scalar, the first line after the
 * indicator).  Used to map errors inside an expression back to the file.
 */
void lq_ynode_text_pos(const struct lq_ydoc *d, const struct lq_ynode *node,
    int *line, int *col);

/*
 * Load path and return in *section the value of the top-level key name
 * ("score", "enrich", ...).  Top-level keys must be known section names.
 * A missing section is an error naming the file.
 */
int lq_config_section(struct lq_ydoc *doc, const char *path,
    const char *name, struct lq_ynode **section, struct lq_err *err);

/*
 * lq_config_section() on the text[0..len) of a rule file instead of
 * reading it; path names it in messages (and files it names are relative
 * to it).  For the fuzzers (test/fuzz/) and other in-memory callers.
 */
int lq_config_section_mem(struct lq_ydoc *doc, const char *path,
    const char *text, size_t len, const char *name,
    struct lq_ynode **section, struct lq_err *err);

/* Free everything the document holds. */
void lq_yaml_release(struct lq_ydoc *doc);

/* Value of key in map (borrowed), or NULL. */
struct lq_ynode *lq_ymap_get(const struct lq_ynode *map, const char *key);

/*
 * Check that node is a mapping whose keys are all in allowed (a NULL-ended
 * list); an unknown key is an error at its position naming the allowed
 * keys, with a suggestion when one is close ("did you mean 'points'?").
 * what names the mapping in messages ("signal", "score section").
 */
int lq_ymap_check(const struct lq_ydoc *d, const struct lq_ynode *map,
    const char *what, const char *const *allowed, struct lq_err *err);

/* Error at node's position; returns -1. */
int lq_yerr(const struct lq_ydoc *d, const struct lq_ynode *node,
    struct lq_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Require node to be of kind; what names it in the message. */
int lq_yexpect(const struct lq_ydoc *d, const struct lq_ynode *node,
    enum lq_ykind kind, const char *what, struct lq_err *err);

/* A plain scalar number (YAML 1.2 core int or float). */
int lq_ynum(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double *out, struct lq_err *err);

/*
 * A plain scalar number within [lo, hi] (either may be -INFINITY or
 * INFINITY for no bound): "capacity day must be >= 0, not -5".
 */
int lq_ynum_in(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double lo, double hi, double *out, struct lq_err *err);

/*
 * A plain scalar whole number within [lo, hi]: "capacity day must be a
 * whole number, not 2.5".
 */
int lq_yint_in(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, long lo, long hi, long *out, struct lq_err *err);

/* A plain true/false. */
int lq_ybool(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, int *out, struct lq_err *err);

/* Any scalar, as a string (borrowed; NUL-terminated). */
int lq_ystr(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, const char **out, struct lq_err *err);

/*
 * A duration: a plain number of days, or a number followed by s, m, h, d
 * or w ("14d", "36h", "90m").  Stored in seconds.
 */
int lq_ydur(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double *seconds, struct lq_err *err);

/* A duration (lq_ydur) within [lo, hi] seconds. */
int lq_ydur_in(const struct lq_ydoc *d, const struct lq_ynode *node,
    const char *what, double lo, double hi, double *seconds,
    struct lq_err *err);

/* True if node is null (a plain ~, null or empty scalar). */
int lq_ynull(const struct lq_ynode *node);

/*
 * Convert node to a jv with the strict scalar rules (owned result), or
 * jv_invalid() with err set.
 */
jv lq_ynode_to_jv(const struct lq_ydoc *d, const struct lq_ynode *node,
    struct lq_err *err);

#endif
