/*
 * layout.c: writing and updating OCI image layouts.
 *
 * Created layouts are built in a temporary sibling and moved into place by
 * ward_outdir_commit() (old or new tree, never a mix; never over a
 * directory that is not a layout).  Opened layouts are
 * updated in place: blobs first (each renamed to its digest when complete),
 * the blobs directory fsynced, then index.json replaced by rename.  See
 * oci.h for why the two differ.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

#define OCI_LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

struct oci_layout {
	char *path;  /* where the layout lives (or will) */
	char *root;  /* where we write: a temporary sibling, or path */
	char *blobs; /* root/blobs */
	int created;
	struct ward_outdir *out; /* created layouts: the directory being made */
	json_t *index;		 /* the whole index.json */
	struct oci_descriptor *entries;
	size_t n;
};

static void
layout_free(struct oci_layout *l)
{
	if (l == NULL)
		return;
	ward_outdir_abort(l->out);
	free(l->path);
	free(l->root);
	free(l->blobs);
	json_decref(l->index);
	free(l->entries);
	free(l);
}

/* Rebuild the parsed view of index.json's manifests. */
static int
refresh(struct oci_layout *l)
{
	json_t *m = json_object_get(l->index, "manifests");
	size_t n = json_array_size(m);
	struct oci_descriptor *v = NULL;

	if (n > 0 && (v = ward_calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (oci_descriptor_from_json(json_array_get(m, i), &v[i], "index.json") != 0) {
			free(v);
			return -1;
		}
	free(l->entries);
	l->entries = v;
	l->n = n;
	return 0;
}

/* What a layout directory holds: a directory with nothing else may be
 * replaced by a new layout; anything else is not ours to delete. */
static const char *const layout_names[] = {"oci-layout", "index.json", "blobs", NULL};

struct oci_layout *
oci_layout_create(const char *path)
{
	struct oci_layout *l;
	char *sha = NULL;

	if ((l = ward_calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->created = 1;
	if ((l->out = ward_outdir_begin(path, layout_names, 0755, 0)) == NULL ||
	    (l->path = ward_strdup(path)) == NULL ||
	    (l->root = ward_strdup(ward_outdir_tmp(l->out))) == NULL)
		goto fail;
	if ((l->blobs = ward_path_join(l->root, "blobs")) == NULL ||
	    (sha = ward_path_join(l->blobs, "sha256")) == NULL || ward_mkdir_p(sha, 0755) != 0)
		goto fail;
	free(sha);
	sha = NULL; /* fail: frees it again */
	l->index = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX,
			     "manifests");
	if (l->index == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto fail;
	}
	return l;
fail:
	free(sha);
	oci_layout_abort(l);
	return NULL;
}

struct oci_layout *
oci_layout_open(const char *path)
{
	struct oci_layout *l = ward_calloc(1, sizeof(*l));
	struct oci_limits lim;
	struct oci_index idx = {0};
	struct ward_buf b = {0};
	char *file = NULL;
	json_t *marker;

	if (l == NULL)
		return NULL;
	oci_limits_default(&lim);
	if ((l->path = ward_strdup(path)) == NULL || (l->root = ward_strdup(path)) == NULL ||
	    (l->blobs = ward_path_join(path, "blobs")) == NULL)
		goto fail;
	if ((file = ward_path_join(path, "oci-layout")) == NULL)
		goto fail;
	if (ward_file_readx(file, WARD_IN_NOFOLLOW, 4096, &b) != 0 ||
	    (marker = ward_json_loadb(b.data, b.len, file)) == NULL)
		goto fail;
	ward_buf_free(&b);
	if (!json_is_string(json_object_get(marker, "imageLayoutVersion"))) {
		json_decref(marker);
		ward_err(WARD_EINPUT, "%s: no imageLayoutVersion", file);
		goto fail;
	}
	json_decref(marker);
	free(file);
	if ((file = ward_path_join(path, "index.json")) == NULL ||
	    ward_file_readx(file, WARD_IN_NOFOLLOW, lim.max_json, &b) != 0 ||
	    oci_index_parse(b.data, b.len, file, &lim, &idx) != 0)
		goto fail;
	l->index = json_incref(idx.root);
	oci_index_free(&idx);
	{
		char *sha = ward_path_join(l->blobs, "sha256");
		if (sha)
			ward_remove_stale(sha, ".tmp-");
		free(sha);
	}
	if (refresh(l) != 0)
		goto fail;
	free(file);
	ward_buf_free(&b);
	return l;
fail:
	free(file);
	ward_buf_free(&b);
	layout_free(l);
	return NULL;
}

const char *
oci_layout_blobs_dir(const struct oci_layout *l)
{
	return l->blobs;
}

int
oci_layout_put_blob(struct oci_layout *l, const void *p, size_t n, const char *media_type,
		    struct oci_descriptor *out)
{
	memset(out, 0, sizeof(*out));
	if (media_type == NULL || strlen(media_type) > OCI_MEDIA_TYPE_MAX)
		return ward_err(WARD_EINPUT, "blob: invalid media type");
	if (oci_blob_put(l->blobs, p, n, out->digest) != 0)
		return -1;
	snprintf(out->media_type, sizeof(out->media_type), "%s", media_type);
	out->size = n;
	return 0;
}

int
oci_layout_put_json(struct oci_layout *l, const json_t *j, const char *media_type,
		    struct oci_descriptor *out)
{
	char *s = oci_json_bytes(j);
	int rc;

	if (s == NULL)
		return -1;
	rc = oci_layout_put_blob(l, s, strlen(s), media_type, out);
	free(s);
	return rc;
}

int
oci_layout_read_blob(struct oci_layout *l, const struct oci_descriptor *d, size_t max,
		     struct ward_buf *out)
{
	char *path = oci_blob_path(l->blobs, d->digest), got[OCI_DIGEST_LEN + 1];
	uint8_t sha[SHA256_LEN];
	size_t start = out->len;
	struct stat st;
	int fd = -1, rc = -1;

	if (path == NULL)
		return -1;
	if ((fd = ward_input_openat(AT_FDCWD, path, WARD_IN_NOFOLLOW, path, &st)) < 0) {
		if (errno == ENOENT)
			ward_err(WARD_EINPUT, "%s: blob %s is missing", l->path, d->digest);
		goto out;
	}
	if ((uint64_t)st.st_size != d->size) {
		ward_err(WARD_EVERIFY, "%s: blob %s has %jd bytes, expected %ju", l->path,
			 d->digest, (intmax_t)st.st_size, (uintmax_t)d->size);
		goto out;
	}
	if (d->size > max) {
		ward_err(WARD_EINPUT, "%s: blob %s is too large (%ju bytes, limit %zu)", l->path,
			 d->digest, (uintmax_t)d->size, max);
		goto out;
	}
	if (ward_fd_read_all(fd, path, max, out) != 0)
		goto out;
	sha256(out->data + start, out->len - start, sha);
	oci_digest_format(sha, got);
	if (out->len - start != d->size || strcmp(got, d->digest) != 0) {
		ward_err(WARD_EVERIFY, "%s: blob %s is corrupt (content hashes to %s)", l->path,
			 d->digest, got);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static const char *
ref_name(const json_t *entry)
{
	return ward_json_str(json_object_get(entry, "annotations"), OCI_ANN_REF_NAME);
}

int
oci_layout_untag(struct oci_layout *l, const char *tag)
{
	json_t *m = json_object_get(l->index, "manifests");

	for (size_t i = json_array_size(m); i-- > 0;) {
		const char *r = ref_name(json_array_get(m, i));
		if (r && strcmp(r, tag) == 0)
			json_array_remove(m, i);
	}
	return refresh(l);
}

int
oci_layout_remove(struct oci_layout *l, const char *digest)
{
	json_t *m = json_object_get(l->index, "manifests");

	for (size_t i = json_array_size(m); i-- > 0;) {
		const char *d = ward_json_str(json_array_get(m, i), "digest");
		if (d && strcmp(d, digest) == 0)
			json_array_remove(m, i);
	}
	return refresh(l);
}

int
oci_layout_add(struct oci_layout *l, const struct oci_descriptor *d, const char *tag)
{
	json_t *m = json_object_get(l->index, "manifests"), *e, *ann;

	if (oci_digest_check(d->digest, "index entry") != 0)
		return -1;
	if (tag != NULL && (*tag == '\0' || strlen(tag) > 255))
		return ward_err(WARD_EINPUT, "tag \"%s\": empty or too long", tag);
	if ((e = oci_descriptor_json(d)) == NULL)
		return -1;
	if (tag != NULL) {
		ann = json_object_get(e, "annotations");
		if (ann == NULL) {
			ann = json_object();
			json_object_set_new(e, "annotations", ann);
		}
		json_object_set_new(ann, OCI_ANN_REF_NAME, json_string(tag));
		/* keep the annotations sorted after adding the tag */
		json_object_set_new(e, "annotations", oci_sorted_object_copy(ann, "annotations"));
		if (oci_layout_untag(l, tag) != 0) {
			json_decref(e);
			return -1;
		}
	}
	for (size_t i = 0; i < json_array_size(m); i++)
		if (json_equal(json_array_get(m, i), e)) {
			json_decref(e);
			return 0;
		}
	if (json_array_append_new(m, e) != 0)
		return ward_err(WARD_EENV, "out of memory");
	return refresh(l);
}

size_t
oci_layout_count(const struct oci_layout *l)
{
	return l->n;
}

const struct oci_descriptor *
oci_layout_entry(const struct oci_layout *l, size_t i)
{
	return i < l->n ? &l->entries[i] : NULL;
}

const struct oci_descriptor *
oci_layout_find(const struct oci_layout *l, const char *tag)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *r = ward_json_str(l->entries[i].annotations, OCI_ANN_REF_NAME);
		if (r && strcmp(r, tag) == 0)
			return &l->entries[i];
	}
	return NULL;
}

int
oci_layout_write_image(struct oci_layout *l, const struct oci_image_spec *s, const char *tag,
		       struct oci_descriptor *manifest)
{
	struct oci_descriptor config, *layers = NULL;
	struct oci_manifest_spec ms = {0};
	json_t *cj = NULL, *mj = NULL;
	int rc = -1;

	memset(manifest, 0, sizeof(*manifest));
	if (s->nlayers > 0 && (layers = ward_calloc(s->nlayers, sizeof(*layers))) == NULL)
		return -1;
	for (size_t i = 0; i < s->nlayers; i++) {
		char *p = oci_blob_path(l->blobs, s->layers[i].blob.digest);
		struct stat st;
		if (p == NULL)
			goto out;
		if (stat(p, &st) != 0 || (uint64_t)st.st_size != s->layers[i].blob.size) {
			ward_err(WARD_EINPUT, "%s: layer %s is not in the layout's blobs", l->path,
				 s->layers[i].blob.digest);
			free(p);
			goto out;
		}
		free(p);
		layers[i] = s->layers[i].blob;
		layers[i].annotations = NULL;
	}
	if ((cj = oci_config_build(s)) == NULL ||
	    oci_layout_put_json(l, cj, OCI_MT_CONFIG, &config) != 0)
		goto out;
	ms.config = &config;
	ms.layers = layers;
	ms.nlayers = s->nlayers;
	ms.annotations = s->annotations;
	if ((mj = oci_manifest_build(&ms)) == NULL ||
	    oci_layout_put_json(l, mj, OCI_MT_MANIFEST, manifest) != 0)
		goto out;
	rc = oci_layout_add(l, manifest, tag);
out:
	json_decref(cj);
	json_decref(mj);
	free(layers);
	return rc;
}

static int
write_small(const char *root, const char *name, const char *text)
{
	char *p = ward_path_join(root, name);
	int rc;

	if (p == NULL)
		return -1;
	rc = ward_file_write(p, text, strlen(text), 0644);
	free(p);
	return rc;
}

int
oci_layout_commit(struct oci_layout *l)
{
	char *idx = NULL, *sha = NULL;
	int rc = -1;

	if ((idx = oci_json_bytes(l->index)) == NULL ||
	    (sha = ward_path_join(l->blobs, "sha256")) == NULL)
		goto out;
	/* Blobs are durable before anything refers to them. */
	if (ward_mkdir_p(sha, 0755) != 0 || ward_fsync_dir(sha) != 0)
		goto out;
	if (l->created) {
		struct ward_outdir *o = l->out;
		l->out = NULL;
		if (write_small(l->root, "oci-layout", OCI_LAYOUT_FILE) != 0 ||
		    write_small(l->root, "index.json", idx) != 0 || ward_outdir_commit(o) != 0)
			goto out;
	} else if (write_small(l->root, "index.json", idx) != 0) {
		goto out;
	}
	rc = 0;
out:
	free(idx);
	free(sha);
	oci_layout_abort(l);
	return rc;
}

void
oci_layout_abort(struct oci_layout *l)
{
	if (l == NULL)
		return;
	layout_free(l); /* a created layout's temporary tree goes with l->out */
}
