/*
 * outdir.c: the one way a command writes a directory (-o DIR).
 *
 * The new tree is built beside DIR under a locked temporary name and takes
 * DIR's place in one rename (or an exchange with the old tree, which is
 * then removed), so readers see the old or the new tree, never a mix.  A
 * directory is only ever replaced when it is empty or holds nothing but
 * the names this kind of output consists of: `ward sbom -o "$PWD"` must
 * refuse, never erase a project.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

struct ward_outdir {
	char *path;
	char *tmp;
	int fd; /* open on tmp: holds its lock */
	mode_t mode;
	int flags;
	const char *const *own;
};

static int
is_own(const char *name, const char *const *own)
{
	for (size_t i = 0; own != NULL && own[i] != NULL; i++)
		if (strcmp(name, own[i]) == 0)
			return 1;
	return 0;
}

int
ward_outdir_check(const char *path, const char *const *own, int flags)
{
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : ward_err_io(path, "cannot stat");
	if (S_ISLNK(st.st_mode))
		return ward_err(WARD_EINPUT,
				"%s: exists and is a symbolic link; refusing to replace it "
				"(name the directory itself)",
				path);
	if (!S_ISDIR(st.st_mode))
		return ward_err(WARD_EINPUT, "%s: exists and is not a directory", path);
	if (flags & WARD_OUTDIR_REPLACE)
		return 0;
	if ((d = opendir(path)) == NULL)
		return ward_err_io(path, "cannot read directory");
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    is_own(de->d_name, own))
			continue;
		rc = ward_err(WARD_EINPUT,
			      "%s: exists and holds \"%s\", which this command does not write; "
			      "refusing to replace a directory it did not create (remove it or "
			      "choose another output)",
			      path, de->d_name);
	}
	closedir(d);
	return rc;
}

struct ward_outdir *
ward_outdir_begin(const char *path, const char *const *own, mode_t mode, int flags)
{
	struct ward_outdir *o;
	size_t len = strlen(path);
	char *parent = NULL;

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 0) {
		ward_err(WARD_EINPUT, "output directory: empty path");
		return NULL;
	}
	if ((o = ward_calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->fd = -1;
	o->mode = mode;
	o->flags = flags;
	o->own = own;
	if ((o->path = ward_strndup(path, len)) == NULL ||
	    ward_outdir_check(o->path, own, flags) != 0 ||
	    (parent = ward_dirname(o->path)) == NULL || ward_mkdir_p(parent, 0755) != 0)
		goto fail;
	ward_remove_stale_siblings(o->path);
	if ((o->fd = ward_tmp_mkdir(o->path, &o->tmp)) < 0)
		goto fail;
	free(parent);
	return o;
fail:
	free(parent);
	ward_outdir_abort(o);
	return NULL;
}

const char *
ward_outdir_tmp(const struct ward_outdir *o)
{
	return o->tmp;
}

int
ward_outdir_fd(const struct ward_outdir *o)
{
	return o->fd;
}

int
ward_outdir_commit(struct ward_outdir *o)
{
	char *parent = NULL, *marker = NULL;
	int rc = -1;

	if (fchmod(o->fd, o->mode) != 0) {
		ward_err_io(o->tmp, "cannot chmod");
		goto out;
	}
	if (ward_fsync_dir(o->tmp) != 0 || ward_outdir_check(o->path, o->own, o->flags) != 0)
		goto out;
	if (rename(o->tmp, o->path) != 0) {
		if (errno != ENOTEMPTY && errno != EEXIST)
			goto io;
		/* Swap old and new in one step; the old tree first loses its
		 * marker (own[0]), so a removal cut short never leaves a tree
		 * that looks whole; then it goes. */
		if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_EXCHANGE) != 0)
			goto io;
		if (o->own != NULL && o->own[0] != NULL) {
			if ((marker = ward_path_join(o->tmp, o->own[0])) == NULL ||
			    ward_rm_rf(marker) != 0 || ward_fsync_dir(o->tmp) != 0)
				goto out;
		}
		if (ward_rm_rf(o->tmp) != 0)
			goto out;
	}
	free(o->tmp);
	o->tmp = NULL; /* it is the output now */
	if ((parent = ward_dirname(o->path)) == NULL || ward_fsync_dir(parent) != 0)
		goto out;
	rc = 0;
	goto out;
io:
	ward_err_io(o->path, "cannot rename into place");
out:
	free(parent);
	free(marker);
	ward_outdir_abort(o);
	return rc;
}

void
ward_outdir_abort(struct ward_outdir *o)
{
	if (o == NULL)
		return;
	if (o->tmp != NULL) {
		struct ward_error saved;
		ward_err_save(&saved);
		ward_rm_rf(o->tmp);
		ward_err_restore(&saved);
	}
	if (o->fd >= 0)
		close(o->fd);
	free(o->tmp);
	free(o->path);
	free(o);
}
