/*
 * deb: Debian package data.  dpkg version order, deb822 control files,
 * dependency relations, the distroless policy's forbidden lists, package
 * indices (apt lists, a local tree or a mirror, verified against the
 * signed Release file), the resolver and its lockfile (ward.lock), the
 * content-addressed cache with its fetcher, and the .deb reader.
 * Errors follow core.h.
 */
#ifndef WARD_DEB_H
#define WARD_DEB_H

#include <sys/types.h>

#include "core/core.h"

/* ---------------------------------------------------------- versions */

/* deb_version_cmp(a, b): <0, 0, >0 in dpkg order ([epoch:]upstream
 * [-revision]; see FORMATS.md).  Total on any input: never fails. */
int deb_version_cmp(const char *a, const char *b);
/* deb_version_check(v, what): 0 if v is a well-formed version, else -1
 * with WARD_EINPUT naming what and the problem. */
int deb_version_check(const char *v, const char *what);

/* ---------------------------------------------------------- control files */

struct deb_field {
	const char *name;  /* as written ("Package") */
	const char *value; /* first line trimmed; continuation lines kept as
			      written, joined by '\n' (what dpkg-deb -f prints) */
	size_t line;	   /* 1-based, for messages */
};

struct deb_para {
	struct deb_field *fields;
	size_t n;
	size_t line;	/* first line, 1-based, for messages */
	size_t *byname; /* field indexes sorted by name (deb_para_get: O(log n)) */
};

/* A parsed file.  Every string points into one owned copy of the text. */
struct deb_control {
	char *text;
	struct deb_para *paras;
	size_t n;
};

/* deb_control_parse(data, len, what, out): parse deb822 paragraphs
 * separated by blank lines.  A line that is neither "Name: value" nor a
 * continuation, a continuation with no field before it, a duplicate field
 * or a NUL byte is an error "what:line: ...".  Release with
 * deb_control_free(). */
int deb_control_parse(const char *data, size_t len, const char *what, struct deb_control *out);
/* deb_para_get(p, name): the field's value (case-insensitive name) or NULL. */
const char *deb_para_get(const struct deb_para *p, const char *name);
void deb_control_free(struct deb_control *c);

/* ---------------------------------------------------------- relations */

/* Depends-style fields: "a (>= 1) | b:any, c [amd64] <!nocheck>". */
enum deb_rel_op {
	DEB_REL_NONE = 0, /* no version constraint */
	DEB_REL_LT,	  /* << */
	DEB_REL_LE,	  /* <= */
	DEB_REL_EQ,	  /* = */
	DEB_REL_GE,	  /* >= */
	DEB_REL_GT,	  /* >> */
};

struct deb_rel {
	char *name;
	char *archq;		 /* after ':' ("any", "native", "amd64"), or NULL */
	int op;			 /* enum deb_rel_op */
	char *version;		 /* NULL when op is DEB_REL_NONE */
	struct ward_strv arches; /* [amd64 arm64] restriction, empty if none */
	int arches_negated;	 /* [!amd64 ...] */
};

struct deb_rel_group { /* alternatives: a | b | c */
	struct deb_rel *alts;
	size_t n;
};

struct deb_relations {
	struct deb_rel_group *groups;
	size_t n;
};

/* deb_relations_parse(text, what, out): parse a relation field (NULL or
 * "" gives zero groups).  Build profiles (<...>) are read and ignored
 * (binary packages do not carry them).  Release with deb_relations_free(). */
int deb_relations_parse(const char *text, const char *what, struct deb_relations *out);
void deb_relations_free(struct deb_relations *r);
/* deb_rel_holds(op, have, want): 1 when version have satisfies "op want". */
int deb_rel_holds(int op, const char *have, const char *want);
/* deb_rel_applies(r, arch): 0 when an architecture restriction excludes arch. */
int deb_rel_applies(const struct deb_rel *r, const char *arch);
/* deb_rel_group_format(g, out): canonical text "a (>= 1) | b:any". */
int deb_rel_group_format(const struct deb_rel_group *g, struct ward_buf *out);
/* deb_package_name_ok(name): 1 for a valid Debian package name. */
int deb_package_name_ok(const char *name);

/* ---------------------------------------------------------- policy */

/* The distroless policy: what may never be pulled into an image.  The
 * lists are data (policy.c); the resolver checks package names, the image
 * build checks file paths.  Patterns are fnmatch(3) globs (FNM_PATHNAME
 * for paths). */
enum deb_forbid_kind { DEB_FORBID_PACKAGE = 1, DEB_FORBID_FILE };

struct deb_forbidden {
	int kind;	      /* enum deb_forbid_kind */
	const char *pattern;  /* "bash", "gcc-[0-9]*[0-9]", "/usr/bin/dpkg*" */
	const char *category; /* "shell", "package manager", "compiler", "debugger" */
};

/* The whole table (static storage); *n receives its length. */
const struct deb_forbidden *deb_forbidden_rules(size_t *n);
/* deb_forbidden_package(name): the category that forbids this package, or
 * NULL when it is allowed. */
const char *deb_forbidden_package(const char *name);
/* deb_forbidden_file(path): the category that forbids an absolute path in
 * an image ("/usr/bin/bash"), or NULL. */
const char *deb_forbidden_file(const char *path);

/* ---------------------------------------------------------- repositories */

/* One suite of one Debian archive, as the resolver and fetcher see it. */
struct deb_repo {
	char *suite;		     /* "bookworm-security" */
	struct ward_strv components; /* "main" */
	char *uri;		     /* archive base URL (http, https, file), or NULL */
	char *keyring;		     /* keyring file for the Release signature */
};
/* deb_repos_configure(r, n): fill in what the spec left open.  uri: the
 * WARD_MIRROR environment variable (one URL, or a list of "URL" and
 * "SUITE-GLOB=URL" words: per-suite mirrors), else the system's apt sources
 * (WARD_APT_ETC, default /etc/apt) listing that suite; keyring: the apt
 * source's Signed-By, else WARD_KEYRING, else the Debian archive keyring.
 * A repo may stay without uri (indices from apt lists still work). */
int deb_repos_configure(struct deb_repo *r, size_t n);
void deb_repos_free(struct deb_repo *r, size_t n);
/* deb_repo_find(r, n, suite): the repo of that suite, or NULL. */
const struct deb_repo *deb_repo_find(const struct deb_repo *r, size_t n, const char *suite);

/* The system's apt sources (deb822 *.sources and one-line *.list). */
struct deb_apt_source {
	char *uri;
	struct ward_strv suites, components, archs;
	char *signed_by; /* keyring path, or NULL (inline keys are ignored) */
};
/* deb_apt_sources_parse(data, len, deb822, what, out, n): append the
 * enabled "deb" entries of one file to *out. */
int deb_apt_sources_parse(const char *data, size_t len, int deb822, const char *what,
			  struct deb_apt_source **out, size_t *n);
/* deb_apt_sources_load(etc, out, n): etc/sources.list and
 * etc/sources.list.d/ (*.list, *.sources), files in name order. */
int deb_apt_sources_load(const char *etc, struct deb_apt_source **out, size_t *n);
void deb_apt_sources_free(struct deb_apt_source *s, size_t n);
/* deb_apt_list_prefix(uri): apt's name for the archive in its lists
 * directory ("host_path"), caller frees. */
char *deb_apt_list_prefix(const char *uri);

/* ---------------------------------------------------------- Release files */

struct deb_release_file {
	char *path; /* "main/binary-amd64/Packages.xz" */
	uint64_t size;
	char sha256[65];
};

struct deb_release {
	struct deb_control ctrl; /* the (verified) Release text */
	const struct deb_para *para;
	struct deb_release_file *files; /* the SHA256 list */
	size_t nfiles;
};
/* deb_release_parse(data, len, what, out): a Release text (already
 * stripped of its signature).  Release with deb_release_free(). */
int deb_release_parse(const char *data, size_t len, const char *what, struct deb_release *out);
const struct deb_release_file *deb_release_lookup(const struct deb_release *r, const char *path);
void deb_release_free(struct deb_release *r);
/* deb_gpgv_verify(signed_path, detached_sig, keyring, data_out, fpr_out):
 * check an OpenPGP signature with gpgv.  With detached_sig NULL the file
 * is a clearsigned InRelease and the signed text is appended to data_out;
 * otherwise the file itself is appended.  fpr_out (41 bytes) receives the
 * signing key's fingerprint.  gpgv missing: WARD_EENV; bad signature:
 * WARD_EVERIFY. */
int deb_gpgv_verify(const char *signed_path, const char *detached_sig, const char *keyring,
		    struct ward_buf *data_out, char fpr_out[41]);
/* deb_decompress(data, len, name, max, out): decompress by the file name's
 * suffix (.gz, .xz, .lz4, .zst; anything else is copied), appending at
 * most max bytes to out. */
int deb_decompress(const void *data, size_t len, const char *name, size_t max,
		   struct ward_buf *out);

/* ---------------------------------------------------------- indices */

enum deb_index_from {
	DEB_FROM_AUTO = 0, /* apt lists when they hold the suite, else the mirror */
	DEB_FROM_APT,	   /* only the apt lists directory */
	DEB_FROM_DIR,	   /* a mirror-layout tree: DIR/dists/<suite>/... */
	DEB_FROM_MIRROR,   /* download InRelease + Packages from repo->uri */
};

struct deb_index_opts {
	const char *arch;      /* "amd64" */
	int from;	       /* enum deb_index_from */
	const char *lists_dir; /* apt lists (NULL: WARD_APT_LISTS or /var/lib/apt/lists) */
	const char *dir;       /* DEB_FROM_DIR */
	const char *cache;     /* downloaded indices are kept here (NULL: default) */
	int allow_unsigned;    /* warn instead of failing when the signature
				  cannot be checked (no gpgv, no signature) */
	int allow_expired;     /* accept an index past its Valid-Until (a snapshot
				  mirror), with a warning; else WARD_EVERIFY */
	int offline;	       /* never download */
};

/* One verified Packages index. */
struct deb_index {
	char *suite, *component, *arch;
	char *origin, *label, *codename, *version, *date, *valid_until;
	char release_sha256[65];  /* of the InRelease (or Release) file */
	char packages_sha256[65]; /* of the uncompressed Packages file */
	uint64_t packages_size;
	char *signed_by; /* signing key fingerprint, or "unchecked: why" */
	char *location;	 /* where it was read (messages only) */
};

/* One binary package of an index.  Strings are borrowed from the universe. */
struct deb_pkg {
	const char *name, *version, *arch, *multi_arch, *source, *source_version;
	const char *filename, *sha256, *priority;
	uint64_t size;
	int essential;
	size_t index; /* into deb_universe_indices() */
	const struct deb_para *para;
};

/* All packages of a set of indices. */
struct deb_universe;
/* deb_universe_load(repos, n, o): read and verify every index of every
 * repo (each component, for o->arch and nothing else).  Caller frees. */
struct deb_universe *deb_universe_load(const struct deb_repo *repos, size_t n,
				       const struct deb_index_opts *o);
/* deb_universe_new(arch) + deb_universe_add(u, text, len, meta): build one
 * from Packages text directly (tests, fuzzing).  meta is copied. */
struct deb_universe *deb_universe_new(const char *arch);
int deb_universe_add(struct deb_universe *u, const char *text, size_t len,
		     const struct deb_index *meta);
const struct deb_index *deb_universe_indices(const struct deb_universe *u, size_t *n);
/* deb_universe_versions(u, name, n): the packages called name, newest
 * first (ties: earlier index first); NULL when none. */
const struct deb_pkg *const *deb_universe_versions(const struct deb_universe *u, const char *name,
						   size_t *n);
size_t deb_universe_count(const struct deb_universe *u);
void deb_universe_free(struct deb_universe *u);

/* ---------------------------------------------------------- resolver + lock */

/* What to resolve (the deb side of ward.yaml). */
struct deb_request {
	const char *arch;
	const struct ward_strv *packages; /* "name" or "name=version" */
	const struct ward_strv *exclude;
	const struct ward_strv *allow;
};

struct deb_lock_index {
	char *suite, *component, *arch;
	char *origin, *label, *codename, *version, *date, *valid_until;
	char *release_sha256, *packages_sha256;
	uint64_t packages_size;
	char *signed_by;
};

struct deb_lock_pkg {
	char *name, *version, *arch;
	char *source, *source_version;
	char *suite, *component; /* where it came from (selects the mirror) */
	char *filename;		 /* path below the archive root */
	uint64_t size;
	char *sha256;
	int requested;		      /* named in ward.yaml */
	struct ward_strv required_by; /* packages whose dependencies pulled it in */
};

/* A dependency left unsatisfied on purpose (distroless policy, exclude). */
struct deb_lock_cut {
	char *package, *version; /* whose dependency */
	char *field;		 /* "Depends" or "Pre-Depends" */
	char *dependency;	 /* the relation as written, canonical form */
	char *reason;		 /* "dash: shell (distroless policy)" */
};

struct deb_lock {
	char *architecture;
	struct ward_strv packages, exclude, allow; /* the request, as given */
	struct deb_lock_index *indices;
	size_t nindices;
	struct deb_lock_pkg *pkgs; /* sorted by name */
	size_t npkgs;
	struct deb_lock_cut *cuts; /* sorted by package, then dependency */
	size_t ncuts;
};

/* deb_resolve(u, req, out): the closure of req->packages over Depends and
 * Pre-Depends (alternatives, versions, Provides, :any/:native), without
 * implicit Essential/required packages, with forbidden and excluded
 * packages cut.  Deterministic.  Failures (missing package, unsatisfiable
 * dependency, conflict, forbidden package requested) are WARD_EINPUT and
 * name the chain "ward.yaml -> a -> b".  Release with deb_lock_free(). */
int deb_resolve(const struct deb_universe *u, const struct deb_request *req, struct deb_lock *out);

/* ward.lock is JSON with a fixed key order (docs/formats/lock.md). */
json_t *deb_lock_to_json(const struct deb_lock *l);
int deb_lock_from_json(const json_t *j, const char *what, struct deb_lock *out);
int deb_lock_read(const char *path, struct deb_lock *out);
/* deb_lock_find(l, name): the locked package called name, or NULL. */
const struct deb_lock_pkg *deb_lock_find(const struct deb_lock *l, const char *name);
/* deb_lock_matches(l, req): 0 when the lock was made for this request,
 * else -1 (WARD_EINPUT "ward.lock is out of date with ward.yaml: ..."). */
int deb_lock_matches(const struct deb_lock *l, const struct deb_request *req);
/* deb_lock_chain(l, name, out): "ward.yaml -> a -> name" (shortest chain of
 * required_by links), appended to out. */
int deb_lock_chain(const struct deb_lock *l, const char *name, struct ward_buf *out);
void deb_lock_free(struct deb_lock *l);

/* ---------------------------------------------------------- cache */

/* Blobs live at <cache>/blobs/sha256/<hex>, written only after their size
 * and SHA-256 were checked; partial downloads in <cache>/partial/. */

/* deb_cache_dir(override): override, else WARD_CACHE, else
 * $XDG_CACHE_HOME/ward, else $HOME/.cache/ward.  Caller frees. */
char *deb_cache_dir(const char *override);
/* deb_cache_blob_path(cache, hex): "<cache>/blobs/sha256/<hex>", caller frees. */
char *deb_cache_blob_path(const char *cache, const char *sha256_hex);
/* deb_cache_open(cache, hex, size, what): an fd (offset 0, caller closes)
 * on the blob after re-hashing it.  Missing: WARD_EENV "not in the cache".
 * Wrong size or digest: the blob is deleted, WARD_EVERIFY. */
int deb_cache_open(const char *cache, const char *sha256_hex, uint64_t size, const char *what);
/* deb_cache_check(cache, hex, size): 1 present and intact, 0 missing,
 * -1 corrupt (deleted; error recorded) or unreadable. */
int deb_cache_check(const char *cache, const char *sha256_hex, uint64_t size);
/* deb_cache_insert(cache, hex, size, path): copy a local file into the
 * cache if its size and digest match (WARD_EVERIFY otherwise). */
int deb_cache_insert(const char *cache, const char *sha256_hex, uint64_t size, const char *path);
/* deb_cache_insert_mem(cache, hex, data, len): the same for bytes. */
int deb_cache_insert_mem(const char *cache, const char *sha256_hex, const void *data, size_t len);

/* ---------------------------------------------------------- fetch */

enum deb_fetch_status {
	DEB_FETCH_PENDING = 0,
	DEB_FETCH_CACHED,     /* already in the cache, intact */
	DEB_FETCH_DOWNLOADED, /* downloaded and verified */
	DEB_FETCH_COPIED,     /* copied from a local directory (--from) */
	DEB_FETCH_MISSING,    /* offline and not in the cache */
	DEB_FETCH_FAILED,     /* error holds why */
};

struct deb_fetch_item {
	const char *url;    /* borrowed; NULL when no mirror is known */
	const char *sha256; /* expected digest (hex) */
	uint64_t size;	    /* expected size */
	const char *what;   /* for messages: "libc6 2.36-9" */
	const char *local;  /* optional file name to look for in from_dir */
	int status;	    /* out: enum deb_fetch_status */
	int corrupt;	    /* out: a corrupt cached copy was found and deleted */
	int attempts;	    /* out: downloads started */
	int kind;	    /* out: error kind when FAILED or MISSING */
	char error[256];    /* out: one line when FAILED */
};

struct deb_fetch_opts {
	const char *cache;
	int jobs;			/* parallel downloads (default 4) */
	int retries;			/* extra attempts per file (default 4) */
	long backoff_ms;		/* first retry delay, doubled each time (default 500) */
	long timeout_s;			/* stall timeout per transfer (default 60) */
	int offline;			/* never touch the network */
	const char *from_dir;		/* copy matching files from here first, if set */
	struct ward_progress *progress; /* bytes; may be NULL */
};

struct deb_fetch_stats {
	size_t cached, downloaded, copied, missing, failed, corrupt;
	uint64_t bytes; /* downloaded */
	uint64_t ns;
};

/* deb_fetch(items, n, o, st): make every item present and intact in the
 * cache.  Transfers go to <cache>/partial/<hex> (resumed with a Range
 * request when a retry finds one), and are renamed into blobs/ only after
 * size and SHA-256 match.  Returns 0 when every item is present; else -1
 * with the first failure recorded (offline and missing: WARD_EENV; digest
 * mismatch: WARD_EVERIFY; disk full: WARD_EENV) and each item's status. */
int deb_fetch(struct deb_fetch_item *items, size_t n, const struct deb_fetch_opts *o,
	      struct deb_fetch_stats *st);
/* deb_download(url, max, out, what): one small file into memory (indices),
 * with the same retries.  HTTP 404 is WARD_EINPUT. */
int deb_download(const char *url, size_t max, struct ward_buf *out, const char *what);
/* deb_download_accept(url, accept, max, out, ctype, ctype_size, what): the
 * same with an Accept header (NULL: none); the response's Content-Type
 * goes to ctype ("" when the server sends none). */
int deb_download_accept(const char *url, const char *accept, size_t max, struct ward_buf *out,
			char *ctype, size_t ctype_size, const char *what);

/* ---------------------------------------------------------- .deb files */

/* ar members (the container of a .deb). */
struct deb_ar_member {
	char name[17];	 /* without GNU's trailing '/' */
	uint64_t offset; /* of the data, from the start of the file */
	uint64_t size;
};
/* deb_ar_parse(data, len, what, out, n): the members of an ar archive held
 * in memory.  Every member must lie inside len.  Caller frees *out. */
int deb_ar_parse(const void *data, size_t len, const char *what, struct deb_ar_member **out,
		 size_t *n);

enum deb_entry_type {
	DEB_ENTRY_FILE = 1,
	DEB_ENTRY_DIR,
	DEB_ENTRY_SYMLINK,
	DEB_ENTRY_HARDLINK,
	DEB_ENTRY_CHAR,
	DEB_ENTRY_BLOCK,
	DEB_ENTRY_FIFO,
};

/* One entry of data.tar.  Strings are valid until the next deb_data_next. */
struct deb_entry {
	const char *name; /* as stored ("./usr/bin/x") */
	const char *path; /* normalised relative path ("usr/bin/x"; "." for the root) */
	int type;	  /* enum deb_entry_type */
	mode_t mode;	  /* permission bits including setuid/setgid/sticky */
	uid_t uid;
	gid_t gid;
	const char *uname, *gname; /* "" when absent */
	uint64_t size;		   /* bytes of content (regular files) */
	int64_t mtime;
	const char *link; /* symlink target as stored, or the normalised
			     path a hard link points to; NULL otherwise */
	unsigned rdev_major, rdev_minor;
};

struct deb_md5sum {
	const char *path; /* relative, as in the md5sums file */
	const char *md5;  /* 32 hex digits */
};

struct deb_file;
/* deb_file_open(path) / deb_file_open_fd(fd, what) / deb_file_open_mem:
 * read the ar container and control.tar (control, md5sums, conffiles);
 * data.tar is read later by deb_data_open.  The fd is duplicated; memory
 * is borrowed until deb_file_close.  Maintainer scripts are listed, never
 * run.  Errors name the file. */
struct deb_file *deb_file_open(const char *path);
struct deb_file *deb_file_open_fd(int fd, const char *what);
struct deb_file *deb_file_open_mem(const void *data, size_t len, const char *what);
/* The control paragraph, its raw text, and the other control members. */
const struct deb_para *deb_file_control(const struct deb_file *d);
const char *deb_file_control_text(const struct deb_file *d);
const struct deb_md5sum *deb_file_md5sums(const struct deb_file *d, size_t *n);
const struct ward_strv *deb_file_conffiles(const struct deb_file *d);
const struct ward_strv *deb_file_scripts(const struct deb_file *d); /* preinst, ... */
/* deb_file_script(d, name, len): the text of a maintainer script (read, never
 * run; for static analysis such as update-alternatives), or NULL. */
const char *deb_file_script(const struct deb_file *d, const char *name, size_t *len);
const struct deb_ar_member *deb_file_members(const struct deb_file *d, size_t *n);
/* "data.tar.xz" etc. */
const char *deb_file_data_member(const struct deb_file *d);
void deb_file_close(struct deb_file *d);

/* Iterate data.tar in archive order, streaming each file's content. */
struct deb_data;
struct deb_data *deb_data_open(struct deb_file *d);
/* deb_data_next(it, e): 1 and *e filled, 0 at the end, -1 on error
 * (corrupt archive, unsafe path such as "../x"). */
int deb_data_next(struct deb_data *it, struct deb_entry *e);
/* deb_data_read(it, buf, n): content of the current entry; 0 at its end. */
ssize_t deb_data_read(struct deb_data *it, void *buf, size_t n);
void deb_data_close(struct deb_data *it);

#endif
