/*
 * blob.c: content-addressed blobs (BLOBS/sha256/<hex>) and the layer
 * writer that streams tar -> compressor -> blob while hashing both sides.
 * A blob is written to a hidden temporary name in BLOBS/sha256, fsynced and
 * renamed to its digest, so a blob file is always complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

struct oci_blob_writer {
	char *dir; /* BLOBS/sha256 */
	char *tmp;
	int fd;
	struct sha256_ctx *sha;
	uint64_t size;
};

/* A locked temporary file "BLOBS/sha256/.tmp-<pid>-<n>" (ward_tmp_create):
 * another run sweeping leftovers never takes it while it is written. */
static int
blob_tmp(const char *dir, char **tmp)
{
	char *base = ward_asprintf("%s/", dir);
	int fd = base ? ward_tmp_create(base, 0644, tmp) : -1;

	free(base);
	return fd;
}

char *
oci_blob_path(const char *blobs_dir, const char *digest)
{
	if (oci_digest_check(digest, blobs_dir) != 0)
		return NULL;
	return ward_asprintf("%s/sha256/%s", blobs_dir, oci_digest_hex(digest));
}

struct oci_blob_writer *
oci_blob_writer_new(const char *blobs_dir)
{
	struct oci_blob_writer *bw = ward_calloc(1, sizeof(*bw));

	if (bw == NULL)
		return NULL;
	bw->fd = -1;
	bw->dir = ward_asprintf("%s/sha256", blobs_dir);
	if (bw->dir == NULL || ward_mkdir_p(bw->dir, 0755) != 0)
		goto fail;
	if ((bw->sha = sha256_new()) == NULL || (bw->fd = blob_tmp(bw->dir, &bw->tmp)) < 0)
		goto fail;
	return bw;
fail:
	oci_blob_writer_abort(bw);
	return NULL;
}

int
oci_blob_writer_write(struct oci_blob_writer *bw, const void *p, size_t n)
{
	const unsigned char *s = p;

	sha256_update(bw->sha, p, n);
	bw->size += n;
	while (n > 0) {
		ssize_t w = write(bw->fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ward_err_io(bw->tmp, "write failed");
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
blob_writer_sink(void *ctx, const void *p, size_t n)
{
	return oci_blob_writer_write(ctx, p, n);
}

/* Put tmp in place as dir/hex unless an intact copy is already there. */
static int
place(const char *tmp, const char *dir, const char *hex, uint64_t size)
{
	struct stat st;
	char *dst = ward_asprintf("%s/%s", dir, hex);
	int rc = -1;

	if (dst == NULL)
		return -1;
	if (stat(dst, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
		unlink(tmp); /* same digest, same size: already stored */
		rc = 0;
	} else if (rename(tmp, dst) != 0) {
		ward_err_io(dst, "cannot store blob");
	} else {
		rc = 0;
	}
	free(dst);
	return rc;
}

int
oci_blob_writer_commit(struct oci_blob_writer *bw, char digest[OCI_DIGEST_LEN + 1], uint64_t *size)
{
	uint8_t sha[SHA256_LEN];
	int rc = -1;

	sha256_final(bw->sha, sha);
	if (fchmod(bw->fd, 0644) != 0 || fsync(bw->fd) != 0) {
		ward_err_io(bw->tmp, "fsync failed");
		goto out;
	}
	/* placed while still locked, then closed */
	oci_digest_format(sha, digest);
	if (place(bw->tmp, bw->dir, oci_digest_hex(digest), bw->size) != 0)
		goto out;
	free(bw->tmp);
	bw->tmp = NULL;
	if (close(bw->fd) != 0) {
		bw->fd = -1;
		ward_errno(WARD_EENV, "%s/%s: close failed", bw->dir, oci_digest_hex(digest));
		goto out;
	}
	bw->fd = -1;
	if (size)
		*size = bw->size;
	rc = 0;
out:
	oci_blob_writer_abort(bw);
	return rc;
}

void
oci_blob_writer_abort(struct oci_blob_writer *bw)
{
	if (bw == NULL)
		return;
	if (bw->fd >= 0)
		close(bw->fd);
	if (bw->tmp)
		unlink(bw->tmp);
	free(bw->tmp);
	free(bw->dir);
	sha256_free(bw->sha);
	free(bw);
}

int
oci_blob_put(const char *blobs_dir, const void *p, size_t n, char digest[OCI_DIGEST_LEN + 1])
{
	struct oci_blob_writer *bw = oci_blob_writer_new(blobs_dir);

	if (bw == NULL)
		return -1;
	if (oci_blob_writer_write(bw, p, n) != 0) {
		oci_blob_writer_abort(bw);
		return -1;
	}
	return oci_blob_writer_commit(bw, digest, NULL);
}

static int
copy_into(struct oci_blob_writer *bw, const char *src)
{
	unsigned char *buf;
	int fd, rc = -1;

	if ((fd = ward_input_open(src, 0, NULL)) < 0)
		return -1;
	if ((buf = ward_malloc(1u << 20)) == NULL)
		goto out;
	for (;;) {
		ssize_t n = ward_fd_read(fd, buf, 1u << 20, src);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (oci_blob_writer_write(bw, buf, (size_t)n) != 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int
oci_blob_import(const char *blobs_dir, const char *src, const char *digest, int verify)
{
	struct oci_blob_writer *bw;
	char got[OCI_DIGEST_LEN + 1], *dst;
	struct stat st, sst;
	int rc;

	if (oci_digest_check(digest, src) != 0 || (dst = oci_blob_path(blobs_dir, digest)) == NULL)
		return -1;
	if (stat(src, &sst) != 0 || !S_ISREG(sst.st_mode)) {
		free(dst);
		return ward_err_io(src, "not a readable regular file");
	}
	if (stat(dst, &st) == 0 && st.st_size == sst.st_size) {
		free(dst);
		return 0;
	}
	free(dst);
	if (verify) {
		uint8_t sha[SHA256_LEN];
		if (sha256_file(src, sha, NULL) != 0)
			return -1;
		oci_digest_format(sha, got);
		if (strcmp(got, digest) != 0)
			return ward_err(WARD_EVERIFY, "%s: content is %s, expected %s", src, got,
					digest);
	}
	if ((bw = oci_blob_writer_new(blobs_dir)) == NULL)
		return -1;
	/* A hard link costs nothing; across file systems, copy. */
	unlink(bw->tmp);
	if (link(src, bw->tmp) == 0) {
		rc = place(bw->tmp, bw->dir, oci_digest_hex(digest), (uint64_t)sst.st_size);
		if (rc == 0) {
			free(bw->tmp);
			bw->tmp = NULL;
		}
		oci_blob_writer_abort(bw);
		return rc;
	}
	close(bw->fd);
	free(bw->tmp);
	bw->tmp = NULL;
	if ((bw->fd = blob_tmp(bw->dir, &bw->tmp)) < 0) {
		oci_blob_writer_abort(bw);
		return -1;
	}
	if (copy_into(bw, src) != 0) {
		oci_blob_writer_abort(bw);
		return -1;
	}
	if (oci_blob_writer_commit(bw, got, NULL) != 0)
		return -1;
	if (strcmp(got, digest) != 0)
		return ward_err(WARD_EVERIFY, "%s: content is %s, expected %s", src, got, digest);
	return 0;
}

/* ------------------------------------------------------------ layer writer */

struct oci_layer_writer {
	struct oci_blob_writer *bw;
	struct oci_compressor *comp;
	struct tar_writer *tar;
	struct sha256_ctx *diff;
	int compression;
};

static int
tar_sink(void *ctx, const void *p, size_t n)
{
	struct oci_layer_writer *lw = ctx;

	sha256_update(lw->diff, p, n);
	return oci_compressor_write(lw->comp, p, n);
}

struct oci_layer_writer *
oci_layer_writer_new(const char *blobs_dir, const struct oci_compress_opts *c, int64_t mtime)
{
	struct oci_layer_writer *lw = ward_calloc(1, sizeof(*lw));

	if (lw == NULL)
		return NULL;
	lw->compression = c->compression;
	if ((lw->bw = oci_blob_writer_new(blobs_dir)) == NULL ||
	    (lw->comp = oci_compressor_new(c, blob_writer_sink, lw->bw)) == NULL ||
	    (lw->diff = sha256_new()) == NULL ||
	    (lw->tar = tar_writer_new(tar_sink, lw, mtime)) == NULL) {
		oci_layer_writer_abort(lw);
		return NULL;
	}
	return lw;
}

struct tar_writer *
oci_layer_writer_tar(struct oci_layer_writer *lw)
{
	return lw->tar;
}

int
oci_layer_writer_finish(struct oci_layer_writer *lw, struct oci_layer_desc *out)
{
	uint8_t sha[SHA256_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (tar_writer_finish(lw->tar) != 0 || oci_compressor_finish(lw->comp) != 0) {
		oci_layer_writer_abort(lw);
		return -1;
	}
	sha256_final(lw->diff, sha);
	oci_digest_format(sha, out->diff_id);
	out->tar_size = tar_writer_size(lw->tar);
	snprintf(out->blob.media_type, sizeof(out->blob.media_type), "%s",
		 oci_layer_media_type(lw->compression));
	rc = oci_blob_writer_commit(lw->bw, out->blob.digest, &out->blob.size);
	lw->bw = NULL;
	oci_layer_writer_abort(lw);
	return rc;
}

void
oci_layer_writer_abort(struct oci_layer_writer *lw)
{
	if (lw == NULL)
		return;
	tar_writer_free(lw->tar);
	oci_compressor_free(lw->comp);
	oci_blob_writer_abort(lw->bw);
	sha256_free(lw->diff);
	free(lw);
}
