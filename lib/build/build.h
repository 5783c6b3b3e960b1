/*
 * build: ward.yaml (the image spec) -> rootfs plan -> distroless rules ->
 * layers -> image.  Errors follow core.h.
 *
 * The spec schema is data: each key of a mapping is one row of a table
 * (spec.c) naming its type and where it is stored, so a new key is a new
 * struct field plus one row.  docs/ward-yaml.md documents every key.
 */
#ifndef WARD_BUILD_H
#define WARD_BUILD_H

#include "core/core.h"
#include "crypto/crypto.h"
#include "deb/deb.h"
#include "oci/oci.h"
#include "wheel/wheel.h"

/* ---------------------------------------------------------- ward.yaml */

/* One `sources:` entry: suites and components of one Debian archive. */
struct build_source {
	struct ward_strv suites;     /* e.g. bookworm, bookworm-updates */
	struct ward_strv components; /* e.g. main */
	char *mirror;		     /* base URL of the archive, or NULL */
	char *keyring;		     /* OpenPGP keyring (absolute path), or NULL */
	size_t line;		     /* where the entry starts in ward.yaml */
};

/* A mapping of strings (env, annotations, labels), in document order. */
struct build_kv {
	struct ward_strv keys, values;
};

/* One `files:` entry: a local file or directory copied into the image. */
struct build_file {
	char *src;			   /* resolved against the spec's directory */
	char *dst;			   /* absolute path in the image */
	char *mode;			   /* octal text for regular files, or NULL */
	char *owner;			   /* "uid:gid", or NULL (0:0) */
	struct ward_strv exclude;	   /* fnmatch globs on names below src */
	const struct ward_yaml_node *node; /* the entry, for messages */
	/* Derived: */
	int has_mode;
	uint32_t file_mode; /* when has_mode */
	uint32_t uid, gid;
};

/* One `models:` entry: a model directory (or file) signed with OMS. */
struct build_model {
	char *src;	 /* resolved against the spec's directory */
	char *dst;	 /* absolute path in the image */
	char *name;	 /* unique; default: basename of dst */
	char *key;	 /* trusted public key (PEM) of an already signed model */
	char *signature; /* its OMS bundle; default <src>/model.sig */
	const struct ward_yaml_node *node;
};

/* `python:` wheels pinned by a lock (docs/ward-yaml.md); lock is NULL when
 * the spec has no python: key. */
struct build_python {
	char *lock;	  /* pylock.toml or requirements.txt (absolute path) */
	char *wheelhouse; /* a directory of .whl files (absolute), or NULL */
	char *index;	  /* a PEP 503/691 simple index URL, or NULL */
	char *prefix;	  /* install prefix in the image, or NULL (/usr/local) */
};

/* `user:` the server runs as (default nonroot 65532:65532). */
struct build_user {
	char *name;
	long long uid, gid;
	char *home;
};

struct build_spec {
	char *path;	    /* the ward.yaml as given */
	char *dir;	    /* its directory: ward.lock sits beside it */
	char *name;	    /* image name ([a-z0-9][a-z0-9._-]*) */
	char *version;	    /* image version (free text) */
	char *architecture; /* Debian architecture: amd64 (default), arm64 */
	struct build_source *sources;
	size_t nsources;
	struct ward_strv packages;   /* "name" or "name=version" */
	struct ward_strv exclude;    /* never installed; edges to them are cut */
	struct ward_strv allow;	     /* exceptions to the distroless policy */
	struct ward_yaml_node *yaml; /* the parsed document (for later keys) */

	/* The image (ward build).  docs/ward-yaml.md documents each key. */
	long long source_date_epoch; /* -1: not given */
	int ca_certificates;	     /* adds ca-certificates + the bundle */
	char *timezone;		     /* adds tzdata + /etc/localtime, or NULL */
	struct build_user user;	     /* defaults filled in */
	char *workdir;		     /* default "/" */
	struct build_kv env;	     /* PATH is added when absent */
	struct ward_strv entrypoint; /* the server's argv (ward prepends /ward/init --) */
	struct ward_strv cmd;	     /* default arguments */
	struct ward_strv ports;	     /* normalised "8080/tcp" */
	struct ward_strv writable;   /* absolute; default /tmp */
	struct build_file *files;
	size_t nfiles;
	struct build_model *models;
	size_t nmodels;
	const struct ward_yaml_node *policy; /* ward-init policy overrides, or NULL */
	struct build_kv annotations;	     /* manifest annotations */
	struct build_kv labels;		     /* config labels */
	int python_bytecode;		     /* precompile .pyc (default 1) */
	struct ward_strv drop;		     /* extra path globs to leave out */
	struct ward_strv keep;		     /* globs kept despite the drop rules */
	struct build_python python;	     /* wheels (python.lock NULL: none) */
};

/* build_spec_load(path, out): read and check ward.yaml.  Unknown keys,
 * wrong types, missing required keys and malformed values are WARD_EINPUT
 * errors "path:line:col: ...".  Release with build_spec_free(). */
int build_spec_load(const char *path, struct build_spec *out);
/* build_spec_parse(data, len, path, out): the same on text in memory. */
int build_spec_parse(const char *data, size_t len, const char *path, struct build_spec *out);
void build_spec_free(struct build_spec *s);

/* build_spec_lock_path(s): "<dir>/ward.lock", caller frees. */
char *build_spec_lock_path(const struct build_spec *s);

/* build_spec_repos(s, out, n): the spec's sources as deb_repos, one per
 * suite, with mirrors and keyrings filled in from configuration
 * (deb_repos_configure).  Caller frees with deb_repos_free(). */
int build_spec_repos(const struct build_spec *s, struct deb_repo **out, size_t *n);
/* build_spec_request(s, out): the resolver's request (borrowed strings;
 * valid while s lives). */
void build_spec_request(const struct build_spec *s, struct deb_request *out);

/* ---------------------------------------------------------- wheels (python:) */

/* build_python_lock(s, l, cache, out): resolve python.lock for the
 * interpreter the Debian lock l puts in the image (ward lock); out stays
 * empty when the spec has no python:.  Release with wheel_lock_free. */
int build_python_lock(const struct build_spec *s, const struct deb_lock *l, const char *cache,
		      struct wheel_lock *out);
/* build_lock_write(path, l, w): ward.lock with the Debian packages and, when
 * w has a lock, its "python" member (docs/formats/lock.md). */
int build_lock_write(const char *path, const struct deb_lock *l, const struct wheel_lock *w);
/* build_python_lock_read(s, lockpath, out): ward.lock's wheels, checked to
 * be current: WARD_EINPUT "out of date" when ward.yaml gained or lost
 * python: or python.lock changed since ward lock. */
int build_python_lock_read(const struct build_spec *s, const char *lockpath,
			   struct wheel_lock *out);
/* build_python_fetch_items(s, w, items, strs): deb_fetch items for the
 * pinned wheels (see wheel_fetch_items); fetch with from_dir set to
 * s->python.wheelhouse. */
int build_python_fetch_items(const struct build_spec *s, const struct wheel_lock *w,
			     struct deb_fetch_item **items, struct ward_strv *strs);

/* ---------------------------------------------------------- rootfs plan */

/*
 * The plan: every path of the image's root file system, where it comes from
 * and (once its layer is written) the SHA-256 of its contents.  Every path
 * is accounted for: a locked package, an entry of the spec, or a file ward
 * generated (and then why).  SBOM, provenance and release code read it from
 * build_result.plan, or from the build record (docs/build-record.md).
 */
enum build_entry_type { BUILD_FILE = 1, BUILD_DIR, BUILD_SYMLINK };
enum build_origin { BUILD_FROM_PACKAGE = 1, BUILD_FROM_SPEC, BUILD_GENERATED, BUILD_FROM_WHEEL };

struct build_entry {
	char *path;    /* clean relative path: "usr/bin/python3.11" */
	int type;      /* enum build_entry_type */
	uint32_t mode; /* permission bits; never setuid or setgid */
	uint32_t uid, gid;
	uint64_t size; /* regular files */
	char *link;    /* symlink target, as written */
	int origin;    /* enum build_origin */
	char *owner;   /* package name; "pypi:<name>" (a wheel); "files:<dst>", "models:<name>"; or
			  "ward" */
	char *why;     /* generated entries: what made them ("python bytecode") */
	char sha256[65]; /* regular files: hex digest of the contents ("" unknown) */
	int layer;	 /* index into build_result.layers, -1 before layering */
	/* Where the contents come from (regular files): a file on disk, or
	 * bytes owned by the entry. */
	char *src;
	unsigned char *data;
};

struct build_plan;
/* The entries in tar order (tar_path_cmp), valid while the plan lives. */
size_t build_plan_count(const struct build_plan *p);
const struct build_entry *build_plan_entry(const struct build_plan *p, size_t i);
/* build_plan_find(p, path): the entry at a clean relative path, or NULL. */
const struct build_entry *build_plan_find(const struct build_plan *p, const char *path);

/* ---------------------------------------------------------- ward build */

struct build_opts {
	const char *output;		 /* OCI layout directory to create */
	const char *tag;		 /* its ref name; NULL: the spec's version, else "latest" */
	const char *docker_archive;	 /* also write this docker-archive tar, or NULL */
	const char *repo_tag;		 /* its RepoTag; NULL: "localhost/<name>:<tag>" */
	const char *cache;		 /* the cache (deb_cache_dir()) */
	const char *init_path;		 /* the ward-init binary placed at /ward/init */
	const struct ward_key *sign_key; /* sign models: with it (private), or NULL */
	const struct ward_key *trust_key; /* without sign_key: models with no key: of
					   * their own are verified with it (public;
					   * nothing is signed), or NULL */
	int compression;		  /* enum oci_compression (gzip default) */
	int level;			  /* 0: the compressor's default */
	int threads;			  /* 0: every CPU; never changes the output */
	int no_layer_cache;		  /* 1: neither read nor fill the layer cache */
	/* The build context: every files:/models: source (and a model's
	 * signature) must resolve, symlinks included, inside it; NULL:
	 * ward.yaml's directory.  Wider only by an explicit --context. */
	const char *context;
	const struct build_kv *annotations; /* extra manifest annotations, or NULL */
	const struct wheel_lock *wheels; /* ward.lock's wheels (build_python_lock_read), or NULL */
};

/* One layer of the image, in order. */
struct build_layer {
	char name[48]; /* "base", "python", "frameworks", "config", "app", "model:NAME", "ward" */
	char *created_by; /* the history entry */
	struct oci_layer_desc desc;
	size_t entries;	 /* paths written (parent directories included) */
	size_t packages; /* Debian packages whose files it holds */
	int cached;	 /* 1: reused from the layer cache */
	char key[65];	 /* layer cache key */
	uint64_t ns;
};

struct build_step {
	char *name;
	uint64_t ns;
};

struct build_result {
	char manifest_digest[OCI_DIGEST_LEN + 1];
	char config_digest[OCI_DIGEST_LEN + 1];
	uint64_t manifest_size;
	char *tag;
	int64_t epoch;		/* SOURCE_DATE_EPOCH used */
	const char *epoch_from; /* "ward.yaml", "SOURCE_DATE_EPOCH", "ward.lock" */
	struct build_plan *plan;
	struct build_layer *layers;
	size_t nlayers;
	struct build_step *steps;
	size_t nsteps;
	/* Accounting: every path is one of the first three. */
	size_t from_packages, from_spec, from_wheels, generated;
	size_t dropped;		/* package paths left out (docs, man pages, locales) */
	size_t setid_cleared;	/* setuid/setgid bits removed */
	size_t pyc;		/* .pyc files generated */
	size_t pyc_cached;	/* of these, taken from the bytecode cache (this build) */
	size_t unpacked_cached; /* packages read from the unpacked-package cache */
	json_t *record;		/* the build record (docs/build-record.md) */
};

/* build_image(s, lock, o, r): build the image of spec s from the locked
 * packages in o->cache, offline.  Everything is checked before anything is
 * written (lock up to date, packages in the cache, no forbidden package
 * requested, files: sources, models and their signatures, the entrypoint
 * in the image); the layout appears at o->output whole or not at all.
 * r is filled (release with build_result_free) even on failure. */
int build_image(const struct build_spec *s, const struct deb_lock *lock, const struct build_opts *o,
		struct build_result *r);
void build_result_free(struct build_result *r);

/* build_scaffold(name, suite, packages, out): a commented ward.yaml for
 * `ward init` (name, the Debian release's codename -- bookworm or trixie --
 * and the packages to list; NULL for the defaults: bookworm), appended to
 * out.  An unknown suite is WARD_EINPUT. */
int build_scaffold(const char *name, const char *suite, const struct ward_strv *packages,
		   struct ward_buf *out);

#endif
