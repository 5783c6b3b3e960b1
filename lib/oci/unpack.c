/*
 * unpack.c: the merged root file system on disk, in one pass.
 *
 * Every path comes from the merge engine (fs.c), which has already
 * resolved symlinked parents inside the root, so on disk no symlink is
 * ever followed: each component is opened with O_NOFOLLOW relative to the
 * root's descriptor, and anything unexpected (a symlink or file where a
 * directory should be) is an error.  Nothing can be written outside the
 * target, whatever the names, links and whiteouts in the layers say.
 * Directory modes and times are set last (a read-only directory must not
 * block its own contents); the tree is built beside the target and moved
 * into place whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oci_internal.h"

struct dirmeta {
	char *path;
	uint32_t mode;
	uint64_t uid, gid;
	int64_t mtime;
};

struct unpack {
	int rootfd;
	const char *target;
	int owners, devices;
	struct merge *m;
	struct dirmeta *dirs;
	size_t ndirs, capdirs;
	struct ward_strmap dirmap;
	uint64_t skipped;
	struct ward_progress *progress;
	unsigned char *buf;
};

static int
remember_dir(struct unpack *u, const char *path, uint32_t mode, uint64_t uid, uint64_t gid,
	     int64_t mtime)
{
	size_t i;
	struct dirmeta *d;

	if (ward_strmap_get(&u->dirmap, path, &i)) {
		d = &u->dirs[i];
	} else {
		/* the map borrows paths, which do not move */
		if (ward_vec_reserve(&u->dirs, &u->capdirs, u->ndirs + 1, sizeof(*u->dirs)) != 0)
			return -1;
		d = &u->dirs[u->ndirs];
		if ((d->path = ward_strdup(path)) == NULL)
			return -1;
		if (ward_strmap_put(&u->dirmap, d->path, u->ndirs) != 0) {
			free(d->path);
			return -1;
		}
		u->ndirs++;
	}
	d->mode = mode;
	d->uid = uid;
	d->gid = gid;
	d->mtime = mtime;
	return 0;
}

/* Open the directory holding path (creating missing parents when asked);
 * *base points at the last component.  -1 with errno ENOENT when a parent
 * is missing and create is 0. */
static int
open_parent(struct unpack *u, const char *path, int create, const char **base, int64_t mtime)
{
	char comp[256];
	const char *p = path, *slash;
	int fd = dup(u->rootfd);

	if (fd < 0)
		return ward_errno(WARD_EENV, "%s: dup failed", u->target);
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		int nfd;
		if (n == 0 || n >= sizeof(comp)) {
			close(fd);
			return ward_err(WARD_EINPUT,
					"%s: %s path component in \"%.200s\" (a file system allows "
					"%d bytes)",
					u->target, n ? "a too long" : "an empty", path, NAME_MAX);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			char *sub = ward_strndup(path, (size_t)(slash - path));
			if (sub == NULL || (mkdirat(fd, comp, 0700) != 0 && errno != EEXIST) ||
			    remember_dir(u, sub, 0755, 0, 0, mtime) != 0) {
				if (sub && errno)
					ward_errno(WARD_EENV, "%s/%s: cannot create directory",
						   u->target, sub);
				free(sub);
				close(fd);
				return -1;
			}
			free(sub);
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno;
			close(fd);
			if (e == ENOENT && !create) {
				errno = ENOENT;
				return -1;
			}
			errno = e;
			return ward_errno(WARD_EINPUT, "%s: \"%.*s\" is not a directory", u->target,
					  (int)(slash - path), path);
		}
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

/* Opaque directory: remove what lower layers put below path, keeping
 * (and descending into) what this layer added. */
static int
clear_lower(struct unpack *u, int dfd, const char *path)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dfd), rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ward_errno(WARD_EENV, "%s/%s: cannot read directory", u->target, path);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *child;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = *path ? ward_asprintf("%s/%s", path, de->d_name) : ward_strdup(de->d_name);
		if (child == NULL) {
			rc = -1;
			break;
		}
		if (!merge_added(u->m, child)) {
			rc = ward_remove_at(dirfd(d), de->d_name, child);
		} else {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				rc = clear_lower(u, sub, child);
				close(sub);
			}
		}
		free(child);
	}
	closedir(d);
	return rc;
}

static int
set_owner_mode_time(struct unpack *u, int pfd, const char *base, const struct oci_fs_entry *e,
		    const char *what)
{
	struct timespec ts[2] = {{e->mtime, 0}, {e->mtime, 0}};
	uint32_t mode = e->mode;

	if (u->owners &&
	    fchownat(pfd, base, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) != 0)
		return ward_errno(WARD_EENV, "%s: cannot change owner", what);
	if (!u->owners)
		mode &= ~(uint32_t)06000; /* no setuid/setgid for files we do not own as given */
	if (e->type != OCI_ENTRY_SYMLINK && fchmodat(pfd, base, mode, 0) != 0)
		return ward_errno(WARD_EENV, "%s: cannot change mode", what);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) != 0)
		return ward_errno(WARD_EENV, "%s: cannot set times", what);
	return 0;
}

static int
write_file(struct unpack *u, int pfd, const char *base, struct oci_layer_reader *r,
	   const char *what)
{
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return ward_errno(WARD_EENV, "%s: cannot create", what);
	while ((n = oci_layer_read(r, u->buf, 1u << 20)) > 0) {
		if (ward_fd_write(fd, u->buf, (size_t)n, what) != 0) {
			close(fd);
			return -1;
		}
		ward_progress_add(u->progress, (uint64_t)n);
	}
	if (close(fd) != 0 && n == 0)
		return ward_errno(WARD_EENV, "%s: close failed", what);
	return n < 0 ? -1 : 0;
}

static int
apply(struct unpack *u, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	const char *base = NULL, *tbase = NULL;
	char what[4200];
	struct stat st;
	int pfd, tfd, rc = -1;

	snprintf(what, sizeof(what), "%s/%s", u->target, e->path);
	if (e->type == OCI_ENTRY_OPAQUE && *e->path == '\0')
		return clear_lower(u, u->rootfd, "");
	pfd = open_parent(u, e->path, e->type != OCI_ENTRY_WHITEOUT && e->type != OCI_ENTRY_OPAQUE,
			  &base, e->mtime);
	if (pfd < 0)
		return errno == ENOENT && !*ward_errmsg() ? 0 : -1;
	if (strlen(base) > NAME_MAX) { /* the layer's fault, not the disk's: exit 2 */
		close(pfd);
		return ward_err(WARD_EINPUT, "%s: a name of %zu bytes (a file system allows %d)",
				u->target, strlen(base), NAME_MAX);
	}
	if (e->type == OCI_ENTRY_WHITEOUT) {
		rc = ward_remove_at(pfd, base, what);
		goto out;
	}
	if (e->type == OCI_ENTRY_OPAQUE) {
		int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = dfd < 0 ? 0 : clear_lower(u, dfd, e->path);
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	/* Replace what is there, unless a directory meets a directory. */
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !(S_ISDIR(st.st_mode) && e->type == OCI_ENTRY_DIR) &&
	    ward_remove_at(pfd, base, what) != 0)
		goto out;
	switch (e->type) {
	case OCI_ENTRY_DIR:
		if (mkdirat(pfd, base, 0700) != 0 && errno != EEXIST) {
			ward_errno(WARD_EENV, "%s: cannot create directory", what);
			goto out;
		}
		rc = remember_dir(u, e->path, u->owners ? e->mode : e->mode & ~06000u, e->uid,
				  e->gid, e->mtime);
		goto out;
	case OCI_ENTRY_FILE:
		if (write_file(u, pfd, base, r, what) != 0)
			goto out;
		break;
	case OCI_ENTRY_SYMLINK:
		if (symlinkat(e->link, pfd, base) != 0) {
			ward_errno(WARD_EENV, "%s: cannot create symlink", what);
			goto out;
		}
		break;
	case OCI_ENTRY_HARDLINK:
		errno = 0;
		ward_err_clear();
		tfd = open_parent(u, e->link, 0, &tbase, e->mtime);
		if (tfd < 0) {
			if (!*ward_errmsg())
				ward_err(WARD_EINPUT, "%s: hard link target %s is missing", what,
					 e->link);
			goto out;
		}
		if (linkat(tfd, tbase, pfd, base, 0) != 0) {
			ward_errno(WARD_EINPUT, "%s: cannot link to %s", what, e->link);
			close(tfd);
			goto out;
		}
		close(tfd);
		rc = 0; /* a hard link shares its target's metadata */
		goto out;
	case OCI_ENTRY_CHAR:
	case OCI_ENTRY_BLOCK:
	case OCI_ENTRY_FIFO: {
		mode_t kind = e->type == OCI_ENTRY_CHAR	   ? S_IFCHR
			      : e->type == OCI_ENTRY_BLOCK ? S_IFBLK
							   : S_IFIFO;
		if (kind != S_IFIFO && (!u->devices || geteuid() != 0)) {
			u->skipped++;
			rc = 0;
			goto out;
		}
		if (mknodat(pfd, base, kind | 0600, makedev(e->devmajor, e->devminor)) != 0) {
			ward_errno(WARD_EENV, "%s: cannot create node", what);
			goto out;
		}
		break;
	}
	default:
		ward_err(WARD_EINPUT, "%s: unexpected entry type", what);
		goto out;
	}
	rc = set_owner_mode_time(u, pfd, base, e, what);
out:
	close(pfd);
	return rc;
}

static int
cmp_dir_desc(const void *a, const void *b)
{
	return -tar_path_cmp(((const struct dirmeta *)a)->path, ((const struct dirmeta *)b)->path);
}

/* Directory metadata, deepest first, once everything is in place. */
static int
finish_dirs(struct unpack *u)
{
	if (u->ndirs > 1)
		ward_qsort(u->dirs, u->ndirs, sizeof(*u->dirs), cmp_dir_desc);
	for (size_t i = 0; i < u->ndirs; i++) {
		struct oci_fs_entry e = {.path = u->dirs[i].path,
					 .type = OCI_ENTRY_DIR,
					 .mode = u->dirs[i].mode,
					 .uid = u->dirs[i].uid,
					 .gid = u->dirs[i].gid,
					 .mtime = u->dirs[i].mtime};
		const char *base;
		char what[4200];
		int pfd;
		struct stat st;

		errno = 0;
		ward_err_clear();
		pfd = open_parent(u, e.path, 0, &base, 0);
		if (pfd < 0) {
			if (!*ward_errmsg())
				continue; /* removed by a later whiteout */
			return -1;
		}
		snprintf(what, sizeof(what), "%s/%s", u->target, e.path);
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		    set_owner_mode_time(u, pfd, base, &e, what) != 0) {
			close(pfd);
			return -1;
		}
		close(pfd);
	}
	return 0;
}

/* One entry of a layer, as resolved by oci_layers_merge: applied to the
 * tree; u->m lets apply() ask which paths this layer itself added. */
static int
unpack_entry(void *arg, struct merge *m, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	struct unpack *u = arg;
	int rc;

	ward_err_clear();
	u->m = m;
	rc = apply(u, e, r);
	u->m = NULL;
	return rc;
}

int
oci_image_unpack(struct oci_image *img, const char *dir, const struct oci_unpack_opts *o)
{
	static const struct oci_unpack_opts defaults = {.owners = -1};
	struct unpack u = {.rootfd = -1, .target = dir};
	struct oci_fs fs = {0};
	struct ward_outdir *out = NULL;
	int rc = -1;

	if (o == NULL)
		o = &defaults;
	u.owners = o->owners < 0 ? geteuid() == 0 : o->owners;
	u.devices = o->devices;
	u.progress = o->progress;
	if ((u.buf = ward_malloc(1u << 20)) == NULL ||
	    (out = ward_outdir_begin(dir, NULL, 0755, o->replace ? WARD_OUTDIR_REPLACE : 0)) ==
		    NULL)
		goto out;
	if ((u.rootfd = dup(ward_outdir_fd(out))) < 0) {
		ward_errno(WARD_EENV, "%s: dup failed", dir);
		goto out;
	}
	if (oci_layers_merge(img, &fs, unpack_entry, &u) != 0 || finish_dirs(&u) != 0)
		goto out;
	if (u.skipped > 0)
		ward_warn("%s: %ju device nodes not created (pass devices as root to create them)",
			  dir, (uintmax_t)u.skipped);
	close(u.rootfd);
	u.rootfd = -1;
	rc = ward_outdir_commit(out);
	out = NULL;
out:
	if (u.rootfd >= 0)
		close(u.rootfd);
	ward_outdir_abort(out);
	for (size_t i = 0; i < u.ndirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	ward_strmap_free(&u.dirmap);
	oci_fs_free(&fs);
	free(u.buf);
	return rc;
}
