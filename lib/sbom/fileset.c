/* fileset.c: the file index of a root filesystem — walk, hash, look up,
 * resolve symlinks the way a chroot would, and read contents. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sbom/sbom_internal.h"

const char *
fileset_norm(const char *path)
{
	for (;;) {
		if (*path == '/')
			path++;
		else if (path[0] == '.' && path[1] == '/')
			path += 2;
		else
			return path;
	}
}

char *
fileset_clean(const char *path)
{
	size_t len = strlen(path);
	char *out = ward_malloc(len + 1), *o = out;
	const char *p = path;

	if (out == NULL)
		return NULL;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == out) {
				free(out);
				return NULL;
			}
			while (o > out && o[-1] != '/')
				o--;
			if (o > out)
				o--; /* the slash before the dropped component */
		} else {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	*o = '\0';
	return out;
}

static int
add_entry(struct sbom_fileset *fs, size_t *cap, char *rel, const struct stat *st, char *link)
{
	struct sbom_file *f;

	if (ward_vec_reserve(&fs->files, cap, fs->n + 1, sizeof(*fs->files)) != 0)
		return -1;
	f = &fs->files[fs->n++];
	memset(f, 0, sizeof(*f));
	f->path = rel;
	f->link = link;
	f->mode = st->st_mode & 07777;
	f->uid = st->st_uid;
	f->gid = st->st_gid;
	f->mtime = st->st_mtime;
	f->layer = -1;
	f->owner = -1;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		f->type = SBOM_REG;
		f->size = (uint64_t)st->st_size;
		break;
	case S_IFDIR:
		f->type = SBOM_DIR;
		break;
	case S_IFLNK:
		f->type = SBOM_SYMLINK;
		break;
	case S_IFCHR:
		f->type = SBOM_CHAR;
		break;
	case S_IFBLK:
		f->type = SBOM_BLOCK;
		break;
	case S_IFIFO:
		f->type = SBOM_FIFO;
		break;
	default:
		f->type = SBOM_SOCKET;
		break;
	}
	if (f->type == SBOM_CHAR || f->type == SBOM_BLOCK) {
		f->dev_major = major(st->st_rdev);
		f->dev_minor = minor(st->st_rdev);
	}
	return 0;
}

static char *
read_link(int dirfd, const char *name, const char *path)
{
	size_t cap = 256;

	for (;;) {
		char *buf = ward_malloc(cap);
		ssize_t n;

		if (buf == NULL)
			return NULL;
		n = readlinkat(dirfd, name, buf, cap);
		if (n < 0) {
			free(buf);
			ward_err_io(path, "cannot read symbolic link");
			return NULL;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			return buf;
		}
		free(buf);
		if (cap >= 65536) {
			ward_err(WARD_EINPUT, "%s: symbolic link target too long", path);
			return NULL;
		}
		cap *= 4;
	}
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sbom_file *)a)->path, ((const struct sbom_file *)b)->path);
}

/* Walk one directory; subdirectories are queued on todo (relative paths). */
static int
walk_dir(const char *root, dev_t dev, const char *rel, struct sbom_fileset *fs, size_t *cap,
	 struct ward_strv *todo)
{
	char *full = *rel ? ward_path_join(root, rel) : ward_strdup(root);
	DIR *d = NULL;
	struct dirent *de;
	int fd, rc = -1;

	if (full == NULL)
		return -1;
	fd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		ward_err_io(full, "cannot open directory");
		if (fd >= 0)
			close(fd);
		goto out;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		struct stat st;
		char *crel, *link = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		crel = *rel ? ward_asprintf("%s/%s", rel, de->d_name) : ward_strdup(de->d_name);
		if (crel == NULL)
			goto out;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			char *p = ward_path_join(root, crel);
			ward_err_io(p ? p : crel, "cannot stat");
			free(p);
			free(crel);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char *p = ward_path_join(root, crel);
			link = p ? read_link(dirfd(d), de->d_name, p) : NULL;
			free(p);
			if (link == NULL) {
				free(crel);
				goto out;
			}
		}
		if (add_entry(fs, cap, crel, &st, link) != 0) {
			free(crel);
			free(link);
			goto out;
		}
		/* Like find -xdev: a mount point is listed, not entered. */
		if (S_ISDIR(st.st_mode) && st.st_dev == dev && ward_strv_push(todo, crel) != 0)
			goto out;
	}
	if (errno != 0) {
		ward_err_io(full, "cannot read directory");
		goto out;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	free(full);
	return rc;
}

int
fileset_walk(const char *dir, struct sbom_fileset *fs)
{
	struct ward_strv todo = {0};
	struct stat st;
	size_t cap = 0;

	memset(fs, 0, sizeof(*fs));
	if (stat(dir, &st) != 0)
		return ward_err_io(dir, "cannot read root filesystem");
	if (!S_ISDIR(st.st_mode))
		return ward_err(WARD_EINPUT, "%s: not a directory", dir);
	if ((fs->root = ward_strdup(dir)) == NULL)
		return -1;
	if (ward_strv_push(&todo, "") != 0)
		goto fail;
	while (todo.n > 0) {
		char *rel = todo.v[--todo.n];
		int rc = walk_dir(dir, st.st_dev, rel, fs, &cap, &todo);
		free(rel);
		if (rc != 0)
			goto fail;
	}
	ward_strv_free(&todo);
	if (fs->n > 1)
		qsort(fs->files, fs->n, sizeof(*fs->files), file_cmp);
	return 0;
fail:
	ward_strv_free(&todo);
	fileset_free(fs);
	return -1;
}

int
fileset_hash(struct sbom_fileset *fs, int threads, struct ward_progress *progress, uint64_t *bytes)
{
	struct hash_job *jobs;
	size_t *map, nj = 0;
	struct hasher_stats st = {0};
	uint8_t empty[SHA256_LEN];
	int rc = 0;

	sha256("", 0, empty);
	jobs = ward_calloc(fs->n ? fs->n : 1, sizeof(*jobs));
	map = ward_calloc(fs->n ? fs->n : 1, sizeof(*map));
	if (jobs == NULL || map == NULL) {
		free(jobs);
		free(map);
		return -1;
	}
	for (size_t i = 0; i < fs->n; i++) {
		struct sbom_file *f = &fs->files[i];
		if (f->type != SBOM_REG)
			continue;
		if (f->size == 0) {
			memcpy(f->sha256, empty, SHA256_LEN);
			f->hashed = 1;
			continue;
		}
		if ((jobs[nj].path = ward_path_join(fs->root, f->path)) == NULL) {
			rc = -1;
			goto out;
		}
		jobs[nj].offset = 0;
		jobs[nj].length = f->size;
		map[nj++] = i;
	}
	ward_progress_set_total(progress, 0);
	rc = hasher_run(jobs, nj, threads, progress, &st);
	for (size_t j = 0; j < nj; j++)
		if (!jobs[j].failed) {
			memcpy(fs->files[map[j]].sha256, jobs[j].digest, SHA256_LEN);
			fs->files[map[j]].hashed = 1;
		}
	if (bytes != NULL)
		*bytes = st.bytes;
out:
	for (size_t j = 0; j < nj; j++)
		free((char *)jobs[j].path);
	free(jobs);
	free(map);
	return rc;
}

void
fileset_free(struct sbom_fileset *fs)
{
	if (fs == NULL)
		return;
	fileset_image_free(fs);

	for (size_t i = 0; i < fs->n; i++) {
		free(fs->files[i].path);
		free(fs->files[i].link);
	}
	free(fs->files);
	free(fs->root);
	memset(fs, 0, sizeof(*fs));
}

ssize_t
sbom_fileset_find(const struct sbom_fileset *fs, const char *path)
{
	size_t lo = 0, hi = fs->n;

	path = fileset_norm(path);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, fs->files[mid].path);
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

ssize_t
sbom_fileset_resolve(const struct sbom_fileset *fs, const char *path, int follow_last)
{
	struct ward_buf cur = {0};
	char *rest = ward_strdup(fileset_norm(path));
	const char *p;
	ssize_t idx = -1;
	int links = 0;

	if (rest == NULL)
		return -1;
	if (ward_buf_reserve(&cur, strlen(rest) + 1) != 0)
		goto out;
	cur.data[0] = '\0';
	p = rest;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p), keep = cur.len;
		const char *next = e ? e + 1 : p + n;
		ssize_t i;

		if (n == 0 || (n == 1 && *p == '.')) {
			p = next;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (cur.len > 0 && cur.data[cur.len - 1] != '/')
				cur.len--;
			if (cur.len > 0)
				cur.len--;
			cur.data[cur.len] = '\0';
			p = next;
			continue;
		}
		if ((cur.len > 0 && ward_buf_puts(&cur, "/") != 0) ||
		    ward_buf_append(&cur, p, n) != 0)
			goto out;
		ward_buf_cstr(&cur);
		i = sbom_fileset_find(fs, (char *)cur.data);
		if (i < 0)
			goto out;
		if (fs->files[i].type == SBOM_SYMLINK && (*next || follow_last)) {
			const char *t = fs->files[i].link;
			char *nrest;

			if (++links > 40)
				goto out;
			nrest = ward_asprintf("%s/%s", t, next);
			if (nrest == NULL)
				goto out;
			cur.len = *t == '/' ? 0 : keep;
			cur.data[cur.len] = '\0';
			free(rest);
			rest = nrest;
			p = rest;
			continue;
		}
		if (*next && fs->files[i].type != SBOM_DIR)
			goto out;
		p = next;
	}
	if (cur.len > 0)
		idx = sbom_fileset_find(fs, (char *)cur.data);
out:
	ward_buf_free(&cur);
	free(rest);
	return idx;
}

ssize_t
fileset_regular(const struct sbom_fileset *fs, const char *path)
{
	ssize_t i = sbom_fileset_resolve(fs, path, 1);

	return i >= 0 && fs->files[i].type == SBOM_REG ? i : -1;
}

int
sbom_fileset_read(const struct sbom_fileset *fs, size_t i, size_t max, struct ward_buf *out)
{
	const struct sbom_file *f = &fs->files[i];
	char *full;
	struct stat st;
	int fd, rc = -1;

	if (f->type != SBOM_REG)
		return ward_err(WARD_EINPUT, "/%s: not a regular file", f->path);
	if (f->size > max)
		return ward_err(WARD_EINPUT, "/%s: too large (%ju bytes, limit %zu)", f->path,
				(uintmax_t)f->size, max);
	if (fs->root == NULL)
		return fileset_image_read(fs, i, max, out);
	if ((full = ward_path_join(fs->root, f->path)) == NULL)
		return -1;
	fd = ward_input_openat(AT_FDCWD, full, WARD_IN_NOFOLLOW, full, NULL); /* no FIFO */
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		ward_err(WARD_EINPUT, "%s: changed while reading", full);
		goto out;
	}
	if (ward_buf_reserve(out, (size_t)st.st_size + 1) != 0)
		goto out;
	for (size_t got = 0; got < (size_t)st.st_size;) {
		ssize_t n = ward_fd_read(fd, out->data + out->len, (size_t)st.st_size - got, full);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		got += (size_t)n;
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(full);
	return rc;
}

size_t
fileset_lower_bound(const struct sbom_fileset *fs, const char *prefix)
{
	size_t lo = 0, hi = fs->n;

	prefix = fileset_norm(prefix);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(fs->files[mid].path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
fileset_is_elf(const struct sbom_fileset *fs, size_t i)
{
	unsigned char magic[4];
	char *full;
	int fd, yes = 0;

	if (fs->files[i].type != SBOM_REG || fs->files[i].size < 16)
		return 0;
	if (fs->root == NULL)
		return fileset_image_is_elf(fs, i);
	if ((full = ward_path_join(fs->root, fs->files[i].path)) == NULL)
		return 0;
	fd = ward_input_openat(AT_FDCWD, full, WARD_IN_NOFOLLOW, full, NULL); /* no FIFO */
	if (fd >= 0) {
		yes = pread(fd, magic, 4, 0) == 4 && memcmp(magic, "\177ELF", 4) == 0;
		close(fd);
	} else
		ward_err_clear(); /* not an ELF file, as before */
	free(full);
	return yes;
}

char *
fileset_content_path(const struct sbom_fileset *fs, size_t i)
{
	if (fs->root == NULL)
		return fileset_image_content_path(fs, i);
	return ward_path_join(fs->root, fs->files[i].path);
}

int
fileset_fetch(struct sbom_fileset *fs, const size_t *idx, size_t n)
{
	return fs->root == NULL && n > 0 ? fileset_image_fetch(fs, idx, n) : 0;
}
