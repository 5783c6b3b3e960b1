/* unpack.c: the locked .debs into the staging tree and the plan.
 *
 * Packages are unpacked in parallel straight from the verified cache
 * (nothing is ever run: maintainer scripts are only read), each into its
 * own list of entries; the lists are then merged into the plan in lock
 * order, so the plan never depends on the thread count.  Paths are moved
 * under merged /usr (bookworm packages still ship /bin, /lib, /lib64,
 * /sbin); paths the drop rules leave out are never written; setuid and
 * setgid bits are cleared; device nodes and FIFOs are never created; two
 * packages shipping the same non-directory path is an error naming both.
 * A package unpacked once before is read from its tree in the
 * unpacked-package cache (unpacked.c) instead of its .deb, every file
 * verified first; the entries go through the same unpack_entry, so what
 * is staged and planned does not depend on where they came from.  Each
 * staged file's SHA-256 (computed while staging, or the tree's verified
 * one) is kept in the plan, so the layers check the staged bytes and
 * never hash them a second time.
 *
 * The staging tree is written only through ward_root (core.h): a package
 * symlink such as ./opt -> /etc is stored as a link and never followed,
 * so ./opt/x can never reach the host.  An entry that cannot be staged
 * because a link, a file or another package's entry is in its way is
 * kept aside and reported at the merge, in lock order, naming both
 * packages -- the same error whatever the threads' timing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"

struct pkg_ent {
	char *path;   /* merged-/usr path */
	int type;     /* BUILD_FILE, BUILD_DIR, BUILD_SYMLINK */
	int unstaged; /* something was in its way on disk: the merge says what */
	uint32_t mode, uid, gid;
	uint64_t size;
	char *link;
	char sha256[65]; /* a regular file's contents, "" when not read */
};

struct pkg_out {
	struct pkg_ent *v;
	size_t n, cap;
	size_t dropped, devices;
	struct ward_strv setid;
	struct ward_strmap files; /* regular file path -> index in v (hard link targets) */
	int failed;
	int from_cache; /* read from the unpacked-package cache */
	struct ward_error err;
};

struct unpack_job {
	struct build_ctx *ctx;
	struct pkg_out *outs;
	size_t *order; /* largest package first: the last one to finish is small */
	atomic_size_t next;
	struct ward_progress *progress;
};

static int
ent_push(struct pkg_out *o, const char *path, int type, const struct deb_entry *e, const char *link,
	 int unstaged, const char *sha256)
{
	struct pkg_ent *x;

	if (ward_vec_reserve(&o->v, &o->cap, o->n + 1, sizeof(*o->v)) != 0)
		return -1;
	x = &o->v[o->n];
	memset(x, 0, sizeof(*x));
	x->path = ward_strdup(path);
	if (x->path == NULL || (link != NULL && (x->link = ward_strdup(link)) == NULL)) {
		free(x->path);
		return -1;
	}
	x->type = type;
	x->unstaged = unstaged;
	x->mode = e->mode & 07777;
	x->uid = (uint32_t)e->uid;
	x->gid = (uint32_t)e->gid;
	x->size = e->size;
	if (sha256 != NULL)
		snprintf(x->sha256, sizeof(x->sha256), "%s", sha256);
	/* the last file of that path wins, as a hard link in a tar means */
	if (type == BUILD_FILE && ward_strmap_put(&o->files, x->path, o->n) != 0) {
		free(x->path);
		free(x->link);
		return -1;
	}
	o->n++;
	return 0;
}

/* Where one package's entries come from: its .deb (its tree recorded in
 * the unpacked-package cache on the way when rec is set) or that tree. */
struct pkg_src {
	struct deb_file *d;
	struct deb_data *it;
	struct unpacked_rec *rec;
	struct unpacked *tree;
	const char *sha256; /* the current regular file's, from the tree */
	const char *what;
};

static int
src_next(struct pkg_src *s, struct deb_entry *e)
{
	if (s->tree != NULL)
		return unpacked_next(s->tree, e, &s->sha256);
	return deb_data_next(s->it, e);
}

/* Recording failed (a full disk): the build goes on without it. */
static void
src_drop_rec(struct pkg_src *s)
{
	ward_warn("unpacked-package cache: %s not recorded (%s)", s->what, ward_errmsg());
	ward_err_clear();
	unpacked_rec_abort(s->rec);
	s->rec = NULL;
}

/* The current regular file's contents into fd (-1: only recorded), and
 * its SHA-256 into hex ("" when not read: neither staged nor recorded). */
static int
src_content(struct pkg_src *s, int fd, const char *path, char hex[65])
{
	unsigned char buf[1 << 16];
	struct sha256_ctx *sha;
	uint8_t d[32];
	ssize_t r;
	int rfd = -1;

	hex[0] = '\0';
	if (s->tree != NULL) {
		memcpy(hex, s->sha256, 65);
		return fd >= 0 ? unpacked_copy(s->tree, fd, path) : 0;
	}
	if (fd < 0 && s->rec == NULL)
		return 0;
	if ((sha = sha256_new()) == NULL)
		return -1;
	if (s->rec != NULL && (rfd = unpacked_rec_file(s->rec)) < 0)
		src_drop_rec(s);
	while ((r = deb_data_read(s->it, buf, sizeof(buf))) > 0) {
		sha256_update(sha, buf, (size_t)r);
		if (fd >= 0 && ward_fd_write(fd, buf, (size_t)r, path) != 0)
			break;
		if (rfd >= 0 && ward_fd_write(rfd, buf, (size_t)r, "unpacked-package cache") != 0) {
			close(rfd);
			rfd = -1;
			src_drop_rec(s);
		}
	}
	if (rfd >= 0 && close(rfd) != 0) {
		ward_err_io("unpacked-package cache", "write failed");
		src_drop_rec(s);
	}
	sha256_final(sha, d);
	sha256_free(sha);
	ward_hex(d, 32, hex);
	return r == 0 ? 0 : -1;
}

/* Did staging fail only because something is in the way (an existing
 * entry, a link or a file where a directory should be)?  Then the merge
 * reports it, deterministically; anything else is an error now. */
static int
in_the_way(void)
{
	if (errno != EEXIST && errno != ELOOP && errno != ENOTDIR && errno != EXDEV)
		return 0;
	ward_err_clear();
	return 1;
}

/* The regular file a hard link names: indexed, so a package of N hard
 * links to its first file costs N lookups, not N*N comparisons. */
static const struct pkg_ent *
find_ent(const struct pkg_out *o, const char *path)
{
	size_t i;

	return ward_strmap_get(&o->files, path, &i) == 1 ? &o->v[i] : NULL;
}

/* One entry of the package into the staging tree and o; a regular file's
 * SHA-256 into hex when its contents were read. */
static int
unpack_entry(struct build_ctx *ctx, struct pkg_src *s, struct pkg_out *o, struct deb_entry *e,
	     char hex[65])
{
	char mbuf[4096], lbuf[4096];
	const char *path = build_usrmerge(e->path, mbuf, sizeof(mbuf));
	int staged, fd;

	if (e->type == DEB_ENTRY_CHAR || e->type == DEB_ENTRY_BLOCK || e->type == DEB_ENTRY_FIFO) {
		o->devices++;
		return 0;
	}
	if (e->type != DEB_ENTRY_DIR && build_path_dropped(ctx->spec, path)) {
		o->dropped++;
		return e->type == DEB_ENTRY_FILE ? src_content(s, -1, path, hex) : 0;
	}
	if ((e->mode & 06000) && e->type != DEB_ENTRY_DIR) {
		if (ward_strv_push(&o->setid, path) != 0)
			return -1;
		e->mode &= ~(mode_t)06000;
	}
	switch (e->type) {
	case DEB_ENTRY_DIR:
		staged = ward_root_mkdir(ctx->root, path, 0755) == 0;
		return (staged || in_the_way())
			       ? ent_push(o, path, BUILD_DIR, e, NULL, !staged, NULL)
			       : -1;
	case DEB_ENTRY_FILE:
		/* exclusive create: a second package with the same path is
		 * reported at merge, not overwritten */
		fd = ward_root_create(ctx->root, path, (e->mode & 0111) ? 0755 : 0644, 0);
		staged = fd >= 0;
		if (!staged && !in_the_way())
			return -1;
		if (src_content(s, fd, path, hex) != 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (fd >= 0 && close(fd) != 0)
			return ward_errno(WARD_EENV, "%s/%s: write failed",
					  ward_root_path(ctx->root), path);
		return ent_push(o, path, BUILD_FILE, e, NULL, !staged, hex);
	case DEB_ENTRY_SYMLINK:
		/* stored as text, never followed (ward_root) */
		staged = ward_root_symlink(ctx->root, e->link, path, 0) == 0;
		return (staged || in_the_way())
			       ? ent_push(o, path, BUILD_SYMLINK, e, e->link, !staged, NULL)
			       : -1;
	case DEB_ENTRY_HARDLINK: {
		/* Kept as a regular file with the same contents (a hard link
		 * in the staging tree, both ends beneath its root); its target
		 * came earlier in this package. */
		const char *target = build_usrmerge(e->link, lbuf, sizeof(lbuf));
		const struct pkg_ent *t = find_ent(o, target);
		if (t == NULL || t->type != BUILD_FILE)
			return ward_err(WARD_EINPUT,
					"%s: hard link /%s -> /%s: the target is not a kept "
					"regular file",
					s->what, path, target);
		staged = !t->unstaged && ward_root_link(ctx->root, target, path) == 0;
		e->size = t->size;
		e->mode = t->mode;
		memcpy(hex, t->sha256, 65);
		return (staged || t->unstaged || in_the_way())
			       ? ent_push(o, path, BUILD_FILE, e, NULL, !staged, hex)
			       : -1;
	}
	default:
		return 0;
	}
}

/* What the build keeps of control.tar, from the .deb. */
static int
deb_meta(struct build_pkg *bp, struct deb_file *d)
{
	const struct deb_md5sum *md5 = NULL;
	const struct ward_strv *cf = deb_file_conffiles(d);
	const char *script;
	struct ward_buf sums = {0}, cl = {0};
	size_t nmd5 = 0, slen;

	bp->control = ward_strdup(deb_file_control_text(d));
	script = deb_file_script(d, "postinst", &slen);
	if (bp->control == NULL ||
	    (script != NULL && (bp->postinst = ward_strndup(script, slen)) == NULL))
		return -1;
	md5 = deb_file_md5sums(d, &nmd5);
	for (size_t i = 0; i < nmd5; i++)
		ward_buf_printf(&sums, "%s  %s\n", md5[i].md5, md5[i].path);
	/* conffiles are in no md5sums: status.d lists them (Conffiles:) */
	for (size_t i = 0; cf != NULL && i < cf->n; i++)
		ward_buf_printf(&cl, "%s\n", cf->v[i]);
	if (ward_buf_check(&sums) != 0 || ward_buf_check(&cl) != 0) {
		ward_buf_free(&sums);
		ward_buf_free(&cl);
		return -1;
	}
	if (sums.len > 0)
		bp->md5sums = ward_buf_steal(&sums);
	if (cl.len > 0)
		bp->conffiles = ward_buf_steal(&cl);
	return 0;
}

/* The field of bp that holds a kept part of control.tar. */
static char **
meta_field(struct build_pkg *bp, enum unpacked_meta_kind k)
{
	char **f[UNPACKED_NMETA] = {&bp->control, &bp->postinst, &bp->md5sums, &bp->conffiles};

	return f[k];
}

/* The same, from the package's tree. */
static int
tree_meta(struct build_pkg *bp, const struct unpacked *u)
{
	for (int k = 0; k < UNPACKED_NMETA; k++) {
		const char *m = unpacked_meta(u, (enum unpacked_meta_kind)k);
		if (m != NULL &&
		    (*meta_field(bp, (enum unpacked_meta_kind)k) = ward_strdup(m)) == NULL)
			return -1;
	}
	return 0;
}

static int
unpack_one(struct build_ctx *ctx, size_t idx, struct pkg_out *o, int *from_cache)
{
	const struct deb_lock_pkg *p = &ctx->lock->pkgs[idx];
	struct build_pkg *bp = &ctx->pkgs[idx];
	struct pkg_src s = {0};
	struct deb_entry e;
	char what[512];
	int fd, r, rc = -1;

	snprintf(what, sizeof(what), "%s %s (%s)", p->name, p->version, p->sha256);
	s.what = what;
	*from_cache = 0;
	if (ctx->trees) {
		r = unpacked_open(ctx->cache, p, &s.tree);
		if (r < 0)
			return -1;
		*from_cache = r;
	}
	if (s.tree != NULL) {
		if (tree_meta(bp, s.tree) != 0)
			goto out;
	} else {
		fd = deb_cache_open(ctx->cache, p->sha256, p->size, what);
		if (fd < 0)
			return -1;
		s.d = deb_file_open_fd(fd, what);
		close(fd);
		if (s.d == NULL || deb_meta(bp, s.d) != 0 || (s.it = deb_data_open(s.d)) == NULL)
			goto out;
		if (ctx->trees && (s.rec = unpacked_rec_begin(ctx->cache, p)) != NULL)
			for (int k = 0; s.rec != NULL && k < UNPACKED_NMETA; k++) {
				enum unpacked_meta_kind mk = (enum unpacked_meta_kind)k;
				if (unpacked_rec_meta(s.rec, mk, *meta_field(bp, mk)) != 0)
					src_drop_rec(&s);
			}
	}
	while ((r = src_next(&s, &e)) == 1) {
		struct deb_entry raw = e; /* as shipped: the tree keeps it so */
		char hex[65] = "";
		if (strcmp(e.path, ".") == 0)
			continue;
		if (unpack_entry(ctx, &s, o, &e, hex) != 0)
			goto out;
		if (s.rec != NULL && unpacked_rec_entry(s.rec, &raw, hex) != 0)
			src_drop_rec(&s);
	}
	rc = r == 0 ? 0 : -1;
	if (rc == 0 && s.rec != NULL) {
		unpacked_rec_commit(s.rec);
		s.rec = NULL;
	}
out:
	unpacked_rec_abort(s.rec);
	unpacked_close(s.tree);
	deb_data_close(s.it);
	deb_file_close(s.d);
	return rc;
}

static void *
unpack_worker(void *arg)
{
	struct unpack_job *job = arg;
	size_t n = job->ctx->lock->npkgs;

	for (;;) {
		size_t k = atomic_fetch_add(&job->next, 1), i;
		if (k >= n)
			break;
		i = job->order[k];
		if (unpack_one(job->ctx, i, &job->outs[i], &job->outs[i].from_cache) != 0) {
			job->outs[i].failed = 1;
			ward_err_save(&job->outs[i].err);
		}
		ward_progress_add(job->progress, job->ctx->lock->pkgs[i].size);
	}
	return NULL;
}

static int
implicit_parents(struct build_ctx *ctx, const char *path, int group, const char *owner)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return ward_err(WARD_EINPUT, "%s: /%.200s...: path too long", owner, path);
	memcpy(buf, path, len + 1);
	for (char *s = strchr(buf, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (plan_get(ctx->plan, buf) == NULL &&
		    plan_generated(ctx->plan, buf, BUILD_DIR, 0755, group, owner,
				   "parent directory") == NULL)
			return -1;
		*s = '/';
	}
	return 0;
}

/* Merge one package's entries into the plan. */
static int
merge(struct build_ctx *ctx, size_t idx, struct pkg_out *o)
{
	const char *name = ctx->lock->pkgs[idx].name;

	for (size_t i = 0; i < o->n; i++) {
		struct pkg_ent *x = &o->v[i];
		struct build_entry *old, *e;
		/* parents a (hand-made) data.tar did not list: directories, as
		 * dpkg makes them; a link or file in the way is check_parents' */
		if (implicit_parents(ctx, x->path, ctx->pkgs[idx].group, name) != 0)
			return -1;
		e = plan_add(ctx->plan, x->path, x->type, &old);
		if (e == NULL && old != NULL) {
			if (old->type == BUILD_DIR && x->type == BUILD_DIR)
				continue; /* shared directory: the first package's metadata */
			if (old->type == BUILD_SYMLINK && x->type == BUILD_SYMLINK &&
			    strcmp(old->link, x->link) == 0)
				continue;
			return ward_err(WARD_EINPUT,
					"/%s is shipped by both %s and %s: the image cannot hold "
					"both (exclude one of them in ward.yaml)",
					x->path, old->owner, name);
		}
		if (e == NULL || plan_set_str(&e->owner, name) != 0)
			return -1;
		e->origin = BUILD_FROM_PACKAGE;
		e->mode = x->mode;
		e->uid = x->uid;
		e->gid = x->gid;
		e->size = x->type == BUILD_FILE ? x->size : 0;
		/* checked again as the layer is written */
		if (x->type == BUILD_FILE)
			memcpy(e->sha256, x->sha256, sizeof(e->sha256));
		e->link = x->link;
		x->link = NULL;
		e->layer = ctx->pkgs[idx].group;
	}
	for (size_t i = 0; i < o->setid.n; i++)
		if (ward_strv_push(&ctx->setid, o->setid.v[i]) != 0)
			return -1;
	ctx->res->dropped += o->dropped;
	ctx->pkgs[idx].kept = o->n;
	ctx->pkgs[idx].dropped = o->dropped;
	if (o->devices > 0)
		ward_warn("%s: %zu device nodes or FIFOs left out (the runtime provides /dev)",
			  name, o->devices);
	return 0;
}

/* Every package path must sit below directories only: dpkg would write
 * ./opt/x through a package's ./opt -> /somewhere; ward refuses, naming
 * both entries.  Then any file that could not be staged must have been
 * reported by now (same path in two packages, or this check). */
static int
check_parents(struct build_ctx *ctx, size_t idx, const struct pkg_out *o)
{
	const char *name = ctx->lock->pkgs[idx].name;
	char buf[4096];

	for (size_t i = 0; i < o->n; i++) {
		const char *path = o->v[i].path;
		size_t len = strlen(path);
		if (len >= sizeof(buf))
			return ward_err(WARD_EINPUT, "%s: /%.200s...: path too long", name, path);
		memcpy(buf, path, len + 1);
		for (size_t k = 0; k < len; k++) {
			const struct build_entry *p;
			if (buf[k] != '/')
				continue;
			buf[k] = '\0';
			p = plan_get(ctx->plan, buf);
			if (p != NULL && p->type != BUILD_DIR)
				return ward_err(
					WARD_EINPUT,
					"/%s of %s is below /%s, a %s of %s%s%s: ward never writes "
					"through a link or into a file (exclude one of them in "
					"ward.yaml)",
					path, name, buf,
					p->type == BUILD_SYMLINK ? "symbolic link" : "file",
					p->owner ? p->owner : "ward",
					p->type == BUILD_SYMLINK ? " -> " : "",
					p->type == BUILD_SYMLINK ? p->link : "");
			buf[k] = '/';
		}
	}
	/* the layers read only files' contents from the staging tree */
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].unstaged && o->v[i].type == BUILD_FILE)
			return ward_err(WARD_EINPUT,
					"%s: /%s could not be staged (something else is at that "
					"path or in its way)",
					name, o->v[i].path);
	return 0;
}

static int
by_size_desc(const void *a, const void *b, void *arg)
{
	const struct deb_lock *l = arg;
	uint64_t x = l->pkgs[*(const size_t *)a].size, y = l->pkgs[*(const size_t *)b].size;

	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void
out_free(struct pkg_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].path);
		free(o->v[i].link);
	}
	free(o->v);
	ward_strmap_free(&o->files);
	ward_strv_free(&o->setid);
}

int
build_unpack(struct build_ctx *ctx)
{
	size_t n = ctx->lock->npkgs;
	struct unpack_job job = {.ctx = ctx};
	pthread_t *th = NULL;
	int nth = ctx->threads, started = 0, rc = -1;
	uint64_t total = 0;

	if (ctx->root == NULL && (ctx->root = ward_root_open(ctx->rootfs, 1)) == NULL)
		return -1;
	/* merged /usr in the staging tree, for the tools that run in it */
	for (const char *const *d = (const char *const[]){"bin", "sbin", "lib", "lib64", NULL}; *d;
	     d++) {
		char real[16], target[16];
		snprintf(real, sizeof(real), "usr/%s", *d);
		snprintf(target, sizeof(target), "usr/%s", *d);
		if (ward_root_mkdir(ctx->root, real, 0755) != 0 ||
		    ward_root_symlink(ctx->root, target, *d, 0) != 0)
			return -1;
	}
	ctx->trees = !ctx->opts->no_layer_cache;
	if (ctx->trees) {
		char *dir = ward_path_join(ctx->cache, "unpacked");
		if (dir == NULL)
			return -1;
		struct stat st;
		if (ward_mkdir_p(dir, 0755) != 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			ward_warn("unpacked-package cache: cannot create %s (%s): going on without "
				  "it",
				  dir, ward_errmsg()[0] ? ward_errmsg() : "not a directory");
			ward_err_clear();
			ctx->trees = 0;
		}
		free(dir);
	}
	job.outs = ward_calloc(n ? n : 1, sizeof(*job.outs));
	job.order = ward_calloc(n ? n : 1, sizeof(*job.order));
	if (job.outs == NULL || job.order == NULL) {
		free(job.outs);
		free(job.order);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		job.order[i] = i;
	ward_qsort_r(job.order, n, sizeof(*job.order), by_size_desc, (void *)ctx->lock);
	for (size_t i = 0; i < n; i++)
		total += ctx->lock->pkgs[i].size;
	job.progress = ward_progress_new("unpacking packages", total, 1);
	if ((size_t)nth > n)
		nth = n ? (int)n : 1;
	th = ward_calloc((size_t)nth, sizeof(*th));
	if (th == NULL)
		goto out;
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, unpack_worker, &job) != 0) {
			ward_errno(WARD_EENV, "cannot start an unpacking thread");
			break;
		}
	if (started == 0)
		unpack_worker(&job);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	ward_progress_done(job.progress);
	job.progress = NULL;
	for (size_t i = 0; i < n; i++)
		if (job.outs[i].failed) {
			ward_err_restore(&job.outs[i].err);
			goto out;
		}
	for (size_t i = 0; i < n; i++)
		ctx->res->unpacked_cached += (size_t)job.outs[i].from_cache;
	ward_debug("unpack: %zu of %zu packages from the unpacked-package cache",
		   ctx->res->unpacked_cached, n);
	for (size_t i = 0; i < n; i++)
		if (merge(ctx, i, &job.outs[i]) != 0)
			goto out;
	for (size_t i = 0; i < n; i++)
		if (check_parents(ctx, i, &job.outs[i]) != 0)
			goto out;
	rc = 0;
out:
	ward_progress_done(job.progress);
	for (size_t i = 0; i < n; i++)
		out_free(&job.outs[i]);
	free(job.outs);
	free(job.order);
	free(th);
	return rc;
}
