/*
 * enrich_int.h - private to lq-enrich's library part: the configuration
 * (struct lq_enrich, tables, sources) shared by enrich_load.c and enrich.c.
 */
#ifndef LQ_ENRICH_INT_H
#define LQ_ENRICH_INT_H

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "lq_enrich.h"
#include "lq_expr.h"
#include "lq_io.h"
#include "lq_time.h"
#include "lq_yaml.h"

#ifndef LQ_DATADIR
#define LQ_DATADIR "/usr/local/share/lq/data"
#endif

enum { M_DOMAIN = 1, M_PARENT = 2, M_NAME = 4, M_FUZZY = 8 };

/* provenance confidence of each match kind (see lq-enrich(1)) */
#define CONF_DOMAIN "0.95"
#define CONF_PARENT "0.8"
#define CONF_NAME "0.6"
#define WORK_DOMAIN 0.85	/* name matches of a work domain not in the
				   table: confidence times this */
#define FUZZY_MIN 0.8		/* default fuzzy_threshold */
#define FUZZY_MARGIN 0.05	/* the best fuzzy score must lead by this */
#define COUNTRY_AGREES 1.2	/* a name match's confidence times this when
				   the row's country is the lead's */
#define COUNTRY_DIFFERS 0.5	/* ... and this when it is another one */
#define FUZZY_HITS 8		/* names a tie-breaker looks at */
#define MAX_CANDS 32		/* rows a tie-breaker looks at */
#define PHONE_TAIL 8		/* trailing digits two numbers must share */
enum { H_FUZZY, H_ACRONYM, H_NAME };

enum { F_EMAIL, F_TITLE, F_COMPANY, F_COUNTRY, F_REGION, F_PHONE, F_CITY,
	NFIELDS };

enum { L_FREE, L_DISPOSABLE, L_ROLE, L_TYPO, L_TITLES, L_COUNTRIES, NLISTS };

struct table {
	struct lq_etable *t;
	char *path, *cache;
	const char *name, *as;
	int match;		/* M_* allowed */
	const char **split;
	struct lq_etable_opts o;	/* opened once every table is read */
	const struct lq_ynode *pathnode, *cachenode;
	char *index;		/* its index file, or NULL (memory) */
	struct lq_fuzzy *fz;	/* M_FUZZY: the names' trigram index */
	double fuzzy_min;
	/* name matches' tie-breakers: the rows' country, city, phone */
	const char *countrycol, *citycol, *phonecol;
};

/* a live source (sources:) */
struct source {
	const char *name, *as;
	struct lq_esource_opts o;
	struct lq_esource *s;
	char **argv, *prog;
	const char **headers;
	int keyslot;		/* its key expression in lq_enrich.kx */
	char *keyhead;		/* the key is a plain path .a.b: "a", else
				   NULL */
	struct lq_exprs *fx;	/* fields: on the answer */
	struct lq_eval *fev;
	const char **fname;
	int nf;
	double ttl, negttl, budget, spent;
	/* this run's answers by key: the member's text and its errors, all
	   in marena (asof 0: none, else its offset + 1), found by mslot (an
	   open-addressing table of q->m indexes + 1; no allocation a key) */
	struct memo { size_t key, kn, out, errs, asof, n, en; uint64_t h; } *m;
	uint32_t *mslot;
	size_t nm;
	struct lq_buf marena;
	/* the keys a window of records waits for (lq_enrich_resolve) */
	struct lq_smap want;
	char **wk;
	size_t *wkn, nwant, capwant;
	struct lq_eresult *res;	/* their outcomes, once resolved */
};

#define MEMO_MAX 8192		/* keys remembered per source */
#define MEMO_SLOTS (4 * MEMO_MAX)	/* a power of 2 */

struct lq_enrich {
	struct lq_ydoc doc;
	struct source *src;
	int nsrc, offline;
	int window;		/* lq_enrich_window(): defer keys not cached */
	int resolved;		/* the window's keys are looked up */
	int deferred;		/* this record waits for a key */
	struct lq_exprs *kx;	/* the sources' key expressions */
	struct lq_eval *kev;
	char *cachepath;
	const struct lq_ynode *cachenode;
	struct lq_ecache *cache;
	struct lq_scan ascan;
	struct lq_buf errs, ans, why, kbuf, keybuf;
	int provenance;		/* provenance: true */
	struct lq_buf prov;	/* this record's "provenance" members */
	char *dir;		/* the rule file's directory */
	char *datadir;
	struct lq_email_lists lists;
	struct lq_titles *titles;
	struct lq_countries *countries;
	const char *field[NFIELDS];
	struct table *tab;
	int ntab;
	struct lq_exprs *x;
	struct lq_eval *ev;	/* per-record results of the set: slots */
	struct lq_scan sscan;	/* the record with the enrich so far */
	struct lq_buf sline, skey;
	const char **setname;
	int nset;
	/* per-record scratch */
	struct lq_email em;
	struct lq_buf v[NFIELDS], scratch, norm, tmp;
	/* name matches: candidate rows (offsets into cbuf), for the
	   tie-breakers */
	struct cand { size_t off, len; double score; int how; } cand[
	    MAX_CANDS];
	int ncand, cover;	/* cover: more rows than MAX_CANDS */
	double cscore;		/* the score of the rows being added */
	int chow;		/* and how they matched: H_* */
	struct lq_buf cbuf, rowbuf, colv, tb;
	struct lq_buf norm_city, phone;	/* the lead's, normalised */
	int tiebreak;		/* some table has tie-breaker columns */
	struct lq_scan rscan;
};

/*
 * The members of "enrich" that lq-enrich writes itself, in the order
 * lq_enrich_record writes them.  The one list both the writer and the
 * loaders go by: a table's or a source's as: and a set: name may not be
 * one of them (nor each other's).
 */
enum own { OWN_EMAIL, OWN_TITLE, OWN_COUNTRY, OWN_COMPANY_KEY, OWN_ERRORS,
	OWN_PROVENANCE, OWN_N };

/* tables shared between the parts */
extern const char *const enrich_own_field[OWN_N];

/* functions shared between the parts */
void enrich_memo_clear(struct source *q);
void enrich_want_clear(struct source *q);
void enrich_add_name(void *arg, const char *name, size_t n);

#endif
