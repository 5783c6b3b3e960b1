/*
 * root.c: a directory tree written and read only beneath its root.
 *
 * Every path is relative to the root and must be clean (no "..", no
 * leading "/", see ward_relpath_ok).  Each parent is reached from the
 * root's descriptor without following any symlink -- one openat2(2) with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS where the
 * kernel has it, else a walk with O_NOFOLLOW | O_DIRECTORY per component
 * -- and the last component is created with O_EXCL (files), symlinkat
 * (links: the target text is stored, never resolved), linkat without
 * AT_SYMLINK_FOLLOW (hard links, both ends beneath the root) or opened
 * with O_NOFOLLOW (reads).  So whatever a package, a wheel or a program
 * run in the tree put there, ward never writes or reads outside the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"

struct ward_root {
	int fd;
	char *path;
};

struct ward_root *
ward_root_open(const char *dir, int create)
{
	struct ward_root *r = ward_calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->fd = -1;
	if ((r->path = ward_strdup(dir)) == NULL)
		goto fail;
	if (create && mkdir(dir, 0755) != 0 && errno != EEXIST) {
		ward_err_io(dir, "cannot create directory");
		goto fail;
	}
	r->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		ward_err_io(dir, "cannot open directory");
		goto fail;
	}
	return r;
fail:
	ward_root_close(r);
	return NULL;
}

void
ward_root_close(struct ward_root *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r);
}

const char *
ward_root_path(const struct ward_root *r)
{
	return r->path;
}

int
ward_root_fd(const struct ward_root *r)
{
	return r->fd;
}

/* The message for a parent that is not a plain directory. */
static int
not_dir(const struct ward_root *r, const char *rel, size_t plen, int e)
{
	errno = e;
	if (e == ELOOP || e == EXDEV)
		return ward_err(WARD_EINPUT,
				"%s/%s: \"%.*s\" is a symbolic link; nothing is written or read "
				"through a link in this tree",
				r->path, rel, (int)plen, rel);
	if (e == ENOTDIR)
		return ward_err(WARD_EINPUT, "%s/%s: \"%.*s\" is not a directory", r->path, rel,
				(int)plen, rel);
	return ward_errno(e == ENOENT ? WARD_EINPUT : WARD_EENV, "%s/%.*s", r->path, (int)plen,
			  rel);
}

/* One openat2 for the whole parent: -1 with errno ENOSYS/EPERM/E2BIG/
 * EINVAL when the kernel or a seccomp filter says no (then walk). */
static int
open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Open the directory holding rel; *base points at its last component.
 * create: make missing parents (0755).  -1 with errno (ENOENT for a
 * missing parent when not creating; ELOOP/ENOTDIR for a link or a file in
 * the way) and the error recorded. */
static int
open_parent(const struct ward_root *r, const char *rel, int create, const char **base)
{
	const char *slash = strrchr(rel, '/'), *p = rel;
	char comp[256];
	int fd;

	if (!ward_relpath_ok(rel)) {
		errno = EINVAL;
		return ward_err(WARD_EINPUT,
				"%s: unsafe path \"%s\" (absolute, empty or with \"..\")", r->path,
				rel);
	}
	*base = slash ? slash + 1 : rel;
	if (slash == NULL) {
		if ((fd = dup(r->fd)) < 0)
			return ward_errno(WARD_EENV, "%s: dup failed", r->path);
		return fd;
	}
	{
		char *parent = ward_strndup(rel, (size_t)(slash - rel));
		if (parent == NULL)
			return -1;
		fd = open_beneath(r->fd, parent);
		free(parent);
		if (fd >= 0)
			return fd;
		/* a missing parent to create, a link or file in the way (the walk
		 * names which component), or no openat2: walk */
	}
	if ((fd = dup(r->fd)) < 0)
		return ward_errno(WARD_EENV, "%s: dup failed", r->path);
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		int nfd;
		if (n >= sizeof(comp)) {
			close(fd);
			errno = ENAMETOOLONG;
			return ward_err(WARD_EINPUT, "%s/%s: a name longer than 255 bytes", r->path,
					rel);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
				int e = errno;
				close(fd);
				errno = e;
				return ward_errno(WARD_EENV, "%s/%.*s: cannot create directory",
						  r->path, (int)(slash - rel), rel);
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno;
			close(fd);
			if (e == ENOENT && !create) {
				ward_errno(WARD_EINPUT, "%s/%.*s", r->path, (int)(slash - rel),
					   rel);
				errno = ENOENT;
				return -1;
			}
			return not_dir(r, rel, (size_t)(slash - rel), e);
		}
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
	return fd;
}

int
ward_root_mkdir(struct ward_root *r, const char *rel, mode_t mode)
{
	const char *base;
	struct stat st;
	int pfd = open_parent(r, rel, 1, &base), rc = 0;

	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, base, mode) != 0) {
		int e = errno;
		if (e != EEXIST)
			rc = ward_errno(e == ENAMETOOLONG ? WARD_EINPUT : WARD_EENV,
					"%s/%s: cannot create directory", r->path, rel);
		else if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			rc = not_dir(r, rel, strlen(rel), S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR);
	}
	close(pfd);
	return rc;
}

/* WARD_ROOT_REPLACE: what is at base goes first, unless a directory. */
static void
unlink_nondir(int pfd, const char *base)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		unlinkat(pfd, base, 0);
}

int
ward_root_create(struct ward_root *r, const char *rel, mode_t mode, int flags)
{
	const char *base;
	int pfd = open_parent(r, rel, 1, &base), fd;

	if (pfd < 0)
		return -1;
	if (flags & WARD_ROOT_REPLACE)
		unlink_nondir(pfd, base);
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	if (fd < 0) {
		int e = errno;
		ward_errno(e == EEXIST || e == ENAMETOOLONG ? WARD_EINPUT : WARD_EENV,
			   "%s/%s: cannot create", r->path, rel);
		errno = e;
	}
	close(pfd);
	return fd;
}

int
ward_root_write(struct ward_root *r, const char *rel, const void *data, size_t len, mode_t mode,
		int flags)
{
	int fd = ward_root_create(r, rel, mode, flags), rc;

	if (fd < 0)
		return -1;
	rc = ward_fd_write(fd, data, len, rel);
	if (close(fd) != 0 && rc == 0)
		rc = ward_errno(WARD_EENV, "%s/%s: write failed", r->path, rel);
	return rc;
}

int
ward_root_symlink(struct ward_root *r, const char *target, const char *rel, int flags)
{
	const char *base;
	int pfd = open_parent(r, rel, 1, &base), rc = 0;

	if (pfd < 0)
		return -1;
	if (flags & WARD_ROOT_REPLACE)
		unlink_nondir(pfd, base);
	if (symlinkat(target, pfd, base) != 0) {
		int e = errno;
		rc = ward_errno(e == EEXIST || e == ENAMETOOLONG ? WARD_EINPUT : WARD_EENV,
				"%s/%s: cannot create symlink", r->path, rel);
		errno = e;
	}
	close(pfd);
	return rc;
}

int
ward_root_link(struct ward_root *r, const char *existing, const char *rel)
{
	const char *tbase, *base;
	struct stat st;
	int tfd, pfd = -1, rc = -1;

	if ((tfd = open_parent(r, existing, 0, &tbase)) < 0)
		return -1;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
		ward_err(WARD_EINPUT, "%s/%s: hard link target %s is not a regular file", r->path,
			 rel, existing);
		errno = ENOENT;
		goto out;
	}
	if ((pfd = open_parent(r, rel, 1, &base)) < 0)
		goto out;
	if (linkat(tfd, tbase, pfd, base, 0) != 0) {
		int e = errno;
		ward_errno(e == EEXIST ? WARD_EINPUT : WARD_EENV, "%s/%s: cannot link to %s",
			   r->path, rel, existing);
		errno = e;
		goto out;
	}
	rc = 0;
out:
	close(tfd);
	if (pfd >= 0)
		close(pfd);
	return rc;
}

int
ward_root_lstat(struct ward_root *r, const char *rel, struct stat *st)
{
	const char *base;
	int pfd = open_parent(r, rel, 0, &base), rc = 0;

	if (pfd < 0)
		return -1;
	if (fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW) != 0) {
		int e = errno;
		rc = ward_errno(e == ENOENT ? WARD_EINPUT : WARD_EENV, "%s/%s", r->path, rel);
		errno = e;
	}
	close(pfd);
	return rc;
}

int
ward_root_open_read(struct ward_root *r, const char *rel, struct stat *st)
{
	const char *base;
	char what[4200];
	int pfd = open_parent(r, rel, 0, &base), fd;

	if (pfd < 0)
		return -1;
	snprintf(what, sizeof(what), "%s/%s", r->path, rel);
	fd = ward_input_openat(pfd, base, WARD_IN_NOFOLLOW, what, st);
	{
		int e = errno;
		close(pfd);
		errno = e;
	}
	return fd;
}

int
ward_root_read(struct ward_root *r, const char *rel, size_t max, struct ward_buf *out)
{
	struct stat st;
	int fd = ward_root_open_read(r, rel, &st), rc;

	if (fd < 0)
		return -1;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return ward_err(WARD_EINPUT, "%s/%s: too large (%jd bytes, limit %zu)", r->path,
				rel, (intmax_t)st.st_size, max);
	}
	rc = ward_fd_read_all(fd, rel, max, out);
	close(fd);
	return rc;
}

int
ward_root_remove(struct ward_root *r, const char *rel)
{
	const char *base;
	struct stat st;
	int pfd = open_parent(r, rel, 0, &base), rc = 0;

	if (pfd < 0)
		return errno == ENOENT ? (ward_err_clear(), 0) : -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = ward_remove_at(pfd, base, rel);
	close(pfd);
	return rc;
}
