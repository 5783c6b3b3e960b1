/*
 * vuln: vulnerability scanning against OSV data, and OpenVEX.
 *
 *   store     an SQLite file DIR/osv.sqlite of OSV records keyed by
 *             (ecosystem, normalized name); import from a directory, a zip
 *             or a JSON file, incremental by `modified` (docs/vuln-db.md)
 *   packages  a flat package list (Debian binary packages with their source,
 *             Python distributions with their owning Debian package) read
 *             from an SBOM (CycloneDX 1.6 / SPDX 2.3 JSON by ward, syft or
 *             trivy) or from a root filesystem
 *   scan      Debian: source package + source version, dpkg order; PyPI:
 *             PEP 503 names, PEP 440 order; aliases merged so that one
 *             vulnerability is one finding per installed package
 *   report    JSON, table, SARIF 2.1.0, CycloneDX 1.6 vulnerabilities
 *   VEX       OpenVEX v0.2.0 applied (go-vex matching) and generated, with
 *             reachability evidence from ELF dynamic symbol tables
 *
 * Errors follow core.h.  Every struct that owns memory has a _free();
 * _free(NULL) is a no-op.
 */
#ifndef WARD_VULN_H
#define WARD_VULN_H

#include "core/core.h"

/* ---------------------------------------------------------- versions */

/* vuln_pep440_cmp(a, b, out): *out = <0, 0, >0 in PEP 440 order
 * (packaging.version); -1 (WARD_EINPUT) when either is not PEP 440. */
int vuln_pep440_cmp(const char *a, const char *b, int *out);
/* Canonical PEP 440 text (str(Version(v))), or NULL; caller frees. */
char *vuln_pep440_normalize(const char *v);
/* PEP 503 name: lowercase, runs of -_. become "-"; caller frees. */
char *vuln_pep503_name(const char *name);

/* ---------------------------------------------------------- severity */

enum vuln_severity {
	VULN_SEV_UNKNOWN,
	VULN_SEV_NONE,
	VULN_SEV_LOW,
	VULN_SEV_MEDIUM,
	VULN_SEV_HIGH,
	VULN_SEV_CRITICAL,
};
/* CVSS v3.0/v3.1 base score of a vector ("CVSS:3.1/AV:N/..."); -1 if malformed. */
int vuln_cvss3_base_score(const char *vector, double *score);
int vuln_severity_from_score(double score);
/* Debian urgency ("low", "medium", "Minor issue; ...") to a severity. */
int vuln_severity_from_urgency(const char *urgency);
const char *vuln_severity_name(int sev);
int vuln_severity_parse(const char *s); /* -1 when unknown */

/* ---------------------------------------------------------- packages */

/* ---------------------------------------------------------- backports */

/* One vulnerability id a Debian changelog names (docs/vuln-db.md, rule 3). */
struct vuln_changelog_cve {
	char *id;      /* "CVE-2024-3651", uppercase */
	char *version; /* the entry that names it last (a fix, or a revert) */
	char *line;    /* that entry's item naming it, whitespace collapsed */
	int reverted;  /* that item says the fix was reverted: not fixed */
};

/* Backport evidence of one Debian source version: the ids its changelog
 * names in entries at or below the installed version. */
struct vuln_changelog {
	char *where;			 /* "/usr/share/doc/P/changelog.Debian.gz", with
					    "ward cache sha256:<hex>: " before it when read from a .deb */
	char *version;			 /* the newest entry's version (the installed one) */
	struct vuln_changelog_cve *cves; /* sorted by id */
	size_t n;
};

/* vuln_changelog_parse(text, len, what, upto, out): read a Debian changelog
 * (decompressed) and record every CVE id named in an entry whose version is
 * at or below upto (all entries when upto is NULL).  Entries are applied
 * oldest first: a mention fixes, a mention in an item that says "revert"
 * unfixes.  Malformed headers are skipped (old changelogs end in free
 * text); -1 only for resource errors.  out->where is left NULL. */
int vuln_changelog_parse(const char *text, size_t len, const char *what, const char *upto,
			 struct vuln_changelog *out);
/* vuln_changelog_read(data, len, name, upto, out): the same for a file as
 * stored: gzip-compressed when name ends in .gz. */
int vuln_changelog_read(const void *data, size_t len, const char *name, const char *upto,
			struct vuln_changelog *out);
/* The entry naming id (or NULL); a reverted one is returned too. */
const struct vuln_changelog_cve *vuln_changelog_find(const struct vuln_changelog *c,
						     const char *id);
int vuln_changelog_copy(struct vuln_changelog *dst, const struct vuln_changelog *src);
/* As JSON {"where","version","cves":[{"id","version","line"[,"reverted"]}]}
 * and back (ids sorted); the caller owns the new reference. */
json_t *vuln_changelog_to_json(const struct vuln_changelog *c);
int vuln_changelog_from_json(const json_t *j, const char *what, struct vuln_changelog *out);
/* vuln_changelog_from_cache(cache, name, version, arch, source,
 * source_version, out): the changelog of a Debian package from the .deb in
 * ward's package cache (deb_cache_dir) whose control names this package,
 * version and architecture, else from another binary of the same source
 * version there (packages whose doc directory is a symlink).  1 and *out
 * filled (out->where names the blob), 0 when the cache has none, -1 on
 * error.  What each blob holds is remembered in <cache>/vuln/ (keyed by
 * the blob's digest, so never stale). */
int vuln_changelog_from_cache(const char *cache, const char *name, const char *version,
			      const char *arch, const char *source, const char *source_version,
			      struct vuln_changelog *out);
/* The same with the cache's index read once, for many packages. */
struct vuln_debcache;
struct vuln_debcache *vuln_debcache_open(const char *cache);
int vuln_debcache_changelog(struct vuln_debcache *dc, const char *name, const char *version,
			    const char *arch, const char *source, const char *source_version,
			    struct vuln_changelog *out);
void vuln_debcache_close(struct vuln_debcache *dc);
void vuln_changelog_free(struct vuln_changelog *c);

/* One installed component.  Strings are owned by the list. */
struct vuln_pkg {
	char *ecosystem;      /* OSV ecosystem: "Debian:12", "PyPI", "npm", ...; NULL unknown */
	char *name;	      /* Debian binary package, or distribution name as written */
	char *version;	      /* installed version */
	char *source;	      /* Debian: source package (NULL = name) */
	char *source_version; /* Debian: source version with epoch (NULL = version) */
	char *purl;	      /* the component's purl, or NULL */
	char *owner;	      /* Python distribution shipped by a Debian package: that
				 binary package's name (it must be in the list); else NULL */
	char *location;	      /* where it was found (path or SBOM reference), or NULL */
	char *arch;	      /* Debian: Architecture, or NULL */
	struct vuln_changelog *changelog; /* Debian: backport evidence read from the
					     target, or NULL when it has none */
};

struct vuln_pkglist {
	struct vuln_pkg *v;
	size_t n, cap;
	char *distro;		     /* "Debian:12" when known (os-release or SBOM) */
	char *target;		     /* what was read: path, image name, SBOM subject */
	struct ward_strv target_ids; /* VEX product identifiers of the target (purls, digests) */
	struct ward_strv problems;   /* components that could not be used, one line each */
};

/* vuln_pkglist_add(l, p): append a copy of p (NULL fields stay NULL). */
int vuln_pkglist_add(struct vuln_pkglist *l, const struct vuln_pkg *p);
void vuln_pkglist_free(struct vuln_pkglist *l);
/* vuln_pkglist_sort(l): order by (ecosystem, name, version, owner) and
 * drop exact duplicates. */
void vuln_pkglist_sort(struct vuln_pkglist *l);
/* A Debian package by name, or NULL. */
const struct vuln_pkg *vuln_pkglist_find_deb(const struct vuln_pkglist *l, const char *name);

/* vuln_pkglist_from_sbom(path, out): read a CycloneDX (1.4-1.6) or SPDX 2.3
 * JSON SBOM written by ward, syft or trivy.  Debian source name/version
 * come from the purl `upstream` qualifier (syft: "src" or "src@ver"),
 * syft:metadata:source/sourceVersion, aquasecurity:trivy:Src* or
 * ward:deb:source/source_version properties, or SPDX sourceInfo; Python
 * ownership from nested components, ward:owner properties, SPDX
 * CONTAINS relationships, or a dist-packages location (see
 * docs/vuln-db.md).  Components without a usable purl are listed in
 * out->problems. */
int vuln_pkglist_from_sbom(const char *path, struct vuln_pkglist *out);
int vuln_pkglist_from_sbom_json(const json_t *doc, const char *what, struct vuln_pkglist *out);

/* From lib/sbom's catalog (sbom/sbom.h): Debian packages with their source,
 * Python distributions owned by the Debian package whose files include
 * their metadata.  The Debian release comes from the catalog's os-release.
 * The catalog's purl and digest become out->target_ids. */
struct sbom_catalog;
int vuln_pkglist_from_catalog(const struct sbom_catalog *c, struct vuln_pkglist *out);
/* Catalog an unpacked root filesystem (sbom_catalog_rootfs) or an image
 * (sbom_catalog_image: OCI layout "DIR[:tag]", oci-archive or
 * docker-archive "FILE[:tag]") and take its package list. */
int vuln_pkglist_from_rootfs(const char *root, struct vuln_pkglist *out);
int vuln_pkglist_from_image(const char *ref, struct vuln_pkglist *out);

/* ---------------------------------------------------------- store */

#define VULN_DB_FILE "osv.sqlite"
enum { VULN_DB_READ = 0, VULN_DB_WRITE = 1, VULN_DB_CREATE = 2 };

struct vuln_db;
/* vuln_db_open(dir, flags): open DIR/osv.sqlite (VULN_DB_CREATE makes DIR
 * and the schema).  A file that is not a ward store, or is damaged, is
 * WARD_EINPUT.  Close with vuln_db_close(). */
struct vuln_db *vuln_db_open(const char *dir, int flags);
void vuln_db_close(struct vuln_db *db);

struct vuln_import_stats {
	size_t files, records;
	size_t added, updated, unchanged, withdrawn;
	size_t malformed;	 /* records skipped; first_error says why */
	size_t invalid_versions; /* range versions the ecosystem cannot order (kept) */
	size_t warnings;
	size_t unmatched_records;	       /* stored, but no matcher for their ecosystem */
	struct ward_strv unmatched_ecosystems; /* their ecosystems */
	char first_error[512];
	char first_warning[512];
	uint64_t ns;
	/* Debian tracker exports */
	size_t packages;	 /* source packages read */
	size_t skipped_releases; /* release lines of sid/experimental (no release number) */
	char format[32];	 /* "osv", "debian-tracker" (the last file's) */
	char newest[40];	 /* the newest record `modified` read (the data's time) */
	const char *source;	 /* internal: the source being imported */
};
/* vuln_db_import(db, path, st, progress): add the records at path (a
 * directory of *.json, a zip or tar, or one .json file with a record or an
 * array; or the Debian Security Tracker's JSON export, which becomes one
 * DEBIAN-<CVE> record per issue: docs/vuln-db.md) in one transaction.  A stored record is replaced
 * only by one with a later `modified`; withdrawn records are kept as tombstones that never match.
 * Malformed records are counted in st and skipped.  The stats accumulate over calls; release with
 * vuln_import_stats_free(). */
int vuln_db_import(struct vuln_db *db, const char *path, struct vuln_import_stats *st,
		   struct ward_progress *progress);
void vuln_import_stats_free(struct vuln_import_stats *st);
/* The sources imported so far (for `ward db update`), appended to out. */
int vuln_db_sources(struct vuln_db *db, struct ward_strv *out);
/* Counts by ecosystem, aliases, size; runs an integrity check first. */
json_t *vuln_db_stats(struct vuln_db *db);
/* vuln_db_status(db, now, max_age): every source imported: its format, when
 * it was imported, the data's time (the newest record's `modified`; for a
 * tracker export, the file's time), its age in days, its record counts by
 * ecosystem, and "stale" when older than max_age seconds; plus the
 * vulnerabilities whose records came from several sources (merged by id or
 * alias). */
json_t *vuln_db_status(struct vuln_db *db, time_t now, long max_age);
/* vuln_db_stale(db, now, max_age, out): one warning line per source whose
 * data is older than max_age seconds (none when max_age <= 0). */
int vuln_db_stale(struct vuln_db *db, time_t now, long max_age, struct ward_strv *out);
/* The age threshold: WARD_DB_MAX_AGE (days), else 7 days; in seconds. */
long vuln_db_max_age(void);

/* ---------------------------------------------------------- scan */

/* What ward concludes about one vulnerability of one installed package
 * (OpenVEX statuses; docs/vuln-db.md says which evidence gives which). */
enum vuln_status {
	VULN_AFFECTED,		  /* a record says so and nothing contradicts it */
	VULN_UNDER_INVESTIGATION, /* nothing decisive is known */
	VULN_FIXED,		  /* the installed version carries the fix (backport) */
	VULN_NOT_AFFECTED,	  /* the vulnerable code is not in this version */
};
const char *vuln_status_name(int status); /* "affected", "fixed", ... */
int vuln_status_parse(const char *s);	  /* -1 when unknown */

struct vuln_finding {
	char *id; /* canonical: the CVE when known, else the GHSA, else the record id */
	struct ward_strv aliases; /* every other id of the merged records, sorted */
	struct ward_strv records; /* the OSV records that matched, sorted */
	char *ecosystem;	  /* as matched: "Debian:12" or "PyPI" */
	char *package;		  /* as matched: source package, or PEP 503 name */
	char *version;		  /* as matched: source version, or distribution version */
	char *fixed;	      /* first fixed version above the installed one; NULL when unfixed */
	int severity;	      /* enum vuln_severity */
	double score;	      /* CVSS base score, -1 when none */
	char *cvss;	      /* its vector */
	char *urgency, *kind; /* Debian open issues: the tracker's urgency and kind */
	char *reason;	      /* and its reason (no-dsa text), or NULL */
	char *title;
	char *owner; /* the installed package carrying it (Debian binary or distribution) */
	char *owner_version;
	char *purl; /* the owner's purl */
	char *note; /* e.g. a range version that could not be ordered */
	/* after vuln_vex_apply: the statement that decided */
	char *vex_status, *vex_justification, *vex_statement, *vex_source;
	/* the scan's own conclusion */
	int status;		   /* enum vuln_status */
	char *justification;	   /* VULN_NOT_AFFECTED: an OpenVEX justification */
	char *basis;		   /* what decided: "debian", "changelog", "upstream-version",
				      "upstream-advisory", "pypi", "naive" */
	struct ward_strv evidence; /* one line each, quoting the record or changelog item */
	char *disagreement;	   /* sources that disagreed, which won and why; or NULL */
	char *upstream_fixed;	   /* a Python advisory's fixed version (upstream), or NULL */
};

struct vuln_report {
	struct vuln_finding *findings; /* open: affected or under_investigation; sorted by
					  (severity desc, id, owner) */
	size_t nfindings;
	struct vuln_finding *resolved; /* fixed or not_affected by the scan's own evidence
					  (a backport, Debian's verdict on a Python advisory) */
	size_t nresolved;
	struct vuln_finding *suppressed; /* by VEX not_affected/fixed */
	size_t nsuppressed;
	struct ward_strv problems; /* packages not matched and why (invalid version, no matcher) */
	struct ward_strv warnings; /* advisory data that could not be fully used */
	size_t packages;	   /* packages looked up */
	char *target;
	struct ward_strv target_ids;
};

/* vuln_scan(db, pkgs, out): match every package of pkgs against the store.
 * Debian packages match Debian:<release> records by source package and
 * source version; Python distributions match PyPI records, and when a
 * Debian package owns the distribution its Debian records take precedence
 * for the vulnerabilities they name (backported fixes), the finding is
 * attributed to that package and reported once.  Release with
 * vuln_report_free(). */
int vuln_scan(struct vuln_db *db, const struct vuln_pkglist *pkgs, struct vuln_report *out);

struct vuln_scan_opts {
	int no_backports;		/* the naive match, only to show the difference: Python
					   advisories against dpkg-owned dist-info versions, no
					   changelog evidence, nothing resolved */
	const char *cache;		/* ward's package cache for changelogs the target lacks;
					   NULL: deb_cache_dir(NULL); "": none */
	const struct ward_strv *only;	/* NULL, or (sorted) the only record ids that may
					   be candidates: `ward fleet` judges one
					   advisory and its aliases */
	struct vuln_debcache *debcache; /* NULL, or that cache already open (borrowed;
					   cache ignored): lib/fleet reads the cache's
					   index once for many scans */
};
/* vuln_scan_with(db, pkgs, o, out): vuln_scan with options (o may be NULL).
 * The rules (docs/vuln-db.md, "Matching"):
 *   1. a Python distribution a Debian package ships is judged through that
 *      package's source: Debian's records decide; a Python advisory alone
 *      only raises the question (changelog, upstream version, else
 *      under_investigation), never a PyPI finding;
 *   2. Debian's record is authoritative: fixed version per release, or the
 *      tracker's open state (no-dsa, postponed, ...) with urgency and reason;
 *   3. a changelog entry at or below the installed version naming the id
 *      marks it fixed (an open tracker state loses; a tracker fixed version
 *      above the installed one wins), with the line as evidence.
 * Findings of one owner that share an id or alias are one finding. */
int vuln_scan_with(struct vuln_db *db, const struct vuln_pkglist *pkgs,
		   const struct vuln_scan_opts *o, struct vuln_report *out);
void vuln_report_free(struct vuln_report *r);
/* vuln_finding_copy(dst, src): a deep copy (every field); -1 on memory. */
int vuln_finding_copy(struct vuln_finding *dst, const struct vuln_finding *src);
/* A package as JSON (every field matching reads, the changelog evidence
 * included; absent fields left out) and back, appended to l. */
json_t *vuln_pkg_to_json(const struct vuln_pkg *p);
int vuln_pkg_from_json(const json_t *j, const char *what, struct vuln_pkglist *l);
/* Findings by final status (VEX statement, else the scan's), over
 * findings, resolved and suppressed; indexed by enum vuln_status. */
void vuln_report_status_counts(const struct vuln_report *r, size_t counts[4]);
/* The highest severity among the (unsuppressed) findings, or -1 when none. */
int vuln_report_worst(const struct vuln_report *r);

/* Outputs.  The json_t results are new references the caller decrefs. */
json_t *vuln_report_json(const struct vuln_report *r);
json_t *vuln_report_sarif(const struct vuln_report *r);
/* CycloneDX 1.6 BOM whose vulnerabilities[] carry analysis state from VEX. */
json_t *vuln_report_cyclonedx(const struct vuln_report *r, time_t when);
int vuln_report_table(const struct vuln_report *r, FILE *out);

/* ---------------------------------------------------------- fleet */

/* What lib/fleet needs to answer "which images does this advisory hit" with
 * exactly vuln_scan's rules, without scanning every image (docs/fleet.md). */

/* vuln_pkg_keys(p, out): the (ecosystem, name) pairs vuln_scan looks up in
 * the store for p, each pushed as "ecosystem\tname"; none when ward has no
 * matcher for p's ecosystem.  scan_pkg uses the same rule. */
int vuln_pkg_keys(const struct vuln_pkg *p, struct ward_strv *out);
/* vuln_finding_cmp(a, b): qsort order of a report's findings: most severe
 * first, then by id, owner and package. */
int vuln_finding_cmp(const void *a, const void *b);
/* vuln_finding_free(f): what vuln_finding_copy allocated. */
void vuln_finding_free(struct vuln_finding *f);
/* vuln_db_related(db, id, out): the stored records one finding about id
 * can merge: those whose id or an alias is id, then, repeatedly, those
 * sharing an id or alias with a record found; appended to out, sorted.
 * Withdrawn records never match and are left out. */
int vuln_db_related(struct vuln_db *db, const char *id, struct ward_strv *out);
/* vuln_db_record_keys(db, id, out, modified): "ecosystem\tname" of each
 * package the record's affected entries name, appended to out (none when
 * withdrawn); with modified, *modified = its modified time (caller frees;
 * NULL when the store has no such record). */
int vuln_db_record_keys(struct vuln_db *db, const char *id, struct ward_strv *out, char **modified);
/* vuln_db_records(db, fn, arg): fn(arg, id, modified, withdrawn or NULL)
 * for every stored record in id order (times in the canonical UTC form);
 * a non-zero return from fn stops the walk and is returned. */
int vuln_db_records(struct vuln_db *db,
		    int (*fn)(void *arg, const char *id, const char *modified,
			      const char *withdrawn),
		    void *arg);

/* ---------------------------------------------------------- OpenVEX */

struct vuln_vex;
struct vuln_vex *vuln_vex_new(void);
void vuln_vex_free(struct vuln_vex *v);
/* vuln_vex_load(v, path): add the statements of an OpenVEX (v0.0.1 to
 * v0.2.0) JSON document; -1 (WARD_EINPUT) when it is not one. */
int vuln_vex_load(struct vuln_vex *v, const char *path);
int vuln_vex_load_json(struct vuln_vex *v, const json_t *doc, const char *what);
size_t vuln_vex_count(const struct vuln_vex *v);
/* vuln_vex_apply(v, r): for each finding take the latest matching statement
 * (go-vex: vulnerability by name, @id or alias; product by @id, purl with
 * version and qualifier rules, identifiers or hashes; subcomponents against
 * the finding's purls when the product names the scanned target).
 * not_affected and fixed move the finding to r->suppressed. */
int vuln_vex_apply(const struct vuln_vex *v, struct vuln_report *r);

/* Reachability annotations (docs/formats/vex-annotations.md). */
struct vuln_annotations;
struct vuln_annotations *vuln_annotations_load(const char *path);
void vuln_annotations_free(struct vuln_annotations *a);

/* What ward-init will ever execute in a container of an image (runtime.c). */
struct vuln_runtime {
	int proven;	       /* every fact below was read from the image */
	char *why_not;	       /* when not proven: the missing fact */
	char *image;	       /* the image digest the facts come from, or NULL */
	char *policy_sha256;   /* of /ward/policy.json */
	struct ward_strv argv; /* the server's argv (after "/ward/init --") */
	struct ward_strv exec; /* resolved paths ward-init lets execute: itself, the
				  server, their interpreters, exec.allow; sorted */
};
/* vuln_runtime_read(root, config, image, out): read the facts from an
 * unpacked root filesystem and the image's config JSON (OCI/Docker, its
 * "config" object's Entrypoint, Cmd, Env).  0 with out->proven 0 and
 * out->why_not set when a fact is missing; -1 only on resource errors. */
int vuln_runtime_read(const char *root, const json_t *config, const char *image,
		      struct vuln_runtime *out);
/* 1 when the program at path (resolved inside root) may be executed;
 * always 1 when r is NULL or not proven. */
int vuln_runtime_executes(const struct vuln_runtime *r, const char *root, const char *path);
void vuln_runtime_free(struct vuln_runtime *r);

struct vuln_vex_opts {
	const char *rootfs;		    /* root filesystem to inspect (ELF, dpkg lists) */
	const struct vuln_runtime *runtime; /* NULL: no execute-path claims from the policy */
	const struct vuln_annotations *annotations; /* NULL: no reachability claims */
	const char *author;			    /* default "ward" */
	const char *id;				    /* document @id; default derived from content */
	time_t timestamp;
};
/* vuln_vex_generate(r, pkgs, o, out): an OpenVEX v0.2.0 document with one
 * statement per finding of r: not_affected/component_not_present when the
 * owning package's files or the annotated library are absent from rootfs,
 * not_affected/vulnerable_code_not_in_execute_path when no ELF object
 * imports an annotated symbol and none may dlopen the library (evidence in
 * impact_statement), affected with an upgrade action when a fix exists,
 * else under_investigation.  Warnings about unreadable ELF files are
 * logged.  *out is a new reference. */
int vuln_vex_generate(const struct vuln_report *r, const struct vuln_pkglist *pkgs,
		      const struct vuln_vex_opts *o, json_t **out);

/* ---------------------------------------------------------- ELF */

struct vuln_elf {
	int elf_class; /* 32 or 64 */
	int big_endian;
	int has_dynamic;	  /* a dynamic section (shared object or dynamic executable) */
	int has_symtab;		  /* a static symbol table was read */
	int has_interp;		  /* PT_INTERP: started through a dynamic loader */
	int executable;		  /* a program (ET_EXEC, or PT_INTERP and no SONAME),
				     not a library something else loads */
	char *soname;		  /* DT_SONAME, or NULL */
	struct ward_strv needed;  /* DT_NEEDED */
	struct ward_strv imports; /* undefined dynamic symbols, "name" or "name@VERSION" */
	struct ward_strv defines; /* defined function/object symbols (dynamic, else .symtab) */
};
/* vuln_elf_read(data, len, what, out): read the dynamic symbol tables of an
 * ELF object (32/64-bit, either byte order) without trusting any offset or
 * count in it.  data must be writable (a private mapping or a copy): libelf
 * may convert byte order in place.  -1 (WARD_EINPUT naming what) for a
 * malformed object.  Release with vuln_elf_free(). */
int vuln_elf_read(void *data, size_t len, const char *what, struct vuln_elf *out);
void vuln_elf_free(struct vuln_elf *e);

#endif
