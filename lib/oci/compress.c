/*
 * compress.c: the compressor front end, zstd, and the pass-through.
 *
 * zstd: libzstd's single-threaded mode and its multi-threaded mode produce
 * different frames, while the multi-threaded mode gives the same frame for
 * any number of workers >= 1 (jobs are cut by size, not by thread).  So
 * ward always asks for at least one worker, fixes the job size, and never
 * lets libzstd see the whole input in its first call (which would switch
 * small inputs to single-pass mode): the output depends on the bytes only.
 * tests/unit/test_oci_compress.c checks this for 1..4 threads.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zstd.h>

#include "oci_internal.h"

#define ZSTD_JOB_SIZE (4u << 20)

int
oci_threads(int threads)
{
	if (threads > 0)
		return threads;
	return ward_cpu_count();
}

int
oci_compression_parse(const char *name)
{
	if (name == NULL)
		return ward_err(WARD_EINPUT, "compression: missing name");
	if (strcasecmp(name, "gzip") == 0 || strcasecmp(name, "gz") == 0)
		return OCI_COMPRESS_GZIP;
	if (strcasecmp(name, "zstd") == 0)
		return OCI_COMPRESS_ZSTD;
	if (strcasecmp(name, "none") == 0 || strcasecmp(name, "plain") == 0)
		return OCI_COMPRESS_NONE;
	return ward_err(WARD_EINPUT, "unknown compression \"%s\" (gzip, zstd or none)", name);
}

const char *
oci_compression_name(int compression)
{
	switch (compression) {
	case OCI_COMPRESS_GZIP:
		return "gzip";
	case OCI_COMPRESS_ZSTD:
		return "zstd";
	default:
		return "none";
	}
}

const char *
oci_layer_media_type(int compression)
{
	switch (compression) {
	case OCI_COMPRESS_GZIP:
		return OCI_MT_LAYER_GZIP;
	case OCI_COMPRESS_ZSTD:
		return OCI_MT_LAYER_ZSTD;
	default:
		return OCI_MT_LAYER;
	}
}

/* ------------------------------------------------------------ none */

static int
plain_write(void *impl, const void *p, size_t n)
{
	struct oci_compressor *c = impl;

	return c->sink(c->ctx, p, n);
}

static int
plain_finish(void *impl)
{
	(void)impl;
	return 0;
}

static void
plain_free(void *impl)
{
	(void)impl;
}

/* ------------------------------------------------------------ zstd */

struct zs {
	ZSTD_CCtx *cctx;
	oci_sink_fn sink;
	void *ctx;
	unsigned char *out;
	size_t outcap;
	int started;
};

static int
zs_drive(struct zs *z, const void *p, size_t n, ZSTD_EndDirective op)
{
	ZSTD_inBuffer in = {p, n, 0};

	for (;;) {
		ZSTD_outBuffer out = {z->out, z->outcap, 0};
		size_t left = ZSTD_compressStream2(z->cctx, &out, &in, op);
		if (ZSTD_isError(left))
			return ward_err(WARD_EENV, "zstd: %s", ZSTD_getErrorName(left));
		if (out.pos > 0 && z->sink(z->ctx, z->out, out.pos) != 0)
			return -1;
		if (op == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static int
zs_write(void *impl, const void *p, size_t n)
{
	struct zs *z = impl;

	if (n == 0)
		return 0;
	z->started = 1;
	return zs_drive(z, p, n, ZSTD_e_continue);
}

static int
zs_finish(void *impl)
{
	struct zs *z = impl;

	return zs_drive(z, "", 0, ZSTD_e_end);
}

static void
zs_free(void *impl)
{
	struct zs *z = impl;

	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z);
}

int
zstd_compressor_init(struct oci_compressor *c, int level, int threads)
{
	struct zs *z;
	size_t r;

	if (level == 0)
		level = 3;
	if (level < 1 || level > ZSTD_maxCLevel())
		return ward_err(WARD_EINPUT, "zstd: level %d out of range 1..%d", level,
				ZSTD_maxCLevel());
	z = ward_calloc(1, sizeof(*z));
	if (z == NULL)
		return -1;
	z->sink = c->sink;
	z->ctx = c->ctx;
	z->outcap = ZSTD_CStreamOutSize();
	z->out = ward_malloc(z->outcap);
	z->cctx = ZSTD_createCCtx();
	if (z->out == NULL || z->cctx == NULL) {
		ward_err(WARD_EENV, "zstd: out of memory");
		goto fail;
	}
	r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, threads < 1 ? 1 : threads);
	if (ZSTD_isError(r)) {
		ward_err(WARD_EENV,
			 "zstd: libzstd without multi-threading cannot give "
			 "reproducible output (%s)",
			 ZSTD_getErrorName(r));
		goto fail;
	}
	r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_jobSize, ZSTD_JOB_SIZE);
	if (ZSTD_isError(r)) {
		ward_err(WARD_EENV, "zstd: %s", ZSTD_getErrorName(r));
		goto fail;
	}
	c->impl = z;
	c->write = zs_write;
	c->finish = zs_finish;
	c->free = zs_free;
	return 0;
fail:
	zs_free(z);
	return -1;
}

/* ------------------------------------------------------------ front end */

struct oci_compressor *
oci_compressor_new(const struct oci_compress_opts *o, oci_sink_fn sink, void *ctx)
{
	struct oci_compressor *c = ward_calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return NULL;
	c->sink = sink;
	c->ctx = ctx;
	switch (o->compression) {
	case OCI_COMPRESS_NONE:
		c->impl = c;
		c->write = plain_write;
		c->finish = plain_finish;
		c->free = plain_free;
		rc = 0;
		break;
	case OCI_COMPRESS_GZIP:
		rc = gz_compressor_init(c, o->level, oci_threads(o->threads));
		break;
	case OCI_COMPRESS_ZSTD:
		rc = zstd_compressor_init(c, o->level, oci_threads(o->threads));
		break;
	default:
		rc = ward_err(WARD_EINPUT, "unknown compression %d", o->compression);
	}
	if (rc != 0) {
		free(c);
		return NULL;
	}
	return c;
}

int
oci_compressor_write(struct oci_compressor *c, const void *p, size_t n)
{
	if (c->finished)
		return ward_err(WARD_EINPUT, "compressor: write after the end of the stream");
	return c->write(c->impl, p, n);
}

int
oci_compressor_finish(struct oci_compressor *c)
{
	if (c->finished)
		return 0;
	if (c->finish(c->impl) != 0)
		return -1;
	c->finished = 1;
	return 0;
}

void
oci_compressor_free(struct oci_compressor *c)
{
	if (c == NULL)
		return;
	c->free(c->impl);
	free(c);
}
