/* cache.c: the content-addressed blob cache, <cache>/blobs/sha256/<hex>.
 * A blob appears under its name only after its size and digest were
 * checked (written in <cache>/partial/, then renamed), and is re-hashed
 * every time it is opened for use: a flipped bit is found, never used. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "deb/deb_internal.h"

char *
deb_cache_dir(const char *override)
{
	const char *env = getenv("WARD_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (override != NULL && *override)
		return ward_strdup(override);
	if (env != NULL && *env)
		return ward_strdup(env);
	if (xdg != NULL && xdg[0] == '/')
		return ward_path_join(xdg, "ward");
	if (home != NULL && *home)
		return ward_asprintf("%s/.cache/ward", home);
	ward_err(WARD_EENV, "no cache directory: set WARD_CACHE, XDG_CACHE_HOME or HOME, or "
			    "pass --cache");
	return NULL;
}

char *
cache_subdir(const char *cache, const char *sub)
{
	return ward_path_join(cache, sub);
}

static int
hex_ok(const char *hex)
{
	if (hex != NULL && strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64)
		return 1;
	return ward_err(WARD_EINPUT, "invalid SHA-256 \"%.70s\"", hex ? hex : "(null)"), 0;
}

char *
deb_cache_blob_path(const char *cache, const char *sha256_hex)
{
	if (!hex_ok(sha256_hex))
		return NULL;
	return ward_asprintf("%s/blobs/sha256/%s", cache, sha256_hex);
}

/* hash_fd: SHA-256 and length of everything readable from fd. */
static int
hash_fd(int fd, const char *path, char hex[65], uint64_t *size)
{
	struct sha256_ctx *c = sha256_new();
	unsigned char *buf = ward_malloc(1 << 20);
	uint8_t d[SHA256_LEN];
	int rc = -1;

	*size = 0;
	if (c == NULL || buf == NULL)
		goto out;
	for (;;) {
		ssize_t n = ward_fd_read(fd, buf, 1 << 20, path);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		sha256_update(c, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	sha256_final(c, d);
	ward_hex(d, SHA256_LEN, hex);
	rc = 0;
out:
	if (c == NULL)
		ward_err(WARD_EENV, "out of memory");
	sha256_free(c);
	free(buf);
	return rc;
}

/* open_checked: fd on the blob when intact; 0 missing (fd -1), -1 corrupt
 * (deleted, WARD_EVERIFY) or unreadable. */
static int
open_checked(const char *cache, const char *hex, uint64_t size, const char *what, int *fd_out)
{
	char *path = deb_cache_blob_path(cache, hex), got[65];
	uint64_t have;
	int fd;

	*fd_out = -1;
	if (path == NULL)
		return -1;
	fd = ward_input_openat(AT_FDCWD, path, WARD_IN_NOFOLLOW, path, NULL);
	if (fd < 0) {
		int missing = errno == ENOENT;
		free(path);
		return missing ? 0 : -1;
	}
	if (hash_fd(fd, path, got, &have) != 0) {
		close(fd);
		free(path);
		return -1;
	}
	if (have != size || strcmp(got, hex) != 0) {
		close(fd);
		unlink(path);
		if (have != size)
			ward_err(WARD_EVERIFY,
				 "%s: cached blob %s is corrupt (%ju bytes, expected "
				 "%ju); deleted",
				 what, path, (uintmax_t)have, (uintmax_t)size);
		else
			ward_err(WARD_EVERIFY, "%s: cached blob %s is corrupt (sha256 %s); deleted",
				 what, path, got);
		free(path);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		ward_err_io(path, "cannot seek");
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	*fd_out = fd;
	return 1;
}

int
deb_cache_open(const char *cache, const char *sha256_hex, uint64_t size, const char *what)
{
	int fd, rc = open_checked(cache, sha256_hex, size, what, &fd);

	if (rc == 0)
		ward_err(WARD_EENV, "%s: not in the cache %s (sha256 %s); run ward fetch", what,
			 cache, sha256_hex);
	return rc == 1 ? fd : -1;
}

int
deb_cache_check(const char *cache, const char *sha256_hex, uint64_t size)
{
	int fd, rc = open_checked(cache, sha256_hex, size, sha256_hex, &fd);

	if (fd >= 0)
		close(fd);
	return rc;
}

/* commit: rename a verified file from partial/ to its blob name. */
static int
commit(const char *cache, const char *hex, const char *tmp)
{
	char *path = deb_cache_blob_path(cache, hex), *dir = cache_subdir(cache, "blobs/sha256");
	int rc = -1;

	if (path == NULL || dir == NULL || ward_mkdir_p(dir, 0755) != 0)
		goto out;
	if (chmod(tmp, 0444) != 0 || rename(tmp, path) != 0) {
		ward_err_io(path, "cannot move the blob into the cache");
		goto out;
	}
	rc = ward_fsync_dir(dir);
out:
	free(path);
	free(dir);
	return rc;
}

/* insert_from_fd: copy src into partial/, verify, commit. */
static int
insert_stream(const char *cache, const char *hex, uint64_t size, int src, const void *mem,
	      size_t memlen, const char *what)
{
	char *dir = cache_subdir(cache, "partial"), *tmp = NULL, got[65];
	struct sha256_ctx *c = sha256_new();
	unsigned char *buf = ward_malloc(1 << 20);
	uint8_t d[SHA256_LEN];
	uint64_t total = 0;
	int fd = -1, rc = -1;

	if (dir == NULL || c == NULL || buf == NULL || !hex_ok(hex) || ward_mkdir_p(dir, 0755) != 0)
		goto out;
	{
		char *base = ward_asprintf("%s/%s.copy", dir, hex);
		fd = base ? ward_tmp_create(base, 0644, &tmp) : -1;
		free(base);
		if (fd < 0)
			goto out;
	}
	for (;;) {
		ssize_t n;
		const unsigned char *p = buf;
		if (mem != NULL) {
			n = (ssize_t)(memlen - total);
			p = (const unsigned char *)mem + total;
			if (n > (1 << 20))
				n = 1 << 20;
		} else {
			n = read(src, buf, 1 << 20);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ward_errno(WARD_EENV, "%s: read failed", what);
			goto out;
		}
		if (n == 0)
			break;
		if (total + (uint64_t)n > size) {
			ward_err(WARD_EVERIFY, "%s: larger than the expected %ju bytes", what,
				 (uintmax_t)size);
			goto out;
		}
		sha256_update(c, p, (size_t)n);
		if (ward_fd_write(fd, p, (size_t)n, tmp) != 0)
			goto out;
		total += (uint64_t)n;
	}
	sha256_final(c, d);
	ward_hex(d, SHA256_LEN, got);
	if (total != size || strcmp(got, hex) != 0) {
		ward_err(WARD_EVERIFY, "%s: %ju bytes with sha256 %s, expected %ju bytes with %s",
			 what, (uintmax_t)total, got, (uintmax_t)size, hex);
		goto out;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		ward_errno(WARD_EENV, "%s: cannot write into the cache", tmp);
		goto out;
	}
	fd = -1;
	rc = commit(cache, hex, tmp);
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	sha256_free(c);
	free(buf);
	free(tmp);
	free(dir);
	return rc;
}

int
deb_cache_insert(const char *cache, const char *sha256_hex, uint64_t size, const char *path)
{
	int fd = ward_input_open(path, 0, NULL), rc;

	if (fd < 0)
		return -1;
	rc = insert_stream(cache, sha256_hex, size, fd, NULL, 0, path);
	close(fd);
	return rc;
}

int
deb_cache_insert_mem(const char *cache, const char *sha256_hex, const void *data, size_t len)
{
	return insert_stream(cache, sha256_hex, len, -1, data ? data : "", len, sha256_hex);
}

int
cache_commit_partial(const char *cache, const char *hex, const char *partial)
{
	return commit(cache, hex, partial);
}
