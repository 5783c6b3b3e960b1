/*
 * wheel: Python wheels pinned by hash.  The locks a user brings (PEP 751
 * pylock.toml, pip requirements.txt in hash-checking mode), the image's
 * interpreter as wheel tags see it, the wheel chosen for each package
 * (recorded in ward.lock's "python" section), where it comes from (a local
 * wheelhouse directory or a PEP 503/691 simple index) and its fetch into
 * the same content-addressed cache as the .debs.  Errors follow core.h:
 * bad input is WARD_EINPUT with "file:line: message".
 *
 * Above deb (the cache, the fetcher, the lock's Debian packages that say
 * which interpreter and glibc the image has), below build.
 */
#ifndef WARD_WHEEL_H
#define WARD_WHEEL_H

#include "core/core.h"
#include "deb/deb.h"

/* ---------------------------------------------------------- TOML */

/* wheel_toml_parse(data, len, what): a TOML 1.0 document as a JSON object
 * (tables -> objects, arrays -> arrays, date-times -> their text with 'T',
 * inf/nan -> "inf"/"-inf"/"nan").  Any deviation from the specification is
 * WARD_EINPUT "what:line:col: ...".  Caller frees with json_decref. */
json_t *wheel_toml_parse(const char *data, size_t len, const char *what);

/* ---------------------------------------------------------- names, tags */

/* wheel_name_normalize(name, out, size): PEP 503 normalised name
 * (lowercase, runs of -_. -> '-').  -1 (WARD_EINPUT) when name is not a
 * valid distribution name or does not fit. */
int wheel_name_normalize(const char *name, char *out, size_t size);

/* A wheel file name: {dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl,
 * each tag part possibly a '.'-separated set. */
struct wheel_filename {
	char *dist;    /* normalised (PEP 503) */
	char *version; /* as written */
	char *build;   /* build tag or NULL */
	struct ward_strv pythons, abis, platforms;
};
/* wheel_filename_parse(name, out): -1 (WARD_EINPUT) for a name that is
 * not a wheel's.  Release with wheel_filename_free. */
int wheel_filename_parse(const char *name, struct wheel_filename *out);
void wheel_filename_free(struct wheel_filename *w);

/* The image's interpreter, as wheel tags and environment markers see it. */
struct wheel_target {
	int py_major, py_minor;	      /* 3, 11 */
	char py_full[32];	      /* "3.11.2" (python_full_version) */
	int glibc_major, glibc_minor; /* 2, 36 */
	char machine[16];	      /* "x86_64", "aarch64" */
	char arch[16];		      /* Debian architecture */
};
/* wheel_target_from_lock(l, out): from the locked Debian packages: the
 * python3.N(-minimal) package gives the interpreter, libc6 glibc.  No
 * interpreter in the lock: WARD_EINPUT. */
int wheel_target_from_lock(const struct deb_lock *l, struct wheel_target *out);
/* wheel_tag_check(w, t, rank, why, size): 0 when the wheel runs on t, with
 * *rank its preference (lower is better: the most specific tag first);
 * -1 otherwise with why naming the tag that does not fit (no error is
 * recorded). */
int wheel_tag_check(const struct wheel_filename *w, const struct wheel_target *t, int *rank,
		    char *why, size_t size);

/* ---------------------------------------------------------- markers */

/* wheel_marker_eval(marker, t, extras, groups, what, out): evaluate a
 * PEP 508 environment marker for the image's interpreter; extras and
 * dependency groups are the sets `in extras` / `in dependency_groups`
 * test (either may be NULL: empty).  Variables that depend on the build
 * host (platform_release, platform_version) are errors. */
int wheel_marker_eval(const char *marker, const struct wheel_target *t,
		      const struct ward_strv *extras, const struct ward_strv *groups,
		      const char *what, int *out);
/* wheel_specifier_check(spec, version, what, out): PEP 440 specifier set
 * ("~=3.11, !=3.11.1") against a release version ("3.11.2"). */
int wheel_specifier_check(const char *spec, const char *version, const char *what, int *out);

/* ---------------------------------------------------------- the user's lock */

/* One wheel a lock allows for a package. */
struct wheel_candidate {
	char *filename; /* "idna-3.3-py3-none-any.whl" */
	char *url;	/* where the lock says it is, or NULL */
	char *path;	/* a local path the lock names (absolute), or NULL */
	uint64_t size;	/* 0: unknown */
	char sha256[65];
};

struct wheel_req {
	char *name;    /* normalised */
	char *version; /* exact */
	size_t line;   /* in the lock file */
	/* pylock.toml: the wheels it lists.  requirements.txt: none, only the
	 * allowed digests (the file is found in the wheelhouse or index). */
	struct wheel_candidate *cands;
	size_t ncands;
	struct ward_strv sha256s;
	int from_index; /* pylock: the package names its index (not a direct URL) */
};

enum wheel_lock_format { WHEEL_PYLOCK = 1, WHEEL_REQUIREMENTS };

struct wheel_reqs {
	int format;	     /* enum wheel_lock_format */
	char *path;	     /* the lock file */
	char sha256[65];     /* of its bytes */
	char *index;	     /* requirements.txt --index-url, or NULL */
	struct wheel_req *v; /* sorted by name, unique */
	size_t n;
};

/* wheel_pylock_parse(data, len, what, dir, t, out): a PEP 751 lock, with
 * the packages whose markers do not hold for t left out.  Every package
 * must be a wheel with a sha256 hash; relative paths resolve against dir.
 * wheel_requirements_parse(data, len, what, t, out): a pip requirements
 * file in hash-checking mode: every line "name==version --hash=sha256:..."
 * (markers evaluated; includes, editables and URLs are refused).
 * wheel_reqs_load(path, t, out): either, by the name (pylock.toml,
 * pylock.*.toml; anything else is a requirements file).  Release with
 * wheel_reqs_free. */
int wheel_pylock_parse(const char *data, size_t len, const char *what, const char *dir,
		       const struct wheel_target *t, struct wheel_reqs *out);
int wheel_requirements_parse(const char *data, size_t len, const char *what,
			     const struct wheel_target *t, struct wheel_reqs *out);
int wheel_reqs_load(const char *path, const struct wheel_target *t, struct wheel_reqs *out);
void wheel_reqs_free(struct wheel_reqs *r);

/* ---------------------------------------------------------- indices */

/* One file a simple index project page (or a wheelhouse) offers. */
struct wheel_index_file {
	char *filename;
	char *url; /* absolute */
	uint64_t size;
	char sha256[65]; /* "" when the index gives none */
	int yanked;
};
/* wheel_index_parse(body, len, ctype, page_url, what, out, n): a PEP 691
 * JSON (application/vnd.pypi.simple.v1+json) or PEP 503 HTML project page;
 * relative links resolve against page_url.  Caller frees with
 * wheel_index_files_free. */
int wheel_index_parse(const char *body, size_t len, const char *ctype, const char *page_url,
		      const char *what, struct wheel_index_file **out, size_t *n);
/* wheel_index_project(index, name, out, n): download and parse the
 * project page <index>/<name>/. */
int wheel_index_project(const char *index, const char *name, struct wheel_index_file **out,
			size_t *n);
void wheel_index_files_free(struct wheel_index_file *f, size_t n);

/* ---------------------------------------------------------- ward.lock "python" */

/* The wheel chosen for one package. */
struct wheel_pin {
	char *name, *version;
	char *filename;
	char *url; /* absolute URL, or NULL (wheelhouse) */
	uint64_t size;
	char sha256[65];
	int direct; /* a direct URL install (not from an index): PEP 610 direct_url.json */
};

struct wheel_lock {
	char *lock;   /* the user's lock, relative to ward.yaml's directory */
	char *format; /* "pylock" or "requirements" */
	char lock_sha256[65];
	char *python;		/* "3.11.2" */
	char *platform;		/* "manylinux_2_36_x86_64" (the newest platform tag allowed) */
	struct wheel_pin *pins; /* sorted by name */
	size_t npins;
};

/* Where wheels come from (ward.yaml `python:`). */
struct wheel_sources {
	const char *wheelhouse; /* a directory of .whl files, or NULL */
	const char *index;	/* a simple index URL, or NULL */
	const char *base_dir;	/* ward.yaml's directory: paths in ward.lock are relative to it */
};

/* wheel_lock_resolve(reqs, t, src, cache, out): choose one wheel per
 * package: among the files the lock allows (pylock: its wheels; requirements:
 * the wheelhouse's and the index's files whose sha256 it lists), those
 * whose tags fit t, the most specific first (ties: file name).  A file
 * without a known size is downloaded once into the cache to learn it.
 * No fitting wheel: WARD_EINPUT naming the package and the tags seen. */
int wheel_lock_resolve(const struct wheel_reqs *reqs, const struct wheel_target *t,
		       const struct wheel_sources *src, const char *cache, struct wheel_lock *out);
/* To and from ward.lock's "python" member (docs/formats/lock.md). */
json_t *wheel_lock_to_json(const struct wheel_lock *l);
int wheel_lock_from_json(const json_t *j, const char *what, struct wheel_lock *out);
/* wheel_lock_read(path, out, present): the "python" member of ward.lock;
 * *present is 0 (and out empty) when the lock has none. */
int wheel_lock_read(const char *path, struct wheel_lock *out, int *present);
void wheel_lock_free(struct wheel_lock *l);

/* ---------------------------------------------------------- installing */

/* Where a wheel's schemes go, as paths relative to the image root. */
struct wheel_layout {
	const char *purelib;	 /* "usr/local/lib/python3.11/dist-packages" (also platlib) */
	const char *scripts;	 /* "usr/local/bin" */
	const char *headers;	 /* "usr/local/include/python3.11" (+ "/<dist>") */
	const char *data;	 /* "usr/local" */
	const char *interpreter; /* "/usr/bin/python3.11": shebangs of scripts */
};

/* The writer of the installed files: create(ctx, path, mode) makes a new
 * regular file at path (relative to the root, parents created; an existing
 * file is an error) and returns a writable fd the installer closes, or -1
 * with the error recorded.  The build plugs its beneath-the-root writer in
 * here; nothing else is written. */
struct wheel_sink {
	int (*create)(void *ctx, const char *path, uint32_t mode);
	void *ctx;
};

struct wheel_installed {
	char *dist_info;	/* "usr/local/lib/python3.11/dist-packages/idna-3.3.dist-info" */
	char *metadata;		/* its METADATA text */
	struct ward_strv files; /* every file written, relative to the root, sorted */
};

/* wheel_install(fd, pin, lay, sink, out): install the wheel read from fd
 * (seekable, already checked against pin->sha256).  Nothing is written
 * unless every entry is a clean relative path of a regular file, in the
 * one .dist-info of pin->name and pin->version, listed in RECORD with a
 * sha256 (and size) that matches, and every RECORD entry is present; then
 * files go through sink, entry points become generated scripts, INSTALLER
 * says "ward", direct_url.json is written for a direct-URL pin, and RECORD
 * lists what was installed.  Errors: WARD_EINPUT naming the wheel and the
 * entry.  Release with wheel_installed_free. */
int wheel_install(int fd, const struct wheel_pin *pin, const struct wheel_layout *lay,
		  const struct wheel_sink *sink, struct wheel_installed *out);
void wheel_installed_free(struct wheel_installed *w);

/* wheel_fetch_items(l, src, items, urls): one deb_fetch item per pinned
 * wheel (url from the pin, else the wheelhouse file as a file:// URL);
 * *urls holds the strings the items borrow.  Caller frees *items and
 * ward_strv_free(urls). */
int wheel_fetch_items(const struct wheel_lock *l, const struct wheel_sources *src,
		      struct deb_fetch_item **items, struct ward_strv *urls);

#endif
