/* file.c: whole-file reads, atomic output, directory helpers. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

static const char *
type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

int
ward_input_openat(int dirfd, const char *path, int flags, const char *what, struct stat *st)
{
	struct stat sb;
	int fd, oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

	if (what == NULL)
		what = path;
	if (st == NULL)
		st = &sb;
	if (flags & WARD_IN_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = openat(dirfd, path, oflags);
	if (fd < 0) {
		if (errno == ELOOP && (flags & WARD_IN_NOFOLLOW) &&
		    fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
			return ward_err(WARD_EINPUT,
					"%s: is a symbolic link, expected a regular file (not "
					"followed)",
					what);
		if (errno == ENXIO) /* a socket, or a device without a driver */
			return ward_err(WARD_EINPUT, "%s: not a regular file", what);
		return ward_err_io(what, "cannot open");
	}
	if (fstat(fd, st) != 0) {
		ward_err_io(what, "cannot stat");
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		ward_err(WARD_EINPUT, "%s: is %s, expected a regular file", what,
			 type_name(st->st_mode));
		close(fd);
		return -1;
	}
	/* a regular file: blocking reads from here on */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		ward_errno(WARD_EENV, "%s: fcntl failed", what);
		close(fd);
		return -1;
	}
	return fd;
}

int
ward_input_open(const char *path, int flags, struct stat *st)
{
	return ward_input_openat(AT_FDCWD, path, flags, path, st);
}

/* On failure out is as it was (freed when it was empty and unallocated):
 * no caller leaks what a too-large or unreadable file left in it. */
static int
read_failed(struct ward_buf *out, int fresh, size_t start)
{
	if (fresh)
		ward_buf_free(out);
	else if (out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	return -1;
}

int
ward_fd_read_all(int fd, const char *what, size_t max, struct ward_buf *out)
{
	size_t start = out->len;
	int fresh = out->data == NULL;

	for (;;) {
		ssize_t n;
		if (ward_buf_reserve(out, 65536) != 0)
			return read_failed(out, fresh, start);
		if ((n = ward_fd_read(fd, out->data + out->len, 65536, what)) < 0)
			return read_failed(out, fresh, start);
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len - start > max) {
			ward_err(WARD_EINPUT, "%s: too large (limit %zu bytes)", what, max);
			return read_failed(out, fresh, start);
		}
	}
	out->data[out->len] = '\0';
	return 0;
}

int
ward_file_readx(const char *path, int flags, size_t max, struct ward_buf *out)
{
	struct stat st;
	int fd, rc;

	if ((fd = ward_input_open(path, flags, &st)) < 0)
		return -1;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return ward_err(WARD_EINPUT, "%s: too large (%jd bytes, limit %zu)", path,
				(intmax_t)st.st_size, max);
	}
	rc = ward_fd_read_all(fd, path, max, out);
	close(fd);
	return rc;
}

int
ward_file_read(const char *path, size_t max, struct ward_buf *out)
{
	return ward_file_readx(path, 0, max, out);
}

static atomic_uint tmp_counter;

char *
ward_tmp_sibling(const char *path)
{
	return ward_asprintf("%s.tmp-%ld-%u", path, (long)getpid(),
			     atomic_fetch_add(&tmp_counter, 1));
}

/* Lock a temporary file or directory just made at tmp (fd open on it).
 * ward_remove_stale() may have taken it for a leftover between its
 * creation and this lock: then it is gone (no links), and 0 says "try
 * again with a new name". */
static int
tmp_lock(int fd, const char *tmp)
{
	struct stat a, b;

	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return ward_errno(WARD_EENV, "%s: cannot lock", tmp);
	if (fstat(fd, &a) != 0)
		return ward_errno(WARD_EENV, "%s: cannot stat", tmp);
	if (a.st_nlink == 0 || lstat(tmp, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return 0;
	return 1;
}

int
ward_tmp_create(const char *path, mode_t mode, char **tmp_out)
{
	for (int tries = 0; tries < 100; tries++) {
		char *tmp = ward_tmp_sibling(path);
		int fd, r;
		if (tmp == NULL)
			return -1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0) {
			ward_err_io(path, "cannot create output");
			free(tmp);
			return -1;
		}
		if ((r = tmp_lock(fd, tmp)) == 1) {
			*tmp_out = tmp;
			return fd;
		}
		close(fd);
		free(tmp);
		if (r < 0)
			return -1;
	}
	return ward_err(WARD_EENV, "%s: cannot create a temporary file", path);
}

int
ward_tmp_mkdir(const char *path, char **tmp_out)
{
	for (int tries = 0; tries < 100; tries++) {
		char *tmp = ward_tmp_sibling(path);
		int fd = -1, r = 0;
		if (tmp == NULL)
			return -1;
		if (mkdir(tmp, 0700) != 0) {
			ward_err_io(tmp, "cannot create directory");
			free(tmp);
			return -1;
		}
		fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && (r = tmp_lock(fd, tmp)) == 1) {
			*tmp_out = tmp;
			return fd;
		}
		if (fd >= 0)
			close(fd);
		else if (errno != ENOENT)
			r = ward_err_io(tmp, "cannot open");
		free(tmp);
		if (r < 0)
			return -1;
	}
	return ward_err(WARD_EENV, "%s: cannot create a temporary directory", path);
}

/* A leftover nobody holds locked: remove it, holding the lock meanwhile. */
static void
remove_if_unlocked(int dfd, const char *dir, const char *name)
{
	struct stat st;
	char *p;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		unlinkat(dfd, name, 0); /* not ours: never followed, only removed */
		return;
	}
	fd = openat(dfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd); /* a live run (here or in another container) works on it */
		return;
	}
	if ((p = ward_path_join(dir, name)) != NULL && ward_rm_rf(p) == 0)
		ward_debug("removed %s, left by an interrupted run", p);
	free(p);
	close(fd);
}

void
ward_remove_stale(const char *dir, const char *prefix)
{
	struct ward_error saved;
	struct dirent *de;
	size_t pl = strlen(prefix);
	int dfd;
	DIR *d;

	ward_err_save(&saved);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, pl) == 0 && de->d_name[pl] != '\0')
			remove_if_unlocked(dirfd(d), dir, de->d_name);
	closedir(d);
	ward_err_restore(&saved);
}

void
ward_remove_stale_siblings(const char *path)
{
	char *dir = ward_dirname(path), *base = ward_basename(path), *prefix;

	prefix = base ? ward_asprintf("%s.tmp-", base) : NULL;
	if (dir && prefix)
		ward_remove_stale(dir, prefix);
	free(dir);
	free(base);
	free(prefix);
}

struct ward_atomic {
	char *path;
	char *tmp; /* NULL when writing straight through to a device or pipe */
	int fd;
	mode_t mode;
};

struct ward_atomic *
ward_atomic_open(const char *path, mode_t mode)
{
	struct ward_atomic *a;
	struct stat st;

	a = ward_calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->fd = -1;
	a->mode = mode;
	a->path = ward_strdup(path);
	if (a->path == NULL)
		goto fail;
	/* A device, FIFO or socket (-o /dev/null, /dev/stdout, a pipe) is
	 * written straight through: renaming over it would replace the node. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			ward_err(WARD_EINPUT, "%s: is a directory, expected a file", path);
			goto fail;
		}
		a->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (a->fd < 0) {
			ward_err_io(path, "cannot open output");
			goto fail;
		}
		return a;
	}
	ward_remove_stale_siblings(path);
	if ((a->fd = ward_tmp_create(path, 0600, &a->tmp)) < 0)
		goto fail;
	return a;
fail:
	free(a->path);
	free(a->tmp);
	free(a);
	return NULL;
}

ssize_t
ward_fd_read(int fd, void *p, size_t n, const char *path)
{
	for (;;) {
		ssize_t r = read(fd, p, n);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return ward_err_io(path, "read failed");
	}
}

int
ward_fd_write(int fd, const void *p, size_t n, const char *path)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ward_errno(WARD_EENV, "%s: write failed", path);
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
ward_atomic_write(struct ward_atomic *a, const void *p, size_t n)
{
	return ward_fd_write(a->fd, p, n, a->path);
}

char *
ward_dirname(const char *path)
{
	size_t len = strlen(path);
	const char *slash;

	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if (slash == NULL)
		return ward_strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return ward_strdup("/");
	return ward_strndup(path, (size_t)(slash - path));
}

char *
ward_basename(const char *path)
{
	size_t len = strlen(path);
	const char *slash;

	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if (slash == NULL)
		return ward_strndup(path, len);
	if (slash == path + len - 1)
		return ward_strdup("/");
	return ward_strndup(slash + 1, (size_t)(path + len - slash - 1));
}

int
ward_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ward_err_io(dir, "cannot open directory");
	/* Some filesystems refuse fsync on directories; that is not fatal. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
		ward_err_io(dir, "fsync failed");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
ward_atomic_commit(struct ward_atomic *a)
{
	int rc = -1;
	char *dir = NULL;

	if (a->tmp == NULL) {
		rc = close(a->fd) == 0 ? 0 : ward_errno(WARD_EENV, "%s: write failed", a->path);
		a->fd = -1;
		goto out;
	}
	if (fchmod(a->fd, a->mode) != 0) {
		ward_errno(WARD_EENV, "%s: chmod failed", a->path);
		goto out;
	}
	if (fsync(a->fd) != 0) {
		ward_errno(WARD_EENV, "%s: fsync failed", a->path);
		goto out;
	}
	/* renamed while still locked: a stale-file sweep never takes it */
	if (rename(a->tmp, a->path) != 0) {
		ward_err_io(a->path, "cannot rename into place");
		goto out;
	}
	free(a->tmp);
	a->tmp = NULL;
	if (close(a->fd) != 0) {
		a->fd = -1;
		ward_errno(WARD_EENV, "%s: close failed", a->path);
		goto out;
	}
	a->fd = -1;
	dir = ward_dirname(a->path);
	rc = dir ? ward_fsync_dir(dir) : -1;
	free(dir);
out:
	ward_atomic_abort(a);
	return rc;
}

void
ward_atomic_abort(struct ward_atomic *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp != NULL)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	free(a);
}

int
ward_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct ward_atomic *a = ward_atomic_open(path, mode);

	if (a == NULL)
		return -1;
	if (ward_atomic_write(a, data, len) != 0) {
		ward_atomic_abort(a);
		return -1;
	}
	return ward_atomic_commit(a);
}

int
ward_self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0)
		return ward_errno(WARD_EENV, "/proc/self/exe: cannot read the link");
	buf[n] = '\0';
	return 0;
}

char *
ward_mkdtemp(const char *parent, const char *prefix)
{
	const char *env = getenv("TMPDIR");
	char *dir;

	if (parent == NULL)
		parent = env && *env ? env : "/tmp";
	else if (ward_mkdir_p(parent, 0700) != 0)
		return NULL;
	if ((dir = ward_asprintf("%s/%s-XXXXXX", parent, prefix)) == NULL)
		return NULL;
	if (mkdtemp(dir) == NULL) {
		ward_err_io(dir, "cannot create a scratch directory");
		free(dir);
		return NULL;
	}
	return dir;
}

int
ward_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return ward_err(WARD_EINPUT, "%s: invalid directory path", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return ward_err_io(buf, "cannot create directory");
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return ward_err_io(buf, "cannot create directory");
	return 0;
}

int
ward_remove_at(int parent, const char *name, const char *what)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : ward_errno(WARD_EENV, "%s: stat failed", what);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) != 0 && errno != ENOENT)
			return ward_errno(WARD_EENV, "%s: cannot remove", what);
		return 0;
	}
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ward_errno(WARD_EENV, "%s: cannot open directory", what);
	}
	(void)fchmod(fd, 0700); /* a read-only directory cannot be emptied */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ward_remove_at(dirfd(d), de->d_name, what) != 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		return ward_errno(WARD_EENV, "%s: cannot remove directory", what);
	return 0;
}

int
ward_rm_rf(const char *path)
{
	char *dir = ward_dirname(path), *base = ward_basename(path);
	int dfd = -1, rc = -1;

	if (dir == NULL || base == NULL)
		goto out;
	if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		rc = ward_err(WARD_EINPUT, "%s: refusing to remove this path", path);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT ? 0 : ward_err_io(dir, "cannot open directory");
		goto out;
	}
	/* by descriptors, never following a link (root.c) */
	rc = ward_remove_at(dfd, base, path);
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(base);
	return rc;
}

char *
ward_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (la > 0 && a[la - 1] == '/')
		return ward_asprintf("%s%s", a, b);
	return ward_asprintf("%s/%s", a, b);
}

int
ward_relpath_ok(const char *rel)
{
	const char *p = rel;

	if (rel == NULL || *rel == '\0' || *rel == '/')
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0')
			return 0; /* trailing slash */
	}
	return 1;
}
