/*
 * build_internal.h: what the stages of `ward build` share.  Not part of the
 * public interface (build.h is).
 *
 * Stages (image.c runs them in this order):
 *   unpack.c        locked .debs -> staging tree + plan (merged /usr, drop rules);
 *                   unpacked.c keeps each .deb's tree for the next build
 *   alternatives.c  update-alternatives links from the maintainer scripts
 *   generate.c      usrmerge links, status.d, CA bundle, ld.so.cache, /etc files
 *   pyc.c           Python bytecode, compiled by the image's own interpreter
 *   content.c       files: and models: from the spec, /ward
 *   rules.c         distroless checks on the finished plan
 *   layers.c        grouping into layers, the layer cache, writing blobs
 *   record.c        the build record (inputs, steps, plan)
 */
#ifndef WARD_BUILD_INTERNAL_H
#define WARD_BUILD_INTERNAL_H

#include "build/build.h"

/* Layer groups, in image order.  Models get one group each after APP. */
enum build_group {
	GROUP_BASE = 0,	  /* libraries the interpreter needs (libc, ...) */
	GROUP_PYTHON,	  /* the interpreter and its standard library */
	GROUP_FRAMEWORKS, /* every other package (torch, numpy, BLAS, ...) */
	GROUP_WHEELS,	  /* Python wheels of ward.lock (python:) */
	GROUP_CONFIG,	  /* /etc files, home, writable directories */
	GROUP_APP,	  /* files: */
	GROUP_WARD,	  /* /ward: init, policy, keys, signatures */
	GROUP_MODEL0,	  /* models: one group each from here */
};
#define GROUP_DEB_COUNT 4 /* BASE, PYTHON, FRAMEWORKS, WHEELS: built from packages */

/* What the build keeps about each locked package. */
struct build_pkg {
	const struct deb_lock_pkg *lock;
	int group;
	char *control;	 /* the control paragraph, as shipped */
	char *md5sums;	 /* md5sums lines for the paths kept, or NULL */
	char *conffiles; /* the package's conffiles, one absolute path a line, or NULL */
	char *postinst;	 /* maintainer script text, or NULL */
	size_t kept, dropped;
};

struct build_ctx {
	const struct build_spec *spec;
	const struct deb_lock *lock;
	const struct build_opts *opts;
	struct build_result *res;
	char *cache;   /* the cache directory */
	char *blobs;   /* <cache>/blobs: .debs and layer blobs, by SHA-256 */
	char *work;    /* scratch directory of this build */
	char *context; /* the build context, resolved (realpath): sources stay inside */
	char *rootfs;  /* <work>/rootfs: the staged packages (NULL when cached) */
	int trees;     /* the unpacked-package cache is read and filled */
	/* rootfs, written and read only beneath it (core.h ward_root): never
	 * through a package's symlink, never outside */
	struct ward_root *root;
	struct build_plan *plan;
	struct build_pkg *pkgs; /* one per lock->pkgs, same order */
	int threads;
	int64_t epoch;
	char tool_sha256[65];	    /* of the running ward binary: part of every cache key */
	struct ward_key *model_key; /* public key that signs the models */
	struct ward_strv setid;	    /* paths whose setuid/setgid bits were cleared */
	/* Layers by group (GROUP_*); have[g]: written or loaded from the cache. */
	int ngroups;
	struct build_layer *glayer;
	int *have;
	char deb_keys[GROUP_DEB_COUNT][65]; /* package layers' package-set keys */
	struct oci_layout *layout;	    /* the image being written */
};

/* ---------------------------------------------------------- plan.c */

struct build_plan *plan_new(void);
void plan_free(struct build_plan *p);
/* plan_add(p, path, type): a new entry (fields zero, layer -1), or NULL
 * with an error when path is already planned (existing is set then). */
struct build_entry *plan_add(struct build_plan *p, const char *path, int type,
			     struct build_entry **existing);
struct build_entry *plan_get(struct build_plan *p, const char *path);
/* plan_remove(p, path): drop an entry (no-op when absent). */
void plan_remove(struct build_plan *p, const char *path);
/* plan_shadow_begin(p): from now on, removing an entry of a package layer
 * keeps it aside (plan_shadow_*): that layer still holds it, a later layer
 * replaces it. */
void plan_shadow_begin(struct build_plan *p);
size_t plan_shadow_count(const struct build_plan *p);
struct build_entry *plan_shadow_at(struct build_plan *p, size_t i);
/* plan_sort(p): order the entries by tar_path_cmp (after every change). */
void plan_sort(struct build_plan *p);
struct build_entry *plan_at(struct build_plan *p, size_t i);
/* plan_set_str(dst, s): replace an owned string. */
int plan_set_str(char **dst, const char *s);
/* plan_resolve(p, path, out): follow symlinks inside the plan (as in a
 * chroot) to the final entry; NULL when dangling or looping. */
const struct build_entry *plan_resolve(const struct build_plan *p, const char *path);
/* plan_generated(p, path, type, mode, group, owner, why): an entry ward
 * makes; replaces a planned entry of that path (recorded in why). */
struct build_entry *plan_generated(struct build_plan *p, const char *path, int type, uint32_t mode,
				   int group, const char *owner, const char *why);
/* plan_set_data(e, data, len): the file's contents (copied). */
int plan_set_data(struct build_entry *e, const void *data, size_t len);
/* plan_mkdirs(p, path, group, owner): planned parents of path, made as
 * root 0755 directories where missing. */
int plan_mkdirs(struct build_plan *p, const char *path, int group, const char *owner);

/* build_usrmerge(path): the path under Debian's merged /usr ("bin/x" ->
 * "usr/bin/x"); a static string or path itself. */
const char *build_usrmerge(const char *path, char *buf, size_t size);

/* ---------------------------------------------------------- stages */

/* unpack.c: every locked package into ctx->rootfs and the plan. */
int build_unpack(struct build_ctx *ctx);
/* unpacked.c: the unpacked-package cache, <cache>/unpacked/<sha256 of the
 * .deb>/ (format and trust in unpacked.c).  Reading: unpacked_open gives
 * 1 with *out (the tree, every file verified), 0 when the .deb has no
 * usable tree (a damaged one is warned about and removed), -1 on error;
 * unpacked_next gives the entries in archive order (1, 0 at the end) with
 * each regular file's SHA-256; unpacked_copy writes the current entry's
 * contents to fd.  Recording, alongside unpacking the .deb:
 * unpacked_rec_begin (NULL when the cache cannot be written: warned, the
 * build goes on without), unpacked_rec_meta for what is kept of
 * control.tar, for each entry in order unpacked_rec_file (a regular
 * file's contents go to the descriptor it returns) then
 * unpacked_rec_entry; unpacked_rec_commit puts the tree in place
 * (failure: warned, 0) and frees, unpacked_rec_abort drops it. */
enum unpacked_meta_kind {
	UNPACKED_CONTROL,
	UNPACKED_POSTINST,
	UNPACKED_MD5SUMS,
	UNPACKED_CONFFILES,
	UNPACKED_NMETA
};
struct unpacked;
struct unpacked_rec;
char *unpacked_dir(const char *cache, const char *sha256);
int unpacked_open(const char *cache, const struct deb_lock_pkg *p, struct unpacked **out);
const char *unpacked_meta(const struct unpacked *u, enum unpacked_meta_kind k);
int unpacked_next(struct unpacked *u, struct deb_entry *e, const char **sha256);
int unpacked_copy(struct unpacked *u, int fd, const char *what);
void unpacked_close(struct unpacked *u);
struct unpacked_rec *unpacked_rec_begin(const char *cache, const struct deb_lock_pkg *p);
int unpacked_rec_meta(struct unpacked_rec *r, enum unpacked_meta_kind k, const char *text);
int unpacked_rec_file(struct unpacked_rec *r);
int unpacked_rec_entry(struct unpacked_rec *r, const struct deb_entry *e, const char *sha256);
int unpacked_rec_commit(struct unpacked_rec *r);
void unpacked_rec_abort(struct unpacked_rec *r);

/* rules.c */
int build_path_dropped(const struct build_spec *s, const char *path); /* 1: leave out */
int build_prune_dirs(struct build_ctx *ctx);
int build_check_forbidden(struct build_ctx *ctx);
int build_assign_groups(struct build_ctx *ctx);
const char *build_group_name(int group, const struct build_spec *s, char *buf, size_t size);
/* alternatives.c */
int build_alternatives(struct build_ctx *ctx);
int build_alternatives_parse(
	const char *script, size_t len, const char *pkg,
	struct ward_strv *out); /* "link\tname\tpath\tprio[\tslink\tsname\tspath...]" */
/* generate.c: from packages (cached with their layers) and from the spec. */
int build_generate_packages(struct build_ctx *ctx);
int build_generate_config(struct build_ctx *ctx);
/* wheels.c: ward.lock's wheels into ctx->rootfs (through ctx->root) and
 * the plan, after the packages and before the bytecode. */
int build_install_wheels(struct build_ctx *ctx);
/* build_wheel_site(s, lock, buf, size): the image's site-packages for
 * wheels ("usr/local/lib/python3.11/dist-packages"), or NULL (no Python). */
const char *build_wheel_site(const struct build_spec *s, const struct deb_lock *lock, char *buf,
			     size_t size);
/* pyc.c: build_python_bytecode compiles the modules' .pyc, taking those
 * it compiled before from the bytecode cache (<cache>/pyc).
 * build_pyc_key(tool, interp_id, tag, path, src_sha256, out): the cache
 * key of the .pyc of module path ("usr/lib/..."; with the pyc tag
 * "cpython-311", the interpreter's identity digest, the ward binary's and
 * the source's SHA-256).  build_pyc_interp_id(ctx, interp, ver, out): that
 * identity digest of interpreter entry interp ("usr/bin/python3.11", ver
 * "3.11"): the base and python groups' locked packages and every planned
 * path `python -I -S` reads (the digests of the files must be known).
 * build_pyc_entry_make(key, pyc, len, out): a
 * cache entry (header + bytes) appended to out.  build_pyc_entry_check(
 * data, len, key, &off): 0 when data is a whole, intact entry of that key
 * (its .pyc at data + off), else -1 with the reason (WARD_EINPUT). */
int build_python_bytecode(struct build_ctx *ctx);
int build_pyc_interp_id(const struct build_ctx *ctx, const struct build_entry *interp,
			const char *ver, char out[65]);
int build_pyc_key(const char *tool_sha256, const char *interp_id, const char *tag, const char *path,
		  const char *src_sha256, char out[65]);
int build_pyc_entry_make(const char *key, const void *pyc, size_t len, struct ward_buf *out);
int build_pyc_entry_check(const void *data, size_t len, const char *key, size_t *payload);
/* sandbox.c: run a program confined (own user, mount, pid, network, IPC,
 * UTS, cgroup namespaces; no capabilities; no_new_privs; seccomp; killed
 * after WARD_BUILD_STEP_TIMEOUT seconds, default 1800), or fail with
 * WARD_EENV when the kernel cannot confine it.  root: the tree the
 * program sees as / (the staging tree: argv[0] is a path in it), or NULL
 * for a host program that sees the host's files read-only; tool: a host
 * program bound read-only at /.ward-tool inside root (argv[0] then
 * "/.ward-tool"); keep_fd: a descriptor the program inherits, or -1.
 * stdin_data is fed on stdin; stdout+stderr are appended to out (capped). */
struct build_sandbox {
	struct ward_root *root;
	const char *tool;
	int keep_fd;
};
int build_sandbox_run(const struct build_sandbox *sb, char *const argv[], char *const envp[],
		      const void *stdin_data, size_t stdin_len, struct ward_buf *out);
/* content.c */
int build_check_spec(const struct build_spec *s);
int build_check_inputs(struct build_ctx *ctx);
int build_add_files(struct build_ctx *ctx);
int build_add_models(struct build_ctx *ctx);
int build_add_ward(struct build_ctx *ctx);
int build_check_entrypoint(struct build_ctx *ctx);
void build_protect_entrypoint(struct build_ctx *ctx);
/* init_policy.c */
json_t *build_init_policy(struct build_ctx *ctx);
/* layers.c: build_deb_layers_cached: 1 when every package layer was in the
 * layer cache (its entries are then in the plan), 0 when not, -1 error.
 * build_write_layers: every other layer written (or found in the cache),
 * every layer's blob put in ctx->layout, ctx->res->layers filled in order. */
int build_deb_layers_cached(struct build_ctx *ctx);
int build_write_layers(struct build_ctx *ctx);
/* record.c */
json_t *build_record(struct build_ctx *ctx);

/* Step timing into res->steps. */
int build_step(struct build_ctx *ctx, const char *name, uint64_t start_ns);

#endif
