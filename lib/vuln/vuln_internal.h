/* vuln_internal.h: pieces shared inside lib/vuln, not part of its interface. */
#ifndef WARD_VULN_INTERNAL_H
#define WARD_VULN_INTERNAL_H

#include "vuln/vuln.h"

/* ---------------------------------------------------------------- PEP 440 */

struct pep440_num {
	const char *p; /* digits without leading zeros; n == 0 means zero */
	size_t n;
};

struct pep440_local {
	const char *p;
	size_t n;
	int numeric;
};

struct pep440 {
	char *buf; /* owned lowercase copy the pointers below point into */
	struct pep440_num epoch;
	struct pep440_num *release;
	size_t nrelease;
	int pre_kind; /* 0 none, 1 a, 2 b, 3 rc */
	struct pep440_num pre;
	int has_post;
	struct pep440_num post;
	int has_dev;
	struct pep440_num dev;
	struct pep440_local *local;
	size_t nlocal;
};

/* pep440_parse(text, len, v): 0, or -1 (WARD_EINPUT) when text is not a
 * PEP 440 version.  Release with pep440_free(). */
int pep440_parse(const char *text, size_t len, struct pep440 *v);
int pep440_cmp(const struct pep440 *a, const struct pep440 *b);
/* The canonical form (str(Version(...))); caller frees. */
char *pep440_normalize(const struct pep440 *v);
void pep440_free(struct pep440 *v);

/* ---------------------------------------------------------------- OSV */

enum osv_kind { OSV_OTHER, OSV_DEBIAN, OSV_PYPI };

struct osv_affected {
	char *ecosystem; /* as written: "Debian:12", "PyPI" */
	char *name;	 /* normalized (osv_normalize_name) */
	char *data; /* compact JSON {"ranges":[...],"versions":[...],"ecosystem_specific":{}} */
};

struct osv_record {
	char *id;
	char *modified;	 /* canonical UTC "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" */
	char *withdrawn; /* canonical, or NULL */
	char *summary;	 /* summary, else the first line of details */
	char *details;
	char *cvss;   /* the highest-scoring CVSS v3 vector, or NULL */
	double score; /* its base score, -1 when none */
	struct ward_strv aliases;
	struct osv_affected *aff;
	size_t naff;
	size_t invalid_versions;
	struct ward_strv warnings; /* one line each: kept, but worth telling */
};

/* osv_record_from_json(j, what, r): check and reduce one record; -1 with a
 * WARD_EINPUT reason naming what.  Release with osv_record_free(). */
int osv_record_from_json(const json_t *j, const char *what, struct osv_record *r);
void osv_record_free(struct osv_record *r);
/* RFC 3339 time to the canonical UTC form above (sortable as text). */
int osv_time_canonical(const char *s, char out[40]);
int osv_ecosystem_kind(const char *ecosystem);
/* PEP 503 for PyPI, lowercase for Debian, unchanged otherwise; caller frees. */
char *osv_normalize_name(const char *ecosystem, const char *name);
/* 0 when the ecosystem can order v (always 0 for ecosystems ward cannot order). */
int osv_version_check(int kind, const char *v);

/* ---------------------------------------------------------------- store */

#include <sqlite3.h>

enum db_stmt_id {
	ST_META_SET,
	ST_META_GET,
	ST_GET_MOD,
	ST_DEL_AFF,
	ST_DEL_ALIAS,
	ST_PUT_VULN,
	ST_PUT_ALIAS,
	ST_PUT_AFF,
	ST_LOOKUP,
	ST_INFO,
	ST_ALIASES,
	ST_COUNT
};

struct vuln_db {
	sqlite3 *sql;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
};

enum db_put_result { DB_ADDED = 1, DB_UPDATED, DB_UNCHANGED, DB_WITHDRAWN };

sqlite3_stmt *db_prepare(struct vuln_db *db, const char *sql);
sqlite3_stmt *db_stmt(struct vuln_db *db, int which, const char *sql);
int db_begin(struct vuln_db *db);
int db_commit(struct vuln_db *db);
void db_rollback(struct vuln_db *db);
int db_meta_set(struct vuln_db *db, const char *key, const char *value);
char *db_meta_get(struct vuln_db *db, const char *key); /* NULL when absent */
/* db_put_record: store r unless the stored copy is as new; a DB_* result or -1. */
int db_put_record(struct vuln_db *db, const struct osv_record *r, const char *source);

struct db_hit {
	char *id;
	char *data; /* the affected entry's JSON (osv_affected.data) */
};
/* All affected entries for (ecosystem, normalized name), ordered by id. */
int db_lookup(struct vuln_db *db, const char *ecosystem, const char *name, struct db_hit **out,
	      size_t *n);
void db_hits_free(struct db_hit *h, size_t n);

struct db_info {
	char *summary, *cvss, *details;
	double score;		  /* -1 when no CVSS */
	struct ward_strv aliases; /* sorted */
};
int db_vuln_info(struct vuln_db *db, const char *id, struct db_info *info);
void db_info_free(struct db_info *info);

/* ---------------------------------------------------------------- tracker */

/* 1 when data starts like the Debian tracker's JSON export. */
int tracker_sniff(const void *data, size_t len);
/* tracker_import(db, data, len, what, source, mtime, st, put): convert the
 * export into one OSV record per issue and hand each to put. */
int tracker_import(struct vuln_db *db, const void *data, size_t len, const char *what,
		   const char *source, time_t mtime, struct vuln_import_stats *st,
		   int (*put)(struct vuln_db *, const json_t *, const char *, const char *,
			      struct vuln_import_stats *));
int db_source_set(struct vuln_db *db, const char *path, const char *format, const char *imported,
		  const char *data_time);

/* ---------------------------------------------------------------- purl */

struct purl_q {
	char *key, *value; /* decoded; keys lowercase */
};
struct purl {
	char *type, *ns, *name, *version; /* decoded; ns and version may be NULL */
	struct purl_q *q;		  /* sorted by key */
	size_t nq;
};
/* 0, or -1 (nothing recorded) when s is not a purl.  purl_free() after. */
int purl_parse(const char *s, struct purl *p);
void purl_free(struct purl *p);
const char *purl_qualifier(const struct purl *p, const char *key);
/* qualifiers: NULL-terminated list of key, value pairs, keys sorted;
 * pairs with a NULL value are left out.  Caller frees. */
char *purl_build(const char *type, const char *ns, const char *name, const char *version,
		 const char *const *qualifiers);
/* go-vex PurlMatches(general, specific): 1 or 0. */
int purl_matches(const char *general, const char *specific);

/* ---------------------------------------------------------------- packages */

/* "debian" + "12.4" → "Debian:12"; NULL for other distributions. */
char *debian_ecosystem(const char *id, const char *version);
/* pkg:deb/debian/<name>@<version>?arch=&distro=debian-N&upstream=<source>. */
char *deb_purl(const char *name, const char *version, const char *arch, const char *ecosystem,
	       const char *source);

/* ---------------------------------------------------------------- matching */

/* A version of one ecosystem, parsed once. */
struct ver {
	int kind;      /* OSV_DEBIAN or OSV_PYPI */
	const char *s; /* borrowed */
	int valid, zero;
	struct pep440 p;
};
/* 0, or -1 (nothing recorded) when kind cannot order s; ver_free() either way. */
int ver_init(struct ver *v, int kind, const char *s);
void ver_free(struct ver *v);
int ver_cmp(const struct ver *a, const struct ver *b);

struct match_result {
	int affected;
	int unevaluated; /* ranges skipped because the installed version is invalid */
	char *fixed;	 /* lowest fixed version above the installed one */
	int fixed_valid;
	char *note;
	char *urgency, *kind; /* ecosystem_specific of the entries (Debian), matched or not */
	char *reason;
	char *resolved_by; /* not affected: the highest fixed version at or below the
			      installed one, or NULL */
	size_t entries;	   /* entries folded in */
};
/* match_affected(data, installed, m): fold one stored affected entry into m. */
int match_affected(const char *data, const struct ver *installed, struct match_result *m);
void match_result_free(struct match_result *m);

void vuln_finding_free(struct vuln_finding *f);
/* Order findings and suppressed by (severity desc, id, owner, package). */
void report_sort(struct vuln_report *r);
/* scan_lookup_name(p): the normalized name p is looked up by in the store
 * under p->ecosystem (the source package for Debian, PEP 503 for PyPI);
 * caller frees.  The one definition scan and fleet share. */
char *scan_lookup_name(const struct vuln_pkg *p);

/* One finding as the JSON object of the report. */
json_t *finding_json(const struct vuln_finding *f);
/* The status a finding ends with: its VEX statement's, else the scan's. */
int finding_final_status(const struct vuln_finding *f);

/* ---------------------------------------------------------------- VEX */

struct annotation {
	char *vulnerability, *reference;
	struct ward_strv aliases, packages, libraries, symbols;
	struct ward_strv programs; /* absolute paths of programs that hold the code */
};
/* runtime_resolve(root, path): path resolved inside root, or NULL. */
char *runtime_resolve(const char *root, const char *path);
struct vuln_annotations {
	struct annotation *v;
	size_t n;
};
/* The annotation naming the finding's id or one of its aliases, or NULL. */
const struct annotation *annotation_for(const struct vuln_annotations *a,
					const struct vuln_finding *f);

#endif
