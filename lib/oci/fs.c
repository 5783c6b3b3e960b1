/*
 * fs.c: merging layers into one file list, as container engines apply
 * them.  Within a layer, each entry's parent directories are resolved
 * through symlinks of the tree so far, inside the root (an absolute target
 * starts at the root, ".." stops there), exactly as containerd and moby
 * resolve them when extracting; the entry itself replaces what was at its
 * path.  At the end of a layer its whiteouts and opaque markers hide the
 * lower layers' entries (never the layer's own), a non-directory replaces
 * a directory with everything below it, and parents no layer listed are
 * added as implicit directories.  The list stays sorted in tar_path_cmp
 * order, so a subtree is a contiguous range.
 */
#include <stdlib.h>
#include <string.h>

#include "oci_internal.h"

#define MAX_SYMLINK_HOPS 40
#define PATH_BUF 4097 /* PATH_MAX + 1: every merged path fits (merge_entry) */
#define DEFAULT_FS_LIMIT (4u << 20)

static void
entry_free(struct oci_fs_entry *e)
{
	free(e->path);
	free(e->link);
}

void
oci_fs_free(struct oci_fs *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->n; i++)
		entry_free(&fs->v[i]);
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

static size_t
find_index(const struct oci_fs_entry *v, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tar_path_cmp(v[mid].path, path);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

const struct oci_fs_entry *
oci_fs_find(const struct oci_fs *fs, const char *path)
{
	size_t i = find_index(fs->v, fs->n, path);

	return i == SIZE_MAX ? NULL : &fs->v[i];
}

/* ------------------------------------------------------------ the engine */

void
merge_begin(struct merge *m, struct oci_fs *fs, uint32_t layer, const char *what)
{
	memset(m, 0, sizeof(*m));
	m->fs = fs;
	m->layer = layer;
	m->what = what;
}

void
merge_abort(struct merge *m)
{
	for (size_t i = 0; i < m->nadd; i++)
		entry_free(&m->add[i]);
	free(m->add);
	ward_strv_free(&m->wh);
	ward_strv_free(&m->opq);
	ward_strmap_free(&m->seen);
	ward_strmap_free(&m->whmap);
	ward_strmap_free(&m->opqmap);
	memset(m, 0, sizeof(*m));
}

/* Is a lower-layer entry at path hidden by this layer's whiteouts so far? */
static int
lower_hidden(const struct merge *m, const char *path)
{
	char buf[4097];
	size_t len = strlen(path);

	if (ward_strmap_get(&m->opqmap, "", NULL))
		return 1;
	if (ward_strmap_get(&m->whmap, path, NULL))
		return 1;
	if (len >= sizeof(buf))
		return 1; /* never reached (merge_entry); closed, not open */
	memcpy(buf, path, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (ward_strmap_get(&m->whmap, buf, NULL) || ward_strmap_get(&m->opqmap, buf, NULL))
			return 1;
		buf[i] = '/';
	}
	return 0;
}

/* The entry at path as this layer sees the tree now. */
static const struct oci_fs_entry *
lookup(const struct merge *m, const char *path)
{
	size_t i;

	if (ward_strmap_get(&m->seen, path, &i))
		return &m->add[i];
	if (lower_hidden(m, path))
		return NULL;
	return oci_fs_find(m->fs, path);
}

int
merge_added(const struct merge *m, const char *path)
{
	return ward_strmap_get(&m->seen, path, NULL);
}

/* Resolve symlinks among the parents of path (and path itself when
 * follow_last), inside the root.  *out is owned by the caller. */
static int
resolve(const struct merge *m, const char *path, int follow_last, char **out)
{
	char *cur = ward_strdup(path);
	int hops = 0;

	*out = NULL;
	if (cur == NULL)
		return -1;
restart:
	for (char *s = cur;; s++) {
		const struct oci_fs_entry *e;
		char saved = *s;
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '\0' && !follow_last)
			break;
		*s = '\0';
		e = *cur ? lookup(m, cur) : NULL;
		if (e != NULL && e->type == OCI_ENTRY_SYMLINK) {
			const char *slash = strrchr(cur, '/');
			int plen = slash ? (int)(slash - cur) : 0;
			char *joined, *next;
			if (++hops > MAX_SYMLINK_HOPS) {
				ward_err(WARD_EINPUT, "%s: %s: too many levels of symbolic links",
					 m->what, path);
				goto fail;
			}
			joined = ward_asprintf("%.*s/%s/%s", e->link[0] == '/' ? 0 : plen, cur,
					       e->link, saved ? s + 1 : "");
			next = joined ? oci_path_clamp(joined) : NULL;
			free(joined);
			if (next == NULL)
				goto fail;
			free(cur);
			cur = next;
			goto restart;
		}
		if (e != NULL && e->type != OCI_ENTRY_DIR && (saved || follow_last)) {
			if (saved == '\0')
				break; /* the last component of an opaque dir: not a dir */
			ward_err(WARD_EINPUT, "%s: %s is below %s, which is not a directory",
				 m->what, path, cur);
			goto fail;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	*out = cur;
	return 0;
fail:
	free(cur);
	return -1;
}

int
merge_entry(struct merge *m, const struct oci_entry *e, struct oci_fs_entry *out)
{
	struct oci_fs_entry a = {0};
	uint64_t limit = m->fs->limit ? m->fs->limit : DEFAULT_FS_LIMIT;
	char *rp = NULL;

	memset(out, 0, sizeof(*out));
	if (e->type == OCI_ENTRY_OPAQUE && *e->path == '\0') {
		rp = ward_strdup("");
	} else if (resolve(m, e->path, e->type == OCI_ENTRY_OPAQUE, &rp) != 0) {
		return -1;
	} else if (*rp == '\0') {
		free(rp);
		return ward_err(WARD_EINPUT, "%s: %s resolves to the root", m->what, e->path);
	}
	if (rp == NULL)
		return -1;
	/* Symlinks can make a resolved path longer than any name in the layer:
	 * past PATH_MAX it is refused, so that every later check (hidden?
	 * replaced?) sees the whole path -- never "not hidden" by default. */
	if (strlen(rp) >= PATH_BUF) {
		ward_err(WARD_EINPUT, "%s: %.200s...: resolves to a path over %d bytes", m->what,
			 e->path, PATH_BUF - 1);
		free(rp);
		return -1;
	}
	if (e->type == OCI_ENTRY_WHITEOUT || e->type == OCI_ENTRY_OPAQUE) {
		struct ward_strv *sv = e->type == OCI_ENTRY_WHITEOUT ? &m->wh : &m->opq;
		struct ward_strmap *map = e->type == OCI_ENTRY_WHITEOUT ? &m->whmap : &m->opqmap;
		if (ward_strv_push_owned(sv, rp) != 0) {
			free(rp);
			return -1;
		}
		if (ward_strmap_put(map, sv->v[sv->n - 1], 0) != 0)
			return -1;
		out->path = sv->v[sv->n - 1];
		out->type = e->type;
		out->layer = m->layer;
		out->ordinal = e->ordinal;
		return 0;
	}
	a.path = rp;
	a.type = e->type;
	a.mode = e->mode;
	a.uid = e->uid;
	a.gid = e->gid;
	a.size = e->size;
	a.mtime = e->mtime;
	a.layer = m->layer;
	a.ordinal = e->ordinal;
	a.caps = e->caps;
	a.devmajor = e->devmajor;
	a.devminor = e->devminor;
	if (e->type == OCI_ENTRY_HARDLINK) {
		if (resolve(m, e->link, 0, &a.link) != 0)
			goto fail;
		if (strlen(a.link) >= PATH_BUF) {
			ward_err(WARD_EINPUT,
				 "%s: %.200s: hard link target resolves to a path over "
				 "%d bytes",
				 m->what, e->path, PATH_BUF - 1);
			goto fail;
		}
		if (*a.link == '\0') {
			ward_err(WARD_EINPUT, "%s: %s: hard link to the root", m->what, e->path);
			goto fail;
		}
	} else if (e->link != NULL && (a.link = ward_strdup(e->link)) == NULL) {
		goto fail;
	}
	if (m->nadd + m->fs->n >= limit) {
		ward_err(WARD_EINPUT, "%s: more than %ju files", m->what, (uintmax_t)limit);
		goto fail;
	}
	if (ward_vec_reserve(&m->add, &m->capadd, m->nadd + 1, sizeof(*m->add)) != 0)
		goto fail;
	m->add[m->nadd++] = a; /* owned by m now: merge_abort frees it */
	if (ward_strmap_put(&m->seen, a.path, m->nadd - 1) != 0)
		return -1;
	*out = a;
	return 0;
fail:
	entry_free(&a);
	return -1;
}

static int
cmp_add(const void *x, const void *y)
{
	const struct oci_fs_entry *a = x, *b = y;
	int c = tar_path_cmp(a->path, b->path);

	if (c)
		return c;
	return a->ordinal < b->ordinal ? -1 : a->ordinal > b->ordinal;
}

static int
cmp_entry(const void *x, const void *y)
{
	return tar_path_cmp(((const struct oci_fs_entry *)x)->path,
			    ((const struct oci_fs_entry *)y)->path);
}

/* Does an entry of this layer that is not a directory sit above path? */
static int
replaced_by_nondir(const struct merge *m, const char *path)
{
	char buf[PATH_BUF];
	size_t len = strlen(path), i;

	if (len >= sizeof(buf))
		return 1; /* never reached (merge_entry); closed, not open */
	memcpy(buf, path, len + 1);
	for (size_t k = 0; k < len; k++) {
		if (buf[k] != '/')
			continue;
		buf[k] = '\0';
		if (ward_strmap_get(&m->seen, buf, &i) && m->add[i].type != OCI_ENTRY_DIR)
			return 1;
		buf[k] = '/';
	}
	return 0;
}

static int
push(struct oci_fs_entry **v, size_t *n, size_t *cap, const struct oci_fs_entry *e)
{
	if (ward_vec_reserve(v, cap, *n + 1, sizeof(**v)) != 0)
		return -1;
	(*v)[(*n)++] = *e;
	return 0;
}

int
merge_end(struct merge *m)
{
	struct oci_fs_entry *nv = NULL, *imp = NULL;
	size_t nn = 0, ncap = 0, nimp = 0, capimp = 0, w = 0;
	struct ward_strmap impmap = {0};
	struct oci_fs *fs = m->fs;
	int rc = -1;

	/* One entry per path: the last one in the layer wins. */
	if (m->nadd > 1)
		ward_qsort(m->add, m->nadd, sizeof(*m->add), cmp_add);
	for (size_t i = 0; i < m->nadd; i++) {
		if (i + 1 < m->nadd && tar_path_cmp(m->add[i].path, m->add[i + 1].path) == 0) {
			entry_free(&m->add[i]);
			continue;
		}
		m->add[w++] = m->add[i];
	}
	m->nadd = w;
	ward_strmap_clear(&m->seen);
	for (size_t i = 0; i < m->nadd; i++)
		if (ward_strmap_put(&m->seen, m->add[i].path, i) != 0)
			goto out;
	/* The lower entries that stay. */
	w = 0;
	for (size_t i = 0; i < fs->n; i++) {
		struct oci_fs_entry *e = &fs->v[i];
		if (lower_hidden(m, e->path) || ward_strmap_get(&m->seen, e->path, NULL) ||
		    replaced_by_nondir(m, e->path)) {
			entry_free(e);
			continue;
		}
		fs->v[w++] = *e;
	}
	fs->n = w;
	/* Parents that no layer listed. */
	for (size_t i = 0; i < m->nadd; i++) {
		char *p = m->add[i].path;
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			struct oci_fs_entry d = {0};
			*s = '\0';
			if (ward_strmap_get(&m->seen, p, NULL) ||
			    ward_strmap_get(&impmap, p, NULL) ||
			    find_index(fs->v, fs->n, p) != SIZE_MAX) {
				*s = '/';
				continue;
			}
			d.path = ward_strdup(p);
			*s = '/';
			if (d.path == NULL)
				goto out;
			d.type = OCI_ENTRY_DIR;
			d.mode = 0755;
			d.layer = m->layer;
			d.implicit = 1;
			d.mtime = m->add[i].mtime;
			if (push(&imp, &nimp, &capimp, &d) != 0) {
				free(d.path);
				goto out;
			}
			if (ward_strmap_put(&impmap, imp[nimp - 1].path, 0) != 0)
				goto out;
		}
	}
	/* lower + this layer + implicit parents, sorted again */
	ncap = fs->n + m->nadd + nimp;
	if (ncap > 0 && (nv = ward_reallocarray(NULL, ncap, sizeof(*nv))) == NULL)
		goto out;
	if (fs->n)
		memcpy(nv, fs->v, fs->n * sizeof(*nv));
	if (m->nadd)
		memcpy(nv + fs->n, m->add, m->nadd * sizeof(*nv));
	if (nimp)
		memcpy(nv + fs->n + m->nadd, imp, nimp * sizeof(*nv));
	nn = ncap;
	if (nn > 1)
		ward_qsort(nv, nn, sizeof(*nv), cmp_entry);
	free(fs->v);
	fs->v = nv;
	fs->n = fs->cap = nn;
	free(m->add);
	m->add = NULL;
	m->nadd = 0;
	free(imp);
	imp = NULL;
	nimp = 0;
	rc = 0;
out:
	for (size_t i = 0; i < nimp; i++)
		free(imp[i].path);
	free(imp);
	ward_strmap_free(&impmap);
	merge_abort(m);
	return rc;
}

/* ------------------------------------------------------------ whole images */

int
oci_fs_apply_layer(struct oci_fs *fs, struct oci_layer_reader *r, uint32_t layer)
{
	struct merge m;
	const struct oci_entry *e;
	struct oci_fs_entry got;
	int rc;

	merge_begin(&m, fs, layer, "layer");
	while ((rc = oci_layer_next(r, &e)) == 1)
		if (merge_entry(&m, e, &got) != 0) {
			merge_abort(&m);
			return -1;
		}
	if (rc != 0) {
		merge_abort(&m);
		return -1;
	}
	return merge_end(&m);
}

int
oci_layers_merge(struct oci_image *img, struct oci_fs *fs, oci_merge_fn fn, void *ctx)
{
	for (size_t i = 0; i < img->nlayers; i++) {
		struct oci_layer_reader *r = oci_layer_open(img, i);
		const struct oci_entry *e;
		struct oci_fs_entry got;
		struct merge m;
		char what[300];
		int rc;

		if (r == NULL)
			return -1;
		snprintf(what, sizeof(what), "%s: layer %zu", img->path, i);
		merge_begin(&m, fs, (uint32_t)i, what);
		while ((rc = oci_layer_next(r, &e)) == 1) {
			if (merge_entry(&m, e, &got) != 0 || (fn && fn(ctx, &m, &got, r) != 0)) {
				rc = -1;
				break;
			}
		}
		oci_layer_close(r);
		if (rc != 0) {
			merge_abort(&m);
			return -1;
		}
		if (merge_end(&m) != 0)
			return -1;
	}
	return 0;
}

struct scan_visit {
	oci_walk_fn fn;
	void *ctx;
};

static int
scan_visit(void *arg, struct merge *m, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	const struct scan_visit *v = arg;

	(void)m;
	return v->fn(v->ctx, e, r);
}

int
oci_image_scan(struct oci_image *img, struct oci_fs *fs, oci_walk_fn fn, void *ctx)
{
	struct scan_visit v = {.fn = fn, .ctx = ctx};

	return oci_layers_merge(img, fs, fn ? scan_visit : NULL, &v);
}

int
oci_image_list(struct oci_image *img, struct oci_fs *fs)
{
	return oci_layers_merge(img, fs, NULL, NULL);
}

static int
cmp_ordinal(const void *x, const void *y, void *arg)
{
	const struct oci_fs *fs = arg;
	uint64_t a = fs->v[*(const size_t *)x].ordinal, b = fs->v[*(const size_t *)y].ordinal;

	return a < b ? -1 : a > b;
}

/* Second pass: visit the survivors, in layer order, with their contents.
 * Entries are matched by (layer, ordinal), so no path is resolved twice. */
int
oci_image_walk(struct oci_image *img, const struct oci_fs *fs, oci_walk_fn fn, void *ctx)
{
	size_t *idx = NULL;
	int rc = 0;

	if (fs->n > 0 && (idx = ward_reallocarray(NULL, fs->n, sizeof(*idx))) == NULL)
		return -1;
	for (size_t l = 0; l < img->nlayers && rc == 0; l++) {
		struct oci_layer_reader *r;
		const struct oci_entry *e;
		size_t n = 0, k = 0;

		for (size_t i = 0; i < fs->n; i++)
			if (fs->v[i].layer == l && !fs->v[i].implicit)
				idx[n++] = i;
		if (n == 0)
			continue;
		ward_qsort_r(idx, n, sizeof(*idx), cmp_ordinal, (void *)fs);
		if ((r = oci_layer_open(img, l)) == NULL) {
			rc = -1;
			break;
		}
		while (k < n && (rc = oci_layer_next(r, &e)) == 1) {
			if (e->ordinal != fs->v[idx[k]].ordinal)
				continue;
			if (fn(ctx, &fs->v[idx[k]], r) != 0) {
				rc = -1;
				break;
			}
			k++;
			if (k == n)
				break;
		}
		/* read to the end so the layer's digests are checked again */
		while (rc == 1)
			rc = oci_layer_next(r, &e);
		if (rc == 0 && k < n)
			rc = ward_err(WARD_EINPUT, "%s: layer %zu changed between two reads",
				      img->path, l);
		oci_layer_close(r);
	}
	free(idx);
	return rc;
}
