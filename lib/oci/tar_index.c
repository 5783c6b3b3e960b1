/*
 * tar_index.c: index the members of an uncompressed tar for random access.
 * Only headers are read (pread); every size and length is checked against
 * the file before use, and names are normalised with oci_path_normalize.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_internal.h"

#define BLOCK 512
#define PAX_MAX (1u << 20)

struct src {
	int fd;
	const unsigned char *mem;
	uint64_t size;
	const char *what;
};

static int
src_read(const struct src *s, void *buf, size_t n, uint64_t off)
{
	if (off > s->size || n > s->size - off)
		return ward_err(WARD_EINPUT, "%s: truncated tar (needs %zu bytes at offset %ju)",
				s->what, n, (uintmax_t)off);
	if (s->mem) {
		memcpy(buf, s->mem + off, n);
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t r = pread(s->fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ward_errno(WARD_EENV, "%s: read failed", s->what);
		if (r == 0)
			return ward_err(WARD_EINPUT, "%s: truncated tar", s->what);
		done += (size_t)r;
	}
	return 0;
}

int
oci_path_normalize(const char *in, char **out, size_t max, const char *what)
{
	size_t len = strlen(in), o = 0;
	char *buf;
	const char *p = in;

	*out = NULL;
	if (len > max)
		return ward_err(WARD_EINPUT, "%s: name of %zu bytes, over the limit of %zu", what,
				len, max);
	if ((buf = ward_malloc(len + 1)) == NULL)
		return -1;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(buf);
			return ward_err(WARD_EINPUT, "%s: \"%.200s\" leaves the root (\"..\")",
					what, in);
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				buf[o++] = '/';
			memcpy(buf + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

/* Normalise "a/b/../c" inside the root: ".." never climbs above it. */
char *
oci_path_clamp(const char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = ward_malloc(len + 1);
	const char *p = s;

	if (out == NULL)
		return NULL;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return out;
}

static uint64_t
parse_octal(const unsigned char *f, size_t n, int *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	/* GNU base-256: high bit of the first byte set (positive values only) */
	if (n > 0 && (f[0] & 0x80)) {
		if (f[0] != 0x80) {
			*ok = 0;
			return 0;
		}
		for (i = 1; i < n; i++) {
			if (v >> 56) {
				*ok = 0;
				return 0;
			}
			v = v << 8 | f[i];
		}
		return v;
	}
	while (i < n && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60) {
			*ok = 0;
			return 0;
		}
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			*ok = 0;
	return v;
}

static int
checksum_ok(const unsigned char *h)
{
	unsigned long usum = 0;
	long ssum = 0;
	int ok = 1;
	uint64_t want = parse_octal(h + 148, 8, &ok);

	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		usum += c;
		ssum += (signed char)c;
	}
	return ok && (want == usum || (int64_t)want == ssum);
}

static int
is_zero(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return 0;
	return 1;
}

/* Parse PAX records, keeping path, linkpath and size. */
static int
parse_pax(const char *rec, size_t n, char **path, char **link, uint64_t *size, int *has_size,
	  const char *what)
{
	size_t pos = 0;

	while (pos < n) {
		size_t len = 0, i = pos;
		const char *kv, *eq;
		while (i < n && rec[i] >= '0' && rec[i] <= '9' && len < PAX_MAX)
			len = len * 10 + (size_t)(rec[i++] - '0');
		if (i >= n || rec[i] != ' ' || len == 0 || len > n - pos ||
		    rec[pos + len - 1] != '\n')
			return ward_err(WARD_EINPUT, "%s: malformed PAX record", what);
		kv = rec + i + 1;
		eq = memchr(kv, '=', (size_t)(rec + pos + len - 1 - kv));
		if (eq == NULL)
			return ward_err(WARD_EINPUT, "%s: PAX record without '='", what);
		{
			size_t klen = (size_t)(eq - kv),
			       vlen = (size_t)(rec + pos + len - 1 - eq - 1);
			char **dst = NULL;
			if (klen == 4 && memcmp(kv, "path", 4) == 0)
				dst = path;
			else if (klen == 8 && memcmp(kv, "linkpath", 8) == 0)
				dst = link;
			if (dst) {
				if (memchr(eq + 1, '\0', vlen) != NULL)
					return ward_err(WARD_EINPUT, "%s: NUL in a PAX name", what);
				free(*dst);
				if ((*dst = ward_strndup(eq + 1, vlen)) == NULL)
					return -1;
			} else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
				uint64_t v = 0;
				if (vlen == 0 || vlen > 19)
					return ward_err(WARD_EINPUT, "%s: bad PAX size", what);
				for (size_t k = 0; k < vlen; k++) {
					char c = eq[1 + k];
					if (c < '0' || c > '9')
						return ward_err(WARD_EINPUT, "%s: bad PAX size",
								what);
					v = v * 10 + (uint64_t)(c - '0');
				}
				*size = v;
				*has_size = 1;
			}
		}
		pos += len;
	}
	return 0;
}

static int
type_of(char flag)
{
	switch (flag) {
	case '0':
	case '\0':
	case '7':
		return OCI_ENTRY_FILE;
	case '1':
		return OCI_ENTRY_HARDLINK;
	case '2':
		return OCI_ENTRY_SYMLINK;
	case '3':
		return OCI_ENTRY_CHAR;
	case '4':
		return OCI_ENTRY_BLOCK;
	case '5':
		return OCI_ENTRY_DIR;
	case '6':
		return OCI_ENTRY_FIFO;
	default:
		return 0;
	}
}

static int
cmp_member(const void *a, const void *b)
{
	const struct tar_member *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* equal names: keep archive order so the last one can win */
	if (c == 0)
		return x->offset < y->offset ? -1 : x->offset > y->offset;
	return c;
}

static int
add_member(struct tar_index *x, size_t *cap, char *name, int type, uint64_t off, uint64_t size,
	   char *link)
{
	if (ward_vec_reserve(&x->v, cap, x->n + 1, sizeof(*x->v)) != 0)
		return -1;
	x->v[x->n++] = (struct tar_member){name, type, off, size, link};
	return 0;
}

static int
scan(const struct src *s, const struct oci_limits *lim, struct tar_index *out)
{
	unsigned char h[BLOCK];
	uint64_t off = 0, count = 0;
	char *pax_path = NULL, *pax_link = NULL, *gnu_name = NULL, *gnu_link = NULL;
	uint64_t pax_size = 0;
	int has_pax_size = 0, rc = -1;
	size_t cap = 0;

	for (;;) {
		uint64_t size, data;
		char flag, raw[257], *name = NULL, *link = NULL;
		int ok = 1, type;

		if (off == s->size) /* no end-of-archive blocks: tolerated */
			break;
		if (src_read(s, h, BLOCK, off) != 0)
			goto out;
		if (is_zero(h))
			break;
		if (!checksum_ok(h)) {
			ward_err(WARD_EINPUT, "%s: bad tar header checksum at offset %ju", s->what,
				 (uintmax_t)off);
			goto out;
		}
		if (++count > lim->max_entries) {
			ward_err(WARD_EINPUT, "%s: more than %ju tar members", s->what,
				 (uintmax_t)lim->max_entries);
			goto out;
		}
		flag = (char)h[156];
		size = parse_octal(h + 124, 12, &ok);
		if (!ok) {
			ward_err(WARD_EINPUT, "%s: bad size field at offset %ju", s->what,
				 (uintmax_t)off);
			goto out;
		}
		if (has_pax_size && flag != 'x' && flag != 'g' && flag != 'L' && flag != 'K')
			size = pax_size;
		data = off + BLOCK;
		if (size > s->size || data > s->size - size) {
			ward_err(WARD_EINPUT,
				 "%s: member at offset %ju runs past the end of the file "
				 "(truncated?)",
				 s->what, (uintmax_t)off);
			goto out;
		}
		if (flag == 'x' || flag == 'L' || flag == 'K') {
			char *buf;
			if (size > PAX_MAX || (flag != 'x' && size > lim->max_path + 1)) {
				ward_err(WARD_EINPUT, "%s: extended header too large at offset %ju",
					 s->what, (uintmax_t)off);
				goto out;
			}
			if ((buf = ward_malloc((size_t)size + 1)) == NULL)
				goto out;
			if (src_read(s, buf, (size_t)size, data) != 0) {
				free(buf);
				goto out;
			}
			buf[size] = '\0';
			if (flag == 'x') {
				int prc = parse_pax(buf, (size_t)size, &pax_path, &pax_link,
						    &pax_size, &has_pax_size, s->what);
				free(buf);
				if (prc != 0)
					goto out;
			} else if (flag == 'L') {
				free(gnu_name);
				gnu_name = buf;
			} else {
				free(gnu_link);
				gnu_link = buf;
			}
			off = data + (size + BLOCK - 1) / BLOCK * BLOCK;
			continue;
		}
		if (flag != 'g') {
			/* the name: PAX, GNU long name, or prefix + "/" + name */
			const char *n = pax_path ? pax_path : gnu_name;
			if (n == NULL) {
				size_t pl = strnlen((char *)h + 345, 155),
				       nl = strnlen((char *)h, 100);
				int ustar = memcmp(h + 257, "ustar\0", 6) == 0;
				if (ustar && pl > 0)
					snprintf(raw, sizeof(raw), "%.*s/%.*s", (int)pl, h + 345,
						 (int)nl, h);
				else
					snprintf(raw, sizeof(raw), "%.*s", (int)nl, h);
				n = raw;
			}
			type = type_of(flag);
			if (type != 0 &&
			    oci_path_normalize(n, &name, lim->max_path, s->what) == 0 &&
			    *name != '\0') {
				const char *l = pax_link ? pax_link : gnu_link;
				if (l == NULL) {
					snprintf(raw, sizeof(raw), "%.*s",
						 (int)strnlen((char *)h + 157, 100), h + 157);
					l = raw;
				}
				if ((type == OCI_ENTRY_HARDLINK || type == OCI_ENTRY_SYMLINK) &&
				    (link = ward_strdup(l)) == NULL) {
					free(name);
					goto out;
				}
				if (add_member(out, &cap, name, type, data,
					       type == OCI_ENTRY_FILE ? size : 0, link) != 0) {
					free(name);
					free(link);
					goto out;
				}
			} else {
				free(name); /* unsafe or unknown members are not indexed */
				ward_err_clear();
			}
		}
		free(pax_path);
		free(pax_link);
		free(gnu_name);
		free(gnu_link);
		pax_path = pax_link = gnu_name = gnu_link = NULL;
		has_pax_size = 0;
		/* links and directories have no data whatever their size field says */
		if (flag == '1' || flag == '2' || flag == '3' || flag == '4' || flag == '5' ||
		    flag == '6')
			size = 0;
		off = data + (size + BLOCK - 1) / BLOCK * BLOCK;
	}
	if (out->n > 1)
		ward_qsort(out->v, out->n, sizeof(*out->v), cmp_member);
	rc = 0;
out:
	free(pax_path);
	free(pax_link);
	free(gnu_name);
	free(gnu_link);
	return rc;
}

/* Say "not a tar archive" for what is plainly something else (a JSON
 * SBOM, a text file) instead of a puzzling "truncated tar" later: the
 * first header must carry the ustar magic, or be the zero block of an
 * empty archive. */
static int
looks_like_tar(const struct src *s)
{
	unsigned char b[BLOCK];
	size_t n = s->size < BLOCK ? (size_t)s->size : BLOCK, i = 0;

	if (n > 0 && src_read(s, b, n, 0) != 0)
		return -1;
	if (n == BLOCK && memcmp(b + 257, "ustar", 5) == 0)
		return 0;
	while (i < n && b[i] == 0)
		i++;
	if (n == BLOCK && i == n)
		return 0;
	while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
		i++;
	return ward_err(WARD_EINPUT, "%s: not a tar archive (no ustar header at the start%s)",
			s->what,
			i < n && (b[i] == '{' || b[i] == '[') ? "; it looks like JSON"
			: n < BLOCK			      ? "; shorter than one tar block"
							      : "");
}

static int
index_src(const struct src *s, const struct oci_limits *lim, struct tar_index *out)
{
	struct oci_limits tmp;

	memset(out, 0, sizeof(*out));
	if (lim == NULL) {
		oci_limits_default(&tmp);
		lim = &tmp;
	}
	if (looks_like_tar(s) != 0)
		return -1;
	if (scan(s, lim, out) != 0) {
		tar_index_free(out);
		return -1;
	}
	return 0;
}

int
tar_index_fd(int fd, const char *what, const struct oci_limits *lim, struct tar_index *out)
{
	struct stat st;
	struct src s = {.fd = fd, .what = what};

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) != 0)
		return ward_errno(WARD_EENV, "%s: cannot stat", what);
	if (!S_ISREG(st.st_mode))
		return ward_err(WARD_EINPUT, "%s: not a regular file", what);
	s.size = (uint64_t)st.st_size;
	return index_src(&s, lim, out);
}

int
tar_index_mem(const void *p, size_t n, const char *what, const struct oci_limits *lim,
	      struct tar_index *out)
{
	struct src s = {.fd = -1, .mem = p, .size = n, .what = what};

	return index_src(&s, lim, out);
}

const struct tar_member *
tar_index_find(const struct tar_index *x, const char *name)
{
	size_t lo = 0, hi = x->n;
	const struct tar_member *found = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->v[mid].name, name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the last of equal names wins */
	for (; lo < x->n && strcmp(x->v[lo].name, name) == 0; lo++)
		found = &x->v[lo];
	return found;
}

void
tar_index_free(struct tar_index *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].name);
		free(x->v[i].link);
	}
	free(x->v);
	memset(x, 0, sizeof(*x));
}
