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
	char root_real[PATH_MAX]; /* where links may point without a warning */
	const struct ward_strv *ignores;
	int allow_symlinks;
	struct oms_file *files;
	size_t n, cap;
	struct {
		dev_t dev;
		ino_t ino;
	} stack[OMS_MAX_DEPTH + 2]; /* the directories being walked, outermost first */
};

/* A strict UTF-8 check (no overlong forms, surrogates or values past
 * U+10FFFF): OMS manifests name files in UTF-8 JSON strings. */
static int
utf8_ok(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, len, cp;
		if (c < 0x80) {
			s++;
			continue;
		}
		len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (len == 0 || c > 0xf4)
			return 0;
		cp = c & (0x7f >> len);
		for (unsigned i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += len;
	}
	return 1;
}

/* name with bytes that are not printable ASCII as \xNN, for messages. */
static void
escaped(const char *name, char *out, size_t cap)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < cap; p++)
		o += (size_t)snprintf(out + o, cap - o, *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02x",
				      *p);
	out[o] = '\0';
}

/* Where a followed link leads, when that is outside the model: a warning
 * (OMS v1.0 §6.1.1), since the signature then covers files the model's
 * owner may not control. */
static void
warn_outside(const struct walk *w, const char *full)
{
	char real[PATH_MAX];
	size_t n = strlen(w->root_real);

	if (realpath(full, real) == NULL || w->root_real[0] == '\0')
		return;
	if (strncmp(real, w->root_real, n) == 0 && (real[n] == '/' || real[n] == '\0'))
		return;
	ward_warn("%s: symbolic link to %s, outside the model (OMS v1.0 section 6.1.1): the "
		  "signature covers a file the model does not contain",
		  full, real);
}

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
	/* A directory that is one of its own ancestors: a link cycle. */
	struct stat ds;
	if (fstat(dirfd(d), &ds) == 0) {
		for (int i = 0; i < depth; i++)
			if (w->stack[i].dev == ds.st_dev && w->stack[i].ino == ds.st_ino) {
				closedir(d);
				rc = ward_err(WARD_EINPUT,
					      "%s: symbolic link cycle (a directory that contains "
					      "itself)",
					      dirpath);
				free(dirpath);
				return rc;
			}
		w->stack[depth].dev = ds.st_dev;
		w->stack[depth].ino = ds.st_ino;
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
		if (!utf8_ok((const unsigned char *)de->d_name)) {
			char name[1024];
			escaped(de->d_name, name, sizeof(name));
			rc = ward_err(
				WARD_EINPUT,
				"%s/%s: file name is not valid UTF-8 (OMS names every file in "
				"UTF-8); rename it or leave it out with --ignore-path",
				dirpath, name);
			free(child);
			break;
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
				rc = errno == ELOOP ? ward_err(WARD_EINPUT,
							       "%s: symbolic link cycle (it "
							       "resolves to itself)",
							       full)
						    : ward_err_io(full, "broken symbolic link");
			else
				warn_outside(w, full);
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
	if (realpath(model, w.root_real) == NULL)
		w.root_real[0] = '\0';
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
	if (w.n > 1) /* an empty directory has no array: qsort(NULL, 0) is undefined */
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
