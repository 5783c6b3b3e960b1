/* fetch.c: parallel, resumable, verified downloads into the blob cache
 * (libcurl multi interface, one thread). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "crypto/crypto.h"
#include "deb/deb_internal.h"

#define USER_AGENT "ward/" WARD_VERSION

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
curl_init_once(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static int
curl_ready(void)
{
	pthread_once(&curl_once, curl_init_once);
	return curl_ok ? 0 : ward_err(WARD_EENV, "cannot initialise libcurl");
}

static void
common_opts(CURL *h, const char *url, long timeout_s)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer (under 1 byte/s for timeout_s) is a failure. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, timeout_s);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ one file to memory */

struct membuf {
	struct ward_buf *out;
	size_t start, max;
	int too_big;
};

static size_t
mem_write(char *p, size_t size, size_t n, void *arg)
{
	struct membuf *m = arg;

	if (m->out->len - m->start + size * n > m->max) {
		m->too_big = 1;
		return 0;
	}
	if (ward_buf_append(m->out, p, size * n) != 0)
		return 0;
	return size * n;
}

int
deb_download(const char *url, size_t max, struct ward_buf *out, const char *what)
{
	return deb_download_accept(url, NULL, max, out, NULL, 0, what);
}

int
deb_download_accept(const char *url, const char *accept, size_t max, struct ward_buf *out,
		    char *ctype, size_t ctype_size, const char *what)
{
	char errbuf[CURL_ERROR_SIZE];
	long backoff = 500;

	if (curl_ready() != 0)
		return -1;
	for (int attempt = 0;; attempt++) {
		struct membuf m = {out, out->len, max, 0};
		CURL *h = curl_easy_init();
		struct curl_slist *hdrs = NULL;
		char *accept_hdr = NULL;
		long code = 0;
		CURLcode r;

		if (h == NULL)
			return ward_err(WARD_EENV, "cannot create a libcurl handle");
		errbuf[0] = '\0';
		common_opts(h, url, 60);
		if (accept != NULL) {
			accept_hdr = ward_asprintf("Accept: %s", accept);
			if (accept_hdr == NULL ||
			    (hdrs = curl_slist_append(NULL, accept_hdr)) == NULL) {
				free(accept_hdr);
				curl_easy_cleanup(h);
				return ward_err(WARD_EENV, "out of memory");
			}
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		}
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mem_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		r = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (ctype != NULL && ctype_size > 0) {
			char *ct = NULL;
			ctype[0] = '\0';
			if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
			    ct != NULL)
				snprintf(ctype, ctype_size, "%s", ct);
		}
		curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		free(accept_hdr);
		if (r == CURLE_OK)
			return 0;
		out->len = m.start;
		if (m.too_big)
			return ward_err(WARD_EINPUT, "%s: larger than %zu bytes", what, max);
		if (code == 404 || code == 410 || r == CURLE_FILE_COULDNT_READ_FILE ||
		    r == CURLE_REMOTE_FILE_NOT_FOUND)
			return ward_err(WARD_EINPUT, "%s: not found", what);
		if (attempt >= 3)
			return ward_err(WARD_EENV, "%s: download failed: %s", what,
					errbuf[0] ? errbuf : curl_easy_strerror(r));
		sleep_ms(backoff);
		backoff *= 2;
	}
}

/* ------------------------------------------------------------ fetch */

struct xfer {
	struct deb_fetch_item *item;
	CURL *h;
	int fd;
	char *part;
	struct sha256_ctx *sha;
	uint64_t have;
	uint64_t resumed_from;
	int checked_code;
	int write_errno;
	int too_much;
	int busy;	  /* another process holds the partial file */
	uint64_t counted; /* bytes shown on the progress bar */
	struct ward_progress *progress;
	uint64_t not_before_ns; /* backoff */
	long backoff_ms;
	char errbuf[CURL_ERROR_SIZE];
};

struct run {
	const struct deb_fetch_opts *o;
	const char *cache;
	char *partial_dir;
	int fatal; /* disk full and the like: stop everything */
	struct ward_error fatal_err;
	struct deb_fetch_stats *st;
};

static int item_fail(struct deb_fetch_item *it, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
item_fail(struct deb_fetch_item *it, int kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->error, sizeof(it->error), fmt, ap);
	va_end(ap);
	it->status = DEB_FETCH_FAILED;
	it->kind = kind;
	return -1;
}

static size_t
xfer_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (!x->checked_code) {
		long code = 0;
		x->checked_code = 1;
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		if (x->resumed_from > 0 && code == 200) {
			/* The server ignored the Range: start over. */
			if (ftruncate(x->fd, 0) != 0 || lseek(x->fd, 0, SEEK_SET) != 0) {
				x->write_errno = errno;
				return 0;
			}
			sha256_free(x->sha);
			x->sha = sha256_new();
			x->have = 0;
			x->resumed_from = 0;
			if (x->sha == NULL) {
				x->write_errno = ENOMEM;
				return 0;
			}
		}
	}
	if (x->have + len > x->item->size) {
		x->too_much = 1;
		return 0;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(x->fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			x->write_errno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	sha256_update(x->sha, p, len);
	x->have += len;
	if (x->have > x->counted) {
		ward_progress_add(x->progress, x->have - x->counted);
		x->counted = x->have;
	}
	return len;
}

static void
xfer_close(struct xfer *x)
{
	if (x->h != NULL)
		curl_easy_cleanup(x->h);
	x->h = NULL;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	sha256_free(x->sha);
	x->sha = NULL;
}

/* open_partial: the partial file, its bytes so far hashed. */
static int
open_partial(struct run *r, struct xfer *x)
{
	unsigned char *buf;
	struct stat st;

	x->fd = open(x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (x->fd < 0 || fstat(x->fd, &st) != 0)
		return ward_err_io(x->part, "cannot open the partial download");
	/* Another ward fetching the same file into the same cache: let it. */
	if (flock(x->fd, LOCK_EX | LOCK_NB) != 0) {
		x->busy = 1;
		return ward_err(WARD_EENV, "%s: being downloaded by another process", x->part);
	}
	x->sha = sha256_new();
	buf = ward_malloc(1 << 20);
	if (x->sha == NULL || buf == NULL) {
		free(buf);
		return ward_err(WARD_EENV, "out of memory");
	}
	x->have = 0;
	if ((uint64_t)st.st_size > x->item->size && ftruncate(x->fd, 0) != 0) {
		free(buf);
		return ward_err_io(x->part, "cannot truncate");
	}
	for (;;) {
		ssize_t n = ward_fd_read(x->fd, buf, 1 << 20, x->part);
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		sha256_update(x->sha, buf, (size_t)n);
		x->have += (uint64_t)n;
	}
	free(buf);
	(void)r;
	return 0;
}

/* start: begin (or resume) one transfer.  -1 failed for good, 0 started,
 * 1 complete on disk already (verify it), 2 done meanwhile (another
 * process put it in the cache), 3 busy elsewhere: try again later. */
static int
start(struct run *r, CURLM *m, struct xfer *x)
{
	x->checked_code = x->too_much = x->write_errno = x->busy = 0;
	x->errbuf[0] = '\0';
	if (deb_cache_check(r->cache, x->item->sha256, x->item->size) == 1) {
		x->item->status = DEB_FETCH_CACHED;
		return 2;
	}
	if (open_partial(r, x) != 0) {
		if (x->busy)
			return 3;
		item_fail(x->item, ward_errkind(), "%s", ward_errmsg());
		return -1;
	}
	x->resumed_from = x->have;
	x->item->attempts++;
	if (x->have > 0)
		ward_debug("%s: resuming at byte %ju", x->item->what, (uintmax_t)x->have);
	if (x->have > x->counted) {
		ward_progress_add(x->progress, x->have - x->counted);
		x->counted = x->have;
	}
	if (x->have == x->item->size)
		return 1; /* complete already: verify without the network */
	x->h = curl_easy_init();
	if (x->h == NULL)
		return item_fail(x->item, WARD_EENV, "cannot create a libcurl handle");
	common_opts(x->h, x->item->url, r->o->timeout_s > 0 ? r->o->timeout_s : 60);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	if (x->have > 0)
		curl_easy_setopt(x->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->have);
	if (curl_multi_add_handle(m, x->h) != CURLM_OK)
		return item_fail(x->item, WARD_EENV, "cannot start the download");
	return 0;
}

/* finish: verify and commit a complete partial file. */
static int
finish(struct run *r, struct xfer *x)
{
	uint8_t d[SHA256_LEN];
	char hex[65];

	sha256_final(x->sha, d);
	ward_hex(d, SHA256_LEN, hex);
	if (x->have != x->item->size || strcmp(hex, x->item->sha256) != 0) {
		unlink(x->part);
		return item_fail(x->item, WARD_EVERIFY,
				 "%s: downloaded %ju bytes with sha256 %s, "
				 "expected %ju bytes with %s (from %s)",
				 x->item->what, (uintmax_t)x->have, hex, (uintmax_t)x->item->size,
				 x->item->sha256, x->item->url);
	}
	if (fsync(x->fd) != 0) {
		int e = errno;
		unlink(x->part);
		errno = e;
		return item_fail(x->item, WARD_EENV, "%s: fsync failed: %s", x->part, strerror(e));
	}
	if (cache_commit_partial(r->cache, x->item->sha256, x->part) != 0) {
		unlink(x->part);
		return item_fail(x->item, ward_errkind(), "%s", ward_errmsg());
	}
	x->item->status = DEB_FETCH_DOWNLOADED;
	r->st->bytes += x->item->size - x->resumed_from;
	return 0;
}

static uint64_t
now_ns(void)
{
	return ward_now_ns();
}

/* done: a transfer ended with curl result rc.  Returns 1 to retry. */
static int
done(struct run *r, struct xfer *x, CURLcode rc)
{
	long code = 0;
	int retries = r->o->retries >= 0 ? r->o->retries : 4;

	if (x->h != NULL)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (x->write_errno != 0) {
		/* Disk full, I/O error: nothing half-written stays, and nothing
		 * else is worth trying. */
		unlink(x->part);
		r->fatal = 1;
		errno = x->write_errno;
		ward_errno(WARD_EENV, "%s: cannot write into the cache %s while fetching %s",
			   x->part, r->cache, x->item->what);
		ward_err_save(&r->fatal_err);
		item_fail(x->item, WARD_EENV, "%s", r->fatal_err.msg);
		return 0;
	}
	if (rc == CURLE_OK) {
		if (finish(r, x) == 0)
			return 0;
		/* A wrong digest may be a broken transfer: fetch it once more. */
		return x->item->kind == WARD_EVERIFY && x->item->attempts <= retries;
	}
	if (x->too_much) {
		unlink(x->part); /* more bytes than the index says: start over */
		item_fail(x->item, WARD_EVERIFY, "%s: %s sent more than the expected %ju bytes",
			  x->item->what, x->item->url, (uintmax_t)x->item->size);
	} else if (code == 416) {
		unlink(x->part); /* the partial file does not fit the server's: start over */
		item_fail(x->item, WARD_EENV, "%s: %s refused the resumed range", x->item->what,
			  x->item->url);
	} else if (code == 404 || code == 410 || rc == CURLE_FILE_COULDNT_READ_FILE) {
		unlink(x->part);
		item_fail(x->item, WARD_EENV, "%s: %s: not found on the mirror (HTTP %ld)",
			  x->item->what, x->item->url, code);
		return 0;
	} else {
		item_fail(x->item, WARD_EENV, "%s: %s: %s (after %ju of %ju bytes)", x->item->what,
			  x->item->url, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc),
			  (uintmax_t)x->have, (uintmax_t)x->item->size);
	}
	return x->item->attempts <= retries;
}

static int
prepare(struct run *r, struct deb_fetch_item *it)
{
	int c;

	it->status = DEB_FETCH_PENDING;
	it->error[0] = '\0';
	c = deb_cache_check(r->cache, it->sha256, it->size);
	if (c == 1) {
		it->status = DEB_FETCH_CACHED;
		return 0;
	}
	if (c < 0) {
		if (ward_errkind() != WARD_EVERIFY)
			return item_fail(it, ward_errkind(), "%s", ward_errmsg());
		it->corrupt = 1;
		r->st->corrupt++;
		ward_warn("%s", ward_errmsg());
	}
	if (r->o->from_dir != NULL && it->local != NULL) {
		char *p = ward_path_join(r->o->from_dir, it->local);
		if (p != NULL && access(p, R_OK) == 0) {
			if (deb_cache_insert(r->cache, it->sha256, it->size, p) == 0) {
				it->status = DEB_FETCH_COPIED;
				free(p);
				return 0;
			}
			ward_warn("%s (not used)", ward_errmsg());
		}
		free(p);
	}
	if (r->o->offline) {
		it->status = DEB_FETCH_MISSING;
		it->kind = WARD_EENV;
		snprintf(it->error, sizeof(it->error), "%s: not in the cache%s", it->what,
			 it->corrupt ? " (the cached copy was corrupt and is deleted)" : "");
		return 0;
	}
	if (it->url == NULL)
		return item_fail(it, WARD_EINPUT, "%s: no mirror is configured for it", it->what);
	return 1; /* needs a download */
}

static int
run_downloads(struct run *r, struct xfer *xs, size_t nx)
{
	CURLM *m = curl_multi_init();
	size_t active = 0, remaining = nx;
	int jobs = r->o->jobs > 0 ? r->o->jobs : 4;

	if (m == NULL)
		return ward_err(WARD_EENV, "cannot create a libcurl multi handle");
	while (remaining > 0 && !r->fatal) {
		int running, msgs;
		CURLMsg *msg;
		uint64_t now = now_ns();

		/* Start what may start: new items, and retries whose backoff ended. */
		for (size_t i = 0; i < nx && active < (size_t)jobs; i++) {
			struct xfer *x = &xs[i];
			int s;
			if (x->h != NULL || x->item->status != DEB_FETCH_PENDING ||
			    x->not_before_ns > now)
				continue;
			s = start(r, m, x);
			if (s < 0 || s == 2) {
				xfer_close(x);
				remaining--;
			} else if (s == 3) {
				xfer_close(x);
				x->not_before_ns = now + 500000000u; /* poll until it is done */
			} else if (s == 1) {			     /* already complete on disk */
				int retry = done(r, x, CURLE_OK);
				xfer_close(x);
				if (retry && !r->fatal)
					x->item->status = DEB_FETCH_PENDING;
				else
					remaining--;
			} else {
				active++;
			}
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &msgs)) != NULL) {
			struct xfer *x;
			int retry;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			retry = done(r, x, msg->data.result);
			curl_multi_remove_handle(m, x->h);
			xfer_close(x);
			active--;
			if (retry && !r->fatal) {
				ward_info("%s; retrying in %.1f s", x->item->error,
					  (double)x->backoff_ms / 1000);
				x->item->status = DEB_FETCH_PENDING;
				x->not_before_ns = now_ns() + (uint64_t)x->backoff_ms * 1000000u;
				x->backoff_ms *= 2;
			} else {
				remaining--;
			}
		}
		if (remaining > 0 && !r->fatal)
			curl_multi_poll(m, NULL, 0, active ? 200 : 50, NULL);
	}
	for (size_t i = 0; i < nx; i++) {
		if (xs[i].h != NULL)
			curl_multi_remove_handle(m, xs[i].h);
		xfer_close(&xs[i]);
		if (xs[i].item->status == DEB_FETCH_PENDING)
			item_fail(xs[i].item, WARD_EENV, "%s: not fetched: %s", xs[i].item->what,
				  r->fatal_err.msg);
	}
	curl_multi_cleanup(m);
	return 0;
}

int
deb_fetch(struct deb_fetch_item *items, size_t n, const struct deb_fetch_opts *o,
	  struct deb_fetch_stats *st)
{
	struct deb_fetch_stats dummy;
	struct run r = {0};
	struct xfer *xs = NULL;
	size_t nx = 0;
	uint64_t t0 = ward_now_ns(), total = 0;
	int rc = -1;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	r.o = o;
	r.st = st;
	r.cache = o->cache;
	r.partial_dir = cache_subdir(o->cache, "partial");
	if (r.partial_dir == NULL || ward_mkdir_p(r.partial_dir, 0755) != 0)
		goto out;
	xs = ward_calloc(n ? n : 1, sizeof(*xs));
	if (xs == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int need = prepare(&r, &items[i]);
		if (need != 1)
			continue;
		xs[nx].item = &items[i];
		xs[nx].fd = -1;
		xs[nx].progress = o->progress;
		xs[nx].backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 500;
		xs[nx].part = ward_asprintf("%s/%s", r.partial_dir, items[i].sha256);
		if (xs[nx].part == NULL)
			goto out;
		total += items[i].size;
		nx++;
	}
	ward_progress_set_total(o->progress, total);
	if (nx > 0) {
		if (curl_ready() != 0 || run_downloads(&r, xs, nx) != 0)
			goto out;
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		switch (items[i].status) {
		case DEB_FETCH_CACHED:
			st->cached++;
			break;
		case DEB_FETCH_DOWNLOADED:
			st->downloaded++;
			break;
		case DEB_FETCH_COPIED:
			st->copied++;
			break;
		case DEB_FETCH_MISSING:
			st->missing++;
			break;
		default:
			st->failed++;
			break;
		}
	}
	if (r.fatal) {
		ward_err_restore(&r.fatal_err);
		rc = -1;
	} else if (st->failed > 0 || st->missing > 0) {
		for (size_t i = 0; i < n; i++)
			if (items[i].status == DEB_FETCH_FAILED) {
				ward_err(items[i].kind ? items[i].kind : WARD_EENV, "%s",
					 items[i].error);
				rc = -1;
				break;
			}
		if (rc == 0) {
			struct ward_buf b = {0};
			size_t shown = 0;
			for (size_t i = 0; i < n && shown < 5; i++)
				if (items[i].status == DEB_FETCH_MISSING)
					ward_buf_printf(&b, "%s%s", shown++ ? ", " : "",
							items[i].what);
			ward_err(WARD_EENV,
				 "offline: %zu of %zu packages are not in the cache %s: %s%s",
				 st->missing, n, o->cache, ward_buf_cstr(&b),
				 st->missing > shown ? ", ..." : "");
			ward_buf_free(&b);
			rc = -1;
		}
	}
out:
	st->ns = ward_now_ns() - t0;
	for (size_t i = 0; xs != NULL && i < nx; i++)
		free(xs[i].part);
	free(xs);
	free(r.partial_dir);
	return rc;
}
