/*
 * gzip.c: deterministic parallel gzip with zlib.
 *
 * The input is cut into fixed blocks (1 MiB).  Block i is compressed as raw
 * deflate primed with the last 32 KiB of block i-1 as dictionary and ends
 * with a sync flush (an empty stored block, byte-aligned), so compressed
 * blocks concatenate into one deflate stream.  The block holding the end of
 * the input (possibly empty) is compressed with Z_FINISH.  What each block
 * compresses to depends only on its bytes, the 32 KiB before it, the level
 * and whether it is the last: the output is the same for 1 or N threads.
 * CRC-32 is computed per block and combined in order.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "oci_internal.h"

#define GZ_BLOCK (1u << 20)
#define GZ_DICT (32u << 10)

enum { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

struct gz_slot {
	int state;
	int final;
	int failed;
	unsigned char *in;
	size_t inlen;
	unsigned char dict[GZ_DICT];
	size_t dictlen;
	unsigned char *out;
	size_t outlen, outcap;
	uint32_t crc;
	struct ward_error err;
};

struct gz {
	int level, threads;
	oci_sink_fn sink;
	void *ctx;
	int header_done, finished, failed;
	uint32_t crc;
	uint64_t isize;
	unsigned char dict[GZ_DICT]; /* tail of the previous block */
	size_t dictlen;

	struct gz_slot *slots;
	size_t nslots;
	uint64_t head; /* oldest slot not yet written out (sequence number) */
	uint64_t tail; /* next sequence number to fill */
	struct gz_slot *cur;

	pthread_t *workers;
	int nworkers;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	uint64_t queued;      /* sequences handed to the workers so far */
	uint64_t next_queued; /* next sequence a worker should take */
	int stop;
	z_stream inline_zs; /* the caller thread's stream when single-threaded */
	int inline_ready;
};

static int
deflate_block(z_stream *zs, int level, int *ready, struct gz_slot *s)
{
	size_t bound;
	int rc;

	if (!*ready) {
		memset(zs, 0, sizeof(*zs));
		if (deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return ward_err(WARD_EENV, "gzip: cannot initialise zlib");
		*ready = 1;
	} else if (deflateReset(zs) != Z_OK) {
		return ward_err(WARD_EENV, "gzip: zlib reset failed");
	}
	if (s->dictlen > 0 && deflateSetDictionary(zs, s->dict, (uInt)s->dictlen) != Z_OK)
		return ward_err(WARD_EENV, "gzip: zlib refused the dictionary");
	bound = deflateBound(zs, (uLong)s->inlen) + 64;
	if (s->outcap < bound) {
		void *p = ward_realloc(s->out, bound);
		if (p == NULL)
			return -1;
		s->out = p;
		s->outcap = bound;
	}
	zs->next_in = s->in;
	zs->avail_in = (uInt)s->inlen;
	zs->next_out = s->out;
	zs->avail_out = (uInt)s->outcap;
	rc = deflate(zs, s->final ? Z_FINISH : Z_SYNC_FLUSH);
	if ((s->final && rc != Z_STREAM_END) || (!s->final && rc != Z_OK) || zs->avail_in != 0 ||
	    zs->avail_out == 0)
		return ward_err(WARD_EENV, "gzip: deflate failed (%d)", rc);
	s->outlen = s->outcap - zs->avail_out;
	s->crc = (uint32_t)crc32(0, s->in, (uInt)s->inlen);
	return 0;
}

static void *
worker(void *arg)
{
	struct gz *g = arg;
	z_stream zs;
	int ready = 0;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct gz_slot *s;
		while (!g->stop && g->next_queued == g->queued)
			pthread_cond_wait(&g->work, &g->lock);
		if (g->stop)
			break;
		s = &g->slots[g->next_queued % g->nslots];
		g->next_queued++;
		s->state = SLOT_RUNNING;
		pthread_mutex_unlock(&g->lock);
		s->failed = deflate_block(&zs, g->level, &ready, s) != 0;
		if (s->failed)
			ward_err_save(&s->err);
		pthread_mutex_lock(&g->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	if (ready)
		deflateEnd(&zs);
	return NULL;
}

static int
emit_header(struct gz *g)
{
	/* ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=255 */
	static const unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};

	if (g->header_done)
		return 0;
	g->header_done = 1;
	return g->sink(g->ctx, h, sizeof(h));
}

/* Write out the oldest slot (waiting for it) and free it. */
static int
retire_oldest(struct gz *g)
{
	struct gz_slot *s = &g->slots[g->head % g->nslots];
	int rc;

	if (g->nworkers > 0) {
		pthread_mutex_lock(&g->lock);
		while (s->state != SLOT_DONE)
			pthread_cond_wait(&g->done, &g->lock);
		pthread_mutex_unlock(&g->lock);
	}
	if (s->failed)
		return ward_err_restore(&s->err);
	rc = emit_header(g);
	if (rc == 0)
		rc = g->sink(g->ctx, s->out, s->outlen);
	if (rc != 0)
		return -1;
	g->crc = (uint32_t)crc32_combine(g->crc, s->crc, (z_off_t)s->inlen);
	s->state = SLOT_FREE;
	g->head++;
	return 0;
}

static int
start_workers(struct gz *g)
{
	g->workers = ward_calloc((size_t)g->threads, sizeof(*g->workers));
	if (g->workers == NULL)
		return -1;
	for (int i = 0; i < g->threads; i++) {
		if (pthread_create(&g->workers[i], NULL, worker, g) != 0)
			return ward_err(WARD_EENV, "gzip: cannot start a thread");
		g->nworkers++;
	}
	return 0;
}

/* Hand the filled current slot to the workers (or compress it here). */
static int
submit(struct gz *g, int final)
{
	struct gz_slot *s = g->cur;
	size_t keep;

	s->final = final;
	memcpy(s->dict, g->dict, g->dictlen);
	s->dictlen = g->dictlen;
	/* The next block's dictionary: the last 32 KiB of the input so far. */
	if (s->inlen >= GZ_DICT) {
		memcpy(g->dict, s->in + s->inlen - GZ_DICT, GZ_DICT);
		g->dictlen = GZ_DICT;
	} else {
		if (g->dictlen + s->inlen > GZ_DICT) {
			keep = GZ_DICT - s->inlen; /* bytes of the old tail kept */
			memmove(g->dict, g->dict + g->dictlen - keep, keep);
			g->dictlen = keep;
		}
		memcpy(g->dict + g->dictlen, s->in, s->inlen);
		g->dictlen += s->inlen;
	}
	g->isize += s->inlen;
	g->cur = NULL;
	g->tail++;

	if (g->threads <= 1 || (final && g->nworkers == 0)) {
		/* Single-threaded, or a stream that fits in one block. */
		if (deflate_block(&g->inline_zs, g->level, &g->inline_ready, s) != 0) {
			s->failed = 1;
			ward_err_save(&s->err);
		}
		s->state = SLOT_DONE;
		return retire_oldest(g);
	}
	if (g->nworkers == 0 && start_workers(g) != 0)
		return -1;
	pthread_mutex_lock(&g->lock);
	s->state = SLOT_QUEUED;
	g->queued++;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* Make g->cur a free slot to fill, writing out old slots as needed. */
static int
acquire(struct gz *g)
{
	struct gz_slot *s;

	if (g->tail - g->head == g->nslots && retire_oldest(g) != 0)
		return -1;
	s = &g->slots[g->tail % g->nslots];
	if (s->in == NULL && (s->in = ward_malloc(GZ_BLOCK)) == NULL)
		return -1;
	s->inlen = 0;
	s->failed = 0;
	s->state = SLOT_FILLING;
	g->cur = s;
	return 0;
}

static int
gz_write(void *impl, const void *p, size_t n)
{
	struct gz *g = impl;
	const unsigned char *src = p;

	if (g->failed)
		return ward_err(WARD_EENV, "gzip: compressor failed earlier");
	while (n > 0) {
		size_t take;
		if (g->cur == NULL && acquire(g) != 0)
			goto fail;
		take = GZ_BLOCK - g->cur->inlen;
		if (take > n)
			take = n;
		memcpy(g->cur->in + g->cur->inlen, src, take);
		g->cur->inlen += take;
		src += take;
		n -= take;
		if (g->cur->inlen == GZ_BLOCK && submit(g, 0) != 0)
			goto fail;
	}
	return 0;
fail:
	g->failed = 1;
	return -1;
}

static int
gz_finish(void *impl)
{
	struct gz *g = impl;
	unsigned char trailer[8];

	if (g->failed)
		return ward_err(WARD_EENV, "gzip: compressor failed earlier");
	if (g->finished)
		return 0;
	if (g->cur == NULL && acquire(g) != 0)
		goto fail;
	if (submit(g, 1) != 0)
		goto fail;
	while (g->head < g->tail)
		if (retire_oldest(g) != 0)
			goto fail;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(g->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(g->isize >> (8 * i));
	}
	if (g->sink(g->ctx, trailer, sizeof(trailer)) != 0)
		goto fail;
	g->finished = 1;
	return 0;
fail:
	g->failed = 1;
	return -1;
}

static void
gz_free(void *impl)
{
	struct gz *g = impl;

	if (g == NULL)
		return;
	if (g->nworkers > 0) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_broadcast(&g->work);
		pthread_mutex_unlock(&g->lock);
		for (int i = 0; i < g->nworkers; i++)
			pthread_join(g->workers[i], NULL);
	}
	free(g->workers);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	for (size_t i = 0; i < g->nslots; i++) {
		free(g->slots[i].in);
		free(g->slots[i].out);
	}
	free(g->slots);
	if (g->inline_ready)
		deflateEnd(&g->inline_zs);
	free(g);
}

int
gz_compressor_init(struct oci_compressor *c, int level, int threads)
{
	struct gz *g;

	if (level == 0)
		level = 6;
	if (level < 1 || level > 9)
		return ward_err(WARD_EINPUT, "gzip: level %d out of range 1..9", level);
	g = ward_calloc(1, sizeof(*g));
	if (g == NULL)
		return -1;
	g->level = level;
	g->threads = threads;
	g->sink = c->sink;
	g->ctx = c->ctx;
	g->crc = (uint32_t)crc32(0, NULL, 0);
	/* Enough blocks in flight to keep every worker busy while one is
	 * written out, bounded so memory stays at a few MiB per thread. */
	g->nslots = threads <= 1 ? 1 : (size_t)threads * 2 + 1;
	g->slots = ward_calloc(g->nslots, sizeof(*g->slots));
	if (g->slots == NULL) {
		free(g);
		return -1;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	c->impl = g;
	c->write = gz_write;
	c->finish = gz_finish;
	c->free = gz_free;
	return 0;
}
