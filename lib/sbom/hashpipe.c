/* hashpipe.c: SHA-256 of a stream of files on a second thread, so reading
 * an image's layers (decompression, tar parsing, the reader's own digests)
 * and hashing every file in it overlap.  The reading thread fills buffers
 * from a small ring and hands them over in order; the worker hashes them
 * and records one digest per file, in the order the files came. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sbom/sbom_internal.h"

#define NSLOTS 8

struct slot {
	unsigned char *buf;
	size_t len;
	int end;   /* this chunk completes a file */
	int stop;  /* no more files */
	int ready; /* handed to the worker, not yet hashed */
};

struct hashpipe {
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t filled, emptied;
	struct slot slots[NSLOTS];
	size_t put; /* next slot the reader fills */
	/* written by the worker only; read after the join */
	uint8_t (*digests)[SHA256_LEN];
	size_t n, cap;
	int failed;
};

static void *
worker(void *arg)
{
	struct hashpipe *p = arg;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t get = 0;
	int fresh = 1;

	if (md == NULL)
		p->failed = 1;
	for (;;) {
		struct slot *s = &p->slots[get];
		int stop;

		pthread_mutex_lock(&p->lock);
		while (!s->ready)
			pthread_cond_wait(&p->filled, &p->lock);
		pthread_mutex_unlock(&p->lock);
		stop = s->stop;
		if (!stop && !p->failed) {
			if (fresh && !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
				p->failed = 1;
			fresh = 0;
			if (s->len > 0)
				EVP_DigestUpdate(md, s->buf, s->len);
			if (s->end && !p->failed) {
				if (ward_vec_reserve(&p->digests, &p->cap, p->n + 1,
						     sizeof(*p->digests)) != 0)
					p->failed = 1;
				if (!p->failed)
					EVP_DigestFinal_ex(md, p->digests[p->n++], NULL);
				fresh = 1;
			}
		}
		pthread_mutex_lock(&p->lock);
		s->ready = 0;
		pthread_cond_signal(&p->emptied);
		pthread_mutex_unlock(&p->lock);
		get = (get + 1) % NSLOTS;
		if (stop)
			break;
	}
	EVP_MD_CTX_free(md);
	return NULL;
}

struct hashpipe *
hashpipe_new(void)
{
	struct hashpipe *p = ward_calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->filled, NULL);
	pthread_cond_init(&p->emptied, NULL);
	for (int i = 0; i < NSLOTS; i++)
		if ((p->slots[i].buf = ward_malloc(HASHPIPE_CHUNK)) == NULL)
			goto fail;
	if (pthread_create(&p->thread, NULL, worker, p) != 0) {
		ward_errno(WARD_EENV, "cannot start a hashing thread");
		goto fail;
	}
	p->started = 1;
	return p;
fail:
	hashpipe_free(p);
	return NULL;
}

unsigned char *
hashpipe_buffer(struct hashpipe *p)
{
	struct slot *s = &p->slots[p->put];

	pthread_mutex_lock(&p->lock);
	while (s->ready)
		pthread_cond_wait(&p->emptied, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return s->buf;
}

static void
publish(struct hashpipe *p, size_t len, int end, int stop)
{
	struct slot *s = &p->slots[p->put];

	(void)hashpipe_buffer(p); /* wait for the slot to be free */
	pthread_mutex_lock(&p->lock);
	s->len = len;
	s->end = end;
	s->stop = stop;
	s->ready = 1;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->lock);
	p->put = (p->put + 1) % NSLOTS;
}

void
hashpipe_push(struct hashpipe *p, size_t len, int end_of_file)
{
	publish(p, len, end_of_file, 0);
}

int
hashpipe_finish(struct hashpipe *p, uint8_t (**digests)[SHA256_LEN], size_t *n)
{
	int failed;

	publish(p, 0, 0, 1);
	pthread_join(p->thread, NULL);
	p->started = 0;
	failed = p->failed;
	*digests = p->digests;
	*n = p->n;
	p->digests = NULL;
	hashpipe_free(p);
	return failed ? ward_err(WARD_EENV, "hashing failed (out of memory)") : 0;
}

void
hashpipe_free(struct hashpipe *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		publish(p, 0, 0, 1);
		pthread_join(p->thread, NULL);
	}
	for (int i = 0; i < NSLOTS; i++)
		free(p->slots[i].buf);
	free(p->digests);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->filled);
	pthread_cond_destroy(&p->emptied);
	free(p);
}
