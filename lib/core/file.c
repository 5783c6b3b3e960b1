/* file.c: whole-file reads, atomic output, directory helpers. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

int
ward_file_read(const char *path, size_t max, struct ward_buf *out)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_io(path, "cannot open");
	if (fstat(fd, &st) != 0) {
		ward_err_io(path, "cannot stat");
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		ward_err(WARD_EINPUT, "%s: is a directory, expected a file", path);
		goto fail;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		ward_err(WARD_EINPUT, "%s: too large (%jd bytes, limit %zu)", path,
			 (intmax_t)st.st_size, max);
		goto fail;
	}
	for (;;) {
		ssize_t n;
		if (ward_buf_reserve(out, 65536) != 0)
			goto fail;
		if ((n = ward_fd_read(fd, out->data + out->len, 65536, path)) < 0)
			goto fail;
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > max) {
			ward_err(WARD_EINPUT, "%s: too large (limit %zu bytes)", path, max);
			goto fail;
		}
	}
	out->data[out->len] = '\0';
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static atomic_uint tmp_counter;

char *
ward_tmp_sibling(const char *path)
{
	return ward_asprintf("%s.tmp-%ld-%u", path, (long)getpid(),
			     atomic_fetch_add(&tmp_counter, 1));
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
		a->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (a->fd < 0) {
			ward_err_io(path, "cannot open output");
			goto fail;
		}
		return a;
	}
	a->tmp = ward_tmp_sibling(path);
	if (a->tmp == NULL)
		goto fail;
	a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		ward_err_io(path, "cannot create output");
		goto fail;
	}
	return a;
fail:
	free(a->path);
	free(a->tmp);
	free(a);
	return NULL;
}

int
ward_atomic_fd(const struct ward_atomic *a)
{
	return a->fd;
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

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return ward_strdup(".");
	if (slash == path)
		return ward_strdup("/");
	return ward_strndup(path, (size_t)(slash - path));
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
	if (close(a->fd) != 0) {
		a->fd = -1;
		ward_errno(WARD_EENV, "%s: close failed", a->path);
		goto out;
	}
	a->fd = -1;
	if (rename(a->tmp, a->path) != 0) {
		ward_err_io(a->path, "cannot rename into place");
		goto out;
	}
	dir = dir_of(a->path);
	rc = dir ? ward_fsync_dir(dir) : -1;
	free(dir);
	free(a->tmp);
	a->tmp = NULL;
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
ward_dir_commit(const char *tmpdir, const char *path)
{
	struct stat st;
	char *dir;
	int rc;

	if (rename(tmpdir, path) != 0) {
		if (errno != ENOTEMPTY && errno != EEXIST && errno != EISDIR)
			return ward_err_io(path, "cannot rename into place");
		if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			return ward_err(WARD_EINPUT, "%s: exists and is not a directory", path);
		/* Swap old and new in one step, then delete the old tree. */
		if (renameat2(AT_FDCWD, tmpdir, AT_FDCWD, path, RENAME_EXCHANGE) != 0)
			return ward_err_io(path, "cannot exchange with the new tree");
		if (ward_rm_rf(tmpdir) != 0)
			return -1;
	}
	dir = dir_of(path);
	rc = dir ? ward_fsync_dir(dir) : -1;
	free(dir);
	return rc;
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

static int
rm_one(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
	(void)sb;
	(void)ftwbuf;
	if (typeflag == FTW_DP) {
		if (rmdir(fpath) != 0 && errno != ENOENT)
			return ward_err_io(fpath, "cannot remove directory");
		return 0;
	}
	if (unlink(fpath) != 0 && errno != ENOENT)
		return ward_err_io(fpath, "cannot remove");
	return 0;
}

static int
chmod_one(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
	(void)ftwbuf;
	if (typeflag == FTW_D && (sb->st_mode & 0700) != 0700)
		chmod(fpath, (sb->st_mode & 07777) | 0700);
	return 0;
}

int
ward_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : ward_err_io(path, "cannot stat");
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) != 0)
			return ward_err_io(path, "cannot remove");
		return 0;
	}
	/* A read-only directory cannot be emptied: open them up first. */
	nftw(path, chmod_one, 64, FTW_PHYS);
	if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS) != 0)
		return -1;
	return 0;
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
