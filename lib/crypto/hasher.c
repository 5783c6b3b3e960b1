/*
 * hasher.c: hash many byte ranges of many files on N threads.
 *
 * One code path serves OMS "files" (a job per file), OMS "shards" (a job per
 * shard), the image's per-file manifest and ward-init's start-up check.
 * Jobs are taken largest first from a shared counter (longest-processing-
 * time scheduling), each read with large sequential pread()s into a buffer
 * per worker, so the page cache is copied once and SHA-NI does the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"

#define HASH_BUF_SIZE (2u << 20)

struct hasher {
	struct hash_job *jobs;
	size_t *order;
	size_t n;
	_Atomic size_t next;
	_Atomic uint64_t bytes;
	struct ward_progress *progress;
	pthread_mutex_t lock;
	int failed;
	struct ward_error first;
};

static void
fail_job(struct hasher *h, struct hash_job *job)
{
	job->failed = 1;
	pthread_mutex_lock(&h->lock);
	if (!h->failed) {
		h->failed = 1;
		ward_err_save(&h->first);
	}
	pthread_mutex_unlock(&h->lock);
}

static int
hash_one(struct hasher *h, struct hash_job *job, EVP_MD_CTX *md, unsigned char *buf)
{
	struct stat st;
	uint64_t off, left;
	unsigned int dlen = SHA256_LEN;
	int fd;

	/* never blocks on a FIFO, never follows a link (core.h) */
	fd = ward_input_openat(AT_FDCWD, job->path, WARD_IN_NOFOLLOW, job->path, &st);
	if (fd < 0)
		return -1;
	if (job->length == UINT64_MAX) {
		if ((uint64_t)st.st_size < job->offset) {
			ward_err(WARD_EVERIFY, "%s: shorter than expected", job->path);
			goto fail;
		}
		job->length = (uint64_t)st.st_size - job->offset;
	}
	if (job->offset + job->length > (uint64_t)st.st_size) {
		ward_err(WARD_EVERIFY, "%s: shorter than expected (%jd bytes, need %ju)", job->path,
			 (intmax_t)st.st_size, (uintmax_t)(job->offset + job->length));
		goto fail;
	}
	posix_fadvise(fd, (off_t)job->offset, (off_t)job->length, POSIX_FADV_SEQUENTIAL);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	off = job->offset;
	left = job->length;
	while (left > 0) {
		size_t want = left < HASH_BUF_SIZE ? (size_t)left : HASH_BUF_SIZE;
		ssize_t r = pread(fd, buf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ward_err_io(job->path, "read failed");
			goto fail;
		}
		if (r == 0) {
			ward_err(WARD_EVERIFY, "%s: file shrank while hashing", job->path);
			goto fail;
		}
		EVP_DigestUpdate(md, buf, (size_t)r);
		off += (uint64_t)r;
		left -= (uint64_t)r;
		atomic_fetch_add(&h->bytes, (uint64_t)r);
		ward_progress_add(h->progress, (uint64_t)r);
	}
	EVP_DigestFinal_ex(md, job->digest, &dlen);
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static void *
worker(void *arg)
{
	struct hasher *h = arg;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *buf = malloc(HASH_BUF_SIZE);
	size_t i;

	if (md == NULL || buf == NULL) {
		ward_err(WARD_EENV, "out of memory for hashing");
		/* Fail every job we would have taken: nothing may pass unhashed. */
		while ((i = atomic_fetch_add(&h->next, 1)) < h->n)
			fail_job(h, &h->jobs[h->order[i]]);
		goto out;
	}
	while ((i = atomic_fetch_add(&h->next, 1)) < h->n) {
		struct hash_job *job = &h->jobs[h->order[i]];
		if (hash_one(h, job, md, buf) != 0)
			fail_job(h, job);
	}
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return NULL;
}

static uint64_t
job_size(const struct hash_job *j)
{
	return j->length == UINT64_MAX ? 0 : j->length;
}

static int
by_size_desc(const void *a, const void *b, void *arg)
{
	const struct hash_job *jobs = arg;
	uint64_t x = job_size(&jobs[*(const size_t *)a]);
	uint64_t y = job_size(&jobs[*(const size_t *)b]);

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int
hasher_run(struct hash_job *jobs, size_t n, int threads, struct ward_progress *progress,
	   struct hasher_stats *stats)
{
	struct hasher h = {.jobs = jobs, .n = n, .progress = progress};
	pthread_t tid[256];
	int nthreads, started = 0;
	uint64_t t0 = ward_now_ns();

	for (size_t i = 0; i < n; i++)
		jobs[i].failed = 0;
	h.order = ward_calloc(n ? n : 1, sizeof(*h.order));
	if (h.order == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		h.order[i] = i;
	qsort_r(h.order, n, sizeof(*h.order), by_size_desc, jobs);
	pthread_mutex_init(&h.lock, NULL);

	nthreads = threads > 0 ? threads : ward_cpu_count();
	if ((size_t)nthreads > n)
		nthreads = n ? (int)n : 1;
	if (nthreads > 256)
		nthreads = 256;
	for (int t = 1; t < nthreads; t++) {
		if (pthread_create(&tid[t], NULL, worker, &h) != 0)
			break; /* fewer workers is fine: the caller's thread works too */
		started++;
	}
	worker(&h);
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&h.lock);
	free(h.order);
	if (stats != NULL) {
		stats->bytes = h.bytes;
		stats->ns = ward_now_ns() - t0;
		stats->threads = started + 1;
	}
	if (h.failed)
		return ward_err_restore(&h.first);
	return 0;
}
