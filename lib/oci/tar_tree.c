/*
 * tar_tree.c: sorting in tar order, and packing a directory tree with
 * normalised metadata (hard links detected by inode, written as '1').
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"

static int
cmp_strp(const void *a, const void *b)
{
	return tar_path_cmp(*(char *const *)a, *(char *const *)b);
}

void
tar_sort_strv(struct ward_strv *sv)
{
	if (sv->n > 1)
		ward_qsort(sv->v, sv->n, sizeof(*sv->v), cmp_strp);
}

/* ------------------------------------------------------------ tree walk */

struct inode_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct tree {
	struct tar_writer *w;
	const struct tar_tree_opts *o;
	struct inode_seen *seen;
	size_t nseen, capseen;
	unsigned depth;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *
linked_before(struct tree *t, const struct stat *st)
{
	for (size_t i = 0; i < t->nseen; i++)
		if (t->seen[i].dev == st->st_dev && t->seen[i].ino == st->st_ino)
			return t->seen[i].path;
	return NULL;
}

static int
remember_inode(struct tree *t, const struct stat *st, const char *path)
{
	if (ward_vec_reserve(&t->seen, &t->capseen, t->nseen + 1, sizeof(*t->seen)) != 0)
		return -1;
	t->seen[t->nseen].path = ward_strdup(path);
	if (t->seen[t->nseen].path == NULL)
		return -1;
	t->seen[t->nseen].dev = st->st_dev;
	t->seen[t->nseen].ino = st->st_ino;
	t->nseen++;
	return 0;
}

static void
meta_of(const struct tree *t, const struct stat *st, struct tar_meta *m)
{
	m->mode = st->st_mode & 07777;
	if (t->o->keep_owner) {
		m->uid = st->st_uid;
		m->gid = st->st_gid;
		m->uname = m->gname = NULL;
	} else {
		m->uid = t->o->uid;
		m->gid = t->o->gid;
		m->uname = t->o->uname;
		m->gname = t->o->gname;
	}
}

static int walk_dir(struct tree *t, int dfd, const char *disk, const char *rel);

static int
add_one(struct tree *t, int dfd, const char *name, const char *disk, const char *rel)
{
	struct stat st;
	struct tar_meta m;
	char *src = ward_path_join(disk, name), *path = NULL;
	int rc = -1;

	if (src == NULL)
		return -1;
	path = *rel ? ward_path_join(rel, name) : ward_strdup(name);
	if (path == NULL)
		goto out;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		ward_err_io(src, "cannot stat");
		goto out;
	}
	meta_of(t, &st, &m);
	if (S_ISDIR(st.st_mode)) {
		int sub;
		if (tar_write_dir(t->w, path, &m) != 0)
			goto out;
		sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			ward_err_io(src, "cannot open directory");
			goto out;
		}
		rc = walk_dir(t, sub, src, path);
		close(sub);
		goto out;
	} else if (S_ISREG(st.st_mode)) {
		const char *first = st.st_nlink > 1 ? linked_before(t, &st) : NULL;
		if (first != NULL) {
			rc = tar_write_hardlink(t->w, path, &m, first);
			goto out;
		}
		if (st.st_nlink > 1 && remember_inode(t, &st, path) != 0)
			goto out;
		rc = tar_write_file_path(t->w, path, &m, src);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4097];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target)) {
			ward_err_io(src, "cannot read symlink");
			goto out;
		}
		target[n] = '\0';
		rc = tar_write_symlink(t->w, path, &m, target);
	} else {
		ward_err(WARD_EINPUT, "%s: sockets, devices and fifos are not packed", src);
	}
out:
	free(src);
	free(path);
	return rc;
}

static int
walk_dir(struct tree *t, int dfd, const char *disk, const char *rel)
{
	struct ward_strv names = {0};
	struct dirent *de;
	DIR *d;
	int fd, rc = -1;

	if (++t->depth > 256)
		return ward_err(WARD_EINPUT, "%s: directory tree deeper than 256 levels", disk);
	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ward_err_io(disk, "cannot read directory");
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ward_strv_push(&names, de->d_name) != 0)
			goto out;
	}
	if (errno != 0) {
		ward_err_io(disk, "cannot read directory");
		goto out;
	}
	/* Bytewise order within each directory, depth first = tar_path_cmp. */
	if (names.n > 1)
		ward_qsort(names.v, names.n, sizeof(*names.v), cmp_name);
	for (size_t i = 0; i < names.n; i++)
		if (add_one(t, dfd, names.v[i], disk, rel) != 0)
			goto out;
	rc = 0;
out:
	t->depth--;
	closedir(d);
	ward_strv_free(&names);
	return rc;
}

int
tar_write_tree(struct tar_writer *w, const char *root, const struct tar_tree_opts *o)
{
	static const struct tar_tree_opts defaults = {0};
	struct tree t = {.w = w, .o = o ? o : &defaults};
	const char *prefix = t.o->prefix ? t.o->prefix : "";
	int fd, rc;

	if (*prefix && !ward_relpath_ok(prefix))
		return ward_err(WARD_EINPUT, "tar: prefix \"%s\" is not a clean relative path",
				prefix);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_io(root, "cannot open directory");
	rc = walk_dir(&t, fd, root, prefix);
	close(fd);
	for (size_t i = 0; i < t.nseen; i++)
		free(t.seen[i].path);
	free(t.seen);
	return rc;
}
