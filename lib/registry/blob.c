/*
 * blob.c: blobs in a registry: exists (HEAD), cross-repository mount,
 * upload (one PUT, or POST + PATCH chunks + PUT) and a checked download.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "registry/registry_internal.h"

int
reg_blob_exists(struct reg_client *c, const char *digest, uint64_t *size)
{
	struct reg_req rq = {.method = "HEAD"};
	struct reg_resp rs = {0};
	char *url = reg_url(c, "/blobs/%s", digest);
	int rc = -1;

	if (url == NULL)
		return -1;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status == 200) {
		if (size != NULL)
			*size = rs.content_length;
		rc = 1;
	} else if (rs.status == 404) {
		rc = 0;
	} else {
		reg_http_error(c, &rs, digest);
	}
out:
	free(url);
	reg_resp_free(&rs);
	return rc;
}

static void
cancel_upload(struct reg_client *c, const char *location)
{
	struct reg_req rq = {.method = "DELETE"};
	struct reg_resp rs = {0};
	char *url = reg_resolve(c, location);

	if (url == NULL)
		return;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		ward_err_clear(); /* best effort: the registry expires it anyway */
	free(url);
	reg_resp_free(&rs);
}

int
reg_blob_mount(struct reg_client *c, const char *digest, const char *from)
{
	struct reg_req rq = {.method = "POST"};
	struct reg_resp rs = {0};
	char *efrom = curl_easy_escape(c->curl, from, 0);
	char *url = efrom ? reg_url(c, "/blobs/uploads/?mount=%s&from=%s", digest, efrom) : NULL;
	int rc = -1;

	if (url == NULL)
		goto out;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status == 201) {
		c->stats.blobs_mounted++;
		rc = 1;
	} else if (rs.status == 202) {
		if (rs.location[0])
			cancel_upload(c, rs.location);
		rc = 0;
	} else {
		reg_http_error(c, &rs, "blob mount");
	}
out:
	curl_free(efrom);
	free(url);
	reg_resp_free(&rs);
	return rc;
}

static int
start_upload(struct reg_client *c, char **location)
{
	struct reg_req rq = {.method = "POST"};
	struct reg_resp rs = {0};
	char *url = reg_url(c, "/blobs/uploads/");
	int rc = -1;

	if (url == NULL)
		return -1;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status != 202 || rs.location[0] == '\0') {
		reg_http_error(c, &rs, "cannot start a blob upload");
		goto out;
	}
	if ((*location = reg_resolve(c, rs.location)) != NULL)
		rc = 0;
out:
	free(url);
	reg_resp_free(&rs);
	return rc;
}

static int
patch_chunk(struct reg_client *c, char **location, const void *p, size_t n, uint64_t offset)
{
	struct reg_req rq = {
		.method = "PATCH", .url = *location, .body = p, .body_len = n, .has_body = 1};
	struct reg_resp rs = {0};
	char range[64];
	int rc = -1;

	snprintf(range, sizeof(range), "%ju-%ju", (uintmax_t)offset, (uintmax_t)(offset + n - 1));
	rq.content_range = range;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status != 202) {
		reg_http_error(c, &rs, "blob chunk refused");
		goto out;
	}
	c->stats.chunks++;
	if (rs.location[0] != '\0') {
		char *next = reg_resolve(c, rs.location);
		if (next == NULL)
			goto out;
		free(*location);
		*location = next;
	}
	rc = 0;
out:
	reg_resp_free(&rs);
	return rc;
}

static int
finish_upload(struct reg_client *c, const char *location, const char *digest, const void *p,
	      size_t n)
{
	struct reg_req rq = {.method = "PUT", .body = p, .body_len = n, .has_body = p != NULL};
	struct reg_resp rs = {0};
	char *url =
		ward_asprintf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest);
	int rc = -1;

	if (url == NULL)
		return -1;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status != 201) {
		reg_http_error(c, &rs, digest);
		goto out;
	}
	if (rs.docker_digest[0] != '\0' && strcmp(rs.docker_digest, digest) != 0) {
		ward_err(WARD_EVERIFY, "%s/%s: uploaded %s but the registry stored %s", c->registry,
			 c->repo, digest, rs.docker_digest);
		goto out;
	}
	c->stats.blobs_uploaded++;
	rc = 0;
out:
	free(url);
	reg_resp_free(&rs);
	return rc;
}

int
reg_blob_upload_mem(struct reg_client *c, const void *p, size_t n, const char *digest)
{
	char *location = NULL;
	int rc = -1;

	if (start_upload(c, &location) != 0)
		return -1;
	if (n > c->o.chunk_size) {
		for (size_t off = 0; off < n; off += c->o.chunk_size) {
			size_t len = n - off < c->o.chunk_size ? n - off : c->o.chunk_size;
			if (patch_chunk(c, &location, (const char *)p + off, len, off) != 0)
				goto out;
			ward_progress_add(c->o.progress, len);
		}
		rc = finish_upload(c, location, digest, NULL, 0);
	} else {
		/* small blobs in one PUT; an empty body still has to be sent */
		rc = finish_upload(c, location, digest, n ? p : "", n);
		ward_progress_add(c->o.progress, n);
	}
	if (rc == 0)
		c->stats.bytes += n;
out:
	free(location);
	return rc;
}

static int
read_full(int fd, void *buf, size_t n, const char *path)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ward_err_io(path, "read failed");
		if (r == 0)
			return ward_err(WARD_EINPUT, "%s: shorter than its descriptor says", path);
		got += (size_t)r;
	}
	return 0;
}

int
reg_blob_upload_file(struct reg_client *c, const char *path, const char *digest, uint64_t size)
{
	size_t bufsize = size < c->o.chunk_size ? (size_t)size : (size_t)c->o.chunk_size;
	unsigned char *buf = NULL;
	char *location = NULL;
	uint64_t off = 0;
	int fd, rc = -1;

	/* a blob of the layout: a regular file, never a link, FIFO or device */
	if ((fd = ward_input_openat(AT_FDCWD, path, WARD_IN_NOFOLLOW, path, NULL)) < 0)
		return -1;
	if ((buf = ward_malloc(bufsize ? bufsize : 1)) == NULL)
		goto out;
	if (size <= c->o.chunk_size) {
		if (read_full(fd, buf, (size_t)size, path) == 0)
			rc = reg_blob_upload_mem(c, buf, (size_t)size, digest);
		goto out;
	}
	if (start_upload(c, &location) != 0)
		goto out;
	while (off < size) {
		size_t len = size - off < bufsize ? (size_t)(size - off) : bufsize;
		if (read_full(fd, buf, len, path) != 0 ||
		    patch_chunk(c, &location, buf, len, off) != 0)
			goto out;
		off += len;
		ward_progress_add(c->o.progress, len);
	}
	if (finish_upload(c, location, digest, NULL, 0) != 0)
		goto out;
	c->stats.bytes += size;
	rc = 0;
out:
	free(location);
	free(buf);
	close(fd);
	return rc;
}

struct fetch_ctx {
	struct sha256_ctx *sha;
	uint64_t n;
	uint64_t max;
	oci_sink_fn sink;
	void *ctx;
	struct ward_progress *progress;
	const char *digest;
};

static int
fetch_sink(void *ctx, const void *p, size_t n)
{
	struct fetch_ctx *f = ctx;

	f->n += n;
	if (f->max != UINT64_MAX && f->n > f->max)
		return ward_err(WARD_EVERIFY, "blob %s: the registry sent more than its %ju bytes",
				f->digest, (uintmax_t)f->max);
	sha256_update(f->sha, p, n);
	ward_progress_add(f->progress, n);
	return f->sink(f->ctx, p, n);
}

int
reg_blob_fetch(struct reg_client *c, const char *digest, uint64_t size, oci_sink_fn sink, void *ctx)
{
	struct fetch_ctx f = {
		.max = size, .sink = sink, .ctx = ctx, .progress = c->o.progress, .digest = digest};
	struct reg_req rq = {.method = "GET"};
	struct reg_resp rs = {.sink = fetch_sink, .sink_ctx = &f};
	char *url = reg_url(c, "/blobs/%s", digest), got[OCI_DIGEST_LEN + 1];
	uint8_t d[SHA256_LEN];
	int rc = -1;

	if (url == NULL || (f.sha = sha256_new()) == NULL)
		goto out;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status != 200) {
		reg_http_error(c, &rs, digest);
		goto out;
	}
	sha256_final(f.sha, d);
	oci_digest_format(d, got);
	if (strcmp(got, digest) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s/%s: blob %s sent by the registry does not match its digest "
			 "(got %s)",
			 c->registry, c->repo, digest, got);
		goto out;
	}
	if (size != UINT64_MAX && f.n != size) {
		ward_err(WARD_EVERIFY, "%s/%s: blob %s is %ju bytes, its descriptor says %ju",
			 c->registry, c->repo, digest, (uintmax_t)f.n, (uintmax_t)size);
		goto out;
	}
	c->stats.blobs_fetched++;
	c->stats.bytes += f.n;
	rc = 0;
out:
	sha256_free(f.sha);
	free(url);
	reg_resp_free(&rs);
	return rc;
}
