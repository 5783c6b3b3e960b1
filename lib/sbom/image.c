/* image.c: the file index of an image, read from its layers through
 * lib/oci in one pass — every regular file hashed as it streams by, the
 * metadata the catalogers read kept in memory — and, on demand, a second
 * pass that copies the few other files they need into a spill directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "sbom/sbom_internal.h"

#define READ_CHUNK (1u << 20)

/* What the first pass learnt about one regular file entry of a layer. */
struct scan_rec {
	uint32_t layer;
	uint64_t ordinal;
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
	uint8_t elf;
	struct ward_buf content; /* kept when the catalogers will read it */
};

struct image_src {
	struct oci_image *img;
	struct oci_fs ofs;
	struct scan_rec *recs; /* in visit order = sorted by (layer, ordinal) */
	size_t nrecs, cap;
	size_t *rec_of;	       /* per fileset file: its record, or SIZE_MAX */
	size_t *ofs_of;	       /* per fileset file: the oci_fs entry holding its data */
	char *spill;	       /* directory of fetched contents, or NULL */
	struct hashpipe *pipe; /* hashes files while the layers are read */
	struct ward_progress *progress;
};

/* Metadata the catalogers read: captured whole during the first pass. */
static size_t
capture_limit(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t dlen = base ? (size_t)(base - path) : 0;

	base = base ? base + 1 : path;
	if (strcmp(path, "var/lib/dpkg/status") == 0 ||
	    (dlen == 21 && strncmp(path, "var/lib/dpkg/status.d", 21) == 0) ||
	    (dlen == 17 && strncmp(path, "var/lib/dpkg/info", 17) == 0 &&
	     (ward_str_endswith(base, ".list") || ward_str_endswith(base, ".md5sums"))))
		return SBOM_MAX_META;
	if (dlen > 10 && strncmp(path + dlen - 10, ".dist-info", 10) == 0 &&
	    (strcmp(base, "METADATA") == 0 || strcmp(base, "RECORD") == 0))
		return strcmp(base, "RECORD") == 0 ? SBOM_MAX_META : SBOM_MAX_SMALL;
	if (dlen > 9 && strncmp(path + dlen - 9, ".egg-info", 9) == 0 &&
	    (strcmp(base, "PKG-INFO") == 0 || strcmp(base, "installed-files.txt") == 0 ||
	     strcmp(base, "requires.txt") == 0))
		return SBOM_MAX_META;
	if (ward_str_endswith(path, ".egg-info"))
		return SBOM_MAX_SMALL;
	if ((strcmp(base, "copyright") == 0 || strcmp(base, "changelog.Debian.gz") == 0 ||
	     strcmp(base, "changelog.gz") == 0) &&
	    strncmp(path, "usr/share/doc/", 14) == 0 && strchr(path + 14, '/') == base - 1)
		return SBOM_MAX_SMALL; /* licenses; backport evidence (lib/vuln) */
	if (strcmp(path, "etc/os-release") == 0 || strcmp(path, "usr/lib/os-release") == 0 ||
	    strcmp(base, "model.sig") == 0 || strcmp(path, "ward/policy.json") == 0 ||
	    (strncmp(path, "ward/", 5) == 0 && ward_str_endswith(path, ".sig")))
		return SBOM_MAX_SMALL;
	if (strcmp(path, "ward/init") == 0)
		return 64u << 20;
	return 0;
}

static int
scan_visit(void *ctx, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	struct image_src *s = ctx;
	struct scan_rec *rec;
	size_t limit;
	uint64_t got = 0;

	if (e->type != OCI_ENTRY_FILE)
		return 0;
	if (ward_vec_reserve(&s->recs, &s->cap, s->nrecs + 1, sizeof(*s->recs)) != 0)
		return -1;
	rec = &s->recs[s->nrecs++];
	memset(rec, 0, sizeof(*rec));
	rec->layer = e->layer;
	rec->ordinal = e->ordinal;
	limit = capture_limit(e->path);
	if (e->size > limit)
		limit = 0;
	if (e->size == 0)
		hashpipe_push(s->pipe, 0, 1);
	for (;;) {
		unsigned char *buf = hashpipe_buffer(s->pipe);
		ssize_t n = oci_layer_read(r, buf, HASHPIPE_CHUNK);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (got == 0 && n >= 4 && memcmp(buf, "\177ELF", 4) == 0)
			rec->elf = 1;
		if (limit && ward_buf_append(&rec->content, buf, (size_t)n) != 0)
			return -1;
		got += (uint64_t)n;
		if (got > e->size)
			break;
		hashpipe_push(s->pipe, (size_t)n, got == e->size);
		ward_progress_add(s->progress, (uint64_t)n);
	}
	if (got != e->size)
		return ward_err(WARD_EINPUT, "%s: layer %u: /%s is %ju bytes, header says %ju",
				s->img->path, e->layer, e->path, (uintmax_t)got,
				(uintmax_t)e->size);
	rec->size = got;
	if (limit && ward_buf_cstr(&rec->content) == NULL)
		return -1;
	return 0;
}

/* The worker's digests, one per record, in the same order. */
static int
collect_digests(struct image_src *s)
{
	uint8_t(*d)[SHA256_LEN] = NULL;
	size_t n = 0;
	struct hashpipe *p = s->pipe;

	s->pipe = NULL;
	if (hashpipe_finish(p, &d, &n) != 0)
		return -1;
	if (n != s->nrecs) {
		free(d);
		return ward_err(WARD_EENV, "%s: %zu files read, %zu hashed", s->img->path, s->nrecs,
				n);
	}
	for (size_t i = 0; i < n; i++)
		memcpy(s->recs[i].sha256, d[i], SHA256_LEN);
	free(d);
	return 0;
}

static ssize_t
find_rec(const struct image_src *s, uint32_t layer, uint64_t ordinal)
{
	size_t lo = 0, hi = s->nrecs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct scan_rec *r = &s->recs[mid];
		if (r->layer == layer && r->ordinal == ordinal)
			return (ssize_t)mid;
		if (r->layer < layer || (r->layer == layer && r->ordinal < ordinal))
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct entry {
	struct sbom_file f;
	size_t rec, ofs;
};

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->f.path, ((const struct entry *)b)->f.path);
}

/* The merged file system as a fileset; hard links become regular files
 * with their target's contents, as they are once unpacked. */
static int
build_fileset(struct sbom_fileset *fs, struct image_src *s)
{
	struct entry *v = ward_calloc(s->ofs.n + 1, sizeof(*v));
	size_t n = 0;
	int rc = -1;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < s->ofs.n; i++) {
		const struct oci_fs_entry *e = &s->ofs.v[i], *src = e;
		struct sbom_file *f = &v[n].f;
		ssize_t rec;

		if (e->path == NULL || *e->path == '\0')
			continue;
		f->mode = e->mode & 07777;
		f->uid = (uint32_t)e->uid;
		f->gid = (uint32_t)e->gid;
		f->mtime = e->mtime;
		f->layer = (int32_t)e->layer;
		f->owner = -1;
		v[n].rec = SIZE_MAX;
		v[n].ofs = i;
		switch (e->type) {
		case OCI_ENTRY_HARDLINK:
			src = e->link ? oci_fs_find(&s->ofs, e->link) : NULL;
			if (src == NULL || src->type != OCI_ENTRY_FILE) {
				ward_err(WARD_EINPUT,
					 "%s: /%s: hard link to /%s, which is not a "
					 "regular file of the image",
					 s->img->path, e->path, e->link ? e->link : "");
				goto out;
			}
			__attribute__((fallthrough));
		case OCI_ENTRY_FILE:
			if ((rec = find_rec(s, src->layer, src->ordinal)) < 0) {
				ward_err(WARD_EINPUT, "%s: /%s: contents not seen", s->img->path,
					 e->path);
				goto out;
			}
			f->type = SBOM_REG;
			f->size = s->recs[rec].size;
			f->hashed = 1;
			memcpy(f->sha256, s->recs[rec].sha256, SHA256_LEN);
			v[n].rec = (size_t)rec;
			v[n].ofs = (size_t)(src - s->ofs.v);
			break;
		case OCI_ENTRY_DIR:
			f->type = SBOM_DIR;
			break;
		case OCI_ENTRY_SYMLINK:
			f->type = SBOM_SYMLINK;
			if ((f->link = ward_strdup(e->link ? e->link : "")) == NULL)
				goto out;
			break;
		case OCI_ENTRY_CHAR:
		case OCI_ENTRY_BLOCK:
			f->type = e->type == OCI_ENTRY_CHAR ? SBOM_CHAR : SBOM_BLOCK;
			f->dev_major = e->devmajor;
			f->dev_minor = e->devminor;
			break;
		case OCI_ENTRY_FIFO:
			f->type = SBOM_FIFO;
			break;
		default:
			continue;
		}
		if ((f->path = ward_strdup(e->path)) == NULL) {
			free(f->link);
			goto out;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	if ((fs->files = ward_calloc(n + 1, sizeof(*fs->files))) == NULL ||
	    (s->rec_of = ward_calloc(n + 1, sizeof(size_t))) == NULL ||
	    (s->ofs_of = ward_calloc(n + 1, sizeof(size_t))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		fs->files[i] = v[i].f;
		s->rec_of[i] = v[i].rec;
		s->ofs_of[i] = v[i].ofs;
	}
	fs->n = n;
	n = 0; /* handed over */
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(v[i].f.path);
		free(v[i].f.link);
	}
	free(v);
	return rc;
}

static void
src_free(struct image_src *s)
{
	if (s == NULL)
		return;
	if (s->spill != NULL) {
		ward_rm_rf(s->spill);
		free(s->spill);
	}
	for (size_t i = 0; i < s->nrecs; i++)
		ward_buf_free(&s->recs[i].content);
	free(s->recs);
	free(s->rec_of);
	free(s->ofs_of);
	hashpipe_free(s->pipe);
	oci_fs_free(&s->ofs);
	oci_image_close(s->img);
	free(s);
}

void
fileset_image_free(struct sbom_fileset *fs)
{
	src_free(fs->priv);
	fs->priv = NULL;
}

int
fileset_image_is_elf(const struct sbom_fileset *fs, size_t i)
{
	const struct image_src *s = fs->priv;

	return s && s->rec_of[i] != SIZE_MAX && s->recs[s->rec_of[i]].elf;
}

char *
fileset_image_content_path(const struct sbom_fileset *fs, size_t i)
{
	const struct image_src *s = fs->priv;
	char *p;
	struct stat st;

	if (s == NULL || s->spill == NULL || s->rec_of[i] == SIZE_MAX)
		goto missing;
	if ((p = ward_asprintf("%s/%zu", s->spill, s->ofs_of[i])) == NULL)
		return NULL;
	if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
		return p;
	free(p);
missing:
	ward_err(WARD_EENV, "/%s: contents were not fetched from the image", fs->files[i].path);
	return NULL;
}

int
fileset_image_read(const struct sbom_fileset *fs, size_t i, size_t max, struct ward_buf *out)
{
	const struct image_src *s = fs->priv;
	const struct scan_rec *r;
	char *p;
	int rc;

	if (s == NULL || s->rec_of[i] == SIZE_MAX)
		return ward_err(WARD_EINPUT, "/%s: not a regular file", fs->files[i].path);
	r = &s->recs[s->rec_of[i]];
	if (r->content.data != NULL || r->size == 0) {
		if (r->size > max)
			return ward_err(WARD_EINPUT, "/%s: too large (limit %zu)",
					fs->files[i].path, max);
		if (ward_buf_append(out, r->content.data ? r->content.data : (void *)"", r->size))
			return -1;
		return ward_buf_cstr(out) ? 0 : -1;
	}
	if ((p = fileset_image_content_path(fs, i)) == NULL)
		return -1;
	rc = ward_file_read(p, max, out);
	free(p);
	return rc;
}

/* Second pass: copy the wanted files' contents into the spill directory. */
struct fetch_ctx {
	struct image_src *s;
	unsigned char *buf;
};

static int
fetch_visit(void *ctx, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	struct fetch_ctx *fc = ctx;
	char *p = NULL;
	int fd = -1, rc = -1;

	/* e is an entry of the filtered copy, named after its spill file. */
	if ((p = ward_asprintf("%s/%s", fc->s->spill, e->path)) == NULL)
		return -1;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ward_err_io(p, "cannot create");
		goto out;
	}
	for (;;) {
		ssize_t n = oci_layer_read(r, fc->buf, READ_CHUNK);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (ward_fd_write(fd, fc->buf, (size_t)n, p) != 0)
			goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = ward_err_io(p, "write failed");
	free(p);
	return rc;
}

int
fileset_image_fetch(struct sbom_fileset *fs, const size_t *idx, size_t n)
{
	struct image_src *s = fs->priv;
	struct oci_fs want = {0};
	struct fetch_ctx fc = {.s = s};
	char **names = NULL;
	size_t k = 0;
	int rc = -1;

	if (s == NULL)
		return 0;
	if (s->spill == NULL && (s->spill = ward_mkdtemp(NULL, "ward-sbom")) == NULL)
		return -1;
	/* A filtered copy of the merged list: only entries whose data is wanted
	 * and not fetched yet, each renamed to its spill file name. */
	if ((want.v = ward_calloc(n + 1, sizeof(*want.v))) == NULL ||
	    (names = ward_calloc(n + 1, sizeof(*names))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		size_t o;
		char *p;
		struct stat st;
		int dup = 0;

		if (s->rec_of[idx[i]] == SIZE_MAX)
			continue;
		o = s->ofs_of[idx[i]];
		for (size_t j = 0; j < k && !dup; j++)
			dup = want.v[j].layer == s->ofs.v[o].layer &&
			      want.v[j].ordinal == s->ofs.v[o].ordinal;
		if (dup || (p = ward_asprintf("%s/%zu", s->spill, o)) == NULL) {
			if (dup)
				continue;
			goto out;
		}
		dup = lstat(p, &st) == 0;
		free(p);
		if (dup)
			continue;
		if ((names[k] = ward_asprintf("%zu", o)) == NULL)
			goto out;
		want.v[k] = s->ofs.v[o];
		want.v[k].path = names[k];
		k++;
	}
	want.n = k;
	if (k == 0) {
		rc = 0;
		goto out;
	}
	if ((fc.buf = ward_malloc(READ_CHUNK)) == NULL)
		goto out;
	ward_debug("%s: second pass for %zu files", s->img->path, k);
	rc = oci_image_walk(s->img, &want, fetch_visit, &fc);
out:
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(want.v);
	free(fc.buf);
	return rc;
}

/* ---------------------------------------------------------------- catalog */

/* "registry/repo/name:tag" -> name "registry/repo/name", tag "tag". */
static int
split_tag(const char *ref, char **name, char **tag)
{
	const char *colon = strrchr(ref, ':'), *slash = strrchr(ref, '/');

	if (colon && (!slash || colon > slash)) {
		*name = ward_strndup(ref, (size_t)(colon - ref));
		*tag = ward_strdup(colon + 1);
	} else {
		*name = ward_strdup(ref);
		*tag = NULL;
	}
	return *name ? 0 : -1;
}

static int
subject(struct sbom_catalog *c, struct image_src *s, const struct sbom_opts *o)
{
	struct oci_image *img = s->img;
	const char *ref = img->ref ? img->ref : img->tags.n ? img->tags.v[0] : NULL;
	char *name = NULL, *tag = NULL, *repo_url = NULL;
	const char *base;

	if (img->kind == OCI_KIND_DOCKER_ARCHIVE) {
		c->digest = ward_strdup(img->config.digest);
		c->digest_kind = ward_strdup("config");
	} else {
		c->digest = ward_strdup(img->manifest.digest);
		c->digest_kind = ward_strdup("manifest");
	}
	if (c->digest == NULL || c->digest_kind == NULL)
		return -1;
	if (ref && strchr(ref, '/') == NULL && strchr(ref, ':') == NULL &&
	    img->kind != OCI_KIND_DOCKER_ARCHIVE) {
		/* An OCI layout's ref.name is a tag: the name is the directory's. */
		tag = ward_strdup(ref);
	} else if (ref && split_tag(ref, &name, &tag) != 0) {
		return -1;
	}
	if (name == NULL) {
		base = strrchr(img->path, '/');
		base = base && base[1] ? base + 1 : img->path;
		name = ward_strdup(base);
	}
	if (name == NULL)
		goto fail;
	if (strchr(name, '/') != NULL)
		repo_url = ward_strdup(name);
	base = strrchr(name, '/');
	c->purl = purl_oci(base ? base + 1 : name, c->digest, repo_url, tag);
	c->name = ward_strdup(o->name ? o->name : name);
	c->tag = tag;
	tag = NULL;
	if (c->purl == NULL || c->name == NULL)
		goto fail;
	if ((c->layers = ward_calloc(img->nlayers + 1, sizeof(*c->layers))) == NULL)
		goto fail;
	for (size_t i = 0; i < img->nlayers; i++) {
		c->layers[i].digest = ward_strdup(img->layers[i].blob.digest);
		c->layers[i].diff_id = ward_strdup(img->layers[i].diff_id);
		c->nlayers++;
		if (c->layers[i].digest == NULL || c->layers[i].diff_id == NULL)
			goto fail;
	}
	free(name);
	free(repo_url);
	return 0;
fail:
	free(name);
	free(tag);
	free(repo_url);
	return -1;
}

int
sbom_catalog_image(const char *ref, const struct sbom_opts *opts, struct sbom_catalog **out)
{
	struct sbom_opts none = {0};
	struct sbom_catalog *c;
	struct image_src *s;

	if (opts == NULL)
		opts = &none;
	*out = NULL;
	if ((c = ward_calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((s = ward_calloc(1, sizeof(*s))) == NULL) {
		free(c);
		return -1;
	}
	c->fs.priv = s;
	s->progress = opts->progress;
	if ((s->img = oci_image_open(ref, NULL)) == NULL || (s->pipe = hashpipe_new()) == NULL)
		goto fail;
	/* One pass: verify each layer, merge it, hash every file as it goes. */
	if (oci_image_scan(s->img, &s->ofs, scan_visit, s) != 0 || collect_digests(s) != 0 ||
	    build_fileset(&c->fs, s) != 0 || subject(c, s, opts) != 0)
		goto fail;
	if (catalog_run(c) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	sbom_catalog_free(c);
	return -1;
}
