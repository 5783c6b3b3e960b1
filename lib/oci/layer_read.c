/*
 * layer_read.c: stream the entries of a layer.  The stored bytes are
 * hashed (blob digest), decompressed here with zlib or libzstd (chosen by
 * sniffing, whatever the media type claims), hashed again (diff_id), and
 * parsed by libarchive's tar reader.  Names are normalised and checked,
 * whiteouts recognised, limits enforced; at the end of the layer the rest
 * of the stream is drained so both digests cover every byte.
 */
#include <archive.h>
#include <pthread.h>
#include <stdatomic.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

#define CHUNK (256u << 10)

struct oci_layer_reader {
	struct oci_image *img; /* NULL for a layer in memory */
	size_t layer;
	char what[256];
	struct oci_limits lim;
	struct blob_stream bs;
	int compression;
	unsigned char *cbuf, *ubuf;
	struct sha256_ctx *csha, *usha;
	uint64_t utotal;
	z_stream zs;
	int zs_ready, z_end;
	ZSTD_DCtx *zd;
	ZSTD_inBuffer zin;
	size_t zret;
	int ceof;
	size_t pend_off, pend_len; /* plain: the sniffed first chunk, not yet handed on */
	struct archive *a;
	struct oci_entry e;
	char *path, *link;
	uint64_t count;
	int failed, done, in_file;
	struct ward_error err;
};

const char *
oci_entry_type_name(int type)
{
	static const char *const names[] = {"?",    "file",  "dir",  "symlink",	 "hardlink",
					    "char", "block", "fifo", "whiteout", "opaque"};

	return type >= 1 && type <= OCI_ENTRY_OPAQUE ? names[type] : "?";
}

static ssize_t read_stored(struct oci_layer_reader *r);

/* A layer that does not decompress or parse is most often a damaged blob:
 * when the stored bytes do not match their digest, say that instead. */
static void
explain(struct oci_layer_reader *r)
{
	struct oci_layer_info *li = r->img ? &r->img->layers[r->layer] : NULL;
	uint8_t md[SHA256_LEN];
	char got[OCI_DIGEST_LEN + 1];
	ssize_t n;

	if (li == NULL || !li->blob.digest[0] || r->csha == NULL || r->cbuf == NULL)
		return;
	while ((n = read_stored(r)) > 0)
		;
	if (n < 0)
		return;
	sha256_final(r->csha, md);
	oci_digest_format(md, got);
	if (strcmp(got, li->blob.digest) != 0)
		ward_err(WARD_EVERIFY, "%s: blob is corrupt (content hashes to %s)", r->what, got);
}

/* Record the first error of this reader (the message is kept for later). */
static int
fail(struct oci_layer_reader *r)
{
	if (!r->failed) {
		if (ward_errkind() != WARD_EVERIFY)
			explain(r);
		r->failed = 1;
		ward_err_save(&r->err);
	}
	return -1;
}

/* Fill cbuf from the stored blob; 0 at its end. */
static ssize_t
read_stored(struct oci_layer_reader *r)
{
	ssize_t n;

	if (r->ceof)
		return 0;
	n = blob_stream_read(&r->bs, r->cbuf, CHUNK);
	if (n < 0)
		return ward_err(ward_errkind(), "%s: %s", r->what, ward_errmsg());
	if (n == 0)
		r->ceof = 1;
	else
		sha256_update(r->csha, r->cbuf, (size_t)n);
	return n;
}

static ssize_t
pull_gzip(struct oci_layer_reader *r, void *buf, size_t n)
{
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)n;
	while (r->zs.avail_out == n) {
		int zr;
		if (r->zs.avail_in == 0) {
			ssize_t got = read_stored(r);
			if (got < 0)
				return -1;
			if (got == 0) {
				if (r->z_end)
					return 0;
				return ward_err(WARD_EINPUT, "%s: gzip stream is truncated",
						r->what);
			}
			r->zs.next_in = r->cbuf;
			r->zs.avail_in = (uInt)got;
		}
		if (r->z_end) {
			/* another gzip member may follow; anything else is garbage */
			if (r->zs.next_in[0] != 0x1f)
				return ward_err(WARD_EINPUT,
						"%s: data after the end of the gzip stream",
						r->what);
			if (inflateReset(&r->zs) != Z_OK)
				return ward_err(WARD_EENV, "%s: zlib reset failed", r->what);
			r->z_end = 0;
		}
		zr = inflate(&r->zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			r->z_end = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return ward_err(WARD_EINPUT, "%s: corrupt gzip data (%s)", r->what,
					r->zs.msg ? r->zs.msg : "inflate failed");
	}
	return (ssize_t)(n - r->zs.avail_out);
}

static ssize_t
pull_zstd(struct oci_layer_reader *r, void *buf, size_t n)
{
	ZSTD_outBuffer out = {buf, n, 0};

	while (out.pos == 0) {
		if (r->zin.pos == r->zin.size) {
			ssize_t got = read_stored(r);
			if (got < 0)
				return -1;
			if (got == 0) {
				if (r->zret == 0)
					return 0;
				return ward_err(WARD_EINPUT, "%s: zstd stream is truncated",
						r->what);
			}
			r->zin.src = r->cbuf;
			r->zin.size = (size_t)got;
			r->zin.pos = 0;
		}
		r->zret = ZSTD_decompressStream(r->zd, &out, &r->zin);
		if (ZSTD_isError(r->zret))
			return ward_err(WARD_EINPUT, "%s: corrupt zstd data (%s)", r->what,
					ZSTD_getErrorName(r->zret));
	}
	return (ssize_t)out.pos;
}

/* Decompressed bytes of the layer; counted against the total limit. */
static ssize_t
pull(struct oci_layer_reader *r, void *buf, size_t n)
{
	ssize_t got;

	if (r->compression == OCI_COMPRESS_GZIP)
		got = pull_gzip(r, buf, n);
	else if (r->compression == OCI_COMPRESS_ZSTD)
		got = pull_zstd(r, buf, n);
	else if (r->pend_len > 0) {
		got = (ssize_t)(n < r->pend_len ? n : r->pend_len);
		memcpy(buf, r->cbuf + r->pend_off, (size_t)got);
		r->pend_off += (size_t)got;
		r->pend_len -= (size_t)got;
	} else {
		got = read_stored(r);
		if (got > 0)
			memcpy(buf, r->cbuf, (size_t)got);
	}
	if (got > 0) {
		/* plain layers: the diff_id is the blob digest, hashed once */
		if (r->compression != OCI_COMPRESS_NONE)
			sha256_update(r->usha, buf, (size_t)got);
		r->utotal += (uint64_t)got;
		if (r->utotal > r->lim.max_total)
			return ward_err(WARD_EINPUT, "%s: more than %ju uncompressed bytes",
					r->what, (uintmax_t)r->lim.max_total);
	}
	return got;
}

static la_ssize_t
la_read(struct archive *a, void *ctx, const void **buf)
{
	struct oci_layer_reader *r = ctx;
	ssize_t n = pull(r, r->ubuf, CHUNK);

	if (n < 0) {
		fail(r);
		archive_set_error(a, EIO, "%s", r->err.msg);
		return -1;
	}
	*buf = r->ubuf;
	return n;
}

static struct oci_layer_reader *
reader_new(const char *what, const struct oci_limits *lim)
{
	struct oci_layer_reader *r = ward_calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	snprintf(r->what, sizeof(r->what), "%s", what);
	if (lim)
		r->lim = *lim;
	else
		oci_limits_default(&r->lim);
	r->bs.fd = -1;
	return r;
}

/* Set up decompression by sniffing, then (with tar) libarchive on top. */
static int
reader_start(struct oci_layer_reader *r, int tar)
{
	ssize_t got;

	if ((r->cbuf = ward_malloc(CHUNK)) == NULL || (r->ubuf = ward_malloc(CHUNK)) == NULL ||
	    (r->csha = sha256_new()) == NULL || (r->usha = sha256_new()) == NULL)
		return -1;
	/* The first chunk tells the compression; it stays in cbuf. */
	if ((got = read_stored(r)) < 0)
		return -1;
	r->compression = oci_sniff_compression(r->cbuf, (size_t)got);
	if (r->compression == OCI_COMPRESS_GZIP) {
		if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
			return ward_err(WARD_EENV, "%s: zlib init failed", r->what);
		r->zs_ready = 1;
		r->zs.next_in = r->cbuf;
		r->zs.avail_in = (uInt)got;
	} else if (r->compression == OCI_COMPRESS_ZSTD) {
		if ((r->zd = ZSTD_createDCtx()) == NULL)
			return ward_err(WARD_EENV, "%s: zstd init failed", r->what);
		/* windows beyond 128 MiB are refused (memory bound) */
		ZSTD_DCtx_setParameter(r->zd, ZSTD_d_windowLogMax, 27);
		r->zin.src = r->cbuf;
		r->zin.size = (size_t)got;
		r->zret = 1;
	} else {
		r->pend_off = 0;
		r->pend_len = (size_t)got;
	}
	if (!tar)
		return 0;
	if ((r->a = archive_read_new()) == NULL)
		return ward_err(WARD_EENV, "%s: libarchive init failed", r->what);
	archive_read_support_format_tar(r->a);
	archive_read_support_filter_none(r->a);
	if (archive_read_open(r->a, r, NULL, la_read, NULL) != ARCHIVE_OK) {
		if (r->failed)
			return ward_err_restore(&r->err);
		return ward_err(WARD_EINPUT, "%s: not a tar archive (%s)", r->what,
				archive_error_string(r->a));
	}
	return 0;
}

/* Drain what libarchive left, then compare both digests. */
static int
finish(struct oci_layer_reader *r)
{
	uint8_t md[SHA256_LEN];
	char blob[OCI_DIGEST_LEN + 1], diff[OCI_DIGEST_LEN + 1];
	struct oci_layer_info *li = r->img ? &r->img->layers[r->layer] : NULL;
	ssize_t n;

	while ((n = pull(r, r->ubuf, CHUNK)) > 0)
		;
	if (n < 0)
		return fail(r);
	sha256_final(r->csha, md);
	oci_digest_format(md, blob);
	if (r->compression == OCI_COMPRESS_NONE) {
		memcpy(diff, blob, sizeof(diff));
	} else {
		sha256_final(r->usha, md);
		oci_digest_format(md, diff);
	}
	if (li == NULL)
		return 0;
	if (li->blob.digest[0] && strcmp(li->blob.digest, blob) != 0) {
		ward_err(WARD_EVERIFY, "%s: blob is corrupt (content hashes to %s)", r->what, blob);
		return fail(r);
	}
	if (strcmp(li->diff_id, diff) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s: uncompressed content hashes to %s, but the config's "
			 "diff_id is %s",
			 r->what, diff, li->diff_id);
		return fail(r);
	}
	if (!li->blob.digest[0]) /* docker-archive: now known and verified via diff_id */
		memcpy(li->blob.digest, blob, sizeof(blob));
	return 0;
}

static const char *
entry_str(const char *utf8, const char *raw)
{
	return utf8 ? utf8 : raw ? raw : "";
}

/* Fill r->e from a libarchive entry; 1 = use it, 0 = skip it, -1 = error. */
static int
convert(struct oci_layer_reader *r, struct archive_entry *ae)
{
	const char *raw = entry_str(archive_entry_pathname_utf8(ae), archive_entry_pathname(ae));
	const char *hl = archive_entry_hardlink_utf8(ae), *base;
	char *path = NULL, *link = NULL;
	mode_t ft = archive_entry_filetype(ae);
	struct oci_entry *e = &r->e;
	const char *xname, *xval;
	size_t xsize;

	if (hl == NULL)
		hl = archive_entry_hardlink(ae);
	free(r->path);
	free(r->link);
	r->path = r->link = NULL;
	memset(e, 0, sizeof(*e));
	if (oci_path_normalize(raw, &path, r->lim.max_path, r->what) != 0)
		return -1;
	r->path = path;
	if (*path == '\0') {
		/* the root itself ("./"): nothing to merge or unpack */
		if (ft != AE_IFDIR || hl != NULL)
			return ward_err(WARD_EINPUT, "%s: the root entry is not a directory",
					r->what);
		return 0;
	}
	e->path = path;
	e->mode = archive_entry_perm(ae) & 07777;
	e->uid = archive_entry_uid(ae) < 0 ? 0 : (uint64_t)archive_entry_uid(ae);
	e->gid = archive_entry_gid(ae) < 0 ? 0 : (uint64_t)archive_entry_gid(ae);
	e->uname = entry_str(archive_entry_uname_utf8(ae), archive_entry_uname(ae));
	e->gname = entry_str(archive_entry_gname_utf8(ae), archive_entry_gname(ae));
	e->mtime = archive_entry_mtime(ae);
	e->ordinal = r->count - 1;
	if (hl != NULL) {
		e->type = OCI_ENTRY_HARDLINK;
		if (oci_path_normalize(hl, &link, r->lim.max_path, r->what) != 0)
			return -1;
		r->link = link;
		if (*link == '\0')
			return ward_err(WARD_EINPUT, "%s: %s: hard link to the root", r->what,
					path);
		e->link = link;
	} else {
		switch (ft) {
		case AE_IFREG:
			e->type = OCI_ENTRY_FILE;
			break;
		case AE_IFDIR:
			e->type = OCI_ENTRY_DIR;
			break;
		case AE_IFLNK:
			e->type = OCI_ENTRY_SYMLINK;
			break;
		case AE_IFCHR:
			e->type = OCI_ENTRY_CHAR;
			break;
		case AE_IFBLK:
			e->type = OCI_ENTRY_BLOCK;
			break;
		case AE_IFIFO:
			e->type = OCI_ENTRY_FIFO;
			break;
		default:
			return ward_err(WARD_EINPUT, "%s: %s: unsupported entry type", r->what,
					path);
		}
	}
	if (e->type == OCI_ENTRY_SYMLINK) {
		const char *t =
			entry_str(archive_entry_symlink_utf8(ae), archive_entry_symlink(ae));
		if (*t == '\0' || strlen(t) > r->lim.max_path)
			return ward_err(WARD_EINPUT, "%s: %s: symlink target empty or too long",
					r->what, path);
		if ((r->link = ward_strdup(t)) == NULL)
			return -1;
		e->link = r->link;
	}
	if (e->type == OCI_ENTRY_FILE) {
		la_int64_t sz = archive_entry_size(ae);
		if (sz < 0 || (uint64_t)sz > r->lim.max_file)
			return ward_err(WARD_EINPUT, "%s: %s: size %jd over the limit", r->what,
					path, (intmax_t)sz);
		e->size = (uint64_t)sz;
	}
	if (e->type == OCI_ENTRY_CHAR || e->type == OCI_ENTRY_BLOCK) {
		e->devmajor = (uint32_t)archive_entry_rdevmajor(ae);
		e->devminor = (uint32_t)archive_entry_rdevminor(ae);
	}
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &xname, (const void **)&xval, &xsize) == ARCHIVE_OK)
		if (xname && strcmp(xname, "security.capability") == 0)
			e->caps = 1;
	/* whiteouts: "dir/.wh.name" deletes dir/name; "dir/.wh..wh..opq" empties dir */
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, ".wh.", 4) == 0) {
		size_t dirlen = (size_t)(base - path);
		if (strcmp(base, ".wh..wh..opq") == 0) {
			e->type = OCI_ENTRY_OPAQUE;
			path[dirlen ? dirlen - 1 : 0] = '\0';
		} else if (strncmp(base, ".wh..wh.", 8) == 0) {
			return 0; /* aufs bookkeeping (.wh..wh.plnk and the like) */
		} else {
			const char *name = base + 4;
			if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				return ward_err(WARD_EINPUT, "%s: bad whiteout \"%s\"", r->what,
						path);
			memmove(path + dirlen, name, strlen(name) + 1);
			e->type = OCI_ENTRY_WHITEOUT;
		}
		e->size = 0;
		e->link = NULL;
	}
	return 1;
}

int
oci_layer_next(struct oci_layer_reader *r, const struct oci_entry **out)
{
	struct archive_entry *ae;

	*out = NULL;
	if (r->failed)
		return ward_err_restore(&r->err);
	if (r->done)
		return 0;
	for (;;) {
		int rc = archive_read_next_header(r->a, &ae), c;
		if (rc == ARCHIVE_EOF) {
			r->done = 1;
			r->in_file = 0;
			return finish(r);
		}
		if (rc < ARCHIVE_WARN) {
			if (!r->failed)
				ward_err(WARD_EINPUT, "%s: %s", r->what,
					 archive_error_string(r->a) ? archive_error_string(r->a)
								    : "corrupt tar");
			return fail(r);
		}
		if (++r->count > r->lim.max_entries) {
			ward_err(WARD_EINPUT, "%s: more than %ju entries", r->what,
				 (uintmax_t)r->lim.max_entries);
			return fail(r);
		}
		c = convert(r, ae);
		if (c < 0)
			return fail(r);
		if (c == 0)
			continue;
		r->in_file = r->e.type == OCI_ENTRY_FILE;
		*out = &r->e;
		return 1;
	}
}

ssize_t
oci_layer_read(struct oci_layer_reader *r, void *buf, size_t n)
{
	la_ssize_t got;

	if (r->failed)
		return ward_err_restore(&r->err);
	if (!r->in_file)
		return 0;
	got = archive_read_data(r->a, buf, n);
	if (got < 0) {
		if (!r->failed)
			ward_err(WARD_EINPUT, "%s: %s: %s", r->what, r->e.path,
				 archive_error_string(r->a) ? archive_error_string(r->a)
							    : "cannot read contents");
		return fail(r);
	}
	return got;
}

void
oci_layer_close(struct oci_layer_reader *r)
{
	if (r == NULL)
		return;
	if (r->a)
		archive_read_free(r->a);
	if (r->zs_ready)
		inflateEnd(&r->zs);
	ZSTD_freeDCtx(r->zd);
	blob_stream_close(&r->bs);
	sha256_free(r->csha);
	sha256_free(r->usha);
	free(r->cbuf);
	free(r->ubuf);
	free(r->path);
	free(r->link);
	free(r);
}

struct oci_layer_reader *
oci_layer_open(struct oci_image *img, size_t i)
{
	struct oci_layer_reader *r;
	char what[256];

	if (i >= img->nlayers) {
		ward_err(WARD_EINPUT, "%s: no layer %zu (the image has %zu)", img->path, i,
			 img->nlayers);
		return NULL;
	}
	snprintf(what, sizeof(what), "%s: layer %zu (%s)", img->path, i,
		 img->layers[i].blob.digest[0] ? img->layers[i].blob.digest
					       : img->layers[i].diff_id);
	if ((r = reader_new(what, &img->limits)) == NULL)
		return NULL;
	r->img = img;
	r->layer = i;
	if (source_open_layer(img, i, &r->bs) != 0 || reader_start(r, 1) != 0) {
		oci_layer_close(r);
		return NULL;
	}
	return r;
}

struct oci_layer_reader *
oci_layer_open_mem(const void *p, size_t n, const char *what, const struct oci_limits *lim)
{
	struct oci_layer_reader *r = reader_new(what, lim);

	if (r == NULL)
		return NULL;
	r->bs.mem = p;
	r->bs.len = n;
	if (reader_start(r, 1) != 0) {
		oci_layer_close(r);
		return NULL;
	}
	return r;
}

/* ------------------------------------------------------------ verification */

struct verify_job {
	struct oci_image *img;
	_Atomic size_t next;
	struct ward_progress *progress;
	int *failed;		 /* per layer */
	struct ward_error *errs; /* per layer */
};

static int
verify_layer(struct oci_image *img, size_t i, struct ward_progress *progress)
{
	struct oci_layer_reader *r;
	char what[256];
	int rc;

	snprintf(what, sizeof(what), "%s: layer %zu (%s)", img->path, i,
		 img->layers[i].blob.digest[0] ? img->layers[i].blob.digest
					       : img->layers[i].diff_id);
	if ((r = reader_new(what, &img->limits)) == NULL)
		return -1;
	r->img = img;
	r->layer = i;
	rc = source_open_layer(img, i, &r->bs) == 0 && reader_start(r, 0) == 0 ? finish(r) : -1;
	if (rc != 0 && r->failed)
		ward_err_restore(&r->err);
	ward_progress_add(progress, img->layers[i].blob.size);
	oci_layer_close(r);
	return rc;
}

static void *
verify_worker(void *arg)
{
	struct verify_job *j = arg;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->img->nlayers)
		if (verify_layer(j->img, i, j->progress) != 0) {
			j->failed[i] = 1;
			ward_err_save(&j->errs[i]);
		}
	return NULL;
}

int
oci_image_verify(struct oci_image *img, int threads, struct ward_progress *progress)
{
	struct verify_job j = {.img = img, .progress = progress};
	pthread_t *tids = NULL;
	int n, started = 0, rc = 0;

	if (img->nlayers == 0)
		return 0;
	n = oci_threads(threads);
	if ((size_t)n > img->nlayers)
		n = (int)img->nlayers;
	j.failed = ward_calloc(img->nlayers, sizeof(*j.failed));
	j.errs = ward_calloc(img->nlayers, sizeof(*j.errs));
	tids = ward_calloc((size_t)n, sizeof(*tids));
	if (j.failed == NULL || j.errs == NULL || tids == NULL) {
		rc = -1;
		goto out;
	}
	for (int t = 1; t < n; t++)
		if (pthread_create(&tids[started], NULL, verify_worker, &j) == 0)
			started++;
	verify_worker(&j);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	/* the first broken layer, in layer order */
	for (size_t i = 0; i < img->nlayers; i++)
		if (j.failed[i]) {
			rc = ward_err_restore(&j.errs[i]);
			break;
		}
out:
	free(j.failed);
	free(j.errs);
	free(tids);
	return rc;
}
