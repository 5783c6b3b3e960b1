/*
 * docker_archive.c: export any opened image as a docker-archive tar, the
 * format of `docker save` / `podman load` / skopeo's docker-archive:
 * manifest.json [{"Config","RepoTags","Layers"}] with the config and the
 * layer blobs inside (named blobs/sha256/<hex>, as docker 25 does).  The
 * layers are copied as stored (gzip or plain) and re-verified on the way.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

struct copy {
	struct blob_stream bs;
	struct sha256_ctx *sha;
};

static ssize_t
copy_read(void *ctx, void *buf, size_t n)
{
	struct copy *c = ctx;
	ssize_t r = blob_stream_read(&c->bs, buf, n);

	if (r > 0)
		sha256_update(c->sha, buf, (size_t)r);
	return r;
}

static int
atomic_sink(void *ctx, const void *p, size_t n)
{
	return ward_atomic_write(ctx, p, n);
}

/* Layers of a docker-archive source get their blob digest by being read. */
static int
known_digest(struct oci_image *img, size_t i)
{
	struct oci_layer_reader *r;
	const struct oci_entry *e;
	int rc;

	if (img->layers[i].blob.digest[0])
		return 0;
	if ((r = oci_layer_open(img, i)) == NULL)
		return -1;
	while ((rc = oci_layer_next(r, &e)) == 1)
		;
	oci_layer_close(r);
	return rc;
}

static int
cmp_hex(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
oci_docker_archive_write(struct oci_image *img, const char *path,
			 const struct oci_docker_archive_opts *o)
{
	static const struct tar_meta dmeta = {.mode = 0755}, fmeta = {.mode = 0644};
	struct ward_atomic *out = NULL;
	struct tar_writer *t = NULL;
	struct ward_buf config = {0};
	const char **order = NULL;
	size_t norder = 0;
	json_t *mf = NULL, *layers, *tags;
	char *mtext = NULL, name[90];
	int rc = -1;

	for (size_t i = 0; i < img->nlayers; i++) {
		if (img->layers[i].compression == OCI_COMPRESS_ZSTD)
			return ward_err(WARD_EINPUT,
					"%s: layer %zu is zstd-compressed; docker-archive "
					"readers accept only gzip or plain layers",
					img->path, i);
		if (known_digest(img, i) != 0)
			return -1;
	}
	if (oci_image_read_blob(img, &img->config, img->limits.max_json, &config) != 0)
		return -1;
	/* manifest.json */
	layers = json_array();
	tags = json_array();
	for (size_t i = 0; o && o->repo_tags && i < o->repo_tags->n; i++)
		json_array_append_new(tags, json_string(o->repo_tags->v[i]));
	snprintf(name, sizeof(name), "blobs/sha256/%s", oci_digest_hex(img->config.digest));
	mf = json_pack("[{s:s,s:o,s:o}]", "Config", name, "RepoTags", tags, "Layers", layers);
	if (mf == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < img->nlayers; i++) {
		snprintf(name, sizeof(name), "blobs/sha256/%s",
			 oci_digest_hex(img->layers[i].blob.digest));
		json_array_append_new(layers, json_string(name));
	}
	if ((mtext = oci_json_bytes(mf)) == NULL)
		goto out;
	/* Blobs in name order, each once (a layer may repeat). */
	if ((order = ward_calloc(img->nlayers + 1, sizeof(*order))) == NULL)
		goto out;
	order[norder++] = oci_digest_hex(img->config.digest);
	for (size_t i = 0; i < img->nlayers; i++) {
		const char *hex = oci_digest_hex(img->layers[i].blob.digest);
		int dup = 0;
		for (size_t k = 0; k < norder; k++)
			dup |= strcmp(order[k], hex) == 0;
		if (!dup)
			order[norder++] = hex;
	}
	ward_qsort(order, norder, sizeof(*order), cmp_hex);

	if ((out = ward_atomic_open(path, 0644)) == NULL ||
	    (t = tar_writer_new(atomic_sink, out, o ? o->mtime : 0)) == NULL)
		goto out;
	if (tar_write_dir(t, "blobs", &dmeta) != 0 || tar_write_dir(t, "blobs/sha256", &dmeta) != 0)
		goto out;
	for (size_t k = 0; k < norder; k++) {
		snprintf(name, sizeof(name), "blobs/sha256/%s", order[k]);
		if (strcmp(order[k], oci_digest_hex(img->config.digest)) == 0) {
			if (tar_write_file(t, name, &fmeta, config.data, config.len) != 0)
				goto out;
			continue;
		}
		for (size_t i = 0; i < img->nlayers; i++) {
			struct oci_layer_info *li = &img->layers[i];
			struct copy c = {0};
			uint8_t md[SHA256_LEN];
			char got[OCI_DIGEST_LEN + 1];
			int wrc;
			if (strcmp(oci_digest_hex(li->blob.digest), order[k]) != 0)
				continue;
			if (source_open_layer(img, i, &c.bs) != 0)
				goto out;
			if ((c.sha = sha256_new()) == NULL) {
				blob_stream_close(&c.bs);
				goto out;
			}
			wrc = tar_write_file_cb(t, name, &fmeta, c.bs.len, copy_read, &c);
			sha256_final(c.sha, md);
			sha256_free(c.sha);
			blob_stream_close(&c.bs);
			if (wrc != 0)
				goto out;
			oci_digest_format(md, got);
			if (strcmp(got, li->blob.digest) != 0) {
				ward_err(WARD_EVERIFY,
					 "%s: layer blob %s is corrupt (content hashes "
					 "to %s)",
					 img->path, li->blob.digest, got);
				goto out;
			}
			break;
		}
	}
	if (tar_write_file(t, "manifest.json", &fmeta, mtext, strlen(mtext)) != 0 ||
	    tar_writer_finish(t) != 0)
		goto out;
	rc = ward_atomic_commit(out);
	out = NULL;
out:
	ward_atomic_abort(out);
	tar_writer_free(t);
	json_decref(mf);
	free(mtext);
	free(order);
	ward_buf_free(&config);
	return rc;
}
