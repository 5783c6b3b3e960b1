/*
 * blobio.c: reading the stored bytes of an opened image — layout blob
 * files, or members of an archive — with sizes checked before reading and
 * digests checked after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

int
oci_sniff_compression(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return OCI_COMPRESS_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return OCI_COMPRESS_ZSTD;
	return OCI_COMPRESS_NONE;
}

ssize_t
blob_stream_read(struct blob_stream *bs, void *buf, size_t n)
{
	uint64_t left = bs->len - bs->pos;

	if (n > left)
		n = (size_t)left;
	if (n == 0)
		return 0;
	if (bs->mem) {
		memcpy(buf, bs->mem + bs->start + bs->pos, n);
		bs->pos += n;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t r = pread(bs->fd, buf, n, (off_t)(bs->start + bs->pos));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ward_errno(WARD_EENV, "blob read failed");
		if (r == 0)
			return ward_err(WARD_EINPUT, "blob ends early (file truncated?)");
		bs->pos += (uint64_t)r;
		return r;
	}
}

void
blob_stream_close(struct blob_stream *bs)
{
	if (bs->own_fd && bs->fd >= 0)
		close(bs->fd);
	memset(bs, 0, sizeof(*bs));
	bs->fd = -1;
}

/* A blob of an OCI image by digest: a layout file or an archive member. */
static int
open_oci_blob(struct oci_image *img, const char *digest, uint64_t size, struct blob_stream *bs)
{
	struct oci_source *s = img->src;
	struct stat st;
	char *path;

	memset(bs, 0, sizeof(*bs));
	bs->fd = -1;
	if (oci_digest_check(digest, img->path) != 0)
		return -1;
	if (s->kind == OCI_KIND_LAYOUT) {
		if ((path = ward_asprintf("%s/blobs/sha256/%s", s->dir, oci_digest_hex(digest))) ==
		    NULL)
			return -1;
		/* never a link, never a FIFO or device: a blob is a plain file */
		bs->fd = ward_input_openat(AT_FDCWD, path, WARD_IN_NOFOLLOW, path, &st);
		free(path);
		if (bs->fd < 0) {
			if (errno == ENOENT)
				return ward_err(WARD_EINPUT, "%s: blob %s is missing", img->path,
						digest);
			return -1;
		}
		bs->own_fd = 1;
		bs->len = (uint64_t)st.st_size;
	} else {
		const struct tar_member *m;
		char name[90];
		snprintf(name, sizeof(name), "blobs/sha256/%s", oci_digest_hex(digest));
		m = tar_index_find(&s->idx, name);
		if (m == NULL || m->type != OCI_ENTRY_FILE)
			return ward_err(WARD_EINPUT, "%s: blob %s is missing", img->path, digest);
		bs->fd = s->fd;
		bs->start = m->offset;
		bs->len = m->size;
	}
	if (bs->len != size) {
		uint64_t got = bs->len;
		blob_stream_close(bs);
		return ward_err(WARD_EVERIFY, "%s: blob %s has %ju bytes, expected %ju", img->path,
				digest, (uintmax_t)got, (uintmax_t)size);
	}
	return 0;
}

int
source_open_digest(struct oci_image *img, const struct oci_descriptor *d, struct blob_stream *bs)
{
	struct oci_source *s = img->src;

	if (s->kind == OCI_KIND_DOCKER_ARCHIVE) {
		/* only the config and already-read layers have known digests */
		memset(bs, 0, sizeof(*bs));
		bs->fd = -1;
		if (strcmp(d->digest, img->config.digest) == 0 && s->docker_config) {
			bs->fd = s->fd;
			bs->start = s->docker_config->offset;
			bs->len = s->docker_config->size;
			return 0;
		}
		for (size_t i = 0; i < img->nlayers; i++)
			if (strcmp(d->digest, img->layers[i].blob.digest) == 0)
				return source_open_layer(img, i, bs);
		return ward_err(WARD_EINPUT, "%s: no blob %s in this docker-archive", img->path,
				d->digest);
	}
	return open_oci_blob(img, d->digest, d->size, bs);
}

int
source_open_layer(struct oci_image *img, size_t i, struct blob_stream *bs)
{
	struct oci_source *s = img->src;

	if (i >= img->nlayers)
		return ward_err(WARD_EINPUT, "%s: no layer %zu (the image has %zu)", img->path, i,
				img->nlayers);
	if (s->kind == OCI_KIND_DOCKER_ARCHIVE) {
		memset(bs, 0, sizeof(*bs));
		bs->fd = s->fd;
		bs->start = s->docker_layers[i]->offset;
		bs->len = s->docker_layers[i]->size;
		return 0;
	}
	return open_oci_blob(img, img->layers[i].blob.digest, img->layers[i].blob.size, bs);
}

int
oci_image_read_blob(struct oci_image *img, const struct oci_descriptor *d, size_t max,
		    struct ward_buf *out)
{
	struct blob_stream bs;
	struct sha256_ctx *sha;
	uint8_t md[SHA256_LEN];
	char got[OCI_DIGEST_LEN + 1];
	size_t start = out->len;

	if (source_open_digest(img, d, &bs) != 0)
		return -1;
	if (bs.len > max) {
		blob_stream_close(&bs);
		return ward_err(WARD_EINPUT, "%s: blob %s is too large (%ju bytes, limit %zu)",
				img->path, d->digest, (uintmax_t)bs.len, max);
	}
	if (ward_buf_reserve(out, (size_t)bs.len + 1) != 0) {
		blob_stream_close(&bs);
		return -1;
	}
	while (bs.pos < bs.len) {
		ssize_t r = blob_stream_read(&bs, out->data + out->len, (size_t)(bs.len - bs.pos));
		if (r <= 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "%s", r == 0 ? "ends early" : ward_errmsg());
			blob_stream_close(&bs);
			return ward_err(r == 0 ? WARD_EINPUT : ward_errkind(), "%s: blob %s: %s",
					img->path, d->digest, msg);
		}
		out->len += (size_t)r;
	}
	out->data[out->len] = '\0';
	blob_stream_close(&bs);
	if ((sha = sha256_new()) == NULL)
		return -1;
	sha256_update(sha, out->data + start, out->len - start);
	sha256_final(sha, md);
	sha256_free(sha);
	oci_digest_format(md, got);
	if (strcmp(got, d->digest) != 0)
		return ward_err(WARD_EVERIFY, "%s: blob %s is corrupt (content hashes to %s)",
				img->path, d->digest, got);
	return 0;
}

void
source_free(struct oci_source *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	if (s->fd >= 0)
		close(s->fd);
	tar_index_free(&s->idx);
	free(s->docker_layers);
	free(s);
}
