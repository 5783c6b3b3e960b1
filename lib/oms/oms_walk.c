/*
 * oms_walk.c: enumerate a model's files the way the OMS reference signer
 * does (regular files, POSIX relative names, sorted by path components),
 * and turn them into hash jobs for the files or shards method.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oms/oms_internal.h"

#define OMS_MAX_FILES 1000000
#define OMS_MAX_DEPTH 64

static const char *default_ignores[] = {".git", ".gitignore", ".gitattributes", ".github"};

int
oms_path_cmp(const char *a, const char *b)
{
	/* Component-wise order: '/' sorts before every other byte. */
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x == y) {
			if (x == '\0')
				return 0;
			continue;
		}
		if (x == '\0')
			return -1;
		if (y == '\0')
			return 1;
		if (x == '/')
			return -1;
		if (y == '/')
			return 1;
		return x < y ? -1 : 1;
	}
}

static int
ignored(const char *rel, const struct ward_strv *ignores)
{
	for (size_t i = 0; i < ignores->n; i++) {
		size_t n = strlen(ignores->v[i]);
		if (strncmp(rel, ignores->v[i], n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	return 0;
}

/* Make an ignore path relative to the model root: absolute or
 * "model/…"-style paths are cut down, anything else already is relative. */
static char *
relative_to_model(const char *model, const char *path)
{
	char rmodel[PATH_MAX], rpath[PATH_MAX];
	size_t mlen = strlen(model);
	const char *p = path;

	while (mlen > 1 && model[mlen - 1] == '/')
		mlen--;
	while (ward_str_startswith(p, "./"))
		p += 2;
	if (strncmp(p, model, mlen) == 0 && p[mlen] == '/')
		return ward_strdup(p + mlen + 1);
	if (realpath(model, rmodel) != NULL) {
		size_t rlen = strlen(rmodel);
		/* The path may not exist: resolve its directory part only. */
		if (realpath(path, rpath) != NULL && strncmp(rpath, rmodel, rlen) == 0 &&
		    rpath[rlen] == '/')
			return ward_strdup(rpath + rlen + 1);
		if (strncmp(path, rmodel, rlen) == 0 && path[rlen] == '/')
			return ward_strdup(path + rlen + 1);
	}
	if (*p == '/')
		return NULL; /* outside the model: nothing to ignore */
	return ward_strdup(p);
}

int
oms_ignores(const char *model, int is_file, const char *sig_path, const struct ward_strv *extra,
	    const json_t *recorded, struct ward_strv *out)
{
	const json_t *v;
	size_t i;
	char *rel;

	if (is_file)
		return 0; /* a single-file model has nothing to leave out */
	for (i = 0; i < sizeof(default_ignores) / sizeof(*default_ignores); i++)
		if (ward_strv_push(out, default_ignores[i]) != 0)
			return -1;
	if (sig_path != NULL && (rel = relative_to_model(model, sig_path)) != NULL)
		if (ward_strv_push_owned(out, rel) != 0)
			return -1;
	for (i = 0; extra != NULL && i < extra->n; i++)
		if ((rel = relative_to_model(model, extra->v[i])) != NULL)
			if (ward_strv_push_owned(out, rel) != 0)
				return -1;
	json_array_foreach(recorded, i, v)
	{
		if (!json_is_string(v))
			return ward_err(WARD_EINPUT, "ignore_paths holds a non-string");
		if (ward_strv_push(out, json_string_value(v)) != 0)
			return -1;
	}
	return 0;
}

struct walk {
	const char *root;
	const struct ward_strv *ignores;
	int allow_symlinks;
	struct oms_file *files;
	size_t n, cap;
};

static int
add_file(struct walk *w, const char *rel, uint64_t size, int is_link)
{
	char real[PATH_MAX];

	struct oms_file *f;

	if (w->n >= OMS_MAX_FILES)
		return ward_err(WARD_EINPUT, "%s: more than %d files", w->root, OMS_MAX_FILES);
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		f = ward_realloc(w->files, cap * sizeof(*f));
		if (f == NULL)
			return -1;
		w->files = f;
		w->cap = cap;
	}
	f = &w->files[w->n];
	f->rel = ward_strdup(rel);
	f->path = ward_path_join(w->root, rel);
	f->size = size;
	/* An allowed symlink is hashed through its resolved target, so the
	 * hasher can keep refusing links (O_NOFOLLOW) everywhere else. */
	if (is_link && f->path != NULL) {
		if (realpath(f->path, real) == NULL) {
			free(f->rel);
			free(f->path);
			return ward_err_io(rel, "cannot resolve symbolic link");
		}
		free(f->path);
		f->path = ward_strdup(real);
	}
	if (f->rel == NULL || f->path == NULL) {
		free(f->rel);
		free(f->path);
		return -1;
	}
	w->n++;
	return 0;
}

static int
walk_dir(struct walk *w, const char *rel, int depth)
{
	char *dirpath = rel[0] ? ward_path_join(w->root, rel) : ward_strdup(w->root);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (dirpath == NULL)
		return -1;
	if (depth > OMS_MAX_DEPTH) {
		free(dirpath);
		return ward_err(WARD_EINPUT, "%s: directories nested too deep", w->root);
	}
	d = opendir(dirpath);
	if (d == NULL) {
		rc = ward_err_io(dirpath, "cannot read directory");
		free(dirpath);
		return rc;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		char *child, *full;
		int is_link = 0;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = rel[0] ? ward_asprintf("%s/%s", rel, de->d_name) : ward_strdup(de->d_name);
		if (child == NULL) {
			rc = -1;
			break;
		}
		if (ignored(child, w->ignores)) {
			free(child);
			continue;
		}
		full = ward_path_join(w->root, child);
		if (full == NULL || lstat(full, &st) != 0) {
			rc = full ? ward_err_io(full, "cannot stat") : -1;
		} else if (S_ISLNK(st.st_mode) && !w->allow_symlinks) {
			rc = ward_err(WARD_EVERIFY,
				      "%s: is a symbolic link (not allowed; use "
				      "--allow-symlinks to follow it)",
				      full);
		} else if (S_ISLNK(st.st_mode)) {
			is_link = 1;
			if (stat(full, &st) != 0)
				rc = ward_err_io(full, "broken symbolic link");
		}
		if (rc == 0) {
			if (S_ISDIR(st.st_mode))
				rc = walk_dir(w, child, depth + 1);
			else if (S_ISREG(st.st_mode))
				rc = add_file(w, child, (uint64_t)st.st_size, is_link);
			else
				rc = ward_err(WARD_EINPUT, "%s: not a regular file or directory",
					      full);
		}
		free(full);
		free(child);
	}
	if (rc == 0 && errno != 0)
		rc = ward_err_io(dirpath, "cannot read directory");
	closedir(d);
	free(dirpath);
	return rc;
}

static int
file_cmp(const void *a, const void *b)
{
	return oms_path_cmp(((const struct oms_file *)a)->rel, ((const struct oms_file *)b)->rel);
}

int
oms_walk(const char *model, const struct ward_strv *ignores, int allow_symlinks,
	 struct oms_file **files, size_t *n, int *is_file)
{
	struct walk w = {.root = model, .ignores = ignores, .allow_symlinks = allow_symlinks};
	struct stat st;

	*files = NULL;
	*n = 0;
	if (lstat(model, &st) != 0)
		return ward_err_io(model, "cannot open model");
	if (S_ISLNK(st.st_mode) && (!allow_symlinks || stat(model, &st) != 0))
		return ward_err(WARD_EINPUT, "%s: model path is a symbolic link", model);
	*is_file = S_ISREG(st.st_mode);
	if (S_ISREG(st.st_mode)) {
		w.files = ward_calloc(1, sizeof(*w.files));
		if (w.files == NULL)
			return -1;
		char real[PATH_MAX];
		w.files[0].rel = ward_strdup(".");
		w.files[0].path = ward_strdup(realpath(model, real) ? real : model);
		w.files[0].size = (uint64_t)st.st_size;
		w.n = 1;
	} else if (!S_ISDIR(st.st_mode)) {
		return ward_err(WARD_EINPUT, "%s: not a file or directory", model);
	} else if (walk_dir(&w, "", 0) != 0) {
		oms_files_free(w.files, w.n);
		return -1;
	}
	qsort(w.files, w.n, sizeof(*w.files), file_cmp);
	*files = w.files;
	*n = w.n;
	return 0;
}

void
oms_files_free(struct oms_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(files[i].rel);
		free(files[i].path);
	}
	free(files);
}

int
oms_make_jobs(const struct oms_file *files, size_t n, int method, uint64_t shard_size,
	      struct oms_job **jobs, size_t *njobs)
{
	size_t count = 0, k = 0;
	struct oms_job *j;

	for (size_t i = 0; i < n; i++) {
		if (method == OMS_FILES)
			count++;
		else
			count += (size_t)((files[i].size + shard_size - 1) / shard_size);
	}
	j = ward_calloc(count ? count : 1, sizeof(*j));
	if (j == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (method == OMS_FILES) {
			j[k].name = ward_strdup(files[i].rel);
			j[k].job.path = files[i].path;
			j[k].job.offset = 0;
			j[k].job.length = files[i].size;
			if (j[k++].name == NULL)
				goto fail;
			continue;
		}
		/* Shards: zero-byte files have no shard and are omitted. */
		for (uint64_t off = 0; off < files[i].size; off += shard_size) {
			uint64_t end =
				files[i].size - off > shard_size ? off + shard_size : files[i].size;
			j[k].name = ward_asprintf("%s:%ju:%ju", files[i].rel, (uintmax_t)off,
						  (uintmax_t)end);
			j[k].job.path = files[i].path;
			j[k].job.offset = off;
			j[k].job.length = end - off;
			if (j[k++].name == NULL)
				goto fail;
		}
	}
	*jobs = j;
	*njobs = count;
	return 0;
fail:
	oms_jobs_free(j, k);
	return -1;
}

void
oms_jobs_free(struct oms_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(jobs[i].name);
	free(jobs);
}

int
oms_hash_jobs(struct oms_job *jobs, size_t n, int threads, struct ward_progress *progress,
	      struct hasher_stats *stats)
{
	struct hash_job *hj = ward_calloc(n ? n : 1, sizeof(*hj));
	uint64_t total = 0;
	int rc;

	if (hj == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		hj[i] = jobs[i].job;
		total += jobs[i].job.length;
	}
	ward_progress_set_total(progress, total);
	rc = hasher_run(hj, n, threads, progress, stats);
	for (size_t i = 0; i < n; i++)
		jobs[i].job = hj[i];
	free(hj);
	return rc;
}
