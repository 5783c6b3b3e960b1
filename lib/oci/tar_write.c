/*
 * tar_write.c: a deterministic tar writer.  USTAR headers; a PAX extended
 * header only for what USTAR cannot say (long or non-ASCII names and link
 * targets, names over 31 bytes, sizes of 8 GiB and more, ids over 2097151).
 * Every entry gets the writer's mtime and the caller's normalised owner;
 * nothing else from the source files (atime, ctime, device, inode) leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"

#define BLOCK 512
#define BUF_SIZE (256u << 10)
#define USTAR_MAX_OCTAL11 077777777777ull /* size and mtime fields */
#define USTAR_MAX_OCTAL7 07777777ull	  /* uid, gid fields */

struct tar_writer {
	oci_sink_fn sink;
	void *ctx;
	int64_t mtime;
	unsigned char *buf;
	size_t len;
	uint64_t total;
	char *last; /* the last name written, for the order rule */
	int finished;
	int failed;
};

struct tar_writer *
tar_writer_new(oci_sink_fn sink, void *ctx, int64_t mtime)
{
	struct tar_writer *w = ward_calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->buf = ward_malloc(BUF_SIZE);
	if (w->buf == NULL) {
		free(w);
		return NULL;
	}
	w->sink = sink;
	w->ctx = ctx;
	w->mtime = mtime;
	return w;
}

void
tar_writer_free(struct tar_writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w->last);
	free(w);
}

uint64_t
tar_writer_size(const struct tar_writer *w)
{
	return w->total;
}

static int
flush(struct tar_writer *w)
{
	if (w->len == 0)
		return 0;
	if (w->sink(w->ctx, w->buf, w->len) != 0) {
		w->failed = 1;
		return -1;
	}
	w->len = 0;
	return 0;
}

static int
emit(struct tar_writer *w, const void *p, size_t n)
{
	const unsigned char *s = p;

	w->total += n;
	if (w->len == 0 && n >= BUF_SIZE) {
		if (w->sink(w->ctx, s, n) != 0) {
			w->failed = 1;
			return -1;
		}
		return 0;
	}
	while (n > 0) {
		size_t take = BUF_SIZE - w->len;
		if (take > n)
			take = n;
		memcpy(w->buf + w->len, s, take);
		w->len += take;
		s += take;
		n -= take;
		if (w->len == BUF_SIZE && flush(w) != 0)
			return -1;
	}
	return 0;
}

static int
pad(struct tar_writer *w, uint64_t size)
{
	static const unsigned char zero[BLOCK];
	size_t rest = (size_t)(size % BLOCK);

	return rest ? emit(w, zero, BLOCK - rest) : 0;
}

int
tar_path_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (;; x++, y++) {
		int cx, cy;
		if (*x == *y) {
			if (*x == 0)
				return 0;
			continue;
		}
		/* end < '/' < every other byte */
		cx = *x == 0 ? 0 : *x == '/' ? 1 : *x + 1;
		cy = *y == 0 ? 0 : *y == '/' ? 1 : *y + 1;
		return cx - cy;
	}
}

/* ------------------------------------------------------------ headers */

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static int
is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n;
		uint32_t cp;
		if (p[0] < 0x80) {
			p++;
			continue;
		} else if ((p[0] & 0xe0) == 0xc0) {
			n = 1, cp = p[0] & 0x1f;
		} else if ((p[0] & 0xf0) == 0xe0) {
			n = 2, cp = p[0] & 0x0f;
		} else if ((p[0] & 0xf8) == 0xf0) {
			n = 3, cp = p[0] & 0x07;
		} else {
			return 0;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* One PAX record "<len> key=value\n", where len counts the whole record. */
static int
pax_record(struct ward_buf *b, const char *key, const char *value)
{
	size_t body = 1 + strlen(key) + 1 + strlen(value) + 1; /* " k=v\n" */
	size_t len = body + 1;

	while (len != body + (size_t)snprintf(NULL, 0, "%zu", len))
		len = body + (size_t)snprintf(NULL, 0, "%zu", len);
	return ward_buf_printf(b, "%zu %s=%s\n", len, key, value);
}

static void
octal(char *field, size_t width, uint64_t v)
{
	/* width includes the terminating NUL */
	snprintf(field, width, "%0*" PRIo64, (int)(width - 1), v);
}

/* Split name into USTAR prefix/name (name <= 100, prefix <= 155, at a '/'),
 * taking the longest prefix as Python's tarfile does.  0 when it fits. */
static int
ustar_split(const char *name, size_t *prefix_len)
{
	size_t len = strlen(name);

	*prefix_len = 0;
	if (len <= 100)
		return 0;
	for (size_t i = len - 1 < 155 ? len - 1 : 155; i > 0; i--) {
		if (name[i] != '/' || len - i - 1 == 0)
			continue;
		if (len - i - 1 > 100)
			return -1;
		*prefix_len = i;
		return 0;
	}
	return -1;
}

static void
finish_header(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* Copy an ASCII stand-in for s (non-ASCII bytes as '_') into a field. */
static void
ascii_field(char *field, size_t width, const char *s)
{
	size_t i = 0;

	for (; s[i] && i < width; i++)
		field[i] = (unsigned char)s[i] >= 0x80 ? '_' : s[i];
}

static int
write_pax(struct tar_writer *w, const char *name, const struct ward_buf *records)
{
	unsigned char h[BLOCK];
	const char *base = strrchr(name, '/');
	char paxname[101];

	base = base ? base + 1 : name;
	memset(paxname, 0, sizeof(paxname));
	snprintf(paxname, sizeof(paxname), "PaxHeaders/%.89s", base);
	for (char *p = paxname; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '_';
	memset(h, 0, sizeof(h));
	memcpy(h, paxname, strlen(paxname));
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, records->len);
	octal((char *)h + 136, 12, w->mtime >= 0 ? (uint64_t)w->mtime : 0);
	h[156] = 'x';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	octal((char *)h + 329, 8, 0);
	octal((char *)h + 337, 8, 0);
	finish_header(h);
	if (emit(w, h, BLOCK) != 0 || emit(w, records->data, records->len) != 0)
		return -1;
	return pad(w, records->len);
}

/* The header (and PAX header when needed) for one entry. */
static int
write_header(struct tar_writer *w, const char *name, char type, const struct tar_meta *m,
	     uint64_t size, const char *link)
{
	unsigned char h[BLOCK];
	struct ward_buf pax = {0};
	const char *uname = m->uname ? m->uname : "", *gname = m->gname ? m->gname : "";
	size_t plen = 0;
	int binary, rc = -1;
	char num[32];

	binary = !is_utf8(name) || (link && !is_utf8(link)) || !is_utf8(uname) || !is_utf8(gname);
	if (binary && pax_record(&pax, "hdrcharset", "BINARY") != 0)
		goto out;
	if ((!is_ascii(name) || ustar_split(name, &plen) != 0) && pax_record(&pax, "path", name))
		goto out;
	if (link && (!is_ascii(link) || strlen(link) > 100) && pax_record(&pax, "linkpath", link))
		goto out;
	if (size > USTAR_MAX_OCTAL11) {
		snprintf(num, sizeof(num), "%" PRIu64, size);
		if (pax_record(&pax, "size", num) != 0)
			goto out;
	}
	if (m->uid > USTAR_MAX_OCTAL7) {
		snprintf(num, sizeof(num), "%" PRIu64, m->uid);
		if (pax_record(&pax, "uid", num) != 0)
			goto out;
	}
	if (m->gid > USTAR_MAX_OCTAL7) {
		snprintf(num, sizeof(num), "%" PRIu64, m->gid);
		if (pax_record(&pax, "gid", num) != 0)
			goto out;
	}
	if ((!is_ascii(uname) || strlen(uname) > 31) && pax_record(&pax, "uname", uname) != 0)
		goto out;
	if ((!is_ascii(gname) || strlen(gname) > 31) && pax_record(&pax, "gname", gname) != 0)
		goto out;
	if ((w->mtime < 0 || (uint64_t)w->mtime > USTAR_MAX_OCTAL11)) {
		snprintf(num, sizeof(num), "%" PRId64, w->mtime);
		if (pax_record(&pax, "mtime", num) != 0)
			goto out;
	}
	if (pax.len > 0 && write_pax(w, name, &pax) != 0)
		goto out;

	memset(h, 0, sizeof(h));
	if (is_ascii(name) && ustar_split(name, &plen) == 0) {
		if (plen > 0) {
			memcpy(h + 345, name, plen);
			memcpy(h, name + plen + 1, strlen(name) - plen - 1);
		} else {
			memcpy(h, name, strlen(name));
		}
	} else {
		ascii_field((char *)h, 100, name);
	}
	octal((char *)h + 100, 8, m->mode & 07777);
	octal((char *)h + 108, 8, m->uid > USTAR_MAX_OCTAL7 ? 0 : m->uid);
	octal((char *)h + 116, 8, m->gid > USTAR_MAX_OCTAL7 ? 0 : m->gid);
	octal((char *)h + 124, 12, size > USTAR_MAX_OCTAL11 ? 0 : size);
	octal((char *)h + 136, 12,
	      w->mtime < 0 || (uint64_t)w->mtime > USTAR_MAX_OCTAL11 ? 0 : (uint64_t)w->mtime);
	h[156] = (unsigned char)type;
	if (link)
		ascii_field((char *)h + 157, 100, link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	ascii_field((char *)h + 265, 31, uname);
	ascii_field((char *)h + 297, 31, gname);
	octal((char *)h + 329, 8, 0);
	octal((char *)h + 337, 8, 0);
	finish_header(h);
	rc = emit(w, h, BLOCK);
out:
	ward_buf_free(&pax);
	return rc;
}

/* Check the state, the path and the order rule; remember the path. */
static int
begin_entry(struct tar_writer *w, const char *path, const struct tar_meta *m)
{
	if (w->failed)
		return ward_err(WARD_EENV, "tar: writer failed earlier");
	if (w->finished)
		return ward_err(WARD_EINPUT, "tar: entry \"%s\" after the end", path);
	if (!ward_relpath_ok(path))
		return ward_err(WARD_EINPUT, "tar: \"%s\" is not a clean relative path", path);
	if (m->mode & ~07777u)
		return ward_err(WARD_EINPUT, "tar: %s: mode %o has bits beyond 07777", path,
				m->mode);
	if (w->last != NULL && tar_path_cmp(w->last, path) >= 0)
		return ward_err(WARD_EINPUT,
				"tar: \"%s\" added after \"%s\" (entries must be sorted "
				"and unique)",
				path, w->last);
	free(w->last);
	w->last = ward_strdup(path);
	return w->last ? 0 : -1;
}

int
tar_write_dir(struct tar_writer *w, const char *path, const struct tar_meta *m)
{
	char *name;
	int rc;

	if (begin_entry(w, path, m) != 0)
		return -1;
	if ((name = ward_asprintf("%s/", path)) == NULL)
		return -1;
	rc = write_header(w, name, '5', m, 0, NULL);
	free(name);
	return rc;
}

int
tar_write_file(struct tar_writer *w, const char *path, const struct tar_meta *m, const void *data,
	       size_t len)
{
	if (begin_entry(w, path, m) != 0 || write_header(w, path, '0', m, len, NULL) != 0)
		return -1;
	if (emit(w, data, len) != 0)
		return -1;
	return pad(w, len);
}

int
tar_write_file_cb(struct tar_writer *w, const char *path, const struct tar_meta *m, uint64_t size,
		  ssize_t (*read_fn)(void *ctx, void *buf, size_t n), void *ctx)
{
	uint64_t left = size;

	if (begin_entry(w, path, m) != 0 || write_header(w, path, '0', m, size, NULL) != 0)
		return -1;
	/* Read straight into the output buffer: no copy per file. */
	while (left > 0) {
		size_t want = BUF_SIZE - w->len;
		ssize_t got;
		if (want == 0) {
			if (flush(w) != 0)
				return -1;
			want = BUF_SIZE;
		}
		if (want > left)
			want = (size_t)left;
		got = read_fn(ctx, w->buf + w->len, want);
		if (got < 0)
			goto fail;
		if (got == 0 || (size_t)got > want) {
			ward_err(WARD_EINPUT,
				 "tar: %s: source gave %" PRIu64 " bytes, expected %" PRIu64, path,
				 size - left + (got > 0 ? (uint64_t)got : 0), size);
			goto fail;
		}
		w->len += (size_t)got;
		w->total += (uint64_t)got;
		left -= (uint64_t)got;
	}
	return pad(w, size);
fail:
	w->failed = 1; /* the archive is now inconsistent */
	return -1;
}

struct fd_src {
	int fd;
	const char *src;
};

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
	struct fd_src *f = ctx;

	for (;;) {
		ssize_t r = read(f->fd, buf, n);
		if (r >= 0) {
			if (r == 0)
				ward_err(WARD_EINPUT, "%s: changed while being read (shorter)",
					 f->src);
			return r;
		}
		if (errno != EINTR)
			return ward_err_io(f->src, "read failed");
	}
}

int
tar_write_file_path(struct tar_writer *w, const char *path, const struct tar_meta *m,
		    const char *src)
{
	struct fd_src f = {.src = src};
	struct stat st;
	char extra;
	int rc = -1;

	/* swapped for a FIFO or a link since it was listed: refused, no hang */
	f.fd = ward_input_openat(AT_FDCWD, src, WARD_IN_NOFOLLOW, src, &st);
	if (f.fd < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		ward_err(WARD_EINPUT, "%s: not a regular file", src);
		goto out;
	}
	posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (tar_write_file_cb(w, path, m, (uint64_t)st.st_size, fd_read, &f) != 0)
		goto out;
	if (read(f.fd, &extra, 1) != 0) {
		w->failed = 1;
		ward_err(WARD_EINPUT, "%s: changed while being read (longer)", src);
		goto out;
	}
	rc = 0;
out:
	close(f.fd);
	return rc;
}

int
tar_write_symlink(struct tar_writer *w, const char *path, const struct tar_meta *m,
		  const char *target)
{
	if (target == NULL || *target == '\0' || strlen(target) > 4096)
		return ward_err(WARD_EINPUT, "tar: %s: symlink target empty or too long", path);
	if (begin_entry(w, path, m) != 0)
		return -1;
	return write_header(w, path, '2', m, 0, target);
}

int
tar_write_hardlink(struct tar_writer *w, const char *path, const struct tar_meta *m,
		   const char *target)
{
	if (!ward_relpath_ok(target))
		return ward_err(WARD_EINPUT,
				"tar: %s: hard link target \"%s\" is not a clean "
				"relative path",
				path, target ? target : "");
	if (tar_path_cmp(target, path) >= 0)
		return ward_err(WARD_EINPUT,
				"tar: %s: hard link to \"%s\", which is not written "
				"before it",
				path, target);
	if (begin_entry(w, path, m) != 0)
		return -1;
	return write_header(w, path, '1', m, 0, target);
}

int
tar_write_whiteout(struct tar_writer *w, const char *path, const struct tar_meta *m)
{
	const char *slash;
	char *name;
	int rc = -1;

	if (!ward_relpath_ok(path))
		return ward_err(WARD_EINPUT, "tar: whiteout \"%s\" is not a clean relative path",
				path ? path : "");
	slash = strrchr(path, '/');
	if (slash)
		name = ward_asprintf("%.*s/.wh.%s", (int)(slash - path), path, slash + 1);
	else
		name = ward_asprintf(".wh.%s", path);
	if (name == NULL)
		return -1;
	if (begin_entry(w, name, m) == 0)
		rc = write_header(w, name, '0', m, 0, NULL);
	free(name);
	return rc;
}

int
tar_writer_finish(struct tar_writer *w)
{
	static const unsigned char zero[2 * BLOCK];

	if (w->failed)
		return ward_err(WARD_EENV, "tar: writer failed earlier");
	if (w->finished)
		return 0;
	if (emit(w, zero, sizeof(zero)) != 0 || flush(w) != 0)
		return -1;
	w->finished = 1;
	return 0;
}
