/*
 * lq_enrich.h - offline lead enrichment with provenance (lq-enrich).
 *
 * The enrich: section of a rule file names the data directory (shipped
 * lists: free-mail, disposable, role prefixes, typo targets, title rules,
 * countries), lookup tables (company table keyed by domain, CRM accounts)
 * and derived fields (set: jq expressions).  lq_enrich_eval() writes the
 * "enrich" object of one record; see lq-enrich(1) for the fields.
 *
 * The lower-level pieces (email, title, country, tables, names) are
 * declared below as well so that they can be tested on their own.
 */
#ifndef LQ_ENRICH_H
#define LQ_ENRICH_H

#include <stddef.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_json.h"

struct lq_enrich;

/*
 * Load the enrich: section of the rule file path, every list and table it
 * names and compile its expressions.  Tables are opened (their indexes
 * built or reused) only once the whole section is read and no index would
 * be written over an input (a table, the rule file), be shared by two
 * tables, or replace a file that is not an lq-enrich index.  Load-time
 * warnings (duplicate table keys, ...) are appended to warn, one line each
 * ending in a newline.  Returns NULL with err set ("file:line:col:
 * message", code LQ_EXIT_USAGE) on failure.
 */
struct lq_enrich *lq_enrich_load(const char *path, struct lq_buf *warn,
    struct lq_err *err);

/*
 * Use only the cache for the sources (--offline): a key not in it is an
 * error for that source ("offline: not in the cache"); cached answers are
 * used however old they are.
 */
void lq_enrich_offline(struct lq_enrich *e);

/*
 * Windows of records (lq-enrich itself; off by default): a source key not
 * in the cache is not looked up by lq_enrich_eval() but remembered, and
 * the record is deferred (lq_enrich_eval() returns 1).  When the window
 * is full or the input would wait, lq_enrich_resolve() looks every
 * distinct remembered key up, each source's up to its concurrency at
 * once; the window's records are then evaluated again (now complete, in
 * order) and lq_enrich_window_end() forgets the keys.  No effect with
 * --offline or without sources.
 */
void lq_enrich_window(struct lq_enrich *e, int on);

/* The most records a window should hold (0: windows are off). */
int lq_enrich_window_size(const struct lq_enrich *e);

/* Look up the keys the window's records wait for (see above). */
void lq_enrich_resolve(struct lq_enrich *e);

/* The window's records are written: forget its keys and answers. */
void lq_enrich_window_end(struct lq_enrich *e);

/* Free everything. */
void lq_enrich_free(struct lq_enrich *e);

/*
 * Append to out the JSON object for the record line[0..len) (scanned into
 * s).  key is the output member name: an existing member of that name is
 * ignored (not seen by set: expressions).  Returns 0, 1 when the record
 * waits for a lookup (windows on, see lq_enrich_window(); out is to be
 * dropped and the record evaluated again after lq_enrich_resolve()), or
 * -1 with err set (code LQ_EXIT_RECORDS) when the record cannot be
 * evaluated.
 */
int lq_enrich_eval(struct lq_enrich *e, const char *line, size_t len,
    const struct lq_scan *s, const char *key, struct lq_buf *out,
    struct lq_err *err);

/* ---- string sets and maps (enrich_map.c) ------------------------------ */

/* an open-addressing hash map from byte strings to longs */
struct lq_smap {
	char **k;		/* keys (owned), NULL for empty slots */
	size_t *kn;
	long *v;
	size_t cap, n;
};

/* Initialise an empty map. */
void lq_smap_init(struct lq_smap *m);

/* Free the keys and slots. */
void lq_smap_release(struct lq_smap *m);

/*
 * Insert key k[0..n) with value v unless present.  Returns 1 if inserted,
 * 0 if the key was there (*old, if not NULL, receives its value).
 */
int lq_smap_put(struct lq_smap *m, const char *k, size_t n, long v,
    long *old);

/* Replace the value of an existing key, or insert it. */
void lq_smap_set(struct lq_smap *m, const char *k, size_t n, long v);

/* Look k up: 1 and *v set when found, else 0. */
int lq_smap_get(const struct lq_smap *m, const char *k, size_t n, long *v);

/*
 * Load a list file (one entry a line; '#' starts a comment; blank lines
 * ignored; entries lowercased) into m with value 1.  Returns the number of
 * entries, or -1 with err set.
 */
long lq_smap_load_list(struct lq_smap *m, const char *path,
    struct lq_err *err);

/* ---- email (enrich_email.c) ------------------------------------------- */

/* the shipped email lists */
struct lq_email_lists {
	struct lq_smap free, disposable, role;
	char **typo;		/* typo targets (well-known providers) */
	size_t ntypo;
};

/* what an address says */
struct lq_email {
	int valid;		/* 1: domain below is usable */
	const char *problem;	/* static text when !valid */
	struct lq_buf local;	/* local part, lowercased, +tag removed */
	struct lq_buf domain;	/* ASCII (punycode) domain, lowercased */
	struct lq_buf udomain;	/* UTF-8 domain when it is an IDN, else empty */
	int free, disposable, role;
	const char *typo_of;	/* a typo target (borrowed), or NULL */
};

/* Initialise an lq_email (empty buffers). */
void lq_email_init(struct lq_email *m);

/* Free its buffers. */
void lq_email_release(struct lq_email *m);

/*
 * Parse the address s[0..n) (UTF-8): trims blanks, accepts "Name <a@b>"
 * and "mailto:"; lowercases; removes a "+tag" from the local part;
 * converts a Unicode domain to punycode (simple case folding of Latin,
 * Greek and Cyrillic; no full UTS #46 mapping).  Sets valid/problem and,
 * when lists is not NULL, the flags and typo_of.
 */
void lq_email_parse(struct lq_email *m, const char *s, size_t n,
    const struct lq_email_lists *lists);

/*
 * Is domain d[0..n), or a parent of it, in set?  Parents stop at two
 * labels.  Returns 1 or 0.
 */
int lq_domain_in(const struct lq_smap *set, const char *d, size_t n);

/*
 * Append the ASCII form of the UTF-8 domain d[0..n) to out: each label
 * lowercased and, when it is not ASCII, punycode-encoded with "xn--".
 * Returns 0, or -1 when d is not valid UTF-8 or a label cannot be encoded.
 */
int lq_domain_to_ascii(struct lq_buf *out, const char *d, size_t n);

/* Free the lists. */
void lq_email_lists_release(struct lq_email_lists *l);

/* ---- titles (enrich_title.c) ------------------------------------------ */

struct lq_titles;

/*
 * Load title rules from the YAML file path (seniority: and department:
 * ordered rule lists).  Returns NULL with err set on failure.
 */
struct lq_titles *lq_titles_load(const char *path, struct lq_err *err);

/* Free the rules. */
void lq_titles_free(struct lq_titles *t);

/*
 * Classify the title s[0..n): *seniority gets a level ("unknown" when no
 * rule matches), *department a department or NULL.  Strings are borrowed
 * from t.  scratch is a work buffer.
 */
void lq_titles_classify(const struct lq_titles *t, const char *s, size_t n,
    struct lq_buf *scratch, const char **seniority, const char **department);

/* ---- countries (enrich_country.c) ------------------------------------- */

struct lq_countries;

/* Load a countries file (see data/countries.tsv).  NULL with err set. */
struct lq_countries *lq_countries_load(const char *path, struct lq_err *err);

/* Free it. */
void lq_countries_free(struct lq_countries *c);

/* a resolved country */
struct lq_country {
	const char *code;	/* ISO 3166-1 alpha-2, or NULL */
	const char *name;	/* English short name */
	const char *tz;		/* IANA time zone when knowable, or NULL */
	const char *source;	/* "country", "phone" or "email" */
	const char *problem;	/* why not, when a spelling was not known */
};

/*
 * Resolve a country from the spelling country[0..cn) (may be NULL), the
 * region region[0..rn) (may be NULL, used for the time zone of countries
 * with several) and the phone number phone[0..pn) (may be NULL, used when
 * the country is missing or unknown: "+49 ..." -> DE).  Returns 1 with *out
 * filled, or 0 when nothing is known; then out->problem is set when the
 * country was spelt but is not a known one.
 */
int lq_country_resolve(const struct lq_countries *c, const char *country,
    size_t cn, const char *region, size_t rn, const char *phone, size_t pn,
    struct lq_country *out);

/*
 * Resolve a country from the country-code top-level domain of the email
 * domain d[0..n) ("example.de" -> DE, source "email"); TLDs commonly sold
 * as generic ones (.io, .co, .ai, .me, .tv, ...) are ignored.  Returns 1
 * with *out filled, or 0.
 */
int lq_country_by_tld(const struct lq_countries *c, const char *d, size_t n,
    struct lq_country *out);

/* ---- tables (enrich_table.c) ------------------------------------------ */

enum lq_index { LQ_INDEX_AUTO, LQ_INDEX_MEMORY, LQ_INDEX_SQLITE };
enum lq_dups { LQ_DUPS_FIRST, LQ_DUPS_LAST, LQ_DUPS_ERROR };

struct lq_etable_opts {
	const char *name;	/* table name, the "source" of a match */
	const char *path;	/* CSV (.csv) or NDJSON (anything else) */
	const char *key;	/* key column (domains) */
	const char *namecol;	/* company name column, or NULL */
	const char *cache;	/* SQLite index path (or a directory for it),
				   or NULL: path + ".lqidx" */
	const char *const *split;	/* CSV columns to split on ';' */
	int nsplit;
	enum lq_index index;
	enum lq_dups dups;
};

struct lq_etable;

/*
 * Open a table: load it into memory (small tables) or build/reuse its
 * SQLite index (large ones; reused while the table's size and mtime are
 * unchanged).  Duplicate keys are reported in warn ("file:line: ...").
 * Returns NULL with err set.
 */
struct lq_etable *lq_etable_open(const struct lq_etable_opts *o,
    struct lq_buf *warn, struct lq_err *err);

/* Free the table (closing its index). */
void lq_etable_free(struct lq_etable *t);

/*
 * The path of the table's SQLite index (malloc'd): o->cache, or, when that
 * is an existing directory, BASENAME.lqidx in it (BASENAME the table's
 * file name); without o->cache, the table's path with ".lqidx" added.
 * NULL when o->index is LQ_INDEX_MEMORY.
 */
char *lq_etable_index_path(const struct lq_etable_opts *o);

/*
 * May path be written as a table index?  Yes (0) when it does not exist
 * or is an index lq-enrich made (recognised by its SQLite application_id,
 * or by the meta table of indexes made before that).  Any other file is
 * never replaced nor modified: -1 with err set (code LQ_EXIT_USAGE).
 */
int lq_etable_index_ok(const char *path, struct lq_err *err);

/*
 * Do paths a and b name the same file?  Compared by device and inode, so
 * links, "./" and "../" do not hide it; a file that does not exist yet is
 * compared by its directory's real path and its name.  Returns 1 or 0.
 */
int lq_same_file(const char *a, const char *b);

/*
 * Look up the key k[0..n) (byname: a normalised company name) and append
 * the row's members (JSON object text without braces) to out.  Returns 1
 * when found, 0 when not.
 */
int lq_etable_get(struct lq_etable *t, int byname, const char *k, size_t n,
    struct lq_buf *out);

/*
 * Call fn(arg, row, len) with the members (JSON object text without
 * braces, borrowed for the call) of every row whose normalised company name
 * is k[0..n): the one row lq_etable_get() finds, or each row of an
 * ambiguous name.  Returns the number of rows.
 */
long lq_etable_each_row(struct lq_etable *t, const char *k, size_t n,
    void (*fn)(void *arg, const char *row, size_t len), void *arg);

/*
 * The simple lowercase of code point c for Latin-1, Latin Extended-A,
 * Greek and Cyrillic letters; c itself for anything else.
 */
uint32_t lq_ucs_lower(uint32_t c);

/*
 * Call fn(arg, name, n) for every normalised company name of the table,
 * ambiguous ones (names of several rows with different keys) included.
 */
void lq_etable_each_name(struct lq_etable *t,
    void (*fn)(void *arg, const char *name, size_t n), void *arg);

/* ---- fuzzy names (enrich_fuzzy.c) ------------------------------------- */

struct lq_fuzzy;

/* one candidate of lq_fuzzy_match */
struct lq_fuzzy_hit {
	long id;		/* lq_fuzzy_name(f, id) is the name */
	double score;		/* Dice coefficient of trigrams, 0..1 */
	int acronym;		/* matched as an acronym (score 0.9) */
};

/* An empty index: lq_fuzzy_add() each name, then lq_fuzzy_build(). */
struct lq_fuzzy *lq_fuzzy_new(void);

/* Add a normalised name (copied; repeats ignored). */
void lq_fuzzy_add(struct lq_fuzzy *f, const char *name, size_t n);

/* Build the trigram index; no lq_fuzzy_add() after. */
void lq_fuzzy_build(struct lq_fuzzy *f);

/* Free it. */
void lq_fuzzy_free(struct lq_fuzzy *f);

/* The name of candidate id (borrowed). */
const char *lq_fuzzy_name(const struct lq_fuzzy *f, long id);

/*
 * The names most like the normalised name q[0..n): an acronym either way
 * ("ibm" and "international business machines"; one hit, score 0.9), else
 * up to nhits names whose trigram Dice coefficient is at least min, best
 * first.  Trigrams shared by more than 2% of the names (at least 2000,
 * at most 20000) are not walked, which can only lower a score.  Returns
 * the number of hits.
 */
int lq_fuzzy_match(struct lq_fuzzy *f, const char *q, size_t n, double min,
    struct lq_fuzzy_hit *hits, int nhits);

/*
 * Append the normalised form of a company name s[0..n) to out: lowercase,
 * punctuation as blanks, '&' as "and", legal suffixes (Inc., GmbH, Ltd.,
 * LLC, S.A., ...) and a leading "the" removed, blanks collapsed.
 */
void lq_name_normalise(struct lq_buf *out, const char *s, size_t n);

/*
 * Append s[0..n) as a JSON string, replacing invalid UTF-8 with U+FFFD.
 */
void lq_json_str_lossy(struct lq_buf *out, const char *s, size_t n);

/* ---- live sources (enrich_source.c) and their cache (enrich_cache.c) --- */

struct lq_esource_opts {
	const char *name;	/* the source's name (messages, cache key) */
	char **argv;		/* command: argv (borrowed), or NULL: http */
	const char *url;	/* http: URL template, {key} URL-encoded */
	const char *const *headers;	/* http: name, value pairs; values
					   may say ${VAR} (environment) */
	int nheaders;
	double rate;		/* http: requests per second, 0: no limit */
	long retries;		/* http: retries on 429 and 5xx */
	double timeout;		/* seconds per lookup */
	double startup;		/* command: seconds the first answer after a
				   start may take */
	long concurrency;	/* lookups in flight at once (http: parallel
				   transfers, command: keys written ahead) */
};

/* the outcome of one lookup of lq_esource_lookup_many() */
struct lq_eresult {
	int rc;			/* as lq_esource_lookup() returns */
	struct lq_buf answer, why;
};

struct lq_esource;

/*
 * Make a source: a command is checked to be executable (started on the
 * first lookup); an http source gets its libcurl handle (kept for
 * connection reuse) and its headers with ${VAR} taken from the
 * environment (a missing variable is an error naming it, never a value).
 * Returns NULL with err set.
 */
struct lq_esource *lq_esource_new(const struct lq_esource_opts *o,
    struct lq_err *err);

/* Stop the co-process (its input closed, killed if it lingers), free. */
void lq_esource_free(struct lq_esource *s);

/*
 * Look the key k[0..n) up, spending at most the source's timeout and at
 * most budget_left seconds.  Returns 1 with the answer's text in answer
 * (not yet checked to be JSON), 0 for "not found" (HTTP 404), or -1 with
 * the reason in why ("timeout: ...", "http 500 after 3 attempts",
 * "co-process exited with status 1; restart in 200ms").  A co-process
 * that dies or hangs is killed and restarted on a later lookup, after a
 * pause that doubles each time (50 ms up to 30 s).
 */
int lq_esource_lookup(struct lq_esource *s, const char *k, size_t n,
    double budget_left, struct lq_buf *answer, struct lq_buf *why);

/*
 * Look the n keys k[i][0..kn[i]) up, up to the source's concurrency at
 * once (http: parallel transfers over reused connections, with the rate
 * limit and Retry-After back-off; command: keys written ahead, answers
 * read in order), each with the deadline lq_esource_lookup() gives it,
 * all within budget_left seconds.  res[i] (initialised by the caller,
 * released by it) gets the outcome of key i.
 */
void lq_esource_lookup_many(struct lq_esource *s, size_t n,
    const char *const *k, const size_t *kn, double budget_left,
    struct lq_eresult *res);

/* A monotonic clock in seconds (for budgets). */
double lq_esource_clock(void);

struct lq_ecache;

/*
 * Open (creating it) the SQLite cache path, or a private temporary one
 * when path is NULL.  WAL journal and a busy timeout: several processes
 * may share it.  A database lq-enrich did not make is never modified
 * (error).  Returns NULL with err set (code LQ_EXIT_USAGE).
 */
struct lq_ecache *lq_ecache_open(const char *path, struct lq_err *err);

/* Close it. */
void lq_ecache_free(struct lq_ecache *c);

/*
 * The cached answer of source src for key k[0..n): 1 with its text in
 * answer, 0 when "not found" was cached, -1 when nothing is cached; with
 * *fetched the epoch time of the answer.  The caller judges its age.
 */
int lq_ecache_get(struct lq_ecache *c, const char *src, const char *k,
    size_t n, struct lq_buf *answer, double *fetched);

/*
 * Store an answer (answer NULL: "not found") fetched at epoch time
 * fetched.  Returns 0, or -1 with err set.
 */
int lq_ecache_put(struct lq_ecache *c, const char *src, const char *k,
    size_t n, const char *answer, size_t an, double fetched,
    struct lq_err *err);

#endif
